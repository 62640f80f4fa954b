import type { DedupedAlert } from "../../../core/runtime/index.js";
import { type AlertRow, alertRowKey, alertWhere, planAlerts, storedAlertOf } from "../alert-rows.js";
import { pageLimit, pageOf } from "../platform-rows.js";
import type { AlertQuery, AlertStore, Page, StoredAlert } from "../ports.js";
import type { SqliteConnection } from "./connection.js";
import { read, sqliteDialect, write } from "./platform.js";

const COLUMNS =
  "cluster, rule_id, key, severity, namespace, team, first_seen, last_seen, count, updated_at, alert";

/** Alerts in `runtime_alerts`, one row per (cluster, rule, key). */
export class SqliteAlertStore implements AlertStore {
  constructor(private readonly conn: SqliteConnection) {}

  async record(
    cluster: string,
    alerts: readonly DedupedAlert[],
    now: Date,
  ): Promise<{ opened: StoredAlert[]; merged: number }> {
    if (alerts.length === 0) return { opened: [], merged: 0 };
    const { db } = this.conn;
    return write(this.conn, "cannot store the alerts", () => {
      const get = db.prepare(
        `SELECT ${COLUMNS} FROM runtime_alerts WHERE cluster = ? AND rule_id = ? AND key = ?`,
      );
      const stored = new Map<string, AlertRow>();
      for (const a of alerts) {
        const r = get.get(cluster, a.ruleId, a.key) as AlertRow | undefined;
        if (r) stored.set(alertRowKey(r), r);
      }
      const plan = planAlerts(cluster, stored, alerts, now);
      const put = db.prepare(
        `INSERT OR REPLACE INTO runtime_alerts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const opened: StoredAlert[] = [];
      for (const r of plan.write) {
        put.run(
          r.cluster,
          r.rule_id,
          r.key,
          r.severity,
          r.namespace,
          r.team,
          r.first_seen,
          r.last_seen,
          r.count,
          r.updated_at,
          r.alert,
        );
        if (plan.opened.has(alertRowKey(r))) opened.push(storedAlertOf(r));
      }
      return { opened, merged: plan.merged };
    });
  }

  async list(q: AlertQuery = {}): Promise<Page<StoredAlert>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const where = alertWhere(q, sqliteDialect(params));
    const rows = read(this.conn, "cannot read alerts", () =>
      this.conn.db
        .prepare(`SELECT ${COLUMNS} FROM runtime_alerts${where} ORDER BY cluster, rule_id, key LIMIT ?`)
        .all([...params, limit + 1]),
    ) as AlertRow[];
    return pageOf(rows, limit, storedAlertOf, (r) => [r.cluster, r.rule_id, r.key]);
  }
}
