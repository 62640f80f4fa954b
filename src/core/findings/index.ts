import { stableHash } from "./hash.js";

export { stableHash };

/** Severity, ordered from most to least severe. */
export type Severity = "critical" | "high" | "medium" | "low" | "info";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  critical: 4,
  high: 3,
  medium: 2,
  low: 1,
  info: 0,
};

export function parseSeverity(s: string): Severity | undefined {
  const v = s.toLowerCase();
  return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : undefined;
}

/** A Kubernetes object reference as used in findings. `namespace` is absent for cluster-scoped objects. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Location inside a source file, 1-based line and column. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type Framework = "nsa" | "cis" | "pss" | "palisade";

export interface ComplianceRef {
  framework: Framework;
  /** Control id as the framework names it, e.g. "5.2.2" for CIS, "privileged" for PSS. */
  id: string;
  title?: string | undefined;
}

export interface Suppression {
  /** Index-stable id of the exception that matched. */
  exceptionId: string;
  reason: string;
  owner?: string | undefined;
  expires?: string | undefined;
  /** "exception" (user file) or "vex" (a VEX statement). */
  source: "exception" | "vex";
}

/** One finding, the single shape every analyzer emits and every formatter reads. */
export interface Finding {
  /** Stable id: hash of rule id + resource + field path (+ discriminator). */
  id: string;
  ruleId: string;
  title: string;
  severity: Severity;
  resource: ResourceRef;
  /** Owning workload, when the resource is (or belongs to) one. */
  workload?: ResourceRef | undefined;
  team?: string | undefined;
  location?: SourceLocation | undefined;
  /** Kubernetes-style field path, e.g. `spec.template.spec.containers[0].securityContext.privileged`. */
  fieldPath?: string | undefined;
  /** The value that fired the rule. Secrets are redacted before they get here. */
  evidence?: string | undefined;
  message: string;
  remediation: string;
  compliance: ComplianceRef[];
  /** Category for grouping: "workload", "rbac", "network", "secrets", "exposure", "vulnerability", ... */
  category: string;
  suppressed?: Suppression | undefined;
}

export interface FindingInput extends Omit<Finding, "id"> {
  /** Extra text mixed into the id when one rule can fire twice at the same path (e.g. two secret keys). */
  discriminator?: string | undefined;
}

/** Build a finding with its stable id. */
export function makeFinding(input: FindingInput): Finding {
  const { discriminator, ...rest } = input;
  return { id: findingId(rest.ruleId, rest.resource, rest.fieldPath, discriminator), ...rest };
}

/**
 * The stable id {@link makeFinding} gives: hash of rule id, resource, field path and discriminator. Exported for
 * hot paths that build findings as literals (posture: ~150k findings at 100k objects) instead of through
 * makeFinding's object rest and spread.
 */
export function findingId(
  ruleId: string,
  r: ResourceRef,
  fieldPath: string | undefined,
  discriminator: string | undefined,
): string {
  return stableHash(
    `${ruleId}\u0000${r.apiVersion}\u0000${r.kind}\u0000${r.namespace ?? ""}\u0000${r.name}\u0000${fieldPath ?? ""}\u0000${discriminator ?? ""}`,
  );
}

/**
 * Catalogue entry for a rule. Rule ids follow `PAL-<AREA>-<NNN>` (POD, IMG, SEC, SVC, NET, RBAC, ...) and never
 * change meaning once published.
 */
export interface RuleMeta {
  id: string;
  title: string;
  severity: Severity;
  category: string;
  rationale: string;
  remediation: string;
  compliance: ComplianceRef[];
}

/** Why something could not be evaluated. Reported next to findings: never a silent pass. */
export type CoverageReason =
  | "parse-error"
  | "limit"
  | "unsafe"
  | "binary"
  | "forbidden"
  | "unserved"
  | "unreachable"
  | "invalid"
  | "unsupported"
  | "missing"
  | "stale"
  | "not-evaluated"
  /** Not in the input, so a default was used (e.g. the API server's bootstrap RBAC policy); the message says which. */
  | "assumed";

export interface CoverageEntry {
  reason: CoverageReason;
  message: string;
  /** What the entry is about: a file, a kind, a namespace, an image. */
  subject?: string | undefined;
  location?: SourceLocation | undefined;
  namespace?: string | undefined;
  kind?: string | undefined;
  /**
   * The input was evaluated all the same, under the rule the message states (an invalid label value resolved
   * as upstream resolves it): the entry informs and does not make the run incomplete.
   */
  evaluated?: true | undefined;
}

/** Deterministic order: file, line, column, rule, resource, id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.location?.file ?? "\uffff", b.location?.file ?? "\uffff") ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    (a.location?.column ?? 0) - (b.location?.column ?? 0) ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.resource.namespace ?? "", b.resource.namespace ?? "") ||
    cmp(a.resource.kind, b.resource.kind) ||
    cmp(a.resource.name, b.resource.name) ||
    cmp(a.fieldPath ?? "", b.fieldPath ?? "") ||
    cmp(a.id, b.id)
  );
}

export function compareCoverage(a: CoverageEntry, b: CoverageEntry): number {
  return (
    cmp(a.location?.file ?? a.subject ?? "", b.location?.file ?? b.subject ?? "") ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    cmp(a.reason, b.reason) ||
    cmp(a.message, b.message)
  );
}

/** Code-unit string comparison (locale-independent, deterministic). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function refToString(r: ResourceRef): string {
  return `${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
}

/**
 * Redact a secret-looking value: keep its length class and at most the first 4 characters of
 * non-sensitive prefixes (e.g. "AKIA"), never the body.
 */
export function redact(value: string, keepPrefix = 0): string {
  const prefix = keepPrefix > 0 ? value.slice(0, Math.min(keepPrefix, 4)) : "";
  return `${prefix}****(redacted, ${value.length} chars)`;
}

export {
  type FindingStat,
  type FindingsOverview,
  summariseTeams,
  type TeamSummary,
} from "./team-summary.js";
