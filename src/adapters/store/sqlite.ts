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
  run(...params: unknown[]): { changes: number };
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
const SCHEMA_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS advisories (
  id TEXT PRIMARY KEY,
  modified TEXT NOT NULL,
  ecosystems TEXT NOT NULL,
  record TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS affected (
  key TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  PRIMARY KEY (key, advisory_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (advisory_id);
`;

/** Embedded SQLite VulnStore (better-sqlite3). Lookups are one primary-key range scan per package key. */
export class SqliteVulnStore implements VulnStore {
  private readonly db: Database;
  private readonly stmts: {
    getModified: Statement;
    upsert: Statement;
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
      getModified: this.db.prepare("SELECT modified FROM advisories WHERE id = ?"),
      upsert: this.db.prepare(
        "INSERT OR REPLACE INTO advisories (id, modified, ecosystems, record) VALUES (?, ?, ?, ?)",
      ),
      deleteKeys: this.db.prepare("DELETE FROM affected WHERE advisory_id = ?"),
      insertKey: this.db.prepare("INSERT OR IGNORE INTO affected (key, advisory_id) VALUES (?, ?)"),
      lookup: this.db.prepare(
        "SELECT a.record AS record FROM affected f JOIN advisories a ON a.id = f.advisory_id WHERE f.key = ? ORDER BY a.id",
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
        const old = this.stmts.getModified.get(r.id) as { modified: string } | undefined;
        if (old && old.modified > r.modified) {
          result.unchanged++;
          continue;
        }
        const ecosystems = [
          ...new Set(r.affected.map((a) => splitEcosystem(a.package.ecosystem).base)),
        ].sort();
        this.stmts.upsert.run(r.id, r.modified, JSON.stringify(ecosystems), JSON.stringify(r));
        this.stmts.deleteKeys.run(r.id);
        for (const k of recordKeys(r, advisoryKey)) this.stmts.insertKey.run(k, r.id);
        result.written++;
      }
    });
    tx(records);
    return result;
  }

  lookup(keys: readonly string[]): Map<string, OsvRecord[]> {
    const out = new Map<string, OsvRecord[]>();
    const parsed = new Map<string, OsvRecord>();
    for (const k of new Set(keys)) {
      const rows = this.stmts.lookup.all(k) as { record: string }[];
      if (rows.length === 0) continue;
      out.set(
        k,
        rows.map((row) => {
          // A record indexed under several keys is parsed once per lookup call.
          let r = parsed.get(row.record);
          if (!r) {
            r = JSON.parse(row.record) as OsvRecord;
            parsed.set(row.record, r);
          }
          return r;
        }),
      );
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
