import { createRequire } from "node:module";
import { type Budget, isBudgetExceeded } from "../../core/budget/index.js";
import {
  type CatalogResult,
  catalogRpmDatabase,
  catalogRpmHeaders,
  RPMDB_LIMITS,
  rpmDbBudget,
  rpmDbFormat,
} from "../../core/catalog/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";

// better-sqlite3 ships no type declarations and @types/better-sqlite3 is not a dependency: the calls used here
// are typed locally (as in adapters/store/sqlite/connection.ts).
interface Statement {
  raw(): {
    iterate(...params: unknown[]): IterableIterator<unknown[]>;
    all(...params: unknown[]): unknown[][];
  };
  pluck(): { get(...params: unknown[]): unknown };
}
interface Db {
  prepare(sql: string): Statement;
  pragma(sql: string): unknown;
  close(): void;
}
type DbCtor = new (data: Buffer, opts?: { readonly?: boolean }) => Db;
const require = createRequire(import.meta.url);

const unexpected = (why: string) =>
  new PalisadeError("INPUT", `not an rpm sqlite database: ${why} (only rpm's own Packages table is read)`);

/**
 * Refuse anything but rpm's schema for `Packages` (rpm `lib/backend/sqlite.c`: `CREATE TABLE Packages (hnum
 * INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)`). A view named Packages would run attacker SQL (a
 * recursive CTE never ends and spills gigabytes to the temp store); a generated column or a column default would
 * evaluate an expression for every row (`zeroblob(1e9)`). A plain table read in primary-key order is a bounded
 * scan of the file's own pages.
 */
function checkSchema(db: Db): void {
  const rows = db
    .prepare("SELECT type, sql FROM sqlite_master WHERE lower(name) = 'packages'")
    .raw()
    .all() as [unknown, unknown][];
  if (rows.length === 0) throw unexpected("no Packages table");
  if (rows.length > 1) throw unexpected("more than one schema object named Packages");
  const [type, sql] = rows[0] as [unknown, unknown];
  if (type !== "table") throw unexpected(`Packages is a ${String(type)}, not a table`);
  if (typeof sql !== "string" || !/^\s*CREATE\s+TABLE\b/i.test(sql))
    throw unexpected("Packages is not a plain table");
  const cols = db.prepare("PRAGMA main.table_xinfo('Packages')").raw().all() as unknown[][];
  // table_xinfo rows: cid, name, type, notnull, dflt_value, pk, hidden
  const byName = new Map(cols.map((c) => [String(c[1]).toLowerCase(), c]));
  const hnum = byName.get("hnum");
  const blob = byName.get("blob");
  if (!hnum || !blob) throw unexpected("Packages has no hnum or blob column");
  if (String(hnum[2]).toUpperCase() !== "INTEGER" || hnum[5] !== 1)
    throw unexpected("Packages.hnum is not its INTEGER PRIMARY KEY");
  for (const c of cols)
    if (c[6] !== 0) throw unexpected(`Packages.${String(c[1])} is a generated or hidden column`);
  for (const c of [hnum, blob])
    if (c[4] !== null) throw unexpected(`Packages.${String(c[1])} has a default expression`);
}

/**
 * Read the sqlite rpmdb (rpm >= 4.16) from memory — better-sqlite3 deserializes a Buffer into an in-memory
 * database, read-only, so nothing is written to disk — and hand the header blobs to the pure header parser.
 *
 * The file is hostile until proven otherwise (SQLite's "Defense Against the Dark Arts"): untrusted schema
 * functions off, cell size checks on, no mmap, temporary storage in memory; the schema is checked before any
 * row is read; rows and header bytes are charged to a budget (a child of the layer's). Every query is then a scan
 * of the file's own pages in primary-key order (no sort, no temp b-tree), so its time is bounded by the file's
 * size, which the file budget caps. (better-sqlite3 has no progress handler to interrupt a query, and SQLite's
 * `hard_heap_limit` pragma is process-wide and can only be lowered, so neither is used.)
 */
export function catalogRpmSqlite(data: Buffer, path: string, parent?: Budget): CatalogResult {
  let db: Db | undefined;
  const budget = rpmDbBudget(data, path, parent);
  const extra: CoverageEntry[] = [];
  try {
    const Ctor = require("better-sqlite3") as DbCtor;
    db = new Ctor(data, { readonly: true });
    for (const p of [
      "trusted_schema = OFF",
      "cell_size_check = ON",
      "mmap_size = 0",
      "temp_store = MEMORY",
      "cache_size = -8192",
      "query_only = 1",
    ])
      db.pragma(p);
    checkSchema(db);
    // Lengths first (length() of a blob reads its record header, not its pages), so an oversized row is
    // refused before it is loaded; then each row is fetched by key and parsed on its own.
    const sizes = db
      .prepare("SELECT hnum, length(blob) FROM main.Packages ORDER BY hnum")
      .raw()
      .iterate() as IterableIterator<[unknown, unknown]>;
    const keys: unknown[] = [];
    for (const [hnum, len] of sizes) {
      if (!budget.fits("rows")) {
        extra.push({
          reason: "limit",
          subject: path,
          message: `rpmdb has more than ${RPMDB_LIMITS.rows} rows; the rest was not read`,
        });
        break;
      }
      budget.charge("rows");
      const n = typeof len === "number" ? len : 0;
      if (n > RPMDB_LIMITS["header bytes per row"]) {
        extra.push({
          reason: "limit",
          subject: path,
          message: `rpm header #${keys.length + 1} claims ${n} bytes, over ${RPMDB_LIMITS["header bytes per row"]}; skipped`,
        });
        continue;
      }
      keys.push(hnum);
    }
    const one = db.prepare("SELECT blob FROM main.Packages WHERE hnum = ?").pluck();
    let stopped: unknown;
    function* blobs(): Generator<Buffer> {
      for (const k of keys) {
        const b = one.get(k);
        if (!Buffer.isBuffer(b)) continue;
        try {
          budget.charge("header bytes", b.length);
        } catch (e) {
          stopped = e;
          return;
        }
        yield b;
      }
    }
    const r = catalogRpmHeaders(blobs(), path);
    if (stopped instanceof Error)
      extra.push({
        reason: "limit",
        subject: path,
        message: `rpmdb: ${stopped.message}; the rest was not read`,
      });
    return { packages: r.packages, coverage: [...r.coverage, ...extra] };
  } catch (e) {
    const reason = isBudgetExceeded(e) ? "limit" : "parse-error";
    return {
      packages: [],
      coverage: [...extra, { reason, subject: path, message: `rpmdb: ${(e as Error).message}` }],
    };
  } finally {
    db?.close();
  }
}

/**
 * Read an rpm database of any backend: sqlite here (it needs SQLite), Berkeley DB and ndb by the pure readers in
 * core. The backend is told by the file's magic, not its name (an image may carry a converted database under an
 * old name).
 */
export function catalogRpmDb(data: Buffer, path: string, parent?: Budget): CatalogResult {
  return rpmDbFormat(data) === "sqlite"
    ? catalogRpmSqlite(data, path, parent)
    : catalogRpmDatabase(data, path, parent);
}
