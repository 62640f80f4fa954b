/**
 * Match an SBOM's packages against OSV advisories: pure, deterministic, one finding per (package, vulnerability),
 * where a vulnerability is a connected group of ids that alias each other (CVE-x, GHSA-y, DSA-z).
 */

import {
  type CoverageEntry,
  cmp,
  compareCoverage,
  type Finding,
  makeFinding,
  parseSeverity,
  type ResourceRef,
  SEVERITY_RANK,
  type Severity,
} from "../findings/index.js";
import type { Package, Sbom } from "../sbom/index.js";
import { appendAll } from "../util/index.js";
import { type CvssScore, cvss3BaseScore, severityFromScore } from "./cvss.js";
import { cvss4Score } from "./cvss4.js";
import {
  advisoryKey,
  ecosystemAppliesTo,
  ecosystemForPackage,
  lookupIdentity,
  matchVersion,
  packageOs,
} from "./ecosystem.js";
import type { OsvAffected, OsvRecord } from "./osv.js";
import { evaluateAffected, type SchemeResolver } from "./range.js";
import type { VexVerdict } from "./vex.js";

/** A vulnerability finding: the common Finding shape plus what a vulnerability report needs. */
export interface VulnFinding extends Finding {
  category: "vulnerability";
  /** Primary id of the vulnerability (the CVE when one is known). */
  vulnerabilityId: string;
  /** Every other id of the same vulnerability, sorted (GHSA, DSA, DLA, ...). */
  aliases: string[];
  package: { name: string; type: Package["type"]; purl: string; ecosystem: string; lookupName: string };
  installed: string;
  /** Versions that fix it, sorted ascending by the ecosystem's ordering; empty when no fix is known. */
  fixedVersions: string[];
  cvss?: CvssScore | undefined;
  /** Where the severity came from: a CVSS vector, the database's label, or unknown (then "info"). */
  severitySource: "cvss" | "database" | "unknown";
  summary?: string | undefined;
  layerDiffId?: string | undefined;
  /** Records that matched, by id. */
  advisories: string[];
  /** The VEX statement applied to this finding, if any (see applyVex). */
  vex?: VexVerdict | undefined;
}

/** One (ecosystem, name) lookup the store must answer for an SBOM. */
export interface PackageQuery {
  key: string;
  ecosystem: string;
  name: string;
}

export interface MatchOptions {
  resolver: SchemeResolver;
}

export interface MatchResult {
  findings: VulnFinding[];
  coverage: CoverageEntry[];
}

/** Lookups needed to match an SBOM: feed them to a store, then call {@link matchPackages}. */
export function packageQueries(sbom: Sbom): PackageQuery[] {
  const seen = new Map<string, PackageQuery>();
  for (const pkg of sbom.packages) {
    const os = packageOs(pkg, sbom.os);
    const eco = ecosystemForPackage(pkg, os);
    if (!eco) continue;
    const names = new Set([lookupIdentity(pkg, eco).name, pkg.name]);
    for (const name of names) {
      const key = advisoryKey(eco, name);
      if (!seen.has(key)) seen.set(key, { key, ecosystem: eco, name });
    }
  }
  return [...seen.values()].sort((a, b) => cmp(a.key, b.key));
}

/** Resource the findings point at: the analysed image, directory or SBOM. */
export function subjectResource(sbom: Sbom): ResourceRef {
  const kind =
    sbom.subject.kind === "image" ? "Image" : sbom.subject.kind === "directory" ? "Directory" : "Sbom";
  return { apiVersion: "palisade.dev/v1", kind, name: sbom.subject.name };
}

interface Hit {
  record: OsvRecord;
  fixed: string[];
}

/**
 * Match every package of `sbom` against the advisories `byKey` holds (keyed by {@link advisoryKey}).
 * Findings are sorted by package, version and vulnerability id.
 */
export function matchPackages(
  sbom: Sbom,
  byKey: ReadonlyMap<string, readonly OsvRecord[]>,
  opts: MatchOptions,
): MatchResult {
  const coverage = new Map<string, CoverageEntry>();
  const addCoverage = (c: CoverageEntry): void => {
    const k = `${c.reason}\u0000${c.subject ?? ""}\u0000${c.message}`;
    if (!coverage.has(k)) coverage.set(k, c);
  };
  const resource = subjectResource(sbom);
  const findings: VulnFinding[] = [];
  const unmapped = new Map<string, number>();
  // Per record, its affected entries by index key, built once per match: a package then sees only the entries
  // naming it, so one advisory listing 5,000 packages costs 5,000 entry visits for 5,000 packages, not 25 million
  // (issue 9). Severity and CVSS per record are computed once too.
  const perRecord = new RecordCache();
  for (const pkg of sbom.packages) {
    const os = packageOs(pkg, sbom.os);
    const eco = ecosystemForPackage(pkg, os);
    if (!eco) {
      unmapped.set(pkg.type, (unmapped.get(pkg.type) ?? 0) + 1);
      continue;
    }
    const id = lookupIdentity(pkg, eco);
    const idKey = advisoryKey(eco, id.name);
    const pkgKey = advisoryKey(eco, pkg.name);
    const candidates = dedupeRecords([
      ...(byKey.get(idKey) ?? []),
      ...(id.name !== pkg.name ? (byKey.get(pkgKey) ?? []) : []),
    ]);
    const hits: Hit[] = [];
    for (const record of candidates) {
      if (record.withdrawn !== undefined) continue; // schema: withdrawn records no longer apply
      const fixed: string[] = [];
      let affected = false;
      const byName = perRecord.affectedByKey(record);
      const entries =
        idKey === pkgKey
          ? (byName.get(idKey) ?? [])
          : [...(byName.get(idKey) ?? []), ...(byName.get(pkgKey) ?? [])];
      for (const a of entries) {
        if (!ecosystemAppliesTo(a.package.ecosystem, os)) continue;
        // The entry's key equals idKey or pkgKey (same base ecosystem, same normalised name).
        const entryKey = advisoryKey(a.package.ecosystem, a.package.name);
        const viaSource = a.package.name !== pkg.name && entryKey === idKey;
        const version = viaSource ? id.version : matchVersion(pkg, eco);
        const ev = evaluateAffected(version, a, opts.resolver);
        for (const s of ev.skipped) {
          addCoverage({
            reason: s.includes("GIT range") ? "unsupported" : "not-evaluated",
            subject: `${record.id} ${a.package.ecosystem}/${a.package.name}`,
            message: s,
          });
        }
        if (ev.affected) {
          affected = true;
          appendAll(fixed, ev.fixed);
        }
      }
      if (affected) hits.push({ record, fixed });
    }
    for (const group of groupByAlias(hits))
      findings.push(toFinding(pkg, eco, id.name, group, resource, opts, perRecord));
  }
  for (const [type, n] of [...unmapped].sort((a, b) => cmp(a[0], b[0]))) {
    addCoverage({
      reason: "unsupported",
      subject: `packages of type ${type}`,
      message: `${n} package(s) of type ${type} have no known OSV ecosystem (or the OS is unknown); not matched`,
    });
  }
  findings.sort(
    (a, b) =>
      cmp(a.package.name, b.package.name) ||
      cmp(a.installed, b.installed) ||
      cmp(a.package.purl, b.package.purl) ||
      cmp(a.vulnerabilityId, b.vulnerabilityId),
  );
  return { findings, coverage: [...coverage.values()].sort(compareCoverage) };
}

/** What matching derives from a record once, whatever the number of packages it is matched against. */
class RecordCache {
  private readonly byKey = new Map<OsvRecord, Map<string, OsvAffected[]>>();
  private readonly cvss = new Map<OsvRecord, CvssScore | undefined>();
  private readonly dbSeverity = new Map<OsvRecord, Severity | undefined>();

  /** The record's affected entries by {@link advisoryKey} (base ecosystem, normalised name), in record order. */
  affectedByKey(record: OsvRecord): Map<string, OsvAffected[]> {
    let m = this.byKey.get(record);
    if (!m) {
      m = new Map();
      for (const a of record.affected) {
        const k = advisoryKey(a.package.ecosystem, a.package.name);
        const list = m.get(k);
        if (list) list.push(a);
        else m.set(k, [a]);
      }
      this.byKey.set(record, m);
    }
    return m;
  }

  bestCvss(record: OsvRecord): CvssScore | undefined {
    if (!this.cvss.has(record)) this.cvss.set(record, bestCvss(record));
    return this.cvss.get(record);
  }

  databaseSeverity(record: OsvRecord): Severity | undefined {
    if (!this.dbSeverity.has(record)) this.dbSeverity.set(record, databaseSeverity(record));
    return this.dbSeverity.get(record);
  }
}

function dedupeRecords(records: readonly OsvRecord[]): OsvRecord[] {
  const m = new Map<string, OsvRecord>();
  for (const r of records) if (!m.has(r.id)) m.set(r.id, r);
  return [...m.values()];
}

/** Union-find over ids and aliases: records that share any id are one vulnerability. */
function groupByAlias(hits: Hit[]): Hit[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    // The smaller id becomes the root so grouping does not depend on input order.
    if (ra < rb) parent.set(rb, ra);
    else if (rb < ra) parent.set(ra, rb);
  };
  for (const h of hits) {
    parent.set(h.record.id, parent.get(h.record.id) ?? h.record.id);
    for (const al of h.record.aliases) {
      if (!parent.has(al)) parent.set(al, al);
      union(h.record.id, al);
    }
  }
  const groups = new Map<string, Hit[]>();
  for (const h of hits) {
    const root = find(h.record.id);
    const g = groups.get(root) ?? [];
    g.push(h);
    groups.set(root, g);
  }
  return [...groups.values()];
}

/** Primary id: the CVE when present (the name most tools and VEX statements use), then GHSA, then the smallest. */
export function primaryId(ids: Iterable<string>): string {
  const all = [...new Set(ids)].sort(cmp);
  return (
    all.find((i) => i.startsWith("CVE-")) ?? all.find((i) => i.startsWith("GHSA-")) ?? (all[0] as string)
  );
}

/** The strongest CVSS score among a record's severities (v4 preferred over v3 at equal score). */
export function bestCvss(record: OsvRecord): CvssScore | undefined {
  let best: CvssScore | undefined;
  const all = [...record.severity, ...record.affected.flatMap((a) => a.severity)];
  for (const s of all) {
    let c: CvssScore | undefined;
    if (s.type === "CVSS_V3") c = cvss3BaseScore(s.score);
    else if (s.type === "CVSS_V4") c = cvss4Score(s.score);
    if (c && (!best || c.score > best.score)) best = c;
  }
  return best;
}

/** Severity labels databases put in database_specific (GHSA: LOW/MODERATE/HIGH/CRITICAL; Ubuntu priorities). */
function databaseSeverity(record: OsvRecord): Severity | undefined {
  const labels: unknown[] = [record.databaseSpecific?.severity];
  for (const s of record.severity) if (s.type === "Ubuntu") labels.push(s.score);
  for (const a of record.affected) {
    labels.push(a.databaseSpecific?.severity, a.ecosystemSpecific?.severity);
    for (const s of a.severity) if (s.type === "Ubuntu") labels.push(s.score);
  }
  let best: Severity | undefined;
  for (const l of labels) {
    if (typeof l !== "string") continue;
    const v = l.toLowerCase();
    const sev: Severity | undefined =
      v === "moderate" ? "medium" : v === "negligible" || v === "unimportant" ? "info" : parseSeverity(v);
    if (sev && (!best || SEVERITY_RANK[sev] > SEVERITY_RANK[best])) best = sev;
  }
  return best;
}

function toFinding(
  pkg: Package,
  eco: string,
  lookupName: string,
  group: Hit[],
  resource: ResourceRef,
  opts: MatchOptions,
  perRecord: RecordCache,
): VulnFinding {
  const ids = new Set<string>();
  for (const h of group) {
    ids.add(h.record.id);
    for (const a of h.record.aliases) ids.add(a);
  }
  const vulnerabilityId = primaryId(ids);
  const aliases = [...ids].filter((i) => i !== vulnerabilityId).sort(cmp);
  const records = [...group].sort((a, b) => cmp(a.record.id, b.record.id));
  let cvss: CvssScore | undefined;
  let dbSeverity: Severity | undefined;
  for (const h of records) {
    const c = perRecord.bestCvss(h.record);
    if (c && (!cvss || c.score > cvss.score)) cvss = c;
    const d = perRecord.databaseSeverity(h.record);
    if (d && (!dbSeverity || SEVERITY_RANK[d] > SEVERITY_RANK[dbSeverity])) dbSeverity = d;
  }
  const severity: Severity = cvss ? severityFromScore(cvss.score) : (dbSeverity ?? "info");
  const severitySource = cvss ? "cvss" : dbSeverity ? "database" : "unknown";
  // A finding is fixable only when every matching record names a fix; the highest fix clears them all.
  const allFixed = records.every((h) => h.fixed.length > 0);
  const scheme = opts.resolver.forEcosystem(eco);
  const fixedVersions = [...new Set(records.flatMap((h) => h.fixed))].sort((a, b) => {
    if (scheme?.isValid(a) && scheme.isValid(b)) return scheme.compare(a, b) || cmp(a, b);
    return cmp(a, b);
  });
  const target = allFixed ? fixedVersions[fixedVersions.length - 1] : undefined;
  const summary = records.map((h) => h.record.summary).find((s) => s !== undefined);
  const evidence = `${pkg.name}@${pkg.version}`;
  const remediation = target ? `fix available: >= ${target}` : "no fix available";
  const base = makeFinding({
    ruleId: vulnerabilityId,
    title: summary ?? `${vulnerabilityId} in ${pkg.name}`,
    severity,
    resource,
    fieldPath: `packages[${pkg.purl || evidence}]`,
    evidence,
    message: `${pkg.name} ${pkg.version} is affected by ${vulnerabilityId}${aliases.length ? ` (${aliases.join(", ")})` : ""}${summary ? `: ${summary}` : ""}`,
    remediation,
    compliance: [],
    category: "vulnerability",
    discriminator: pkg.locations.join("\u0000"),
  });
  const f: VulnFinding = {
    ...base,
    category: "vulnerability",
    vulnerabilityId,
    aliases,
    package: { name: pkg.name, type: pkg.type, purl: pkg.purl, ecosystem: eco, lookupName },
    installed: pkg.version,
    fixedVersions,
    severitySource,
    advisories: records.map((h) => h.record.id),
  };
  if (cvss) f.cvss = cvss;
  if (summary !== undefined) f.summary = summary;
  if (pkg.layerDiffId !== undefined) f.layerDiffId = pkg.layerDiffId;
  // A package declared in a lockfile or manifest points at its line there (SARIF shows it in the file).
  const file = pkg.locations[0];
  if (pkg.line !== undefined && file !== undefined) f.location = { file, line: pkg.line, column: 1 };
  return f;
}
