/**
 * One PostgreSQL database schema as every store of a bundle uses it: a connection pool, the (validated) schema
 * name, the URL with its password redacted for messages, and the lock wait writers use.
 */
import type { Pool, PoolClient } from "pg";
import { PalisadeError } from "../../../core/errors/index.js";
import { DEFAULT_LOCK_TIMEOUT_MS } from "../sqlite/connection.js";
import { migratePg } from "./migrations.js";

/** Schema used when neither the URL (`?schema=`) nor the options name one. */
export const DEFAULT_PG_SCHEMA = "palisade";

// A plain lower-case identifier needs no quoting rules beyond double quotes, and cannot smuggle SQL.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PgConnectionOptions {
  /** Schema holding the tables (overrides `?schema=` in the URL); created when missing. */
  schema?: string | undefined;
  /** Most pooled connections (default 4: one importer or scanner rarely needs more). */
  maxConnections?: number | undefined;
  /** How long a writer waits for another (an import, a remediation update) before failing (default 120 s). */
  lockTimeoutMs?: number | undefined;
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

export class PgConnection {
  constructor(
    readonly pool: Pool,
    readonly schema: string,
    readonly redactedUrl: string,
    readonly lockTimeoutMs: number,
  ) {}

  /** Table name qualified with the (validated) schema. */
  t(table: string): string {
    return `"${this.schema}".${table}`;
  }

  fail(what: string, e: unknown): PalisadeError {
    if (e instanceof PalisadeError) return e;
    if ((e as { code?: unknown })?.code === "55P03")
      return new PalisadeError(
        "IO",
        `${what}: another writer holds the lock; gave up after waiting ${Number((this.lockTimeoutMs / 1000).toFixed(1))} s: retry when it has finished, or wait longer with --lock-timeout SECONDS`,
        { cause: e, context: { url: this.redactedUrl } },
      );
    return new PalisadeError("IO", `${what}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      context: { url: this.redactedUrl },
    });
  }

  async query<R>(sql: string, params: unknown[] = [], what = "database query failed"): Promise<R[]> {
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (e) {
      throw this.fail(what, e);
    }
  }

  /** Run `fn` in one transaction on one pooled connection. */
  async transaction<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.fail(`cannot connect to the database (${what})`, e);
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

  /**
   * Run `fn` in a transaction holding the advisory lock `name` of this schema (waiting up to the lock timeout):
   * writers of one kind serialise across connections and processes; the lock ends with the transaction.
   */
  async locked<T>(what: string, name: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction(what, async (c) => {
      await c.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(this.lockTimeoutMs))}`);
      await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`palisade.${name}:${this.schema}`]);
      await c.query("SET LOCAL lock_timeout = 0");
      return fn(c);
    });
  }

  /**
   * Move the store revision (Stores.revision) inside `c`'s transaction: once per transaction that changes what the
   * server's cached answers read, as its last statement, so the move commits (or rolls back) with what it marks
   * and the row lock it takes (concurrent writers serialise on it) is held only until that commit.
   */
  async bumpRevision(c: PoolClient): Promise<void> {
    await c.query(`UPDATE ${this.t("store_revision")} SET revision = revision + 1 WHERE id = 1`);
  }

  /** The store revision, as text. */
  async revision(): Promise<string> {
    const rows = await this.query<{ revision: string }>(
      `SELECT revision::text AS revision FROM ${this.t("store_revision")} WHERE id = 1`,
      [],
      "cannot read the store revision",
    );
    return rows[0]?.revision ?? "0";
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Connect to `url` (`postgres://user@host:port/db?schema=name`) and bring the schema to this version's
 * (creating it when missing).
 */
export async function openPgConnection(url: string, opts: PgConnectionOptions = {}): Promise<PgConnection> {
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
  const conn = new PgConnection(pool, schema, redacted, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  try {
    await migratePg(conn);
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
  return conn;
}
