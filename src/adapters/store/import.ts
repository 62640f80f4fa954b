/**
 * The file side of an advisory import: OSV directory trees, osv.dev zip archives and JSON files (OSV records or
 * the Kubernetes CVE feed) read one file at a time, as {@link AdvisoryInput}s. Parsing, batching and the store
 * transaction are the vulnerability service's `importAdvisories`; this reader only finds, bounds and reads.
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { isBudgetExceeded } from "../../core/budget/index.js";
import { isPalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import { OSV_LIMITS } from "../../core/vuln/index.js";
import { readRegularText } from "../fs/index.js";
import { isUnsafeEntryName, type ZipLimits, ZipReader } from "./zip.js";

/**
 * One thing read: the text of a file (or zip entry) with its name and UTF-8 size, a file that could not be read
 * (it counts as a file), or a problem that is not a file (a missing path, a limit, an unsafe entry name).
 */
export type AdvisoryInput =
  | { kind: "text"; source: string; text: string; bytes: number }
  | { kind: "unreadable"; entry: CoverageEntry }
  | { kind: "problem"; entry: CoverageEntry };

export interface ReadOsvOptions {
  /** Most files visited in a directory tree. */
  maxFiles?: number | undefined;
  /** Zip budgets (per archive and per entry); defaults in DEFAULT_ZIP_LIMITS. */
  zipLimits?: Partial<ZipLimits> | undefined;
}

/**
 * Read OSV advisories from paths: directory trees of `*.json` (symbolic links not followed, sorted names,
 * nesting and file count bounded), osv.dev zip archives, or single JSON files. An archive that cannot be read as
 * a whole (not a zip, truncated, overlapping entries, over its budget) throws: skipping it with a warning made
 * later scans report no vulnerabilities for a whole ecosystem, so the import fails and the store keeps its state.
 */
export async function* readOsvPaths(
  paths: readonly string[],
  opts: ReadOsvOptions = {},
): AsyncGenerator<AdvisoryInput> {
  const maxFiles = opts.maxFiles ?? 5_000_000;
  let files = 0;
  const unreadable = (subject: string, e: unknown): AdvisoryInput => {
    files++;
    return { kind: "unreadable", entry: { reason: coverageReason(e), subject, message: errorMessage(e) } };
  };
  const text = (source: string, t: string): AdvisoryInput => {
    files++;
    return { kind: "text", source, text: t, bytes: Buffer.byteLength(t) };
  };
  async function* readJsonFile(p: string, size: number): AsyncGenerator<AdvisoryInput> {
    if (size > OSV_LIMITS.maxTextBytes) {
      files++;
      yield {
        kind: "unreadable",
        entry: {
          reason: "limit",
          subject: p,
          message: `file is ${size} bytes, over the ${OSV_LIMITS.maxTextBytes} byte budget`,
        },
      };
      return;
    }
    let t: string;
    try {
      t = await readRegularText(p, { maxBytes: OSV_LIMITS.maxTextBytes, what: "OSV file" });
    } catch (e) {
      yield unreadable(p, e);
      return;
    }
    yield text(p, t);
  }
  async function* readZip(p: string): AsyncGenerator<AdvisoryInput> {
    const zip = await ZipReader.open(p, opts.zipLimits);
    try {
      for (const entry of zip.entries) {
        if (entry.name.endsWith("/")) continue;
        const subject = `${p}!${entry.name}`;
        if (isUnsafeEntryName(entry.name)) {
          yield {
            kind: "problem",
            entry: { reason: "unsafe", subject, message: "zip entry name escapes the archive root; skipped" },
          };
          continue;
        }
        if (!entry.name.endsWith(".json")) continue;
        let t: string;
        try {
          t = (await zip.read(entry)).toString("utf8");
        } catch (e) {
          // Over the archive's own budget, or overlapping data: the archive is hostile as a whole.
          if (isBudgetExceeded(e) && e.scope !== "zip entry") throw e;
          if (isPalisadeError(e) && e.code === "UNSAFE") throw e;
          yield unreadable(subject, e);
          continue;
        }
        yield text(subject, t);
      }
    } finally {
      await zip.close();
    }
  }
  async function* walk(dir: string, depth: number): AsyncGenerator<AdvisoryInput> {
    if (depth > 32) {
      yield {
        kind: "problem",
        entry: { reason: "limit", subject: dir, message: "directory nesting deeper than 32; not read" },
      };
      return;
    }
    const names = (await readdir(dir)).sort(cmp);
    for (const name of names) {
      if (files >= maxFiles) {
        yield {
          kind: "problem",
          entry: { reason: "limit", subject: dir, message: `stopped after ${maxFiles} files` },
        };
        return;
      }
      const p = join(dir, name);
      const st = await lstat(p);
      // Symbolic links are not followed: an advisory tree never needs them and they can loop or escape.
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) yield* walk(p, depth + 1);
      else if (st.isFile() && name.endsWith(".json")) yield* readJsonFile(p, st.size);
      else if (st.isFile() && name.endsWith(".zip")) yield* readZip(p);
    }
  }
  for (const p of paths) {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(p);
    } catch (e) {
      yield { kind: "problem", entry: { reason: "missing", subject: p, message: errorMessage(e) } };
      continue;
    }
    if (st.isDirectory()) yield* walk(p, 0);
    else if (p.endsWith(".zip")) yield* readZip(p);
    else yield* readJsonFile(p, st.size);
  }
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
