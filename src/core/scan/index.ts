import { PalisadeError } from "../errors/index.js";
import type { Exception, WorkloadFacts } from "../exceptions/index.js";
import type { CoverageEntry, Finding, RuleMeta, Severity } from "../findings/index.js";
import { formatImageRef, type Inventory, type Workload } from "../inventory/index.js";
import { NETPOL_RULES } from "../netpol/index.js";
import type * as Nodes from "../nodes/index.js";
import { POSTURE_RULES } from "../posture/index.js";
import { RBAC_RULES, type RbacBuildOptions } from "../rbac/index.js";
import type { ScanReport } from "../report/index.js";
import { globMatch, globPatternProblem } from "../util/index.js";
import type { OsvRecord } from "../vuln/index.js";
import { memoryRunStore, runScanStreaming } from "./streaming.js";

export type Framework = "nsa" | "cis" | "pss-baseline" | "pss-restricted";
export const FRAMEWORKS: readonly Framework[] = ["nsa", "cis", "pss-baseline", "pss-restricted"];

export interface ScanOptions {
  /** Keep only findings mapped to this framework (PSS frameworks evaluate Pod Security Standards exactly). */
  framework?: Framework | undefined;
  allowedRegistries?: string[] | undefined;
  exceptions?: readonly Exception[] | undefined;
  /** Injected clock (exception expiry). */
  now: Date;
  version: string;
  /** Number of source files read, for the report header. */
  files?: number | undefined;
  /** Report only findings of these severities (exceptions are still audited against every finding). */
  severities?: readonly Severity[] | undefined;
  /** Report only findings in namespaces matching one of these globs (cluster-scoped findings are kept). */
  namespaces?: readonly string[] | undefined;
  /** Drop findings in namespaces matching one of these globs. */
  excludeNamespaces?: readonly string[] | undefined;
  /** Coverage from loading, merged into the report. */
  coverage?: readonly CoverageEntry[] | undefined;
  /** RBAC analysis options (the API server's bootstrap policy as defaults). */
  rbac?: RbacBuildOptions | undefined;
  /**
   * Also analyse the nodes (core/nodes): vulnerable components against `advisories` (absent: not matched, a
   * coverage entry says so), OS end of life, kubelet configuration.
   */
  nodes?:
    | {
        advisories?: ReadonlyMap<string, readonly OsvRecord[]> | undefined;
        /** core/nodes itself (its index), which the caller loads only to analyse nodes: see {@link NodeAnalyzer}. */
        analyzer: NodeAnalyzer;
      }
    | undefined;
  /**
   * Posture rules already run on each object as it was read (core/posture `postureRulesAtLoad`, a streaming scan):
   * their findings (team unset) in the order produced, and their coverage. The analysis does not run them again; not
   * with `nodes` (node analysis reads every posture finding) nor the PSS frameworks (which report none of them).
   */
  atLoad?:
    | { ruleIds: ReadonlySet<string>; findings: Iterable<Finding>; coverage: readonly CoverageEntry[] }
    | undefined;
}

/**
 * What the scan uses of core/nodes, given by the caller (`nodes.analyzer`): the module namespace of
 * `core/nodes/index.js`, loaded when nodes are to be analysed. Not imported here, so that a scan without nodes does
 * not load core/nodes and, through it, core/vuln, core/sbom and the version schemes: about 145 KB of the
 * one-file scan's start-up bundle and 13 M instructions of its start (issue 10; test/scripts/build-output.test.ts
 * checks that the start-up pack holds none of them).
 */
export type NodeAnalyzer = Pick<typeof Nodes, "analyzeNodes" | "asScanFinding" | "NODE_RULES">;

/**
 * Every rule Palisade's scan can emit, by id: posture, RBAC and NetworkPolicy rules, then `nodeRules` (core/nodes'
 * `NODE_RULES`, passed in for the reason {@link NodeAnalyzer} gives; a scan without nodes emits none of them).
 */
export function ruleCatalogue(nodeRules: readonly RuleMeta[]): RuleMeta[] {
  return [...POSTURE_RULES, ...RBAC_RULES, ...NETPOL_RULES, ...nodeRules];
}

const workloadKey = (r: { kind: string; namespace?: string | undefined; name: string }) =>
  `${r.namespace ?? ""}\u0000${r.kind}\u0000${r.name}`;

/**
 * Run every analyzer over the inventory and assemble the report: posture, RBAC and NetworkPolicy findings
 * (or exact PSS findings for the pss-* frameworks), framework filter, exceptions, deterministic order.
 * The same pipeline as {@link runScanStreaming}, with every finding kept in one in-memory run.
 */
export function runScan(inv: Inventory, opts: ScanOptions): ScanReport {
  const report = runScanStreaming(
    inv,
    opts,
    memoryRunStore(),
    Number.POSITIVE_INFINITY,
    Number.POSITIVE_INFINITY,
  );
  const findings = Array.isArray(report.findings) ? (report.findings as Finding[]) : [...report.findings];
  return { ...report, findings };
}

/**
 * What exceptions scoped by image or label match a finding against: its workload's images and labels, looked up
 * (and cached) only when an exception asks.
 */
export function workloadFactsOf(inv: Inventory): (f: Finding) => WorkloadFacts | undefined {
  const byWorkload = new Map<string, Workload>();
  for (const w of inv.workloads) byWorkload.set(workloadKey(w.ref), w);
  const factsCache = new Map<Workload, WorkloadFacts>();
  return (f: Finding): WorkloadFacts | undefined => {
    const w = byWorkload.get(workloadKey(f.workload ?? f.resource));
    if (!w) return undefined;
    let x = factsCache.get(w);
    if (!x) {
      x = {
        images: w.containers.flatMap((c) =>
          c.image ? [formatImageRef(c.image), c.image.name] : [c.imageString],
        ),
        labels: { ...w.podLabels, ...w.object.labels },
      };
      factsCache.set(w, x);
    }
    return x;
  };
}

/** The report filters' globs, checked before anything is evaluated. */
export function checkScanPatterns(opts: ScanOptions): void {
  checkPatterns("namespaces", opts.namespaces);
  checkPatterns("excludeNamespaces", opts.excludeNamespaces);
  checkPatterns("allowedRegistries", opts.allowedRegistries);
}

/**
 * Refuse a glob the matcher would never match (over GLOB_MAX_PATTERN): silently matching nothing would hide
 * every finding behind an include filter.
 */
function checkPatterns(field: string, patterns: readonly string[] | undefined): void {
  for (const p of patterns ?? []) {
    const problem = globPatternProblem(p);
    if (problem !== undefined)
      throw new PalisadeError("LIMIT", `${field} glob ${JSON.stringify(`${p.slice(0, 32)}…`)}: ${problem}`, {
        context: { field },
      });
  }
}

/** Whether a finding passes the report filters (severities, namespaces). */
export function inReport(f: Finding, opts: ScanOptions): boolean {
  if (opts.severities && !opts.severities.includes(f.severity)) return false;
  const ns = f.resource.namespace;
  if (ns === undefined) return true;
  if (opts.namespaces?.length && !opts.namespaces.some((p) => globMatch(p, ns))) return false;
  if (opts.excludeNamespaces?.some((p) => globMatch(p, ns))) return false;
  return true;
}

export type { FindingRunStore } from "./streaming.js";
export {
  FINDINGS_BUDGET_BYTES,
  findingBytes,
  memoryRunStore,
  mergeSorted,
  runScanStreaming,
  runSorter,
} from "./streaming.js";
