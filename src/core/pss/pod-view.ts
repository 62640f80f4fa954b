/**
 * Read-only accessors over an unvalidated pod spec with Go's decoding semantics: a field is "set"
 * (a non-nil pointer in k8s.io/api/core/v1) when present and not null; absent scalars read as Go zero
 * values. Wrong-typed values cannot come out of the API server (decoding would fail), so here a
 * wrong-typed object or list reads as absent and a wrong-typed scalar as its zero value: the checks
 * never throw on hostile input.
 */
import { isRecord } from "../util/index.js";

export type Obj = Record<string, unknown>;

/** A nested object field, or undefined when absent, null or not an object. */
export function obj(parent: Obj | undefined, key: string): Obj | undefined {
  if (parent === undefined) return undefined;
  const v = parent[key];
  return isRecord(v) ? v : undefined;
}

/** A string field, "" (Go zero value) when absent or not a string. */
export function str(parent: Obj | undefined, key: string): string {
  const v = parent?.[key];
  return typeof v === "string" ? v : "";
}

/** A `*bool` field: undefined when unset or not a boolean. */
export function optBool(parent: Obj | undefined, key: string): boolean | undefined {
  const v = parent?.[key];
  return typeof v === "boolean" ? v : undefined;
}

/** A number field (int32/int64 in Go): undefined when unset or not a finite number. */
export function optNum(parent: Obj | undefined, key: string): number | undefined {
  const v = parent?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** A list field, [] when absent or not a list. */
export function list(parent: Obj | undefined, key: string): unknown[] {
  const v = parent?.[key];
  return Array.isArray(v) ? v : [];
}

/** A list of objects; non-object items are skipped. */
export function objList(parent: Obj | undefined, key: string): Obj[] {
  return list(parent, key).filter(isRecord);
}

/** A list of strings; non-string items are skipped. */
export function strList(parent: Obj | undefined, key: string): string[] {
  return list(parent, key).filter((x): x is string => typeof x === "string");
}

/** A container as the checks see it. */
export interface ContainerView {
  name: string;
  raw: Obj;
  securityContext: Obj | undefined;
}

/**
 * `visitContainers` from policy/visitor.go: init containers, then containers, then ephemeral
 * containers. Sidecars (restartable init containers) get no special treatment upstream.
 */
export function containersOf(spec: Obj): ContainerView[] {
  const out: ContainerView[] = [];
  for (const field of ["initContainers", "containers", "ephemeralContainers"]) {
    for (const c of objList(spec, field)) {
      out.push({ name: str(c, "name"), raw: c, securityContext: obj(c, "securityContext") });
    }
  }
  return out;
}

/** The pod-level securityContext. */
export function podSecurityContext(spec: Obj): Obj | undefined {
  return obj(spec, "securityContext");
}

/** `spec.os.name == "windows"` (corev1.Windows): the Windows exemptions of policy versions 1.25+. */
export function isWindowsPod(spec: Obj): boolean {
  return str(obj(spec, "os"), "name") === "windows";
}

/**
 * `relaxPolicyForUserNamespacePod` from policy/helpers.go (1.35+, where the feature gate is gone):
 * the pod sets `hostUsers: false`.
 */
export function inUserNamespace(spec: Obj): boolean {
  return optBool(spec, "hostUsers") === false;
}
