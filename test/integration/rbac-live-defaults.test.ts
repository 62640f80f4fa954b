import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { makeTestCerts } from "../support/tls.js";

/**
 * A live cluster has its own bootstrap RBAC policy, so nothing is assumed for it: this test double of the API
 * server serves a binding to cluster-admin but (unlike any real cluster) no cluster-admin ClusterRole, and the
 * answer must be the cluster's, not the defaults'.
 */
const TOKEN = "rbac-live-token";
const RB = "rbac.authorization.k8s.io";

const list = (items: unknown[]) =>
  JSON.stringify({ kind: "List", apiVersion: "v1", metadata: { resourceVersion: "1" }, items });

describe("bootstrap defaults are not assumed for a live cluster", () => {
  let dir: string;
  let server: Server;
  let kc: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-rbac-live-"));
    const certs = makeTestCerts(dir);
    server = createServer({ key: readFileSync(certs.key), cert: readFileSync(certs.cert) }, (req, res) => {
      const p = new URL(req.url ?? "/", "https://x").pathname;
      res.writeHead(req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 401, {
        "content-type": "application/json",
      });
      if (p === `/apis/${RB}/v1/clusterrolebindings`)
        return res.end(
          list([
            {
              metadata: { name: "ingress-nginx" },
              roleRef: { apiGroup: RB, kind: "ClusterRole", name: "cluster-admin" },
              subjects: [{ kind: "ServiceAccount", name: "ingress-nginx", namespace: "ingress-nginx" }],
            },
          ]),
        );
      res.end(list([]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    kc = join(dir, "kubeconfig");
    writeFileSync(
      kc,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "  - name: test",
        "    cluster:",
        `      server: https://127.0.0.1:${port}`,
        `      certificate-authority: ${certs.ca}`,
        "users:",
        "  - name: tester",
        "    user:",
        `      token: ${TOKEN}`,
        "contexts:",
        "  - name: live",
        "    context: {cluster: test, user: tester}",
        "current-context: live",
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("rbac can-i --kubeconfig answers from the cluster's own objects, with no 'assumed' note", async () => {
    const r = await runCli([
      "rbac",
      "can-i",
      "list",
      "secrets",
      "--as",
      "system:serviceaccount:ingress-nginx:ingress-nginx",
      "--kubeconfig",
      kc,
      "-o",
      "text",
    ]);
    expect(r.stdout).toBe("no\n");
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("assumed");
  });
});
