/**
 * Use case: scan. Load the inventory from the sources named, load the exceptions file, run every analyzer and
 * assemble the report (core/scan). Readers and the clock are the caller's; the report is a value the caller
 * formats.
 */
import { PalisadeError } from "../../core/errors/index.js";
import type { Exception } from "../../core/exceptions/index.js";
import type { Finding } from "../../core/findings/index.js";
import type { KObject } from "../../core/inventory/index.js";
import { postureRulesAtLoad } from "../../core/posture/index.js";
import type { ScanReport, StreamedScanReport } from "../../core/report/index.js";
import {
  type FindingRunStore,
  findingBytes,
  runScan,
  runScanStreaming,
  type ScanOptions,
} from "../../core/scan/index.js";
import { appendAll } from "../../core/util/index.js";
import { type ConfigReader, loadExceptions } from "../exceptions/index.js";
import {
  type InventoryReaders,
  type InventorySources,
  type LoadedInventory,
  loadInventory,
} from "../inventory/index.js";
import type { AdvisoryLookup } from "../nodes/index.js";

/** Runs of findings kept in memory, for {@link scanStreaming} where time, not memory, is the target. */
export { memoryRunStore } from "../../core/scan/index.js";

export interface ScanRequest {
  sources: InventorySources;
  /** Exceptions file (scoped, reasoned, optionally expiring suppressions). */
  exceptionsFile?: string | undefined;
  /** Exceptions already parsed (granted through the server's API), applied with the file's. */
  exceptions?: readonly Exception[] | undefined;
  /** Filters, framework, RBAC defaults and the version written into the report. */
  options: Omit<ScanOptions, "exceptions" | "now" | "files" | "coverage" | "nodes">;
  /** Also analyse the nodes: components against the advisories `deps.nodeAdvisories` looks up. */
  nodes?: boolean | undefined;
  /**
   * A streamed scan holds equal parts of its objects once (core/inventory `shareValues`, the default): false when
   * its time matters more than its memory.
   */
  shareValues?: boolean | undefined;
}

export interface ScanDeps {
  readers: InventoryReaders;
  /** Reads the exceptions file; needed only when the request names one. */
  readConfig?: ConfigReader | undefined;
  /** Exception expiry is judged at this instant. */
  now: () => Date;
  /** Advisories for node components (`nodes` requests); absent: components are not matched (coverage). */
  nodeAdvisories?: AdvisoryLookup | undefined;
}

/**
 * Progress of a scan, for a caller that shows it. A hook may throw to stop the run: the CLI stops a table report
 * when nothing was evaluated, before the exceptions are read.
 */
export interface ScanHooks {
  /** The inventory is loaded; nothing else was done yet. */
  loaded?(loaded: LoadedInventory): void;
  /** The exceptions are loaded; the analyzers start over this many objects. */
  analysing?(objects: number): void;
}

export interface ScanResult {
  loaded: LoadedInventory;
  report: ScanReport;
}

/** Load, read exceptions, evaluate: the report, with the coverage of every step in it. */
export async function scan(req: ScanRequest, deps: ScanDeps, hooks: ScanHooks = {}): Promise<ScanResult> {
  const { loaded, inventory, options } = await prepare(req, deps, hooks);
  return { loaded, report: runScan(inventory, options) };
}

/**
 * {@link scan} for the largest inputs: findings are sorted in runs kept by `runs` (files, in the CLI) as they are
 * produced, and the report's findings are merged from them as they are read, once. The report is the one
 * {@link scan} gives, byte for byte once formatted. Nothing of the inventory is kept by the report, so it can be
 * collected while the report is written.
 */
export async function scanStreaming(
  req: ScanRequest,
  deps: ScanDeps & { runs: FindingRunStore; findingsPerRun?: number | undefined },
  hooks: ScanHooks = {},
): Promise<{ report: StreamedScanReport }> {
  // Node analysis reads every posture finding, and the PSS frameworks report none: no rule runs at load for them.
  const fw = req.options.framework;
  const early =
    req.nodes || fw === "pss-baseline" || fw === "pss-restricted"
      ? undefined
      : findingsAtLoad(deps.runs, deps.findingsPerRun);
  // Nothing of the inventory outlives the report here: members keep only what the analyzers read.
  const { inventory, options } = await prepare(req, deps, hooks, "scan", early?.onObject);
  if (early === undefined)
    return { report: runScanStreaming(inventory, options, deps.runs, deps.findingsPerRun) };
  const atLoad = early.finish();
  return {
    report: runScanStreaming(
      inventory,
      { ...options, atLoad: atLoad.options },
      atLoad.runs,
      deps.findingsPerRun,
    ),
  };
}

/** Findings of the rules run at load held before a run of them is written (each run is read back once, in order). */
const AT_LOAD_BUDGET_BYTES = 8 * 1024 * 1024;

/**
 * The posture rules that judge one object alone (a ConfigMap's values), run as each object is read: their findings
 * go to runs in `store` as they come (past {@link AT_LOAD_BUDGET_BYTES}, or `perRun` findings), and the fields only
 * they read are dropped from the inventory (issue: scale). `finish` gives them to the analysis, and the store the
 * analysis' own runs go to (after those: each store's runs are numbered from its first).
 */
function findingsAtLoad(
  store: FindingRunStore,
  perRun = Number.POSITIVE_INFINITY,
): {
  onObject: () => (obj: KObject) => void;
  finish(): { options: NonNullable<ScanOptions["atLoad"]>; runs: FindingRunStore };
} {
  let written = 0;
  let rules = postureRulesAtLoad();
  let runs: number[] = [];
  let held: Finding[] = [];
  let bytes = 0;
  const emit = (f: Finding): void => {
    held.push(f);
    bytes += findingBytes(f);
    if (held.length >= perRun || bytes >= AT_LOAD_BUDGET_BYTES) {
      store.write(held);
      runs.push(written++);
      held = [];
      bytes = 0;
    }
  };
  return {
    // A second read of the inputs starts over: the first one's runs stay unread.
    onObject: () => {
      rules = postureRulesAtLoad();
      runs = [];
      held = [];
      bytes = 0;
      return (obj) => rules.add(obj, emit);
    },
    finish() {
      const read = runs;
      const last = held;
      held = [];
      const findings: Iterable<Finding> = {
        *[Symbol.iterator]() {
          for (const i of read) yield* store.read(i);
          yield* last;
        },
      };
      const offset = written;
      return {
        options: { ruleIds: rules.ruleIds, findings, coverage: rules.coverage() },
        runs: { write: (run) => store.write(run), read: (i) => store.read(i + offset) },
      };
    },
  };
}

async function prepare(
  req: ScanRequest,
  deps: ScanDeps,
  hooks: ScanHooks,
  compact: true | "scan" = true,
  onObject?: () => (obj: KObject) => void,
): Promise<{ loaded: LoadedInventory; inventory: LoadedInventory["inventory"]; options: ScanOptions }> {
  // Node analysis reads the pods of workloads (nodes, images they run); the other analyzers read a member's
  // metadata and status only, so its copy of the pod template is dropped (most of a large snapshot's memory).
  const loaded = await loadInventory(req.sources, deps.readers, {
    compactMembers: req.nodes ? false : compact,
    ...(req.shareValues !== undefined ? { shareValues: req.shareValues } : {}),
    ...(onObject ? { onObject } : {}),
  });
  hooks.loaded?.(loaded);
  const coverage = [...loaded.coverage];
  const exceptions: Exception[] = [...(req.exceptions ?? [])];
  if (req.exceptionsFile !== undefined) {
    if (deps.readConfig === undefined)
      throw new PalisadeError(
        "INTERNAL",
        "scan: an exceptions file was named but no configuration reader was given",
      );
    const r = await loadExceptions(req.exceptionsFile, deps.readConfig);
    appendAll(exceptions, r.exceptions);
    appendAll(coverage, r.coverage);
  }
  let nodes: ScanOptions["nodes"];
  if (req.nodes) {
    // Loaded here, not imported: core/nodes brings core/vuln and the version schemes, which a scan without
    // --nodes never runs (core/scan NodeAnalyzer).
    const analyzer = await import("../../core/nodes/index.js");
    const { buildInfraInventory, infraQueryKeys } = analyzer;
    const looked = deps.nodeAdvisories
      ? await deps.nodeAdvisories(infraQueryKeys(buildInfraInventory(loaded.inventory).infra))
      : undefined;
    nodes = { advisories: looked?.byKey, analyzer };
    appendAll(coverage, looked?.coverage ?? []);
  }
  hooks.analysing?.(loaded.inventory.objects.length);
  const options: ScanOptions = {
    ...req.options,
    nodes,
    exceptions,
    now: deps.now(),
    files: loaded.files,
    coverage,
  };
  return { loaded, inventory: loaded.inventory, options };
}
