/**
 * One central replica as a process of its own, for the fleet fault tests: consumes the shared durable consumer
 * into the PostgreSQL object state until SIGTERM (then it finishes the batch in hand and exits 0).
 *
 *   node --import tsx test/support/fleet-replica.ts NATS_URL PG_URL SCHEMA [HOLD]
 *
 * HOLD = before-commit | after-commit: on the first batch, stop at that point for ever (printing `{"held": HOLD}`),
 * so the test can kill -9 the replica with the batch fetched but not committed, or committed but not acknowledged.
 * Prints one JSON line per batch; FLEET_ACK_WAIT_MS sets the consumer's ack wait.
 */
import {
  type ClusterStateStore,
  openNatsSource,
  openPgClusterState,
} from "../../src/adapters/fleet/index.js";
import { consumeDeltas } from "../../src/services/deltas/index.js";

const [natsUrl, pgUrl, schema, hold] = process.argv.slice(2);
if (!natsUrl || !pgUrl || !schema) throw new Error("usage: fleet-replica.ts NATS_URL PG_URL SCHEMA [HOLD]");
const print = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const never = () => new Promise<never>(() => {});

const ackWaitMs = Number(process.env.FLEET_ACK_WAIT_MS ?? 30_000);
const source = await openNatsSource({ servers: natsUrl, consumer: { ackWaitMs } });
const pgStore = await openPgClusterState(pgUrl, { schema });
let held = false;
const store: ClusterStateStore = {
  ...pgStore,
  async apply(deltas) {
    if (hold === "before-commit" && !held) {
      held = true;
      print({ held: hold, deltas: deltas.length });
      return never();
    }
    const r = await pgStore.apply(deltas);
    if (hold === "after-commit" && !held) {
      held = true;
      print({ held: hold, deltas: deltas.length });
      return never();
    }
    return r;
  },
};
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort());
print({ ready: true });
await consumeDeltas(source, store, {
  batch: 32,
  waitMs: 500,
  signal: stop.signal,
  pause: () => new Promise((r) => setTimeout(r, 200)),
  onBatch: (r) =>
    print({
      received: r.received,
      applied: r.applied,
      ignored: r.ignored,
      unconfirmedAcks: r.unconfirmedAcks,
    }),
  onError: (e) => print({ error: e.message }),
});
await source.close();
await pgStore.close();
print({ stopped: true });
