/**
 * One open path for Palisade's own SQLite files (the vulnerability store and the known-images store share one
 * file): load better-sqlite3, create the directory, wait for other writers up to a timeout instead of failing
 * with "database is locked", check integrity before anything reads or writes, and turn SQLite's errors into
 * typed errors that say which file is damaged and how to rebuild it.
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { PalisadeError } from "../../../core/errors/index.js";

// better-sqlite3 ships no type declarations and @types/better-sqlite3 is not a dependency: the few calls used
// are typed locally.
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(on?: boolean): SqliteStatement;
}
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(sql: string, opts?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
  readonly inTransaction: boolean;
  close(): void;
}
/** A transaction function: plain call is BEGIN (DEFERRED); `immediate` takes the write lock first. Nested: savepoint. */
export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R;
  immediate(...args: A): R;
}
type DatabaseCtor = new (file: string, opts?: { timeout?: number }) => SqliteDatabase;

const require = createRequire(import.meta.url);

/** How long a writer waits for another writer (another import) before giving up, by default. */
export const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

export interface SqliteOpenOptions {
  /** Wait this long for another writer's lock (SQLite busy_timeout). */
  lockTimeoutMs?: number;
  /** Run PRAGMA quick_check before use (default true; ":memory:" is never checked). */
  check?: boolean;
}

/** The command that rebuilds the vulnerability data, for messages. */
export function rebuildAdvice(file: string): string {
  return (
    `move ${file} aside and rebuild it: \`palisade vuln db import PATH... --db ${file}\` for advisories, ` +
    `\`palisade images add|discover --db ${file}\` for known images`
  );
}

/** A damaged database: code INTEGRITY (exit 2), naming the file and how to rebuild it. */
export function damaged(file: string, detail: string, cause?: unknown): PalisadeError {
  return new PalisadeError("INTEGRITY", `database is damaged (${detail}): ${rebuildAdvice(file)}`, {
    cause,
    context: { file },
  });
}

const sqliteCode = (e: unknown): string =>
  typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "";

/** Whether `e` is SQLite's "another connection holds the lock" (SQLITE_BUSY, SQLITE_LOCKED and variants). */
export function isSqliteBusy(e: unknown): boolean {
  const c = sqliteCode(e);
  return c.startsWith("SQLITE_BUSY") || c.startsWith("SQLITE_LOCKED");
}

/**
 * A typed error for anything SQLite threw while `what` ran on `file`: busy -> IO naming the lock wait; corrupt
 * or not a database -> INTEGRITY with rebuild advice; PalisadeErrors pass through; the rest -> IO.
 */
export function sqliteFailure(e: unknown, file: string, what: string, lockTimeoutMs?: number): PalisadeError {
  if (e instanceof PalisadeError) return e;
  const c = sqliteCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  if (isSqliteBusy(e))
    return new PalisadeError(
      "IO",
      `${what}: the database is locked by another writer (another \`palisade vuln db import\`?)` +
        (lockTimeoutMs !== undefined
          ? `; gave up after waiting ${Number((lockTimeoutMs / 1000).toFixed(1))} s`
          : "") +
        ": retry when it has finished, or wait longer with --lock-timeout SECONDS",
      { cause: e, context: { file } },
    );
  if (c.startsWith("SQLITE_CORRUPT") || c === "SQLITE_NOTADB" || c.startsWith("SQLITE_IOERR_SHORT_READ"))
    return damaged(file, msg, e);
  return new PalisadeError("IO", `${what}: ${msg}`, { cause: e, context: { file } });
}

/**
 * `PRAGMA journal_mode = WAL`, waiting up to `timeoutMs` for other connections. Switching the journal mode takes
 * the file's exclusive lock, and when another connection holds or wants a write lock at that moment SQLite answers
 * SQLITE_BUSY at once, without its busy handler (waiting could deadlock): two processes opening a new file together
 * failed that way ("database is locked", 8-12 of 40 pairs started together). So the switch is tried again, after
 * 1, 2, 4 ... 100 ms, until the timeout; the other connection's transaction ends, or it has switched the file itself.
 */
export function useWal(
  db: Pick<SqliteDatabase, "pragma">,
  timeoutMs: number,
  sleep: (ms: number) => void = sleepSync,
): void {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 100)) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (e) {
      if (!isSqliteBusy(e) || Date.now() >= deadline) throw e;
      sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    }
  }
}

/** Block this thread for `ms` milliseconds (as SQLite's own busy handler does while it waits). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Open (creating when needed) `file` with WAL journaling, a lock wait of `lockTimeoutMs`, and an integrity
 * check. Throws INTEGRITY for a damaged file, IO for one that cannot be opened.
 */
export function openSqlite(file: string, opts: SqliteOpenOptions = {}): SqliteDatabase {
  let Ctor: DatabaseCtor;
  try {
    Ctor = require("better-sqlite3") as DatabaseCtor;
  } catch (e) {
    throw new PalisadeError("IO", "the better-sqlite3 module could not be loaded", { cause: e });
  }
  const timeout = opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  let db: SqliteDatabase | undefined;
  try {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    db = new Ctor(file, { timeout });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeout))}`);
    useWal(db, timeout);
    db.pragma("synchronous = NORMAL");
    if (opts.check !== false && file !== ":memory:") {
      // quick_check verifies every page's b-tree structure (not index contents): O(file size), a few hundred
      // milliseconds for a full osv.dev import (docs/benchmarks.md). Its first rows name the damage.
      const rows = db.pragma("quick_check(5)") as { quick_check: string }[];
      const problems = rows.map((r) => r.quick_check).filter((m) => m !== "ok");
      if (problems.length > 0)
        throw damaged(file, `quick_check: ${problems.join("; ").replace(/\s*\n\s*/g, "; ")}`);
    }
    return db;
  } catch (e) {
    try {
      db?.close();
    } catch {
      // already failing: the first error is the one to report
    }
    throw sqliteFailure(e, file, "cannot open database", timeout);
  }
}

const statements = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();
/** Statements kept per connection: past this many distinct texts, the cache starts over. */
const MAX_PREPARED = 512;

/**
 * The statement for `sql` on `db`, prepared once per connection. Preparing a statement costs more than the
 * short reads the server answers with (a page of findings, the clusters' latest times, the tokens), so a
 * statement text is compiled the first time it is run and reused after; SQLite re-prepares by itself when the
 * schema changes.
 */
export function prepared(db: SqliteDatabase, sql: string): SqliteStatement {
  let byText = statements.get(db);
  if (byText === undefined) {
    byText = new Map();
    statements.set(db, byText);
  }
  let st = byText.get(sql);
  if (st === undefined) {
    if (byText.size >= MAX_PREPARED) byText.clear();
    st = db.prepare(sql);
    byText.set(sql, st);
  }
  return st;
}

/**
 * Move the store revision (Stores.revision) inside the caller's write transaction: once per transaction that
 * changes what the server's cached answers read, so the move commits (or rolls back) with what it marks.
 */
export function bumpRevision(db: SqliteDatabase): void {
  prepared(db, "UPDATE store_revision SET revision = revision + 1 WHERE id = 1").run();
}

/** The store revision, as text. */
export function readRevision(db: SqliteDatabase): string {
  return String(prepared(db, "SELECT revision FROM store_revision WHERE id = 1").pluck().get() ?? 0);
}

/** One open, migrated database file and the lock wait its writers use: what every SQLite store of a bundle shares. */
export interface SqliteConnection {
  readonly db: SqliteDatabase;
  readonly file: string;
  readonly lockTimeoutMs: number;
}
