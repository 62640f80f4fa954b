import {
  checkRetention,
  DECISION_COLUMNS,
  type DecisionRow,
  decisionRow,
  decisionWhere,
  storedDecisionOf,
} from "../decision-rows.js";
import { pageLimit, pageOf, type SqlDialect } from "../platform-rows.js";
import type {
  AdmissionDecisionInput,
  AdmissionDecisionQuery,
  AdmissionDecisionStore,
  Page,
  StoredAdmissionDecision,
} from "../ports.js";
import { type SqliteConnection, sqliteFailure } from "./connection.js";

/** Decisions in `admission_decisions` (seq from AUTOINCREMENT: never reused, so "newest first" is seq order). */
export class SqliteAdmissionDecisionStore implements AdmissionDecisionStore {
  constructor(private readonly conn: SqliteConnection) {}

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
        `INSERT INTO admission_decisions (${DECISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.conn.db
        .transaction(() => {
          for (const r of rows)
            put.run(
              r.at,
              r.uid,
              r.endpoint,
              r.allowed,
              r.evaluated,
              r.operation,
              r.kind,
              r.namespace,
              r.name,
              r.username,
              r.rules,
              r.details,
            );
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

  async prune(retention: { before?: Date | undefined; keep?: number | undefined }): Promise<number> {
    const { before, keep } = checkRetention(retention);
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
  }
}
