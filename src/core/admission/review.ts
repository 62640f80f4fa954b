/**
 * AdmissionReview v1 (admission.k8s.io/v1) at the edge: an untrusted JSON value in, a typed request or a reason
 * out; and the response envelope back. Field names as Kubernetes spells them
 * (k8s.io/api/admission/v1/types.go).
 */
import { FORBIDDEN_KEYS, isRecord } from "../util/index.js";

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** The validated `request` of an AdmissionReview. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  /** "" when the request is for the resource itself. */
  subResource: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  /** "" when the server generates the name (generateName). */
  name: string;
  operation: AdmissionOperation;
  userInfo: { username: string; groups: string[] };
  /** The object being admitted: present for CREATE and UPDATE. */
  object: Record<string, unknown> | undefined;
  /** The stored object: present for UPDATE (and DELETE). */
  oldObject: Record<string, unknown> | undefined;
  dryRun: boolean;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; error: string };

const OPERATIONS: readonly AdmissionOperation[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];
/** Nesting deeper than any real Kubernetes object; the JSON parser recursed already, this bounds our walks. */
export const MAX_REVIEW_DEPTH = 64;

/**
 * Whether a value holds a prototype-polluting key or nests past {@link MAX_REVIEW_DEPTH}: the walk every review
 * takes, building no path (a string per key of every body was a good part of a review's garbage).
 */
function isHostile(v: unknown, depth: number): boolean {
  if (depth > MAX_REVIEW_DEPTH) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (isHostile(v[i], depth + 1)) return true;
  } else if (isRecord(v)) {
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (FORBIDDEN_KEYS.has(k) || isHostile(v[k], depth + 1)) return true;
    }
  }
  return false;
}

/**
 * Why a value is refused: a prototype-polluting key or nesting past {@link MAX_REVIEW_DEPTH}, with the path of the
 * first offence; undefined if fine. Walked only when {@link isHostile} found something.
 */
function hostile(v: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_REVIEW_DEPTH) return `${path}: nested deeper than ${MAX_REVIEW_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = hostile(v[i], `${path}[${i}]`, depth + 1);
      if (r) return r;
    }
  } else if (isRecord(v)) {
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return `${path}: key "${k}" is not allowed`;
      const r = hostile(v[k], `${path}.${k}`, depth + 1);
      if (r) return r;
    }
  }
  return undefined;
}

const str = (o: Record<string, unknown>, k: string): string | undefined =>
  typeof o[k] === "string" ? (o[k] as string) : undefined;

function gvx<K extends "kind" | "resource">(
  v: unknown,
  field: string,
  key: K,
):
  | { ok: true; value: { group: string; version: string } & Record<K, string> }
  | { ok: false; error: string } {
  if (!isRecord(v)) return { ok: false, error: `request.${field}: required object` };
  const group = v.group ?? "";
  const version = v.version;
  const name = v[key];
  if (typeof group !== "string") return { ok: false, error: `request.${field}.group: must be a string` };
  if (typeof version !== "string" || version === "")
    return { ok: false, error: `request.${field}.version: required string` };
  if (typeof name !== "string" || name === "")
    return { ok: false, error: `request.${field}.${key}: required string` };
  return {
    ok: true,
    value: { group, version, [key]: name } as { group: string; version: string } & Record<K, string>,
  };
}

/**
 * Validate an AdmissionReview. Refuses other API versions and kinds, a missing uid, an object missing for CREATE
 * or UPDATE, a missing oldObject for UPDATE, prototype keys and excessive nesting; the reason names the field.
 */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isRecord(body)) return { ok: false, error: "body: expected a JSON object (AdmissionReview)" };
  const bad = isHostile(body, 0) ? hostile(body, "body", 0) : undefined;
  if (bad) return { ok: false, error: bad };
  if (body.apiVersion !== "admission.k8s.io/v1")
    return {
      ok: false,
      error: `apiVersion: expected "admission.k8s.io/v1", got ${JSON.stringify(body.apiVersion)}`,
    };
  if (body.kind !== "AdmissionReview")
    return { ok: false, error: `kind: expected "AdmissionReview", got ${JSON.stringify(body.kind)}` };
  const r = body.request;
  if (!isRecord(r)) return { ok: false, error: "request: required object" };
  const uid = str(r, "uid");
  if (uid === undefined || uid === "") return { ok: false, error: "request.uid: required string" };
  const kind = gvx(r.kind, "kind", "kind");
  if (!kind.ok) return kind;
  const resource = gvx(r.resource, "resource", "resource");
  if (!resource.ok) return resource;
  const op = r.operation;
  if (typeof op !== "string" || !(OPERATIONS as readonly string[]).includes(op))
    return { ok: false, error: `request.operation: expected one of ${OPERATIONS.join(", ")}` };
  const operation = op as AdmissionOperation;
  for (const k of ["subResource", "namespace", "name"] as const)
    if (r[k] !== undefined && typeof r[k] !== "string")
      return { ok: false, error: `request.${k}: must be a string` };
  const object = r.object;
  const oldObject = r.oldObject;
  if (object !== undefined && object !== null && !isRecord(object))
    return { ok: false, error: "request.object: must be an object" };
  if (oldObject !== undefined && oldObject !== null && !isRecord(oldObject))
    return { ok: false, error: "request.oldObject: must be an object" };
  if ((operation === "CREATE" || operation === "UPDATE") && !isRecord(object))
    return { ok: false, error: `request.object: required for ${operation}` };
  if (operation === "UPDATE" && !isRecord(oldObject))
    return { ok: false, error: "request.oldObject: required for UPDATE" };
  if (r.dryRun !== undefined && r.dryRun !== null && typeof r.dryRun !== "boolean")
    return { ok: false, error: "request.dryRun: must be a boolean" };
  const ui = isRecord(r.userInfo) ? r.userInfo : {};
  const groups = Array.isArray(ui.groups) ? ui.groups.filter((g): g is string => typeof g === "string") : [];
  return {
    ok: true,
    request: {
      uid,
      kind: kind.value,
      resource: resource.value,
      subResource: str(r, "subResource") ?? "",
      namespace: str(r, "namespace") ?? "",
      name: str(r, "name") ?? "",
      operation,
      userInfo: { username: str(ui, "username") ?? "", groups },
      object: isRecord(object) ? object : undefined,
      oldObject: isRecord(oldObject) ? oldObject : undefined,
      dryRun: r.dryRun === true,
    },
  };
}

/** metav1.Status as an admission response carries it. */
export interface AdmissionStatus {
  status: "Failure";
  code: number;
  reason: "Forbidden" | "BadRequest" | "InternalError" | "Timeout";
  message: string;
  details?: { name?: string; group?: string; kind?: string };
}

/** What a decision puts in the AdmissionReview response. */
export interface AdmissionResponseParts {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus | undefined;
  warnings: readonly string[];
  auditAnnotations: Readonly<Record<string, string>>;
}

/** The AdmissionReview response envelope; empty warnings and annotations are left out as Kubernetes does. */
export function admissionReviewResponse(parts: AdmissionResponseParts): Record<string, unknown> {
  const response: Record<string, unknown> = { uid: parts.uid, allowed: parts.allowed };
  if (parts.status) response.status = parts.status;
  if (parts.warnings.length > 0) response.warnings = [...parts.warnings];
  if (Object.keys(parts.auditAnnotations).length > 0)
    response.auditAnnotations = { ...parts.auditAnnotations };
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response };
}
