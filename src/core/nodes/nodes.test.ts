import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildInventory, type Inventory } from "../inventory/index.js";
import { evaluatePosture } from "../posture/index.js";
import { advisoryKey, type OsvRecord, parseOsvRecord, parseOsvText } from "../vuln/index.js";
import {
  analyzeNodes,
  buildInfraInventory,
  buildNodesReport,
  bundledRunc,
  compareUpstream,
  containerdBundling,
  formatNodesTable,
  infraImpact,
  kernelComponent,
  matchInfra,
  parseComponentVersion,
  parseOsImage,
} from "./index.js";

const FIXTURES = join(import.meta.dirname, "__fixtures__");
const NOW = new Date("2026-12-04T00:00:00Z");

function inventoryOf(items: unknown[]): Inventory {
  return buildInventory([
    {
      object: { apiVersion: "v1", kind: "List", items } as Record<string, unknown>,
      origin: "snapshot",
      source: { file: "cluster.json", line: 1, column: 1 },
    },
  ]);
}

function fixtureInventory(): Inventory {
  const list = JSON.parse(readFileSync(join(FIXTURES, "cluster.json"), "utf8")) as { items: unknown[] };
  return inventoryOf(list.items);
}

function index(records: readonly OsvRecord[]): Map<string, OsvRecord[]> {
  const byKey = new Map<string, OsvRecord[]>();
  for (const r of records)
    for (const k of new Set(r.affected.map((a) => advisoryKey(a.package.ecosystem, a.package.name))))
      byKey.set(k, [...(byKey.get(k) ?? []), r]);
  return byKey;
}

function fixtureRecords(): OsvRecord[] {
  const dir = join(FIXTURES, "advisories");
  return readdirSync(dir)
    .sort()
    .map((f) => parseOsvText(readFileSync(join(dir, f), "utf8"), f).record as OsvRecord);
}

function report(records = fixtureRecords(), inv = fixtureInventory()) {
  const posture = evaluatePosture(inv, { allowedRegistries: [] }).findings;
  return buildNodesReport(inv, { version: "test", now: NOW, advisories: index(records), posture });
}

describe("component versions", () => {
  it("keeps the upstream release and sets vendor builds aside", () => {
    const cases: [string, ReturnType<typeof parseComponentVersion>][] = [
      ["v1.27.4", { raw: "v1.27.4", upstream: "1.27.4" }],
      [
        "v1.27.4-eks-8ccc7ba",
        { raw: "v1.27.4-eks-8ccc7ba", upstream: "1.27.4", vendorSuffix: "-eks-8ccc7ba" },
      ],
      [
        "v1.28.3-gke.1286000",
        { raw: "v1.28.3-gke.1286000", upstream: "1.28.3", vendorSuffix: "-gke.1286000" },
      ],
      ["v1.26.6+k3s1", { raw: "v1.26.6+k3s1", upstream: "1.26.6", vendorSuffix: "+k3s1" }],
      ["v1.27.7+rke2r2", { raw: "v1.27.7+rke2r2", upstream: "1.27.7", vendorSuffix: "+rke2r2" }],
      ["1.7.7-k3s1", { raw: "1.7.7-k3s1", upstream: "1.7.7", vendorSuffix: "-k3s1" }],
      ["1.6.21+azure-3", { raw: "1.6.21+azure-3", upstream: "1.6.21", vendorSuffix: "+azure-3" }],
      [
        "1.6.20-0ubuntu1~22.04.1",
        { raw: "1.6.20-0ubuntu1~22.04.1", upstream: "1.6.20", vendorSuffix: "-0ubuntu1~22.04.1" },
      ],
      ["v1.29.0-rc.2", { raw: "v1.29.0-rc.2", upstream: "1.29.0-rc.2" }],
      ["1.0.0-rc93", { raw: "1.0.0-rc93", upstream: "1.0.0-rc93" }],
      [
        "v1.30.0-alpha.1+abc",
        { raw: "v1.30.0-alpha.1+abc", upstream: "1.30.0-alpha.1", vendorSuffix: "+abc" },
      ],
    ];
    for (const [raw, want] of cases) expect(parseComponentVersion(raw), raw).toEqual(want);
  });

  describe("pathological cases", () => {
    it("refuses what is not a version, without throwing", () => {
      for (const raw of [
        "",
        "   ",
        "latest",
        "v1",
        "v1.27",
        "1.6.20.1",
        "01.2.3",
        "v1.2.3".padEnd(300, "x"),
        "__proto__",
        "9999999999.1.1",
      ])
        expect(parseComponentVersion(raw), JSON.stringify(raw)).toEqual({ raw });
    });

    it("orders pre-releases as SemVer (rc.10 after rc.9; rc93 before the release)", () => {
      expect(compareUpstream("1.29.0-rc.10", "1.29.0-rc.9")).toBe(1);
      expect(compareUpstream("1.0.0-rc93", "1.0.0")).toBe(-1);
      expect(compareUpstream("1.10.0", "1.9.9")).toBe(1);
      expect(compareUpstream("1.6.18", "1.6.18")).toBe(0);
    });
  });
});

describe("tables", () => {
  it("infers the runc containerd's release builds bundle, inexact after the last known release", () => {
    expect(bundledRunc("1.6.12")).toEqual({ runc: "1.1.4", exact: true });
    expect(bundledRunc("1.6.28")).toEqual({ runc: "1.1.12", exact: true });
    expect(bundledRunc("1.6.30")).toEqual({ runc: "1.1.12", exact: false });
    expect(bundledRunc("1.7.2")).toBeUndefined();
    expect(bundledRunc("1.6.1")).toBeUndefined();
    expect(bundledRunc("1.7.13-rc.1")).toBeUndefined();
    expect(bundledRunc("2.0.0")).toBeUndefined();
    expect(containerdBundling("1.6", "1.1.12")).toBe("1.6.28");
    expect(containerdBundling("1.7", "1.1.12")).toBe("1.7.13");
    expect(containerdBundling("1.5", "1.1.12")).toBeUndefined();
  });

  it("reads the OS from osImage", () => {
    expect(parseOsImage("Ubuntu 22.04.3 LTS")).toEqual({
      osImage: "Ubuntu 22.04.3 LTS",
      id: "ubuntu",
      versionId: "22.04",
    });
    expect(parseOsImage("Debian GNU/Linux 12 (bookworm)")).toEqual({
      osImage: "Debian GNU/Linux 12 (bookworm)",
      id: "debian",
      versionId: "12",
      codename: "bookworm",
    });
    expect(parseOsImage("Bottlerocket OS 1.19.2 (aws-k8s-1.28)")).toEqual({
      osImage: "Bottlerocket OS 1.19.2 (aws-k8s-1.28)",
      id: "bottlerocket",
      versionId: "1.19.2",
    });
    expect(parseOsImage("Windows Server 2022 Datacenter")).toEqual({
      osImage: "Windows Server 2022 Datacenter",
      id: "windows",
    });
    expect(parseOsImage("SomethingOS")).toEqual({ osImage: "SomethingOS" });
  });

  it("maps Ubuntu kernels to their source package, HWE series included; Debian is not determinable", () => {
    const ubuntu = (v: string) => parseOsImage(`Ubuntu ${v} LTS`);
    expect(kernelComponent("5.15.0-1048-aws", ubuntu("22.04.3")).component).toEqual({
      role: "kernel",
      name: "linux-aws",
      raw: "5.15.0-1048-aws",
      version: "5.15.0-1048",
      versionUpperBound: "5.15.0-1048.99999",
      fieldPath: "status.nodeInfo.kernelVersion",
      derivedFrom:
        "Ubuntu 22.04 source package linux-aws, ABI 5.15.0-1048 (the upload number is not in kernelVersion)",
      packages: [{ ecosystem: "Ubuntu", name: "linux-aws" }],
    });
    expect(kernelComponent("5.15.0-88-generic", ubuntu("20.04.6")).component?.name).toBe("linux-hwe-5.15");
    expect(kernelComponent("5.15.0-1051-azure", ubuntu("20.04.6")).component?.name).toBe("linux-azure-5.15");
    expect(kernelComponent("5.4.0-166-generic", ubuntu("20.04.6")).component?.name).toBe("linux");
    expect(kernelComponent("5.15.0-1048-aws;rm -rf", ubuntu("22.04")).why).toMatch(/not an Ubuntu kernel/);
    expect(kernelComponent("6.1.0-13-amd64", parseOsImage("Debian GNU/Linux 12 (bookworm)")).why).toMatch(
      /Debian's kernelVersion names the ABI/,
    );
  });
});

describe("infrastructure inventory", () => {
  it("reads each node's components, pool, provider and OS", () => {
    const { infra } = buildInfraInventory(fixtureInventory());
    expect(infra.nodes.map((n) => n.ref.name)).toEqual([
      "akswin22000000",
      "gke-prod-general-1",
      "gke-prod-gpu-a-1",
      "gke-prod-gpu-a-2",
      "gke-prod-gpu-a-3",
      "ip-10-0-1-23.eu-west-1.compute.internal",
      "legacy-1",
      "ocp-worker-1",
      "worker-1",
    ]);
    expect(infra.nodes.find((n) => n.ref.name === "ip-10-0-1-23.eu-west-1.compute.internal")).toEqual({
      ref: { apiVersion: "v1", kind: "Node", name: "ip-10-0-1-23.eu-west-1.compute.internal" },
      pool: { provider: "eks", name: "batch", label: "eks.amazonaws.com/nodegroup" },
      provider: "aws",
      instanceType: "m5.large",
      os: { osImage: "Amazon Linux 2", id: "amzn", versionId: "2" },
      kernelVersion: "5.10.192-183.736.amzn2.x86_64",
      architecture: "amd64",
      operatingSystem: "linux",
      components: [
        {
          role: "kubelet",
          name: "kubelet",
          raw: "v1.27.4-eks-8ccc7ba",
          version: "1.27.4",
          vendorSuffix: "-eks-8ccc7ba",
          fieldPath: "status.nodeInfo.kubeletVersion",
          packages: [
            { ecosystem: "Go", name: "k8s.io/kubernetes" },
            { ecosystem: "kubernetes", name: "k8s.io/kubelet" },
            { ecosystem: "kubernetes", name: "k8s.io/kubernetes" },
          ],
        },
        {
          role: "container-runtime",
          name: "containerd",
          raw: "containerd://1.6.18",
          version: "1.6.18",
          fieldPath: "status.nodeInfo.containerRuntimeVersion",
          packages: [{ ecosystem: "Go", name: "github.com/containerd/containerd" }],
        },
        {
          role: "runc",
          name: "runc",
          raw: "containerd://1.6.18",
          version: "1.1.4",
          derivedFrom: "bundled with containerd 1.6.18 release builds (table: docs/node-components.md)",
          fieldPath: "status.nodeInfo.containerRuntimeVersion",
          packages: [{ ecosystem: "Go", name: "github.com/opencontainers/runc" }],
        },
      ],
    });
    expect(infra.controlPlanes).toEqual([
      {
        ref: { apiVersion: "palisade.dev/v1", kind: "Cluster", name: "prod" },
        source: "snapshot",
        component: {
          role: "control-plane",
          name: "kubernetes",
          raw: "v1.27.1",
          version: "1.27.1",
          fieldPath: "serverVersion.gitVersion",
          packages: [
            { ecosystem: "Go", name: "k8s.io/kubernetes" },
            { ecosystem: "kubernetes", name: "k8s.io/apiserver" },
            { ecosystem: "kubernetes", name: "k8s.io/controller-manager" },
            { ecosystem: "kubernetes", name: "k8s.io/kube-scheduler" },
            { ecosystem: "kubernetes", name: "k8s.io/kubernetes" },
          ],
        },
      },
    ]);
  });

  it("takes the control plane's version from a kube-apiserver static pod when nothing else says it", () => {
    const inv = inventoryOf([
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "kube-apiserver-cp-1", namespace: "kube-system" },
        spec: {
          nodeName: "cp-1",
          containers: [{ name: "kube-apiserver", image: "registry.k8s.io/kube-apiserver:v1.28.2" }],
        },
      },
    ]);
    const { infra, coverage } = buildInfraInventory(inv);
    expect(infra.controlPlanes.map((c) => [c.source, c.component.version, c.component.fieldPath])).toEqual([
      ["static-pod", "1.28.2", "spec.containers[0].image"],
    ]);
    expect(coverage).toEqual([]);
  });

  describe("pathological cases", () => {
    it("reports nodes without nodeInfo, odd runtime strings and hostile values as coverage", () => {
      const node = (name: string, nodeInfo?: Record<string, unknown>) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name },
        ...(nodeInfo ? { status: { nodeInfo } } : {}),
      });
      const { infra, coverage } = buildInfraInventory(
        inventoryOf([
          node("bare"),
          node("odd", {
            kubeletVersion: "latest",
            containerRuntimeVersion: "containerd:/1.7.2",
            kernelVersion: "x",
            osImage: "Ubuntu 22.04 LTS",
          }),
          node("gvisor", {
            kubeletVersion: "v1.29.1",
            containerRuntimeVersion: "gvisor://20240212",
            osImage: "",
          }),
          node("proto", { kubeletVersion: { __proto__: 1 }, containerRuntimeVersion: 42 }),
        ]),
      );
      expect(infra.nodes.map((n) => [n.ref.name, n.components.map((c) => `${c.role}=${c.version}`)])).toEqual(
        [
          ["bare", []],
          ["gvisor", ["kubelet=1.29.1"]],
          ["odd", []],
          ["proto", []],
        ],
      );
      expect(coverage.map((c) => `${c.reason} ${c.subject}: ${c.message}`)).toEqual([
        "missing Node/bare: the Node has no status.nodeInfo (a manifest, or a snapshot without status): its components are unknown",
        'not-evaluated Node/odd: status.nodeInfo.kubeletVersion "latest" is not a Kubernetes version: kubelet not matched',
        'not-evaluated Node/odd: status.nodeInfo.containerRuntimeVersion "containerd:/1.7.2" is not runtime://version: the container runtime is not matched',
        "not-evaluated Node/odd: kernel x on Ubuntu 22.04 LTS: not an Ubuntu kernel release (X.Y.Z-ABI-flavour): kernel advisories not matched",
        'unsupported Node/gvisor: container runtime "gvisor://20240212": no advisory source is known for it; not matched',
        "missing Node/proto: status.nodeInfo.kubeletVersion is empty or not a string",
        "missing Node/proto: status.nodeInfo.containerRuntimeVersion is empty or not a string",
        "missing control plane: the control plane's version is unknown (no live /version, no ClusterVersion object, no kube-apiserver pod): control-plane advisories not matched",
      ]);
    });
  });
});

describe("matching and the upgrade plan", () => {
  it("gives each node's findings and the upgrade plan", () => {
    const r = report();
    expect(r.summary).toEqual({
      nodes: 9,
      controlPlanes: 1,
      vulnerableNodes: 6,
      findings: 23,
      bySeverity: { critical: 1, high: 16, medium: 6, low: 0, info: 0 },
    });
    expect(r.plan.map((p) => p.text)).toEqual([
      // The runc containerd 1.6.12's release builds bundle (1.1.4) is fixed by the containerd release bundling
      // runc 1.1.12: one step for those nodes, counting both.
      "3 nodes in pool gke/gpu-a run containerd 1.6.12: upgrade containerd to >= 1.6.28 (its release builds bundle runc >= 1.1.12, fixing runc 1.1.4), fixes 4 vulnerabilities (3 high, 1 medium)",
      "1 node runs linux-aws 5.15.0-1048: upgrade linux-aws to >= 5.15.0-1049.54 (a newer node image or kernel package), fixes 1 vulnerability (1 high)",
      "1 node in pool aks/win22 runs kubelet 1.27.3: upgrade kubelet to >= 1.27.8, fixes 1 vulnerability (1 high)",
      "1 node in pool eks/batch runs containerd 1.6.18: upgrade containerd to >= 1.6.28 (its release builds bundle runc >= 1.1.12, fixing runc 1.1.4), fixes 2 vulnerabilities (2 high)",
      "1 node runs kubelet 1.27.1: upgrade kubelet to >= 1.27.2, fixes 1 vulnerability (1 medium)",
      "the control plane of cluster prod runs kubernetes 1.27.1: upgrade the control plane to >= 1.27.2, fixes 1 vulnerability (1 medium)",
    ]);
    // CVE-2023-5528 is announced for Windows nodes: the Windows node has it, Linux kubelets of the same version do not.
    expect(r.findings.filter((f) => f.ruleId === "CVE-2023-5528").map((f) => f.resource.name)).toEqual([
      "akswin22000000",
    ]);
    expect(r.plan[0]).toEqual({
      pool: "gke/gpu-a",
      component: { role: "container-runtime", name: "containerd", version: "1.6.12" },
      targets: ["gke-prod-gpu-a-1", "gke-prod-gpu-a-2", "gke-prod-gpu-a-3"],
      upgradeTo: "1.6.28",
      advice: "upgrade containerd to >= 1.6.28 (its release builds bundle runc >= 1.1.12, fixing runc 1.1.4)",
      fixes: {
        vulnerabilities: ["CVE-2023-25153", "CVE-2023-25173", "CVE-2023-27561", "CVE-2024-21626"],
        bySeverity: { critical: 0, high: 3, medium: 1, low: 0, info: 0 },
      },
      unfixed: [],
      critical: [],
      severity: "high",
      bundled: { name: "runc", version: "1.1.4", upgradeTo: "1.1.12" },
      text: r.plan[0]?.text,
    });
    const gpu = r.nodes.find((n) => n.ref.name === "gke-prod-gpu-a-1");
    expect(gpu?.vulnerabilities).toEqual([
      { id: "CVE-2023-25153", component: "containerd 1.6.12", severity: "medium", fixedVersions: ["1.6.18"] },
      { id: "CVE-2023-25173", component: "containerd 1.6.12", severity: "high", fixedVersions: ["1.6.18"] },
      { id: "CVE-2023-27561", component: "runc 1.1.4", severity: "high", fixedVersions: ["1.1.5"] },
      { id: "CVE-2024-21626", component: "runc 1.1.4", severity: "high", fixedVersions: ["1.1.12"] },
    ]);
    expect(gpu?.privilegedDaemonSets).toEqual(["monitoring/node-agent"]);
    // Nodes on fixed versions have none: containerd 1.6.28 bundles runc 1.1.12, kubelet 1.27.8.
    expect(r.nodes.find((n) => n.ref.name === "gke-prod-general-1")?.vulnerabilities).toEqual([]);
  });

  it("places a finding on its Node with the component, pool and the vendor caveat", () => {
    const r = report();
    const f = r.findings.find(
      (x) => x.resource.name === "ip-10-0-1-23.eu-west-1.compute.internal" && x.ruleId === "CVE-2024-21626",
    );
    expect(f).toEqual({
      id: f?.id,
      ruleId: "CVE-2024-21626",
      title: "runc vulnerable to container breakout through process.cwd trickery and leaked fds",
      severity: "high",
      resource: { apiVersion: "v1", kind: "Node", name: "ip-10-0-1-23.eu-west-1.compute.internal" },
      fieldPath: "status.nodeInfo.containerRuntimeVersion",
      evidence: "containerd://1.6.18",
      message:
        "Node/ip-10-0-1-23.eu-west-1.compute.internal: runc 1.1.4 is affected by CVE-2024-21626 (GHSA-xr7r-f8xq-vfvv, GO-2024-2491): runc vulnerable to container breakout through process.cwd trickery and leaked fds [bundled with containerd 1.6.18 release builds (table: docs/node-components.md)]",
      remediation: "upgrade runc to >= 1.1.12: containerd >= 1.6.28 bundles it",
      compliance: [],
      category: "vulnerability",
      vulnerabilityId: "CVE-2024-21626",
      aliases: ["GHSA-xr7r-f8xq-vfvv", "GO-2024-2491"],
      package: {
        name: "github.com/opencontainers/runc",
        type: "golang",
        purl: "pkg:golang/github.com/opencontainers/runc@v1.1.4",
        ecosystem: "Go",
        lookupName: "github.com/opencontainers/runc",
      },
      installed: "1.1.4",
      fixedVersions: ["1.1.12"],
      cvss: {
        version: "3.1",
        vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
        score: 8.6,
        severity: "high",
      },
      severitySource: "cvss",
      summary: "runc vulnerable to container breakout through process.cwd trickery and leaked fds",
      advisories: ["GHSA-xr7r-f8xq-vfvv", "GO-2024-2491"],
      component: {
        role: "runc",
        name: "runc",
        raw: "containerd://1.6.18",
        version: "1.1.4",
        derivedFrom: "bundled with containerd 1.6.18 release builds (table: docs/node-components.md)",
      },
      pool: "eks/batch",
    });
    expect(f?.id).toMatch(/^[0-9a-f]{16,}$/);
    // CVE-2019-5736 (fixed in 1.0.0-rc7) is in the database and matches no node.
    expect(r.findings.filter((x) => x.ruleId === "CVE-2019-5736")).toEqual([]);
    // A vendor build is compared as its upstream release, and the finding says the vendor may have the fix.
    const eks = inventoryOf([
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "ip-10-0-2-7", labels: { "eks.amazonaws.com/nodegroup": "ng-1" } },
        status: {
          nodeInfo: {
            kubeletVersion: "v1.27.1-eks-2f008fe",
            containerRuntimeVersion: "containerd://1.6.28",
            operatingSystem: "linux",
            osImage: "Amazon Linux 2023",
          },
        },
      },
    ]);
    const vendor = report(fixtureRecords(), eks).findings.filter((x) => x.category === "vulnerability");
    expect(vendor.map((x) => x.message)).toEqual([
      "Node/ip-10-0-2-7: kubelet 1.27.1 (reported v1.27.1-eks-2f008fe) is affected by CVE-2023-2728 (GHSA-cgcv-5272-97pr): Kubernetes mountable secrets policy bypass with ephemeral containers [a vendor build (-eks-2f008fe) may carry the fix backported: check the vendor's bulletin]",
    ]);
  });

  it("reports host findings and an Ubuntu kernel fix inside the running ABI as not determinable", () => {
    const r = report();
    expect(
      r.findings
        .filter((f) => f.ruleId.startsWith("PAL-NODE-"))
        .map((f) => [f.ruleId, f.resource.name, f.evidence]),
    ).toEqual([
      ["PAL-NODE-001", "ip-10-0-1-23.eu-west-1.compute.internal", "Amazon Linux 2"],
      ["PAL-NODE-001", "legacy-1", "Ubuntu 18.04.6 LTS"],
      ["PAL-NODE-002", "legacy-1", "true"],
      ["PAL-NODE-003", "legacy-1", "10255"],
      ["PAL-NODE-004", "legacy-1", "AlwaysAllow"],
    ]);
    expect(r.coverage.filter((c) => c.subject?.includes("linux-aws"))).toEqual([
      {
        reason: "not-evaluated",
        subject: "Node/worker-1 linux-aws: UBUNTU-CVE-2023-42752",
        message:
          "fixed in 5.15.0-1048.53, inside the running ABI 5.15.0-1048: whether this node has the fix cannot be told from kernelVersion",
      },
    ]);
    expect(r.hostAccess).toEqual([
      {
        daemonSet: { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "monitoring", name: "node-agent" },
        rules: ["PAL-POD-001", "PAL-POD-039"],
        nodes: ["gke-prod-gpu-a-1", "gke-prod-gpu-a-2", "worker-1"],
      },
    ]);
    expect(formatNodesTable(r)).toContain(
      "Upgrade plan:\n  1. [HIGH] 3 nodes in pool gke/gpu-a run containerd 1.6.12",
    );
  });

  it("matches a Kubernetes advisory only to the components its component-named record names", () => {
    const apiserver = parseOsvRecord(
      {
        id: "CVE-2023-2728",
        modified: "2023-07-06T19:24:09Z",
        summary: "Bypassing mountable secrets policy imposed by the ServiceAccount admission plugin",
        affected: [
          {
            package: { ecosystem: "kubernetes", name: "k8s.io/apiserver" },
            ranges: [{ type: "SEMVER", events: [{ introduced: "1.27.0" }, { fixed: "1.27.2" }] }],
          },
        ],
      },
      "x",
    ).record as OsvRecord;
    const r = report([...fixtureRecords(), apiserver]);
    const on2728 = r.findings.filter((f) => f.ruleId === "CVE-2023-2728").map((f) => f.resource.kind);
    // Without the component record, the Go record for k8s.io/kubernetes also matched worker-1's kubelet 1.27.1.
    expect(on2728).toEqual(["Cluster"]);
    const without = report()
      .findings.filter((f) => f.ruleId === "CVE-2023-2728")
      .map((f) => f.resource.name);
    expect(without).toEqual(["prod", "worker-1"]);
  });

  it("matches nothing and says so when no database is given", () => {
    const inv = fixtureInventory();
    const r = buildNodesReport(inv, { version: "test", now: NOW });
    expect(r.findings.every((f) => f.ruleId.startsWith("PAL-NODE-"))).toBe(true);
    expect(r.coverage.find((c) => c.subject === "node components")?.reason).toBe("not-evaluated");
  });

  it("matches each distinct component version once, deterministically", () => {
    const { infra } = buildInfraInventory(fixtureInventory());
    const a = matchInfra(infra, index(fixtureRecords()));
    const b = matchInfra(infra, index([...fixtureRecords()].reverse()));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});

describe("vuln impact through nodes", () => {
  it("lists the nodes running the vulnerable runc and every workload scheduled on them", () => {
    const inv = fixtureInventory();
    const vulns = analyzeNodes(inv, { now: NOW, advisories: index(fixtureRecords()) }).vulns;
    const answer = infraImpact(vulns, inv, "ghsa-xr7r-f8xq-vfvv");
    expect(answer).toEqual({
      vulnerabilityId: "CVE-2024-21626",
      aliases: ["GHSA-xr7r-f8xq-vfvv", "GO-2024-2491"],
      severity: "high",
      nodes: [
        {
          name: "gke-prod-gpu-a-1",
          pool: "gke/gpu-a",
          component: "runc 1.1.4",
          fixedVersions: ["1.1.12"],
          remediation: "upgrade runc to >= 1.1.12: containerd >= 1.6.28 bundles it",
        },
        {
          name: "gke-prod-gpu-a-2",
          pool: "gke/gpu-a",
          component: "runc 1.1.4",
          fixedVersions: ["1.1.12"],
          remediation: "upgrade runc to >= 1.1.12: containerd >= 1.6.28 bundles it",
        },
        {
          name: "gke-prod-gpu-a-3",
          pool: "gke/gpu-a",
          component: "runc 1.1.4",
          fixedVersions: ["1.1.12"],
          remediation: "upgrade runc to >= 1.1.12: containerd >= 1.6.28 bundles it",
        },
        {
          name: "ip-10-0-1-23.eu-west-1.compute.internal",
          pool: "eks/batch",
          component: "runc 1.1.4",
          fixedVersions: ["1.1.12"],
          remediation: "upgrade runc to >= 1.1.12: containerd >= 1.6.28 bundles it",
        },
      ],
      controlPlanes: [],
      workloads: [
        {
          ref: { apiVersion: "v1", kind: "Pod", namespace: "batch", name: "report-1" },
          nodes: ["ip-10-0-1-23.eu-west-1.compute.internal"],
        },
        {
          ref: { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "monitoring", name: "node-agent" },
          nodes: ["gke-prod-gpu-a-1", "gke-prod-gpu-a-2"],
        },
        {
          ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "payments", name: "api" },
          team: "payments",
          nodes: ["gke-prod-gpu-a-1"],
        },
      ],
      totals: { nodes: 4, controlPlanes: 0, workloads: 3, pods: 4 },
    });
    expect(infraImpact(vulns, inv, "CVE-2019-5736")).toEqual({
      aliases: [],
      nodes: [],
      controlPlanes: [],
      workloads: [],
      totals: { nodes: 0, controlPlanes: 0, workloads: 0, pods: 0 },
    });
  });
});
