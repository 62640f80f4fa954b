/**
 * What a sensor makes of one object it observed: the delta it sends. The object is reduced as every loader
 * reduces it (core/inventory `stripSecretValues`, `slimObject`): Secret values never leave the sensor (only
 * which keys held a value), and what no analysis reads (managedFields, last-applied on non-Secrets, pod
 * conditions, node image lists) is dropped, so the deltas of a busy cluster stay small.
 */
import type { ResourceRef } from "../findings/index.js";
import { slimObject, stripSecretValues } from "../inventory/index.js";
import { isRecord } from "../util/index.js";
import type { DeltaOp, ObjectDelta } from "./index.js";

/** The object as a sensor may send it: Secret values replaced, unread fields dropped. Never mutates `o`. */
export function reduceObserved(o: Record<string, unknown>): Record<string, unknown> {
  const stripped = o.kind === "Secret" && o.apiVersion === "v1" ? stripSecretValues(o) : o;
  return slimObject(stripped);
}

/** Why an observed object cannot become a delta. */
export type ObservedProblem = "no metadata" | "no name" | "no uid" | "no resourceVersion";

/**
 * The delta of one observed change of an object of `apiVersion`/`kind` (written into the object: items of a list
 * carry neither). `resourceVersion` overrides the object's own: a deletion the sensor inferred from a relist (the
 * object is absent from a newer list) is dated by the list's resourceVersion, which is newer than any change of
 * the object the sensor saw, so the tombstone supersedes them.
 */
export function observedDelta(
  cluster: string,
  op: DeltaOp,
  type: { apiVersion: string; kind: string; namespaced: boolean },
  object: Record<string, unknown>,
  resourceVersion?: string,
): ObjectDelta | ObservedProblem {
  const meta = object.metadata;
  if (!isRecord(meta)) return "no metadata";
  const name = meta.name;
  if (typeof name !== "string" || name === "") return "no name";
  const uid = meta.uid;
  if (typeof uid !== "string" || uid === "") return "no uid";
  const rv = resourceVersion ?? meta.resourceVersion;
  if (typeof rv !== "string" || rv === "") return "no resourceVersion";
  const key: ResourceRef = { apiVersion: type.apiVersion, kind: type.kind, name };
  if (type.namespaced && typeof meta.namespace === "string" && meta.namespace !== "")
    key.namespace = meta.namespace;
  const delta: ObjectDelta = { cluster, op, key, uid, resourceVersion: rv };
  if (op === "upsert")
    delta.object = reduceObserved({ ...object, apiVersion: type.apiVersion, kind: type.kind });
  return delta;
}

/** Bounds of an exponential backoff. */
export interface BackoffPolicy {
  /** Delay before the first retry (default 500 ms). */
  initialMs: number;
  /** Largest delay (default 30 s). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (1 for the first): exponential, capped, with "equal jitter" (half the
 * step fixed, half random), so a fleet of sensors that lost the same server does not come back in lockstep, and no
 * retry comes sooner than half its step. `random` is in [0, 1) (injected: core holds no randomness).
 */
export function backoffDelay(attempt: number, random: number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const step = Math.min(p.maxMs, p.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(step / 2 + (step / 2) * Math.min(Math.max(random, 0), 1));
}
