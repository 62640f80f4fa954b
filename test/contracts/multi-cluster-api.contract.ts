/**
 * Several clusters through the server's HTTP API against one store backend: the demo's images and advisories, and
 * its "before" snapshot pushed as three clusters (the same namespaces, workloads and vulnerable digests in each).
 * One remediation record per vulnerability and image family with a rollout per cluster, impact across clusters,
 * the `cluster` filter on every list route (and in the OpenAPI document), team confinement per cluster. Run on
 * SQLite in the unit run and on PostgreSQL in integration.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { Stores } from "../../src/adapters/store/index.js";
import { issueToken, memoryTokenStore } from "../../src/apps/server/auth.js";
import { bundledDemoDir, loadDemoCatalog } from "../../src/apps/server/demo.js";
import { buildServer } from "../../src/apps/server/server.js";

const CLUSTERS = ["east", "north", "west"] as const;
const CVE = "CVE-2099-0001";
const CVE_KEY = "CVE-2099-0001|registry.example/company/base-runtime";

/**
 * GET routes of /api/v1 that take no `cluster` filter, and why. Every other GET route must document it.
 */
const NO_CLUSTER_FILTER: Record<string, string> = {
  "/api/v1/openapi.json": "the API document itself",
  "/api/v1/whoami": "the caller's own identity and role",
  "/api/v1/audit": "platform actions (tokens, exceptions, pushes), not objects of a cluster",
};

interface Rollout {
  cluster: string;
  workloads: number;
  replicas: number;
  vulnerableReplicas: number;
  fixedReplicas: number;
  state: string;
}

interface RecordJson {
  key: string;
  vulnerabilityId: string;
  state: string;
  totals: { workloads: number; replicas: number; vulnerableReplicas: number; fixedReplicas: number };
  rollouts: Rollout[];
  workloads: { key: string; cluster?: string; team?: string }[];
}

const rollout = (cluster: string, fixed: boolean): Rollout => ({
  cluster,
  workloads: 2,
  replicas: 5,
  vulnerableReplicas: fixed ? 0 : 5,
  fixedReplicas: fixed ? 5 : 0,
  state: fixed ? "fixed" : "vulnerable",
});

export function describeMultiClusterApi(name: string, open: () => Promise<Stores>): void {
  describe(`several clusters through the server API on ${name}`, () => {
    const opened: { app: FastifyInstance; stores: Stores }[] = [];
    afterEach(async () => {
      for (const h of opened.splice(0)) {
        await h.app.close();
        await h.stores.close();
      }
    });

    /** The demo's catalogue, then its "before" snapshot as east, north and west, then "after" as west. */
    async function fleet() {
      const stores = await open();
      const tokens = memoryTokenStore();
      const clock = { t: new Date("2026-01-01T00:00:00.000Z") };
      const token = {
        admin: (await issueToken(tokens, { role: "admin" }, clock.t)).token,
        ingest: (await issueToken(tokens, { role: "ingest" }, clock.t)).token,
        teamA: (await issueToken(tokens, { role: "team-viewer", team: "team-a" }, clock.t)).token,
      };
      const app = buildServer({ stores, now: () => clock.t, auth: { tokens } });
      opened.push({ app, stores });
      const dir = bundledDemoDir();
      await loadDemoCatalog(stores, dir, () => clock.t);
      const push = async (cluster: string, file: string) => {
        clock.t = new Date(clock.t.getTime() + 60_000);
        const r = await app.inject({
          method: "POST",
          url: `/api/v1/clusters/${cluster}/snapshots`,
          headers: { authorization: `Bearer ${token.ingest}`, "content-type": "application/json" },
          payload: readFileSync(join(dir, "snapshots", file)),
        });
        expect(r.statusCode, r.body).toBe(200);
      };
      for (const c of CLUSTERS) await push(c, "before.json");
      const get = async (url: string, who: string = token.admin) => {
        const r = await app.inject({ url, headers: { authorization: `Bearer ${who}` } });
        return { status: r.statusCode, body: r.body, json: r.json() as Record<string, unknown> };
      };
      const items = async <T>(url: string, who?: string): Promise<T[]> => {
        const r = await get(url, who);
        expect(r.status, `${url}: ${r.body}`).toBe(200);
        return (r.json as { items: T[] }).items;
      };
      return { app, stores, token, push, get, items };
    }

    it("the same vulnerable digest in three clusters is one remediation record with three rollouts; a fix in one cluster moves its rollout only", async () => {
      const f = await fleet();
      const records = await f.items<RecordJson>("/api/v1/remediations?limit=1000");
      // One record per (vulnerability, image family), never one per cluster.
      expect(new Set(records.map((r) => r.key)).size).toBe(records.length);
      const critical = records.find((r) => r.key === CVE_KEY);
      expect(critical?.rollouts).toEqual(CLUSTERS.map((c) => rollout(c, false)));
      expect(critical?.totals).toEqual({
        workloads: 6,
        replicas: 15,
        vulnerableReplicas: 15,
        fixedReplicas: 0,
      });
      expect(critical?.workloads.map((w) => w.key)).toEqual([
        "east/checkout/Deployment/checkout",
        "east/search/Deployment/search",
        "north/checkout/Deployment/checkout",
        "north/search/Deployment/search",
        "west/checkout/Deployment/checkout",
        "west/search/Deployment/search",
      ]);

      await f.push("west", "after.json");
      const after = (await f.items<RecordJson>("/api/v1/remediations?limit=1000")).find(
        (r) => r.key === CVE_KEY,
      );
      expect(after?.state).toBe("deployed");
      expect(after?.rollouts).toEqual([
        rollout("east", false),
        rollout("north", false),
        rollout("west", true),
      ]);
      expect(after?.totals).toEqual({ workloads: 6, replicas: 15, vulnerableReplicas: 10, fixedReplicas: 5 });

      // Narrowed to one cluster: that cluster's rollout, and its totals.
      const west = (await f.items<RecordJson>("/api/v1/remediations?cluster=west")).find(
        (r) => r.key === CVE_KEY,
      );
      expect(west?.rollouts).toEqual([rollout("west", true)]);
      expect(west?.totals).toEqual({ workloads: 2, replicas: 5, vulnerableReplicas: 0, fixedReplicas: 5 });
      expect(west?.workloads.every((w) => w.cluster === "west")).toBe(true);

      // The other clusters roll it out too: the record closes once, with every rollout fixed.
      await f.push("east", "after.json");
      await f.push("north", "after.json");
      const closed = (await f.items<RecordJson>("/api/v1/remediations?state=closed")).find(
        (r) => r.key === CVE_KEY,
      );
      expect(closed?.rollouts).toEqual(CLUSTERS.map((c) => rollout(c, true)));
    });

    it("impact spans the clusters: each cluster's share, narrowed by ?cluster=", async () => {
      const f = await fleet();
      const all = (await f.get(`/api/v1/vulnerabilities/${CVE}/impact`)).json as {
        clusters: string[];
        totals: { workloads: number; clusters: number };
        byCluster: { cluster: string; workloads: number; vulnerableReplicas: number; namespaces: string[] }[];
      };
      expect(all.clusters).toEqual([...CLUSTERS]);
      expect(all.totals).toMatchObject({ workloads: 6, clusters: 3 });
      expect(all.byCluster.map((c) => [c.cluster, c.workloads, c.vulnerableReplicas, c.namespaces])).toEqual(
        CLUSTERS.map((c) => [c, 2, 5, ["checkout", "search"]]),
      );
      const north = (await f.get(`/api/v1/vulnerabilities/${CVE}/impact?cluster=north`)).json as typeof all;
      expect(north.clusters).toEqual(["north"]);
      expect(north.byCluster.map((c) => c.cluster)).toEqual(["north"]);
      await f.push("north", "after.json");
      const rest = (await f.get(`/api/v1/vulnerabilities/${CVE}/impact`)).json as typeof all;
      expect(rest.byCluster.map((c) => c.cluster)).toEqual(["east", "west"]);
      const gone = await f.get(`/api/v1/vulnerabilities/${CVE}/impact?cluster=north`);
      expect(gone.status).toBe(404);
    });

    it("every list route filters by ?cluster=: what it answers is of that cluster only, and not empty", async () => {
      const f = await fleet();
      // Each cluster's webhook (admission serve --cluster) records its decisions into the shared store.
      await f.stores.admissionDecisions.append(
        CLUSTERS.flatMap((cluster, i) =>
          [0, 1].map((n) => ({
            at: new Date(Date.UTC(2026, 0, 1, 0, i, n)),
            uid: `${cluster}-${n}`,
            cluster,
            endpoint: "validate",
            allowed: n === 0,
            evaluated: "pod",
            operation: "CREATE",
            kind: "Pod",
            namespace: "checkout",
            name: `web-${n}`,
            user: "system:serviceaccount:kube-system:replicaset-controller",
            rules: n === 0 ? [] : ["pss/privileged"],
            details: null,
          })),
        ),
      );
      const clusterOf = (item: Record<string, unknown>): unknown => item.cluster;
      const lists = [
        "/api/v1/admission/decisions?limit=1000",
        "/api/v1/findings?limit=1000",
        "/api/v1/workloads?limit=1000",
        "/api/v1/risk?limit=1000",
        "/api/v1/rbac/paths?limit=1000",
        "/api/v1/netpol/connectivity?limit=1000",
        "/api/v1/clusters",
      ];
      for (const url of lists) {
        const everything = await f.items<Record<string, unknown>>(url);
        const north = await f.items<Record<string, unknown>>(
          `${url}${url.includes("?") ? "&" : "?"}cluster=north`,
        );
        const seen = [...new Set(everything.map(clusterOf))].sort();
        expect(seen, url).toEqual([...CLUSTERS]);
        expect(
          north.every((i) => clusterOf(i) === "north"),
          url,
        ).toBe(true);
        expect(north.length, url).toBe(everything.filter((i) => clusterOf(i) === "north").length);
      }
      // Lists whose items name clusters in a list: narrowed to north, only north is named.
      for (const url of ["/api/v1/vulnerabilities?limit=1000"]) {
        const north = await f.items<{ clusters: string[] }>(`${url}&cluster=north`);
        expect(north.length, url).toBeGreaterThan(0);
        for (const v of north) expect(v.clusters, url).toEqual(["north"]);
      }
      // Images the cluster runs: every cluster runs the same digests here, so the lists are equal and not empty.
      const images = await f.items<{ digest: string }>("/api/v1/images?cluster=north&limit=1000");
      expect(images.length).toBeGreaterThan(0);
      expect((await f.items<{ digest: string }>("/api/v1/images?cluster=nowhere")).length).toBe(0);
      expect((await f.items("/api/v1/findings?cluster=nowhere")).length).toBe(0);
      expect((await f.items("/api/v1/remediations?cluster=nowhere")).length).toBe(0);
      const overview = (await f.get("/api/v1/overview?cluster=north")).json as { teams: unknown[] };
      expect(overview.teams.length).toBeGreaterThan(0);
      // Exceptions: those of the cluster asked for and those of every cluster.
      for (const clusters of [["east"], undefined]) {
        const r = await f.app.inject({
          method: "POST",
          url: "/api/v1/exceptions",
          headers: { authorization: `Bearer ${f.token.admin}`, "content-type": "application/json" },
          payload: JSON.stringify({
            namespaces: ["checkout"],
            rules: ["PAL-POD-*"],
            reason: `accepted in ${clusters?.join(",") ?? "every cluster"} until the migration`,
            expires: "2026-06-30",
            owner: "team-a",
            ...(clusters ? { clusters } : {}),
          }),
        });
        expect(r.statusCode, r.body).toBe(201);
      }
      const applying = async (cluster: string) =>
        (await f.items<{ clusters?: string[] }>(`/api/v1/exceptions?cluster=${cluster}`)).map(
          (e) => e.clusters ?? "every",
        );
      expect(await applying("east")).toEqual(expect.arrayContaining([["east"], "every"]));
      expect(await applying("east")).toHaveLength(2);
      expect(await applying("west")).toEqual(["every"]);
    });

    it("every GET route of the API documents the cluster filter in the OpenAPI document, unless it says why not", async () => {
      const f = await fleet();
      const doc = (await f.get("/api/v1/openapi.json")).json as {
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      };
      const missing: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths)) {
        const get = ops.get;
        if (get === undefined || !path.startsWith("/api/v1/")) continue;
        const has = (get.parameters ?? []).some((p) => p.name === "cluster");
        if (!has && NO_CLUSTER_FILTER[path] === undefined) missing.push(path);
      }
      expect(missing).toEqual([]);
      // The exceptions named are real routes (a stale entry would hide nothing and mean nothing).
      for (const path of Object.keys(NO_CLUSTER_FILTER)) expect(doc.paths[path]?.get, path).toBeDefined();
    });

    it("a team-viewer sees its own team in every cluster, and nothing of another team in any", async () => {
      const f = await fleet();
      for (const c of CLUSTERS) {
        const q = `cluster=${c}`;
        for (const url of [
          `/api/v1/remediations?${q}`,
          `/api/v1/workloads?${q}`,
          `/api/v1/vulnerabilities/${CVE}/impact?${q}`,
          `/api/v1/findings?${q}&limit=1000`,
          `/api/v1/clusters?${q}`,
        ]) {
          const r = await f.get(url, f.token.teamA);
          expect(r.status, `${url}: ${r.body}`).toBe(200);
          expect(r.body, url).toMatch(/team-a|"workloads":1/);
          expect(r.body, url).not.toMatch(/team-b|"namespace":"search"/);
          for (const other of CLUSTERS.filter((x) => x !== c)) expect(r.body, url).not.toContain(`"${other}`);
          const refused = await f.get(`${url}&team=team-b`, f.token.teamA);
          expect(refused.status, url).toBe(403);
        }
        const mine = (await f.items<RecordJson>(`/api/v1/remediations?${q}`, f.token.teamA)).find(
          (r) => r.key === CVE_KEY,
        );
        // team-a's checkout only: 3 replicas in this cluster, one rollout.
        expect(mine?.rollouts).toEqual([
          {
            cluster: c,
            workloads: 1,
            replicas: 3,
            vulnerableReplicas: 3,
            fixedReplicas: 0,
            state: "vulnerable",
          },
        ]);
      }
      const clusters = await f.items<{ cluster: string; workloads: number }>(
        "/api/v1/clusters",
        f.token.teamA,
      );
      expect(clusters.map((c) => [c.cluster, c.workloads])).toEqual(CLUSTERS.map((c) => [c, 1]));
    });
  });
}
