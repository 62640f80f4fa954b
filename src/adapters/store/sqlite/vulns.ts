import { randomUUID } from "node:crypto";
import { PalisadeError } from "../../../core/errors/index.js";
import { cmp } from "../../../core/findings/index.js";
import {
  advisoryKey,
  type OsvRecord,
  splitEcosystem,
  storedRecordProblem,
} from "../../../core/vuln/index.js";
import { importStateOf, modifiedBound, parseImportMark, recordKeys, sortRecord } from "../marks.js";
import type { ImportBatchResult, VulnDbStatus, VulnStore } from "../ports.js";
import {
  bumpRevision,
  damaged,
  isSqliteBusy,
  type SqliteConnection,
  type SqliteDatabase,
  type SqliteStatement,
  sqliteFailure,
} from "./connection.js";
import { openSqliteConnection } from "./open.js";

export interface SqliteVulnStoreOptions {
  /** How long an import waits for another import (or any writer) before failing (default 120 s). */
  lockTimeoutMs?: number;
  /** Run the integrity check at open (default true); false only when this process just checked the same file. */
  check?: boolean;
}

/** Embedded SQLite VulnStore (better-sqlite3). Lookups are one primary-key range scan per package key. */
export class SqliteVulnStore implements VulnStore {
  readonly file: string;
  private readonly db: SqliteDatabase;
  private readonly lockTimeoutMs: number;
  /** Whether this store opened its connection (and closes it), or shares a bundle's. */
  private readonly owned: boolean;
  private readonly stmts: {
    getModified: SqliteStatement;
    insert: SqliteStatement;
    update: SqliteStatement;
    deleteKeys: SqliteStatement;
    insertKey: SqliteStatement;
    lookupKeys: SqliteStatement;
    lookupRecords: SqliteStatement;
    setMeta: SqliteStatement;
    getMeta: SqliteStatement;
    deleteMeta: SqliteStatement;
  };
  /** The import in progress on this connection. */
  private session: { token: string; at: string; previous: string | undefined } | undefined;

  /**
   * Open (creating and migrating when needed) the database at `file` (":memory:" for a private in-memory one), or
   * use a connection a {@link openSqliteStores} bundle already opened.
   */
  constructor(target: string | SqliteConnection, opts: SqliteVulnStoreOptions = {}) {
    const conn =
      typeof target === "string"
        ? openSqliteConnection(target, { lockTimeoutMs: opts.lockTimeoutMs, check: opts.check })
        : target;
    this.owned = typeof target === "string";
    this.file = conn.file;
    this.db = conn.db;
    this.lockTimeoutMs = conn.lockTimeoutMs;
    try {
      this.stmts = {
        getModified: this.db.prepare("SELECT rid, modified FROM advisories WHERE id = ?"),
        insert: this.db.prepare(
          "INSERT INTO advisories (id, modified, ecosystems, record) VALUES (?, ?, ?, ?)",
        ),
        update: this.db.prepare(
          "UPDATE advisories SET modified = ?, ecosystems = ?, record = ? WHERE rid = ?",
        ),
        deleteKeys: this.db.prepare("DELETE FROM affected WHERE rid = ?"),
        insertKey: this.db.prepare("INSERT OR IGNORE INTO affected (key, rid) VALUES (?, ?)"),
        // Two statements, not one join: a record indexed under thousands of keys (one advisory naming every
        // package of a distribution) must come back once, not once per key (issue 9: 2.5 GB at 2,000 keys).
        // The key list travels as a JSON array (json_each), one index range scan each.
        lookupKeys: this.db.prepare(
          "SELECT f.key AS key, f.rid AS rid FROM affected f WHERE f.key IN (SELECT value FROM json_each(?)) ORDER BY f.key",
        ),
        lookupRecords: this.db.prepare(
          "SELECT rid, id, record FROM advisories WHERE rid IN (SELECT value FROM json_each(?))",
        ),
        setMeta: this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
        getMeta: this.db.prepare("SELECT value FROM meta WHERE key = ?"),
        deleteMeta: this.db.prepare("DELETE FROM meta WHERE key = ?"),
      };
    } catch (e) {
      if (this.owned) this.db.close();
      throw this.failure(e, "cannot open vulnerability database");
    }
  }

  private failure(e: unknown, what: string): PalisadeError {
    return sqliteFailure(e, this.file, what, this.lockTimeoutMs);
  }

  /** Run `fn`, turning SQLite errors into typed ones (busy, damaged file). */
  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.failure(e, what);
    }
  }

  private meta(key: string): string | undefined {
    const row = this.stmts.getMeta.get(key) as { value: string } | undefined;
    return row?.value;
  }

  async putRecords(records: readonly OsvRecord[]): Promise<ImportBatchResult> {
    const result = { written: 0, unchanged: 0 };
    // Inside an import this nests as a savepoint of the import's transaction.
    const tx = this.db.transaction((batch: readonly OsvRecord[]) => {
      for (const r of batch) {
        const old = this.stmts.getModified.get(r.id) as { rid: number; modified: string } | undefined;
        if (old && old.modified > r.modified) {
          result.unchanged++;
          continue;
        }
        const ecosystems = JSON.stringify(
          [...new Set(r.affected.map((a) => splitEcosystem(a.package.ecosystem).base))].sort(cmp),
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
      // Inside an import, finishImport moves the revision once for the whole transaction.
      if (result.written > 0 && this.session === undefined) bumpRevision(this.db);
    });
    this.guard("cannot write advisories", () => tx(records));
    return result;
  }

  async lookup(keys: readonly string[]): Promise<Map<string, OsvRecord[]>> {
    return this.guard("cannot read advisories", () => {
      const pairs = this.stmts.lookupKeys.all(JSON.stringify([...new Set(keys)])) as {
        key: string;
        rid: number;
      }[];
      const records = new Map<number, OsvRecord>();
      const rids = [...new Set(pairs.map((p) => p.rid))];
      for (const row of this.stmts.lookupRecords.all(JSON.stringify(rids)) as {
        rid: number;
        id: string;
        record: string;
      }[])
        records.set(row.rid, this.parseRow(row));
      const out = new Map<string, OsvRecord[]>();
      for (const p of pairs) {
        const r = records.get(p.rid);
        if (!r)
          throw damaged(this.file, `index row for key ${JSON.stringify(p.key)} names a missing advisory`);
        const list = out.get(p.key);
        if (list) list.push(r);
        else out.set(p.key, [r]);
      }
      for (const list of out.values()) list.sort((a, b) => cmp(a.id, b.id));
      return out;
    });
  }

  /** A stored record, validated: a hand-edited or damaged row is reported as a damaged database. */
  private parseRow(row: { rid: number; id: string; record: string }): OsvRecord {
    let v: unknown;
    try {
      v = JSON.parse(row.record);
    } catch {
      throw damaged(this.file, `advisory ${JSON.stringify(row.id)} is not valid JSON`);
    }
    const problem = storedRecordProblem(v);
    if (problem) throw damaged(this.file, `advisory ${JSON.stringify(row.id)}: ${problem}`);
    if ((v as OsvRecord).id !== row.id)
      throw damaged(this.file, `advisory ${JSON.stringify(row.id)} holds a record with another id`);
    return v as OsvRecord;
  }

  async beginImport(at: string): Promise<void> {
    if (this.session) throw new PalisadeError("INTERNAL", "an import is already in progress on this store");
    const token = randomUUID();
    this.guard("cannot start the import", () => {
      // The start mark is committed on its own, so a killed import leaves it behind (interrupted); then the
      // import's own transaction takes the write lock for its whole length, waiting up to the lock timeout for
      // another import to finish.
      this.db.exec("BEGIN IMMEDIATE");
      let previous: string | undefined;
      try {
        previous = this.meta("import_started");
        this.stmts.setMeta.run("import_started", JSON.stringify({ token, at }));
        this.db.exec("COMMIT");
      } catch (e) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw e;
      }
      this.session = { token, at, previous };
      this.db.exec("BEGIN IMMEDIATE");
    });
  }

  async finishImport(at: string): Promise<void> {
    const s = this.session;
    if (!s || !this.db.inTransaction) throw new PalisadeError("INTERNAL", "no import in progress");
    this.guard("cannot finish the import", () => {
      // Both marks name this import: a concurrent importer's start mark written while this one waited is
      // superseded, and the store reads as complete.
      this.stmts.setMeta.run("import_started", JSON.stringify({ token: s.token, at: s.at }));
      this.stmts.setMeta.run("import_finished", JSON.stringify({ token: s.token, at }));
      this.stmts.setMeta.run("imported_at", at);
      bumpRevision(this.db);
      this.db.exec("COMMIT");
    });
    this.session = undefined;
  }

  async abortImport(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
    if (!s) return;
    // Put the start mark back as it was, unless another import has written its own since.
    try {
      this.db.exec("BEGIN IMMEDIATE");
      if (parseImportMark(this.meta("import_started"))?.token === s.token) {
        if (s.previous === undefined) this.stmts.deleteMeta.run("import_started");
        else this.stmts.setMeta.run("import_started", s.previous);
      }
      this.db.exec("COMMIT");
    } catch {
      // Best effort: the caller is already reporting the failure; a leftover mark reads as interrupted.
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
    }
  }

  async markImported(at: string): Promise<void> {
    this.guard("cannot record the import", () =>
      this.db
        .transaction(() => {
          this.stmts.setMeta.run("imported_at", at);
          const started = this.meta("import_started");
          if (started !== undefined) this.stmts.setMeta.run("import_finished", started);
          bumpRevision(this.db);
        })
        .immediate(),
    );
  }

  /** Whether some connection holds the write lock (an import running), without waiting for it. */
  private writerActive(): boolean {
    if (this.db.inTransaction) return true;
    this.db.pragma("busy_timeout = 0");
    try {
      this.db.exec("BEGIN IMMEDIATE");
      this.db.exec("ROLLBACK");
      return false;
    } catch (e) {
      return isSqliteBusy(e);
    } finally {
      this.db.pragma(`busy_timeout = ${Math.floor(this.lockTimeoutMs)}`);
    }
  }

  async status(now?: string): Promise<VulnDbStatus> {
    const marks = this.guard("cannot read the vulnerability database status", () => ({
      importedAt: this.meta("imported_at"),
      started: parseImportMark(this.meta("import_started")),
      finished: parseImportMark(this.meta("import_finished")),
    }));
    const importedAt = marks.importedAt;
    const state = await importStateOf(marks.started, marks.finished, importedAt, async () =>
      this.guard("cannot read the import state", () => this.writerActive()),
    );
    return this.guard("cannot read the vulnerability database status", () => {
      const bound = now === undefined ? null : modifiedBound(now);
      const count = (this.db.prepare("SELECT count(*) AS n FROM advisories").get() as { n: number }).n;
      const packages = (
        this.db.prepare("SELECT count(DISTINCT key) AS n FROM affected").get() as { n: number }
      ).n;
      const newest = (
        this.db
          .prepare("SELECT max(modified) AS m FROM advisories WHERE @b IS NULL OR modified <= @b")
          .get({ b: bound }) as { m: string | null }
      ).m;
      const future =
        bound === null
          ? 0
          : (
              this.db.prepare("SELECT count(*) AS n FROM advisories WHERE modified > ?").get(bound) as {
                n: number;
              }
            ).n;
      const byEcosystem = new Map<string, number>();
      for (const row of this.db.prepare("SELECT id, ecosystems FROM advisories").all() as {
        id: string;
        ecosystems: string;
      }[]) {
        let ecos: unknown;
        try {
          ecos = JSON.parse(row.ecosystems);
        } catch {
          ecos = undefined;
        }
        if (!Array.isArray(ecos) || !ecos.every((e) => typeof e === "string"))
          throw damaged(
            this.file,
            `advisory ${JSON.stringify(row.id)}: ecosystems column is not a JSON list`,
          );
        for (const eco of ecos as string[]) byEcosystem.set(eco, (byEcosystem.get(eco) ?? 0) + 1);
      }
      return {
        advisories: count,
        packages,
        byEcosystem: sortRecord(byEcosystem),
        importedAt,
        newestModified: newest ?? undefined,
        importState: state.state,
        importStartedAt: state.startedAt,
        futureModified: future,
      };
    });
  }

  async close(): Promise<void> {
    // Closing without finishing an import rolls its transaction back (as a killed process would).
    const importing = this.session !== undefined;
    this.session = undefined;
    if (this.owned) this.db.close();
    else if (importing && this.db.inTransaction) this.db.exec("ROLLBACK");
  }
}
