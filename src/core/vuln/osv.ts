/**
 * OSV schema 1.6 records: parse and validate at the edge (https://ossf.github.io/osv-schema/).
 * A malformed record yields coverage entries naming the source and the field; nothing throws.
 */
import type { CoverageEntry } from "../findings/index.js";
import { FORBIDDEN_KEYS, isRecord, jsonErrorReason } from "../util/index.js";

export type OsvRangeType = "ECOSYSTEM" | "SEMVER" | "GIT";

/** One timeline event: exactly one of the four keys (schema: "Only a single type ... in each event object"). */
export type OsvEvent =
  | { introduced: string }
  | { fixed: string }
  | { last_affected: string }
  | { limit: string };

export interface OsvRange {
  type: OsvRangeType;
  repo?: string | undefined;
  events: OsvEvent[];
}

export interface OsvPackage {
  ecosystem: string;
  name: string;
  purl?: string | undefined;
}

export interface OsvAffected {
  package: OsvPackage;
  ranges: OsvRange[];
  versions: string[];
  severity: OsvSeverity[];
  ecosystemSpecific?: Record<string, unknown> | undefined;
  databaseSpecific?: Record<string, unknown> | undefined;
}

export interface OsvSeverity {
  type: string;
  score: string;
}

/** A validated OSV record, reduced to what Palisade evaluates and shows. */
export interface OsvRecord {
  id: string;
  modified: string;
  published?: string | undefined;
  withdrawn?: string | undefined;
  aliases: string[];
  related: string[];
  upstream: string[];
  summary?: string | undefined;
  details?: string | undefined;
  severity: OsvSeverity[];
  affected: OsvAffected[];
  databaseSpecific?: Record<string, unknown> | undefined;
}

/** Budgets for one record: hostile feeds must not exhaust memory or time. */
export const OSV_LIMITS = {
  maxTextBytes: 8 * 1024 * 1024,
  maxAffected: 5_000,
  maxRanges: 1_000,
  maxEvents: 5_000,
  maxVersions: 100_000,
  maxAliases: 1_000,
  maxDepth: 64,
} as const;

export interface ParsedOsv {
  record?: OsvRecord | undefined;
  coverage: CoverageEntry[];
}

/** Parse OSV JSON text. `source` names the file (or zip entry) for coverage messages. */
export function parseOsvText(text: string, source: string): ParsedOsv {
  // A UTF-8 byte order mark (editors on Windows write one) is not part of the JSON text (RFC 8259 section 8.1
  // lets a parser ignore it); JSON.parse would refuse it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length > OSV_LIMITS.maxTextBytes) {
    return fail(
      "limit",
      source,
      `record is ${text.length} bytes, over the ${OSV_LIMITS.maxTextBytes} byte budget`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail("parse-error", source, `invalid JSON: ${jsonErrorReason(e)}`);
  }
  return parseOsvRecord(json, source);
}

/** Validate an already-parsed JSON value as an OSV record. */
export function parseOsvRecord(json: unknown, source: string): ParsedOsv {
  const hostile = findForbiddenKey(json, "", 0);
  if (hostile !== undefined) return fail("unsafe", source, hostile);
  const issues: string[] = [];
  const r = new RecordReader(issues);
  if (!isRecord(json)) return fail("invalid", source, "record: expected a JSON object");
  const id = r.reqString(json, "id");
  const modified = r.reqString(json, "modified");
  if (issues.length > 0) return failIssues(source, issues, id);
  const aliases = r.strings(json, "aliases", OSV_LIMITS.maxAliases);
  const related = r.strings(json, "related", OSV_LIMITS.maxAliases);
  const upstream = r.strings(json, "upstream", OSV_LIMITS.maxAliases);
  const severity = r.severities(json.severity, "severity");
  const affectedRaw = json.affected;
  const affected: OsvAffected[] = [];
  if (affectedRaw !== undefined) {
    if (!Array.isArray(affectedRaw)) issues.push("affected: expected an array");
    else if (affectedRaw.length > OSV_LIMITS.maxAffected)
      issues.push(`affected: ${affectedRaw.length} entries, over the ${OSV_LIMITS.maxAffected} budget`);
    else
      affectedRaw.forEach((a, i) => {
        const parsed = r.affected(a, `affected[${i}]`);
        if (parsed) affected.push(parsed);
      });
  }
  if (issues.length > 0) return failIssues(source, issues, id);
  const record: OsvRecord = {
    id: id as string,
    modified: modified as string,
    aliases,
    related,
    upstream,
    severity,
    affected,
  };
  const published = r.optString(json, "published");
  const withdrawn = r.optString(json, "withdrawn");
  const summary = r.optString(json, "summary");
  const details = r.optString(json, "details");
  if (published !== undefined) record.published = published;
  if (withdrawn !== undefined) record.withdrawn = withdrawn;
  if (summary !== undefined) record.summary = summary;
  if (details !== undefined) record.details = details;
  if (isRecord(json.database_specific)) record.databaseSpecific = json.database_specific;
  if (issues.length > 0) return failIssues(source, issues, id);
  return { record, coverage: [] };
}

class RecordReader {
  constructor(private readonly issues: string[]) {}

  reqString(o: Record<string, unknown>, key: string, path = key): string | undefined {
    const v = o[key];
    if (typeof v !== "string" || v.length === 0) {
      this.issues.push(`${path}: required non-empty string`);
      return undefined;
    }
    return v;
  }

  optString(o: Record<string, unknown>, key: string, path = key): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") {
      this.issues.push(`${path}: expected a string`);
      return undefined;
    }
    return v;
  }

  strings(o: Record<string, unknown>, key: string, max: number, path = key): string[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.issues.push(`${path}: expected an array of strings`);
      return [];
    }
    if (v.length > max) {
      this.issues.push(`${path}: ${v.length} entries, over the ${max} budget`);
      return [];
    }
    const out: string[] = [];
    v.forEach((s, i) => {
      if (typeof s === "string") out.push(s);
      else this.issues.push(`${path}[${i}]: expected a string`);
    });
    return out;
  }

  severities(v: unknown, path: string): OsvSeverity[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.issues.push(`${path}: expected an array`);
      return [];
    }
    const out: OsvSeverity[] = [];
    v.slice(0, 100).forEach((s, i) => {
      if (!isRecord(s) || typeof s.type !== "string" || typeof s.score !== "string") {
        this.issues.push(`${path}[${i}]: expected {type: string, score: string}`);
        return;
      }
      out.push({ type: s.type, score: s.score });
    });
    return out;
  }

  affected(a: unknown, path: string): OsvAffected | undefined {
    if (!isRecord(a)) {
      this.issues.push(`${path}: expected an object`);
      return undefined;
    }
    const pkg = a.package;
    let osvPackage: OsvPackage | undefined;
    if (pkg === undefined) {
      // Schema 1.6 allows an affected entry without a package only for GIT ranges of non-packaged code;
      // Palisade matches packages, so such entries carry nothing it can evaluate.
      osvPackage = undefined;
    } else if (!isRecord(pkg)) {
      this.issues.push(`${path}.package: expected an object`);
    } else {
      const ecosystem = this.reqString(pkg, "ecosystem", `${path}.package.ecosystem`);
      const name = this.reqString(pkg, "name", `${path}.package.name`);
      const purl = this.optString(pkg, "purl", `${path}.package.purl`);
      if (ecosystem !== undefined && name !== undefined) {
        osvPackage = { ecosystem, name };
        if (purl !== undefined) osvPackage.purl = purl;
      }
    }
    const ranges: OsvRange[] = [];
    const rawRanges = a.ranges;
    if (rawRanges !== undefined) {
      if (!Array.isArray(rawRanges)) this.issues.push(`${path}.ranges: expected an array`);
      else if (rawRanges.length > OSV_LIMITS.maxRanges)
        this.issues.push(
          `${path}.ranges: ${rawRanges.length} entries, over the ${OSV_LIMITS.maxRanges} budget`,
        );
      else
        rawRanges.forEach((rr, i) => {
          const range = this.range(rr, `${path}.ranges[${i}]`);
          if (range) ranges.push(range);
        });
    }
    const versions = this.strings(a, "versions", OSV_LIMITS.maxVersions, `${path}.versions`);
    const severity = this.severities(a.severity, `${path}.severity`);
    if (osvPackage === undefined) return undefined;
    const out: OsvAffected = { package: osvPackage, ranges, versions, severity };
    if (isRecord(a.ecosystem_specific)) out.ecosystemSpecific = a.ecosystem_specific;
    if (isRecord(a.database_specific)) out.databaseSpecific = a.database_specific;
    return out;
  }

  range(rr: unknown, path: string): OsvRange | undefined {
    if (!isRecord(rr)) {
      this.issues.push(`${path}: expected an object`);
      return undefined;
    }
    const type = rr.type;
    if (type !== "ECOSYSTEM" && type !== "SEMVER" && type !== "GIT") {
      this.issues.push(`${path}.type: expected ECOSYSTEM, SEMVER or GIT`);
      return undefined;
    }
    const repo = this.optString(rr, "repo", `${path}.repo`);
    if (type === "GIT" && repo === undefined) this.issues.push(`${path}.repo: required for GIT ranges`);
    const rawEvents = rr.events;
    if (!Array.isArray(rawEvents) || rawEvents.length === 0) {
      this.issues.push(`${path}.events: required non-empty array`);
      return undefined;
    }
    if (rawEvents.length > OSV_LIMITS.maxEvents) {
      this.issues.push(
        `${path}.events: ${rawEvents.length} entries, over the ${OSV_LIMITS.maxEvents} budget`,
      );
      return undefined;
    }
    const events: OsvEvent[] = [];
    let introduced = 0;
    let hasFixed = false;
    let hasLast = false;
    rawEvents.forEach((e, i) => {
      const p = `${path}.events[${i}]`;
      if (!isRecord(e)) {
        this.issues.push(`${p}: expected an object`);
        return;
      }
      const keys = Object.keys(e).filter((k) => EVENT_KEYS.has(k));
      if (keys.length !== 1) {
        this.issues.push(`${p}: exactly one of introduced, fixed, last_affected, limit is required`);
        return;
      }
      const key = keys[0] as "introduced" | "fixed" | "last_affected" | "limit";
      const v = e[key];
      if (typeof v !== "string" || v.length === 0) {
        this.issues.push(`${p}.${key}: expected a non-empty string`);
        return;
      }
      if (key === "introduced") introduced++;
      if (key === "fixed") hasFixed = true;
      if (key === "last_affected") hasLast = true;
      events.push({ [key]: v } as OsvEvent);
    });
    // Schema: "There must be at least one introduced object"; "either last_affected or fixed events, but not both".
    if (introduced === 0) this.issues.push(`${path}.events: at least one introduced event is required`);
    if (hasFixed && hasLast) this.issues.push(`${path}.events: fixed and last_affected must not both appear`);
    const out: OsvRange = { type, events };
    if (repo !== undefined) out.repo = repo;
    return out;
  }
}

/**
 * Why a value read back from a store is not an {@link OsvRecord} as {@link parseOsvRecord} builds it, or
 * undefined when it is one. Stores write only validated records, so a problem here means the row was edited or
 * damaged after import: the caller reports the store as damaged rather than matching against it.
 */
export function storedRecordProblem(v: unknown): string | undefined {
  if (!isRecord(v)) return "not an object";
  if (typeof v.id !== "string" || v.id.length === 0) return "id: not a non-empty string";
  if (typeof v.modified !== "string" || v.modified.length === 0) return "modified: not a non-empty string";
  for (const k of ["published", "withdrawn", "summary", "details"] as const)
    if (v[k] !== undefined && typeof v[k] !== "string") return `${k}: not a string`;
  for (const k of ["aliases", "related", "upstream"] as const)
    if (!isStringArray(v[k])) return `${k}: not an array of strings`;
  if (v.databaseSpecific !== undefined && !isRecord(v.databaseSpecific))
    return "databaseSpecific: not an object";
  const sev = severityProblem(v.severity, "severity");
  if (sev) return sev;
  if (!Array.isArray(v.affected)) return "affected: not an array";
  for (let i = 0; i < v.affected.length; i++) {
    const a: unknown = v.affected[i];
    const p = `affected[${i}]`;
    if (!isRecord(a) || !isRecord(a.package)) return `${p}.package: not an object`;
    if (typeof a.package.ecosystem !== "string" || typeof a.package.name !== "string")
      return `${p}.package: ecosystem and name must be strings`;
    if (!isStringArray(a.versions)) return `${p}.versions: not an array of strings`;
    const s = severityProblem(a.severity, `${p}.severity`);
    if (s) return s;
    for (const k of ["ecosystemSpecific", "databaseSpecific"] as const)
      if (a[k] !== undefined && !isRecord(a[k])) return `${p}.${k}: not an object`;
    if (!Array.isArray(a.ranges)) return `${p}.ranges: not an array`;
    for (let j = 0; j < a.ranges.length; j++) {
      const r: unknown = a.ranges[j];
      const rp = `${p}.ranges[${j}]`;
      if (!isRecord(r) || (r.type !== "ECOSYSTEM" && r.type !== "SEMVER" && r.type !== "GIT"))
        return `${rp}.type: not ECOSYSTEM, SEMVER or GIT`;
      if (r.repo !== undefined && typeof r.repo !== "string") return `${rp}.repo: not a string`;
      if (!Array.isArray(r.events)) return `${rp}.events: not an array`;
      for (const e of r.events as unknown[]) {
        if (!isRecord(e)) return `${rp}.events: not objects`;
        const keys = Object.keys(e);
        if (
          keys.length !== 1 ||
          !EVENT_KEYS.has(keys[0] as string) ||
          typeof e[keys[0] as string] !== "string"
        )
          return `${rp}.events: each needs exactly one of introduced, fixed, last_affected, limit (a string)`;
      }
    }
  }
  return undefined;
}

const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === "string");

function severityProblem(v: unknown, path: string): string | undefined {
  if (!Array.isArray(v)) return `${path}: not an array`;
  for (const s of v as unknown[])
    if (!isRecord(s) || typeof s.type !== "string" || typeof s.score !== "string")
      return `${path}: entries must be {type: string, score: string}`;
  return undefined;
}

const EVENT_KEYS = new Set(["introduced", "fixed", "last_affected", "limit"]);

function findForbiddenKey(v: unknown, path: string, depth: number): string | undefined {
  if (depth > OSV_LIMITS.maxDepth) return `${path || "record"}: nesting deeper than ${OSV_LIMITS.maxDepth}`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const f = findForbiddenKey(v[i], `${path}[${i}]`, depth + 1);
      if (f) return f;
    }
  } else if (isRecord(v)) {
    for (const k of Object.keys(v)) {
      const p = path ? `${path}.${k}` : k;
      if (FORBIDDEN_KEYS.has(k)) return `${p}: forbidden key`;
      const f = findForbiddenKey(v[k], p, depth + 1);
      if (f) return f;
    }
  }
  return undefined;
}

function fail(reason: CoverageEntry["reason"], source: string, message: string): ParsedOsv {
  return { coverage: [{ reason, subject: source, message }] };
}

function failIssues(source: string, issues: string[], id?: string): ParsedOsv {
  const shown = issues.slice(0, 5).join("; ") + (issues.length > 5 ? `; and ${issues.length - 5} more` : "");
  return fail("invalid", source, `${id ? `${id}: ` : ""}malformed OSV record: ${shown}`);
}
