/**
 * Use case: scan. Load the inventory from the sources named, load the exceptions file, run every analyzer and
 * assemble the report (core/scan). Readers and the clock are the caller's; the report is a value the caller
 * formats.
 */
import { PalisadeError } from "../../core/errors/index.js";
import type { ScanReport } from "../../core/report/index.js";
import { runScan, type ScanOptions } from "../../core/scan/index.js";
import { appendAll } from "../../core/util/index.js";
import { type ConfigReader, loadExceptions } from "../exceptions/index.js";
import {
  type InventoryReaders,
  type InventorySources,
  type LoadedInventory,
  loadInventory,
} from "../inventory/index.js";

export interface ScanRequest {
  sources: InventorySources;
  /** Exceptions file (scoped, reasoned, optionally expiring suppressions). */
  exceptionsFile?: string | undefined;
  /** Filters, framework, RBAC defaults and the version written into the report. */
  options: Omit<ScanOptions, "exceptions" | "now" | "files" | "coverage">;
}

export interface ScanDeps {
  readers: InventoryReaders;
  /** Reads the exceptions file; needed only when the request names one. */
  readConfig?: ConfigReader | undefined;
  /** Exception expiry is judged at this instant. */
  now: () => Date;
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
  const loaded = await loadInventory(req.sources, deps.readers);
  hooks.loaded?.(loaded);
  const coverage = [...loaded.coverage];
  let exceptions: Awaited<ReturnType<typeof loadExceptions>>["exceptions"] = [];
  if (req.exceptionsFile !== undefined) {
    if (deps.readConfig === undefined)
      throw new PalisadeError(
        "INTERNAL",
        "scan: an exceptions file was named but no configuration reader was given",
      );
    const r = await loadExceptions(req.exceptionsFile, deps.readConfig);
    exceptions = r.exceptions;
    appendAll(coverage, r.coverage);
  }
  hooks.analysing?.(loaded.inventory.objects.length);
  const report = runScan(loaded.inventory, {
    ...req.options,
    exceptions,
    now: deps.now(),
    files: loaded.files,
    coverage,
  });
  return { loaded, report };
}
