/** Vulnerability domain: OSV records, CVSS, range evaluation, matching, VEX. Pure. */
export type { CvssScore } from "./cvss.js";
export { cvss3BaseScore, roundUp31, severityFromScore } from "./cvss.js";
export { cvss4Score } from "./cvss4.js";
export {
  advisoryKey,
  ecosystemAppliesTo,
  ecosystemForPackage,
  lookupIdentity,
  normalizePackageName,
  splitEcosystem,
} from "./ecosystem.js";
export type { Freshness } from "./freshness.js";
export { freshness, STALE_AFTER_DAYS } from "./freshness.js";
export { looksLikeJsonFeed, parseKubernetesCveFeed } from "./k8s-cve-feed.js";
export type { MatchOptions, MatchResult, PackageQuery, VulnFinding } from "./match.js";
export { bestCvss, matchPackages, packageQueries, primaryId, subjectResource } from "./match.js";
export type {
  OsvAffected,
  OsvEvent,
  OsvPackage,
  OsvRange,
  OsvRangeType,
  OsvRecord,
  OsvSeverity,
  ParsedOsv,
} from "./osv.js";
export { OSV_LIMITS, parseOsvRecord, parseOsvText, storedRecordProblem } from "./osv.js";
export type { RangeEvaluation, SchemeResolver } from "./range.js";
export { evaluateAffected } from "./range.js";
export type { VulnReport } from "./report.js";
export {
  buildVulnReport,
  failsAt,
  formatVulnJson,
  formatVulnSarif,
  formatVulnTable,
  toCycloneDxWithVulnerabilities,
  VULN_REPORT_SCHEMA,
} from "./report.js";
export { DEFAULT_RESOLVER } from "./resolver.js";
export type {
  OpenVexOptions,
  ParsedVex,
  VexApplication,
  VexStatement,
  VexStatus,
  VexVerdict,
} from "./vex.js";
export { applyVex, parseVex, toOpenVex } from "./vex.js";
