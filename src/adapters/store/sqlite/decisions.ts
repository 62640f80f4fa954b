import {
  checkChunk,
  checkRetention,
  DECISION_COLUMNS,
  DECISION_PLACEHOLDERS,
  type DecisionRow,
  decisionRow,
  decisionValues,
  decisionWhere,
  storedDecisionOf,
  yieldToLoop,
} from "../decision-rows.js";
import { pageLimit, pageOf, type SqlDialect } from "../platform-rows.js";
import type {
  AdmissionDecisionInput,
  AdmissionDecisionQuery,
  AdmissionDecisionStore,
  DecisionPruneOptions,
  Page,
  StoredAdmissionDecision,
} from "../ports.js";
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  type SqliteConnection,
  type SqliteStatement,
  sqliteFailure,
} from "./connection.js";
import { DECISION_SQL } from "./decision-sql.js";
import { OffThreadDecisionWriter } from "./decision-writer.js";

/** Decisions in `admission_decisions` (seq from AUTOINCREMENT: never reused, so "newest first" is seq order). */
export class SqliteAdmissionDecisionStore implements AdmissionDecisionStore {
  constructor(private readonly conn: SqliteConnection) {}

  /**
   * A writer of this file's decisions on a worker thread (its own connection); undefined for ":memory:", which
   * no other connection can open. The caller closes it.
   */
  offThreadWriter(): OffThreadDecisionWriter | undefined {
    if (this.conn.file === ":memory:") return undefined;
    return new OffThreadDecisionWriter(this.conn.file, this.conn.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  }

  #run<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw sqliteFailure(e, this.conn.file, what, this.conn.lockTimeoutMs);
    }
  }

  async append(decisions: readonly AdmissionDecisionInput[]): Promise<void> {
    const rows = decisions.map(decisionRow);
    if (rows.length === 0) return;
    this.#run("cannot record admission decisions", () => {
      const put = this.conn.db.prepare(
        `INSERT INTO admission_decisions (${DECISION_COLUMNS}) VALUES (${DECISION_PLACEHOLDERS})`,
      );
      this.conn.db
        .transaction(() => {
          for (const r of rows) put.run(decisionValues(r));
        })
        .immediate();
    });
  }

  async list(q: AdmissionDecisionQuery = {}): Promise<Page<StoredAdmissionDecision>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const d: SqlDialect = {
      param(v) {
        params.push(v);
        return "?";
      },
      oneOf: () => {
        throw new Error("unused");
      },
      text: (s) => s,
    };
    const where = decisionWhere(q, d, (column, needle) => `instr(${column}, ${needle}) > 0`);
    const rows = this.#run("cannot read admission decisions", () =>
      this.conn.db
        .prepare(`SELECT seq, ${DECISION_COLUMNS} FROM admission_decisions${where} ORDER BY seq DESC LIMIT ?`)
        .all([...params, limit + 1]),
    ) as (DecisionRow & { seq: number })[];
    return pageOf(rows, limit, storedDecisionOf, (r) => [r.seq]);
  }

  async prune(
    retention: { before?: Date | undefined; keep?: number | undefined },
    opts: DecisionPruneOptions = {},
  ): Promise<number> {
    const { before, keep } = checkRetention(retention);
    const chunk = checkChunk(opts.chunk);
    if (chunk === undefined)
      return this.#run("cannot prune admission decisions", () =>
        this.conn.db
          .transaction(() => {
            let n = 0;
            if (before !== undefined)
              n += this.conn.db.prepare("DELETE FROM admission_decisions WHERE at < ?").run(before).changes;
            if (keep !== undefined)
              n += this.conn.db
                .prepare(
                  // No row at that offset (fewer than `keep`): the comparison with NULL deletes nothing.
                  "DELETE FROM admission_decisions WHERE seq <= (SELECT seq FROM admission_decisions ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                )
                .run(keep).changes;
            return n;
          })
          .immediate(),
      );
    let n = 0;
    // Each step one statement (its own transaction), `chunk` rows at most: by age the oldest first (the index on
    // `at`), then by count everything at or below the newest row not kept.
    const byAge = this.conn.db.prepare(DECISION_SQL.pruneByAge);
    const below = this.conn.db.prepare(DECISION_SQL.pruneBelow);
    const step = (stmt: SqliteStatement, bound: string | number) =>
      this.#run("cannot prune admission decisions", () => stmt.run(bound, chunk).changes);
    if (before !== undefined)
      for (let d = chunk; d === chunk; n += d) {
        if (n > 0) await yieldToLoop();
        d = step(byAge, before);
      }
    if (keep !== undefined) {
      const cutoff = await this.#newestNotKept(keep, chunk);
      if (cutoff !== undefined)
        for (let d = chunk, first = true; d === chunk; n += d, first = false) {
          if (!first) await yieldToLoop();
          d = step(below, cutoff);
        }
    }
    return n;
  }

  /**
   * The seq of the newest decision past the newest `keep` (undefined: `keep` or fewer rows), found by walking down
   * from the newest `chunk` rows per step: one OFFSET of a million rows would hold the loop for the whole walk.
   * Rows appended meanwhile are newer, so the answer stays right for the rows present when the walk started.
   */
  async #newestNotKept(keep: number, chunk: number): Promise<number | undefined> {
    const at = this.conn.db.prepare(DECISION_SQL.seqBelowAt);
    const seqAt = (below: number, offset: number) =>
      this.#run(
        "cannot prune admission decisions",
        () => (at.get(below, offset) as { seq: number } | undefined)?.seq,
      );
    // Rows below `top`, newest first: the one at offset `left` is the answer.
    let top = Number.MAX_SAFE_INTEGER;
    let left = keep;
    while (left >= chunk) {
      const s = seqAt(top, chunk - 1);
      if (s === undefined) return undefined;
      top = s;
      left -= chunk;
      await yieldToLoop();
    }
    return seqAt(top, left);
  }
}
