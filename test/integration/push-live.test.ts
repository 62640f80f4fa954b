import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStores } from "../../src/adapters/store/index.js";
import { type RunningServer, startServe } from "../../src/apps/server/serve.js";
import { runCli } from "../support/cli.js";
import { kubeTestsEnabled, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * `palisade push --kubeconfig`: the live cluster listed from a real kube-apiserver and streamed up to a real
 * `palisade serve` as one snapshot; a listing with gaps (a user who may not list every kind) is not sent.
 */
const ADMIN = `pal_${"p".repeat(43)}`;
const SECRET_VALUE = "aHVudGVyMi1wdXNoLWxpdmU=";

describe.runIf(kubeTestsEnabled())(
  "palisade push --kubeconfig against a real kube-apiserver and palisade serve",
  () => {
    let c: RealCluster;
    let s: RunningServer;
    const dir = mkdtempSync(join(tmpdir(), "palisade-push-live-"));
    const db = join(dir, "server.db");

    beforeAll(async () => {
      c = await startCluster({ users: { reader: ["readers"] } });
      const create = async (path: string, body: unknown) => {
        const r = await c.api("POST", path, body);
        if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      };
      await create("/api/v1/namespaces", { metadata: { name: "shop", labels: { team: "alpha" } } });
      await create("/api/v1/namespaces/shop/pods", {
        metadata: { name: "web" },
        spec: { containers: [{ name: "app", image: "nginx:1.27", securityContext: { privileged: true } }] },
      });
      await create("/api/v1/namespaces/shop/secrets", {
        metadata: { name: "db" },
        data: { password: SECRET_VALUE },
      });
      // reader may list pods only: its listing has gaps.
      await create("/apis/rbac.authorization.k8s.io/v1/clusterroles", {
        metadata: { name: "pods-only" },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }],
      });
      await create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        metadata: { name: "readers-pods" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pods-only" },
        subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "readers" }],
      });
      s = await startServe({
        listen: "127.0.0.1:0",
        db,
        adminToken: ADMIN,
        now: () => new Date(),
        logger: false,
      });
    }, 180_000);

    afterAll(async () => {
      await s?.close();
      await c?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("lists the cluster, streams it up, and the server evaluates and keeps it (Secret values never sent)", async () => {
      const r = await runCli([
        "push",
        "--server",
        s.url,
        "--cluster",
        "live",
        "--kubeconfig",
        c.kubeconfig("admin"),
        "--token",
        ADMIN,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^pushed live: \d+ objects, \d+ findings/);
      const page = (await (
        await fetch(`${s.url}/api/v1/findings?cluster=live&namespace=shop&limit=1000`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        })
      ).json()) as { items: { finding: { ruleId: string; resource: { kind: string; name: string } } }[] };
      const onWeb = page.items.filter(
        (f) => f.finding.resource.kind === "Pod" && f.finding.resource.name === "web",
      );
      expect(onWeb.length).toBeGreaterThan(0);
      const stores = await openStores(db);
      try {
        const secret = await stores.snapshots.history("live", {
          apiVersion: "v1",
          kind: "Secret",
          namespace: "shop",
          name: "db",
        });
        expect(secret).toHaveLength(1);
        expect(JSON.stringify(secret)).not.toContain(SECRET_VALUE);
      } finally {
        await stores.close();
      }
    }, 120_000);

    it("does not send a listing with gaps unless --allow-partial", async () => {
      const args = [
        "push",
        "--server",
        s.url,
        "--cluster",
        "partial",
        "--kubeconfig",
        c.kubeconfig("reader"),
      ];
      const r = await runCli([...args, "--token", ADMIN]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not sent: the listing is incomplete: \d+ inputs? not evaluated/);
      const clusters = async () =>
        (
          (await (
            await fetch(`${s.url}/api/v1/findings?cluster=partial&limit=1`, {
              headers: { authorization: `Bearer ${ADMIN}` },
            })
          ).json()) as { items: unknown[] }
        ).items.length;
      expect(await clusters()).toBe(0);
      const forced = await runCli([...args, "--token", ADMIN, "--allow-partial"]);
      expect(forced.code, forced.stderr).toBe(0);
      expect(await clusters()).toBe(1);
    }, 120_000);
  },
);
