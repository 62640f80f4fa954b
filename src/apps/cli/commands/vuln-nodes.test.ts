import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const FIXTURES = "src/core/nodes/__fixtures__";
const SNAPSHOT = join(FIXTURES, "cluster.json");
const dir = mkdtempSync(join(tmpdir(), "palisade-nodes-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DB = join(dir, "palisade.db");
const cli = (argv: string[]) =>
  runCli(argv, { env: { PALISADE_DB: DB }, now: new Date("2026-12-04T00:00:00Z") });

describe("palisade vuln nodes", () => {
  it("refuses to run without a vulnerability database", async () => {
    const r = await cli(["vuln", "nodes", "--snapshot", SNAPSHOT, "--db", join(dir, "none.db")]);
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toContain("no vulnerability database at");
  });

  it("imports OSV records and the Kubernetes official CVE feed into one store", async () => {
    const r = await cli([
      "vuln",
      "db",
      "import",
      join(FIXTURES, "advisories"),
      "src/core/vuln/__fixtures__/k8s-official-cve-feed.json",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^imported 13 records from 11 files in \d+ ms: 13 written, 0 unchanged, 1 problems\n$/,
    );
  });

  it("gives each node's findings and the upgrade plan, deterministic JSON", async () => {
    const r = await cli(["vuln", "nodes", "--snapshot", SNAPSHOT, "-o", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      schemaVersion: string;
      summary: unknown;
      plan: { text: string }[];
      nodes: { ref: { name: string }; vulnerabilities: { id: string }[] }[];
      coverage: { reason: string }[];
    };
    expect(doc.schemaVersion).toBe("palisade.dev/nodes-report/v1");
    expect(doc.plan.map((p) => p.text)).toEqual([
      "3 nodes in pool gke/gpu-a run containerd 1.6.12: upgrade containerd to >= 1.6.28 (its release builds bundle runc >= 1.1.12, fixing runc 1.1.4), fixes 4 vulnerabilities (3 high, 1 medium)",
      "1 node runs linux-aws 5.15.0-1048: upgrade linux-aws to >= 5.15.0-1049.54 (a newer node image or kernel package), fixes 1 vulnerability (1 high)",
      // With the official feed: CVE-2023-3676 (fixed 1.27.5) and CVE-2024-9042, whose announcement lists every
      // version <= 1.29.12 as affected and 1.29.13 as the oldest fix. All three are Windows-only: Linux nodes of
      // the same kubelet version have none of them.
      "1 node in pool aks/win22 runs kubelet 1.27.3: upgrade kubelet to >= 1.29.13, fixes 3 vulnerabilities (2 high, 1 medium)",
      "1 node in pool eks/batch runs containerd 1.6.18: upgrade containerd to >= 1.6.28 (its release builds bundle runc >= 1.1.12, fixing runc 1.1.4), fixes 2 vulnerabilities (2 high)",
      "1 node runs kubelet 1.27.1: upgrade kubelet to >= 1.27.2, fixes 1 vulnerability (1 medium)",
      "the control plane of cluster prod runs kubernetes 1.27.1: upgrade the control plane to >= 1.27.2, fixes 1 vulnerability (1 medium)",
    ]);
    const gpu = ["CVE-2023-25153", "CVE-2023-25173", "CVE-2023-27561", "CVE-2024-21626"];
    expect(
      Object.fromEntries(doc.nodes.map((n) => [n.ref.name, n.vulnerabilities.map((v) => v.id)])),
    ).toEqual({
      akswin22000000: ["CVE-2023-3676", "CVE-2023-5528", "CVE-2024-9042"],
      "gke-prod-general-1": [],
      "gke-prod-gpu-a-1": gpu,
      "gke-prod-gpu-a-2": gpu,
      "gke-prod-gpu-a-3": gpu,
      "ip-10-0-1-23.eu-west-1.compute.internal": ["CVE-2023-27561", "CVE-2024-21626"],
      "legacy-1": [],
      "ocp-worker-1": [],
      // containerd 1.6.20-0ubuntu1~22.04.1 is Ubuntu's build: its runc is a separate package, not inferred.
      "worker-1": ["UBUNTU-CVE-2023-4623", "CVE-2023-2728"],
    });
    const again = await cli(["vuln", "nodes", "--snapshot", SNAPSHOT, "-o", "json"]);
    expect(again.stdout).toBe(r.stdout);
  });

  it("prints the plan as a table and fails at a severity", async () => {
    const r = await cli(["vuln", "nodes", "--snapshot", SNAPSHOT, "--fail-on", "critical"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Upgrade plan:\n  1. [HIGH] 3 nodes in pool gke/gpu-a run containerd 1.6.12");
    expect(r.stdout).toContain(
      "[CRITICAL] PAL-NODE-004 the kubelet of Node legacy-1 authorizes every request (AlwaysAllow)",
    );
  });

  it("vuln impact of the runc advisory lists the affected nodes and the workloads scheduled on them", async () => {
    const r = await cli(["vuln", "impact", "GHSA-xr7r-f8xq-vfvv", "--snapshot", SNAPSHOT, "-o", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      infrastructure: {
        vulnerabilityId: string;
        nodes: { name: string }[];
        workloads: { ref: { namespace: string; name: string }; nodes: string[] }[];
        totals: unknown;
      };
    };
    expect(doc.infrastructure.vulnerabilityId).toBe("CVE-2024-21626");
    expect(doc.infrastructure.nodes.map((n) => n.name)).toEqual([
      "gke-prod-gpu-a-1",
      "gke-prod-gpu-a-2",
      "gke-prod-gpu-a-3",
      "ip-10-0-1-23.eu-west-1.compute.internal",
    ]);
    expect(
      doc.infrastructure.workloads.map((w) => `${w.ref.namespace}/${w.ref.name} on ${w.nodes.join(",")}`),
    ).toEqual([
      "batch/report-1 on ip-10-0-1-23.eu-west-1.compute.internal",
      "monitoring/node-agent on gke-prod-gpu-a-1,gke-prod-gpu-a-2",
      "payments/api on gke-prod-gpu-a-1",
    ]);
    expect(doc.infrastructure.totals).toEqual({ nodes: 4, controlPlanes: 0, workloads: 3, pods: 4 });
    const table = await cli(["vuln", "impact", "CVE-2024-21626", "--snapshot", SNAPSHOT]);
    expect(table.stdout).toContain(
      "Node components: 4 node(s), 0 control plane(s), 3 workload(s) with 4 pod(s) on those nodes\n",
    );
    expect(table.stdout).toContain(
      "  workload payments/Deployment/api (team payments) on gke-prod-gpu-a-1\n",
    );
  });

  it("vuln impact of a control-plane advisory names the cluster's control plane", async () => {
    const r = await cli(["vuln", "impact", "CVE-2023-2728", "--snapshot", SNAPSHOT, "-o", "json"]);
    const doc = JSON.parse(r.stdout) as {
      infrastructure: { controlPlanes: unknown; nodes: { name: string }[] };
    };
    expect(doc.infrastructure.controlPlanes).toEqual([
      { cluster: "prod", component: "kubernetes 1.27.1", fixedVersions: ["1.27.2"] },
    ]);
    // The Go record names k8s.io/kubernetes as a whole: without a component-named record it reaches kubelets too.
    expect(doc.infrastructure.nodes.map((n) => n.name)).toEqual(["worker-1"]);
  });

  it("scan --nodes reports the same findings, in the scan report's one finding shape", async () => {
    const r = await cli([
      "scan",
      "--snapshot",
      SNAPSHOT,
      "--nodes",
      "-o",
      "json",
      "--severity",
      "critical,high",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      findings: { ruleId: string; resource: { kind: string; name: string }; category: string }[];
    };
    const onNodes = doc.findings
      .filter((f) => f.resource.kind === "Node")
      .map((f) => `${f.ruleId} ${f.resource.name}`)
      .sort();
    expect(onNodes).toEqual([
      "CVE-2023-25173 gke-prod-gpu-a-1",
      "CVE-2023-25173 gke-prod-gpu-a-2",
      "CVE-2023-25173 gke-prod-gpu-a-3",
      "CVE-2023-27561 gke-prod-gpu-a-1",
      "CVE-2023-27561 gke-prod-gpu-a-2",
      "CVE-2023-27561 gke-prod-gpu-a-3",
      "CVE-2023-27561 ip-10-0-1-23.eu-west-1.compute.internal",
      "CVE-2023-3676 akswin22000000",
      "CVE-2023-5528 akswin22000000",
      "CVE-2024-21626 gke-prod-gpu-a-1",
      "CVE-2024-21626 gke-prod-gpu-a-2",
      "CVE-2024-21626 gke-prod-gpu-a-3",
      "CVE-2024-21626 ip-10-0-1-23.eu-west-1.compute.internal",
      "PAL-NODE-001 ip-10-0-1-23.eu-west-1.compute.internal",
      "PAL-NODE-001 legacy-1",
      "PAL-NODE-002 legacy-1",
      "PAL-NODE-004 legacy-1",
      "UBUNTU-CVE-2023-4623 worker-1",
    ]);
    // Without --nodes the scan is what it was: no node findings.
    const plain = JSON.parse(
      (await cli(["scan", "--snapshot", SNAPSHOT, "-o", "json"])).stdout,
    ) as typeof doc;
    expect(plain.findings.filter((f) => f.resource.kind === "Node")).toEqual([]);
  });
});
