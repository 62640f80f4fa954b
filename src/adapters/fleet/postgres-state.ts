/**
 * {@link ClusterStateStore} on PostgreSQL: one row per (cluster, uid) in `<schema>.fleet_objects`. The rule of
 * core/deltas is one statement per batch, `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE ... WHERE
 * stored < new`, so it holds under concurrent replicas too: the row lock serialises writers and the WHERE sees the
 * committed row.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import {
  DEFAULT_STATE_PAGE,
  newestPerObject,
  type ObjectDelta,
  type ObjectStateRow,
} from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { cmp } from "../../core/findings/index.js";
import type { ApplyResult, ClusterStateStore } from "./ports.js";

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Serialialisation failures and deadlocks: the transaction is retried (it changed nothing). */
const RETRYABLE = new Set(["40001", "40P01"]);

export interface PgClusterStateOptions {
  /** Schema of the table (created when missing); default `?schema=` of the URL, else "palisade". */
  schema?: string | undefined;
  maxConnections?: number | undefined;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparsable database URL>";
  }
}

/** Open (and create when missing) the fleet object state in the PostgreSQL database at `url`. */
export async function openPgClusterState(
  url: string,
  options: PgClusterStateOptions = {},
): Promise<ClusterStateStore> {
  // `?schema=` is ours (as for the other stores), not libpq's: taken out before pg reads the URL.
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const schema = options.schema ?? parsed?.searchParams.get("schema") ?? "palisade";
  parsed?.searchParams.delete("schema");
  const connectionString = parsed?.toString() ?? url;
  if (!SCHEMA_NAME.test(schema))
    throw new PalisadeError(
      "INPUT",
      `schema ${JSON.stringify(schema)} is not a plain lower-case identifier`,
      {
        context: { field: "schema" },
      },
    );
  const where = redact(url);
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 4 });
  // A restarted server drops its connections: the pool must not crash the process for it. An idle client's error
  // reaches the pool; a checked-out one's reaches the client itself, so every client gets a listener too (the
  // failure then surfaces as the rejected query, and the broken client is released with release(true)).
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const t = `"${schema}".fleet_objects`;
  const fail = (what: string, e: unknown) =>
    e instanceof PalisadeError
      ? e
      : new PalisadeError("IO", `${what} (${where}): ${(e as Error).message}`, {
          cause: e,
          context: { url: where },
        });
  try {
    const c = await pool.connect();
    try {
      await c.query("BEGIN");
      // Two replicas starting together must not race on CREATE (a unique violation in the catalog).
      await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`palisade-fleet:${schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${t} (
        cluster text NOT NULL,
        uid text NOT NULL,
        api_version text NOT NULL,
        kind text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        resource_version numeric(40, 0) NOT NULL,
        deleted boolean NOT NULL,
        object jsonb,
        PRIMARY KEY (cluster, uid))`);
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  } catch (e) {
    await pool.end().catch(() => {});
    throw fail("fleet state: creating the table", e);
  }

  const applySql = `INSERT INTO ${t} AS o (cluster, uid, api_version, kind, namespace, name, resource_version, deleted, object)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[],
      $8::boolean[], $9::jsonb[])
    ON CONFLICT (cluster, uid) DO UPDATE SET api_version = EXCLUDED.api_version, kind = EXCLUDED.kind,
      namespace = EXCLUDED.namespace, name = EXCLUDED.name, resource_version = EXCLUDED.resource_version,
      deleted = EXCLUDED.deleted, object = EXCLUDED.object
    WHERE o.resource_version < EXCLUDED.resource_version
    RETURNING o.cluster`;
  // Prepared statement names are per connection and at most 63 bytes; the schema is in the text.
  const statementName = `palisade_fleet_apply_${createHash("sha256").update(schema).digest("hex").slice(0, 16)}`;

  const columns =
    "cluster, uid, api_version, kind, namespace, name, resource_version::text AS rv, deleted, object";
  const read = async (cluster: string, live: boolean): Promise<ObjectStateRow[]> => {
    try {
      const r = await pool.query(
        `SELECT ${columns}
           FROM ${t} WHERE cluster = $1 ${live ? "AND NOT deleted" : ""}
           ORDER BY api_version COLLATE "C", kind COLLATE "C", namespace COLLATE "C", name COLLATE "C", uid COLLATE "C"`,
        [cluster],
      );
      return r.rows.map(toRow);
    } catch (e) {
      throw fail("fleet state: reading", e);
    }
  };
  // Keyset pages in the primary key's own order (the column's collation, not "C"), so each page is an index range.
  const pageSql = `SELECT ${columns} FROM ${t} WHERE cluster = $1 AND NOT deleted AND uid > $2 ORDER BY uid LIMIT $3`;
  // Evaluations of one cluster by several replicas: a session lock, two keys (this schema, the cluster).
  const lockSpace = `palisade-fleet-eval:${schema}`;

  return {
    async apply(deltas: readonly ObjectDelta[]): Promise<ApplyResult> {
      const batch = newestPerObject(deltas);
      if (batch.length === 0) return { applied: 0, ignored: deltas.length, clusters: [] };
      // One statement per batch (the rows as arrays, unnested), prepared once per connection: a statement per
      // delta cost a round trip each, and a single statement needs no BEGIN/COMMIT to be all or nothing. The rows
      // are in newestPerObject's order, so concurrent replicas lock them in one order; of several deltas of one
      // object only the newest is left, as one statement may not touch a row twice.
      const values = [
        batch.map((d) => d.cluster),
        batch.map((d) => d.uid),
        batch.map((d) => d.key.apiVersion),
        batch.map((d) => d.key.kind),
        batch.map((d) => d.key.namespace ?? ""),
        batch.map((d) => d.key.name),
        batch.map((d) => d.resourceVersion),
        batch.map((d) => d.op === "delete"),
        batch.map((d) => (d.op === "delete" ? null : JSON.stringify(d.object ?? null))),
      ];
      for (let attempt = 1; ; attempt++) {
        try {
          // A client whose query failed is discarded by the pool, not reused (it may be broken).
          const r = await pool.query<{ cluster: string }>({ name: statementName, text: applySql, values });
          const applied = r.rowCount ?? 0;
          const clusters = [...new Set(r.rows.map((x) => x.cluster))].sort(cmp);
          return { applied, ignored: deltas.length - applied, clusters };
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          if (typeof code === "string" && RETRYABLE.has(code) && attempt < 5) continue;
          throw fail("fleet state: applying deltas", e);
        }
      }
    },
    objects: (cluster) => read(cluster, true),
    rows: (cluster) => read(cluster, false),
    async *livePages(cluster, pageSize = DEFAULT_STATE_PAGE) {
      const size = Math.max(1, pageSize);
      let after = "";
      for (;;) {
        let rows: ObjectStateRow[];
        try {
          rows = (await pool.query(pageSql, [cluster, after, size])).rows.map(toRow);
        } catch (e) {
          throw fail("fleet state: reading", e);
        }
        if (rows.length === 0) return;
        yield rows;
        if (rows.length < size) return;
        after = (rows[rows.length - 1] as ObjectStateRow).uid;
      }
    },
    async clusters() {
      try {
        const r = await pool.query<{ cluster: string }>(`SELECT DISTINCT cluster FROM ${t}`);
        return r.rows.map((x) => x.cluster).sort(cmp);
      } catch (e) {
        throw fail("fleet state: reading", e);
      }
    },
    async tryExclusive<T>(name: string, fn: () => Promise<T>) {
      let c: pg.PoolClient;
      try {
        c = await pool.connect();
      } catch (e) {
        throw fail("fleet state: locking", e);
      }
      let broken: Error | undefined;
      try {
        let got: boolean;
        try {
          const r = await c.query<{ ok: boolean }>(
            "SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS ok",
            [lockSpace, name],
          );
          got = r.rows[0]?.ok === true;
        } catch (e) {
          broken = e as Error;
          throw fail("fleet state: locking", e);
        }
        if (!got) return { ran: false as const };
        try {
          return { ran: true as const, value: await fn() };
        } finally {
          await c
            .query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [lockSpace, name])
            .catch((e: Error) => {
              // A session that lost its connection lost its locks with it: the client is discarded below.
              broken = e;
            });
        }
      } finally {
        c.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

function toRow(x: Record<string, unknown>): ObjectStateRow {
  return {
    cluster: x.cluster as string,
    uid: x.uid as string,
    key: {
      apiVersion: x.api_version as string,
      kind: x.kind as string,
      ...(x.namespace !== "" ? { namespace: x.namespace as string } : {}),
      name: x.name as string,
    },
    resourceVersion: x.rv as string,
    deleted: x.deleted as boolean,
    object: x.object ?? null,
  };
}
