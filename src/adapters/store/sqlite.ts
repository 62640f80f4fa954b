import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import { advisoryKey, type OsvRecord, splitEcosystem } from "../../core/vuln/index.js";
import { sortRecord } from "./memory.js";
import { type ImportBatchResult, recordKeys, type VulnDbStatus, type VulnStore } from "./vuln-store.js";

// better-sqlite3 ships no type declarations and @types/better-sqlite3 is not a dependency: the few calls used
// here are typed locally.
interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string): unknown;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
type DatabaseCtor = new (file: string, opts?: { readonly?: boolean; fileMustExist?: boolean }) => Database;

const require = createRequire(import.meta.url);

/** Schema version stored in `meta`; a database with another version is refused rather than misread. */
const SCHEMA_VERSION = "2";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- Records live in a rowid table (large values in overflow pages keep the b-tree shallow); the (key, advisory)
-- index is a covering WITHOUT ROWID table, so a lookup is one range scan plus one rowid fetch per record.
CREATE TABLE IF NOT EXISTS advisories (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  modified TEXT NOT NULL,
  ecosystems TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
  key TEXT NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (key, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (rid);
`;

/** Embedded SQLite VulnStore (better-sqlite3). Lookups are one primary-key range scan per package key. */
export class SqliteVulnStore implements VulnStore {
  private readonly db: Database;
  private readonly stmts: {
    getModified: Statement;
    insert: Statement;
    update: Statement;
    deleteKeys: Statement;
    insertKey: Statement;
    lookup: Statement;
    setMeta: Statement;
    getMeta: Statement;
  };

  /** Open (creating when needed) the database at `file`; ":memory:" for a private in-memory database. */
  constructor(file: string) {
    let Ctor: DatabaseCtor;
    try {
      Ctor = require("better-sqlite3") as DatabaseCtor;
    } catch (e) {
      throw new PalisadeError("IO", "the better-sqlite3 module could not be loaded", { cause: e });
    }
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new Ctor(file);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      // A larger page cache keeps the key index resident: matching is thousands of small range scans.
      this.db.pragma("cache_size = -65536");
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new PalisadeError(
        "IO",
        `cannot open vulnerability database: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
          context: { file },
        },
      );
    }
    this.stmts = {
      getModified: this.db.prepare("SELECT rid, modified FROM advisories WHERE id = ?"),
      insert: this.db.prepare(
        "INSERT INTO advisories (id, modified, ecosystems, record) VALUES (?, ?, ?, ?)",
      ),
      update: this.db.prepare("UPDATE advisories SET modified = ?, ecosystems = ?, record = ? WHERE rid = ?"),
      deleteKeys: this.db.prepare("DELETE FROM affected WHERE rid = ?"),
      insertKey: this.db.prepare("INSERT OR IGNORE INTO affected (key, rid) VALUES (?, ?)"),
      // All keys in one statement: the key list travels as a JSON array (json_each), one index range scan each.
      lookup: this.db.prepare(
        "SELECT f.key AS key, a.rid AS rid, a.record AS record FROM affected f JOIN advisories a ON a.rid = f.rid WHERE f.key IN (SELECT value FROM json_each(?)) ORDER BY f.key, a.id",
      ),
      setMeta: this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
      getMeta: this.db.prepare("SELECT value FROM meta WHERE key = ?"),
    };
    const version = this.meta("schema_version");
    if (version === undefined) this.stmts.setMeta.run("schema_version", SCHEMA_VERSION);
    else if (version !== SCHEMA_VERSION)
      throw new PalisadeError(
        "UNSUPPORTED",
        `vulnerability database schema ${version} is not ${SCHEMA_VERSION}`,
        {
          context: { file },
        },
      );
  }

  private meta(key: string): string | undefined {
    const row = this.stmts.getMeta.get(key) as { value: string } | undefined;
    return row?.value;
  }

  putRecords(records: readonly OsvRecord[]): ImportBatchResult {
    const result = { written: 0, unchanged: 0 };
    const tx = this.db.transaction((batch: readonly OsvRecord[]) => {
      for (const r of batch) {
        const old = this.stmts.getModified.get(r.id) as { rid: number; modified: string } | undefined;
        if (old && old.modified > r.modified) {
          result.unchanged++;
          continue;
        }
        const ecosystems = JSON.stringify(
          [...new Set(r.affected.map((a) => splitEcosystem(a.package.ecosystem).base))].sort(),
        );
        let rid: number;
        if (old) {
          rid = old.rid;
          this.stmts.update.run(r.modified, ecosystems, JSON.stringify(r), rid);
          this.stmts.deleteKeys.run(rid);
        } else {
          rid = Number(
            this.stmts.insert.run(r.id, r.modified, ecosystems, JSON.stringify(r)).lastInsertRowid,
          );
        }
        for (const k of recordKeys(r, advisoryKey)) this.stmts.insertKey.run(k, rid);
        result.written++;
      }
    });
    tx(records);
    return result;
  }

  lookup(keys: readonly string[]): Map<string, OsvRecord[]> {
    const out = new Map<string, OsvRecord[]>();
    const parsed = new Map<number, OsvRecord>();
    const rows = this.stmts.lookup.all(JSON.stringify([...new Set(keys)])) as {
      key: string;
      rid: number;
      record: string;
    }[];
    for (const row of rows) {
      // A record indexed under several keys is parsed once per lookup call.
      let r = parsed.get(row.rid);
      if (!r) {
        r = JSON.parse(row.record) as OsvRecord;
        parsed.set(row.rid, r);
      }
      const list = out.get(row.key);
      if (list) list.push(r);
      else out.set(row.key, [r]);
    }
    return out;
  }

  markImported(at: string): void {
    this.stmts.setMeta.run("imported_at", at);
  }

  status(): VulnDbStatus {
    const count = (this.db.prepare("SELECT count(*) AS n FROM advisories").get() as { n: number }).n;
    const packages = (this.db.prepare("SELECT count(DISTINCT key) AS n FROM affected").get() as { n: number })
      .n;
    const newest = (
      this.db.prepare("SELECT max(modified) AS m FROM advisories").get() as { m: string | null }
    ).m;
    const byEcosystem = new Map<string, number>();
    for (const row of this.db.prepare("SELECT ecosystems FROM advisories").all() as {
      ecosystems: string;
    }[]) {
      for (const eco of JSON.parse(row.ecosystems) as string[])
        byEcosystem.set(eco, (byEcosystem.get(eco) ?? 0) + 1);
    }
    return {
      advisories: count,
      packages,
      byEcosystem: sortRecord(byEcosystem),
      importedAt: this.meta("imported_at"),
      newestModified: newest ?? undefined,
    };
  }

  close(): void {
    this.db.close();
  }
}
