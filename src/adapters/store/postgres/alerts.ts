import type { DedupedAlert } from "../../../core/runtime/index.js";
import { type AlertRow, alertRowKey, alertWhere, planAlerts, storedAlertOf } from "../alert-rows.js";
import { pageLimit, pageOf } from "../platform-rows.js";
import type { AlertQuery, AlertStore, Page, StoredAlert } from "../ports.js";
import type { PgConnection } from "./connection.js";
import { pgDialect } from "./platform.js";
import { fromPgText, pgText } from "./text.js";

const COLUMNS =
  "cluster, rule_id, key, severity, namespace, team, first_seen, last_seen, count, updated_at, alert";

/** Text columns back from PostgreSQL's encoding (see text.ts). */
function rowOf(r: AlertRow): AlertRow {
  return {
    ...r,
    cluster: fromPgText(r.cluster),
    rule_id: fromPgText(r.rule_id),
    key: fromPgText(r.key),
    namespace: r.namespace === null ? null : fromPgText(r.namespace),
    team: r.team === null ? null : fromPgText(r.team),
    count: Number(r.count),
  };
}

const opt = (s: string | null) => (s === null ? null : pgText(s));

/** Alerts in `runtime_alerts`, one row per (cluster, rule, key); writers of one cluster take its advisory lock. */
export class PgAlertStore implements AlertStore {
  constructor(private readonly conn: PgConnection) {}

  async record(
    cluster: string,
    alerts: readonly DedupedAlert[],
    now: Date,
  ): Promise<{ opened: StoredAlert[]; merged: number }> {
    if (alerts.length === 0) return { opened: [], merged: 0 };
    const t = this.conn.t("runtime_alerts");
    const cl = pgText(cluster);
    return this.conn.locked("cannot store the alerts", `alerts:${cl}`, async (c) => {
      const found = (
        await c.query(
          `SELECT ${COLUMNS} FROM ${t} WHERE cluster = $1 AND (rule_id, key) IN
             (SELECT * FROM unnest($2::text[], $3::text[]))`,
          [cl, alerts.map((a) => pgText(a.ruleId)), alerts.map((a) => pgText(a.key))],
        )
      ).rows as AlertRow[];
      const stored = new Map<string, AlertRow>();
      for (const r of found.map(rowOf)) stored.set(alertRowKey(r), r);
      const plan = planAlerts(cluster, stored, alerts, now);
      const w = plan.write;
      await c.query(
        `INSERT INTO ${t} (${COLUMNS})
         SELECT $1, r, k, s, n, tm, f, l, c, $2, a FROM unnest($3::text[], $4::text[], $5::text[], $6::text[],
           $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[]) AS x(r, k, s, n, tm, f, l, c, a)
         ON CONFLICT (cluster, rule_id, key) DO UPDATE SET severity = EXCLUDED.severity,
           namespace = EXCLUDED.namespace, team = EXCLUDED.team, first_seen = EXCLUDED.first_seen,
           last_seen = EXCLUDED.last_seen, count = EXCLUDED.count, updated_at = EXCLUDED.updated_at,
           alert = EXCLUDED.alert`,
        [
          cl,
          now.toISOString(),
          w.map((r) => pgText(r.rule_id)),
          w.map((r) => pgText(r.key)),
          w.map((r) => r.severity),
          w.map((r) => opt(r.namespace)),
          w.map((r) => opt(r.team)),
          w.map((r) => r.first_seen),
          w.map((r) => r.last_seen),
          w.map((r) => r.count),
          w.map((r) => r.alert),
        ],
      );
      const opened = w.filter((r) => plan.opened.has(alertRowKey(r))).map(storedAlertOf);
      return { opened, merged: plan.merged };
    });
  }

  async list(q: AlertQuery = {}): Promise<Page<StoredAlert>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const d = pgDialect(params);
    const where = alertWhere(q, d);
    const rows = await this.conn.query<AlertRow>(
      `SELECT ${COLUMNS} FROM ${this.conn.t("runtime_alerts")}${where}
       ORDER BY cluster, rule_id, key LIMIT ${d.param(limit + 1)}`,
      params,
      "cannot read alerts",
    );
    return pageOf(rows.map(rowOf), limit, storedAlertOf, (r) => [r.cluster, r.rule_id, r.key]);
  }
}
