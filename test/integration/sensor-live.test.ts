import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  kubeconfigTransport,
  listPath,
  type ReflectorChange,
  type ReflectorNotice,
  reflect,
} from "../../src/adapters/kube/index.js";
import { type RunningSensor, SYSTEM_CLOCK, sensorKinds, startSensor } from "../../src/apps/cli/sensor-run.js";
import {
  applyDeltas,
  liveObjects,
  type ObjectDelta,
  type ObjectStateRow,
  parseDelta,
} from "../../src/core/deltas/index.js";
import { kubeTestsEnabled, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * Issue 17 (sensor) against a real kube-apiserver and a real nats-server of its own: the sensor runs as a user
 * bound to exactly the shipped ClusterRole (deploy/sensor-rbac.yaml), lists then watches, and what arrives in the
 * stream, applied by the rule of core/deltas, is what the API server itself lists, through watch timeouts, an
 * expired resourceVersion (410 Gone) and a NATS outage.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const STREAM = `PALISADE_SENSOR_LIVE_${process.pid}`;
const CLUSTER = "live";
const SECRET_VALUE = "aHVudGVyMi1zZW5zb3I=";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function startNats(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], {
    stdio: "ignore",
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.exitCode !== null) throw new Error(`nats-server exited with ${p.exitCode}`);
    try {
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 1_000 });
      await (await jetstreamManager(nc)).getAccountInfo();
      await nc.close();
      return p;
    } catch {
      if (Date.now() > deadline) throw new Error("nats-server did not start within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function stopNats(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      if (await cond()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`not within ${ms / 1000} s: ${what}${last ? ` (${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.runIf(kubeTestsEnabled())("palisade sensor against a real kube-apiserver and a real NATS", () => {
  let c: RealCluster;
  let dir: string;
  let port: number;
  let url: string;
  let nats: ChildProcess;
  let sensor: RunningSensor;
  const logs: string[] = [];

  /** Every delta in the stream, in stream order, and how many messages share one message id. */
  async function stored(): Promise<{ deltas: ObjectDelta[]; ids: string[] }> {
    const nc = await connect({ servers: url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(STREAM);
      const deltas: ObjectDelta[] = [];
      const ids: string[] = [];
      for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(STREAM, { seq });
        if (!m) continue;
        ids.push(m.header.get("Nats-Msg-Id"));
        deltas.push(parseDelta(JSON.parse(m.string())));
      }
      return { deltas, ids };
    } finally {
      await nc.close();
    }
  }

  /** `kind/namespace/name uid@resourceVersion` of every object applied from the stream. */
  async function applied(): Promise<string[]> {
    const rows = new Map<string, ObjectStateRow>();
    applyDeltas(rows, (await stored()).deltas);
    return liveObjects(rows.values(), CLUSTER)
      .map((r) => `${r.key.kind}/${r.key.namespace ?? ""}/${r.key.name} ${r.uid}@${r.resourceVersion}`)
      .sort();
  }

  /** The same, as the API server lists it now (as admin). */
  async function listed(): Promise<string[]> {
    const out: string[] = [];
    for (const k of sensorKinds(false)) {
      const r = await c.api("GET", listPath(k, undefined));
      for (const it of (r.body.items ?? []) as { metadata: Record<string, string> }[])
        out.push(
          `${k.kind}/${k.namespaced ? it.metadata.namespace : ""}/${it.metadata.name} ${it.metadata.uid}@${it.metadata.resourceVersion}`,
        );
    }
    return out.sort();
  }

  const create = async (path: string, body: unknown) => {
    const r = await c.api("POST", path, body);
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { metadata: { uid: string; resourceVersion: string } };
  };

  beforeAll(async () => {
    // ConfigMap watches are served by etcd itself (no watch cache), so compacting etcd expires them (see below).
    c = await startCluster({ users: { sensor: [] }, apiserverArgs: ["--watch-cache-sizes=configmaps#0"] });
    // The shipped ClusterRole, bound to the test's sensor user.
    const docs = parseAllDocuments(readFileSync(join(ROOT, "deploy", "sensor-rbac.yaml"), "utf8")).map((d) =>
      d.toJS(),
    ) as { kind: string }[];
    const role = docs.find((d) => d.kind === "ClusterRole");
    await create("/apis/rbac.authorization.k8s.io/v1/clusterroles", role);
    await create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
      metadata: { name: "palisade-sensor-test" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "palisade-sensor" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "sensor" }],
    });
    await create("/api/v1/namespaces", { metadata: { name: "shop" } });
    dir = mkdtempSync(join(tmpdir(), "palisade-sensor-live-"));
    port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    nats = await startNats(port, join(dir, "js"));
    sensor = await startSensor({
      cluster: CLUSTER,
      api: { kubeconfig: c.kubeconfig("sensor") },
      transport: { nats: url, stream: STREAM },
      bufferDir: join(dir, "buffer"),
      // Short watches, so every kind's watch is ended by the server and resumed during the test.
      watchTimeoutSeconds: 2,
      pageSize: 5,
      metricsListen: "127.0.0.1:0",
      log: (l) => logs.push(l),
    });
  }, 300_000);

  afterAll(async () => {
    await sensor?.stop();
    if (nats) await stopNats(nats);
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("as the least-privilege user: lists every kind, then creates, updates and deletes arrive; state equals the server's", async () => {
    await until("every kind listed", () => sensor.stats().synced === sensorKinds(false).length);
    expect(logs.filter((l) => /forbidden|403/i.test(l))).toEqual([]);
    const cm = await create("/api/v1/namespaces/shop/configmaps", {
      metadata: { name: "cfg" },
      data: { a: "1" },
    });
    await create("/api/v1/namespaces/shop/pods", {
      metadata: { name: "web" },
      spec: { containers: [{ name: "c", image: "nginx:1.27" }] },
    });
    const upd = await c.api("PUT", "/api/v1/namespaces/shop/configmaps/cfg", {
      metadata: { name: "cfg", resourceVersion: cm.metadata.resourceVersion },
      data: { a: "2" },
    });
    expect(upd.status).toBe(200);
    expect((await c.api("DELETE", "/api/v1/namespaces/shop/pods/web")).status).toBe(200);
    await until("the stream's state equals the API server's", async () => {
      const [a, l] = [await applied(), await listed()];
      return JSON.stringify(a) === JSON.stringify(l);
    });
    const { deltas, ids } = await stored();
    expect(new Set(ids).size).toBe(ids.length);
    const cfg = deltas.filter((d) => d.key.name === "cfg");
    expect(cfg.map((d) => [d.op, (d.object as { data?: unknown })?.data])).toEqual([
      ["upsert", { a: "1" }],
      ["upsert", { a: "2" }],
    ]);
    // Deleting sets deletionTimestamp first (an update), then removes the pod.
    const web = deltas.filter((d) => d.key.name === "web").map((d) => d.op);
    expect([web[0], web.at(-1)]).toEqual(["upsert", "delete"]);
    expect(deltas.some((d) => JSON.stringify(d.object ?? {}).includes("managedFields"))).toBe(false);
    // Watches ended by the server (timeoutSeconds) were resumed from their resourceVersion, never relisted.
    await until("a watch resumed", () => sensor.stats().resumes > 0);
    expect(sensor.stats().relists).toBe(0);
  }, 240_000);

  it("NATS down: changes wait in the disk buffer (exported as a metric); healed: all arrive, none twice", async () => {
    await stopNats(nats);
    for (let i = 0; i < 6; i++)
      await create("/api/v1/namespaces/shop/configmaps", { metadata: { name: `down-${i}` } });
    expect((await c.api("DELETE", "/api/v1/namespaces/shop/configmaps/down-0")).status).toBe(200);
    await until("the buffer holds the changes", () => sensor.stats().buffered >= 7);
    const metrics = await (await fetch(`http://${sensor.metricsAddress}/metrics`)).text();
    expect(Number(/^palisade_sensor_buffered_deltas (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(7);
    expect(metrics).toMatch(/^palisade_sensor_buffer_dropped_deltas_total 0$/m);
    nats = await startNats(port, join(dir, "js"));
    await until("the buffer is drained", () => sensor.stats().buffered === 0 && sensor.stats().pending === 0);
    await until("the stream's state equals the API server's", async () => {
      const [a, l] = [await applied(), await listed()];
      return JSON.stringify(a) === JSON.stringify(l);
    });
    const { ids } = await stored();
    expect(new Set(ids).size).toBe(ids.length);
    expect(await applied()).toContainEqual(expect.stringMatching(/^ConfigMap\/shop\/down-5 /));
    expect((await applied()).some((s) => s.startsWith("ConfigMap/shop/down-0 "))).toBe(false);
  }, 240_000);

  it("a watch from a compacted resourceVersion gets 410 Gone, lists again, and reports what it missed", async () => {
    // etcd forgets history before a compaction (the API server compacts every 5 minutes): a watch from before
    // it cannot be served, as after a long disconnection. (With the watch cache, the cache's own window expires
    // instead, after minutes of churn; ConfigMaps bypass it in this cluster.)
    await create("/api/v1/namespaces/shop/configmaps", { metadata: { name: "after-compaction" } });
    // A later change of another kind: the compaction passes the last ConfigMap revision the sensor saw too.
    const later = await create("/api/v1/namespaces/shop/serviceaccounts", { metadata: { name: "later" } });
    const compact = await fetch(`${c.etcd}/v3/kv/compaction`, {
      method: "POST",
      body: JSON.stringify({ revision: later.metadata.resourceVersion, physical: true }),
    });
    expect(compact.status).toBe(200);
    const { request } = await kubeconfigTransport(c.kubeconfig("admin"));
    const kind = sensorKinds(false).find((k) => k.kind === "ConfigMap")!;
    const notices: ReflectorNotice["type"][] = [];
    const changes: ReflectorChange[] = [];
    const stop = new AbortController();
    const run = reflect(request, {
      kind,
      clock: SYSTEM_CLOCK,
      signal: stop.signal,
      startResourceVersion: "2",
      onNotice: (n) => notices.push(n.type),
      onChanges: async (cs) => {
        changes.push(...cs);
      },
    });
    await until("listed after 410", () => notices.includes("listed"), 60_000);
    stop.abort();
    await run;
    expect(notices.slice(0, 2)).toEqual(["gone", "listed"]);
    const names = changes.map((ch) => (ch.object.metadata as { name: string }).name);
    expect(names).toContain("after-compaction");
    expect(names).toContain("cfg");
    // A sensor resuming from before the compaction (as after a long disconnection) lists again, and what it
    // sends gives the server's ConfigMaps.
    const second = await startSensor({
      cluster: "live-2",
      api: { kubeconfig: c.kubeconfig("sensor") },
      transport: { nats: url, stream: STREAM },
      bufferDir: join(dir, "buffer-2"),
      kinds: [kind],
      startResourceVersion: { ConfigMap: "2" },
      log: (l) => logs.push(l),
    });
    try {
      await until("the second sensor listed", () => second.stats().synced === 1, 60_000);
      expect(second.stats()).toMatchObject({ relists: 1, lists: 1 });
      await until("its ConfigMaps arrived", async () => {
        const rows = new Map<string, ObjectStateRow>();
        applyDeltas(rows, (await stored()).deltas);
        const got = liveObjects(rows.values(), "live-2").map(
          (r) => `${r.key.namespace}/${r.key.name}@${r.resourceVersion}`,
        );
        const want = (await listed())
          .filter((x) => x.startsWith("ConfigMap/"))
          .map((x) => x.replace(/^ConfigMap\/([^/]*)\/(\S+) \S+@(\d+)$/, "$1/$2@$3"));
        return JSON.stringify(got.sort()) === JSON.stringify(want.sort());
      });
    } finally {
      await second.stop();
    }
  }, 180_000);

  it("--with-secrets: a Secret's delta names its keys, never a value", async () => {
    await create("/api/v1/namespaces/shop/secrets", {
      metadata: { name: "db" },
      data: { password: SECRET_VALUE },
    });
    const { request } = await kubeconfigTransport(c.kubeconfig("admin"));
    const kind = sensorKinds(true).find((k) => k.kind === "Secret")!;
    const changes: ReflectorChange[] = [];
    const stop = new AbortController();
    let listedOnce = false;
    const run = reflect(request, {
      kind,
      clock: SYSTEM_CLOCK,
      signal: stop.signal,
      onNotice: (n) => {
        if (n.type === "listed") listedOnce = true;
      },
      onChanges: async (cs) => {
        changes.push(...cs);
      },
    });
    await until("Secrets listed", () => listedOnce);
    stop.abort();
    await run;
    const db = changes.find((ch) => (ch.object.metadata as { name: string }).name === "db");
    expect(db?.object.data).toEqual({ password: "(redacted)" });
    expect(JSON.stringify(changes)).not.toContain(SECRET_VALUE);
  }, 120_000);
});
