/**
 * Deltas: one change of one Kubernetes object in one cluster, as a sensor observes it (an informer's add, update
 * or delete), and the rule that makes applying them idempotent and order-tolerant.
 *
 * Objects are identified by (cluster, metadata.uid): a deleted and recreated object has a new uid, so its old and
 * new lives never overwrite each other. Within one uid, `resourceVersion` orders the changes. Kubernetes calls
 * resourceVersion opaque (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions), but
 * the apiserver's etcd3 storage gives the object's modification revision as a decimal integer, and a delta must
 * carry that form: anything else is refused (INPUT) rather than compared in some guessed order.
 *
 * The rule: a delta is applied only when its resourceVersion is strictly newer than the one stored for its uid
 * (a deletion leaves a tombstone with its resourceVersion, so a late upsert cannot resurrect the object). Applying
 * the same delta twice therefore changes nothing, and an older delta never overwrites a newer one.
 */
import { PalisadeError } from "../errors/index.js";
import { cmp, type ResourceRef } from "../findings/index.js";

export type DeltaOp = "upsert" | "delete";

/** One observed change of one object. */
export interface ObjectDelta {
  cluster: string;
  op: DeltaOp;
  /** apiVersion/kind/namespace/name of the object. */
  key: ResourceRef;
  /** metadata.uid. */
  uid: string;
  /** metadata.resourceVersion at the change (for a delete: the object's last resourceVersion). */
  resourceVersion: string;
  /** The object as observed (upserts only; Secret values already dropped by the sensor). */
  object?: unknown;
}

/** What a store holds for one uid: the latest change applied, a tombstone when it was a delete. */
export interface ObjectStateRow {
  cluster: string;
  uid: string;
  key: ResourceRef;
  resourceVersion: string;
  deleted: boolean;
  /** The object (null for a tombstone). */
  object: unknown;
}

/** Objects per page when an evaluation reads a cluster's state out of a store. */
export const DEFAULT_STATE_PAGE = 500;

const RESOURCE_VERSION = /^(0|[1-9][0-9]{0,39})$/;
const UID = /^[A-Za-z0-9-]{1,128}$/;
/** A cluster's name in the fleet: lowercase letters, digits, '.', '_', '-', at most 63, alphanumeric at both ends. */
export const CLUSTER_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

/** Order of two resourceVersions (decimal integers without leading zeros): by length, then as text. */
export function compareResourceVersion(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : cmp(a, b);
}

/** Whether `delta` changes the stored `row` (absent: nothing stored for its uid yet). */
export function supersedes(delta: ObjectDelta, row: ObjectStateRow | undefined): boolean {
  return row === undefined || compareResourceVersion(delta.resourceVersion, row.resourceVersion) > 0;
}

/** The row `delta` leaves behind. */
export function rowOf(delta: ObjectDelta): ObjectStateRow {
  return {
    cluster: delta.cluster,
    uid: delta.uid,
    key: delta.key,
    resourceVersion: delta.resourceVersion,
    deleted: delta.op === "delete",
    object: delta.op === "delete" ? null : (delta.object ?? null),
  };
}

/** The identity a row is stored under. */
export function stateKey(cluster: string, uid: string): string {
  return `${cluster}\u0000${uid}`;
}

/**
 * Apply `deltas` in order to `rows` (mutated), by the rule above: the reference every store must agree with.
 * Answers how many changed a row.
 */
export function applyDeltas(rows: Map<string, ObjectStateRow>, deltas: readonly ObjectDelta[]): number {
  let applied = 0;
  for (const d of deltas) {
    const k = stateKey(d.cluster, d.uid);
    if (!supersedes(d, rows.get(k))) continue;
    rows.set(k, rowOf(d));
    applied++;
  }
  return applied;
}

/**
 * The deltas of a batch that can matter: per (cluster, uid), the one with the newest resourceVersion (the first of
 * equals), sorted by that identity. Applying these gives the same rows as applying the whole batch in order (the
 * rule keeps the newest whatever the order), and a fixed row order lets concurrent writers never deadlock.
 */
export function newestPerObject(deltas: readonly ObjectDelta[]): ObjectDelta[] {
  const best = new Map<string, ObjectDelta>();
  for (const d of deltas) {
    const k = stateKey(d.cluster, d.uid);
    const b = best.get(k);
    if (b === undefined || compareResourceVersion(d.resourceVersion, b.resourceVersion) > 0) best.set(k, d);
  }
  return [...best.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, d]) => d);
}

/** Live objects of `cluster` among `rows` (tombstones left out), sorted by key then uid. */
export function liveObjects(rows: Iterable<ObjectStateRow>, cluster: string): ObjectStateRow[] {
  return [...rows].filter((r) => r.cluster === cluster && !r.deleted).sort(compareRows);
}

/** Deterministic order of rows: cluster, apiVersion, kind, namespace, name, uid. */
export function compareRows(a: ObjectStateRow, b: ObjectStateRow): number {
  return (
    cmp(a.cluster, b.cluster) ||
    cmp(a.key.apiVersion, b.key.apiVersion) ||
    cmp(a.key.kind, b.key.kind) ||
    cmp(a.key.namespace ?? "", b.key.namespace ?? "") ||
    cmp(a.key.name, b.key.name) ||
    cmp(a.uid, b.uid)
  );
}

/**
 * The de-duplication id of a delta on the transport: two publications of the same change (a sensor retrying after
 * a lost acknowledgement, a relist re-sending an unchanged object) carry the same id.
 */
export function deltaMessageId(d: ObjectDelta): string {
  return `${d.cluster}:${d.uid}:${d.resourceVersion}:${d.op}`;
}

function field(name: string, message: string): PalisadeError {
  return new PalisadeError("INPUT", `delta: ${name}: ${message}`, { context: { field: name } });
}

function str(o: Record<string, unknown>, name: string, path = name): string {
  const v = o[name];
  if (typeof v !== "string" || v === "") throw field(path, "must be a non-empty string");
  return v;
}

/** Validate a delta read from the transport (JSON value); a bad one is refused (INPUT) naming its field. */
export function parseDelta(value: unknown): ObjectDelta {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw field("$", "must be an object");
  const o = value as Record<string, unknown>;
  const cluster = str(o, "cluster");
  if (!CLUSTER_NAME.test(cluster)) throw field("cluster", `${JSON.stringify(cluster)} is not a DNS label`);
  const op = o.op;
  if (op !== "upsert" && op !== "delete") throw field("op", 'must be "upsert" or "delete"');
  const uid = str(o, "uid");
  if (!UID.test(uid)) throw field("uid", "must be a Kubernetes uid");
  const resourceVersion = str(o, "resourceVersion");
  if (!RESOURCE_VERSION.test(resourceVersion))
    throw field(
      "resourceVersion",
      `${JSON.stringify(resourceVersion.slice(0, 64))} is not a decimal integer`,
    );
  const k = o.key;
  if (k === null || typeof k !== "object" || Array.isArray(k)) throw field("key", "must be an object");
  const kr = k as Record<string, unknown>;
  const key: ResourceRef = {
    apiVersion: str(kr, "apiVersion", "key.apiVersion"),
    kind: str(kr, "kind", "key.kind"),
    name: str(kr, "name", "key.name"),
  };
  if (kr.namespace !== undefined) key.namespace = str(kr, "namespace", "key.namespace");
  if (op === "upsert" && (o.object === null || typeof o.object !== "object"))
    throw field("object", "an upsert must carry the object");
  return {
    cluster,
    op,
    key,
    uid,
    resourceVersion,
    ...(op === "upsert" ? { object: o.object } : {}),
  };
}

export {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  type ObservedProblem,
  observedDelta,
  reduceObserved,
} from "./observe.js";
