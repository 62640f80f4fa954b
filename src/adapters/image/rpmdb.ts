import { createRequire } from "node:module";
import { type CatalogResult, catalogRpmHeaders } from "../../core/catalog/index.js";

// better-sqlite3 ships no type declarations and @types/better-sqlite3 is not a dependency: the two calls
// used here are typed locally (as in adapters/store/sqlite.ts).
interface Db {
  prepare(sql: string): { raw(): { all(): unknown[][] } };
  close(): void;
}
type DbCtor = new (data: Buffer, opts?: { readonly?: boolean }) => Db;
const require = createRequire(import.meta.url);

/**
 * Read the sqlite rpmdb (rpm >= 4.16 `lib/backend/sqlite.c`: table `Packages(hnum, blob)`) from memory —
 * better-sqlite3 deserializes a Buffer into an in-memory database, so nothing is written to disk — and hand
 * the header blobs to the pure header parser.
 */
export function catalogRpmSqlite(data: Buffer, path: string): CatalogResult {
  let db: Db | undefined;
  try {
    const Ctor = require("better-sqlite3") as DbCtor;
    db = new Ctor(data, { readonly: true });
    const rows = db.prepare("SELECT blob FROM Packages ORDER BY hnum").raw().all();
    return catalogRpmHeaders(
      rows.map((r) => r[0]).filter((b): b is Buffer => Buffer.isBuffer(b)),
      path,
    );
  } catch (e) {
    return {
      packages: [],
      coverage: [{ reason: "parse-error", subject: path, message: `rpmdb: ${(e as Error).message}` }],
    };
  } finally {
    db?.close();
  }
}
