/**
 * What every AdmissionDecisionStore backend shares: the row a decision is stored as (validated), the WHERE clause
 * of a page, and the item a row reads back as. The backends only run the SQL.
 */
import { PalisadeError } from "../../core/errors/index.js";
import { decodeCursor, parseJsonColumn, type SqlDialect } from "./platform-rows.js";
import type {
  AdmissionDecisionInput,
  AdmissionDecisionQuery,
  JsonValue,
  StoredAdmissionDecision,
} from "./ports.js";

/** A decision as its columns (text; `allowed` 0/1; `rules` and `details` JSON). */
export interface DecisionRow {
  at: string;
  uid: string;
  cluster: string;
  endpoint: string;
  allowed: number;
  evaluated: string;
  operation: string;
  kind: string;
  namespace: string;
  name: string;
  username: string;
  rules: string;
  details: string;
}

export const DECISION_COLUMNS =
  "at, uid, cluster, endpoint, allowed, evaluated, operation, kind, namespace, name, username, rules, details";

/** One `?` per column of DECISION_COLUMNS: the VALUES of a SQLite INSERT. */
export const DECISION_PLACEHOLDERS = DECISION_COLUMNS.split(",")
  .map(() => "?")
  .join(", ");

/** A row's values in DECISION_COLUMNS order: the bind parameters of an INSERT. */
export function decisionValues(r: DecisionRow): (string | number)[] {
  return [
    r.at,
    r.uid,
    r.cluster,
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
  ];
}

/** Validate a decision and give its columns; INPUT on a bad time or a missing uid. */
export function decisionRow(d: AdmissionDecisionInput): DecisionRow {
  if (!(d.at instanceof Date) || Number.isNaN(d.at.getTime()))
    throw new PalisadeError("INPUT", "admission decision: bad time");
  if (typeof d.uid !== "string" || d.uid === "")
    throw new PalisadeError("INPUT", "admission decision: no uid");
  if (d.cluster !== undefined && typeof d.cluster !== "string")
    throw new PalisadeError("INPUT", "admission decision: cluster is not a string");
  return {
    at: d.at.toISOString(),
    uid: d.uid,
    cluster: d.cluster ?? "",
    endpoint: d.endpoint,
    allowed: d.allowed ? 1 : 0,
    evaluated: d.evaluated,
    operation: d.operation,
    kind: d.kind,
    namespace: d.namespace,
    name: d.name,
    username: d.user,
    rules: JSON.stringify([...new Set(d.rules)].sort()),
    details: JSON.stringify(d.details ?? null),
  };
}

/** A stored row back as a decision. */
export function storedDecisionOf(r: DecisionRow & { seq: number | string }): StoredAdmissionDecision {
  return {
    seq: Number(r.seq),
    at: r.at,
    uid: r.uid,
    cluster: r.cluster,
    endpoint: r.endpoint,
    allowed: Number(r.allowed) === 1,
    evaluated: r.evaluated,
    operation: r.operation,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    user: r.username,
    rules: parseJsonColumn(r.rules, "admission decision rules") as string[],
    details: parseJsonColumn(r.details, "admission decision details") as JsonValue,
  };
}

/**
 * WHERE clause of a decisions page, newest first: filters, then `seq` below the cursor's. A rule matches as its JSON
 * string inside the stored JSON array (quotes delimit it, so `pss/x` never matches `pss/xy`).
 */
export function decisionWhere(
  q: AdmissionDecisionQuery,
  d: SqlDialect,
  contains: (column: string, needle: string) => string,
): string {
  const w: string[] = [];
  if (q.from !== undefined) w.push(`at >= ${d.param(q.from.toISOString())}`);
  if (q.to !== undefined) w.push(`at < ${d.param(q.to.toISOString())}`);
  if (q.cluster !== undefined) w.push(`cluster = ${d.param(d.text(q.cluster))}`);
  if (q.namespace !== undefined) w.push(`namespace = ${d.param(d.text(q.namespace))}`);
  if (q.allowed !== undefined) w.push(`allowed = ${d.param(q.allowed ? 1 : 0)}`);
  if (q.uid !== undefined) w.push(`uid = ${d.param(d.text(q.uid))}`);
  if (q.rule !== undefined) w.push(contains("rules", d.param(d.text(JSON.stringify(q.rule)))));
  if (q.after !== undefined) {
    const [seq] = decodeCursor<[number]>(q.after, ["number"]);
    w.push(`seq < ${d.param(seq)}`);
  }
  return w.length ? ` WHERE ${w.join(" AND ")}` : "";
}

/** A prune's step size: a positive integer, or undefined (no steps); INPUT otherwise. */
export function checkChunk(chunk: number | undefined): number | undefined {
  if (chunk !== undefined && (!Number.isSafeInteger(chunk) || chunk < 1))
    throw new PalisadeError("INPUT", `decision retention: chunk ${chunk} is not a positive integer`);
  return chunk;
}

/** Let the event loop run (reviews waiting on it) between two steps of a long task. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Validate a retention: `before` a valid time (as ISO text), `keep` a non-negative integer; INPUT otherwise. */
export function checkRetention(r: { before?: Date | undefined; keep?: number | undefined }): {
  before?: string | undefined;
  keep?: number | undefined;
} {
  if (r.before !== undefined && (!(r.before instanceof Date) || Number.isNaN(r.before.getTime())))
    throw new PalisadeError("INPUT", "decision retention: bad time");
  if (r.keep !== undefined && (!Number.isSafeInteger(r.keep) || r.keep < 0))
    throw new PalisadeError("INPUT", `decision retention: keep ${r.keep} is not a non-negative integer`);
  return { before: r.before?.toISOString(), keep: r.keep };
}
