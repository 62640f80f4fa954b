/**
 * OSV range evaluation, exactly the schema's `IsVulnerable` pseudocode
 * (https://ossf.github.io/osv-schema/#evaluation): a version is affected when it is listed in `versions` or lies
 * within any range; within a range the events are sorted by version and walked as a timeline, `introduced`
 * switching the state on (`>=`), `fixed` off (`>=`), `last_affected` off (`>`); `limit` events cap the range
 * (`v < limit` for at least one limit, an implicit `*` when none).
 */
import type { VersionScheme } from "../versions/index.js";
import type { OsvAffected, OsvEvent, OsvRange } from "./osv.js";

/** Version orderings the evaluator needs: one per ecosystem, plus SemVer for `SEMVER` ranges. */
export interface SchemeResolver {
  /** The ecosystem's ordering ("Debian:12" and "Debian" give the same scheme); undefined when unknown. */
  forEcosystem(ecosystem: string): VersionScheme | undefined;
  /** SemVer 2.0 precedence, used for `SEMVER` ranges whatever the ecosystem (schema: "type SEMVER"). */
  semver: VersionScheme;
}

export interface RangeEvaluation {
  affected: boolean;
  /** `fixed` versions of the ranges that contain the version: upgrading to any of them leaves that range. */
  fixed: string[];
  /** Ranges or lists that could not be evaluated, with the reason (GIT ranges, invalid versions, unknown scheme). */
  skipped: string[];
}

type EventKind = "introduced" | "fixed" | "last_affected" | "limit";

function eventOf(e: OsvEvent): { kind: EventKind; value: string } {
  if ("introduced" in e) return { kind: "introduced", value: e.introduced };
  if ("fixed" in e) return { kind: "fixed", value: e.fixed };
  if ("last_affected" in e) return { kind: "last_affected", value: e.last_affected };
  return { kind: "limit", value: e.limit };
}

/** At equal versions an `introduced` sorts before the closing events, so `introduced X, fixed X` is empty. */
const KIND_ORDER: Record<EventKind, number> = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 };

/** Go and some feeds write SemVer with a leading "v"; SEMVER ranges are defined without it (schema, SEMVER). */
function semverForm(v: string): string {
  return v.startsWith("v") ? v.slice(1) : v;
}

/** Evaluate one OSV `affected` entry for an installed version. Never throws. */
export function evaluateAffected(
  version: string,
  affected: OsvAffected,
  resolver: SchemeResolver,
): RangeEvaluation {
  const out: RangeEvaluation = { affected: false, fixed: [], skipped: [] };
  const ecoScheme = resolver.forEcosystem(affected.package.ecosystem);
  if (affected.versions.length > 0) {
    const listed = affected.versions.some((v) => {
      if (v === version) return true;
      if (!ecoScheme) return false;
      // "1.0" and "1.0.0" are the same PEP 440 version: equality is the scheme's, not the string's.
      return safeCompare(ecoScheme, v, version) === 0;
    });
    if (listed) out.affected = true;
  }
  for (const [i, range] of affected.ranges.entries()) {
    if (range.type === "GIT") {
      // GIT ranges are commit hashes ordered by the repository graph: packages carry no commit to place in it.
      out.skipped.push(`ranges[${i}]: GIT range cannot be evaluated against a package version`);
      continue;
    }
    const scheme = range.type === "SEMVER" ? resolver.semver : ecoScheme;
    if (!scheme) {
      out.skipped.push(`ranges[${i}]: no version ordering for ecosystem ${affected.package.ecosystem}`);
      continue;
    }
    const v = range.type === "SEMVER" ? semverForm(version) : version;
    const r = evaluateRange(v, range, scheme, range.type === "SEMVER");
    if (r.error) {
      out.skipped.push(`ranges[${i}]: ${r.error}`);
      continue;
    }
    if (r.affected) {
      out.affected = true;
      if (r.fixed !== undefined) out.fixed.push(r.fixed);
    }
  }
  out.fixed = [...new Set(out.fixed)];
  return out;
}

interface SingleRange {
  affected: boolean;
  fixed?: string | undefined;
  error?: string | undefined;
}

function evaluateRange(v: string, range: OsvRange, scheme: VersionScheme, semverType: boolean): SingleRange {
  if (!scheme.isValid(v))
    return {
      affected: false,
      error: `installed version ${JSON.stringify(v)} is not valid for ${scheme.name}`,
    };
  const events = range.events.map(eventOf).map((e) => ({
    kind: e.kind,
    value: semverType && e.value !== "0" ? semverForm(e.value) : e.value,
  }));
  for (const e of events) {
    if (e.kind === "introduced" && e.value === "0") continue;
    if (e.kind === "limit" && e.value === "*") continue;
    if (!scheme.isValid(e.value))
      return {
        affected: false,
        error: `${e.kind} ${JSON.stringify(e.value)} is not a valid ${scheme.name} version`,
      };
  }
  const cmpV = (a: string, b: string): number => scheme.compare(a, b);
  // BeforeLimits: with no limit events an implicit "*" applies.
  const limits = events.filter((e) => e.kind === "limit");
  if (limits.length > 0 && !limits.some((l) => l.value === "*" || cmpV(v, l.value) < 0)) {
    return { affected: false };
  }
  const sorted = events
    .filter((e) => e.kind !== "limit")
    .sort((a, b) => {
      const az = a.kind === "introduced" && a.value === "0";
      const bz = b.kind === "introduced" && b.value === "0";
      if (az || bz) return az === bz ? 0 : az ? -1 : 1;
      return cmpV(a.value, b.value) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
    });
  let vulnerable = false;
  let fixed: string | undefined;
  for (const e of sorted) {
    if (e.kind === "introduced") {
      if (e.value === "0" || cmpV(v, e.value) >= 0) vulnerable = true;
    } else if (e.kind === "fixed") {
      if (cmpV(v, e.value) >= 0) vulnerable = false;
      // The first fix above the installed version closes the interval the version sits in.
      else if (vulnerable && fixed === undefined) fixed = e.value;
    } else if (e.kind === "last_affected") {
      if (cmpV(v, e.value) > 0) vulnerable = false;
    }
  }
  return { affected: vulnerable, fixed: vulnerable ? fixed : undefined };
}

function safeCompare(scheme: VersionScheme, a: string, b: string): number | undefined {
  if (!scheme.isValid(a) || !scheme.isValid(b)) return undefined;
  return scheme.compare(a, b);
}
