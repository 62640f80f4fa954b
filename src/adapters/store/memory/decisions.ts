import { checkRetention, type DecisionRow, decisionRow, storedDecisionOf } from "../decision-rows.js";
import { decodeCursor, pageLimit, pageOf } from "../platform-rows.js";
import type {
  AdmissionDecisionInput,
  AdmissionDecisionQuery,
  AdmissionDecisionStore,
  Page,
  StoredAdmissionDecision,
} from "../ports.js";

/** Decisions kept as rows, as the other backends keep them (so a returned value is never shared). */
export class MemoryAdmissionDecisionStore implements AdmissionDecisionStore {
  private readonly rows: (DecisionRow & { seq: number })[] = [];
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

  async prune(retention: { before?: Date | undefined; keep?: number | undefined }): Promise<number> {
    const { before, keep } = checkRetention(retention);
    const newest = [...this.rows].sort((a, b) => b.seq - a.seq);
    // The lowest seq kept by count: everything when fewer rows than `keep`, nothing when keep is 0.
    const lowestKept =
      keep === undefined ? 0 : keep === 0 ? Number.POSITIVE_INFINITY : (newest[keep - 1]?.seq ?? 0);
    const kept = this.rows.filter((r) => (before === undefined || r.at >= before) && r.seq >= lowestKept);
    const deleted = this.rows.length - kept.length;
    this.rows.length = 0;
    for (const r of kept) this.rows.push(r);
    return deleted;
  }
}
