import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCerts, type TestCerts } from "../support/tls.js";
import { runHostile } from "./harness.js";

/**
 * Issue: hardening, items 6, 12 and 21: the live-cluster read against API servers that misbehave on purpose. Each
 * server here is a TEST DOUBLE of a broken or hostile API server (or of a proxy in front of one): a real
 * kube-apiserver does not hang, loop its continue tokens or send 400 MB objects, so these cannot be made with the
 * real one (test/integration/kube-apiserver-*.test.ts covers the real server's behaviour).
 *
 * Every case runs the real CLI in a child process and asserts: exit code 2 (the read is incomplete or nothing was
 * evaluated, never a clean pass), no kill, bounded wall time and peak RSS (generous ceilings: the machine is
 * shared), and the clear message.
 */

const TOKEN = "hostile-test-token-5d2a";
const LEAKED =
  "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06YWRtaW4ifQ.c2lnbmF0dXJl";
const LEAKED_OPAQUE = "sK8pQ2vR7xZ4mN9bT3wY6cF1hJ5gL0dA";

let dir: string;
let certs: TestCerts;
const servers: (Server | import("node:https").Server)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "palisade-hostile-kube-"));
  certs = makeTestCerts(join(dir, "tls"));
});

afterAll(async () => {
  for (const s of servers) {
    (s as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  rmSync(dir, { recursive: true, force: true });
});

function kubeconfig(name: string, server: string): string {
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: hostile",
      "  cluster:",
      `    server: ${JSON.stringify(server)}`,
      `    certificate-authority: ${certs.ca}`,
      "users:",
      "- name: u",
      `  user: {token: ${TOKEN}}`,
      "contexts:",
      "- name: hostile-ctx",
      "  context: {cluster: hostile, user: u}",
      "current-context: hostile-ctx",
      "",
    ].join("\n"),
  );
  return file;
}

async function listen(s: Server | import("node:https").Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as { port: number }).port;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** A TLS API server test double: answers /version like a real one, everything else through `handler`. */
async function misbehavingApiServer(handler: Handler): Promise<number> {
  const s = createHttpsServer(
    { key: readFileSync(certs.key), cert: readFileSync(certs.cert) },
    (req, res) => {
      const url = new URL(req.url ?? "/", "https://x");
      if (url.pathname === "/version") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ major: "1", minor: "35", gitVersion: "v1.35.4" }));
        return;
      }
      handler(req, res, url);
    },
  );
  return listen(s);
}

const json = (res: ServerResponse, code: number, body: unknown) => {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const emptyList = (res: ServerResponse) => json(res, 200, { kind: "List", metadata: {}, items: [] });

interface Report {
  coverage: { reason: string; kind?: string; message: string }[];
}

describe("hostile: live cluster (misbehaving API server test doubles)", () => {
  it("an API server that accepts connections but never answers: one request timeout, then exit 2", async () => {
    // A TCP listener that completes the handshake and then says nothing (not even TLS).
    const held: Socket[] = [];
    const port = await listen(createNetServer((sock) => held.push(sock)));
    const kc = kubeconfig("silent", `https://127.0.0.1:${port}`);
    const r = await runHostile(["scan", "--kubeconfig", kc, "--request-timeout", "2s", "-o", "json"], {
      killAfterMs: 50_000,
    });
    for (const s of held) s.destroy();
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain(
      `cannot reach the API server https://127.0.0.1:${port}: no complete answer within 2 s`,
    );
    expect(r.stderr).toContain("nothing evaluated");
    // The probe fails once for the whole cluster: not 20 kinds x the timeout (5 minutes before the fix).
    expect(r.wallMs).toBeLessThan(40_000);
    expect(r.maxRssMiB).toBeLessThan(400);
  });

  it("a refused connection: exit 2 at once, each kind reported unreachable", async () => {
    const port = await listen(createNetServer((sock) => sock.destroy()));
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    const kc = kubeconfig("refused", `https://127.0.0.1:${port}`);
    const r = await runHostile(["scan", "--kubeconfig", kc, "-o", "json"], { killAfterMs: 50_000 });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(
      /cannot reach the API server https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
  });

  it("headers then a trickle that never ends: each request and the whole read are bounded", async () => {
    const timers = new Set<NodeJS.Timeout>();
    const port = await misbehavingApiServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"kind":"List","items":[');
      const t = setInterval(() => res.write(" "), 200);
      timers.add(t);
      res.on("close", () => {
        clearInterval(t);
        timers.delete(t);
      });
    });
    const kc = kubeconfig("trickle", `https://127.0.0.1:${port}`);
    const r = await runHostile(
      ["scan", "--kubeconfig", kc, "--request-timeout", "2s", "--cluster-timeout", "5s", "-o", "json"],
      { killAfterMs: 50_000 },
    );
    for (const t of timers) clearInterval(t);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("no complete answer within 2 s");
    expect(r.stdout + r.stderr).toContain("the live read's overall timeout of 5 s passed");
    expect(r.wallMs).toBeLessThan(40_000);
  });

  it("a server that always returns a new continue token: the page budget stops it, objects read are kept", async () => {
    let n = 0;
    const port = await misbehavingApiServer((_req, res, url) => {
      if (url.pathname !== "/api/v1/pods") return emptyList(res);
      n++;
      json(res, 200, {
        kind: "PodList",
        metadata: { continue: `token-${n}` },
        items: [
          {
            metadata: { name: `p-${n}`, namespace: "loop" },
            spec: { containers: [{ name: "c", image: "nginx" }] },
          },
        ],
      });
    });
    const kc = kubeconfig("loop", `https://127.0.0.1:${port}`);
    const r = await runHostile(["scan", "--kubeconfig", kc, "--max-list-pages", "40", "-o", "json"], {
      killAfterMs: 50_000,
    });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(n).toBe(40);
    expect(r.stderr).toContain("incomplete");
    const report = JSON.parse(r.stdout) as Report;
    expect(report.coverage.filter((c) => c.kind === "Pod")).toEqual([
      {
        reason: "limit",
        kind: "Pod",
        subject: "cluster:hostile-ctx",
        message:
          "listing pods cluster-wide stopped after 40 pages (page budget) (40 objects read before it stopped)",
      },
    ]);
  });

  it("a 400 MB list body (one huge object): read as a stream and cut at the item cap, memory stays flat", async () => {
    let sent = 0;
    const chunk = Buffer.alloc(1 << 20, "A");
    const port = await misbehavingApiServer((_req, res, url) => {
      if (url.pathname !== "/api/v1/pods") return emptyList(res);
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"kind":"PodList","metadata":{},"items":[{"metadata":{"name":"big","annotations":{"x":"');
      const pump = () => {
        while (sent < 400 * (1 << 20)) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end('"}}}]}');
      };
      res.on("close", () => res.removeAllListeners("drain"));
      pump();
    });
    const kc = kubeconfig("huge", `https://127.0.0.1:${port}`);
    const r = await runHostile(["scan", "--kubeconfig", kc, "-o", "json"], { killAfterMs: 50_000 });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.coverage.filter((c) => c.kind === "Pod")).toEqual([
      {
        reason: "limit",
        kind: "Pod",
        subject: "cluster:hostile-ctx",
        message:
          "listing pods cluster-wide: items[0] is larger than the limit of 4194304 bytes; skipped (listing stopped)",
      },
    ]);
    // The 400 MB object is scanned by the streaming reader without being held (before: 2.2 GB).
    expect(r.maxRssMiB).toBeLessThan(400);
  });

  it("a 403 whose Status.message echoes credentials: coverage shows it redacted (item 21)", async () => {
    const port = await misbehavingApiServer((req, res, url) => {
      if (url.pathname === "/api/v1/secrets")
        return json(res, 403, {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "Forbidden",
          code: 403,
          // A reflecting proxy: the request's own Authorization header, plus a service account token it had.
          message: `secrets is forbidden: request carried ${req.headers.authorization}; upstream token ${LEAKED}`,
        });
      if (url.pathname === "/api/v1/configmaps")
        return json(res, 500, {
          kind: "Status",
          code: 500,
          message: `internal error, api_key=${LEAKED_OPAQUE}`,
        });
      return emptyList(res);
    });
    const kc = kubeconfig("reflect", `https://127.0.0.1:${port}`);
    const r = await runHostile(["scan", "--kubeconfig", kc, "-o", "json"], { killAfterMs: 50_000 });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    const all = r.stdout + r.stderr;
    for (const secret of [TOKEN, LEAKED, LEAKED_OPAQUE, LEAKED.slice(0, 24)])
      expect(all).not.toContain(secret);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.coverage.filter((c) => c.kind === "Secret" || c.kind === "ConfigMap")).toEqual([
      {
        reason: "forbidden",
        kind: "Secret",
        subject: "cluster:hostile-ctx",
        message: `RBAC forbade listing secrets cluster-wide (secrets is forbidden: request carried Bearer ****(redacted, ${TOKEN.length} chars); upstream token ****(redacted, ${LEAKED.length} chars))`,
      },
      {
        reason: "unreachable",
        kind: "ConfigMap",
        subject: "cluster:hostile-ctx",
        message:
          "listing configmaps cluster-wide failed with HTTP 500: internal error, api_key=****(redacted, 32 chars)",
      },
    ]);
  });

  it("a kubeconfig whose server URL does not parse: exit 2 naming file, context and field, no stack (item 12)", async () => {
    const kc = kubeconfig("bad-url", "https://[::1");
    const r = await runHostile(["scan", "--kubeconfig", kc], { killAfterMs: 50_000 });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `palisade: ${kc}: context "hostile-ctx": cluster "hostile" has a server URL that does not parse in clusters[name=hostile].cluster.server\n`,
    );
  });
});
