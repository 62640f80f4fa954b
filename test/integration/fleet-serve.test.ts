/**
 * `palisade serve --nats`: replicas of the server consume the fleet's deltas into the object state next to their
 * stores, on a private nats-server (JetStream) and the real PostgreSQL at 127.0.0.1:5432 (a schema of this file),
 * or a SQLite file. Lag is on /metrics; closing a replica settles the batch in hand before it returns.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type ClusterStateStore,
  DEFAULT_CONSUMER,
  DEFAULT_STREAM,
  type DeltaPublisher,
  openClusterState,
  openMemoryClusterState,
  openNatsPublisher,
} from "../../src/adapters/fleet/index.js";
import { type RunningServer, startServe } from "../../src/apps/server/serve.js";
import type { ObjectDelta } from "../../src/core/deltas/index.js";
import {
  churn,
  type NatsServer,
  natsServerVersion,
  startNatsServer,
  waitForPort,
} from "../support/fleet-services.js";

const PG_URL = process.env.PALISADE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_VERSION = await natsServerVersion();
const PG_UP = await waitForPort(Number(new URL(PG_URL).port || 5432), 20).then(
  () => true,
  () => false,
);
const ADMIN = "fleet-serve-admin-token-0123456789";

it("nats-server can be run and PostgreSQL is reachable", () => {
  expect({ nats: NATS_VERSION !== undefined, pg: PG_UP }).toEqual({ nats: true, pg: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => Promise<boolean>, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`gave up waiting: ${what}`);
}

async function publishAll(pub: DeltaPublisher, deltas: readonly ObjectDelta[]): Promise<void> {
  for (const d of deltas) await pub.publish(d);
}

async function metrics(server: RunningServer): Promise<string> {
  const r = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(r.status).toBe(200);
  return r.text();
}

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

async function serve(nats: NatsServer, db: string): Promise<RunningServer> {
  const s = await startServe({
    listen: "127.0.0.1:0",
    db,
    nats: nats.url,
    adminToken: ADMIN,
    now: () => new Date(),
    logger: false,
  });
  cleanups.push(() => s.close());
  return s;
}

async function converged(
  state: ClusterStateStore,
  cluster: string,
  deltas: readonly ObjectDelta[],
): Promise<void> {
  const m = openMemoryClusterState();
  await m.apply(deltas);
  const want = await m.rows(cluster);
  await until("the state to equal the deltas applied directly", async () =>
    isDeepStrictEqual(await state.rows(cluster), want),
  ).catch(() => {});
  expect(await state.rows(cluster)).toEqual(want);
}

describe.runIf(NATS_VERSION !== undefined && PG_UP)("palisade serve --nats", () => {
  it("two replicas on PostgreSQL share the durable consumer; lag on /metrics, back to 0 after one replica closed mid-stream", async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const schema = `fleet_serve_${process.pid}_${randomBytes(3).toString("hex")}`;
    schemas.push(schema);
    const db = `${PG_URL}?schema=${schema}`;
    const [a, b] = [await serve(nats, db), await serve(nats, db)];
    const pub = await openNatsPublisher({ servers: nats.url });
    cleanups.push(() => pub.close());
    const deltas = churn("serve-pg", 600, 7);
    await publishAll(pub, deltas.slice(0, 300));
    const state = await openClusterState(db);
    cleanups.push(() => state.close());
    await converged(state, "serve-pg", deltas.slice(0, 300));
    await until("lag 0 on /metrics", async () => {
      const text = await metrics(a as RunningServer);
      return (
        /^palisade_fleet_consumer_pending 0$/m.test(text) &&
        /^palisade_fleet_consumer_ack_pending 0$/m.test(text)
      );
    });
    const applied = async (s: RunningServer) =>
      Number(/^palisade_fleet_deltas_total\{result="applied"\} (\d+)$/m.exec(await metrics(s))?.[1] ?? 0);
    // Both replicas took part (JetStream hands pulls to whichever asks).
    expect((await applied(a as RunningServer)) + (await applied(b as RunningServer))).toBeGreaterThan(0);

    // Close replica b while deltas arrive: once close() returns, its batch is settled, so the consumer shows
    // nothing unacknowledged beyond what a still running a holds, and a (alone) finishes the rest.
    const publishing = publishAll(pub, deltas.slice(300));
    await (b as RunningServer).close();
    await publishing;
    await converged(state, "serve-pg", deltas);
    // a acknowledges after its commit: the state can be whole a moment before the acknowledgements are in.
    await until("lag 0 on /metrics after b closed", async () => {
      const text = await metrics(a as RunningServer);
      return (
        /^palisade_fleet_consumer_pending 0$/m.test(text) &&
        /^palisade_fleet_consumer_ack_pending 0$/m.test(text)
      );
    });
  }, 240_000);

  it("a replica closed mid-backlog settles its batch: nothing is left for the ack wait", async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const dir = await mkdtemp(join(tmpdir(), "palisade-fleet-serve-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const db = join(dir, "palisade.db");
    const pub = await openNatsPublisher({ servers: nats.url });
    cleanups.push(() => pub.close());
    const deltas = churn("serve-sqlite", 2000, 8);
    await publishAll(pub, deltas);
    const s = await serve(nats, db);
    await until("a first batch applied", async () =>
      /^palisade_fleet_deltas_total\{result="applied"\} [1-9]/m.test(await metrics(s)),
    );
    await s.close();
    const nc = await connect({ servers: nats.url });
    try {
      const i = await (await jetstreamManager(nc)).consumers.info(
        DEFAULT_STREAM.name,
        DEFAULT_CONSUMER.durable,
      );
      // Acknowledged right away: the ack wait (30 s) has not run out for anything the replica held.
      expect(i.num_ack_pending).toBe(0);
    } finally {
      await nc.close();
    }
    // A new replica on the same SQLite file finishes the backlog.
    await serve(nats, db);
    const state = await openClusterState(db);
    cleanups.push(() => state.close());
    await converged(state, "serve-sqlite", deltas);
  }, 240_000);
});
