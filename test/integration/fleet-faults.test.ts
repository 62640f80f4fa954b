/**
 * The fleet transport end to end under faults, on real services: a private nats-server (JetStream, file storage)
 * on a free port, central replicas as processes of their own (test/support/fleet-replica.ts) sharing one durable
 * consumer, and the object state in PostgreSQL (a database of this file on 127.0.0.1:5432, or a private PostgreSQL
 * instance for the restart). A publisher plays the sensor: it retries each delta until JetStream acknowledges it.
 *
 * After each fault: every delta the publisher got an acknowledgement for is in the state, the stream holds each
 * delta once (no duplicate), the consumer has nothing pending or unacknowledged, and the state in PostgreSQL equals
 * the memory store's after applying the same deltas directly. Waits are bounded generously; nothing asserts speed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_CONSUMER,
  DEFAULT_STREAM,
  type DeltaPublisher,
  natsDeltaSink,
  openDiskBuffer,
  openMemoryClusterState,
  openNatsPublisher,
  openPgClusterState,
} from "../../src/adapters/fleet/index.js";
import type { ObjectDelta, ObjectStateRow } from "../../src/core/deltas/index.js";
import { createSensorPipeline } from "../../src/services/sensor/index.js";
import {
  churn,
  type NatsServer,
  natsServerVersion,
  type PgInstance,
  type Relay,
  startNatsServer,
  startPostgres,
  startRelay,
  waitForPort,
} from "../support/fleet-services.js";

const PG_URL = process.env.PALISADE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_VERSION = await natsServerVersion();
const PG_UP = await waitForPort(Number(new URL(PG_URL).port || 5432), 20).then(
  () => true,
  () => false,
);

// No silent skip: a missing tool or server fails here, naming it.
it("nats-server can be run and PostgreSQL is reachable", () => {
  expect({ nats: NATS_VERSION !== undefined, pg: PG_UP }).toEqual({ nats: true, pg: true });
});

const ACK_WAIT_MS = 3_000;
const REPLICA = resolve("test/support/fleet-replica.ts");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it answers true; fail naming `what` after `attempts` tries (generous: not a speed bound). */
async function until(what: string, probe: () => Promise<boolean>, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`gave up waiting: ${what}`);
}

interface Replica {
  lines: Record<string, unknown>[];
  waitFor(pred: (l: Record<string, unknown>) => boolean, what: string): Promise<void>;
  kill9(): Promise<void>;
  /** SIGTERM, then wait for the exit; answers the exit code. */
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();

function startReplica(natsUrl: string, pgUrl: string, schema: string, hold?: string): Replica {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", REPLICA, natsUrl, pgUrl, schema, ...(hold ? [hold] : [])],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, FLEET_ACK_WAIT_MS: String(ACK_WAIT_MS) } },
  );
  children.add(child);
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ text: l });
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((done) =>
    child.once("exit", (code) => {
      children.delete(child);
      for (const w of waiters) w();
      done(code);
    }),
  );
  return {
    lines,
    waitFor(pred, what) {
      return new Promise((done, fail) => {
        const check = () => {
          if (lines.some(pred)) {
            waiters.delete(check);
            done();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            fail(new Error(`replica exited before ${what}: ${JSON.stringify(lines.slice(-5))}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

/**
 * Publish every delta, retrying each until JetStream acknowledges it (as a sensor does); `onAck(n)` after the n-th
 * acknowledgement. Answers how many acknowledgements said "duplicate".
 */
async function publishAll(
  pub: DeltaPublisher,
  deltas: readonly ObjectDelta[],
  onAck: (n: number) => Promise<void> = async () => {},
): Promise<{ duplicates: number; retries: number }> {
  let duplicates = 0;
  let retries = 0;
  for (let i = 0; i < deltas.length; i++) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 1_000) throw new Error(`delta ${i} never acknowledged`);
      try {
        if ((await pub.publish(deltas[i] as ObjectDelta)).duplicate) duplicates++;
        break;
      } catch {
        retries++;
        await sleep(100);
      }
    }
    await onAck(i + 1);
  }
  return { duplicates, retries };
}

async function reference(deltas: readonly ObjectDelta[], cluster: string): Promise<ObjectStateRow[]> {
  const m = openMemoryClusterState();
  await m.apply(deltas);
  return m.rows(cluster);
}

let db: string;
let dbUrl: string;
const admin = async <T>(f: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
};

beforeAll(async () => {
  if (!PG_UP) return;
  db = `fleet_faults_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${db}`));
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  dbUrl = u.toString();
});
afterAll(async () => {
  if (!PG_UP || db === undefined) return;
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => {});
});

/** Every check made after a fault. */
async function expectConverged(
  nats: NatsServer,
  pgUrl: string,
  schema: string,
  cluster: string,
  deltas: readonly ObjectDelta[],
): Promise<void> {
  const want = await reference(deltas, cluster);
  const state = await openPgClusterState(pgUrl, { schema });
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    // Both waits together stay inside the tests' 240 s, so a state that never converges fails naming what it
    // waited for instead of timing out.
    await until(
      "the consumer to have nothing pending or unacknowledged",
      async () => {
        const i = await jsm.consumers.info(DEFAULT_STREAM.name, DEFAULT_CONSUMER.durable);
        return i.num_pending === 0 && i.num_ack_pending === 0;
      },
      450,
    );
    // Waited for, then compared whole (a difference is shown as a diff).
    await until(
      "the state to equal the deltas applied directly",
      async () => isDeepStrictEqual(await state.rows(cluster), want),
      250,
    ).catch(() => {});
    expect(await state.rows(cluster)).toEqual(want);
    // Each delta stored once: retries after a lost acknowledgement were de-duplicated by message id.
    expect((await jsm.streams.info(DEFAULT_STREAM.name)).state.messages).toBe(deltas.length);
  } finally {
    await nc.close();
    await state.close();
  }
}

describe.runIf(NATS_VERSION !== undefined && PG_UP)("fleet transport under faults", () => {
  let schemaN = 0;
  const freshSchema = () => `s${++schemaN}`;

  async function setUp() {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    return nats;
  }

  it("kill -9 and restart nats-server while a sensor publishes: nothing acknowledged is lost", async () => {
    const nats = await setUp();
    const schema = freshSchema();
    const deltas = churn("kill-nats", 900, 1);
    const pub = await openNatsPublisher({ servers: nats.url });
    cleanups.push(() => pub.close());
    const replicas = [startReplica(nats.url, dbUrl, schema), startReplica(nats.url, dbUrl, schema)];
    for (const r of replicas) await r.waitFor((l) => l.ready === true, "ready");
    const { retries } = await publishAll(pub, deltas, async (n) => {
      if (n === 300 || n === 600) {
        await nats.kill9();
        await nats.start();
      }
    });
    expect(retries).toBeGreaterThan(0);
    await expectConverged(nats, dbUrl, schema, "kill-nats", deltas);
    for (const r of replicas) expect(await r.stop()).toBe(0);
  }, 240_000);

  it("restart PostgreSQL while replicas commit: every batch that failed is redelivered", async () => {
    const nats = await setUp();
    const own: PgInstance = await startPostgres();
    cleanups.push(() => own.stop());
    const schema = freshSchema();
    const deltas = churn("restart-pg", 1200, 2);
    const pub = await openNatsPublisher({ servers: nats.url });
    cleanups.push(() => pub.close());
    const replicas = [startReplica(nats.url, own.url, schema), startReplica(nats.url, own.url, schema)];
    for (const r of replicas) await r.waitFor((l) => l.ready === true, "ready");
    // A backlog, so the replicas are mid-stream when the database goes away (cutting whatever is in flight)...
    await publishAll(pub, deltas.slice(0, 800));
    await Promise.any(replicas.map((r) => r.waitFor((l) => typeof l.received === "number", "a batch")));
    await own.halt();
    // ...and deltas that arrive while it is down, so some commit fails whatever the machine's speed: the replicas
    // fetch them, cannot commit, hand them back and retry. Only then does the database come back.
    await publishAll(pub, deltas.slice(800));
    await Promise.any(replicas.map((r) => r.waitFor((l) => typeof l.error === "string", "a failed commit")));
    await own.start();
    await expectConverged(nats, own.url, schema, "restart-pg", deltas);
    for (const r of replicas) expect(await r.stop()).toBe(0);
  }, 240_000);

  for (const hold of ["before-commit", "after-commit"] as const) {
    it(`kill -9 a central replica mid-batch (${hold}): its batch is redelivered to another`, async () => {
      const nats = await setUp();
      const schema = freshSchema();
      const cluster = `kill-${hold}`;
      const deltas = churn(cluster, 400, 3);
      const pub = await openNatsPublisher({ servers: nats.url });
      cleanups.push(() => pub.close());
      await publishAll(pub, deltas);
      const doomed = startReplica(nats.url, dbUrl, schema, hold);
      await doomed.waitFor((l) => l.held === hold, "holding a batch");
      await doomed.kill9();
      const survivor = startReplica(nats.url, dbUrl, schema);
      await expectConverged(nats, dbUrl, schema, cluster, deltas);
      if (hold === "after-commit")
        // The committed batch came again and changed nothing.
        expect(survivor.lines.some((l) => typeof l.ignored === "number" && l.ignored > 0)).toBe(true);
      expect(await survivor.stop()).toBe(0);
    }, 240_000);
  }

  it("partition the sensor from NATS (about 3 s, bounded) then heal: its retries are stored once", async () => {
    const nats = await setUp();
    const relay: Relay = await startRelay(nats.port);
    cleanups.push(() => relay.close());
    const schema = freshSchema();
    const deltas = churn("partition", 600, 4);
    // The publisher goes through the relay; the replicas reach NATS directly.
    const pub = await openNatsPublisher({ servers: `nats://127.0.0.1:${relay.port}` });
    cleanups.push(() => pub.close());
    const replica = startReplica(nats.url, dbUrl, schema);
    await replica.waitFor((l) => l.ready === true, "ready");
    const { retries } = await publishAll(pub, deltas, async (n) => {
      if (n !== 200) return;
      relay.partition();
      // The sensor keeps trying during the cut; it is healed after a fixed few seconds.
      setTimeout(() => relay.heal(), 3_000);
    });
    expect(retries).toBeGreaterThan(0);
    await expectConverged(nats, dbUrl, schema, "partition", deltas);
    expect(await replica.stop()).toBe(0);
  }, 240_000);

  it("partition a sensor from NATS for a minute while it keeps observing, then heal: its disk buffer drains, each delta stored once", async () => {
    const nats = await setUp();
    const relay: Relay = await startRelay(nats.port);
    cleanups.push(() => relay.close());
    const dir = await mkdtemp(join(tmpdir(), "palisade-partition-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const schema = freshSchema();
    const deltas = churn("minute", 900, 5);
    // The sensor's own sending path: pipeline, disk buffer, JetStream sink (through the relay); replicas direct.
    const sink = natsDeltaSink({ servers: `nats://127.0.0.1:${relay.port}`, timeoutMs: 2_000 });
    cleanups.push(() => sink.close());
    const pipeline = createSensorPipeline({
      sink,
      buffer: await openDiskBuffer({ dir }),
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      random: () => 0.5,
      maxBatch: 50,
      backoff: { initialMs: 250, maxMs: 4_000 },
    });
    const stop = new AbortController();
    const running = pipeline.run(stop.signal);
    cleanups.push(async () => {
      stop.abort();
      await running;
    });
    const replica = startReplica(nats.url, dbUrl, schema);
    await replica.waitFor((l) => l.ready === true, "ready");
    await pipeline.submit(deltas.slice(0, 300));
    await pipeline.idle();
    relay.partition();
    // A minute of changes observed while cut off: 600 deltas, 10 every second.
    let peak = 0;
    for (let i = 300; i < 900; i += 10) {
      await pipeline.submit(deltas.slice(i, i + 10));
      await sleep(1_000);
      peak = Math.max(peak, pipeline.stats().buffered);
    }
    relay.heal();
    await pipeline.idle();
    const stats = pipeline.stats();
    expect({ buffering: peak > 0, sent: stats.sent >= deltas.length, dropped: stats.dropped }).toEqual({
      buffering: true,
      sent: true,
      dropped: 0,
    });
    expect(stats.sendErrors).toBeGreaterThan(0);
    await expectConverged(nats, dbUrl, schema, "minute", deltas);
    expect(await replica.stop()).toBe(0);
  }, 600_000);
});
