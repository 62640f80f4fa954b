/**
 * Stores: the vulnerability database behind the VulnStore interface (embedded SQLite, in-memory, PostgreSQL for a
 * shared fleet database), and OSV import.
 */
export type { Freshness, ImportOptions, ImportResult } from "./import.js";
export { freshness, importOsvPaths, STALE_AFTER_DAYS } from "./import.js";
export { MemoryVulnStore } from "./memory.js";
export { openVulnStore } from "./open.js";
export type {
  AuditEntry,
  AuditInput,
  AuditQuery,
  AuditStore,
  FindingQuery,
  FindingStore,
  FindingUpsertResult,
  ImportBatchResult,
  ImportState,
  InventorySnapshotStore,
  JsonValue,
  KnownImageStore,
  ObjectVersion,
  OpenStoresOptions,
  Page,
  RemediationStore,
  RemediationUpdate,
  SnapshotObject,
  SnapshotResult,
  SnapshotScope,
  StoredFinding,
  StoredImage,
  Stores,
  VulnDbStatus,
  VulnStore,
} from "./ports.js";
export type { PgVulnStoreOptions } from "./postgres.js";
export { DEFAULT_PG_SCHEMA, isPostgresUrl, PG_SCHEMA_VERSION, PgVulnStore, redactDbUrl } from "./postgres.js";
export type { SqliteVulnStoreOptions } from "./sqlite.js";
export { SqliteVulnStore } from "./sqlite.js";
export type { SqliteDatabase, SqliteOpenOptions, SqliteStatement } from "./sqlite-open.js";
export {
  DEFAULT_LOCK_TIMEOUT_MS,
  damaged,
  isSqliteBusy,
  openSqlite,
  rebuildAdvice,
  sqliteFailure,
} from "./sqlite-open.js";
export type { MaybePromise, SyncOrAsyncVulnStore } from "./vuln-store.js";
export { recordKeys } from "./vuln-store.js";
export type { ZipEntry, ZipLimits } from "./zip.js";
export { DEFAULT_ZIP_LIMITS, isUnsafeEntryName, ZipReader } from "./zip.js";
