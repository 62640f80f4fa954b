/**
 * Filesystem side of secret detection: walk paths, read text files within byte and count budgets, and run the
 * pure detectors of core/secrets. Files that cannot be scanned (binary, symlink, over budget) are coverage
 * entries, never silent passes.
 */
import { lstat, open, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { type SecretKind, scanTextForSecretsDetailed } from "../../core/secrets/index.js";

export interface FileSecretMatch {
  /** The path as given on the command line, joined with the relative path inside a directory. */
  file: string;
  line: number;
  kind: SecretKind;
  redacted: string;
}

export interface ScanPathsOptions {
  cwd: string;
  /** Bytes read per file. */
  maxBytes: number;
  /** Files scanned in total. */
  maxFiles: number;
}

export interface ScanPathsResult {
  matches: FileSecretMatch[];
  coverage: CoverageEntry[];
  filesScanned: number;
}

/** Directories that hold tooling state, never configuration to scan. */
const SKIP_DIRS = new Set([".git", "node_modules", ".hg", ".svn"]);
const MAX_DEPTH = 32;
/** Git's heuristic: a NUL byte in the first 8000 bytes marks a binary file. */
const BINARY_SNIFF = 8000;

export async function scanPathsForSecrets(paths: string[], opts: ScanPathsOptions): Promise<ScanPathsResult> {
  const result: ScanPathsResult = { matches: [], coverage: [], filesScanned: 0 };
  let limitReported = false;
  const decoder = new TextDecoder("utf-8", { fatal: false });

  const scanFile = async (abs: string, shown: string, size: number): Promise<void> => {
    if (result.filesScanned >= opts.maxFiles) {
      if (!limitReported) {
        result.coverage.push({
          reason: "limit",
          message: `more than ${opts.maxFiles} files; the rest were not scanned`,
          subject: shown,
        });
        limitReported = true;
      }
      return;
    }
    result.filesScanned++;
    const n = Math.min(size, opts.maxBytes);
    const buf = Buffer.alloc(n);
    const fh = await open(abs, "r");
    try {
      let off = 0;
      while (off < n) {
        const { bytesRead } = await fh.read(buf, off, n - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
    } finally {
      await fh.close();
    }
    if (buf.subarray(0, BINARY_SNIFF).includes(0)) {
      result.coverage.push({ reason: "binary", message: "binary file not scanned", subject: shown });
      return;
    }
    if (size > opts.maxBytes)
      result.coverage.push({
        reason: "limit",
        message: `only the first ${opts.maxBytes} of ${size} bytes scanned`,
        subject: shown,
      });
    const { matches } = scanTextForSecretsDetailed(decoder.decode(buf), {
      maxBytes: Number.MAX_SAFE_INTEGER,
    });
    for (const m of matches) result.matches.push({ file: shown, ...m });
  };

  const visit = async (abs: string, shown: string, depth: number, explicit: boolean): Promise<void> => {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(abs);
    } catch (e) {
      if (explicit)
        throw new PalisadeError("INPUT", `cannot read ${shown}`, { cause: e, context: { file: shown } });
      result.coverage.push({ reason: "unreachable", message: "cannot be read", subject: shown });
      return;
    }
    if (st.isSymbolicLink()) {
      result.coverage.push({ reason: "unsafe", message: "symbolic link not followed", subject: shown });
      return;
    }
    if (st.isDirectory()) {
      if (depth >= MAX_DEPTH) {
        result.coverage.push({
          reason: "limit",
          message: `directory deeper than ${MAX_DEPTH} levels not scanned`,
          subject: shown,
        });
        return;
      }
      const entries = (await readdir(abs)).sort();
      for (const name of entries) {
        if (SKIP_DIRS.has(name)) continue;
        await visit(join(abs, name), join(shown, name), depth + 1, false);
      }
      return;
    }
    if (!st.isFile()) {
      result.coverage.push({ reason: "unsupported", message: "not a regular file", subject: shown });
      return;
    }
    await scanFile(abs, shown, st.size);
  };

  for (const p of paths) await visit(resolve(opts.cwd, p), p, 0, true);
  return result;
}
