/**
 * The fleet consumer inside `palisade serve --nats URL`: this replica pulls deltas from the shared durable
 * JetStream consumer (every replica started with the same NATS and stream shares the work) and applies them to the
 * fleet object state next to the server's stores. Consumer lag and what the batches did are Prometheus metrics on
 * the server's /metrics; closing stops pulling, settles the batch in hand (applied and acknowledged, or handed
 * back), then closes the connection and the state.
 */
import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";
import {
  type ClusterStateStore,
  DEFAULT_EVENTS_CONSUMER,
  DEFAULT_EVENTS_STREAM,
  type DeltaSource,
  type FleetStreamConfig,
  openClusterState,
  openNatsSource,
} from "../../adapters/fleet/index.js";
import type { PalisadeError } from "../../core/errors/index.js";
import type { ForwardedEvents } from "../../core/runtime/index.js";
import { consumeDeltas } from "../../services/deltas/index.js";
import { consumeForwardedEvents } from "../../services/runtime/index.js";

export interface FleetConsumerOptions {
  /** NATS server URL(s), e.g. nats://nats:4222 (several comma-separated). */
  nats: string;
  /** Where the object state lives: the server's database location (`postgres://...`, a SQLite file, `memory:`). */
  db: string;
  /** The object state already open (the server's, shared with its delta route): used, and left open at close. */
  state?: ClusterStateStore | undefined;
  /** The stream to consume (name, subject prefix); defaults of adapters/fleet otherwise. */
  stream?: { name?: string | undefined; subjectPrefix?: string | undefined } | undefined;
  /** Messages per batch (one transaction each); default 256. */
  batch?: number | undefined;
  /** Batches in hand at once (fetch, commit and acknowledgements of one overlap another's); default 2. */
  concurrency?: number | undefined;
  /** A batch or fetch failed (the loop goes on after a pause). */
  onError?: ((e: PalisadeError) => void) | undefined;
  /** How long to wait after a failure before the next fetch; default 1 s. */
  retryMs?: number | undefined;
}

export interface RunningFleetConsumer {
  readonly state: ClusterStateStore;
  readonly source: DeltaSource;
  /** Stop pulling, settle the batch in hand, close. Calling it again does nothing. */
  close(): Promise<void>;
}

/** The stream options given, without the ones left unset (their defaults then apply). */
export function streamConfig(s: FleetConsumerOptions["stream"]): Partial<FleetStreamConfig> | undefined {
  if (s === undefined) return undefined;
  const out: Partial<FleetStreamConfig> = {};
  if (s.name !== undefined) out.name = s.name;
  if (s.subjectPrefix !== undefined) out.subjectPrefix = s.subjectPrefix;
  return out;
}

/** Register the fleet metrics on `registry` and start consuming. */
export async function startFleetConsumer(
  o: FleetConsumerOptions,
  registry: Registry,
): Promise<RunningFleetConsumer> {
  const owned = o.state === undefined;
  const state = o.state ?? (await openClusterState(o.db));
  let source: DeltaSource;
  try {
    source = await openNatsSource({
      servers: o.nats.split(",").map((s) => s.trim()),
      name: "palisade-serve",
      stream: streamConfig(o.stream),
    });
  } catch (e) {
    if (owned) await state.close();
    throw e;
  }
  const src = source;
  // Lag is read from the server when scraped: a stale figure would hide a stalled consumer. When NATS cannot
  // answer, the gauges keep their last value and the failure is counted.
  const lagErrors = new Counter({
    name: "palisade_fleet_consumer_lag_errors_total",
    help: "Scrapes whose consumer lag could not be read from NATS",
    registers: [registry],
  });
  let lag: Promise<{ pending: number; ackPending: number } | undefined> | undefined;
  const readLag = () => {
    // One request per scrape for both gauges.
    lag ??= src
      .lag()
      .catch(() => {
        lagErrors.inc();
        return undefined;
      })
      .finally(() => {
        setImmediate(() => {
          lag = undefined;
        });
      });
    return lag;
  };
  new Gauge({
    name: "palisade_fleet_consumer_pending",
    help: "Deltas stored in JetStream and not yet delivered to any central replica",
    registers: [registry],
    async collect() {
      const l = await readLag();
      if (l !== undefined) this.set(l.pending);
    },
  });
  new Gauge({
    name: "palisade_fleet_consumer_ack_pending",
    help: "Deltas delivered to a central replica and not yet acknowledged (being applied, or lost with a replica)",
    registers: [registry],
    async collect() {
      const l = await readLag();
      if (l !== undefined) this.set(l.ackPending);
    },
  });
  const deltas = resultCounter(
    registry,
    "palisade_fleet_deltas_total",
    "Deltas received by this replica, by result (applied, ignored: redelivered or stale, rejected: malformed)",
    ["applied", "ignored", "rejected"],
  );
  const failures = new Counter({
    name: "palisade_fleet_batch_failures_total",
    help: "Fetches or batches that failed (NATS or the database unavailable); their deltas come again",
    registers: [registry],
  });
  const stop = new AbortController();
  const retryMs = o.retryMs ?? 1_000;
  const loop = consumeDeltas(src, state, {
    batch: o.batch,
    concurrency: o.concurrency ?? 2,
    signal: stop.signal,
    pause: () => new Promise((r) => setTimeout(r, retryMs)),
    onBatch: (r) => {
      deltas.inc({ result: "applied" }, r.applied);
      deltas.inc({ result: "ignored" }, r.ignored);
      deltas.inc({ result: "rejected" }, r.rejected.length);
    },
    onError: (e) => {
      failures.inc();
      o.onError?.(e);
    },
  });
  return {
    state,
    source: src,
    close: closeOnce(stop, loop, async () => {
      await src.close();
      if (owned) await state.close();
    }),
  };
}

export interface FleetEventsConsumerOptions {
  nats: string;
  /** Ingest one forwarded body as the events route does (runtime-routes.ts); rejects when not stored. */
  ingest(events: ForwardedEvents): Promise<void>;
  onError?: ((e: PalisadeError) => void) | undefined;
  onRejected?: ((message: string) => void) | undefined;
  retryMs?: number | undefined;
}

export interface RunningFleetEventsConsumer {
  readonly source: DeltaSource;
  close(): Promise<void>;
}

/**
 * The runtime events sensors forward (`palisade sensor --events-listen`), pulled from their own stream and shared
 * durable consumer, ingested one body at a time; counters and lag on the server's /metrics.
 */
export async function startFleetEventsConsumer(
  o: FleetEventsConsumerOptions,
  registry: Registry,
): Promise<RunningFleetEventsConsumer> {
  const source = await openNatsSource({
    servers: o.nats.split(",").map((s) => s.trim()),
    name: "palisade-serve-events",
    stream: DEFAULT_EVENTS_STREAM,
    consumer: DEFAULT_EVENTS_CONSUMER,
  });
  new Gauge({
    name: "palisade_fleet_events_pending",
    help: "Forwarded event bodies stored in JetStream and not yet delivered to any central replica",
    registers: [registry],
    async collect() {
      const l = await source.lag().catch(() => undefined);
      if (l !== undefined) this.set(l.pending);
    },
  });
  const bodies = resultCounter(
    registry,
    "palisade_fleet_event_bodies_total",
    "Forwarded event bodies received by this replica, by result (ingested, redelivered: ingested again, rejected: not forwarded events)",
    ["ingested", "redelivered", "rejected"],
  );
  const failures = new Counter({
    name: "palisade_fleet_event_failures_total",
    help: "Fetches or bodies that failed (NATS or the database unavailable); their bodies come again",
    registers: [registry],
  });
  const stop = new AbortController();
  const retryMs = o.retryMs ?? 1_000;
  const loop = consumeForwardedEvents(source, {
    ingest: o.ingest,
    signal: stop.signal,
    pause: () => new Promise((r) => setTimeout(r, retryMs)),
    onIngested: (r) => bodies.inc({ result: r.deliveries > 1 ? "redelivered" : "ingested" }),
    onRejected: (m) => {
      bodies.inc({ result: "rejected" });
      o.onRejected?.(m);
    },
    onError: (e) => {
      failures.inc();
      o.onError?.(e);
    },
  });
  return { source, close: closeOnce(stop, loop, () => source.close()) };
}

/** A counter by `result`, every result present from the start (so a rate over it has a first sample). */
function resultCounter(
  registry: Registry,
  name: string,
  help: string,
  results: readonly string[],
): Counter<"result"> {
  const c = new Counter({ name, help, labelNames: ["result"], registers: [registry] });
  for (const result of results) c.inc({ result }, 0);
  return c;
}

/** Close a consumer once: stop pulling, settle the batch in hand (`loop`), then release what it held. */
function closeOnce(
  stop: AbortController,
  loop: Promise<void>,
  release: () => Promise<void>,
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      stop.abort();
      try {
        await loop;
      } finally {
        await release();
      }
    })();
    return closing;
  };
}
