import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_KINDS, loadLiveCluster } from "../../src/adapters/kube/index.js";
import { buildInventory } from "../../src/core/inventory/index.js";
import { runCli } from "../support/cli.js";
import { makeTestCerts } from "../support/tls.js";

const TOKEN = "test-token-8c1f";

function kubeconfig(server: string, ca: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: test",
    "    cluster:",
    `      server: ${server}`,
    `      certificate-authority: ${ca}`,
    "users:",
    "  - name: tester",
    "    user:",
    `      token: ${TOKEN}`,
    "contexts:",
    "  - name: test-ctx",
    "    context: {cluster: test, user: tester}",
    "  - name: other-ctx",
    "    context: {cluster: test, user: tester}",
    "current-context: test-ctx",
    "",
  ].join("\n");
}

const list = (kind: string, items: unknown[], cont?: string) =>
  JSON.stringify({
    kind: `${kind}List`,
    apiVersion: "v1",
    metadata: cont === undefined ? { resourceVersion: "1" } : { resourceVersion: "1", continue: cont },
    items,
  });

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code });

interface Seen {
  path: string;
  auth: string | undefined;
}

/** Serves the Kubernetes list API: paginated namespaces, pods, a 403 for Secrets, a 404 for networking.k8s.io. */
function handler(seen: Seen[]) {
  return (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const url = new URL(req.url ?? "/", "https://x");
    seen.push({ path: url.pathname + url.search, auth: req.headers.authorization });
    const send = (code: number, body: string) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(body);
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return send(401, status(401, "Unauthorized", "Unauthorized"));
    const p = url.pathname;
    const cont = url.searchParams.get("continue");
    if (p === "/api/v1/namespaces") {
      if (cont === null)
        return send(
          200,
          list("Namespace", [{ metadata: { name: "team-a", labels: { team: "alpha" } } }], "page-2"),
        );
      if (cont === "page-2") return send(200, list("Namespace", [{ metadata: { name: "team-b" } }]));
      return send(410, status(410, "Expired", "continue token expired"));
    }
    if (p === "/api/v1/namespaces/team-a") return send(200, JSON.stringify({ metadata: { name: "team-a" } }));
    if (p === "/api/v1/pods" || p === "/api/v1/namespaces/team-a/pods") {
      return send(
        200,
        list("Pod", [
          {
            metadata: { name: "web-1", namespace: "team-a" },
            spec: { containers: [{ name: "app", image: "nginx:1.25" }] },
          },
        ]),
      );
    }
    if (p === "/api/v1/secrets")
      return send(
        403,
        status(
          403,
          "Forbidden",
          'secrets is forbidden: User "tester" cannot list resource "secrets" at the cluster scope',
        ),
      );
    if (p === "/api/v1/namespaces/team-a/secrets")
      return send(
        200,
        list("Secret", [
          { metadata: { name: "db", namespace: "team-a" }, data: { password: "aHVudGVyMg==" } },
        ]),
      );
    if (p.startsWith("/apis/networking.k8s.io/"))
      return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    return send(200, list("X", []));
  };
}

describe("live cluster against a local HTTPS test double of the Kubernetes API", () => {
  let dir: string;
  let server: Server;
  let kc: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-kube-"));
    const certs = makeTestCerts(dir);
    server = createServer({ key: readFileSync(certs.key), cert: readFileSync(certs.cert) }, handler(seen));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    kc = join(dir, "kubeconfig");
    writeFileSync(kc, kubeconfig(`https://127.0.0.1:${port}`, certs.ca));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists every kind, follows pagination, and reports 403 and 404 as coverage", async () => {
    seen.length = 0;
    const r = await loadLiveCluster({ kubeconfig: kc });
    expect(r.objects.map((o) => ({ object: o.object, source: o.source, cluster: o.cluster }))).toEqual([
      {
        object: {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: "team-a", labels: { team: "alpha" } },
        },
        source: { file: "cluster:test-ctx", line: 0, column: 0, index: 0 },
        cluster: "test-ctx",
      },
      {
        object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-b" } },
        source: { file: "cluster:test-ctx", line: 0, column: 0, index: 1 },
        cluster: "test-ctx",
      },
      {
        object: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "web-1", namespace: "team-a" },
          spec: { containers: [{ name: "app", image: "nginx:1.25" }] },
        },
        source: { file: "cluster:test-ctx", line: 0, column: 0, index: 0 },
        cluster: "test-ctx",
      },
    ]);
    expect(r.coverage).toEqual([
      {
        reason: "unserved",
        message:
          "networking.k8s.io/v1 networkpolicies is not served by this cluster (404 on /apis/networking.k8s.io/v1/networkpolicies)",
        subject: "cluster:test-ctx",
        kind: "NetworkPolicy",
      },
      {
        reason: "unserved",
        message:
          "networking.k8s.io/v1 ingresses is not served by this cluster (404 on /apis/networking.k8s.io/v1/ingresses)",
        subject: "cluster:test-ctx",
        kind: "Ingress",
      },
      {
        reason: "forbidden",
        message:
          'RBAC forbade listing secrets cluster-wide (secrets is forbidden: User "tester" cannot list resource "secrets" at the cluster scope)',
        subject: "cluster:test-ctx",
        kind: "Secret",
      },
    ]);
    // The probe (/version), discovery (/apis), one request per kind plus the second namespace page; every one
    // carried the bearer token.
    expect(seen.slice(0, 2).map((s) => s.path)).toEqual(["/version", "/apis"]);
    expect(seen).toHaveLength(2 + LIVE_KINDS.length + 1);
    expect(seen.every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(seen.map((s) => s.path).filter((p) => p.startsWith("/api/v1/namespaces"))).toEqual([
      "/api/v1/namespaces?limit=500",
      "/api/v1/namespaces?limit=500&continue=page-2",
    ]);
    const inv = buildInventory(r.objects);
    expect(inv.workloads.map((w) => [w.ref, w.team])).toEqual([
      [{ apiVersion: "v1", kind: "Pod", namespace: "team-a", name: "web-1" }, "alpha"],
    ]);
  });

  it("with a namespace and a context: reads that namespace only and drops Secret values", async () => {
    seen.length = 0;
    const r = await loadLiveCluster({ kubeconfig: kc, context: "other-ctx", namespace: "team-a" });
    expect(r.objects.filter((o) => o.object.kind === "Secret").map((o) => o.object)).toEqual([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db", namespace: "team-a" },
        data: { password: "(redacted)" },
      },
    ]);
    expect(JSON.stringify(r.objects)).not.toContain("aHVudGVyMg==");
    expect(r.objects.map((o) => `${o.object.kind}/${(o.object.metadata as { name: string }).name}`)).toEqual([
      "Namespace/team-a",
      "Pod/web-1",
      "Secret/db",
    ]);
    expect(r.objects[0]?.source?.file).toBe("cluster:other-ctx");
    const paths = seen.map((s) => s.path);
    expect(paths).toContain("/api/v1/namespaces/team-a");
    expect(paths).toContain("/api/v1/namespaces/team-a/pods?limit=500");
    expect(paths).toContain("/apis/rbac.authorization.k8s.io/v1/clusterroles?limit=500");
    expect(paths.filter((p) => p.startsWith("/api/v1/pods"))).toEqual([]);
    expect(r.coverage.map((c) => [c.reason, c.kind, c.namespace])).toEqual([
      ["unserved", "NetworkPolicy", "team-a"],
      ["unserved", "Ingress", "team-a"],
    ]);
  });

  it("an unreachable server gives one unreachable entry per kind, never an abort", async () => {
    const closed = join(dir, "closed-kubeconfig");
    // Port 1 on loopback: nothing listens there, the connection is refused.
    writeFileSync(closed, kubeconfig("https://127.0.0.1:1", join(dir, "ca.crt")));
    const r = await loadLiveCluster({ kubeconfig: closed });
    expect(r.objects).toEqual([]);
    expect(r.coverage.map((c) => [c.reason, c.kind])).toEqual(LIVE_KINDS.map((k) => ["unreachable", k.kind]));
    expect(r.coverage[0]?.message).toMatch(
      /^cannot reach the API server https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED .*; namespaces not read$/,
    );
  });

  it("a wrong token is reported as forbidden, and an unknown context is a usage error", async () => {
    const bad = join(dir, "bad-token");
    writeFileSync(
      bad,
      kubeconfig(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, join(dir, "ca.crt")).replace(
        TOKEN,
        "nope",
      ),
    );
    const r = await loadLiveCluster({ kubeconfig: bad });
    expect(new Set(r.coverage.map((c) => c.reason))).toEqual(new Set(["forbidden"]));
    expect(r.coverage[0]?.message).toBe(
      "the API server rejected the credentials (401) listing namespaces cluster-wide",
    );
    await expect(loadLiveCluster({ kubeconfig: kc, context: "nope" })).rejects.toMatchObject({
      code: "USAGE",
    });
  });
  it("palisade scan --kubeconfig reports findings on live objects and the forbidden kinds as coverage", async () => {
    const r = await runCli(["scan", "--kubeconfig", kc, "-o", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      findings: { ruleId: string; resource: { name: string }; team?: string; location?: unknown }[];
      coverage: { reason: string; kind?: string }[];
    };
    const img = report.findings.find((f) => f.ruleId === "PAL-IMG-002" && f.resource.name === "web-1");
    expect(img).toMatchObject({ team: "alpha" });
    expect(img?.location).toBeUndefined();
    expect(report.coverage.filter((c) => c.reason !== "unsupported").map((c) => [c.reason, c.kind])).toEqual([
      ["forbidden", "Secret"],
      ["unserved", "Ingress"],
      ["unserved", "NetworkPolicy"],
    ]);
  });
});
