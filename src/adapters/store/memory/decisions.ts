import {
  checkChunk,
  checkRetention,
  type DecisionRow,
  decisionRow,
  storedDecisionOf,
  yieldToLoop,
} from "../decision-rows.js";
import { decodeCursor, pageLimit, pageOf } from "../platform-rows.js";
import type {
  AdmissionDecisionInput,
  AdmissionDecisionQuery,
  AdmissionDecisionStore,
  DecisionPruneOptions,
  Page,
  StoredAdmissionDecision,
} from "../ports.js";

/** Decisions kept as rows, as the other backends keep them (so a returned value is never shared). */
export class MemoryAdmissionDecisionStore implements AdmissionDecisionStore {
  private rows: (DecisionRow & { seq: number })[] = [];
  private seq = 0;

  async append(decisions: readonly AdmissionDecisionInput[]): Promise<void> {
    const rows = decisions.map(decisionRow);
    for (const r of rows) this.rows.push({ ...r, seq: ++this.seq });
  }

  async list(q: AdmissionDecisionQuery = {}): Promise<Page<StoredAdmissionDecision>> {
    const limit = pageLimit(q.limit);
    const from = q.from?.toISOString();
    const to = q.to?.toISOString();
    const after = q.after === undefined ? undefined : decodeCursor<[number]>(q.after, ["number"])[0];
    const rule = q.rule === undefined ? undefined : JSON.stringify(q.rule);
    const rows = this.rows
      .filter(
        (r) =>
          (from === undefined || r.at >= from) &&
          (to === undefined || r.at < to) &&
          (q.cluster === undefined || r.cluster === q.cluster) &&
          (q.namespace === undefined || r.namespace === q.namespace) &&
          (q.allowed === undefined || r.allowed === (q.allowed ? 1 : 0)) &&
          (q.uid === undefined || r.uid === q.uid) &&
          (rule === undefined || r.rules.includes(rule)) &&
          (after === undefined || r.seq < after),
      )
      .sort((a, b) => b.seq - a.seq)
      .slice(0, limit + 1);
    return pageOf(rows, limit, storedDecisionOf, (r) => [r.seq]);
  }

  #pruning: Promise<number> | undefined;

  async prune(
    retention: { before?: Date | undefined; keep?: number | undefined },
    opts: DecisionPruneOptions = {},
  ): Promise<number> {
    const { before, keep } = checkRetention(retention);
    const chunk = checkChunk(opts.chunk) ?? Number.POSITIVE_INFINITY;
    // One prune at a time (each replaces the rows it read); one alone starts reading at once.
    while (this.#pruning !== undefined) await this.#pruning.catch(() => {});
    const run = this.#prune(before, keep, chunk);
    this.#pruning = run;
    try {
      return await run;
    } finally {
      if (this.#pruning === run) this.#pruning = undefined;
    }
  }

  async #prune(before: string | undefined, keep: number | undefined, chunk: number): Promise<number> {
    // Rows are in seq order (appended so, removed only here). The lowest seq kept by count, from the rows present
    // now (rows appended during the steps below are newer): everything when fewer rows than `keep`, nothing when 0.
    const lowestKept =
      keep === undefined
        ? 0
        : keep === 0
          ? Number.POSITIVE_INFINITY
          : (this.rows[this.rows.length - keep]?.seq ?? 0);
    // One pass over the rows present now, in steps of `chunk` rows, the loop free between them. The rows are
    // replaced at the end, in one assignment: a read between the steps sees them all, as before the prune; rows
    // appended meanwhile are newer, kept, and carried over.
    const old = this.rows;
    const count = old.length;
    const kept: (DecisionRow & { seq: number })[] = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % chunk === 0) await yieldToLoop();
      const r = old[i] as DecisionRow & { seq: number };
      if ((before === undefined || r.at >= before) && r.seq >= lowestKept) kept.push(r);
    }
    const deleted = count - kept.length;
    for (let i = count; i < old.length; i++) kept.push(old[i] as DecisionRow & { seq: number });
    this.rows = kept;
    return deleted;
  }
}
