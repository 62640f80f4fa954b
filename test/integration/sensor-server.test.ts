import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { openClusterState, serverDeltaSink } from "../../src/adapters/fleet/index.js";
import type { ApiRequest } from "../../src/adapters/kube/index.js";
import { openStores } from "../../src/adapters/store/index.js";
import { sensorKinds, startSensor } from "../../src/apps/cli/sensor-run.js";
import { startServe } from "../../src/apps/server/serve.js";
import {
  applyDeltas,
  compareRows,
  type ObjectDelta,
  type ObjectStateRow,
} from "../../src/core/deltas/index.js";
import { kubeTestsEnabled, startCluster } from "./kube-apiserver.js";

/**
 * Issue 17 (sensor), `--server` transport against a real `palisade serve` (HTTP on loopback, a SQLite store):
 * deltas posted to `POST /api/v1/clusters/{cluster}/deltas` with an ingest token, applied to the fleet object
 * state by the service the JetStream consumer uses; and the sensor itself, against a real kube-apiserver, posting
 * one full snapshot at start and every later change as a delta.
 */

const dir = mkdtempSync(join(tmpdir(), "palisade-sensor-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ADMIN = "admin-token-for-sensor-tests-0123456789";
const now = () => new Date();

const pod = (name: string, rv: number, op: "upsert" | "delete" = "upsert", pad = ""): ObjectDelta => ({
  cluster: "small",
  op,
  key: { apiVersion: "v1", kind: "Pod", namespace: "shop", name },
  uid: `uid-${name}`,
  resourceVersion: String(rv),
  ...(op === "upsert"
    ? {
        object: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: "shop", uid: `uid-${name}`, resourceVersion: String(rv) },
          spec: { containers: [{ name: "c", image: `nginx:1.${rv}` }] },
          ...(pad ? { status: { message: pad } } : {}),
        },
      }
    : {}),
});

/** The rows the reference rule gives for `deltas`. */
function reference(deltas: readonly ObjectDelta[]): ObjectStateRow[] {
  const rows = new Map<string, ObjectStateRow>();
  applyDeltas(rows, deltas);
  return [...rows.values()].sort(compareRows);
}

async function token(url: string, role: string, team?: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ role, ...(team ? { team } : {}) }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { token: string }).token;
}

async function postDeltas(url: string, bearer: string | undefined, body: string) {
  const r = await fetch(`${url}/api/v1/clusters/small/deltas`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body,
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe("POST /api/v1/clusters/{cluster}/deltas on a real palisade serve", () => {
  it("applies a batch in one go with an ingest token; the same batch again changes nothing", async () => {
    const db = join(dir, "deltas.db");
    const s = await startServe({ listen: "127.0.0.1:0", db, adminToken: ADMIN, now });
    const refused: string[] = [];
    const sent: ObjectDelta[] = [];
    try {
      const ingest = await token(s.url, "ingest");
      const sink = serverDeltaSink({
        server: s.url,
        cluster: "small",
        token: ingest,
        maxPerRequest: 2,
        onRefused: (r) => refused.push(...r.map((x) => `${x.delta.key.name}: ${x.message}`)),
      });
      const batches = [
        [pod("a", 10), pod("b", 11), pod("a", 12)],
        [pod("b", 13, "delete"), pod("c", 14)],
      ];
      for (const b of batches) {
        await sink.send(b);
        sent.push(...b);
      }
      // Two per request: a10 and b11, then a12 on its own, then the second batch.
      expect(sink.stats()).toEqual({ applied: 5, ignored: 0, refused: 0 });
      // Resent after a lost answer: every delta is known by its message id's parts, nothing changes.
      await sink.send(batches[1] as ObjectDelta[]);
      await sink.send([pod("a", 10)]);
      expect(sink.stats()).toEqual({ applied: 5, ignored: 3, refused: 0 });
      expect(refused).toEqual([]);
    } finally {
      await s.close();
    }
    const state = await openClusterState(db);
    try {
      expect(await state.rows("small")).toEqual(reference(sent));
    } finally {
      await state.close();
    }
  });

  it("refuses malformed deltas by index (the rest applied), other clusters' deltas, no token, a reader's token", async () => {
    const s = await startServe({
      listen: "127.0.0.1:0",
      db: join(dir, "refusals.db"),
      adminToken: ADMIN,
      now,
    });
    try {
      const ingest = await token(s.url, "ingest");
      const bad = [
        pod("ok", 5),
        { ...pod("x", 6), resourceVersion: "6a" },
        { ...pod("y", 7), cluster: "other" },
        { ...pod("z", 8), object: undefined },
      ];
      const r = await postDeltas(s.url, ingest, JSON.stringify({ deltas: bad }));
      expect(r).toEqual({
        status: 200,
        body: {
          received: 4,
          applied: 1,
          ignored: 0,
          rejected: [
            { index: 1, message: expect.stringContaining("resourceVersion") },
            { index: 2, message: expect.stringContaining("is not the cluster posted to (small)") },
            { index: 3, message: expect.stringContaining("object") },
          ],
        },
      });
      expect((await postDeltas(s.url, undefined, JSON.stringify({ deltas: [] }))).status).toBe(401);
      const reader = await token(s.url, "team-viewer", "shop");
      expect((await postDeltas(s.url, reader, JSON.stringify({ deltas: [] }))).status).toBe(403);
      expect((await postDeltas(s.url, ingest, JSON.stringify({ items: [] }))).status).toBe(400);
      expect((await postDeltas(s.url, ingest, '{"deltas":[{"__proto__":{}}]}')).status).toBe(400);
      const many = JSON.stringify({ deltas: Array.from({ length: 5001 }, (_, i) => pod(`p${i}`, i + 1)) });
      expect(await postDeltas(s.url, ingest, many)).toEqual({
        status: 413,
        body: { error: { code: "LIMIT", message: expect.stringContaining("at most 5000") } },
      });
    } finally {
      await s.close();
    }
  });

  it("size-capped: a batch over 16 MiB is split by the sensor's sink; one delta over it alone is dropped and reported", async () => {
    const db = join(dir, "cap.db");
    const s = await startServe({ listen: "127.0.0.1:0", db, adminToken: ADMIN, now });
    const refused: string[] = [];
    const big = (name: string, rv: number, mib: number) =>
      pod(name, rv, "upsert", "x".repeat(mib * 1024 * 1024));
    try {
      const ingest = await token(s.url, "ingest");
      const sink = serverDeltaSink({
        server: s.url,
        cluster: "small",
        token: ingest,
        onRefused: (r) => refused.push(...r.map((x) => `${x.delta.key.name}: ${x.message}`)),
      });
      await sink.send([
        big("b1", 1, 6),
        big("b2", 2, 6),
        big("b3", 3, 6),
        big("huge", 4, 17),
        pod("small", 5),
      ]);
      expect(sink.stats()).toEqual({ applied: 4, ignored: 0, refused: 1 });
      expect(refused).toEqual([expect.stringMatching(/^huge: over the server's body cap/)]);
    } finally {
      await s.close();
    }
    const state = await openClusterState(db);
    try {
      expect((await state.objects("small")).map((r) => r.key.name)).toEqual(["b1", "b2", "b3", "small"]);
    } finally {
      await state.close();
    }
  }, 120_000);
});

describe.runIf(kubeTestsEnabled())("palisade sensor --server against a real kube-apiserver", () => {
  it("posts one full snapshot once every kind is listed, then each change as a delta", async () => {
    const c = await startCluster();
    const db = join(dir, "sensor.db");
    const s = await startServe({ listen: "127.0.0.1:0", db, adminToken: ADMIN, now });
    const logs: string[] = [];
    const kinds = sensorKinds(false).filter((k) => ["Namespace", "ConfigMap", "Pod"].includes(k.kind));
    let sensor: Awaited<ReturnType<typeof startSensor>> | undefined;
    const state = await openClusterState(db);
    const stores = await openStores(db);
    const until = async (what: string, probe: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 600; i++) {
        if (await probe()) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`gave up waiting: ${what}; log: ${logs.slice(-10).join(" | ")}`);
    };
    try {
      const ingest = await token(s.url, "ingest");
      const created = await c.api("POST", "/api/v1/namespaces", { metadata: { name: "shop" } });
      expect(created.status).toBe(201);
      sensor = await startSensor({
        cluster: "live-server",
        api: { kubeconfig: c.kubeconfig("admin") },
        transport: { server: s.url, token: ingest, intervalMs: 1_000 },
        bufferDir: join(dir, "sensor-buffer"),
        kinds,
        log: (l) => logs.push(l),
      });
      const running = sensor;
      await until("the first snapshot", () => running.stats().snapshots === 1);
      const inSnapshot = async () =>
        (await stores.snapshots.objectsAt("live-server", new Date())).map(
          (o) => `${o.key.kind}/${o.key.name}`,
        );
      expect(await inSnapshot()).toContain("Namespace/shop");
      const cm = await c.api("POST", "/api/v1/namespaces/shop/configmaps", {
        metadata: { name: "after-start" },
        data: { k: "v" },
      });
      expect(cm.status).toBe(201);
      const uid = (cm.body as { metadata: { uid: string; resourceVersion: string } }).metadata;
      await until("the ConfigMap as a delta in the fleet state", async () =>
        (await state.objects("live-server")).some(
          (r) => r.uid === uid.uid && r.resourceVersion === uid.resourceVersion,
        ),
      );
      // A change is a delta, not another snapshot: the snapshot history does not have it.
      expect(running.stats().snapshots).toBe(1);
      expect(await inSnapshot()).not.toContain("ConfigMap/after-start");
      // The fleet state holds every object listed: the namespace from the list, the ConfigMap from the watch.
      const names = (await state.objects("live-server")).map((r) => `${r.key.kind}/${r.key.name}`);
      expect(names).toEqual(expect.arrayContaining(["Namespace/shop", "ConfigMap/after-start"]));
    } finally {
      await sensor?.stop();
      await state.close();
      await stores.close();
      await s.close();
      await c.stop();
    }
  }, 300_000);
});

/**
 * A kube API test double (the real kube-apiserver is not built on every machine, and a 410 cannot be had from it on
 * demand): ConfigMaps listed and watched as the API server answers (list with a resourceVersion, watch events as
 * JSON lines), a watch answered 410 Gone when asked, and objects removed without an event (missed by the watch).
 */
function kubeDouble() {
  let rv = 100;
  const objects = new Map<string, Record<string, unknown>>();
  const watches = new Set<PassThrough>();
  let gone = false;
  const cm = (name: string) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "shop", uid: `uid-${name}`, resourceVersion: String(++rv) },
    data: { k: name },
  });
  const request: ApiRequest = async (path, signal) => {
    if (!path.startsWith("/api/v1/configmaps?")) return { status: 404, body: Readable.from(["{}"]) };
    if (!path.includes("watch=1")) {
      const list = {
        kind: "ConfigMapList",
        metadata: { resourceVersion: String(rv) },
        items: [...objects.values()],
      };
      return { status: 200, body: Readable.from([JSON.stringify(list)]) };
    }
    if (gone) {
      gone = false;
      const status = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" };
      return { status: 410, body: Readable.from([JSON.stringify(status)]) };
    }
    const w = new PassThrough();
    watches.add(w);
    signal.addEventListener("abort", () => w.destroy(), { once: true });
    w.once("close", () => watches.delete(w));
    return { status: 200, body: w };
  };
  return {
    request,
    add(name: string) {
      const o = cm(name);
      objects.set(name, o);
      for (const w of watches) w.write(`${JSON.stringify({ type: "ADDED", object: o })}\n`);
    },
    /** Removed with no event: the sensor learns of it only from a relist. */
    dropSilently(name: string) {
      objects.delete(name);
      rv++;
    },
    /** End the watches; the next one is answered 410 Gone (its resourceVersion is too old): a relist follows. */
    expire() {
      gone = true;
      for (const w of watches) w.end();
    },
  };
}

describe("palisade sensor --server (kube API test double): snapshot at start and relist, deltas between", () => {
  it("posts a full snapshot once listed, each later change as a delta, and a full snapshot again after a 410 relist", async () => {
    const db = join(dir, "double.db");
    const s = await startServe({ listen: "127.0.0.1:0", db, adminToken: ADMIN, now });
    const kube = kubeDouble();
    const logs: string[] = [];
    const kinds = sensorKinds(false).filter((k) => k.kind === "ConfigMap");
    let sensor: Awaited<ReturnType<typeof startSensor>> | undefined;
    const state = await openClusterState(db);
    const stores = await openStores(db);
    const until = async (what: string, probe: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 600; i++) {
        if (await probe()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`gave up waiting: ${what}; log: ${logs.slice(-10).join(" | ")}`);
    };
    const inSnapshot = async () =>
      (await stores.snapshots.objectsAt("double", new Date())).map((o) => o.key.name).sort();
    const live = async () => (await state.objects("double")).map((r) => r.key.name);
    try {
      const ingest = await token(s.url, "ingest");
      kube.add("one");
      kube.add("two");
      sensor = await startSensor({
        cluster: "double",
        api: { request: kube.request },
        transport: { server: s.url, token: ingest, intervalMs: 100 },
        bufferDir: join(dir, "double-buffer"),
        kinds,
        log: (l) => logs.push(l),
      });
      const running = sensor;
      await until("the first snapshot", () => running.stats().snapshots === 1);
      expect(await inSnapshot()).toEqual(["one", "two"]);
      await until("the listed objects as deltas", async () => (await live()).length === 2);
      kube.add("three");
      await until("the new ConfigMap as a delta", async () => (await live()).includes("three"));
      // A change is a delta, not a snapshot: the snapshot history does not have it yet.
      expect(running.stats().snapshots).toBe(1);
      expect(await inSnapshot()).toEqual(["one", "two"]);
      kube.dropSilently("one");
      kube.expire();
      await until("a second snapshot after the relist", () => running.stats().snapshots === 2);
      expect(running.stats()).toMatchObject({ relists: 1, sendErrors: 0 });
      expect(await inSnapshot()).toEqual(["three", "two"]);
      // The deletion the relist inferred reached the fleet state as a delta too.
      await until("the deletion as a delta", async () => !(await live()).includes("one"));
      expect((await state.rows("double")).map((r) => [r.key.name, r.deleted])).toEqual([
        ["one", true],
        ["three", false],
        ["two", false],
      ]);
    } finally {
      await sensor?.stop();
      await state.close();
      await stores.close();
      await s.close();
    }
  }, 120_000);
});
