/**
 * VEX in and out. OpenVEX (https://github.com/openvex/spec, v0.2.0; v0.0.1 string forms accepted) and CycloneDX
 * VEX (`vulnerabilities[].analysis`, CycloneDX 1.4+). A `not_affected` statement with a justification suppresses
 * the matching findings, which stay in the report marked suppressed (source "vex"); other statuses are recorded.
 */
import { type CoverageEntry, cmp, stableHash } from "../findings/index.js";
import { appendAll, FORBIDDEN_KEYS, isRecord } from "../util/index.js";
import type { VulnFinding } from "./match.js";

export type VexStatus = "not_affected" | "affected" | "fixed" | "under_investigation";

export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  /** Product or component identifiers (purls, image references, bom-refs); empty means every product. */
  products: string[];
  status: VexStatus;
  justification?: string | undefined;
  detail?: string | undefined;
  /** "file#index" for audit. */
  source: string;
}

export interface ParsedVex {
  statements: VexStatement[];
  coverage: CoverageEntry[];
}

const OPENVEX_STATUS = new Set<VexStatus>(["not_affected", "affected", "fixed", "under_investigation"]);

// CycloneDX analysis.state -> VEX status (CycloneDX 1.6 "impactAnalysisState"): false_positive is not_affected
// for suppression purposes; exploitable is affected; resolved(_with_pedigree) is fixed; in_triage is investigation.
const CDX_STATE: Readonly<Record<string, VexStatus>> = {
  not_affected: "not_affected",
  false_positive: "not_affected",
  exploitable: "affected",
  resolved: "fixed",
  resolved_with_pedigree: "fixed",
  in_triage: "under_investigation",
};

const MAX_STATEMENTS = 100_000;

/** Parse an OpenVEX or CycloneDX VEX document (already JSON-parsed). */
export function parseVex(doc: unknown, source: string): ParsedVex {
  const coverage: CoverageEntry[] = [];
  const bad = forbiddenKey(doc, 0);
  if (bad) return { statements: [], coverage: [{ reason: "unsafe", subject: source, message: bad }] };
  if (!isRecord(doc))
    return {
      statements: [],
      coverage: [{ reason: "invalid", subject: source, message: "VEX document must be a JSON object" }],
    };
  if (Array.isArray(doc.statements)) return parseOpenVex(doc.statements, source);
  if (Array.isArray(doc.vulnerabilities)) return parseCycloneDxVex(doc.vulnerabilities, source);
  coverage.push({
    reason: "unsupported",
    subject: source,
    message: "not an OpenVEX (statements) or CycloneDX VEX (vulnerabilities) document",
  });
  return { statements: [], coverage };
}

function parseOpenVex(raw: unknown[], source: string): ParsedVex {
  const out: ParsedVex = { statements: [], coverage: [] };
  for (const [i, s] of raw.slice(0, MAX_STATEMENTS).entries()) {
    const where = `${source}#statements[${i}]`;
    if (!isRecord(s)) {
      out.coverage.push({ reason: "invalid", subject: where, message: "statement must be an object" });
      continue;
    }
    // v0.2.0: vulnerability {name, aliases}; v0.0.1: a string.
    const v = s.vulnerability;
    const name = typeof v === "string" ? v : isRecord(v) && typeof v.name === "string" ? v.name : undefined;
    const aliases =
      isRecord(v) && Array.isArray(v.aliases)
        ? v.aliases.filter((a): a is string => typeof a === "string")
        : [];
    const status = s.status;
    if (!name || typeof status !== "string" || !OPENVEX_STATUS.has(status as VexStatus)) {
      out.coverage.push({
        reason: "invalid",
        subject: where,
        message: "statement needs vulnerability and a valid status",
      });
      continue;
    }
    const products: string[] = [];
    for (const p of Array.isArray(s.products) ? s.products : []) {
      if (typeof p === "string") products.push(p);
      else if (isRecord(p)) {
        const subs = Array.isArray(p.subcomponents) ? p.subcomponents : [];
        const subIds = subs
          .map((c) =>
            typeof c === "string" ? c : isRecord(c) && typeof c["@id"] === "string" ? c["@id"] : undefined,
          )
          .filter((x): x is string => !!x);
        // A product with subcomponents scopes the statement to those components.
        if (subIds.length > 0) appendAll(products, subIds);
        else if (typeof p["@id"] === "string") products.push(p["@id"]);
      }
    }
    const st: VexStatement = {
      vulnerability: name,
      aliases,
      products,
      status: status as VexStatus,
      source: where,
    };
    const just = typeof s.justification === "string" ? s.justification : undefined;
    const detail =
      typeof s.impact_statement === "string"
        ? s.impact_statement
        : typeof s.status_notes === "string"
          ? s.status_notes
          : undefined;
    if (just) st.justification = just;
    if (detail) st.detail = detail;
    out.statements.push(st);
  }
  if (raw.length > MAX_STATEMENTS)
    out.coverage.push({
      reason: "limit",
      subject: source,
      message: `only the first ${MAX_STATEMENTS} statements were read`,
    });
  return out;
}

function parseCycloneDxVex(raw: unknown[], source: string): ParsedVex {
  const out: ParsedVex = { statements: [], coverage: [] };
  for (const [i, v] of raw.slice(0, MAX_STATEMENTS).entries()) {
    const where = `${source}#vulnerabilities[${i}]`;
    if (!isRecord(v) || typeof v.id !== "string") {
      out.coverage.push({ reason: "invalid", subject: where, message: "vulnerability needs an id" });
      continue;
    }
    const analysis = isRecord(v.analysis) ? v.analysis : undefined;
    const state = typeof analysis?.state === "string" ? CDX_STATE[analysis.state] : undefined;
    if (!analysis || !state || !Object.hasOwn(CDX_STATE, String(analysis.state))) {
      out.coverage.push({
        reason: "invalid",
        subject: where,
        message: "vulnerability has no valid analysis.state",
      });
      continue;
    }
    const products = (Array.isArray(v.affects) ? v.affects : [])
      .map((a) => (isRecord(a) && typeof a.ref === "string" ? a.ref : undefined))
      .filter((x): x is string => !!x);
    const aliases = (Array.isArray(v.references) ? v.references : [])
      .map((r) => (isRecord(r) && typeof r.id === "string" ? r.id : undefined))
      .filter((x): x is string => !!x);
    const st: VexStatement = { vulnerability: v.id, aliases, products, status: state, source: where };
    if (typeof analysis.justification === "string") st.justification = analysis.justification;
    else if (analysis.state === "false_positive") st.justification = "false_positive";
    if (typeof analysis.detail === "string") st.detail = analysis.detail;
    out.statements.push(st);
  }
  return out;
}

/** The VEX verdict recorded on a finding. */
export interface VexVerdict {
  status: VexStatus;
  justification?: string | undefined;
  detail?: string | undefined;
  source: string;
}

/** Strip version-independent noise from a purl: qualifiers and subpath do not identify a different package. */
function purlCore(p: string): string {
  return p.split(/[?#]/)[0] ?? p;
}

function productMatches(product: string, f: VulnFinding, subject: string): boolean {
  if (product === subject) return true;
  if (!product.startsWith("pkg:") || !f.package.purl) return false;
  const want = purlCore(product);
  const have = purlCore(f.package.purl);
  if (want === have) return true;
  // A purl without @version names every version of the package.
  if (!want.includes("@")) return have.split("@")[0] === want;
  return false;
}

export interface VexApplication {
  findings: VulnFinding[];
  coverage: CoverageEntry[];
}

/**
 * Apply statements to findings. The last matching statement wins (documents are read in order, so a later
 * file overrides an earlier one). `not_affected` without a justification or impact statement is refused
 * (OpenVEX spec: MUST carry one) and reported.
 */
export function applyVex(
  findings: readonly VulnFinding[],
  statements: readonly VexStatement[],
  subject: string,
): VexApplication {
  const coverage: CoverageEntry[] = [];
  const used = new Set<VexStatement>();
  const out = findings.map((f) => {
    const ids = new Set([f.vulnerabilityId, ...f.aliases]);
    let chosen: VexStatement | undefined;
    for (const s of statements) {
      if (!ids.has(s.vulnerability) && !s.aliases.some((a) => ids.has(a))) continue;
      if (s.products.length > 0 && !s.products.some((p) => productMatches(p, f, subject))) continue;
      chosen = s;
    }
    if (!chosen) return f;
    used.add(chosen);
    const verdict: VexVerdict = { status: chosen.status, source: chosen.source };
    if (chosen.justification) verdict.justification = chosen.justification;
    if (chosen.detail) verdict.detail = chosen.detail;
    const next: VulnFinding = { ...f, vex: verdict };
    if (chosen.status === "not_affected") {
      if (!chosen.justification && !chosen.detail) {
        coverage.push({
          reason: "invalid",
          subject: chosen.source,
          message: `not_affected for ${chosen.vulnerability} has no justification; not applied`,
        });
        return f;
      }
      next.suppressed = {
        exceptionId: chosen.source,
        reason: `not_affected: ${chosen.justification ?? chosen.detail}`,
        source: "vex",
      };
    }
    return next;
  });
  return { findings: out, coverage: coverage.sort((a, b) => cmp(a.subject ?? "", b.subject ?? "")) };
}

export interface OpenVexOptions {
  /** Injected clock: the document timestamp. */
  now: Date;
  author: string;
  /** Product identifier for the analysed subject (image reference or purl). */
  product: string;
}

/** An OpenVEX v0.2.0 document stating each finding's status; the @id is derived from the content. */
export function toOpenVex(findings: readonly VulnFinding[], opts: OpenVexOptions): Record<string, unknown> {
  const timestamp = opts.now.toISOString();
  const statements = [...findings]
    .sort((a, b) => cmp(a.vulnerabilityId, b.vulnerabilityId) || cmp(a.package.purl, b.package.purl))
    .map((f) => {
      const st: Record<string, unknown> = {
        vulnerability: { name: f.vulnerabilityId, ...(f.aliases.length ? { aliases: f.aliases } : {}) },
        products: [
          {
            "@id": opts.product,
            subcomponents: [{ "@id": f.package.purl || `${f.package.name}@${f.installed}` }],
          },
        ],
        status: f.vex?.status ?? "affected",
      };
      if (f.vex?.status === "not_affected") {
        if (f.vex.justification) st.justification = f.vex.justification;
        if (f.vex.detail) st.impact_statement = f.vex.detail;
      } else if ((f.vex?.status ?? "affected") === "affected") {
        st.action_statement = f.remediation;
      }
      return st;
    });
  const body = { author: opts.author, statements };
  return {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": `https://openvex.dev/docs/palisade/vex-${stableHash(JSON.stringify(body))}`,
    author: opts.author,
    timestamp,
    version: 1,
    tooling: "palisade",
    statements,
  };
}

function forbiddenKey(v: unknown, depth: number): string | undefined {
  if (depth > 64) return "document nested deeper than 64";
  if (Array.isArray(v)) {
    for (const x of v) {
      const f = forbiddenKey(x, depth + 1);
      if (f) return f;
    }
  } else if (isRecord(v)) {
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return `forbidden key ${k}`;
      const f = forbiddenKey(v[k], depth + 1);
      if (f) return f;
    }
  }
  return undefined;
}
