import type { Finding, ResourceRef } from "../findings/index.js";
import { makeFinding } from "../findings/index.js";
import { globMatch, globPatternProblem, isRecord } from "../util/index.js";

/**
 * An exception (a.k.a. waiver): suppresses findings in a scope, for a reason, optionally until a date.
 * Scopes combine with AND; the values inside one scope combine with OR. An omitted scope matches everything,
 * but an exception must name at least one scope so "suppress everything" is never an accident.
 */
export interface Exception {
  /** Stable id: given in the file, or `exceptions[i]` by position. */
  id: string;
  rules?: string[];
  namespaces?: string[];
  workloads?: string[];
  images?: string[];
  labels?: Record<string, string>;
  reason: string;
  /** ISO date (YYYY-MM-DD) or date-time after which the exception no longer applies. */
  expires?: string;
  owner?: string;
  /** Where the exception was declared, for messages. */
  source?: { file: string; line?: number };
}

export interface ExceptionIssue {
  path: string;
  message: string;
}

/** What the matcher needs to know about a finding's workload (looked up from the inventory by the caller). */
export interface WorkloadFacts {
  images: string[];
  labels: Record<string, string>;
}

export interface ExceptionResult {
  /** Findings, with `suppressed` set on those an active exception matched. */
  findings: Finding[];
  /** Findings about the exceptions themselves (expired). */
  auditFindings: Finding[];
  /** Exceptions that matched nothing in this scan. */
  unused: Exception[];
  /** Per exception id, how many findings it suppressed. */
  matched: Record<string, number>;
}

const SCOPE_KEYS = ["rules", "namespaces", "workloads", "images", "labels"] as const;
const KNOWN_KEYS = new Set(["id", ...SCOPE_KEYS, "reason", "expires", "owner"]);

/**
 * Validate a parsed exceptions document: `{exceptions: [...]}` (optionally with apiVersion/kind) or a bare list.
 * Invalid entries are reported and skipped; valid ones are kept.
 */
export function parseExceptions(doc: unknown): { exceptions: Exception[]; issues: ExceptionIssue[] } {
  const issues: ExceptionIssue[] = [];
  const list = Array.isArray(doc) ? doc : isRecord(doc) ? doc.exceptions : undefined;
  if (!Array.isArray(list)) {
    return {
      exceptions: [],
      issues: [{ path: "exceptions", message: "expected a list under `exceptions`" }],
    };
  }
  const exceptions: Exception[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const path = `exceptions[${i}]`;
    if (!isRecord(raw)) {
      issues.push({ path, message: "must be a mapping" });
      return;
    }
    const bad = (field: string, message: string) => issues.push({ path: `${path}.${field}`, message });
    const before = issues.length;
    for (const k of Object.keys(raw)) if (!KNOWN_KEYS.has(k)) bad(k, `unknown field "${k}"`);
    const strList = (field: (typeof SCOPE_KEYS)[number]): string[] | undefined => {
      const v = raw[field];
      if (v === undefined) return undefined;
      const arr = typeof v === "string" ? [v] : v;
      if (!Array.isArray(arr) || arr.length === 0 || !arr.every((x) => typeof x === "string" && x !== "")) {
        bad(field, "must be a non-empty string or list of non-empty strings");
        return undefined;
      }
      for (const p of arr as string[]) {
        const problem = globPatternProblem(p);
        if (problem !== undefined) {
          bad(field, problem);
          return undefined;
        }
      }
      return arr as string[];
    };
    const e: Exception = { id: typeof raw.id === "string" && raw.id !== "" ? raw.id : path, reason: "" };
    if (typeof raw.reason !== "string" || raw.reason.trim() === "") bad("reason", "is required");
    else e.reason = raw.reason.trim();
    for (const k of ["rules", "namespaces", "workloads", "images"] as const) {
      const v = strList(k);
      if (v) e[k] = v;
    }
    if (raw.labels !== undefined) {
      if (!isRecord(raw.labels) || !Object.values(raw.labels).every((x) => typeof x === "string"))
        bad("labels", "must be a map of label key to value");
      else e.labels = raw.labels as Record<string, string>;
    }
    if (raw.expires !== undefined) {
      const v = raw.expires instanceof Date ? raw.expires.toISOString().slice(0, 10) : raw.expires;
      if (typeof v !== "string" || Number.isNaN(expiryInstant(v)))
        bad("expires", "must be a date (YYYY-MM-DD)");
      else e.expires = v;
    }
    if (raw.owner !== undefined) {
      if (typeof raw.owner !== "string") bad("owner", "must be a string");
      else e.owner = raw.owner;
    }
    if (!SCOPE_KEYS.some((k) => raw[k] !== undefined)) {
      issues.push({ path, message: `must set at least one scope (${SCOPE_KEYS.join(", ")})` });
    }
    if (seen.has(e.id)) bad("id", `duplicate id "${e.id}"`);
    if (issues.length === before) {
      seen.add(e.id);
      exceptions.push(e);
    }
  });
  return { exceptions, issues };
}

/** End of the expiry day in UTC for a date, or the instant for a date-time. */
function expiryInstant(s: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(`${s}T23:59:59.999Z`);
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) return Date.parse(s);
  return Number.NaN;
}

export function isExpired(e: Exception, now: Date): boolean {
  return e.expires !== undefined && expiryInstant(e.expires) < now.getTime();
}

/**
 * `facts` is a thunk: workload facts are looked up only when an exception scopes by image or label, so a scan
 * without such exceptions (most scans, and every scan without an exceptions file) never pays for them.
 */
function matches(e: Exception, f: Finding, facts: () => WorkloadFacts | undefined): boolean {
  if (e.rules && !e.rules.some((p) => globMatch(p, f.ruleId))) return false;
  const ns = f.resource.namespace ?? "";
  if (e.namespaces && !e.namespaces.some((p) => globMatch(p, ns))) return false;
  const wl: ResourceRef = f.workload ?? f.resource;
  if (e.workloads && !e.workloads.some((p) => globMatch(p, wl.name) || globMatch(p, `${wl.kind}/${wl.name}`)))
    return false;
  if (e.images) {
    const imgs = facts()?.images ?? [];
    if (!e.images.some((p) => imgs.some((i) => globMatch(p, i)))) return false;
  }
  if (e.labels) {
    const labels = facts()?.labels ?? {};
    for (const [k, v] of Object.entries(e.labels)) if (labels[k] !== v) return false;
  }
  return true;
}

/**
 * Apply exceptions to findings. Active exceptions mark matching findings as suppressed (they stay in the
 * result, counted and listed); expired exceptions suppress nothing and each yields an audit finding;
 * exceptions that matched nothing are returned as `unused` (exception audit).
 */
export function applyExceptions(
  findings: readonly Finding[],
  exceptions: readonly Exception[],
  opts: { now: Date; facts: (f: Finding) => WorkloadFacts | undefined },
): ExceptionResult {
  const applier = exceptionApplier(exceptions, opts);
  const out = findings.map(applier.apply);
  return { findings: out, ...applier.finish() };
}

/**
 * {@link applyExceptions} one finding at a time, for findings that are never all held at once (a large scan
 * writes them to disk as they are produced): `apply` each finding in order, then `finish` for the audit.
 */
export function exceptionApplier(
  exceptions: readonly Exception[],
  opts: { now: Date; facts: (f: Finding) => WorkloadFacts | undefined },
): { apply(f: Finding): Finding; finish(): Omit<ExceptionResult, "findings"> } {
  const active = exceptions.filter((e) => !isExpired(e, opts.now));
  const matched: Record<string, number> = {};
  for (const e of exceptions) matched[e.id] = 0;
  const apply = (f: Finding): Finding => {
    if (f.suppressed || active.length === 0) return f;
    let memo: { v: WorkloadFacts | undefined } | undefined;
    const facts = (): WorkloadFacts | undefined => {
      memo ??= { v: opts.facts(f) };
      return memo.v;
    };
    const e = active.find((x) => matches(x, f, facts));
    if (!e) return f;
    matched[e.id] = (matched[e.id] ?? 0) + 1;
    return {
      ...f,
      suppressed: {
        exceptionId: e.id,
        reason: e.reason,
        owner: e.owner,
        expires: e.expires,
        source: "exception" as const,
      },
    };
  };
  const finish = (): Omit<ExceptionResult, "findings"> => {
    const auditFindings = exceptions
      .filter((e) => isExpired(e, opts.now))
      .map((e) =>
        makeFinding({
          ruleId: "PAL-EXC-001",
          title: "Exception has expired",
          severity: "medium",
          category: "exceptions",
          resource: { apiVersion: "palisade.dev/v1", kind: "Exception", name: e.id },
          location: e.source ? { file: e.source.file, line: e.source.line ?? 1, column: 1 } : undefined,
          evidence: `expires: ${e.expires}`,
          message: `exception "${e.id}" expired on ${e.expires}${e.owner ? ` (owner ${e.owner})` : ""}; the findings it covered are reported again`,
          remediation:
            "Fix the underlying findings, or renew the exception with a new expiry date and reason.",
          compliance: [],
        }),
      );
    // An expired exception is reported by its audit finding, not also as unused.
    const unused = exceptions.filter((e) => !isExpired(e, opts.now) && matched[e.id] === 0);
    return { auditFindings, unused, matched };
  };
  return { apply, finish };
}

/** What an exception is matched against when there is no finding yet (an admission request's violation). */
export interface ExceptionSubject {
  rule: string;
  namespace: string;
  workload: { kind: string; name: string };
  images: readonly string[];
  labels: Readonly<Record<string, string>>;
}

/**
 * The first active exception (in file order) whose every scope matches the subject, with the same semantics as
 * {@link applyExceptions}: globs within a scope OR, scopes AND, expired exceptions match nothing.
 */
export function findException(
  exceptions: readonly Exception[],
  s: ExceptionSubject,
  now: Date,
): Exception | undefined {
  const facts: WorkloadFacts = { images: [...s.images], labels: { ...s.labels } };
  return exceptions.find((e) => {
    if (isExpired(e, now)) return false;
    if (e.rules && !e.rules.some((p) => globMatch(p, s.rule))) return false;
    if (e.namespaces && !e.namespaces.some((p) => globMatch(p, s.namespace))) return false;
    const wl = s.workload;
    if (
      e.workloads &&
      !e.workloads.some((p) => globMatch(p, wl.name) || globMatch(p, `${wl.kind}/${wl.name}`))
    )
      return false;
    if (e.images && !e.images.some((p) => facts.images.some((i) => globMatch(p, i)))) return false;
    if (e.labels) for (const [k, v] of Object.entries(e.labels)) if (facts.labels[k] !== v) return false;
    return true;
  });
}
