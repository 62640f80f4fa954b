import type { Workload } from "../inventory/index.js";
import { asStringMap, isRecord, maxOf } from "../util/index.js";
import { CHECKS, type CheckFn, type CheckResult, VOLUME_SOURCE_FIELDS } from "./checks.js";
import { compareGo } from "./go-format.js";
import type { Obj } from "./pod-view.js";

/** A Pod Security Standards level (pod-security.kubernetes.io/enforce values). */
export type PssLevel = "privileged" | "baseline" | "restricted";

/** A policy version: "latest" or "v1.N" (pod-security.kubernetes.io/enforce-version values). */
export type PssVersion = "latest" | `v1.${number}`;

/** One failed check, with upstream's reason and detail. */
export interface PssViolation {
  /** Upstream check id, e.g. "privileged", "seccompProfile_restricted". */
  check: string;
  /** Upstream ForbiddenReason, e.g. "privileged". */
  reason: string;
  /** Upstream ForbiddenDetail, e.g. `container "app" must not set securityContext.privileged=true` ("" if none). */
  detail: string;
  /** `reason (detail)`, as in the admission message (AggregateCheckResult.ForbiddenDetail). */
  message: string;
}

export interface PssResult {
  allowed: boolean;
  /** In upstream's evaluation order: baseline checks by id, then restricted checks by id. */
  violations: PssViolation[];
}

export const PSS_LEVELS: readonly PssLevel[] = ["privileged", "baseline", "restricted"];

/**
 * The newest policy version: the highest first version of any check revision (upstream registry's
 * `maxVersion`). "latest" and any newer version evaluate as this one.
 */
export const LATEST_POLICY_MINOR: number = maxOf(
  0,
  CHECKS.flatMap((c) => c.versions.map((v) => v.minimum)),
);

/** `^v1\.([0-9]|[1-9][0-9]*)$`, api.ParseVersion's pattern. */
const VERSION_RE = /^v1\.(0|[1-9][0-9]*)$/;

/**
 * Parse a policy version as api.ParseVersion does: "latest" or "v1.N" without leading zeros.
 * Returns undefined for anything else (upstream then evaluates "latest" and reports an error).
 * Versions newer than {@link LATEST_POLICY_MINOR} are valid and evaluate as the latest.
 */
export function parsePssVersion(s: string): PssVersion | undefined {
  if (s === "latest") return "latest";
  const m = VERSION_RE.exec(s);
  if (!m?.[1]) return undefined;
  // Go's Atoi fails past int64; numbers past 2^53 are refused here too (no policy is that new).
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n)) return undefined;
  return `v1.${n}`;
}

/** Parse a level as api.ParseLevel does (exact, case-sensitive). */
export function parsePssLevel(s: string): PssLevel | undefined {
  return (PSS_LEVELS as readonly string[]).includes(s) ? (s as PssLevel) : undefined;
}

/** The policy minor a version evaluates as: "latest", invalid and future versions clamp to the newest. */
export function effectiveMinor(version: PssVersion | string): number {
  const parsed = parsePssVersion(version);
  if (parsed === undefined || parsed === "latest") return LATEST_POLICY_MINOR;
  return Math.min(Number(parsed.slice(3)), LATEST_POLICY_MINOR);
}

interface ResolvedCheck {
  id: string;
  check: CheckFn;
  /** The revision's index among all revisions (CHECK_SLOTS): where {@link pssEvaluator} keeps its result. */
  slot: number;
}

/** Every check revision numbered once. */
const CHECK_SLOTS: ReadonlyMap<CheckFn, number> = new Map(
  [...new Set(CHECKS.flatMap((c) => c.versions.map((v) => v.check)))].map((check, i) => [check, i]),
);
const slotOf = (check: CheckFn): number => CHECK_SLOTS.get(check) as number;

const resolved = new Map<string, ResolvedCheck[]>();

/**
 * The checks that run for a level and policy minor, in upstream's order (policy/registry.go,
 * populate): baseline ids sorted, then restricted ids sorted. Restricted runs every baseline check
 * except those a restricted revision at that version overrides (OverrideCheckIDs).
 */
export function checksFor(level: "baseline" | "restricted", minor: number): ResolvedCheck[] {
  const key = `${level}:${minor}`;
  const cached = resolved.get(key);
  if (cached) return cached;
  const active = (lvl: "baseline" | "restricted") =>
    CHECKS.filter((c) => c.level === lvl)
      .map((c) => {
        let current: (typeof c.versions)[number] | undefined;
        for (const v of c.versions) if (v.minimum <= minor) current = v;
        return current ? { id: c.id, version: current } : undefined;
      })
      .filter((x) => x !== undefined)
      .sort((a, b) => compareGo(a.id, b.id));
  const baseline = active("baseline");
  let out: ResolvedCheck[];
  if (level === "baseline")
    out = baseline.map((c) => ({ id: c.id, check: c.version.check, slot: slotOf(c.version.check) }));
  else {
    const restricted = active("restricted");
    const overridden = new Set(restricted.flatMap((c) => c.version.overrides ?? []));
    out = [...baseline.filter((c) => !overridden.has(c.id)), ...restricted].map((c) => ({
      id: c.id,
      check: c.version.check,
      slot: slotOf(c.version.check),
    }));
  }
  resolved.set(key, out);
  return out;
}

/**
 * Evaluate a pod (metadata + spec) against a level and policy version exactly as
 * pod-security-admission does. `podSpec` is unvalidated data: wrong-typed fields read as unset
 * (the API server would refuse to decode them), a non-object spec reads as an empty spec.
 */
export function evaluatePss(
  podMeta: { labels?: unknown; annotations?: unknown },
  podSpec: unknown,
  level: PssLevel,
  version: PssVersion,
): PssResult {
  if (level !== "baseline" && level !== "restricted") return { allowed: true, violations: [] };
  const spec: Obj = isRecord(podSpec) ? podSpec : {};
  const meta = { annotations: asStringMap(podMeta.annotations) };
  return runChecks(checksFor(level, effectiveMinor(version)), (c) => c.check(meta, spec));
}

/** {@link evaluatePss} of one pod, at a level and version. */
export type PssEvaluator = (level: PssLevel, version: PssVersion) => PssResult;

/**
 * One pod evaluated at several levels and versions, as admission does (the namespace's enforce, audit and warn
 * levels, then a policy's own level): each check revision runs once per pod, whichever level and version asks for
 * it (a check is a function of the pod alone: `baseline:v1.30` and `restricted:latest` share most baseline
 * revisions), and a level and version that evaluate alike (the same level and effective minor) give the one
 * result. The same results as {@link evaluatePss} for the same arguments; results are shared, not copied.
 */
export function pssEvaluator(
  podMeta: { labels?: unknown; annotations?: unknown },
  podSpec: unknown,
): PssEvaluator {
  const spec: Obj = isRecord(podSpec) ? podSpec : {};
  const meta = { annotations: asStringMap(podMeta.annotations) };
  // Results by revision slot (an array: a Map's hashing cost about what the cheaper checks do).
  const checked: (CheckResult | undefined)[] = new Array(CHECK_SLOTS.size);
  const run = (c: ResolvedCheck): CheckResult => {
    let r = checked[c.slot];
    if (r === undefined) {
      r = c.check(meta, spec);
      checked[c.slot] = r;
    }
    return r;
  };
  const results: { level: PssLevel; minor: number; result: PssResult }[] = [];
  return (level, version) => {
    if (level !== "baseline" && level !== "restricted") return { allowed: true, violations: [] };
    const minor = effectiveMinor(version);
    for (const e of results) if (e.level === level && e.minor === minor) return e.result;
    const result = runChecks(checksFor(level, minor), run);
    results.push({ level, minor, result });
    return result;
  };
}

/** The violations of `checks` in their order, each check's result from `run`. */
function runChecks(checks: readonly ResolvedCheck[], run: (c: ResolvedCheck) => CheckResult): PssResult {
  const violations: PssViolation[] = [];
  for (const c of checks) {
    const r = run(c);
    if (r.allowed) continue;
    // AggregateCheckResults substitutes this placeholder for an empty reason.
    const reason = r.reason === "" ? "unknown forbidden reason" : r.reason;
    violations.push({
      check: c.id,
      reason,
      detail: r.detail,
      message: r.detail === "" ? reason : `${reason} (${r.detail})`,
    });
  }
  return { allowed: violations.length === 0, violations };
}

/**
 * API-server defaulting that changes what the policy sees in a manifest that was never admitted:
 * a volume without any source becomes `emptyDir: {}` (SetDefaults_Volume, pkg/apis/core/v1/defaults.go).
 * Returns the spec unchanged when nothing applies.
 */
export function applyApiDefaults(podSpec: unknown): unknown {
  if (!isRecord(podSpec) || !Array.isArray(podSpec.volumes)) return podSpec;
  let changed = false;
  const volumes = podSpec.volumes.map((v) => {
    if (!isRecord(v)) return v;
    if (VOLUME_SOURCE_FIELDS.some((k) => v[k] !== undefined && v[k] !== null)) return v;
    changed = true;
    return { ...v, emptyDir: {} };
  });
  return changed ? { ...podSpec, volumes } : podSpec;
}

/** Evaluate a workload's pod template (or a bare Pod) after API defaulting. */
export function evaluateWorkloadPss(w: Workload, level: PssLevel, version: PssVersion): PssResult {
  return evaluatePss(
    { labels: w.podLabels, annotations: w.podAnnotations },
    applyApiDefaults(w.podSpec),
    level,
    version,
  );
}
