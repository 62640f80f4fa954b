import { PalisadeError } from "../errors/index.js";
import { applyExceptions, type Exception, type WorkloadFacts } from "../exceptions/index.js";
import {
  type ComplianceRef,
  type CoverageEntry,
  compareCoverage,
  compareFindings,
  type Finding,
  type RuleMeta,
  type Severity,
} from "../findings/index.js";
import { formatImageRef, type Inventory, type Workload } from "../inventory/index.js";
import { NETPOL_RULES, netpolFindings } from "../netpol/index.js";
import { analyzeNodes, asScanFinding, NODE_RULES } from "../nodes/index.js";
import { evaluatePosture, POSTURE_RULES } from "../posture/index.js";
import { pssFindings } from "../pss/index.js";
import { buildRbacIndex, RBAC_RULES, type RbacBuildOptions, rbacFindings } from "../rbac/index.js";
import {
  countNotEvaluated,
  emptyCounts,
  REPORT_SCHEMA_VERSION,
  type ScanReport,
  UNOWNED,
} from "../report/index.js";
import { appendAll, globMatch, globPatternProblem } from "../util/index.js";
import type { OsvRecord } from "../vuln/index.js";

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
  nodes?: { advisories?: ReadonlyMap<string, readonly OsvRecord[]> | undefined } | undefined;
}

/** Every rule Palisade's scan can emit, by id. */
export function ruleCatalogue(): RuleMeta[] {
  return [...POSTURE_RULES, ...RBAC_RULES, ...NETPOL_RULES, ...NODE_RULES];
}

const workloadKey = (r: { kind: string; namespace?: string | undefined; name: string }) =>
  `${r.namespace ?? ""}\u0000${r.kind}\u0000${r.name}`;

/**
 * Run every analyzer over the inventory and assemble the report: posture, RBAC and NetworkPolicy findings
 * (or exact PSS findings for the pss-* frameworks), framework filter, exceptions, deterministic order.
 */
export function runScan(inv: Inventory, opts: ScanOptions): ScanReport {
  checkScanPatterns(opts);
  const coverage: CoverageEntry[] = [...(opts.coverage ?? [])];
  let findings: Finding[] = [];
  const fw = opts.framework;
  if (fw === "pss-baseline" || fw === "pss-restricted") {
    findings = pssFindings(inv, fw === "pss-baseline" ? "baseline" : "restricted");
  } else {
    const posture = evaluatePosture(inv, { allowedRegistries: opts.allowedRegistries ?? [] });
    // The bootstrap defaults only matter when the input has RBAC objects of its own (no finding is ever about a
    // default object): without any, assuming them would only add a coverage note to every scan.
    const hasRbac =
      inv.roles.length + inv.clusterRoles.length + inv.roleBindings.length + inv.clusterRoleBindings.length >
      0;
    const rbac = rbacFindings(inv, buildRbacIndex(inv, hasRbac ? opts.rbac : undefined));
    const net = netpolFindings(inv);
    findings = [...posture.findings, ...rbac.findings, ...net.findings];
    appendAll(coverage, posture.coverage, rbac.coverage, net.coverage);
    if (opts.nodes) {
      const nodes = analyzeNodes(inv, {
        now: opts.now,
        advisories: opts.nodes.advisories,
        posture: posture.findings,
      });
      appendAll(findings, nodes.findings.map(asScanFinding));
      appendAll(coverage, nodes.coverage);
    }
    if (fw) findings = findings.filter((f) => f.compliance.some((c: ComplianceRef) => c.framework === fw));
  }

  const exc = applyExceptions(findings, opts.exceptions ?? [], {
    now: opts.now,
    facts: workloadFactsOf(inv),
  });
  // Report filters apply after exceptions, so an exception is not called unused because of a filter.
  const all = [...exc.findings, ...exc.auditFindings].filter((f) => inReport(f, opts)).sort(compareFindings);

  const bySeverity = emptyCounts();
  const byTeam: ScanReport["summary"]["byTeam"] = {};
  let suppressed = 0;
  for (const f of all) {
    if (f.suppressed) {
      suppressed++;
      continue;
    }
    bySeverity[f.severity]++;
    const t = f.team ?? UNOWNED;
    byTeam[t] ??= emptyCounts();
    byTeam[t][f.severity]++;
  }
  const catalogue = new Map(ruleCatalogue().map((r) => [r.id, r]));
  const rules = new Map<string, RuleMeta>();
  for (const f of all) {
    if (rules.has(f.ruleId)) continue;
    rules.set(
      f.ruleId,
      catalogue.get(f.ruleId) ?? {
        id: f.ruleId,
        title: f.title,
        severity: f.severity,
        category: f.category,
        rationale: f.title,
        remediation: f.remediation,
        compliance: f.compliance,
      },
    );
  }
  const unknownKinds: Record<string, number> = {};
  for (const k of [...inv.unknownKinds.keys()].sort()) unknownKinds[k] = inv.unknownKinds.get(k) ?? 0;
  const sortedTeams: ScanReport["summary"]["byTeam"] = {};
  for (const t of Object.keys(byTeam).sort()) sortedTeams[t] = byTeam[t]!;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "palisade", version: opts.version },
    framework: fw,
    inventory: {
      files: opts.files ?? 0,
      objects: inv.objects.length,
      namespaces: inv.namespaces.size,
      workloads: inv.workloads.length,
      unknownKinds,
    },
    summary: {
      active: all.length - suppressed,
      suppressed,
      bySeverity,
      byTeam: sortedTeams,
      notEvaluated: countNotEvaluated(coverage),
    },
    findings: all,
    coverage: coverage.sort(compareCoverage),
    exceptions: {
      unused: exc.unused.map((e) => ({ id: e.id, reason: e.reason, owner: e.owner })),
      matched: exc.matched,
    },
    rules: [...rules.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
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
export { FINDINGS_PER_RUN, memoryRunStore, mergeSorted, runScanStreaming, runSorter } from "./streaming.js";
