import { PalisadeError } from "../../../core/errors/index.js";
import type { Finding, FindingStat, ResourceRef } from "../../../core/findings/index.js";
import {
  auditRow,
  auditWhere,
  type ExceptionRow,
  encodeObjectKey,
  type FindingRow,
  type FindingStatRow,
  findingLastSeenSql,
  findingStatOf,
  findingWhere,
  pageLimit,
  pageOf,
  parseJsonColumn,
  planEvaluation,
  planSnapshot,
  type SqlDialect,
  sortedObjectsAt,
  storedExceptionOf,
  storedFindingOf,
  type VersionRow,
  versionOf,
} from "../platform-rows.js";
import type {
  AuditEntry,
  AuditInput,
  AuditQuery,
  AuditStore,
  ExceptionRevocation,
  ExceptionStore,
  FindingQuery,
  FindingStatsQuery,
  FindingStore,
  FindingUpsertResult,
  InventorySnapshotStore,
  JsonValue,
  ObjectVersion,
  Page,
  SnapshotObject,
  SnapshotResult,
  SnapshotScope,
  StoredException,
  StoredFinding,
  StoredToken,
  TokenStore,
} from "../ports.js";
import { bumpRevision, prepared, type SqliteConnection, sqliteFailure } from "./connection.js";

/** Run `fn` in a BEGIN IMMEDIATE transaction, errors typed. */
export function write<T>(conn: SqliteConnection, what: string, fn: () => T): T {
  try {
    return conn.db.transaction(fn).immediate();
  } catch (e) {
    throw sqliteFailure(e, conn.file, what, conn.lockTimeoutMs);
  }
}

export function read<T>(conn: SqliteConnection, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw sqliteFailure(e, conn.file, what, conn.lockTimeoutMs);
  }
}

/** Object versions in `object_versions`; snapshots (time and scope) in `inventory_snapshots`. */
export class SqliteSnapshotStore implements InventorySnapshotStore {
  constructor(private readonly conn: SqliteConnection) {}

  async putSnapshot(
    cluster: string,
    observedAt: Date,
    scope: SnapshotScope,
    objects: readonly SnapshotObject[],
  ): Promise<SnapshotResult> {
    const at = observedAt.toISOString();
    const { db } = this.conn;
    return write(this.conn, "cannot store the snapshot", () => {
      const latest = (
        prepared(db, "SELECT max(observed_at) AS t FROM inventory_snapshots WHERE cluster = ?").get(
          cluster,
        ) as {
          t: string | null;
        }
      ).t;
      if (latest !== null && latest > at)
        throw new PalisadeError(
          "INPUT",
          `snapshot of ${cluster} at ${at} is older than its latest one (${latest})`,
        );
      const current = (
        prepared(
          db,
          "SELECT vid, key, uid, hash FROM object_versions WHERE cluster = ? AND valid_to IS NULL",
        ).all(cluster) as { vid: number; key: string; uid: string | null; hash: string }[]
      ).map((r) => ({
        id: r.vid,
        key: r.key,
        uid: r.uid ?? undefined,
        hash: r.hash,
      }));
      const plan = planSnapshot(current, scope, objects);
      const close = prepared(db, "UPDATE object_versions SET valid_to = ? WHERE vid = ?");
      for (const id of plan.close) close.run(at, id);
      const open = prepared(
        db,
        "INSERT INTO object_versions (cluster, key, uid, hash, object, valid_from) VALUES (?, ?, ?, ?, ?, ?)",
      );
      for (const o of plan.open)
        open.run(
          cluster,
          o.key,
          o.object.uid ?? null,
          o.object.hash,
          o.object.json ?? JSON.stringify(o.object.object ?? null),
          at,
        );
      prepared(
        db,
        "INSERT OR REPLACE INTO inventory_snapshots (cluster, observed_at, scope) VALUES (?, ?, ?)",
      ).run(cluster, at, JSON.stringify(scope));
      bumpRevision(db);
      return plan.result;
    });
  }

  objectsAt(cluster: string, at: Date): Promise<ObjectVersion[]> {
    return sortedObjectsAt((each) => this.eachObjectAt(cluster, at, each));
  }

  async eachObjectAt(cluster: string, at: Date, each: (v: ObjectVersion) => void): Promise<number> {
    const t = at.toISOString();
    return read(this.conn, "cannot read the inventory history", () => {
      // Row by row: each row's text dies young once parsed. Read whole (`all`), the 1.1M rows of a 1M-pod
      // cluster (about 1 GiB of JSON text) all lived until parsed, and the garbage collector took most of the
      // read copying and marking them (27 s of CPU; measured, bench/server-api.ts fleet). One statement, so one
      // consistent state: synchronous, as every read of this store.
      let n = 0;
      for (const r of prepared(
        this.conn.db,
        "SELECT cluster, key, uid, hash, object, valid_from, valid_to FROM object_versions WHERE cluster = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
      ).iterate(cluster, t, t)) {
        each(versionOf(r as VersionRow));
        n++;
      }
      return n;
    });
  }

  async clusters(): Promise<{ cluster: string; latest: string }[]> {
    return read(this.conn, "cannot read the inventory history", () =>
      prepared(
        this.conn.db,
        "SELECT cluster, max(observed_at) AS latest FROM inventory_snapshots GROUP BY cluster ORDER BY cluster",
      ).all(),
    ) as { cluster: string; latest: string }[];
  }

  async snapshotTimes(cluster: string, limit?: number): Promise<string[]> {
    const n = pageLimit(limit);
    return (
      read(this.conn, "cannot read the inventory history", () =>
        prepared(
          this.conn.db,
          "SELECT observed_at FROM inventory_snapshots WHERE cluster = ? ORDER BY observed_at DESC LIMIT ?",
        ).all(cluster, n),
      ) as { observed_at: string }[]
    ).map((r) => r.observed_at);
  }

  async history(cluster: string, key: ResourceRef): Promise<ObjectVersion[]> {
    return read(this.conn, "cannot read the inventory history", () =>
      (
        prepared(
          this.conn.db,
          "SELECT cluster, key, uid, hash, object, valid_from, valid_to FROM object_versions WHERE cluster = ? AND key = ? ORDER BY valid_from, vid",
        ).all(cluster, encodeObjectKey(key)) as VersionRow[]
      ).map(versionOf),
    );
  }
}

const LAST_SEEN = findingLastSeenSql("finding_evaluations");

/** Findings per (cluster, id) in `findings`; each cluster's latest evaluation in `finding_evaluations`. */
export class SqliteFindingStore implements FindingStore {
  constructor(private readonly conn: SqliteConnection) {}

  async upsertEvaluation(
    cluster: string,
    evaluatedAt: Date,
    findings: readonly Finding[],
  ): Promise<FindingUpsertResult> {
    const at = evaluatedAt.toISOString();
    const { db } = this.conn;
    return write(this.conn, "cannot store the findings", () => {
      const current = (
        prepared(db, "SELECT id, first_seen, resolved_at, digest FROM findings WHERE cluster = ?").all(
          cluster,
        ) as {
          id: string;
          first_seen: string;
          resolved_at: string | null;
          digest: string | null;
        }[]
      ).map((r) => ({
        id: r.id,
        firstSeen: r.first_seen,
        resolvedAt: r.resolved_at ?? undefined,
        digest: r.digest ?? undefined,
      }));
      const previous = (
        prepared(db, "SELECT evaluated_at FROM finding_evaluations WHERE cluster = ?").get(cluster) as
          | { evaluated_at: string }
          | undefined
      )?.evaluated_at;
      const plan = planEvaluation(current, at, findings);
      // Only new, changed and reopened findings are written: an open finding reported again unchanged keeps its
      // row, its lastSeen read from finding_evaluations. New findings are plain inserts (a quarter cheaper than an
      // upsert that finds no conflict: measured), known ones are updated in place.
      const insert = prepared(
        db,
        `INSERT INTO findings (cluster, id, rule_id, severity, namespace, team, first_seen, last_seen, resolved_at, finding, digest)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      );
      const update = prepared(
        db,
        `UPDATE findings SET rule_id = ?, severity = ?, namespace = ?, team = ?, first_seen = ?, last_seen = ?,
           resolved_at = NULL, finding = ?, digest = ? WHERE cluster = ? AND id = ?`,
      );
      for (const u of plan.upsert) {
        const f = u.finding;
        if (u.known)
          update.run(
            f.ruleId,
            f.severity,
            f.resource.namespace ?? null,
            f.team ?? null,
            u.firstSeen,
            at,
            u.json,
            u.digest,
            cluster,
            f.id,
          );
        else
          insert.run(
            cluster,
            f.id,
            f.ruleId,
            f.severity,
            f.resource.namespace ?? null,
            f.team ?? null,
            u.firstSeen,
            at,
            u.json,
            u.digest,
          );
      }
      // A resolved finding was last seen by the evaluation before this one (every open finding was in it).
      const resolve = prepared(
        db,
        "UPDATE findings SET resolved_at = ?, last_seen = coalesce(?, last_seen) WHERE cluster = ? AND id = ?",
      );
      for (const id of plan.resolve) resolve.run(at, previous ?? null, cluster, id);
      prepared(
        db,
        `INSERT INTO finding_evaluations (cluster, evaluated_at) VALUES (?, ?)
         ON CONFLICT (cluster) DO UPDATE SET evaluated_at = excluded.evaluated_at`,
      ).run(cluster, at);
      bumpRevision(db);
      return plan.result;
    });
  }

  async list(q: FindingQuery = {}): Promise<Page<StoredFinding>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const where = findingWhere(q, sqliteDialect(params));
    const rows = read(this.conn, "cannot read findings", () =>
      prepared(
        this.conn.db,
        `SELECT cluster, id, first_seen, ${LAST_SEEN}, resolved_at, finding FROM findings f${where} ORDER BY cluster, id LIMIT ?`,
      ).all([...params, limit + 1]),
    ) as (FindingRow & { id: string })[];
    return pageOf(rows, limit, storedFindingOf, (r) => [r.cluster, r.id]);
  }

  async stats(q: FindingStatsQuery = {}): Promise<FindingStat[]> {
    const params: unknown[] = [];
    const where = findingWhere({ cluster: q.cluster, team: q.team }, sqliteDialect(params));
    const rows = read(this.conn, "cannot read findings", () =>
      prepared(
        this.conn.db,
        `SELECT team, severity, first_seen, ${LAST_SEEN}, resolved_at FROM findings f${where} ORDER BY cluster, id`,
      ).all(params),
    ) as FindingStatRow[];
    return rows.map(findingStatOf);
  }
}

/** The append-only `audit_log` (seq from AUTOINCREMENT: never reused). */
export class SqliteAuditStore implements AuditStore {
  constructor(private readonly conn: SqliteConnection) {}

  async append(entry: AuditInput): Promise<AuditEntry> {
    const row = auditRow(entry);
    const seq = write(this.conn, "cannot append to the audit log", () =>
      Number(
        prepared(
          this.conn.db,
          "INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)",
        ).run(row.at, row.actor, row.action, row.subject, row.details).lastInsertRowid,
      ),
    );
    return { seq, ...row, details: JSON.parse(row.details) as JsonValue };
  }

  async list(q: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const where = auditWhere(q, sqliteDialect(params));
    const rows = read(this.conn, "cannot read the audit log", () =>
      prepared(
        this.conn.db,
        `SELECT seq, at, actor, action, subject, details FROM audit_log${where} ORDER BY at, seq LIMIT ?`,
      ).all([...params, limit + 1]),
    ) as { seq: number; at: string; actor: string; action: string; subject: string; details: string }[];
    return pageOf(
      rows,
      limit,
      (r) => ({ ...r, details: parseJsonColumn(r.details, "audit details") as JsonValue }),
      (r) => [r.at, r.seq],
    );
  }
}

/** Positional `?` parameters collected in `params`; a list travels as one JSON array. */
export function sqliteDialect(params: unknown[]): SqlDialect {
  return {
    param(v) {
      params.push(v);
      return "?";
    },
    oneOf(column, values) {
      params.push(JSON.stringify(values));
      return `${column} IN (SELECT value FROM json_each(?))`;
    },
    text: (s) => s,
  };
}

interface TokenRow {
  id: string;
  digest: string;
  role: string;
  team: string | null;
  created_at: string;
}

const tokenOf = (r: TokenRow): StoredToken => ({
  id: r.id,
  digest: r.digest,
  role: r.role,
  ...(r.team !== null ? { team: r.team } : {}),
  createdAt: r.created_at,
});

/** API tokens in `api_tokens` (digests only). */
export class SqliteTokenStore implements TokenStore {
  constructor(private readonly conn: SqliteConnection) {}

  async put(token: StoredToken): Promise<void> {
    const added = write(this.conn, "cannot store the token", () => {
      const db = this.conn.db;
      if (
        prepared(db, "SELECT 1 AS x FROM api_tokens WHERE id = ? OR digest = ?").get(token.id, token.digest)
      )
        return false;
      prepared(db, "INSERT INTO api_tokens (id, digest, role, team, created_at) VALUES (?, ?, ?, ?, ?)").run(
        token.id,
        token.digest,
        token.role,
        token.team ?? null,
        token.createdAt,
      );
      return true;
    });
    if (!added) throw new PalisadeError("INPUT", `token ${token.id} already exists`);
  }

  async list(): Promise<StoredToken[]> {
    const rows = read(this.conn, "cannot read the tokens", () =>
      prepared(this.conn.db, "SELECT id, digest, role, team, created_at FROM api_tokens ORDER BY id").all(),
    ) as TokenRow[];
    return rows.map(tokenOf);
  }
}

/** Exceptions granted through the API, in `exceptions`. */
export class SqliteExceptionStore implements ExceptionStore {
  constructor(private readonly conn: SqliteConnection) {}

  async put(e: StoredException): Promise<void> {
    const { db } = this.conn;
    write(this.conn, "cannot store the exception", () => {
      if (prepared(db, "SELECT 1 AS x FROM exceptions WHERE id = ?").get(e.id))
        throw new PalisadeError("INPUT", `exception ${e.id} already exists`);
      prepared(
        db,
        "INSERT INTO exceptions (id, created_by, created_at, clusters, exception) VALUES (?, ?, ?, ?, ?)",
      ).run(
        e.id,
        e.createdBy,
        e.createdAt,
        e.clusters === undefined ? null : JSON.stringify(e.clusters),
        JSON.stringify(e.exception),
      );
    });
  }

  async list(): Promise<StoredException[]> {
    const rows = read(this.conn, "cannot read the exceptions", () =>
      prepared(
        this.conn.db,
        "SELECT id, created_by, created_at, clusters, exception, revoked FROM exceptions ORDER BY id",
      ).all(),
    ) as ExceptionRow[];
    return rows.map(storedExceptionOf);
  }

  async revoke(id: string, revocation: ExceptionRevocation): Promise<StoredException | undefined> {
    const { db } = this.conn;
    return write(this.conn, "cannot revoke the exception", () => {
      const row = prepared(
        db,
        "SELECT id, created_by, created_at, clusters, exception, revoked FROM exceptions WHERE id = ?",
      ).get(id) as ExceptionRow | undefined;
      if (row === undefined) return undefined;
      if (row.revoked !== null) throw new PalisadeError("INPUT", `exception ${id} is already revoked`);
      const revoked = JSON.stringify(revocation);
      prepared(db, "UPDATE exceptions SET revoked = ? WHERE id = ?").run(revoked, id);
      return storedExceptionOf({ ...row, revoked });
    });
  }
}
