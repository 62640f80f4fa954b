import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_KINDS, listPath, loadLiveCluster } from "../../src/adapters/kube/index.js";
import { runCli } from "../support/cli.js";
import { inBatches, kubeTestsEnabled, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * Issue 13: the live read against a real kube-apiserver (no double): real discovery, pagination with a small page
 * size, and 403s for a user with partial RBAC reported as coverage, each checked against what the server itself
 * answers (its unpaginated lists and its SubjectAccessReviews).
 */

const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const SECRET_VALUE = "aHVudGVyMi1yZWFsLXNlcnZlcg==";

describe.runIf(kubeTestsEnabled())("live read of a real kube-apiserver", () => {
  let c: RealCluster;

  beforeAll(async () => {
    c = await startCluster({ users: { reader: ["readers"] } });
    const create = async (path: string, body: unknown) => {
      const r = await c.api("POST", path, body);
      if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    for (const ns of ["team-a", "team-b"])
      await create("/api/v1/namespaces", { metadata: { name: ns, labels: { team: ns } } });
    const pods = [];
    for (let i = 0; i < 7; i++)
      pods.push({
        ns: i % 2 ? "team-a" : "team-b",
        body: {
          metadata: { name: `web-${i}` },
          spec: {
            containers: [{ name: "app", image: `nginx:1.${i}`, securityContext: { privileged: i === 3 } }],
          },
        },
      });
    await inBatches(pods, 4, (p) => create(`/api/v1/namespaces/${p.ns}/pods`, p.body));
    await create("/apis/apps/v1/namespaces/team-a/deployments", {
      metadata: { name: "api" },
      spec: {
        selector: { matchLabels: { app: "api" } },
        template: {
          metadata: { labels: { app: "api" } },
          spec: { containers: [{ name: "c", image: "api:1" }] },
        },
      },
    });
    await create("/api/v1/namespaces/team-a/secrets", {
      metadata: { name: "db" },
      data: { password: SECRET_VALUE },
    });
    // reader (group readers): list pods and namespaces cluster-wide, configmaps in team-a only; nothing else.
    await create(`${RBAC}/clusterroles`, {
      metadata: { name: "pod-reader" },
      rules: [{ apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list"] }],
    });
    await create(`${RBAC}/clusterrolebindings`, {
      metadata: { name: "readers-pods" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pod-reader" },
      subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "readers" }],
    });
    await create(`${RBAC}/namespaces/team-a/roles`, {
      metadata: { name: "cm-reader" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }],
    });
    await create(`${RBAC}/namespaces/team-a/rolebindings`, {
      metadata: { name: "reader-cm" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "reader" }],
    });
  }, 300_000);

  afterAll(async () => {
    await c?.stop();
  });

  it("as admin with 2 objects per page: every object the server lists, and nothing unserved (real discovery)", async () => {
    const r = await loadLiveCluster({ kubeconfig: c.kubeconfig("admin"), pageSize: 2 });
    expect(r.coverage).toEqual([]);
    // The server's own answer, unpaginated, kind by kind.
    for (const k of LIVE_KINDS) {
      const truth = await c.api("GET", listPath(k, undefined));
      const names = ((truth.body.items ?? []) as { metadata: { namespace?: string; name: string } }[])
        .map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`)
        .sort();
      const read = r.objects
        .filter((o) => o.object.kind === k.kind)
        .map((o) => {
          const m = o.object.metadata as { namespace?: string; name: string };
          return `${m.namespace ?? ""}/${m.name}`;
        })
        .sort();
      expect({ kind: k.kind, names: read }).toEqual({ kind: k.kind, names });
    }
    const pods = r.objects.filter((o) => o.object.kind === "Pod");
    expect(pods).toHaveLength(7);
    expect(pods[0]?.object).toMatchObject({ apiVersion: "v1", kind: "Pod" });
    // Secret values never kept; managedFields dropped at load.
    expect(JSON.stringify(r.objects)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify(r.objects)).not.toContain("managedFields");
    // The audit log shows the pages: pods listed with limit=2 and continue tokens.
    const audit = readFileSync(c.auditLog, "utf8")
      .split("\n")
      .filter((l) => l.includes('"/api/v1/pods?limit=2'))
      .map((l) => JSON.parse(l) as { requestURI: string; user: { username: string } });
    const uris = [...new Set(audit.map((a) => a.requestURI))];
    expect(uris.length).toBeGreaterThanOrEqual(4);
    expect(uris.filter((u) => u.includes("&continue=")).length).toBe(uris.length - 1);
    expect(new Set(audit.map((a) => a.user.username))).toEqual(new Set(["admin"]));
  });

  it("as a user with partial RBAC: each kind is read or reported forbidden exactly as the server authorizes it", async () => {
    const r = await loadLiveCluster({ kubeconfig: c.kubeconfig("reader"), pageSize: 3 });
    // The server's answer: may `reader` (group readers) list each kind cluster-wide?
    const allowed = await inBatches(LIVE_KINDS, 8, async (k) => {
      const sar = await c.api("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        spec: {
          user: "reader",
          groups: ["readers", "system:authenticated"],
          resourceAttributes: {
            verb: "list",
            group: k.apiVersion.includes("/") ? k.apiVersion.split("/")[0] : "",
            resource: k.resource,
          },
        },
      });
      return (sar.body.status as { allowed?: boolean }).allowed === true;
    });
    const expected = LIVE_KINDS.map((k, i) => [k.kind, allowed[i] ? "read" : "forbidden"]);
    const forbidden = new Set(r.coverage.filter((e) => e.reason === "forbidden").map((e) => e.kind));
    expect(LIVE_KINDS.map((k) => [k.kind, forbidden.has(k.kind) ? "forbidden" : "read"])).toEqual(expected);
    expect(r.coverage.every((e) => e.reason === "forbidden")).toBe(true);
    expect(r.coverage.find((e) => e.kind === "Secret")?.message).toBe(
      'RBAC forbade listing secrets cluster-wide (secrets is forbidden: User "reader" cannot list resource "secrets" in API group "" at the cluster scope)',
    );
    expect(r.objects.filter((o) => o.object.kind === "Pod")).toHaveLength(7);
    // Only in team-a may reader list ConfigMaps: with -n team-a that kind is read.
    const inA = await loadLiveCluster({ kubeconfig: c.kubeconfig("reader"), namespace: "team-a" });
    expect(inA.coverage.some((e) => e.kind === "ConfigMap")).toBe(false);
    expect(inA.coverage.find((e) => e.kind === "Secret")).toMatchObject({
      reason: "forbidden",
      namespace: "team-a",
    });
  });

  it("a token the server does not know: every kind is reported as rejected credentials (401), nothing read", async () => {
    const bad = c.kubeconfig("nobody-in-the-token-file");
    const r = await loadLiveCluster({ kubeconfig: bad });
    expect(r.objects).toEqual([]);
    expect(r.coverage.map((e) => [e.reason, e.kind])).toEqual(LIVE_KINDS.map((k) => ["forbidden", k.kind]));
    expect(r.coverage[0]?.message).toBe(
      "the API server rejected the credentials (401) listing namespaces cluster-wide",
    );
    await expect(loadLiveCluster({ kubeconfig: bad, context: "nope" })).rejects.toMatchObject({
      code: "USAGE",
    });
  });

  it("-n team-a as admin: that namespace by name, its objects only, Secret values dropped", async () => {
    const r = await loadLiveCluster({ kubeconfig: c.kubeconfig("admin"), namespace: "team-a" });
    expect(r.coverage).toEqual([]);
    const namespaced = r.objects.filter(
      (o) =>
        o.object.kind !== "Namespace" &&
        o.object.kind !== "Node" &&
        !String(o.object.kind).startsWith("Cluster"),
    );
    expect(new Set(namespaced.map((o) => (o.object.metadata as { namespace: string }).namespace))).toEqual(
      new Set(["team-a"]),
    );
    expect(
      r.objects
        .filter((o) => o.object.kind === "Namespace")
        .map((o) => (o.object.metadata as { name: string }).name),
    ).toEqual(["team-a"]);
    expect(r.objects.find((o) => o.object.kind === "Secret")?.object).toMatchObject({
      data: { password: "(redacted)" },
    });
    expect(JSON.stringify(r.objects)).not.toContain(SECRET_VALUE);
  });

  it("palisade scan --kubeconfig as the partial user: findings on what was read, the 403s as coverage, run incomplete", async () => {
    const r = await runCli([
      "scan",
      "--kubeconfig",
      c.kubeconfig("reader"),
      "--chunk-size",
      "2",
      "-o",
      "json",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("incomplete");
    const report = JSON.parse(r.stdout) as {
      findings: { ruleId: string; resource: { kind: string; name: string } }[];
      coverage: { reason: string; kind?: string }[];
    };
    expect(report.findings.some((f) => f.resource.kind === "Pod" && f.resource.name === "web-3")).toBe(true);
    expect(report.coverage.filter((e) => e.reason === "forbidden").map((e) => e.kind)).toContain("Secret");
    expect(r.stdout).not.toContain(c.token("reader"));
  });
});
