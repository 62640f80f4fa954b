/** Stores: the embedded vulnerability database (SQLite) behind the VulnStore interface, and OSV import. */
export type { Freshness, ImportOptions, ImportResult } from "./import.js";
export { freshness, importOsvPaths, STALE_AFTER_DAYS } from "./import.js";
export { MemoryVulnStore } from "./memory.js";
export { SqliteVulnStore } from "./sqlite.js";
export type { ImportBatchResult, VulnDbStatus, VulnStore } from "./vuln-store.js";
export { recordKeys } from "./vuln-store.js";
export type { ZipEntry, ZipLimits } from "./zip.js";
export { DEFAULT_ZIP_LIMITS, isUnsafeEntryName, ZipReader } from "./zip.js";

/** Default database file, relative to the working directory (overridden by --db or PALISADE_DB). */
export const DEFAULT_DB_PATH = ".palisade/palisade.db";
