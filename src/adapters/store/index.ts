/**
 * Stores: the persistence ports (ports.ts: advisories, known images, remediation records, inventory history,
 * findings, audit) and their backends, one folder each (sqlite/, postgres/, memory/), opened together by
 * `openStores(location)`; OSV import.
 */
export type { AdvisoryInput, ReadOsvOptions } from "./import.js";
export { readOsvPaths } from "./import.js";
export { recordKeys } from "./marks.js";
export {
  MemoryAdmissionDecisionStore,
  MemoryAuditStore,
  MemoryExceptionStore,
  MemoryFindingStore,
  MemoryKnownImageStore,
  MemoryRemediationStore,
  MemorySnapshotStore,
  MemoryTokenStore,
  MemoryVulnStore,
  openMemoryStores,
} from "./memory/index.js";
export { type OpenStoresAtOptions, openStores, openVulnStore } from "./open.js";
export type {
  AdmissionDecisionInput,
  AdmissionDecisionQuery,
  AdmissionDecisionStore,
  AlertQuery,
  AlertStore,
  AuditEntry,
  AuditInput,
  AuditQuery,
  AuditStore,
  DecisionPruneOptions,
  ExceptionRevocation,
  ExceptionStore,
  FindingQuery,
  FindingStatsQuery,
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
  StoredAdmissionDecision,
  StoredAlert,
  StoredException,
  StoredFinding,
  StoredImage,
  StoredToken,
  Stores,
  TokenStore,
  VulnDbStatus,
  VulnStore,
} from "./ports.js";
export type { PgConnectionOptions, PgVulnStoreOptions } from "./postgres/index.js";
export {
  DEFAULT_PG_SCHEMA,
  isPostgresUrl,
  openPgStores,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
  PgAuditStore,
  PgFindingStore,
  PgKnownImageStore,
  PgRemediationStore,
  PgSnapshotStore,
  PgVulnStore,
  redactDbUrl,
} from "./postgres/index.js";
export { type Migration, SchemaTooNewError } from "./schema.js";
export type {
  OffThreadDecisionWriter,
  SqliteConnection,
  SqliteDatabase,
  SqliteOpenOptions,
  SqliteStatement,
  SqliteVulnStoreOptions,
} from "./sqlite/index.js";
export {
  DEFAULT_LOCK_TIMEOUT_MS,
  damaged,
  isSqliteBusy,
  migrateSqlite,
  offThreadDecisionWriter,
  openSqlite,
  openSqliteConnection,
  openSqliteStores,
  rebuildAdvice,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
  SqliteAuditStore,
  SqliteFindingStore,
  SqliteKnownImageStore,
  SqliteRemediationStore,
  SqliteSnapshotStore,
  SqliteVulnStore,
  sqliteFailure,
} from "./sqlite/index.js";
export type { ZipEntry, ZipLimits } from "./zip.js";
export { DEFAULT_ZIP_LIMITS, isUnsafeEntryName, ZipReader } from "./zip.js";
