/**
 * The fleet consumer inside `palisade serve --nats URL`: this replica pulls deltas from the shared durable
 * JetStream consumer (every replica started with the same NATS and stream shares the work) and applies them to the
 * fleet object state next to the server's stores. Consumer lag and what the batches did are Prometheus metrics on
 * the server's /metrics; closing stops pulling, settles the batch in hand (applied and acknowledged, or handed
 * back), then closes the connection and the state.
 */
import { hash } from "node:crypto";
import type { Registry } from "prom-client";
import { Counter, Gauge, Histogram } from "prom-client";
import {
  type ClusterStateStore,
  DEFAULT_EVENTS_CONSUMER,
  DEFAULT_EVENTS_STREAM,
  type DeltaSource,
  type FleetStreamConfig,
  openClusterState,
  openNatsSource,
} from "../../adapters/fleet/index.js";
import type { Stores } from "../../adapters/store/index.js";
import type { PalisadeError } from "../../core/errors/index.js";
import type { ForwardedEvents } from "../../core/runtime/index.js";
import { consumeDeltas } from "../../services/deltas/index.js";
import { EvaluationScheduler, evaluateClusterState } from "../../services/evaluation/index.js";
import { consumeForwardedEvents } from "../../services/runtime/index.js";
import { VERSION } from "../cli/version.js";
import { exceptionsFor } from "./write-routes.js";

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
  /** Told of the clusters each committed batch changed (before its acknowledgements; not awaited). */
  onCommitted?: ((clusters: readonly string[]) => void) | undefined;
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
    onCommitted: o.onCommitted,
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

/** Default least time between two evaluations of one cluster from its fleet object state. */
export const DEFAULT_EVALUATE_INTERVAL_MS = 30_000;
/** Default least time from a cluster's first change to its evaluation (a burst arrives in several batches). */
export const DEFAULT_SETTLE_MS = 2_000;

export interface FleetEvaluationOptions {
  state: ClusterStateStore;
  stores: Stores;
  now: () => Date;
  /** Least time between the starts of two evaluations of one cluster, ms (default 30 s). */
  intervalMs?: number | undefined;
  /** Least time from a cluster's first change to its evaluation, ms (default 2 s, at most the interval). */
  settleMs?: number | undefined;
  /** An evaluation failed (it is tried again after the interval). */
  onError?: ((cluster: string, e: PalisadeError) => void) | undefined;
}

export interface RunningFleetEvaluation {
  /** Mark clusters whose state a commit changed. */
  changed(clusters: readonly string[]): void;
  /** Run a posted snapshot's ingest of `cluster` exclusively with its evaluations (in this process). */
  exclusive<T>(cluster: string, fn: () => Promise<T>): Promise<T>;
  /** Resolves once nothing is marked, due or being evaluated. */
  settled(): Promise<void>;
  /** Evaluations finished since start. */
  count(): number;
  /** Start no evaluation until resumed (changes are still marked). */
  pause(): void;
  resume(): void;
  /** Stop scheduling; resolves once the evaluation in hand ended. */
  close(): Promise<void>;
}

/**
 * Evaluate clusters from their fleet object state after deltas commit (services/evaluation), with its metrics on
 * `registry`. At start every cluster of the state is marked once: deltas a replica committed and acknowledged
 * before it stopped, without evaluating them, are evaluated now.
 */
export async function startFleetEvaluation(
  o: FleetEvaluationOptions,
  registry: Registry,
): Promise<RunningFleetEvaluation> {
  const evaluations = resultCounter(
    registry,
    "palisade_fleet_evaluations_total",
    "Evaluations of a cluster from its fleet object state, by result (evaluated; busy: another replica held the cluster; failed)",
    ["evaluated", "busy", "failed"],
  );
  const cpu = new Counter({
    name: "palisade_fleet_evaluation_cpu_seconds_total",
    help: "Process CPU seconds (user + system) spent while an evaluation ran (includes other work of the process interleaved with it)",
    registers: [registry],
  });
  const duration = new Histogram({
    name: "palisade_fleet_evaluation_duration_seconds",
    help: "Wall time of one evaluation of a cluster from its fleet object state",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const objects = new Counter({
    name: "palisade_fleet_evaluated_objects_total",
    help: "Objects read out of the fleet object state by evaluations",
    registers: [registry],
  });
  const { state, stores, now } = o;
  const interval = o.intervalMs ?? DEFAULT_EVALUATE_INTERVAL_MS;
  const scheduler: EvaluationScheduler = new EvaluationScheduler({
    intervalMs: interval,
    settleMs: o.settleMs ?? Math.min(DEFAULT_SETTLE_MS, interval),
    now: () => Date.now(),
    setTimer: (fn, ms) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
    evaluate: async (cluster) => {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      try {
        const r = await state.tryExclusive(`cluster:${cluster}`, () =>
          evaluateClusterState(cluster, {
            state,
            stores,
            now,
            hash: (text) => hash("sha256", text, "hex"),
            version: VERSION,
            exceptions: async (c) => exceptionsFor(await stores.exceptions.list(), c),
          }),
        );
        if (r.ran) objects.inc(r.value.objects);
        return r.ran;
      } finally {
        const c = process.cpuUsage(c0);
        cpu.inc((c.user + c.system) / 1e6);
        duration.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      }
    },
    onOutcome: (r) => {
      evaluations.inc({ result: r.result });
      if (r.result === "failed") o.onError?.(r.cluster, r.error);
    },
  });
  new Gauge({
    name: "palisade_fleet_evaluations_pending",
    help: "Clusters whose fleet object state changed since their last evaluation started",
    registers: [registry],
    collect() {
      this.set(scheduler.pending());
    },
  });
  scheduler.changed(await state.clusters());
  return {
    changed: (clusters) => scheduler.changed(clusters),
    exclusive: (cluster, fn) => scheduler.exclusive(cluster, fn),
    settled: () => scheduler.settled(),
    count: () => scheduler.count(),
    pause: () => scheduler.pause(),
    resume: () => scheduler.resume(),
    close: () => scheduler.close(),
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
    "Forwarded event bodies received by this replica, by result (ingested, redelivered: ingested again, duplicate: a redelivery of a body this replica stored, acknowledged only, rejected: not forwarded events)",
    ["ingested", "redelivered", "duplicate", "rejected"],
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
    onIngested: (r) =>
      bodies.inc({ result: r.again ? "duplicate" : r.deliveries > 1 ? "redelivered" : "ingested" }),
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
