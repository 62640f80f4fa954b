import type { DedupedAlert } from "../../../core/runtime/index.js";
import { type AlertRow, alertMatches, alertRowKey, planAlerts, storedAlertOf } from "../alert-rows.js";
import { decodeCursor, pageLimit, pageOf } from "../platform-rows.js";
import type { AlertQuery, AlertStore, Page, StoredAlert } from "../ports.js";

const order = (r: AlertRow): string => `${r.cluster}\u0000${r.rule_id}\u0000${r.key}`;

/** Alerts in memory, as rows like the SQL backends keep them (so a returned value is never shared). */
export class MemoryAlertStore implements AlertStore {
  private readonly rows = new Map<string, AlertRow>();

  async record(
    cluster: string,
    alerts: readonly DedupedAlert[],
    now: Date,
  ): Promise<{ opened: StoredAlert[]; merged: number }> {
    const stored = new Map<string, AlertRow>();
    for (const r of this.rows.values()) if (r.cluster === cluster) stored.set(alertRowKey(r), r);
    const plan = planAlerts(cluster, stored, alerts, now);
    const opened: StoredAlert[] = [];
    for (const r of plan.write) {
      this.rows.set(order(r), { ...r });
      if (plan.opened.has(alertRowKey(r))) opened.push(storedAlertOf(r));
    }
    return { opened, merged: plan.merged };
  }

  async list(q: AlertQuery = {}): Promise<Page<StoredAlert>> {
    const limit = pageLimit(q.limit);
    const after =
      q.after === undefined
        ? undefined
        : decodeCursor<[string, string, string]>(q.after, ["string", "string", "string"]).join("\u0000");
    // Code-unit order of the joined key is the (cluster, rule, key) order: NUL sorts below every other unit.
    const rows = [...this.rows.entries()]
      .filter(([k, r]) => alertMatches(r, q) && (after === undefined || k > after))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit + 1)
      .map(([, r]) => r);
    return pageOf(rows, limit, storedAlertOf, (r) => [r.cluster, r.rule_id, r.key]);
  }
}
