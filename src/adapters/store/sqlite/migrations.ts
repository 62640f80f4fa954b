/**
 * The SQLite schema, as numbered migrations (see ../schema.ts). Versions 1 and 2 are the tables Palisade created
 * before migrations existed (the vulnerability tables with `meta.schema_version` "2", the lineage tables with
 * `lineage_schema.version` "1"): written with IF NOT EXISTS, they adopt such a file in place, and they keep those
 * markers, so the file stays readable by the Palisade that made it.
 */
import { PalisadeError } from "../../../core/errors/index.js";
import { latestVersion, type Migration, pending, SchemaTooNewError } from "../schema.js";
import type { SqliteDatabase } from "./connection.js";

type Up = (db: SqliteDatabase, file: string) => void;

/** Refuse a legacy marker with another value than the one these tables were made with. */
function legacyMarker(
  db: SqliteDatabase,
  file: string,
  table: string,
  key: string,
  expected: string,
  what: string,
) {
  const row = db.prepare(`SELECT value FROM ${table} WHERE key = ?`).get(key) as
    | { value: string }
    | undefined;
  if (!row) db.prepare(`INSERT INTO ${table} (key, value) VALUES (?, ?)`).run(key, expected);
  else if (row.value !== expected)
    throw new PalisadeError(
      "UNSUPPORTED",
      `${what} have schema ${row.value}, this Palisade reads ${expected}`,
      {
        context: { file },
      },
    );
}

export const SQLITE_MIGRATIONS: readonly Migration<Up>[] = [
  {
    version: 1,
    name: "advisories",
    up: (db, file) => {
      db.exec(`
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
`);
      legacyMarker(db, file, "meta", "schema_version", "2", "vulnerability tables");
    },
  },
  {
    version: 2,
    name: "known images and remediation records",
    up: (db, file) => {
      db.exec(`
CREATE TABLE IF NOT EXISTS lineage_schema (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS known_images (
  digest TEXT PRIMARY KEY,
  platform TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  image TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS known_image_refs (
  ref TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (ref, digest)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS remediation_records (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL
) WITHOUT ROWID;
`);
      legacyMarker(db, file, "lineage_schema", "version", "1", "lineage tables");
    },
  },
  {
    version: 3,
    name: "inventory snapshots",
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS inventory_snapshots (
  cluster TEXT NOT NULL,
  observed_at TEXT NOT NULL,
  scope TEXT NOT NULL,
  PRIMARY KEY (cluster, observed_at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_versions (
  vid INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  key TEXT NOT NULL,
  uid TEXT,
  hash TEXT NOT NULL,
  object TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT
);
CREATE INDEX IF NOT EXISTS object_versions_by_key ON object_versions (cluster, key, valid_from);
CREATE INDEX IF NOT EXISTS object_versions_current ON object_versions (cluster, key) WHERE valid_to IS NULL;
`),
  },
  {
    version: 4,
    name: "findings",
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS findings (
  cluster TEXT NOT NULL,
  id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  namespace TEXT,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  resolved_at TEXT,
  finding TEXT NOT NULL,
  PRIMARY KEY (cluster, id)
) WITHOUT ROWID;
`),
  },
  {
    version: 5,
    name: "audit log",
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (at, seq);
`),
  },
  {
    version: 6,
    name: "api tokens",
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  team TEXT,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
`),
  },
  {
    version: 7,
    name: "finding teams and exceptions",
    // The team is a column (filled from the stored findings) so a team's page is an index range, not a scan.
    up: (db) =>
      db.exec(`
ALTER TABLE findings ADD COLUMN team TEXT;
UPDATE findings SET team = json_extract(finding, '$.team');
CREATE INDEX IF NOT EXISTS findings_by_team ON findings (team, cluster, id);
CREATE TABLE IF NOT EXISTS exceptions (
  id TEXT PRIMARY KEY,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  clusters TEXT,
  exception TEXT NOT NULL
) WITHOUT ROWID;
`),
  },
  {
    version: 8,
    name: "runtime baselines",
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS runtime_baselines (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
`),
  },
  {
    version: 9,
    name: "image tag history",
    // Tags already known start their history at the first sighting of the image they name now.
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS image_tag_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ref TEXT NOT NULL,
  platform TEXT NOT NULL,
  digest TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS image_tag_history_by_ref ON image_tag_history (ref, platform, seq);
INSERT INTO image_tag_history (ref, platform, digest, at)
  SELECT r.ref, i.platform, r.digest, i.first_seen FROM known_image_refs r JOIN known_images i USING (digest)
  WHERE instr(r.ref, '@') = 0 ORDER BY r.ref, i.platform, i.first_seen;
`),
  },
  {
    version: 10,
    name: "findings in a rowid table",
    // A finding's JSON is a kilobyte or more: stored inside a WITHOUT ROWID primary-key tree (as before), every
    // insert moved such rows between pages, and a 200k-finding evaluation took twice as long. The key stays unique.
    up: (db) =>
      db.exec(`
CREATE TABLE findings_v10 (
  fid INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  namespace TEXT,
  team TEXT,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  resolved_at TEXT,
  finding TEXT NOT NULL,
  UNIQUE (cluster, id)
);
INSERT INTO findings_v10 (cluster, id, rule_id, severity, namespace, team, first_seen, last_seen, resolved_at, finding)
  SELECT cluster, id, rule_id, severity, namespace, team, first_seen, last_seen, resolved_at, finding FROM findings
  ORDER BY cluster, id;
DROP TABLE findings;
ALTER TABLE findings_v10 RENAME TO findings;
CREATE INDEX IF NOT EXISTS findings_by_team ON findings (team, cluster, id);
`),
  },
  {
    version: 11,
    name: "runtime alerts",
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS runtime_alerts (
  cluster TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  key TEXT NOT NULL,
  severity TEXT NOT NULL,
  namespace TEXT,
  team TEXT,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  count INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  alert TEXT NOT NULL,
  PRIMARY KEY (cluster, rule_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runtime_alerts_by_team ON runtime_alerts (team, cluster, rule_id, key);
`),
  },
  {
    version: 12,
    name: "admission decisions",
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS admission_decisions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  uid TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  evaluated TEXT NOT NULL,
  operation TEXT NOT NULL,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  username TEXT NOT NULL,
  rules TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS admission_decisions_by_at ON admission_decisions (at);
CREATE INDEX IF NOT EXISTS admission_decisions_by_namespace ON admission_decisions (namespace, seq);
`),
  },
  {
    version: 13,
    name: "exception revocations",
    up: (db) => db.exec("ALTER TABLE exceptions ADD COLUMN revoked TEXT;"),
  },
  {
    version: 14,
    name: "runtime baselines per cluster",
    // The server learned one baseline per namespace/kind/name whatever the cluster, so two clusters with the same
    // workload shared it. Rows stored before belong to no known cluster: they become the local book ("").
    up: (db) =>
      db.exec(`
CREATE TABLE runtime_baselines_by_cluster (
  cluster TEXT NOT NULL,
  key TEXT NOT NULL,
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (cluster, key)
) WITHOUT ROWID;
INSERT INTO runtime_baselines_by_cluster (cluster, key, body, updated_at)
  SELECT '', key, body, updated_at FROM runtime_baselines;
DROP TABLE runtime_baselines;
ALTER TABLE runtime_baselines_by_cluster RENAME TO runtime_baselines;
`),
  },
  {
    version: 15,
    name: "finding lookups by namespace and by id",
    // `?namespace=` and `GET /findings/{id}` without a cluster scanned every finding: each is an index range now,
    // in the order pages are read (cluster, id).
    up: (db) =>
      db.exec(`
CREATE INDEX IF NOT EXISTS findings_by_namespace ON findings (namespace, cluster, id);
CREATE INDEX IF NOT EXISTS findings_by_id ON findings (id, cluster);
`),
  },
  {
    version: 16,
    name: "findings written only when they change",
    // Every evaluation rewrote every open finding to move its last_seen (about 200 MB of WAL per snapshot at 100k
    // findings). An open finding's last_seen is now its cluster's latest evaluation (finding_evaluations); a row
    // is written when a finding appears, changes (digest of its JSON) or resolves. Rows stored before have no
    // digest: each is rewritten once, by the next evaluation that reports it.
    up: (db) =>
      db.exec(`
ALTER TABLE findings ADD COLUMN digest TEXT;
CREATE TABLE IF NOT EXISTS finding_evaluations (
  cluster TEXT PRIMARY KEY,
  evaluated_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO finding_evaluations (cluster, evaluated_at)
  SELECT cluster, max(last_seen) FROM findings GROUP BY cluster;
`),
  },
  {
    version: 17,
    name: "admission decisions per cluster",
    // Webhooks of several clusters may record into one database: each decision names its cluster (`admission
    // serve --cluster`); those recorded before named none ("").
    up: (db) =>
      db.exec(`
ALTER TABLE admission_decisions ADD COLUMN cluster TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS admission_decisions_by_cluster ON admission_decisions (cluster, seq);
`),
  },
  {
    version: 18,
    name: "store revision",
    // One row, moved once by each write transaction that changes what the server's cached answers read
    // (Stores.revision), whichever process commits it: the server keys its answers on it. Admission decisions,
    // written many times a second by `admission serve`, do not move it.
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS store_revision (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL
);
INSERT OR IGNORE INTO store_revision (id, revision) VALUES (1, 0);
`),
  },
];

export const SQLITE_SCHEMA_VERSION = latestVersion(SQLITE_MIGRATIONS);

function appliedVersion(db: SqliteDatabase): number {
  const exists = db
    .prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!exists) return 0;
  return (db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
}

/**
 * Bring `db` to {@link SQLITE_SCHEMA_VERSION}: nothing to do (the common case) costs two reads and no lock;
 * otherwise the pending migrations run in one BEGIN IMMEDIATE transaction (another process opening the same file
 * waits for it, then finds nothing left to do). A newer database is refused ({@link SchemaTooNewError}).
 */
export function migrateSqlite(
  db: SqliteDatabase,
  file: string,
  list: readonly Migration<Up>[] = SQLITE_MIGRATIONS,
) {
  const latest = latestVersion(list);
  const check = (v: number): boolean => {
    if (v > latest) throw new SchemaTooNewError(`database ${file}`, v, latest, { file });
    return v === latest;
  };
  if (check(appliedVersion(db))) return;
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`);
    const applied = appliedVersion(db);
    if (check(applied)) return;
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    for (const m of pending(list, applied)) {
      m.up(db, file);
      record.run(m.version, m.name, new Date().toISOString());
    }
  }).immediate();
}
