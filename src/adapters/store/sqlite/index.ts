/**
 * The embedded SQLite backend: every store of a bundle shares one connection to one file (better-sqlite3 is
 * synchronous: each store method runs its transaction whole, so the promise it returns is already settled).
 */

import type { OpenStoresOptions, Stores } from "../ports.js";
import { SqliteAlertStore } from "./alerts.js";
import { SqliteBaselineStore } from "./baselines.js";
import { prepared, readRevision, sqliteFailure } from "./connection.js";
import type { OffThreadDecisionWriter } from "./decision-writer.js";
import { SqliteAdmissionDecisionStore } from "./decisions.js";
import { SqliteKnownImageStore, SqliteRemediationStore } from "./lineage.js";
import { openSqliteConnection } from "./open.js";
import {
  SqliteAuditStore,
  SqliteExceptionStore,
  SqliteFindingStore,
  SqliteSnapshotStore,
  SqliteTokenStore,
} from "./platform.js";
import { SqliteVulnStore } from "./vulns.js";

export type { SqliteConnection, SqliteDatabase, SqliteOpenOptions, SqliteStatement } from "./connection.js";
export {
  DEFAULT_LOCK_TIMEOUT_MS,
  damaged,
  isSqliteBusy,
  openSqlite,
  rebuildAdvice,
  sqliteFailure,
} from "./connection.js";
export type { OffThreadDecisionWriter } from "./decision-writer.js";
export { migrateSqlite, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from "./migrations.js";
export { openSqliteConnection } from "./open.js";
export type { SqliteVulnStoreOptions } from "./vulns.js";
export {
  SqliteAuditStore,
  SqliteFindingStore,
  SqliteKnownImageStore,
  SqliteRemediationStore,
  SqliteSnapshotStore,
  SqliteVulnStore,
};

/** Every store on one SQLite file (created and migrated when needed; ":memory:" for a private database). */
export function openSqliteStores(file: string, opts: OpenStoresOptions = {}): Stores {
  const conn = openSqliteConnection(file, { lockTimeoutMs: opts.lockTimeoutMs, check: opts.check });
  let closed = false;
  const vulns = new SqliteVulnStore(conn);
  return {
    location: file,
    vulns,
    images: new SqliteKnownImageStore(conn),
    remediation: new SqliteRemediationStore(conn),
    snapshots: new SqliteSnapshotStore(conn),
    findings: new SqliteFindingStore(conn),
    audit: new SqliteAuditStore(conn),
    tokens: new SqliteTokenStore(conn),
    exceptions: new SqliteExceptionStore(conn),
    baselines: new SqliteBaselineStore(conn),
    alerts: new SqliteAlertStore(conn),
    admissionDecisions: new SqliteAdmissionDecisionStore(conn),
    // data_version moves when another connection (another bundle, the off-thread decision writer, another
    // process) commits, never for this connection's own commits; total_changes() counts the rows this
    // connection changed, so together they move on every commit that changed a row. Neither reads a table.
    changeMark() {
      const db = conn.db;
      try {
        return `${prepared(db, "PRAGMA data_version").pluck().get()}:${prepared(db, "SELECT total_changes()").pluck().get()}`;
      } catch (e) {
        throw sqliteFailure(e, file, "cannot read whether the database changed", conn.lockTimeoutMs);
      }
    },
    async revision() {
      try {
        return readRevision(conn.db);
      } catch (e) {
        throw sqliteFailure(e, file, "cannot read the store revision", conn.lockTimeoutMs);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await vulns.close();
      conn.db.close();
    },
  };
}

/**
 * A writer of the bundle's admission decisions on a worker thread with its own connection, when they live in a
 * SQLite file (undefined otherwise: PostgreSQL writes without holding this thread, and ":memory:" cannot be shared).
 * The caller closes it before the bundle.
 */
export function offThreadDecisionWriter(stores: Stores): OffThreadDecisionWriter | undefined {
  return stores.admissionDecisions instanceof SqliteAdmissionDecisionStore
    ? stores.admissionDecisions.offThreadWriter()
    : undefined;
}
