/**
 * Use case: keep what the API answers about a cluster (findings with first/last seen and resolution, the object
 * versions the read views are computed from, remediation records) current with the cluster's fleet object state,
 * the state sensors' deltas are applied to.
 *
 * - {@link evaluateClusterState} evaluates a cluster from its object state through the very service a posted
 *   snapshot goes through (services/ingest `ingestSnapshot`: scan, inventory history, findings, remediation), the
 *   state read out of the store page by page into the inventory builder, never copied whole first.
 * - {@link EvaluationScheduler} decides when: a commit marks its clusters; a marked cluster is evaluated at most
 *   once every `intervalMs` (changes meanwhile are coalesced into the next evaluation), one evaluation at a time
 *   in this process, and at most one per cluster across processes (the store's exclusive name: an advisory lock
 *   on PostgreSQL). Nothing here is on a consumer's acknowledgement path: marking is synchronous and cheap.
 */
import type { ClusterStateStore } from "../../adapters/fleet/ports.js";
import { DEFAULT_STATE_PAGE } from "../../core/deltas/index.js";
import { type PalisadeError, toPalisadeError } from "../../core/errors/index.js";
import type { Exception } from "../../core/exceptions/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import type { RawObject } from "../../core/inventory/index.js";
import { type IngestDeps, type IngestSummary, ingestSnapshot } from "../ingest/index.js";
import type { InventoryReaders } from "../inventory/index.js";

/** The source name of a cluster's fleet object state in coverage entries and logs. */
export const fleetStateSource = (cluster: string): string => `fleet-state:${cluster}`;

/**
 * A snapshot reader over the fleet object state of `cluster`: live objects page by page, each handed to the
 * inventory's sink as it is read (charged to the run's object budget; past it, a coverage entry and the rest
 * left unread, as the snapshot loader does).
 */
export function fleetStateReader(
  state: Pick<ClusterStateStore, "livePages">,
  cluster: string,
  pageSize = DEFAULT_STATE_PAGE,
): NonNullable<InventoryReaders["snapshots"]> {
  return async (_files, budget, sink) => {
    const objects: RawObject[] = [];
    const coverage: CoverageEntry[] = [];
    const display = fleetStateSource(cluster);
    for await (const page of state.livePages(cluster, pageSize)) {
      for (const row of page) {
        if (row.object === null || typeof row.object !== "object" || Array.isArray(row.object)) continue;
        if (!budget.fits("objects")) {
          coverage.push({
            reason: "limit",
            message: `the fleet state of ${cluster} holds more objects than the object limit; the rest were not read`,
            subject: display,
          });
          return { objects, coverage, files: 1 };
        }
        budget.charge("objects");
        const raw: RawObject = { object: row.object as Record<string, unknown>, cluster };
        if (sink !== undefined) sink(raw);
        else objects.push(raw);
      }
    }
    return { objects, coverage, files: 1 };
  };
}

export interface EvaluationDeps extends Omit<IngestDeps, "readSnapshot"> {
  state: Pick<ClusterStateStore, "livePages">;
  /** Exceptions in force for the cluster (as a posted snapshot of it is judged). */
  exceptions(cluster: string): Promise<readonly Exception[]>;
  /** Objects per page read out of the state (default 500). */
  pageSize?: number | undefined;
}

/** Evaluate `cluster` from its fleet object state, recorded exactly as a posted snapshot of that state would be. */
export async function evaluateClusterState(cluster: string, deps: EvaluationDeps): Promise<IngestSummary> {
  const { state, exceptions, pageSize, ...ingest } = deps;
  return ingestSnapshot(
    { cluster, display: fleetStateSource(cluster), exceptions: await exceptions(cluster) },
    { ...ingest, readSnapshot: fleetStateReader(state, cluster, pageSize) },
  );
}

/** What one scheduled evaluation came to. */
export type EvaluationOutcome =
  | { cluster: string; result: "evaluated" }
  /** Another process held the cluster's exclusive name: tried again after the interval. */
  | { cluster: string; result: "busy" }
  | { cluster: string; result: "failed"; error: PalisadeError };

export interface SchedulerOptions {
  /** Least time between the starts of two evaluations of one cluster, ms (0: as soon as the last one ended). */
  intervalMs: number;
  /**
   * Least time from the first change after an evaluation to the next evaluation, ms (default 0): a burst of
   * changes (a sensor's initial list, a rollout) arrives in several batches, and an evaluation part-way through
   * it would open findings of a state that never quite existed, resolved a moment later.
   */
  settleMs?: number | undefined;
  /** Evaluate `cluster`: resolve true once done, false when another process is evaluating it (not done here). */
  evaluate(cluster: string): Promise<boolean>;
  /** The caller's clock, ms. */
  now(): number;
  /** The caller's timer: call `fn` after `ms`; answers a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
  /** Wait after a failed or busy evaluation before trying it again, ms (default: the interval, at least 1 s). */
  retryMs?: number | undefined;
  onOutcome?: ((o: EvaluationOutcome) => void) | undefined;
}

interface ClusterEntry {
  /** Changes committed that no evaluation started after. */
  dirty: boolean;
  /** When the first of those changes was marked. */
  dirtySince: number | undefined;
  /** When the last evaluation (or posted snapshot) of the cluster started. */
  lastStart: number | undefined;
  cancel: (() => void) | undefined;
  queued: boolean;
  /** Tail of the cluster's exclusive section: evaluations and posted snapshots of it run one after another. */
  tail: Promise<void>;
}

/**
 * When to evaluate which cluster. Per cluster: the first change after a quiet spell is evaluated at once, later
 * ones coalesce until `intervalMs` after the previous start; a change committed while an evaluation runs marks
 * the cluster again (that evaluation may have read the state before it). Evaluations run one at a time, in the
 * order they fell due. Memory: one small entry per cluster seen.
 */
export class EvaluationScheduler {
  private readonly entries = new Map<string, ClusterEntry>();
  private readonly due: string[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private paused = false;
  private waiters: (() => void)[] = [];
  private evaluations = 0;

  constructor(private readonly o: SchedulerOptions) {}

  /** Clusters whose state changed (a commit): evaluate them, at most once per interval each. */
  changed(clusters: Iterable<string>): void {
    if (this.closed) return;
    for (const c of clusters) {
      const e = this.entry(c);
      if (!e.dirty) e.dirtySince = this.o.now();
      e.dirty = true;
      if (e.cancel === undefined && !e.queued) this.schedule(c, e, 0);
    }
  }

  /**
   * Run `fn` (a posted full snapshot of `cluster` being ingested) exclusively with evaluations of the cluster in
   * this process. It counts as an evaluation start for the interval; changes committed before it stay marked (the
   * snapshot need not hold them), so they are evaluated from the state after the interval.
   */
  async exclusive<T>(cluster: string, fn: () => Promise<T>): Promise<T> {
    const e = this.entry(cluster);
    return this.section(e, async () => {
      e.lastStart = this.o.now();
      return fn();
    });
  }

  /**
   * Start no evaluation until {@link resume} (the one running goes on); changes are still marked. For a caller
   * that must know an evaluation sees a whole set of changes (tests; maintenance of the stores).
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Clusters marked and not yet being evaluated. */
  pending(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.dirty) n++;
    return n;
  }

  /** Evaluations run (finished, whatever their outcome) since start. */
  count(): number {
    return this.evaluations;
  }

  /** Resolves once nothing is marked, due or running (tests; a closing server). */
  settled(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((done) => this.waiters.push(done));
  }

  /** Stop: nothing new starts; resolves once the evaluation in hand ended. */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) {
      e.cancel?.();
      e.cancel = undefined;
      e.queued = false;
    }
    this.due.length = 0;
    await this.running;
    for (const w of this.waiters.splice(0)) w();
  }

  private entry(c: string): ClusterEntry {
    let e = this.entries.get(c);
    if (e === undefined) {
      e = {
        dirty: false,
        dirtySince: undefined,
        lastStart: undefined,
        cancel: undefined,
        queued: false,
        tail: Promise.resolve(),
      };
      this.entries.set(c, e);
    }
    return e;
  }

  private idle(): boolean {
    if (this.running !== undefined || this.due.length > 0) return false;
    for (const e of this.entries.values()) if (e.dirty || e.cancel !== undefined || e.queued) return false;
    return true;
  }

  private wake(): void {
    if (!this.idle()) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Queue `c` once it is due: `intervalMs` after its last start (and at least `atLeastMs` from now). */
  private schedule(c: string, e: ClusterEntry, atLeastMs: number): void {
    const now = this.o.now();
    const due = Math.max(
      e.lastStart === undefined ? now : e.lastStart + this.o.intervalMs,
      (e.dirtySince ?? now) + (this.o.settleMs ?? 0),
    );
    const wait = Math.max(due - now, atLeastMs, 0);
    e.cancel = this.o.setTimer(() => {
      e.cancel = undefined;
      if (this.closed) return;
      e.queued = true;
      this.due.push(c);
      this.pump();
    }, wait);
  }

  private pump(): void {
    if (this.running !== undefined || this.closed || this.paused) return;
    const c = this.due.shift();
    if (c === undefined) {
      this.wake();
      return;
    }
    const e = this.entry(c);
    e.queued = false;
    this.running = this.runOne(c, e).finally(() => {
      this.running = undefined;
      this.pump();
      this.wake();
    });
  }

  private async runOne(c: string, e: ClusterEntry): Promise<void> {
    const done = await this.section(e, async (): Promise<EvaluationOutcome> => {
      // Marked again by any commit from now on: this evaluation may read the state before it.
      e.dirty = false;
      e.dirtySince = undefined;
      e.lastStart = this.o.now();
      try {
        return (await this.o.evaluate(c))
          ? { cluster: c, result: "evaluated" }
          : { cluster: c, result: "busy" };
      } catch (err) {
        return { cluster: c, result: "failed", error: toPalisadeError(err) };
      }
    });
    this.evaluations++;
    this.o.onOutcome?.(done);
    if (this.closed) return;
    if (done.result !== "evaluated" && !e.dirty) {
      e.dirty = true;
      e.dirtySince = this.o.now();
    }
    if (e.dirty && e.cancel === undefined && !e.queued)
      this.schedule(
        c,
        e,
        done.result === "evaluated" ? 0 : (this.o.retryMs ?? Math.max(this.o.intervalMs, 1_000)),
      );
  }

  private async section<T>(e: ClusterEntry, fn: () => Promise<T>): Promise<T> {
    const before = e.tail;
    let release = () => {};
    e.tail = new Promise<void>((r) => {
      release = r;
    });
    await before;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
