import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import type { RawObject } from "../../core/inventory/index.js";

/** What a loader returns: objects as loaded, coverage for what could not be loaded, and the number of files read. */
export interface LoadResult {
  objects: RawObject[];
  coverage: CoverageEntry[];
  files: number;
}

/**
 * Budgets applied to every input. Hitting one yields a coverage entry with reason "limit" (the run is then
 * incomplete), never a crash and never a silent cut. Each is configurable (flags, `PALISADE_*` variables: see
 * {@link LIMIT_ENV}); the defaults are sized for real clusters (a 1M-object snapshot is a real input).
 */
export interface LoadLimits {
  /** Largest input read whole (YAML, and JSON that is not streamed), in bytes. Larger YAML is skipped. */
  maxFileBytes: number;
  /** Largest input streamed (JSON snapshots, Lists, arrays), in bytes. */
  maxInputBytes: number;
  /** Documents (or List items) read per file; the rest of the file is skipped. */
  maxDocuments: number;
  /** Objects read from all inputs of one run. */
  maxObjects: number;
  /** Largest single object of a streamed List, in bytes of its text. */
  maxObjectBytes: number;
  /** YAML alias expansion budget per document (the `yaml` package's maxAliasCount): stops "billion laughs". */
  maxAliasCount: number;
  /** Nesting depth of maps and sequences in one document. */
  maxDepth: number;
  /** Files read in one call (directory walks included). */
  maxFiles: number;
}

const MiB = 1024 * 1024;

/**
 * Defaults sized for real clusters. A 1M-object `kubectl get -A -o json` is 4-8 GiB of JSON; it is streamed,
 * so only `maxInputBytes` bounds it. YAML is parsed whole with positions (about 20x its size in memory), hence
 * the smaller whole-file cap. The API server refuses objects over 1.5 MiB (etcd's request limit), so 16 MiB for
 * one object leaves room for hand-made Lists without letting one string take the heap.
 */
export const DEFAULT_LIMITS: LoadLimits = Object.freeze({
  maxFileBytes: 64 * MiB,
  maxInputBytes: 64 * 1024 * MiB,
  maxDocuments: 5_000_000,
  maxObjects: 5_000_000,
  maxObjectBytes: 16 * MiB,
  maxAliasCount: 1000,
  maxDepth: 200,
  maxFiles: 200_000,
});

/** Snapshots are streamed like any JSON input now: the same limits. */
export const DEFAULT_SNAPSHOT_LIMITS: LoadLimits = DEFAULT_LIMITS;

/** The environment variable of each configurable limit. */
export const LIMIT_ENV: Readonly<Record<keyof LoadLimits, string>> = Object.freeze({
  maxFileBytes: "PALISADE_MAX_FILE_BYTES",
  maxInputBytes: "PALISADE_MAX_INPUT_BYTES",
  maxDocuments: "PALISADE_MAX_DOCUMENTS",
  maxObjects: "PALISADE_MAX_OBJECTS",
  maxObjectBytes: "PALISADE_MAX_OBJECT_BYTES",
  maxAliasCount: "PALISADE_MAX_YAML_ALIASES",
  maxDepth: "PALISADE_MAX_DEPTH",
  maxFiles: "PALISADE_MAX_FILES",
});

/** Parse a count or a size: `5000000`, `1e6`, `512MiB`, `4GiB`, `64k`. */
export function parseLimit(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]i?b?|b)?\s*$/i.exec(text);
  const unit = m?.[2]?.toLowerCase().charAt(0);
  const mult =
    unit === "k" ? 1024 : unit === "m" ? MiB : unit === "g" ? 1024 * MiB : unit === "t" ? 1024 ** 4 : 1;
  const v = m ? Math.floor(Number(m[1]) * mult) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < 1)
    throw new PalisadeError(
      "USAGE",
      `${what}: "${text}" is not a positive number (e.g. 1000000, 512MiB, 8GiB)`,
    );
  return v;
}

/** Limits set in the environment (`PALISADE_MAX_OBJECTS=2000000`...). */
export function limitsFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<LoadLimits> {
  const out: Partial<LoadLimits> = {};
  for (const [k, name] of Object.entries(LIMIT_ENV) as [keyof LoadLimits, string][]) {
    const v = env[name];
    if (v !== undefined && v !== "") out[k] = parseLimit(v, name);
  }
  return out;
}

export function resolveLimits(
  l: Partial<LoadLimits> | undefined,
  base: LoadLimits = DEFAULT_LIMITS,
): LoadLimits {
  return { ...base, ...(l ?? {}) };
}
