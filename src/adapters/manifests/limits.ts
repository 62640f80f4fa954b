import type { CoverageEntry } from "../../core/findings/index.js";
import type { RawObject } from "../../core/inventory/index.js";

/** What a loader returns: objects as loaded, coverage for what could not be loaded, and the number of files read. */
export interface LoadResult {
  objects: RawObject[];
  coverage: CoverageEntry[];
  files: number;
}

/** Budgets applied to every input. Hitting one yields a coverage entry with reason "limit", never a crash. */
export interface LoadLimits {
  /** Largest file (or stdin) read, in bytes. Larger files are skipped. */
  maxFileBytes: number;
  /** Documents read per file; the rest of the file is skipped. */
  maxDocuments: number;
  /** YAML alias expansion budget per document (the `yaml` package's maxAliasCount): stops "billion laughs". */
  maxAliasCount: number;
  /** Nesting depth of maps and sequences in one document. */
  maxDepth: number;
  /** Files read in one call (directory walks included). */
  maxFiles: number;
}

/** Defaults sized for real clusters: a 100k-object snapshot is ~500 MB of JSON at most in practice. */
export const DEFAULT_LIMITS: LoadLimits = Object.freeze({
  maxFileBytes: 64 * 1024 * 1024,
  maxDocuments: 100_000,
  maxAliasCount: 1000,
  maxDepth: 200,
  maxFiles: 200_000,
});

/**
 * Snapshots are single JSON documents from `kubectl get -o json`, routinely 100 MB or more; they are parsed with
 * JSON.parse, so the cap is V8's maximum string length (2^29 - 24 UTF-16 units) rather than a YAML budget.
 */
export const DEFAULT_SNAPSHOT_LIMITS: LoadLimits = Object.freeze({
  ...DEFAULT_LIMITS,
  maxFileBytes: 512 * 1024 * 1024 - 64,
});

export function resolveLimits(
  l: Partial<LoadLimits> | undefined,
  base: LoadLimits = DEFAULT_LIMITS,
): LoadLimits {
  return { ...base, ...(l ?? {}) };
}
