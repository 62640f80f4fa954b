/**
 * What every AlertStore backend shares: the row an alert is stored as, the merge of a new batch into the stored
 * rows (pure), and the list query's WHERE clause, so the backends cannot disagree on deduplication or filters.
 */
import { PalisadeError } from "../../core/errors/index.js";
import type { Severity } from "../../core/findings/index.js";
import type { DedupedAlert, RuntimeAlert } from "../../core/runtime/index.js";
import { decodeCursor, parseJsonColumn, type SqlDialect } from "./platform-rows.js";
import type { AlertQuery, StoredAlert } from "./ports.js";

/** One alert row as every backend stores it (times ISO, the alert as JSON text). */
export interface AlertRow {
  cluster: string;
  rule_id: string;
  key: string;
  severity: string;
  namespace: string | null;
  team: string | null;
  first_seen: string;
  last_seen: string;
  count: number;
  updated_at: string;
  alert: string;
}

const SEVERITIES = new Set(["critical", "high", "medium", "low", "info"]);
const iso = (ms: number, what: string): string => {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new PalisadeError("INPUT", `alert: ${what} is not a time`);
  return d.toISOString();
};

/** The namespace an alert is listed under: its workload's, else that of the object an audit alert names. */
export function alertNamespace(a: RuntimeAlert): string | undefined {
  return a.workload?.namespace ?? a.resource?.namespace;
}

/** A new row for a deduplicated alert (INPUT on a bad rule, key, severity or time). */
export function alertRow(cluster: string, a: DedupedAlert, now: Date): AlertRow {
  if (typeof a.ruleId !== "string" || a.ruleId === "")
    throw new PalisadeError("INPUT", "alert: empty ruleId");
  if (typeof a.key !== "string") throw new PalisadeError("INPUT", `alert ${a.ruleId}: key is not text`);
  if (!SEVERITIES.has(a.severity))
    throw new PalisadeError("INPUT", `alert ${a.ruleId}: unknown severity ${String(a.severity)}`);
  if (!Number.isInteger(a.count) || a.count < 1)
    throw new PalisadeError("INPUT", `alert ${a.ruleId}: count ${a.count} is not a positive integer`);
  const { firstSeen: _f, lastSeen: _l, count: _c, ...alert } = a;
  return {
    cluster,
    rule_id: a.ruleId,
    key: a.key,
    severity: a.severity,
    namespace: alertNamespace(a) ?? null,
    team: a.team ?? null,
    first_seen: iso(a.firstSeen, "firstSeen"),
    last_seen: iso(a.lastSeen, "lastSeen"),
    count: a.count,
    updated_at: now.toISOString(),
    alert: JSON.stringify(alert),
  };
}

/**
 * A stored row merged with a new batch's copy of the same alert: counts add, first/last seen widen, and the
 * earlier event's evidence stands for the alert (as `AlertDeduper` does within one batch).
 */
export function mergeAlertRow(stored: AlertRow, fresh: AlertRow): AlertRow {
  const earlier = fresh.first_seen < stored.first_seen ? fresh : stored;
  return {
    ...earlier,
    first_seen: earlier.first_seen,
    last_seen: fresh.last_seen > stored.last_seen ? fresh.last_seen : stored.last_seen,
    count: stored.count + fresh.count,
    updated_at: fresh.updated_at,
  };
}

/** A row read back. */
export function storedAlertOf(r: AlertRow): StoredAlert {
  return {
    cluster: r.cluster,
    ruleId: r.rule_id,
    key: r.key,
    severity: r.severity as Severity,
    alert: parseJsonColumn(r.alert, "alert") as RuntimeAlert,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    count: Number(r.count),
    updatedAt: r.updated_at,
  };
}

/**
 * The batch against the stored rows of its cluster (`stored` by `rule_id \0 key`): the rows to write and which of
 * them are new. Repeats inside the batch are merged too.
 */
export function planAlerts(
  cluster: string,
  stored: ReadonlyMap<string, AlertRow>,
  alerts: readonly DedupedAlert[],
  now: Date,
): { write: AlertRow[]; opened: Set<string>; merged: number } {
  const out = new Map<string, AlertRow>();
  const opened = new Set<string>();
  let merged = 0;
  for (const a of alerts) {
    const row = alertRow(cluster, a, now);
    const k = alertRowKey(row);
    const before = out.get(k) ?? stored.get(k);
    if (before) merged++;
    else opened.add(k);
    out.set(k, before ? mergeAlertRow(before, row) : row);
  }
  return { write: [...out.values()], opened, merged };
}

export const alertRowKey = (r: { rule_id: string; key: string }): string => `${r.rule_id}\u0000${r.key}`;

const whereOf = (clauses: string[]): string => (clauses.length ? ` WHERE ${clauses.join(" AND ")}` : "");

/** WHERE clause of an alerts page (filters, then the keyset after the cursor), "" for none. */
export function alertWhere(q: AlertQuery, d: SqlDialect): string {
  const w: string[] = [];
  if (q.cluster !== undefined) w.push(`cluster = ${d.param(d.text(q.cluster))}`);
  if (q.namespace !== undefined) w.push(`namespace = ${d.param(d.text(q.namespace))}`);
  if (q.team !== undefined) w.push(`team = ${d.param(d.text(q.team))}`);
  if (q.ruleId !== undefined) w.push(`rule_id = ${d.param(d.text(q.ruleId))}`);
  if (q.severity !== undefined) w.push(d.oneOf("severity", q.severity.map(d.text)));
  if (q.lastSeenSince !== undefined) w.push(`last_seen >= ${d.param(q.lastSeenSince.toISOString())}`);
  if (q.after !== undefined) {
    const [cluster, rule, key] = decodeCursor<[string, string, string]>(q.after, [
      "string",
      "string",
      "string",
    ]);
    w.push(
      `(cluster, rule_id, key) > (${d.param(d.text(cluster))}, ${d.param(d.text(rule))}, ${d.param(d.text(key))})`,
    );
  }
  return whereOf(w);
}

/** Whether a stored alert matches a query's filters (the in-memory backend's WHERE). */
export function alertMatches(r: AlertRow, q: AlertQuery): boolean {
  return (
    (q.cluster === undefined || r.cluster === q.cluster) &&
    (q.namespace === undefined || r.namespace === q.namespace) &&
    (q.team === undefined || r.team === q.team) &&
    (q.ruleId === undefined || r.rule_id === q.ruleId) &&
    (q.severity === undefined || q.severity.includes(r.severity as Severity)) &&
    (q.lastSeenSince === undefined || r.last_seen >= q.lastSeenSince.toISOString())
  );
}
