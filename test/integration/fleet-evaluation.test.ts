/**
 * Findings follow the deltas: a `palisade serve --nats` whose clusters change only by deltas (through a private
 * JetStream, and posted to the delta endpoint) answers, once its evaluations settled, what a fresh server answers
 * when the equivalent full snapshots are posted to it directly: the same findings (ids, open or resolved), the
 * same workloads, the same remediation records (state, rollouts, totals). Deltas create, update and delete Pods,
 * Deployments, a Role and its RoleBinding, a NetworkPolicy; a delete resolves its findings; a cluster without
 * changes is not evaluated again. On PostgreSQL (127.0.0.1:5432, a schema of this file) and on a SQLite file.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openNatsPublisher } from "../../src/adapters/fleet/index.js";
import { openStores } from "../../src/adapters/store/index.js";
import { bundledDemoDir, loadDemoCatalog } from "../../src/apps/server/demo.js";
import { type RunningServer, startServe } from "../../src/apps/server/serve.js";
import { type ObjectDelta, observedDelta } from "../../src/core/deltas/index.js";
import { natsServerVersion, startNatsServer, waitForPort } from "../support/fleet-services.js";

const PG_URL = process.env.PALISADE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_VERSION = await natsServerVersion();
const PG_UP = await waitForPort(Number(new URL(PG_URL).port || 5432), 20).then(
  () => true,
  () => false,
);
const ADMIN = "fleet-evaluation-admin-token-0123";
const DEMO = bundledDemoDir();

it("nats-server can be run and PostgreSQL is reachable", () => {
  expect({ nats: NATS_VERSION !== undefined, pg: PG_UP }).toEqual({ nats: true, pg: true });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => {});
});
const schemas: string[] = [];
afterAll(async () => {
  if (!PG_UP || schemas.length === 0) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };

const TYPES: Record<string, { apiVersion: string; kind: string; namespaced: boolean }> = {};
for (const [apiVersion, kind, namespaced] of [
  ["v1", "Namespace", false],
  ["v1", "Pod", true],
  ["v1", "Service", true],
  ["apps/v1", "Deployment", true],
  ["rbac.authorization.k8s.io/v1", "Role", true],
  ["rbac.authorization.k8s.io/v1", "RoleBinding", true],
  ["networking.k8s.io/v1", "NetworkPolicy", true],
] as const)
  TYPES[kind] = { apiVersion, kind, namespaced };

const keyOf = (o: Obj) => `${o.kind}/${String(o.metadata.namespace ?? "")}/${String(o.metadata.name)}`;

/** Extra objects beside the demo's: RBAC, a NetworkPolicy, a privileged debug Pod. */
function extras(phase: 1 | 2): Obj[] {
  const role: Obj = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "ops", namespace: "checkout" },
    rules:
      phase === 1
        ? [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]
        : [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
  };
  const binding: Obj = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "ops", namespace: "checkout" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "ops" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: "checkout" }],
  };
  const policy: Obj = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace: "search" },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
  const debug: Obj = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "debug", namespace: "checkout", labels: { app: "debug" } },
    spec: {
      hostPID: true,
      containers: [
        {
          name: "debug",
          image: "registry.example/tools/debug:latest",
          securityContext: { privileged: true, runAsUser: 0 },
        },
      ],
    },
  };
  return phase === 1 ? [role, binding, policy, debug] : [role, binding];
}

/**
 * The objects of a cluster in a phase as an apiserver would give them: uid by key, resourceVersion from one
 * growing revision (an object keeps its resourceVersion while unchanged, as in a real cluster).
 */
class Cluster {
  private revision = 100;
  private readonly live = new Map<string, Obj>();
  constructor(readonly name: string) {}

  /** Move to `objects`: the deltas that takes, and the snapshot (kubectl List) of the result. */
  to(objects: readonly Obj[]): { deltas: ObjectDelta[]; snapshot: string } {
    const deltas: ObjectDelta[] = [];
    const next = new Map<string, Obj>();
    for (const o of objects) {
      const k = keyOf(o);
      const before = this.live.get(k);
      const strip = (x: Obj) => {
        const { uid: _u, resourceVersion: _r, ...meta } = x.metadata;
        return JSON.stringify({ ...x, metadata: meta });
      };
      let obj: Obj;
      if (before !== undefined && strip(before) === strip(o)) obj = before;
      else {
        obj = {
          ...structuredClone(o),
          metadata: {
            ...structuredClone(o.metadata),
            uid: `${this.name}-${k.replaceAll("/", "-").toLowerCase()}`,
            resourceVersion: String(++this.revision),
          },
        };
        deltas.push(this.delta("upsert", obj));
      }
      next.set(k, obj);
    }
    for (const [k, o] of this.live)
      if (!next.has(k)) deltas.push(this.delta("delete", o, String(++this.revision)));
    this.live.clear();
    for (const [k, o] of next) this.live.set(k, o);
    return {
      deltas,
      snapshot: JSON.stringify({ apiVersion: "v1", kind: "List", items: [...next.values()] }),
    };
  }

  private delta(op: "upsert" | "delete", o: Obj, rv?: string): ObjectDelta {
    const type = TYPES[o.kind];
    if (type === undefined) throw new Error(`no type for ${o.kind}`);
    const d = observedDelta(this.name, op, type, o, rv);
    if (typeof d === "string") throw new Error(`${keyOf(o)}: ${d}`);
    return d;
  }
}

const demoObjects = (file: string): Obj[] =>
  (JSON.parse(readFileSync(join(DEMO, "snapshots", file), "utf8")) as { items: Obj[] }).items;

/** Stores with the demo's images and advisories, then closed (the server opens them again). */
async function withCatalog(db: string): Promise<void> {
  const stores = await openStores(db);
  try {
    await loadDemoCatalog(stores, DEMO, () => new Date());
  } finally {
    await stores.close();
  }
}

async function serve(db: string, nats?: string): Promise<RunningServer> {
  const s = await startServe({
    listen: "127.0.0.1:0",
    db,
    ...(nats !== undefined ? { nats } : {}),
    adminToken: ADMIN,
    now: () => new Date(),
    logger: false,
    evaluateIntervalMs: 0,
  });
  cleanups.push(() => s.close());
  return s;
}

async function call(s: RunningServer, method: string, path: string, body?: string): Promise<unknown> {
  const r = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

async function metric(s: RunningServer, line: RegExp): Promise<number> {
  const text = (await (
    await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
  ).text()) as string;
  return Number(line.exec(text)?.[1] ?? Number.NaN);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => Promise<boolean>, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** What the API answers, without times: findings (ids, open or resolved), workloads, remediation records. */
async function answers(s: RunningServer) {
  const findings = (
    (await call(s, "GET", "/api/v1/findings?limit=1000")) as {
      items: { cluster: string; finding: Record<string, unknown>; resolvedAt?: string }[];
    }
  ).items
    .map((f) => ({
      cluster: f.cluster,
      id: f.finding.id,
      ruleId: f.finding.ruleId,
      severity: f.finding.severity,
      resource: f.finding.resource,
      message: f.finding.message,
      resolved: f.resolvedAt !== undefined,
    }))
    .sort((a, b) => `${a.cluster}/${a.id}`.localeCompare(`${b.cluster}/${b.id}`));
  const workloads = ((await call(s, "GET", "/api/v1/workloads?limit=1000")) as { items: unknown[] }).items;
  const remediations = (
    (await call(s, "GET", "/api/v1/remediations?limit=1000")) as {
      items: {
        key: string;
        state: string;
        totals: unknown;
        rollouts: unknown;
        workloads: { key: string }[];
      }[];
    }
  ).items.map((r) => ({
    key: r.key,
    state: r.state,
    totals: r.totals,
    rollouts: r.rollouts,
    workloads: r.workloads.map((w) => w.key),
  }));
  return { findings, workloads, remediations };
}

const phases = {
  1: [...demoObjects("before.json"), ...extras(1)],
  2: [...demoObjects("after.json"), ...extras(2)],
} as const;

describe.runIf(NATS_VERSION !== undefined && PG_UP)("findings follow the deltas", () => {
  for (const backend of ["PostgreSQL", "SQLite"] as const) {
    it(`${backend}: deltas through JetStream and the delta endpoint give the answers of the equivalent snapshots`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "palisade-fleet-eval-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      let db: string;
      if (backend === "PostgreSQL") {
        const schema = `fleet_eval_${process.pid}_${randomBytes(3).toString("hex")}`;
        schemas.push(schema);
        db = `${PG_URL}?schema=${schema}`;
      } else db = join(dir, "deltas.db");
      const refDb = join(dir, "reference.db");
      await withCatalog(db);
      await withCatalog(refDb);
      const nats = await startNatsServer();
      cleanups.push(() => nats.stop());
      const server = await serve(db, nats.url);
      const reference = await serve(refDb);
      const pub = await openNatsPublisher({ servers: nats.url });
      cleanups.push(() => pub.close());

      const clusters = { east: new Cluster("east"), west: new Cluster("west"), north: new Cluster("north") };
      let published = 0;
      /** Move `cluster` to `phase`: its snapshot to the reference, its deltas to the server under test. */
      // Evaluations wait while a phase is delivered: each then sees the whole phase, as each posted snapshot is
      // one whole state (an evaluation part-way through a burst is allowed, but would not compare).
      const step = async (cluster: keyof typeof clusters, phase: 1 | 2) => {
        const { deltas, snapshot } = clusters[cluster].to(phases[phase]);
        expect(deltas.length).toBeGreaterThan(0);
        await call(reference, "POST", `/api/v1/clusters/${cluster}/snapshots`, snapshot);
        if (cluster === "west") {
          const r = (await call(
            server,
            "POST",
            `/api/v1/clusters/${cluster}/deltas`,
            JSON.stringify({ deltas }),
          )) as { applied: number };
          expect(r.applied).toBe(deltas.length);
        } else {
          for (const d of deltas) await pub.publish(d);
          published += deltas.length;
        }
        return deltas;
      };
      /** Every published delta applied (counted after the commit marked its cluster), then evaluations settled. */
      const settle = async () => {
        await until("every published delta applied", async () => {
          const n = await metric(server, /^palisade_fleet_deltas_total\{result="applied"\} (\d+)$/m);
          return n === published;
        });
        server.fleetEvaluation.resume();
        await server.fleetEvaluation.settled();
      };
      const latest = async (s: RunningServer) =>
        Object.fromEntries(
          (
            (await call(s, "GET", "/api/v1/clusters")) as {
              items: { cluster: string; latestSnapshot: string }[];
            }
          ).items.map((c) => [c.cluster, c.latestSnapshot]),
        );

      server.fleetEvaluation.pause();
      for (const c of ["east", "west", "north"] as const) await step(c, 1);
      await settle();
      const first = await answers(server);
      expect(first).toEqual(await answers(reference));
      // The demo's vulnerable images make records, and the extras open findings, in every cluster.
      expect(first.remediations.length).toBeGreaterThan(0);
      const debugOpen = first.findings.filter(
        (f) => (f.resource as { name: string }).name === "debug" && !f.resolved,
      );
      expect(new Set(debugOpen.map((f) => f.cluster))).toEqual(new Set(["east", "north", "west"]));
      const northBefore = (await latest(server)).north;
      const evaluationsBefore = server.fleetEvaluation.count();

      // Phase 2 in east (JetStream) and west (delta endpoint): updated Deployments and Pods, the debug Pod and the
      // NetworkPolicy deleted, the Role narrowed. north does not change.
      server.fleetEvaluation.pause();
      const deltas = [...(await step("east", 2)), ...(await step("west", 2))];
      expect(new Set(deltas.filter((d) => d.op === "delete").map((d) => d.key.kind))).toEqual(
        new Set(["Pod", "NetworkPolicy"]),
      );
      await settle();
      const second = await answers(server);
      expect(second).toEqual(await answers(reference));
      // The delete resolved the debug Pod's findings in east and west; north's stay open.
      const debug = second.findings.filter((f) => (f.resource as { name: string }).name === "debug");
      expect(debug.length).toBe(debugOpen.length);
      for (const f of debug)
        expect({ cluster: f.cluster, resolved: f.resolved }).toEqual({
          cluster: f.cluster,
          resolved: f.cluster !== "north",
        });
      // Only the changed clusters were evaluated again.
      expect((await latest(server)).north).toBe(northBefore);
      expect(server.fleetEvaluation.count() - evaluationsBefore).toBeGreaterThanOrEqual(2);
      expect(await metric(server, /^palisade_fleet_evaluations_total\{result="failed"\} (\d+)$/m)).toBe(0);
    }, 300_000);
  }
});
