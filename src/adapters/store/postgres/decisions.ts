import {
  checkChunk,
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
  DecisionPruneOptions,
  Page,
  StoredAdmissionDecision,
} from "../ports.js";
import type { PgConnection } from "./connection.js";
import { fromPgText, pgText } from "./text.js";

/** Decisions in `admission_decisions` (seq an identity: "newest first" is seq order). */
export class PgAdmissionDecisionStore implements AdmissionDecisionStore {
  constructor(private readonly conn: PgConnection) {}

  async append(decisions: readonly AdmissionDecisionInput[]): Promise<void> {
    const rows = decisions.map(decisionRow);
    if (rows.length === 0) return;
    // One multi-row INSERT per batch of 500 (13 parameters a row stays far below PostgreSQL's 65,535).
    await this.conn.transaction("cannot record admission decisions", async (c) => {
      for (let i = 0; i < rows.length; i += 500) {
        const batch = rows.slice(i, i + 500);
        const params: unknown[] = [];
        const values = batch.map((r) => {
          const cols = [
            r.at,
            pgText(r.uid),
            pgText(r.cluster),
            pgText(r.endpoint),
            r.allowed,
            pgText(r.evaluated),
            pgText(r.operation),
            pgText(r.kind),
            pgText(r.namespace),
            pgText(r.name),
            pgText(r.username),
            r.rules,
            r.details,
          ];
          const start = params.length;
          for (const v of cols) params.push(v);
          return `(${cols.map((_, j) => `$${start + j + 1}`).join(", ")})`;
        });
        await c.query(
          `INSERT INTO ${this.conn.t("admission_decisions")} (${DECISION_COLUMNS}) VALUES ${values.join(", ")}`,
          params,
        );
      }
    });
  }

  async list(q: AdmissionDecisionQuery = {}): Promise<Page<StoredAdmissionDecision>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const param = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const d: SqlDialect = {
      param,
      oneOf: (column, values) => `${column} = ANY(${param(values)}::text[])`,
      text: pgText,
    };
    const where = decisionWhere(q, d, (column, needle) => `strpos(${column}, ${needle}) > 0`);
    const rows = await this.conn.query<DecisionRow & { seq: string }>(
      `SELECT seq, ${DECISION_COLUMNS} FROM ${this.conn.t("admission_decisions")}${where}
       ORDER BY seq DESC LIMIT ${param(limit + 1)}`,
      params,
      "cannot read admission decisions",
    );
    return pageOf(
      rows,
      limit,
      (r) =>
        storedDecisionOf({
          ...r,
          uid: fromPgText(r.uid),
          endpoint: fromPgText(r.endpoint),
          evaluated: fromPgText(r.evaluated),
          operation: fromPgText(r.operation),
          kind: fromPgText(r.kind),
          namespace: fromPgText(r.namespace),
          name: fromPgText(r.name),
          username: fromPgText(r.username),
        }),
      (r) => [Number(r.seq)],
    );
  }

  async prune(
    retention: { before?: Date | undefined; keep?: number | undefined },
    opts: DecisionPruneOptions = {},
  ): Promise<number> {
    const { before, keep } = checkRetention(retention);
    const chunk = checkChunk(opts.chunk);
    const t = this.conn.t("admission_decisions");
    if (chunk === undefined)
      return this.conn.transaction("cannot prune admission decisions", async (c) => {
        let n = 0;
        if (before !== undefined)
          n += (await c.query(`DELETE FROM ${t} WHERE at < $1`, [before])).rowCount ?? 0;
        if (keep !== undefined)
          n +=
            (
              await c.query(
                `DELETE FROM ${t} WHERE seq < COALESCE((SELECT seq FROM ${t} ORDER BY seq DESC OFFSET $1 LIMIT 1) + 1, 0)`,
                [keep],
              )
            ).rowCount ?? 0;
        return n;
      });
    // In steps of `chunk` rows, each its own statement (and transaction): no long-held row locks or huge WAL
    // record for replicas to wait on. By age the oldest first (the index on `at`), then by count everything at or
    // below the newest row not kept (one index walk in the server; this process waits on the socket meanwhile).
    let n = 0;
    const step = async (sql: string, bound: string | number): Promise<number> =>
      (
        await this.conn.query<Record<string, never>>(
          `${sql} RETURNING 1`,
          [bound, chunk],
          "cannot prune admission decisions",
        )
      ).length;
    if (before !== undefined)
      for (let d = chunk; d === chunk; n += d)
        d = await step(
          `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE at < $1 ORDER BY at LIMIT $2)`,
          before,
        );
    if (keep !== undefined) {
      const [row] = await this.conn.query<{ seq: string }>(
        `SELECT seq FROM ${t} ORDER BY seq DESC OFFSET $1 LIMIT 1`,
        [keep],
        "cannot prune admission decisions",
      );
      if (row !== undefined)
        for (let d = chunk; d === chunk; n += d)
          d = await step(
            `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE seq <= $1 ORDER BY seq LIMIT $2)`,
            row.seq,
          );
    }
    return n;
  }
}
