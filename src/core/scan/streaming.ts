/**
 * The scan with findings never all held at once (issue: scale): every finding goes, as an analyzer produces it,
 * through the framework filter, the exceptions and the report filters into a sorted run; full runs are handed to
 * a {@link FindingRunStore} (the CLI's writes them to disk) and merged back in order as the report is written.
 * The report is the same, byte for byte, as {@link runScan}'s: the same findings in the same order (a stable sort
 * of the runs in the order findings were produced, merged earliest run first on ties), the same counts, rules
 * and coverage (src/services/scan/generated-snapshot.test.ts checks both on a generated snapshot).
 */
import { PalisadeError } from "../errors/index.js";
import { exceptionApplier } from "../exceptions/index.js";
import {
  type ComplianceRef,
  type CoverageEntry,
  cmp,
  compareCoverage,
  compareFindings,
  type Finding,
  type RuleMeta,
} from "../findings/index.js";
import type { Inventory } from "../inventory/index.js";
import { netpolFindings } from "../netpol/index.js";
import { evaluatePosture, type PostureOptions, withNamespaceTeam } from "../posture/index.js";
import { pssFindings } from "../pss/index.js";
import { buildRbacIndex, rbacFindings } from "../rbac/index.js";
import {
  countNotEvaluated,
  emptyCounts,
  type FindingStream,
  REPORT_SCHEMA_VERSION,
  type ScanReport,
  type StreamedScanReport,
  UNOWNED,
} from "../report/index.js";
import { appendAll } from "../util/index.js";
import { checkScanPatterns, inReport, ruleCatalogue, type ScanOptions, workloadFactsOf } from "./index.js";

/**
 * Where a streaming scan keeps its runs of sorted findings until the report is written. Runs are read back once
 * each, in any interleaving, after the last one is written.
 */
export interface FindingRunStore {
  /** Keep one run (already sorted). */
  write(run: readonly Finding[]): void;
  /** The findings of run `i` (0 = the first written), in order. */
  read(i: number): Iterable<Finding>;
}

/**
 * Heap the findings of the run being filled may take before it is handed to the store, as estimated by
 * {@link findingBytes}. Below it nothing is written: a scan with tens of thousands of findings (10k RBAC bindings
 * give 19k, many of them escalation paths with long messages: 17 MiB by the estimate) keeps them all, and writing
 * them to disk and reading them back cost a tenth of its CPU time. Past it, the budget is held for the whole
 * analysis of a large scan, on top of the inventory: 32 MiB, not 64 (issue: scale), makes runs of about 45k
 * findings, about 33 runs merged for a 1M-object snapshot's 1.5M findings.
 */
export const FINDINGS_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * A finding's heap, roughly: the object, its resource and workload references, location and compliance copies
 * (about 450 bytes on V8), and the text it alone holds (id, message, evidence, field path; one byte per character in
 * V8's one-byte strings, plus a header). Title and remediation are shared by every finding of a rule. Measured on a
 * generated 100k-object snapshot's posture findings (live heap with and without a run of 20k): 743 bytes each,
 * which the 384 bytes this estimate used to start from put at 560.
 */
export function findingBytes(f: Finding): number {
  return (
    512 +
    f.id.length +
    f.message.length +
    (f.evidence?.length ?? 0) +
    (f.fieldPath?.length ?? 0) +
    f.resource.name.length
  );
}

/** A store keeping runs in memory (the default: small scans, servers, tests). */
export function memoryRunStore(): FindingRunStore {
  const runs: (readonly Finding[])[] = [];
  return {
    write: (run) => {
      runs.push(run);
    },
    read: (i) => runs[i] ?? [],
  };
}

/**
 * {@link runScan} with findings sorted in runs kept by `store` and merged as the report's findings are read:
 * memory holds the inventory, one run, and one finding per run while the report is written.
 */
export function runScanStreaming(
  inv: Inventory,
  opts: ScanOptions,
  store: FindingRunStore,
  perRun: number = Number.POSITIVE_INFINITY,
  budgetBytes: number = FINDINGS_BUDGET_BYTES,
): StreamedScanReport {
  checkScanPatterns(opts);
  const coverage: CoverageEntry[] = [...(opts.coverage ?? [])];
  const fw = opts.framework;
  const applier = exceptionApplier(opts.exceptions ?? [], { now: opts.now, facts: workloadFactsOf(inv) });
  const sorter = runSorter(store, perRun, budgetBytes);
  const bySeverity = emptyCounts();
  const byTeam: ScanReport["summary"]["byTeam"] = {};
  let suppressed = 0;
  // Rules not in the catalogue are described by their first finding in report order (as runScan does).
  const catalogue = new Map(ruleCatalogue(opts.nodes?.analyzer.NODE_RULES ?? []).map((r) => [r.id, r]));
  const ruleIds = new Set<string>();
  const firstOfUnknown = new Map<string, Finding>();
  const report = (f: Finding): void => {
    if (!inReport(f, opts)) return;
    sorter.add(f);
    if (!ruleIds.has(f.ruleId)) ruleIds.add(f.ruleId);
    if (!catalogue.has(f.ruleId)) {
      const first = firstOfUnknown.get(f.ruleId);
      if (!first || compareFindings(f, first) < 0) firstOfUnknown.set(f.ruleId, f);
    }
    if (f.suppressed) {
      suppressed++;
      return;
    }
    bySeverity[f.severity]++;
    const t = f.team ?? UNOWNED;
    byTeam[t] ??= emptyCounts();
    byTeam[t][f.severity]++;
  };
  const take = (f: Finding): void => {
    if (fw && !f.compliance.some((c: ComplianceRef) => c.framework === fw)) return;
    report(applier.apply(f));
  };

  if (fw === "pss-baseline" || fw === "pss-restricted") {
    for (const f of pssFindings(inv, fw === "pss-baseline" ? "baseline" : "restricted"))
      report(applier.apply(f));
  } else {
    const atLoad = opts.atLoad;
    if (atLoad !== undefined && opts.nodes)
      throw new PalisadeError(
        "INTERNAL",
        "scan: node analysis reads every posture finding: none run at load",
      );
    const postureOpts: PostureOptions = { allowedRegistries: opts.allowedRegistries ?? [] };
    if (atLoad !== undefined) {
      postureOpts.evaluatedAtLoad = atLoad.ruleIds;
      for (const f of atLoad.findings) take(withNamespaceTeam(f, inv));
    }
    // Node analysis reads the posture findings: they are then kept (and handed over sorted, as runScan does).
    const posture = opts.nodes ? evaluatePosture(inv, postureOpts) : evaluatePosture(inv, postureOpts, take);
    for (const f of posture.findings) take(f);
    const hasRbac =
      inv.roles.length + inv.clusterRoles.length + inv.roleBindings.length + inv.clusterRoleBindings.length >
      0;
    // RBAC and NetworkPolicy findings go to the runs as produced, as the posture findings do: held whole they were
    // a fifth of a large scan's live heap (escalation paths carry long texts). Their order among equal findings is
    // the order of production, as a stable sort of them gives, so the report is unchanged.
    const rbac = rbacFindings(inv, buildRbacIndex(inv, hasRbac ? opts.rbac : undefined), take);
    for (const f of rbac.findings) take(f);
    const net = netpolFindings(inv, {}, take);
    for (const f of net.findings) take(f);
    appendAll(coverage, posture.coverage, rbac.coverage, net.coverage);
    if (atLoad !== undefined) {
      // Keyed by message, as one run of the rules keys its coverage.
      const seen = new Set(posture.coverage.map((c) => c.message));
      for (const c of atLoad.coverage) if (!seen.has(c.message)) coverage.push(c);
    }
    if (opts.nodes) {
      const { analyzeNodes, asScanFinding } = opts.nodes.analyzer;
      const nodes = analyzeNodes(inv, {
        now: opts.now,
        advisories: opts.nodes.advisories,
        posture: posture.findings,
      });
      for (const f of nodes.findings) take(asScanFinding(f));
      appendAll(coverage, nodes.coverage);
    }
  }
  const exc = applier.finish();
  for (const f of exc.auditFindings) report(f);
  const findings = sorter.finish();

  const rules: RuleMeta[] = [];
  for (const id of ruleIds) {
    const meta = catalogue.get(id);
    if (meta) {
      rules.push(meta);
      continue;
    }
    const f = firstOfUnknown.get(id) as Finding;
    rules.push({
      id: f.ruleId,
      title: f.title,
      severity: f.severity,
      category: f.category,
      rationale: f.title,
      remediation: f.remediation,
      compliance: f.compliance,
    });
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
      active: findings.length - suppressed,
      suppressed,
      bySeverity,
      byTeam: sortedTeams,
      notEvaluated: countNotEvaluated(coverage),
    },
    findings,
    coverage: coverage.sort(compareCoverage),
    exceptions: {
      unused: exc.unused.map((e) => ({ id: e.id, reason: e.reason, owner: e.owner })),
      matched: exc.matched,
    },
    rules: rules.sort((a, b) => cmp(a.id, b.id)),
  };
}

/**
 * Findings added in any order come out sorted with compareFindings, as a stable sort of them in the order they
 * were added would give: each run is sorted stably, and the merge takes the earliest run on ties. A run is handed
 * to the store when it holds `perRun` findings or {@link findingBytes} says it holds `budgetBytes`, whichever
 * comes first; until then nothing is written.
 */
export function runSorter(
  store: FindingRunStore,
  perRun: number,
  budgetBytes: number = Number.POSITIVE_INFINITY,
): { add(f: Finding): void; finish(): FindingStream } {
  let buf: Finding[] = [];
  let bytes = 0;
  let runs = 0;
  let total = 0;
  const counting = budgetBytes !== Number.POSITIVE_INFINITY;
  return {
    add(f) {
      buf.push(f);
      total++;
      if (counting) bytes += findingBytes(f);
      if (buf.length >= perRun || bytes >= budgetBytes) {
        store.write(buf.sort(compareFindings));
        runs++;
        buf = [];
        bytes = 0;
      }
    },
    finish() {
      const last = buf.sort(compareFindings);
      buf = [];
      if (runs === 0) return last;
      const sources: Iterable<Finding>[] = [];
      for (let i = 0; i < runs; i++) sources.push(store.read(i));
      // The last, partial run stays in memory: it is the latest, so it loses every tie.
      sources.push(last);
      return { length: total, [Symbol.iterator]: () => mergeSorted(sources)[Symbol.iterator]() };
    },
  };
}

/** K-way merge of sorted sequences (a binary heap of their heads); ties go to the earlier sequence. */
export function* mergeSorted(sources: readonly Iterable<Finding>[]): Generator<Finding> {
  type Head = { f: Finding; src: number; it: Iterator<Finding> };
  const heap: Head[] = [];
  const less = (a: Head, b: Head): boolean => {
    const c = compareFindings(a.f, b.f);
    return c < 0 || (c === 0 && a.src < b.src);
  };
  const up = (i: number): void => {
    const h = heap[i] as Head;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Head;
      if (!less(h, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = h;
  };
  const down = (i: number): void => {
    const h = heap[i] as Head;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(heap[r] as Head, heap[l] as Head) ? r : l;
      if (!less(heap[c] as Head, h)) break;
      heap[i] = heap[c] as Head;
      i = c;
    }
    heap[i] = h;
  };
  sources.forEach((s, src) => {
    const it = s[Symbol.iterator]();
    const first = it.next();
    if (!first.done) {
      heap.push({ f: first.value, src, it });
      up(heap.length - 1);
    }
  });
  while (heap.length > 0) {
    const top = heap[0] as Head;
    yield top.f;
    const next = top.it.next();
    if (next.done) {
      const last = heap.pop() as Head;
      if (heap.length > 0) {
        heap[0] = last;
        down(0);
      }
    } else {
      top.f = next.value;
      down(0);
    }
  }
}
