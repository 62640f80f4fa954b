import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isPalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { OSV_LIMITS, type OsvRecord, parseOsvText } from "../../core/vuln/index.js";
import type { VulnStore } from "./vuln-store.js";
import { isUnsafeEntryName, ZipReader } from "./zip.js";

export interface ImportOptions {
  /** Clock for the import time (injected). */
  now: () => Date;
  /** Records per transaction. */
  batchSize?: number;
  /** Most files visited in a directory tree. */
  maxFiles?: number;
}

export interface ImportResult {
  files: number;
  records: number;
  written: number;
  unchanged: number;
  coverage: CoverageEntry[];
}

/**
 * Import OSV advisories from paths: directory trees of `*.json`, osv.dev zip archives, or single JSON files.
 * Malformed records become coverage entries; everything else imports. Batches are written in transactions.
 */
export async function importOsvPaths(
  store: VulnStore,
  paths: readonly string[],
  opts: ImportOptions,
): Promise<ImportResult> {
  const batchSize = opts.batchSize ?? 2_000;
  const maxFiles = opts.maxFiles ?? 5_000_000;
  const result: ImportResult = { files: 0, records: 0, written: 0, unchanged: 0, coverage: [] };
  let batch: OsvRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    const r = await store.putRecords(full);
    result.written += r.written;
    result.unchanged += r.unchanged;
  };
  const accept = async (text: string, source: string): Promise<void> => {
    result.files++;
    const parsed = parseOsvText(text, source);
    result.coverage.push(...parsed.coverage);
    if (parsed.record) {
      result.records++;
      batch.push(parsed.record);
      if (batch.length >= batchSize) await flush();
    }
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
    const names = (await readdir(dir)).sort();
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
    await accept(await readFile(p, "utf8"), p);
  };
  const readZip = async (p: string): Promise<void> => {
    let zip: ZipReader;
    try {
      zip = await ZipReader.open(p);
    } catch (e) {
      result.coverage.push({ reason: coverageReason(e), subject: p, message: errorMessage(e) });
      return;
    }
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
    else if (p.endsWith(".json") || st.isFile()) await readJsonFile(p, st.size);
  }
  await flush();
  await store.markImported(opts.now().toISOString());
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
}

/** Data older than this many days triggers a warning (and a "stale" coverage entry). */
export const STALE_AFTER_DAYS = 7;

/** How old the database content is, from the newest `modified` and the injected clock. */
export function freshness(
  newestModified: string | undefined,
  now: Date,
  staleAfterDays = STALE_AFTER_DAYS,
): Freshness {
  if (!newestModified) {
    return {
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
