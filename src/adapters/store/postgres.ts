import { Buffer } from "node:buffer";
import type { Pool, PoolClient } from "pg";
import { PalisadeError } from "../../core/errors/index.js";
import { advisoryKey, type OsvRecord, splitEcosystem } from "../../core/vuln/index.js";
import { sortRecord } from "./memory.js";
import { type ImportBatchResult, recordKeys, type VulnDbStatus, type VulnStore } from "./vuln-store.js";

/** Schema version stored in `schema_version`; a schema with another version is refused rather than misread. */
export const PG_SCHEMA_VERSION = 1;

/** Schema used when neither the URL (`?schema=`) nor the options name one. */
export const DEFAULT_PG_SCHEMA = "palisade";

/** Records per INSERT statement: bounds one message's size; parameters stay at four arrays whatever the count. */
const RECORDS_PER_STATEMENT = 5_000;
/** Index rows per INSERT statement. */
const KEYS_PER_STATEMENT = 20_000;

// A plain lower-case identifier needs no quoting rules beyond double quotes, and cannot smuggle SQL.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PgVulnStoreOptions {
  /** Schema holding the tables (overrides `?schema=` in the URL); created when missing. */
  schema?: string;
  /** Most pooled connections (default 4: one importer or scanner rarely needs more). */
  maxConnections?: number;
}

/** Whether a `--db` value names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL with any password replaced, for messages and status output. */
export function redactDbUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparsable database URL>";
  }
}

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

  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly redactedUrl: string,
  ) {}

  /** Connect to `url` (`postgres://user@host:port/db?schema=name`), creating the schema and tables when needed. */
  static async open(url: string, opts: PgVulnStoreOptions = {}): Promise<PgVulnStore> {
    if (!isPostgresUrl(url))
      throw new PalisadeError("INPUT", "a PostgreSQL database URL starts with postgres:// or postgresql://");
    const redacted = redactDbUrl(url);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (e) {
      throw new PalisadeError("INPUT", "unparsable PostgreSQL database URL", {
        cause: e,
        context: { url: redacted },
      });
    }
    // `schema` is ours, not libpq's: take it out before pg reads the URL.
    const schema = opts.schema ?? parsed.searchParams.get("schema") ?? DEFAULT_PG_SCHEMA;
    parsed.searchParams.delete("schema");
    if (!SCHEMA_NAME.test(schema))
      throw new PalisadeError(
        "INPUT",
        `schema "${schema}" is not a plain lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)`,
        { context: { url: redacted } },
      );
    let PoolCtor: typeof Pool;
    try {
      PoolCtor = (await import("pg")).default.Pool;
    } catch (e) {
      throw new PalisadeError("IO", "the pg module could not be loaded", { cause: e });
    }
    const pool = new PoolCtor({ connectionString: parsed.toString(), max: opts.maxConnections ?? 4 });
    // An idle pooled connection that the server drops emits "error" on the pool; unhandled, that kills the
    // process. The next query on that pool fails with its own error instead.
    pool.on("error", () => {});
    const store = new PgVulnStore(pool, schema, redacted);
    try {
      await store.migrate();
    } catch (e) {
      await pool.end().catch(() => {});
      throw e;
    }
    return store;
  }

  /** Table name qualified with the (validated) schema. */
  private t(table: string): string {
    return `"${this.schema}".${table}`;
  }

  private fail(what: string, e: unknown): PalisadeError {
    if (e instanceof PalisadeError) return e;
    return new PalisadeError("IO", `${what}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      context: { url: this.redactedUrl },
    });
  }

  private async query<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (e) {
      throw this.fail("vulnerability database query failed", e);
    }
  }

  /** Run `fn` in one transaction on one pooled connection. */
  private async transaction<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.fail(`cannot connect to the vulnerability database (${what})`, e);
    }
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      client.release();
      return out;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      // Destroy rather than reuse a connection whose state is unknown.
      client.release(true);
      throw this.fail(what, e);
    }
  }

  private async migrate(): Promise<void> {
    // Fast path without DDL: scanners that may only read the shared database never need CREATE rights.
    let version: number | undefined;
    try {
      const rows = (await this.pool.query(`SELECT version FROM ${this.t("schema_version")}`)).rows as {
        version: number;
      }[];
      version = rows[0]?.version;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      // 42P01 undefined_table, 3F000 invalid_schema_name: not created yet. Anything else is a real failure.
      if (code !== "42P01" && code !== "3F000") throw this.fail("cannot open vulnerability database", e);
    }
    if (version === undefined) {
      version = await this.transaction("cannot create the vulnerability database schema", async (c) => {
        // Fleet members starting together would race on CREATE ... IF NOT EXISTS (which is not atomic in
        // PostgreSQL: concurrent creators can fail on the catalog's unique index); a transaction-scoped advisory
        // lock keyed by the schema name serialises them.
        await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`palisade.vuln-store:${this.schema}`]);
        await c.query(`
          CREATE SCHEMA IF NOT EXISTS "${this.schema}";
          CREATE TABLE IF NOT EXISTS ${this.t("schema_version")} (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            version integer NOT NULL
          );
          CREATE TABLE IF NOT EXISTS ${this.t("meta")} (
            key text COLLATE "C" PRIMARY KEY,
            value text NOT NULL
          );
          CREATE TABLE IF NOT EXISTS ${this.t("advisories")} (
            rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            modified text COLLATE "C" NOT NULL,
            ecosystems text[] NOT NULL,
            record text NOT NULL
          );
          CREATE TABLE IF NOT EXISTS ${this.t("affected")} (
            ecosystem text COLLATE "C" NOT NULL,
            name text COLLATE "C" NOT NULL,
            rid bigint NOT NULL REFERENCES ${this.t("advisories")} (rid) ON DELETE CASCADE,
            PRIMARY KEY (ecosystem, name, rid)
          );
          CREATE INDEX IF NOT EXISTS affected_by_advisory ON ${this.t("affected")} (rid);
        `);
        await c.query(
          `INSERT INTO ${this.t("schema_version")} (version) VALUES ($1) ON CONFLICT (singleton) DO NOTHING`,
          [PG_SCHEMA_VERSION],
        );
        const rows = (await c.query(`SELECT version FROM ${this.t("schema_version")}`)).rows as {
          version: number;
        }[];
        return rows[0]?.version;
      });
    }
    if (version !== PG_SCHEMA_VERSION)
      throw new PalisadeError(
        "UNSUPPORTED",
        `vulnerability database schema "${this.schema}" has version ${version}, not ${PG_SCHEMA_VERSION}`,
        { context: { url: this.redactedUrl } },
      );
  }

  async putRecords(records: readonly OsvRecord[]): Promise<ImportBatchResult> {
    const result = { written: 0, unchanged: 0 };
    if (records.length === 0) return result;
    return this.transaction("cannot write advisories", async (c) => {
      const ids = [...new Set(records.map((r) => pgText(r.id)))].sort();
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
      const rows = [...accepted].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (let i = 0; i < rows.length; i += RECORDS_PER_STATEMENT)
        await this.upsertChunk(c, rows.slice(i, i + RECORDS_PER_STATEMENT));
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
              [...new Set(r.affected.map((a) => pgText(splitEcosystem(a.package.ecosystem).base)))].sort(),
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
    // All keys in one statement, one primary-key range scan on `affected` per key. The LATERAL subquery with
    // OFFSET 0 is not flattened, so the planner cannot swap the per-key index probes for a hash join over the
    // whole table (which it prefers once a thousand keys meet a few hundred thousand rows).
    const rows = await this.query<{ i: number; rid: string; record: string }>(
      `SELECT k.i::int AS i, a.rid, a.record
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(ecosystem, name, i)
       CROSS JOIN LATERAL (
         SELECT f.rid FROM ${this.t("affected")} f
         WHERE f.ecosystem = k.ecosystem AND f.name = k.name OFFSET 0
       ) f
       JOIN ${this.t("advisories")} a ON a.rid = f.rid
       ORDER BY k.i, a.id`,
      [ecosystems, names],
    );
    const parsed = new Map<string, OsvRecord>();
    for (const row of rows) {
      // A record indexed under several keys is parsed once per lookup call.
      let r = parsed.get(row.rid);
      if (!r) {
        r = JSON.parse(row.record) as OsvRecord;
        parsed.set(row.rid, r);
      }
      const key = distinct[row.i - 1] as string;
      const list = out.get(key);
      if (list) list.push(r);
      else out.set(key, [r]);
    }
    return out;
  }

  async markImported(at: string): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t("meta")} (key, value) VALUES ('imported_at', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [pgText(at)],
    );
  }

  async status(): Promise<VulnDbStatus> {
    const [totals] = await this.query<{
      advisories: string;
      packages: string;
      newest: string | null;
      imported_at: string | null;
    }>(
      `SELECT (SELECT count(*) FROM ${this.t("advisories")}) AS advisories,
              (SELECT count(*) FROM (SELECT DISTINCT ecosystem, name FROM ${this.t("affected")}) d) AS packages,
              (SELECT max(modified) FROM ${this.t("advisories")}) AS newest,
              (SELECT value FROM ${this.t("meta")} WHERE key = 'imported_at') AS imported_at`,
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
      importedAt: totals?.imported_at == null ? undefined : fromPgText(totals.imported_at),
      newestModified: totals?.newest == null ? undefined : fromPgText(totals.newest),
    };
  }

  /** End the connection pool; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** Split an advisory key at its first separator, encoded for PostgreSQL; undefined when it has none. */
function splitKey(key: string): { ecosystem: string; name: string } | undefined {
  const i = key.indexOf("\u0000");
  if (i < 0) return undefined;
  return { ecosystem: pgText(key.slice(0, i)), name: pgText(key.slice(i + 1)) };
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * A string as PostgreSQL stores it. NUL becomes U+0001 U+0001 and U+0001 becomes U+0001 U+0002: a prefix-free
 * code whose first unit sorts below every other character, so the encoding is injective and keeps byte order
 * (ordering by id and `max(modified)` agree with the SQLite store). Strings without either character, all real
 * ones, are stored unchanged. Unpaired surrogates become U+FFFD here, as the UTF-8 wire encoding would make them.
 */
export function pgText(s: string): string {
  let out = s;
  if (out.includes("\u0000") || out.includes("\u0001"))
    out = out.replaceAll("\u0001", "\u0001\u0002").replaceAll("\u0000", "\u0001\u0001");
  if (SURROGATE.test(out)) out = Buffer.from(out, "utf8").toString("utf8");
  return out;
}

/** Inverse of {@link pgText} (except for unpaired surrogates, which are gone). */
export function fromPgText(s: string): string {
  if (!s.includes("\u0001")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "\u0001") {
      out += s[i + 1] === "\u0001" ? "\u0000" : "\u0001";
      i++;
    } else out += ch;
  }
  return out;
}
