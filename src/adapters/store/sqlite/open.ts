import { DEFAULT_LOCK_TIMEOUT_MS, openSqlite, type SqliteConnection, sqliteFailure } from "./connection.js";
import { migrateSqlite } from "./migrations.js";

/**
 * Open `file` (creating it when needed; ":memory:" for a private database) through the one open path (lock wait,
 * integrity check, typed errors) and bring its schema to this version's.
 */
export function openSqliteConnection(
  file: string,
  opts: { lockTimeoutMs?: number | undefined; check?: boolean | undefined } = {},
): SqliteConnection {
  const lockTimeoutMs = opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const db = openSqlite(file, { lockTimeoutMs, check: opts.check !== false });
  try {
    // A larger page cache keeps the advisory key index resident: matching is thousands of small range scans.
    db.pragma("cache_size = -65536");
    migrateSqlite(db, file);
  } catch (e) {
    db.close();
    throw sqliteFailure(e, file, "cannot open database", lockTimeoutMs);
  }
  return { db, file, lockTimeoutMs };
}
