/**
 * Ports of the fleet transport: the per-cluster object state that deltas are applied to, the publishing side a
 * sensor uses, and the consuming side central replicas share. Implementations: memory and PostgreSQL for the
 * state (one contract suite), NATS JetStream for the transport.
 */
import type { ObjectDelta, ObjectStateRow } from "../../core/deltas/index.js";
import type { ForwardedEvents } from "../../core/runtime/index.js";

/** What one batch changed. */
export interface ApplyResult {
  /** Rows changed (a delta newer than what was stored; of several for one object, only the newest counts). */
  applied: number;
  /** The other deltas: the same change again, one older than what was stored, or superseded in the batch. */
  ignored: number;
  /** Clusters whose state the batch changed (at least one row applied), sorted: those to evaluate again. */
  clusters: string[];
}

/** Per-cluster object state, kept by the latest change applied to each (cluster, uid). */
export interface ClusterStateStore {
  /**
   * Apply `deltas` in order, in one transaction (all or none), by the rule of core/deltas: a delta changes its
   * row only when its resourceVersion is newer. Safe to call concurrently from several processes.
   */
  apply(deltas: readonly ObjectDelta[]): Promise<ApplyResult>;
  /** Live objects of `cluster` (tombstones left out), sorted by key then uid. */
  objects(cluster: string): Promise<ObjectStateRow[]>;
  /** Every row of `cluster`, tombstones included, in the same order. */
  rows(cluster: string): Promise<ObjectStateRow[]>;
  /**
   * Live objects of `cluster` in pages of at most `pageSize` (default 500), by uid: each page is one read of what
   * is committed then (keyset paging, no transaction held open), so an evaluation streams the state out of the
   * store instead of holding a copy of it. An object changed while the pages are read is in them once, in one of
   * its versions; one created meanwhile may be missed (the change that created it marks the cluster again).
   */
  livePages(cluster: string, pageSize?: number): AsyncIterable<ObjectStateRow[]>;
  /** Clusters with at least one row (tombstones count), sorted. */
  clusters(): Promise<string[]>;
  /**
   * Run `fn` unless another process runs one under the same `name` now (PostgreSQL: a session advisory lock, so
   * N central replicas never evaluate one cluster at once); `ran: false` when it is taken. SQLite and memory
   * serve one process: they always run `fn` (the caller serialises within the process).
   */
  tryExclusive<T>(name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
  close(): Promise<void>;
}

/** A sensor's side of the transport. */
export interface DeltaPublisher {
  /**
   * Publish one delta; resolves once the transport has stored it (acknowledged), `duplicate` when it already held
   * the same change (same message id within the de-duplication window). Rejects when not stored: retry it.
   */
  publish(delta: ObjectDelta): Promise<{ duplicate: boolean }>;
  close(): Promise<void>;
}

/** One delivered message: its payload and how to settle it. */
export interface DeltaMessage {
  /** The message body (JSON text of a delta, unvalidated). */
  data: string;
  /** Which delivery of this message this is (1 for the first). */
  deliveries: number;
  /** Processed: never deliver again. */
  ack(): Promise<void>;
  /** Not processed: deliver again (to any replica). */
  nak(): void;
  /** Cannot ever be processed (malformed): never deliver again. */
  term(): void;
}

/** How far behind the consumer is: a metric value. */
export interface ConsumerLag {
  /** Messages stored and not yet delivered to any replica. */
  pending: number;
  /** Messages delivered and not yet acknowledged. */
  ackPending: number;
}

/** A central replica's side of the transport: one shared durable consumer, so replicas share the work. */
export interface DeltaSource {
  /** Up to `max` messages, waiting at most `waitMs` for the first; an empty batch when none came. */
  fetch(max: number, waitMs: number): Promise<DeltaMessage[]>;
  lag(): Promise<ConsumerLag>;
  close(): Promise<void>;
}

/**
 * Where a sensor sends batches of deltas: JetStream, or the server. `send` resolves once the whole batch is
 * stored on the other side, and rejects otherwise; the sensor then keeps the batch and sends it again, so a sink
 * must tolerate a batch (or part of it) arriving twice (message ids, the apply rule).
 */
export interface DeltaSink {
  send(deltas: readonly ObjectDelta[]): Promise<void>;
  close(): Promise<void>;
}

/** One stored batch of a {@link DeltaBuffer}, oldest first. */
export interface BufferedBatch {
  /** Increasing with the order batches were appended. */
  seq: number;
  deltas: ObjectDelta[];
}

/** Counters of a {@link DeltaBuffer}. */
export interface BufferStats {
  /** Batches held. */
  batches: number;
  /** Deltas held. */
  deltas: number;
  /** Bytes held on disk. */
  bytes: number;
  /** Deltas dropped to keep under the size cap (oldest first), since this process started. */
  droppedDeltas: number;
  /** Batches dropped. */
  droppedBatches: number;
}

/**
 * A sensor's bounded local buffer for when the transport is down: batches in append order, a size cap with the
 * oldest dropped (and counted) to make room. Reads and removals are of the oldest batch only, so draining keeps
 * the order deltas were observed in.
 */
export interface DeltaBuffer {
  append(deltas: readonly ObjectDelta[]): Promise<void>;
  /** The oldest batch, or undefined when empty. */
  oldest(): Promise<BufferedBatch | undefined>;
  /** Remove the oldest batch once sent (a no-op when `seq` is not the oldest any more: it was dropped). */
  remove(seq: number): Promise<void>;
  stats(): BufferStats;
}

/**
 * Where a sensor sends the runtime events it was given: JetStream, or the server's events endpoint. `send` resolves
 * once the other side stored them and rejects otherwise (the sensor keeps them and sends them again).
 */
export interface EventSink {
  send(events: ForwardedEvents): Promise<void>;
  close(): Promise<void>;
}

/** Counters of a file queue: its batches, the items in them, bytes on disk, and what the cap dropped. */
export interface FileQueueStats {
  batches: number;
  items: number;
  bytes: number;
  droppedItems: number;
  droppedBatches: number;
}

/** Batches of items in files, oldest first: the disk buffer of deltas, and of forwarded runtime events. */
export interface FileQueue<T> {
  append(batch: readonly T[]): Promise<void>;
  oldest(): Promise<{ seq: number; items: T[] } | undefined>;
  remove(seq: number): Promise<void>;
  stats(): FileQueueStats;
}

/** The sensor's disk buffer of forwarded runtime events: one body per batch. */
export type EventBuffer = FileQueue<ForwardedEvents>;
