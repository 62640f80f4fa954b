import { randomUUID } from "node:crypto";
import type { PoolClient } from "pg";
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
import { openPgConnection, type PgConnection, type PgConnectionOptions } from "./connection.js";
import { fromPgText, pgText } from "./text.js";

/** Records per INSERT statement: bounds one message's size; parameters stay at four arrays whatever the count. */
const RECORDS_PER_STATEMENT = 5_000;
/** Index rows per INSERT statement. */
const KEYS_PER_STATEMENT = 20_000;

/** Options of {@link PgVulnStore.open}. */
export type PgVulnStoreOptions = PgConnectionOptions;

/**
 * PostgreSQL VulnStore (`pg`), so a fleet of scanners shares one advisory database.
 *
 * Layout mirrors the SQLite store: `advisories` (one row per OSV id, the record as JSON text) and `affected`
 * (one row per (base ecosystem, normalised package name, advisory), primary key in that order, so a lookup is
 * an index range scan). Text columns use the "C" collation: ordering and `max(modified)` are byte order, as in
 * SQLite, whatever the database's locale.
 *
 * PostgreSQL `text` cannot hold NUL, which an OSV string may contain: such strings are stored with an
 * order-preserving escape (see {@link pgText}), so a hostile advisory cannot fail a whole import batch.
 */
export class PgVulnStore implements VulnStore {
  private closed = false;
  /** The import in progress: its connection holds the import's transaction and the import lock. */
  private session:
    | { client: PoolClient; token: string; at: string; previous: string | undefined }
    | undefined;
  private readonly pool: PgConnection["pool"];
  private readonly schema: string;
  private readonly redactedUrl: string;
  private readonly lockTimeoutMs: number;

  /** Use a connection a {@link openPgStores} bundle opened (`owned`: this store ends it on close). */
  constructor(
    private readonly conn: PgConnection,
    private readonly owned = false,
  ) {
    this.pool = conn.pool;
    this.schema = conn.schema;
    this.redactedUrl = conn.redactedUrl;
    this.lockTimeoutMs = conn.lockTimeoutMs;
  }

  /** Advisory lock key of this schema's import lock (one import at a time per schema). */
  private get importLockKey(): string {
    return `palisade.vuln-import:${this.schema}`;
  }

  /** Connect to `url` (`postgres://user@host:port/db?schema=name`), creating and migrating the schema when needed. */
  static async open(url: string, opts: PgVulnStoreOptions = {}): Promise<PgVulnStore> {
    return new PgVulnStore(await openPgConnection(url, opts), true);
  }

  private t(table: string): string {
    return this.conn.t(table);
  }

  private fail(what: string, e: unknown): PalisadeError {
    return this.conn.fail(what, e);
  }

  private query<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.conn.query<R>(sql, params, "vulnerability database query failed");
  }

  private transaction<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return this.conn.transaction(what, fn);
  }

  /** Run `fn` in the import's transaction when one is open, else in a transaction of its own. */
  private async write<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const s = this.session;
    if (!s) return this.transaction(what, fn);
    try {
      return await fn(s.client);
    } catch (e) {
      // The import's transaction is now aborted: the caller aborts the import.
      throw this.fail(what, e);
    }
  }

  async beginImport(at: string): Promise<void> {
    if (this.session) throw new PalisadeError("INTERNAL", "an import is already in progress on this store");
    const token = randomUUID();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.fail("cannot connect to the vulnerability database (start the import)", e);
    }
    try {
      await client.query("BEGIN");
      // One import at a time per schema: the lock is held by the import's transaction, so a killed importer's
      // connection drop releases it and rolls its writes back.
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(this.lockTimeoutMs))}`);
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [this.importLockKey]);
      await client.query("SET LOCAL lock_timeout = 0");
      // The start mark is committed on its own connection, so a killed import leaves it (interrupted).
      const prev = await this.query<{ value: string }>(
        `SELECT value FROM ${this.t("meta")} WHERE key = 'import_started'`,
      );
      await this.setMeta("import_started", JSON.stringify({ token, at }));
      this.session = { client, token, at, previous: prev[0]?.value };
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      client.release(true);
      if ((e as { code?: unknown }).code === "55P03")
        throw new PalisadeError(
          "IO",
          `cannot start the import: another \`palisade vuln db import\` is writing this database; gave up after waiting ${Number((this.lockTimeoutMs / 1000).toFixed(1))} s: retry when it has finished, or wait longer with --lock-timeout SECONDS`,
          { cause: e, context: { url: this.redactedUrl } },
        );
      throw this.fail("cannot start the import", e);
    }
  }

  async finishImport(at: string): Promise<void> {
    const s = this.session;
    if (!s) throw new PalisadeError("INTERNAL", "no import in progress");
    this.session = undefined;
    try {
      for (const [k, v] of [
        ["import_started", JSON.stringify({ token: s.token, at: s.at })],
        ["import_finished", JSON.stringify({ token: s.token, at })],
        ["imported_at", at],
      ] as const)
        await s.client.query(
          `INSERT INTO ${this.t("meta")} (key, value) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          [k, pgText(v)],
        );
      await this.conn.bumpRevision(s.client);
      await s.client.query("COMMIT");
      s.client.release();
    } catch (e) {
      await s.client.query("ROLLBACK").catch(() => {});
      s.client.release(true);
      throw this.fail("cannot finish the import", e);
    }
  }

  async abortImport(): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    await s.client.query("ROLLBACK").catch(() => {});
    s.client.release(true);
    // Put the start mark back as it was, unless another import has written its own since (best effort: the
    // caller is already reporting a failure, and a leftover mark reads as interrupted).
    try {
      const cur = await this.query<{ value: string }>(
        `SELECT value FROM ${this.t("meta")} WHERE key = 'import_started'`,
      );
      if (parseImportMark(cur[0]?.value)?.token === s.token) {
        if (s.previous === undefined)
          await this.query(`DELETE FROM ${this.t("meta")} WHERE key = 'import_started'`);
        else await this.setMeta("import_started", s.previous);
      }
    } catch {
      // see above
    }
  }

  private async setMeta(key: string, value: string): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t("meta")} (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [key, pgText(value)],
    );
  }

  /** Whether an import holds this schema's import lock right now (without waiting for it). */
  private async importRunning(): Promise<boolean> {
    if (this.session) return true;
    return this.transaction("cannot read the import state", async (c) => {
      const rows = (
        await c.query("SELECT pg_try_advisory_xact_lock(hashtext($1)) AS got", [this.importLockKey])
      ).rows as { got: boolean }[];
      return rows[0]?.got !== true;
    });
  }

  async putRecords(records: readonly OsvRecord[]): Promise<ImportBatchResult> {
    const result = { written: 0, unchanged: 0 };
    if (records.length === 0) return result;
    return this.write("cannot write advisories", async (c) => {
      const ids = [...new Set(records.map((r) => pgText(r.id)))].sort(cmp);
      // Row locks make "newer or equal replaces" exact against a concurrent importer of the same ids. Locks are
      // taken in one order (ORDER BY id here, sorted ids for the inserts below), so importers cannot deadlock.
      const current = new Map<string, string>();
      for (const row of (
        await c.query(
          `SELECT id, modified FROM ${this.t("advisories")} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
          [ids],
        )
      ).rows as { id: string; modified: string }[])
        current.set(row.id, row.modified);
      // Records apply in order, as the SQLite store does row by row; the last accepted version of an id wins.
      const accepted = new Map<string, OsvRecord>();
      for (const r of records) {
        const id = pgText(r.id);
        const modified = pgText(r.modified);
        const old = current.get(id);
        if (old !== undefined && old > modified) {
          result.unchanged++;
          continue;
        }
        current.set(id, modified);
        accepted.set(id, r);
        result.written++;
      }
      const rows = [...accepted].sort((a, b) => cmp(a[0], b[0]));
      for (let i = 0; i < rows.length; i += RECORDS_PER_STATEMENT)
        await this.upsertChunk(c, rows.slice(i, i + RECORDS_PER_STATEMENT));
      // Inside an import, finishImport moves the revision once for the whole transaction.
      if (result.written > 0 && this.session === undefined) await this.conn.bumpRevision(c);
      return result;
    });
  }

  /** Upsert advisories and rewrite their index rows: four array parameters per statement, whatever the count. */
  private async upsertChunk(c: PoolClient, rows: [string, OsvRecord][]): Promise<void> {
    const byId = new Map(rows);
    const upserted = (
      await c.query(
        `INSERT INTO ${this.t("advisories")} AS a (id, modified, ecosystems, record)
         SELECT u.id, u.modified, ARRAY(SELECT json_array_elements_text(u.ecosystems::json)), u.record
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(id, modified, ecosystems, record)
         ON CONFLICT (id) DO UPDATE
           SET modified = EXCLUDED.modified, ecosystems = EXCLUDED.ecosystems, record = EXCLUDED.record
           WHERE a.modified <= EXCLUDED.modified
         RETURNING a.rid, a.id, (a.xmax = 0) AS inserted`,
        [
          rows.map(([id]) => id),
          rows.map(([, r]) => pgText(r.modified)),
          rows.map(([, r]) =>
            JSON.stringify(
              [...new Set(r.affected.map((a) => pgText(splitEcosystem(a.package.ecosystem).base)))].sort(cmp),
            ),
          ),
          rows.map(([, r]) => JSON.stringify(r)),
        ],
      )
    ).rows as { rid: string; id: string; inserted: boolean }[];
    const replaced = upserted.filter((u) => !u.inserted).map((u) => u.rid);
    if (replaced.length > 0)
      await c.query(`DELETE FROM ${this.t("affected")} WHERE rid = ANY($1::bigint[])`, [replaced]);
    const ecosystems: string[] = [];
    const names: string[] = [];
    const rids: string[] = [];
    const flush = async (): Promise<void> => {
      if (rids.length === 0) return;
      await c.query(
        `INSERT INTO ${this.t("affected")} (ecosystem, name, rid)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`,
        [ecosystems, names, rids],
      );
      ecosystems.length = 0;
      names.length = 0;
      rids.length = 0;
    };
    for (const u of upserted) {
      const r = byId.get(u.id);
      // The guard in ON CONFLICT lost to a concurrent importer's newer copy: that copy keeps its index rows.
      if (!r) continue;
      for (const key of recordKeys(r, advisoryKey)) {
        const split = splitKey(key);
        if (!split) continue;
        ecosystems.push(split.ecosystem);
        names.push(split.name);
        rids.push(u.rid);
        if (rids.length >= KEYS_PER_STATEMENT) await flush();
      }
    }
    await flush();
  }

  async lookup(keys: readonly string[]): Promise<Map<string, OsvRecord[]>> {
    const out = new Map<string, OsvRecord[]>();
    const distinct: string[] = [];
    const ecosystems: string[] = [];
    const names: string[] = [];
    for (const key of new Set(keys)) {
      // Every stored key has a separator (advisoryKey); one without cannot match, as in the other stores.
      const split = splitKey(key);
      if (!split) continue;
      distinct.push(key);
      ecosystems.push(split.ecosystem);
      names.push(split.name);
    }
    if (distinct.length === 0) return out;
    // Keys first, then each record once: a record indexed under thousands of keys (one advisory naming every
    // package of a distribution) must not come back once per key (issue 9). One primary-key range scan on
    // `affected` per key; the LATERAL subquery with OFFSET 0 is not flattened, so the planner cannot swap the
    // per-key index probes for a hash join over the whole table (which it prefers once a thousand keys meet a few
    // hundred thousand rows).
    const pairs = await this.query<{ i: number; rid: string }>(
      `SELECT k.i::int AS i, f.rid
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(ecosystem, name, i)
       CROSS JOIN LATERAL (
         SELECT f.rid FROM ${this.t("affected")} f
         WHERE f.ecosystem = k.ecosystem AND f.name = k.name OFFSET 0
       ) f
       ORDER BY k.i`,
      [ecosystems, names],
    );
    const rids = [...new Set(pairs.map((p) => p.rid))];
    const records = new Map<string, { id: string; record: OsvRecord }>();
    for (const row of await this.query<{ rid: string; id: string; record: string }>(
      `SELECT rid, id, record FROM ${this.t("advisories")} WHERE rid = ANY($1::bigint[])`,
      [rids],
    ))
      records.set(row.rid, { id: row.id, record: this.parseRow(row) });
    const sorted = new Map<string, { id: string; record: OsvRecord }[]>();
    for (const p of pairs) {
      const key = distinct[p.i - 1] as string;
      const r = records.get(p.rid);
      if (!r) continue; // deleted between the two statements by a concurrent writer
      const list = sorted.get(key);
      if (list) list.push(r);
      else sorted.set(key, [r]);
    }
    for (const [key, list] of sorted) {
      // Encoded ids keep byte order (pgText).
      list.sort((a, b) => cmp(a.id, b.id));
      out.set(
        key,
        list.map((x) => x.record),
      );
    }
    return out;
  }

  /** A stored record, validated: a hand-edited row is reported as a damaged database, not matched against. */
  private parseRow(row: { rid: string; id: string; record: string }): OsvRecord {
    const damaged = (detail: string) =>
      new PalisadeError(
        "INTEGRITY",
        `vulnerability database is damaged (advisory ${JSON.stringify(fromPgText(row.id))}: ${detail}): rebuild it with \`palisade vuln db import PATH... --db URL\` into a fresh schema (?schema=NAME)`,
        { context: { url: this.redactedUrl } },
      );
    let v: unknown;
    try {
      v = JSON.parse(row.record);
    } catch {
      throw damaged("not valid JSON");
    }
    const problem = storedRecordProblem(v);
    if (problem) throw damaged(problem);
    return v as OsvRecord;
  }

  async markImported(at: string): Promise<void> {
    await this.write("cannot record the import", async (c) => {
      await c.query(
        `INSERT INTO ${this.t("meta")} (key, value) VALUES ('imported_at', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [pgText(at)],
      );
      const started = (await c.query(`SELECT value FROM ${this.t("meta")} WHERE key = 'import_started'`))
        .rows as { value: string }[];
      if (started[0])
        await c.query(
          `INSERT INTO ${this.t("meta")} (key, value) VALUES ('import_finished', $1)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          [started[0].value],
        );
      if (this.session === undefined) await this.conn.bumpRevision(c);
    });
  }

  async status(now?: string): Promise<VulnDbStatus> {
    const bound = now === undefined ? null : pgText(modifiedBound(now));
    const [totals] = await this.query<{
      advisories: string;
      packages: string;
      newest: string | null;
      future: string;
      imported_at: string | null;
      started: string | null;
      finished: string | null;
    }>(
      `SELECT (SELECT count(*) FROM ${this.t("advisories")}) AS advisories,
              (SELECT count(*) FROM (SELECT DISTINCT ecosystem, name FROM ${this.t("affected")}) d) AS packages,
              (SELECT max(modified) FROM ${this.t("advisories")}
                 WHERE $1::text IS NULL OR modified <= $1::text) AS newest,
              (SELECT count(*) FROM ${this.t("advisories")} WHERE modified > $1::text) AS future,
              (SELECT value FROM ${this.t("meta")} WHERE key = 'imported_at') AS imported_at,
              (SELECT value FROM ${this.t("meta")} WHERE key = 'import_started') AS started,
              (SELECT value FROM ${this.t("meta")} WHERE key = 'import_finished') AS finished`,
      [bound],
    );
    const importedAt = totals?.imported_at == null ? undefined : fromPgText(totals.imported_at);
    const state = await importStateOf(
      parseImportMark(totals?.started == null ? undefined : fromPgText(totals.started)),
      parseImportMark(totals?.finished == null ? undefined : fromPgText(totals.finished)),
      importedAt,
      () => this.importRunning(),
    );
    const byEcosystem = new Map<string, number>();
    for (const row of await this.query<{ ecosystem: string; n: string }>(
      `SELECT e AS ecosystem, count(*) AS n FROM ${this.t("advisories")}, unnest(ecosystems) AS e GROUP BY e`,
    ))
      byEcosystem.set(fromPgText(row.ecosystem), Number(row.n));
    return {
      advisories: Number(totals?.advisories ?? 0),
      packages: Number(totals?.packages ?? 0),
      byEcosystem: sortRecord(byEcosystem),
      importedAt,
      newestModified: totals?.newest == null ? undefined : fromPgText(totals.newest),
      importState: state.state,
      importStartedAt: state.startedAt,
      futureModified: Number(totals?.future ?? 0),
    };
  }

  /** End the connection pool; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Closing without finishing an import rolls its transaction back (as a killed process would).
    const s = this.session;
    this.session = undefined;
    if (s) {
      await s.client.query("ROLLBACK").catch(() => {});
      s.client.release(true);
    }
    if (this.owned) await this.pool.end();
  }
}

/** Split an advisory key at its first separator, encoded for PostgreSQL; undefined when it has none. */
function splitKey(key: string): { ecosystem: string; name: string } | undefined {
  const i = key.indexOf("\u0000");
  if (i < 0) return undefined;
  return { ecosystem: pgText(key.slice(0, i)), name: pgText(key.slice(i + 1)) };
}
