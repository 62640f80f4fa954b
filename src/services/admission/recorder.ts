/**
 * Use case: record the webhook's decisions in the store without ever slowing a review. `record` only appends to a
 * bounded in-memory buffer; a background flush writes what is buffered in one batch (one transaction) at a time,
 * letting the event loop run between batches.
 * When the store is slow or down the buffer fills and further decisions are dropped and counted (a review is never
 * made to wait for, or fail because of, its record); a batch the store refuses is counted as dropped too. Retention
 * (age and count) is applied every `pruneEveryMs`, in steps of `pruneChunk` rows beside the writes (a million rows
 * past retention are never deleted in one hold of the event loop, and decisions keep being written meanwhile).
 */
import type { AdmissionDecisionInput, AdmissionDecisionStore } from "../../adapters/store/ports.js";
import type { AdmissionDecision, AdmissionRequest } from "../../core/admission/index.js";
import { storedDecisionDetails } from "./decision-details.js";

/**
 * A store that turns a decision into the row it writes when the decision is recorded (`prepare`, which may throw
 * on a bad decision) and later appends the rows so made (`appendPrepared`). The recorder then buffers rows, not
 * decisions: what waits for the next flush is a few flat strings per review instead of the decision's objects,
 * and the decision itself is garbage as soon as it is answered.
 */
export interface PreparingDecisionStore {
  prepare(d: AdmissionDecisionInput): unknown;
  appendPrepared(rows: unknown[]): Promise<void>;
}

export interface DecisionRecorderOptions {
  store: Pick<AdmissionDecisionStore, "append" | "prune"> & Partial<PreparingDecisionStore>;
  /** Decisions buffered at most; past it they are dropped (counted). */
  maxBuffered: number;
  /** Decisions written per batch at most. */
  batchSize: number;
  /**
   * Batches handed to the store and not yet acknowledged, at most (default 1: each batch waits for the one before).
   * More lets a store that queues the writes itself (the off-thread SQLite writer) take the decisions off this
   * thread's heap as soon as they are flushed, instead of a round trip per batch later: buffered decisions are what
   * outlives a young-generation collection, and what the major collections that hold the loop then walk.
   */
  maxBatchesInFlight?: number | undefined;
  /** Time between flushes while decisions are buffered. */
  flushEveryMs: number;
  /** Keep decisions this long (milliseconds) and at most this many; undefined: no bound of that kind. */
  retention: { maxAgeMs?: number | undefined; maxCount?: number | undefined };
  pruneEveryMs: number;
  /** Rows deleted per step of a prune at most (the store lets the event loop run between steps). */
  pruneChunk: number;
  now: () => Date;
  log: (line: string) => void;
}

export interface DecisionRecorderStats {
  recorded: number;
  dropped: number;
  failedBatches: number;
  pruned: number;
  buffered: number;
}

/**
 * The stored form of one decision: who asked for what, the answer, and every violation; the details in their
 * compact form (decision-details.ts: each violation's text once), which `expandDecisionDetails` reads back.
 */
export function decisionRecord(
  d: AdmissionDecision,
  req: Pick<AdmissionRequest, "kind" | "namespace" | "name" | "operation" | "userInfo">,
  endpoint: string,
  at: Date,
  cluster = "",
): AdmissionDecisionInput {
  return {
    at,
    uid: d.uid,
    cluster,
    endpoint,
    allowed: d.allowed,
    evaluated: d.evaluated,
    operation: req.operation,
    kind: req.kind.kind,
    namespace: req.namespace,
    name: req.name,
    user: req.userInfo.username,
    rules: [...new Set(d.violations.map((v) => v.rule))].sort(),
    details: storedDecisionDetails(d),
  };
}

/** Buffered, batched, never-blocking decision recording. */
export class DecisionRecorder {
  readonly #stats = { recorded: 0, dropped: 0, failedBatches: 0, pruned: 0 };
  /** Decisions, or the rows the store made of them (PreparingDecisionStore). */
  #buffer: unknown[] = [];
  #flushing: Promise<void> | undefined;
  #pruning: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastPrune = Number.NEGATIVE_INFINITY;

  /** The store when it prepares rows at record time (both methods given), else undefined. */
  readonly #preparing: PreparingDecisionStore | undefined;

  constructor(private readonly opts: DecisionRecorderOptions) {
    const { store } = opts;
    this.#preparing =
      store.prepare !== undefined && store.appendPrepared !== undefined
        ? (store as PreparingDecisionStore)
        : undefined;
  }

  /**
   * Buffer one decision (or count it dropped when the buffer is full, or when a preparing store refuses it: that
   * decision alone, logged). Never throws, never waits.
   */
  record(d: AdmissionDecisionInput): void {
    if (this.#buffer.length >= this.opts.maxBuffered) {
      this.#stats.dropped++;
      return;
    }
    const store = this.#preparing;
    if (store === undefined) this.#buffer.push(d);
    else {
      try {
        this.#buffer.push(store.prepare(d));
      } catch (e) {
        this.#stats.dropped++;
        this.opts.log(
          `cannot record admission decision ${d.uid} (dropped): ${e instanceof Error ? e.message : String(e)}`,
        );
        return;
      }
    }
    if (this.#timer === undefined && this.#flushing === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.opts.flushEveryMs);
      this.#timer.unref();
    }
  }

  /** Write everything buffered now (batch after batch), then start a prune when due. One flush runs at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = undefined;
      // Decisions that arrived during the last write wait for the next tick of the loop.
      if (this.#buffer.length > 0 && this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.flush();
        }, this.opts.flushEveryMs);
        this.#timer.unref();
      }
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    const maxInFlight = Math.max(1, this.opts.maxBatchesInFlight ?? 1);
    const inFlight = new Set<Promise<boolean>>();
    let first = true;
    let failed = false;
    while (this.#buffer.length > 0 && !failed) {
      // A write holds the event loop (SQLite is synchronous): between batches, reviews waiting on the loop go first,
      // so a backlog is written in many short holds rather than one long one (what a review's latency sees).
      if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
      first = false;
      while (inFlight.size >= maxInFlight) if (!(await Promise.race(inFlight))) failed = true;
      if (failed || this.#buffer.length === 0) break;
      const written = this.#write(this.#buffer.splice(0, this.opts.batchSize));
      inFlight.add(written);
      void written.then((ok) => {
        inFlight.delete(written);
        if (!ok) failed = true;
      });
    }
    await Promise.all(inFlight);
    this.#pruneWhenDue();
  }

  /**
   * Hand one batch to the store; true when it was written. Not an async function: only the batch's size is kept
   * while the store works on it (an async frame would hold the decisions until the store answers).
   */
  #write(batch: unknown[]): Promise<boolean> {
    const n = batch.length;
    let written: Promise<void>;
    try {
      written =
        this.#preparing !== undefined
          ? this.#preparing.appendPrepared(batch)
          : this.opts.store.append(batch as AdmissionDecisionInput[]);
    } catch (e) {
      written = Promise.reject(e);
    }
    return written.then(
      () => {
        this.#stats.recorded += n;
        return true;
      },
      (e: unknown) => {
        this.#stats.failedBatches++;
        this.#stats.dropped += n;
        this.opts.log(
          `cannot record ${n} admission decisions (dropped): ${e instanceof Error ? e.message : String(e)}`,
        );
        return false;
      },
    );
  }

  /** Start a prune when one is due and none runs; it goes on beside later flushes. */
  #pruneWhenDue(): void {
    const now = this.opts.now();
    const { maxAgeMs, maxCount } = this.opts.retention;
    if (
      this.#pruning !== undefined ||
      (maxAgeMs === undefined && maxCount === undefined) ||
      now.getTime() - this.#lastPrune < this.opts.pruneEveryMs
    )
      return;
    this.#lastPrune = now.getTime();
    this.#pruning = this.opts.store
      .prune(
        {
          before: maxAgeMs === undefined ? undefined : new Date(now.getTime() - maxAgeMs),
          keep: maxCount,
        },
        { chunk: this.opts.pruneChunk },
      )
      .then(
        (n) => {
          this.#stats.pruned += n;
        },
        (e: unknown) =>
          this.opts.log(`cannot prune admission decisions: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => {
        this.#pruning = undefined;
      });
  }

  stats(): DecisionRecorderStats {
    return { ...this.#stats, buffered: this.#buffer.length };
  }

  /** Stop the timer, write what is buffered, and wait for a prune under way. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
    await this.#pruning;
  }
}
