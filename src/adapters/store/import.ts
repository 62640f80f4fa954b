import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Budget, isBudgetExceeded } from "../../core/budget/index.js";
import { isPalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import { appendAll, jsonErrorReason } from "../../core/util/index.js";
import {
  looksLikeJsonFeed,
  OSV_LIMITS,
  type OsvRecord,
  parseKubernetesCveFeed,
  parseOsvText,
} from "../../core/vuln/index.js";
import { readRegularText } from "../fs/index.js";
import type { VulnStore } from "./ports.js";
import { isUnsafeEntryName, type ZipLimits, ZipReader } from "./zip.js";

export interface ImportOptions {
  /** Clock for the import time (injected). */
  now: () => Date;
  /** Most records per batch written at once. */
  batchSize?: number;
  /** Most bytes of record text per batch (a batch of 2,000 records of 8 MiB each must not be held at once). */
  maxBatchBytes?: number;
  /** Most files visited in a directory tree. */
  maxFiles?: number;
  /** Zip budgets (per archive and per entry); defaults in DEFAULT_ZIP_LIMITS. */
  zipLimits?: Partial<ZipLimits>;
  /**
   * Called after each batch is written, with the records imported so far. Tests use it to stop an import at a
   * known point (to kill it there); it may also report progress.
   */
  afterBatch?: ((records: number) => Promise<void> | void) | undefined;
}

export interface ImportResult {
  files: number;
  records: number;
  written: number;
  unchanged: number;
  coverage: CoverageEntry[];
  /** Things the user should know that are not problems (future `modified` dates). */
  notes: string[];
}

/** Default batch byte budget. */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Import OSV advisories from paths: directory trees of `*.json`, osv.dev zip archives, or single JSON files.
 * Malformed records and unreadable zip entries become coverage entries; everything else imports.
 *
 * The import is one store transaction (VulnStore.beginImport/finishImport): an archive that cannot be read as a
 * whole (not a zip, truncated, overlapping entries, over its budget) fails the import with its error and the
 * store keeps its previous state; a process killed mid-import leaves the previous data and an "interrupted"
 * mark that scans report.
 */
export async function importOsvPaths(
  store: VulnStore,
  paths: readonly string[],
  opts: ImportOptions,
): Promise<ImportResult> {
  const batchSize = opts.batchSize ?? 2_000;
  const maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const maxFiles = opts.maxFiles ?? 5_000_000;
  const startedAt = opts.now();
  const result: ImportResult = { files: 0, records: 0, written: 0, unchanged: 0, coverage: [], notes: [] };
  // One budget mechanism: a batch is flushed before it would pass its record or byte budget.
  const batchLimits = { records: batchSize, bytes: maxBatchBytes };
  let batchBudget = new Budget("import batch", batchLimits);
  let batch: OsvRecord[] = [];
  const future: OsvRecord[] = [];
  const flush = async (): Promise<void> => {
    batchBudget = new Budget("import batch", batchLimits);
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    const r = await store.putRecords(full);
    result.written += r.written;
    result.unchanged += r.unchanged;
    await opts.afterBatch?.(result.records);
  };
  const add = async (record: OsvRecord, bytes: number): Promise<void> => {
    if (!batchBudget.fits("records") || !batchBudget.fits("bytes", bytes)) await flush();
    batchBudget.charge("records");
    // A record alone may exceed the batch byte budget only if the record cap is larger: it goes alone.
    if (batchBudget.fits("bytes", bytes)) batchBudget.charge("bytes", bytes);
    result.records++;
    if (Date.parse(record.modified) > startedAt.getTime()) future.push(record);
    batch.push(record);
  };
  const accept = async (text: string, source: string): Promise<void> => {
    result.files++;
    // The Kubernetes project's official CVE feed (a JSON Feed) holds many advisories in one file.
    if (looksLikeJsonFeed(text)) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        result.coverage.push({
          reason: "parse-error",
          subject: source,
          message: `invalid JSON: ${jsonErrorReason(e)}`,
        });
        return;
      }
      const feed = parseKubernetesCveFeed(json, source);
      appendAll(result.coverage, feed.coverage);
      for (const r of feed.records) await add(r, Math.ceil(Buffer.byteLength(text) / feed.records.length));
      return;
    }
    const parsed = parseOsvText(text, source);
    appendAll(result.coverage, parsed.coverage);
    if (parsed.record) await add(parsed.record, Buffer.byteLength(text));
  };
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 32) {
      result.coverage.push({
        reason: "limit",
        subject: dir,
        message: "directory nesting deeper than 32; not read",
      });
      return;
    }
    const names = (await readdir(dir)).sort(cmp);
    for (const name of names) {
      if (result.files >= maxFiles) {
        result.coverage.push({ reason: "limit", subject: dir, message: `stopped after ${maxFiles} files` });
        return;
      }
      const p = join(dir, name);
      const st = await lstat(p);
      // Symbolic links are not followed: an advisory tree never needs them and they can loop or escape.
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) await walk(p, depth + 1);
      else if (st.isFile() && name.endsWith(".json")) await readJsonFile(p, st.size);
      else if (st.isFile() && name.endsWith(".zip")) await readZip(p);
    }
  };
  const readJsonFile = async (p: string, size: number): Promise<void> => {
    if (size > OSV_LIMITS.maxTextBytes) {
      result.files++;
      result.coverage.push({
        reason: "limit",
        subject: p,
        message: `file is ${size} bytes, over the ${OSV_LIMITS.maxTextBytes} byte budget`,
      });
      return;
    }
    let text: string;
    try {
      text = await readRegularText(p, { maxBytes: OSV_LIMITS.maxTextBytes, what: "OSV file" });
    } catch (e) {
      result.files++;
      result.coverage.push({ reason: coverageReason(e), subject: p, message: errorMessage(e) });
      return;
    }
    await accept(text, p);
  };
  const readZip = async (p: string): Promise<void> => {
    // An archive that cannot be read as a whole fails the import (the caller rolls back): skipping it with a
    // warning made later scans report no vulnerabilities for a whole ecosystem.
    const zip = await ZipReader.open(p, opts.zipLimits);
    try {
      for (const entry of zip.entries) {
        if (entry.name.endsWith("/")) continue;
        const subject = `${p}!${entry.name}`;
        if (isUnsafeEntryName(entry.name)) {
          result.coverage.push({
            reason: "unsafe",
            subject,
            message: "zip entry name escapes the archive root; skipped",
          });
          continue;
        }
        if (!entry.name.endsWith(".json")) continue;
        let text: string;
        try {
          text = (await zip.read(entry)).toString("utf8");
        } catch (e) {
          // Over the archive's own budget, or overlapping data: the archive is hostile as a whole.
          if (isBudgetExceeded(e) && e.scope !== "zip entry") throw e;
          if (isPalisadeError(e) && e.code === "UNSAFE") throw e;
          result.files++;
          result.coverage.push({ reason: coverageReason(e), subject, message: errorMessage(e) });
          continue;
        }
        // Outside the try: a store failure (a lost database connection) aborts the import, it is not a
        // problem with this entry.
        await accept(text, subject);
      }
    } finally {
      await zip.close();
    }
  };
  await store.beginImport(startedAt.toISOString());
  try {
    for (const p of paths) {
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(p);
      } catch (e) {
        result.coverage.push({ reason: "missing", subject: p, message: errorMessage(e) });
        continue;
      }
      if (st.isDirectory()) await walk(p, 0);
      else if (p.endsWith(".zip")) await readZip(p);
      else await readJsonFile(p, st.size);
    }
    await flush();
    await store.finishImport(opts.now().toISOString());
  } catch (e) {
    await store.abortImport();
    throw e;
  }
  if (future.length > 0) {
    const first = future.sort((a, b) => cmp(a.id, b.id))[0] as OsvRecord;
    result.notes.push(
      `${future.length} record(s) have a modified time after the import time (e.g. ${first.id}: ${first.modified}): imported, but not counted for the database's freshness`,
    );
  }
  return result;
}

function coverageReason(e: unknown): CoverageEntry["reason"] {
  if (!isPalisadeError(e)) return "parse-error";
  switch (e.code) {
    case "LIMIT":
      return "limit";
    case "UNSUPPORTED":
      return "unsupported";
    case "UNSAFE":
      return "unsafe";
    default:
      return "parse-error";
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface Freshness {
  /** Whole days since the newest record's `modified` (undefined for an empty database). */
  ageDays?: number | undefined;
  stale: boolean;
  coverage: CoverageEntry[];
  /** What the user should know that is not a problem (records dated in the future, left out). */
  notes: string[];
}

/** Data older than this many days triggers a warning (and a "stale" coverage entry). */
export const STALE_AFTER_DAYS = 7;

/** How old the database content is, from the newest `modified` and the injected clock. */
export function freshness(
  newestModified: string | undefined,
  now: Date,
  staleAfterDays = STALE_AFTER_DAYS,
  futureModified = 0,
): Freshness {
  // Stores leave records modified after `now` out of newestModified (status(now)): one record dated 9999 must not
  // make the database look fresh forever.
  const notes =
    futureModified > 0
      ? [
          `${futureModified} advisory record(s) have a modified time after now; they are not counted for the database's freshness`,
        ]
      : [];
  if (!newestModified) {
    return {
      notes,
      stale: true,
      coverage: [
        {
          reason: "missing",
          subject: "vulnerability database",
          message:
            "the vulnerability database is empty: import OSV advisories with `palisade vuln db import`",
        },
      ],
    };
  }
  const t = Date.parse(newestModified);
  if (Number.isNaN(t))
    return {
      stale: true,
      notes,
      coverage: [
        {
          reason: "stale",
          subject: "vulnerability database",
          message: `newest record time ${newestModified} is not a date`,
        },
      ],
    };
  const ageDays = Math.floor((now.getTime() - t) / 86_400_000);
  const stale = ageDays > staleAfterDays;
  return {
    ageDays,
    stale,
    notes,
    coverage: stale
      ? [
          {
            reason: "stale",
            subject: "vulnerability database",
            message: `the newest advisory is ${ageDays} days old (newest modified ${newestModified}); re-import to see recent vulnerabilities`,
          },
        ]
      : [],
  };
}
