import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { kubeTestsEnabled, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * Issue 20 against a real kube-apiserver: the control plane's version is the server's own `/version`, Nodes
 * created with status (the API allows it on create) are matched, `nodes/{name}/proxy/configz` is answered by the
 * real server (no kubelet runs: the proxy cannot reach one) or refused by real RBAC, and `vuln impact` reaches the
 * pods bound to the affected node.
 */

const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const FIXTURES = "src/core/nodes/__fixtures__";

const nodeInfo = (kubelet: string, runtime: string) => ({
  architecture: "amd64",
  bootID: "",
  containerRuntimeVersion: runtime,
  kernelVersion: "5.15.0-1048-aws",
  kubeProxyVersion: kubelet,
  kubeletVersion: kubelet,
  machineID: "",
  operatingSystem: "linux",
  osImage: "Ubuntu 22.04.3 LTS",
  systemUUID: "",
});

describe.runIf(kubeTestsEnabled())("node components of a real kube-apiserver", () => {
  let c: RealCluster;
  const dir = mkdtempSync(join(tmpdir(), "palisade-kube-nodes-"));
  const DB = join(dir, "palisade.db");
  const cli = (argv: string[]) =>
    runCli(argv, { env: { PALISADE_DB: DB }, now: new Date("2026-12-04T00:00:00Z") });

  beforeAll(async () => {
    c = await startCluster({ users: { ops: ["ops"] } });
    const create = async (path: string, body: unknown) => {
      const r = await c.api("POST", path, body);
      if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    await create("/api/v1/nodes", {
      metadata: { name: "pool-a-1", labels: { "cloud.google.com/gke-nodepool": "pool-a" } },
      status: { nodeInfo: nodeInfo("v1.33.1", "containerd://1.6.12") },
    });
    await create("/api/v1/nodes", {
      metadata: { name: "pool-b-1", labels: { "cloud.google.com/gke-nodepool": "pool-b" } },
      status: { nodeInfo: nodeInfo("v1.33.1", "containerd://1.7.13") },
    });
    await create("/api/v1/namespaces", { metadata: { name: "shop" } });
    await create("/api/v1/namespaces/shop/pods", {
      metadata: { name: "cart" },
      spec: { nodeName: "pool-a-1", containers: [{ name: "app", image: "shop/cart:1" }] },
    });
    // ops: reads every kind the live read lists, but not nodes/proxy.
    await create(`${RBAC}/clusterroles`, {
      metadata: { name: "ops-read" },
      rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["get", "list"] }],
    });
    await create(`${RBAC}/clusterroles`, {
      metadata: { name: "ops-no-proxy" },
      rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list"] }],
    });
    await create(`${RBAC}/clusterrolebindings`, {
      metadata: { name: "ops" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "ops-no-proxy" },
      subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "ops" }],
    });
    const imported = await cli([
      "vuln",
      "db",
      "import",
      join(FIXTURES, "advisories"),
      "src/core/vuln/__fixtures__/k8s-official-cve-feed.json",
    ]);
    if (imported.code !== 0) throw new Error(imported.stderr);
  }, 300_000);

  afterAll(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes the control plane's version from the server's /version and matches the nodes it lists", async () => {
    const version = (await c.api("GET", "/version")).body.gitVersion as string;
    const r = await cli(["vuln", "nodes", "--kubeconfig", c.kubeconfig("admin"), "-o", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      controlPlanes: { source: string; component: { raw: string } }[];
      nodes: { ref: { name: string }; vulnerabilities: { id: string }[] }[];
      coverage: { reason: string; subject?: string; message: string }[];
    };
    expect(doc.controlPlanes.map((cp) => [cp.source, cp.component.raw])).toEqual([["live", version]]);
    expect(doc.nodes.map((n) => [n.ref.name, n.vulnerabilities.map((v) => v.id)])).toEqual([
      // containerd 1.6.12, its kernel, the runc it bundles (1.1.4), in that order.
      [
        "pool-a-1",
        ["CVE-2023-25153", "CVE-2023-25173", "UBUNTU-CVE-2023-4623", "CVE-2023-27561", "CVE-2024-21626"],
      ],
      ["pool-b-1", ["UBUNTU-CVE-2023-4623"]],
    ]);
    // No kubelet runs: the server's node proxy cannot reach one, and says so; nothing is assumed.
    const configz = doc.coverage.filter((e) =>
      e.message.startsWith("kubelet configuration of 2 node(s) not read"),
    );
    expect(configz[0]).toEqual({
      reason: "not-evaluated",
      subject: "cluster:real",
      kind: "Node",
      message:
        "kubelet configuration of 2 node(s) not read (e.g. pool-a-1, pool-b-1): the API server answered HTTP 500 (kubelet unreachable through the API server proxy?)",
    });
  });

  it("reports nodes/proxy refused by RBAC as coverage", async () => {
    const r = await cli(["vuln", "nodes", "--kubeconfig", c.kubeconfig("ops"), "-o", "json"]);
    const doc = JSON.parse(r.stdout) as { coverage: { message: string }[] };
    expect(doc.coverage.map((e) => e.message)).toContain(
      "kubelet configuration of 2 node(s) not read (e.g. pool-a-1, pool-b-1): RBAC forbade get on nodes/proxy (403)",
    );
  });

  it("vuln impact of the runc advisory lists the node and the pod bound to it", async () => {
    const r = await cli([
      "vuln",
      "impact",
      "CVE-2024-21626",
      "--kubeconfig",
      c.kubeconfig("admin"),
      "-o",
      "json",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      infrastructure: {
        nodes: { name: string; pool?: string }[];
        workloads: { ref: unknown; nodes: string[] }[];
      };
    };
    expect(doc.infrastructure.nodes.map((n) => [n.name, n.pool])).toEqual([["pool-a-1", "gke/pool-a"]]);
    expect(doc.infrastructure.workloads).toEqual([
      {
        ref: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "cart" },
        cluster: expect.any(String),
        nodes: ["pool-a-1"],
      },
    ]);
  });
});
