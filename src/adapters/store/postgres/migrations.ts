/**
 * The PostgreSQL schema, as numbered migrations (see ../schema.ts). Version 1 is the schema Palisade created before
 * migrations existed (`schema_version` = 1): written with IF NOT EXISTS, it adopts such a schema in place, and the
 * `schema_version` row stays, so the Palisade that made it can still read it. Text columns use the "C" collation:
 * ordering is byte order, as in SQLite, whatever the database's locale.
 */
import type { PoolClient } from "pg";
import { PalisadeError } from "../../../core/errors/index.js";
import { latestVersion, type Migration, pending, SchemaTooNewError } from "../schema.js";
import type { PgConnection } from "./connection.js";

type Up = (c: PoolClient, t: (table: string) => string, conn: PgConnection) => Promise<void>;

/** The version the pre-migration `schema_version` table holds. */
const LEGACY_VERSION = 1;

export const PG_MIGRATIONS: readonly Migration<Up>[] = [
  {
    version: 1,
    name: "advisories",
    up: async (c, t, conn) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("schema_version")} (
          singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
          version integer NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${t("meta")} (
          key text COLLATE "C" PRIMARY KEY,
          value text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${t("advisories")} (
          rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id text COLLATE "C" NOT NULL UNIQUE,
          modified text COLLATE "C" NOT NULL,
          ecosystems text[] NOT NULL,
          record text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${t("affected")} (
          ecosystem text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          rid bigint NOT NULL REFERENCES ${t("advisories")} (rid) ON DELETE CASCADE,
          PRIMARY KEY (ecosystem, name, rid)
        );
        CREATE INDEX IF NOT EXISTS affected_by_advisory ON ${t("affected")} (rid);
      `);
      await c.query(
        `INSERT INTO ${t("schema_version")} (version) VALUES ($1) ON CONFLICT (singleton) DO NOTHING`,
        [LEGACY_VERSION],
      );
      const v = (await c.query(`SELECT version FROM ${t("schema_version")}`)).rows[0]?.version as number;
      if (v !== LEGACY_VERSION) throw legacyRefused(conn, v);
    },
  },
  {
    version: 2,
    name: "known images and remediation records",
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("known_images")} (
          digest text COLLATE "C" PRIMARY KEY,
          platform text COLLATE "C" NOT NULL,
          first_seen text COLLATE "C" NOT NULL,
          last_seen text COLLATE "C" NOT NULL,
          image text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${t("known_image_refs")} (
          ref text COLLATE "C" NOT NULL,
          digest text COLLATE "C" NOT NULL,
          PRIMARY KEY (ref, digest)
        );
        CREATE TABLE IF NOT EXISTS ${t("remediation_records")} (
          key text COLLATE "C" PRIMARY KEY,
          state text NOT NULL,
          updated_at text NOT NULL,
          record text NOT NULL
        );
      `);
    },
  },
  {
    version: 3,
    name: "inventory snapshots",
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("inventory_snapshots")} (
          cluster text COLLATE "C" NOT NULL,
          observed_at text COLLATE "C" NOT NULL,
          scope text NOT NULL,
          PRIMARY KEY (cluster, observed_at)
        );
        CREATE TABLE IF NOT EXISTS ${t("object_versions")} (
          vid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          cluster text COLLATE "C" NOT NULL,
          key text COLLATE "C" NOT NULL,
          uid text,
          hash text NOT NULL,
          object text NOT NULL,
          valid_from text COLLATE "C" NOT NULL,
          valid_to text COLLATE "C"
        );
        CREATE INDEX IF NOT EXISTS object_versions_by_key ON ${t("object_versions")} (cluster, key, valid_from);
        CREATE INDEX IF NOT EXISTS object_versions_current ON ${t("object_versions")} (cluster, key) WHERE valid_to IS NULL;
      `);
    },
  },
  {
    version: 4,
    name: "findings",
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("findings")} (
          cluster text COLLATE "C" NOT NULL,
          id text COLLATE "C" NOT NULL,
          rule_id text COLLATE "C" NOT NULL,
          severity text COLLATE "C" NOT NULL,
          namespace text COLLATE "C",
          first_seen text COLLATE "C" NOT NULL,
          last_seen text COLLATE "C" NOT NULL,
          resolved_at text COLLATE "C",
          finding text NOT NULL,
          PRIMARY KEY (cluster, id)
        );
      `);
    },
  },
  {
    version: 5,
    name: "audit log",
    up: async (c, t, conn) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("audit_log")} (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          at text COLLATE "C" NOT NULL,
          actor text NOT NULL,
          action text NOT NULL,
          subject text NOT NULL,
          details text NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_log_by_time ON ${t("audit_log")} (at, seq);
        -- Append-only: rows are never changed or removed through the database either.
        CREATE OR REPLACE FUNCTION "${conn.schema}".audit_log_append_only() RETURNS trigger
          LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
        DROP TRIGGER IF EXISTS audit_log_append_only ON ${t("audit_log")};
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ${t("audit_log")}
          FOR EACH ROW EXECUTE FUNCTION "${conn.schema}".audit_log_append_only();
      `);
    },
  },
  {
    version: 6,
    name: "api tokens",
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("api_tokens")} (
          id text COLLATE "C" PRIMARY KEY,
          digest text NOT NULL UNIQUE,
          role text NOT NULL,
          team text,
          created_at text NOT NULL
        );
      `);
    },
  },
  {
    version: 7,
    name: "finding teams and exceptions",
    up: async (c, t) => {
      await c.query(`
        ALTER TABLE ${t("findings")} ADD COLUMN IF NOT EXISTS team text COLLATE "C";
        UPDATE ${t("findings")} SET team = (finding::jsonb)->>'team';
        CREATE INDEX IF NOT EXISTS findings_by_team ON ${t("findings")} (team, cluster, id);
        CREATE TABLE IF NOT EXISTS ${t("exceptions")} (
          id text COLLATE "C" PRIMARY KEY,
          created_by text NOT NULL,
          created_at text NOT NULL,
          clusters text,
          exception text NOT NULL
        );
      `);
    },
  },
  {
    version: 8,
    name: "runtime baselines",
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("runtime_baselines")} (
          key text COLLATE "C" PRIMARY KEY,
          body text NOT NULL,
          updated_at text NOT NULL
        );
      `);
    },
  },
  {
    version: 9,
    name: "image tag history",
    // Tags already known start their history at the first sighting of the image they name now.
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("image_tag_history")} (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          ref text COLLATE "C" NOT NULL,
          platform text COLLATE "C" NOT NULL,
          digest text COLLATE "C" NOT NULL,
          at text NOT NULL
        );
        CREATE INDEX IF NOT EXISTS image_tag_history_by_ref ON ${t("image_tag_history")} (ref, platform, seq);
        INSERT INTO ${t("image_tag_history")} (ref, platform, digest, at)
          SELECT r.ref, i.platform, r.digest, i.first_seen FROM ${t("known_image_refs")} r
          JOIN ${t("known_images")} i USING (digest)
          WHERE strpos(r.ref, '@') = 0 ORDER BY r.ref, i.platform, i.first_seen;
      `);
    },
  },
  {
    version: 10,
    name: "runtime alerts",
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("runtime_alerts")} (
          cluster text COLLATE "C" NOT NULL,
          rule_id text COLLATE "C" NOT NULL,
          key text COLLATE "C" NOT NULL,
          severity text NOT NULL,
          namespace text COLLATE "C",
          team text COLLATE "C",
          first_seen text NOT NULL,
          last_seen text NOT NULL,
          count bigint NOT NULL,
          updated_at text NOT NULL,
          alert text NOT NULL,
          PRIMARY KEY (cluster, rule_id, key)
        );
        CREATE INDEX IF NOT EXISTS runtime_alerts_by_team ON ${t("runtime_alerts")} (team, cluster, rule_id, key);
      `);
    },
  },
  {
    version: 11,
    name: "admission decisions",
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("admission_decisions")} (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          at text NOT NULL,
          uid text COLLATE "C" NOT NULL,
          endpoint text NOT NULL,
          allowed integer NOT NULL,
          evaluated text NOT NULL,
          operation text NOT NULL,
          kind text COLLATE "C" NOT NULL,
          namespace text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          username text COLLATE "C" NOT NULL,
          rules text COLLATE "C" NOT NULL,
          details text NOT NULL
        );
        CREATE INDEX IF NOT EXISTS admission_decisions_by_at ON ${t("admission_decisions")} (at);
        CREATE INDEX IF NOT EXISTS admission_decisions_by_namespace ON ${t("admission_decisions")} (namespace, seq);
      `);
    },
  },
  {
    version: 12,
    name: "exception revocations",
    up: async (c, t) => {
      await c.query(`ALTER TABLE ${t("exceptions")} ADD COLUMN IF NOT EXISTS revoked text`);
    },
  },
  {
    version: 13,
    name: "runtime baselines per cluster",
    // Rows stored before belong to no known cluster: they become the local book ("").
    up: async (c, t) => {
      await c.query(`
        ALTER TABLE ${t("runtime_baselines")} ADD COLUMN IF NOT EXISTS cluster text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE ${t("runtime_baselines")} DROP CONSTRAINT IF EXISTS runtime_baselines_pkey;
        ALTER TABLE ${t("runtime_baselines")} ADD PRIMARY KEY (cluster, key);
      `);
    },
  },
  {
    version: 14,
    name: "finding lookups by namespace and by id",
    // `?namespace=` and `GET /findings/{id}` without a cluster read every finding: each is an index range now,
    // in the order pages are read (cluster, id).
    up: async (c, t) => {
      await c.query(`
        CREATE INDEX IF NOT EXISTS findings_by_namespace ON ${t("findings")} (namespace, cluster, id);
        CREATE INDEX IF NOT EXISTS findings_by_id ON ${t("findings")} (id, cluster);
      `);
    },
  },
  {
    version: 15,
    name: "findings written only when they change",
    // Every evaluation rewrote every open finding to move its last_seen (a dead tuple and its index entries per
    // finding per snapshot). An open finding's last_seen is now its cluster's latest evaluation
    // (finding_evaluations); a row is written when a finding appears, changes (digest of its JSON) or resolves.
    // Rows stored before have no digest: each is rewritten once, by the next evaluation that reports it.
    up: async (c, t) => {
      await c.query(`
        ALTER TABLE ${t("findings")} ADD COLUMN IF NOT EXISTS digest text COLLATE "C";
        CREATE TABLE IF NOT EXISTS ${t("finding_evaluations")} (
          cluster text COLLATE "C" PRIMARY KEY,
          evaluated_at text COLLATE "C" NOT NULL
        );
        INSERT INTO ${t("finding_evaluations")} (cluster, evaluated_at)
          SELECT cluster, max(last_seen) FROM ${t("findings")} GROUP BY cluster
          ON CONFLICT (cluster) DO NOTHING;
      `);
    },
  },
  {
    version: 16,
    name: "admission decisions per cluster",
    // Webhooks of several clusters may record into one database: each decision names its cluster (`admission
    // serve --cluster`); those recorded before named none ("").
    up: async (c, t) => {
      await c.query(`
        ALTER TABLE ${t("admission_decisions")} ADD COLUMN IF NOT EXISTS cluster text COLLATE "C" NOT NULL DEFAULT '';
        CREATE INDEX IF NOT EXISTS admission_decisions_by_cluster ON ${t("admission_decisions")} (cluster, seq);
      `);
    },
  },
  {
    version: 17,
    name: "store revision",
    // One row, moved once by each write transaction that changes what the server's cached answers read
    // (Stores.revision), whichever replica or process commits it: every server keys its answers on it. Admission
    // decisions, written many times a second by `admission serve`, do not move it.
    up: async (c, t) => {
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${t("store_revision")} (
          id integer PRIMARY KEY CHECK (id = 1),
          revision bigint NOT NULL
        );
        INSERT INTO ${t("store_revision")} (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
      `);
    },
  },
];

export const PG_SCHEMA_VERSION = latestVersion(PG_MIGRATIONS);

function legacyRefused(conn: PgConnection, v: unknown): PalisadeError {
  return new PalisadeError(
    "UNSUPPORTED",
    `vulnerability database schema "${conn.schema}" has version ${String(v)}, not ${LEGACY_VERSION}`,
    { context: { url: conn.redactedUrl } },
  );
}

/**
 * Bring the schema to {@link PG_SCHEMA_VERSION}. Up to date (the common case): two reads, no DDL, so scanners that
 * may only read the shared database never need CREATE rights. Otherwise the pending migrations run in one
 * transaction under a transaction-scoped advisory lock keyed by the schema name (fleet members starting together
 * would otherwise race on CREATE ... IF NOT EXISTS, which is not atomic in PostgreSQL). A schema that recorded a
 * newer version is refused ({@link SchemaTooNewError}).
 */
export async function migratePg(
  conn: PgConnection,
  list: readonly Migration<Up>[] = PG_MIGRATIONS,
): Promise<void> {
  const latest = latestVersion(list);
  const t = (table: string) => conn.t(table);
  const check = (v: number): boolean => {
    if (v > latest)
      throw new SchemaTooNewError(`database schema "${conn.schema}"`, v, latest, { url: conn.redactedUrl });
    return v === latest;
  };
  let applied: number | undefined;
  try {
    const rows = (
      await conn.pool.query(
        `SELECT (SELECT max(version) FROM ${t("schema_migrations")}) AS v, (SELECT version FROM ${t("schema_version")}) AS legacy`,
      )
    ).rows as { v: number | null; legacy: number | null }[];
    if (rows[0]?.legacy != null && rows[0].legacy !== LEGACY_VERSION)
      throw legacyRefused(conn, rows[0].legacy);
    applied = rows[0]?.v ?? 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    // 42P01 undefined_table, 3F000 invalid_schema_name: not created (or not migrated) yet.
    if (code !== "42P01" && code !== "3F000") throw conn.fail("cannot open database", e);
  }
  if (applied !== undefined && check(applied)) return;
  await conn.transaction("cannot create or migrate the database schema", async (c) => {
    // The same key the pre-migration code locked on: an older Palisade creating its tables waits for this.
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`palisade.vuln-store:${conn.schema}`]);
    await c.query(`
      CREATE SCHEMA IF NOT EXISTS "${conn.schema}";
      CREATE TABLE IF NOT EXISTS ${t("schema_migrations")} (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
    `);
    const v =
      ((await c.query(`SELECT max(version) AS v FROM ${t("schema_migrations")}`)).rows[0]?.v as
        | number
        | null) ?? 0;
    if (check(v)) return;
    for (const m of pending(list, v)) {
      await m.up(c, t, conn);
      await c.query(`INSERT INTO ${t("schema_migrations")} (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
    }
  });
}
