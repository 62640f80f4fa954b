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
import type { PgConnection } from "./connection.js";
import { fromPgText, pgText } from "./text.js";

/** Rows per INSERT statement (array parameters: the statement's size stays bounded). */
const ROWS_PER_STATEMENT = 5_000;

/** Rows per page of {@link PgSnapshotStore.objectsAt}'s cursor. */
const OBJECTS_PER_FETCH = 2_000;

const versionRow = (r: VersionRow): ObjectVersion =>
  versionOf({
    ...r,
    cluster: fromPgText(r.cluster),
    uid: r.uid === null ? null : fromPgText(r.uid),
    hash: fromPgText(r.hash),
  });

/** Object versions in PostgreSQL; one writer per cluster at a time (advisory lock). */
export class PgSnapshotStore implements InventorySnapshotStore {
  constructor(private readonly conn: PgConnection) {}

  async putSnapshot(
    cluster: string,
    observedAt: Date,
    scope: SnapshotScope,
    objects: readonly SnapshotObject[],
  ): Promise<SnapshotResult> {
    const at = observedAt.toISOString();
    const t = (x: string) => this.conn.t(x);
    const cl = pgText(cluster);
    return this.conn.locked("cannot store the snapshot", `inventory:${cl}`, async (c) => {
      const latest = (
        await c.query(`SELECT max(observed_at) AS t FROM ${t("inventory_snapshots")} WHERE cluster = $1`, [
          cl,
        ])
      ).rows[0]?.t as string | null;
      if (latest != null && latest > at)
        throw new PalisadeError(
          "INPUT",
          `snapshot of ${cluster} at ${at} is older than its latest one (${latest})`,
        );
      const current = (
        (
          await c.query(
            `SELECT vid, key, uid, hash FROM ${t("object_versions")} WHERE cluster = $1 AND valid_to IS NULL`,
            [cl],
          )
        ).rows as { vid: string; key: string; uid: string | null; hash: string }[]
      ).map((r) => ({
        id: r.vid,
        key: r.key,
        uid: r.uid === null ? undefined : fromPgText(r.uid),
        hash: fromPgText(r.hash),
      }));
      const plan = planSnapshot(current, scope, objects);
      if (plan.close.length > 0)
        await c.query(`UPDATE ${t("object_versions")} SET valid_to = $1 WHERE vid = ANY($2::bigint[])`, [
          at,
          plan.close,
        ]);
      for (let i = 0; i < plan.open.length; i += ROWS_PER_STATEMENT) {
        const chunk = plan.open.slice(i, i + ROWS_PER_STATEMENT);
        await c.query(
          `INSERT INTO ${t("object_versions")} (cluster, key, uid, hash, object, valid_from)
           SELECT $1, k, u, h, o, $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS x(k, u, h, o)`,
          [
            cl,
            at,
            chunk.map((o) => o.key),
            chunk.map((o) => (o.object.uid === undefined ? null : pgText(o.object.uid))),
            chunk.map((o) => pgText(o.object.hash)),
            chunk.map((o) => o.object.json ?? JSON.stringify(o.object.object ?? null)),
          ],
        );
      }
      await c.query(
        `INSERT INTO ${t("inventory_snapshots")} (cluster, observed_at, scope) VALUES ($1, $2, $3)
         ON CONFLICT (cluster, observed_at) DO UPDATE SET scope = EXCLUDED.scope`,
        [cl, at, JSON.stringify(scope)],
      );
      await this.conn.bumpRevision(c);
      return plan.result;
    });
  }

  objectsAt(cluster: string, at: Date): Promise<ObjectVersion[]> {
    return sortedObjectsAt((each) => this.eachObjectAt(cluster, at, each));
  }

  async eachObjectAt(cluster: string, at: Date, each: (v: ObjectVersion) => void): Promise<number> {
    // Through a cursor, OBJECTS_PER_FETCH rows at a time, each page parsed and handed over before the next is read:
    // read whole, the 1.1M versions of a 1M-pod cluster (about 1 GiB of JSON text) were all held as rows before
    // the first was parsed. One transaction: every page sees the same state.
    return this.conn.transaction("cannot read the inventory history", async (c) => {
      await c.query(
        `DECLARE objects_at NO SCROLL CURSOR FOR
         SELECT cluster, key, uid, hash, object, valid_from, valid_to FROM ${this.conn.t("object_versions")}
         WHERE cluster = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)`,
        [pgText(cluster), at.toISOString()],
      );
      let n = 0;
      for (;;) {
        const page = (await c.query<VersionRow>(`FETCH ${OBJECTS_PER_FETCH} FROM objects_at`)).rows;
        for (const r of page) each(versionRow(r));
        n += page.length;
        if (page.length < OBJECTS_PER_FETCH) break;
      }
      return n;
    });
  }

  /** The store revision and {@link clusters} in one statement (Stores.revisionAndClusters). */
  async revisionAndClusters(): Promise<{
    revision: string;
    clusters: { cluster: string; latest: string }[];
  }> {
    const rows = await this.conn.query<{ revision: string; cluster: string | null; latest: string | null }>(
      `SELECT r.revision::text AS revision, c.cluster, c.latest
       FROM ${this.conn.t("store_revision")} r
       LEFT JOIN (SELECT cluster, max(observed_at) AS latest FROM ${this.conn.t("inventory_snapshots")} GROUP BY cluster) c ON true
       WHERE r.id = 1 ORDER BY c.cluster`,
      [],
      "cannot read the store revision and the inventory history",
    );
    const clusters: { cluster: string; latest: string }[] = [];
    for (const r of rows)
      if (r.cluster !== null && r.latest !== null)
        clusters.push({ cluster: fromPgText(r.cluster), latest: r.latest });
    return { revision: rows[0]?.revision ?? "0", clusters };
  }

  async clusters(): Promise<{ cluster: string; latest: string }[]> {
    const rows = await this.conn.query<{ cluster: string; latest: string }>(
      `SELECT cluster, max(observed_at) AS latest FROM ${this.conn.t("inventory_snapshots")} GROUP BY cluster ORDER BY cluster`,
      [],
      "cannot read the inventory history",
    );
    return rows.map((r) => ({ cluster: fromPgText(r.cluster), latest: r.latest }));
  }

  async snapshotTimes(cluster: string, limit?: number): Promise<string[]> {
    const rows = await this.conn.query<{ observed_at: string }>(
      `SELECT observed_at FROM ${this.conn.t("inventory_snapshots")} WHERE cluster = $1
       ORDER BY observed_at DESC LIMIT $2`,
      [pgText(cluster), pageLimit(limit)],
      "cannot read the inventory history",
    );
    return rows.map((r) => r.observed_at);
  }

  async history(cluster: string, key: ResourceRef): Promise<ObjectVersion[]> {
    const rows = await this.conn.query<VersionRow>(
      `SELECT cluster, key, uid, hash, object, valid_from, valid_to FROM ${this.conn.t("object_versions")}
       WHERE cluster = $1 AND key = $2 ORDER BY valid_from, vid`,
      [pgText(cluster), encodeObjectKey(key)],
      "cannot read the inventory history",
    );
    return rows.map(versionRow);
  }
}

/** Findings per (cluster, id) in PostgreSQL; one evaluation per cluster at a time (advisory lock). */
export class PgFindingStore implements FindingStore {
  constructor(private readonly conn: PgConnection) {}

  async upsertEvaluation(
    cluster: string,
    evaluatedAt: Date,
    findings: readonly Finding[],
  ): Promise<FindingUpsertResult> {
    const at = evaluatedAt.toISOString();
    const t = (x: string) => this.conn.t(x);
    const cl = pgText(cluster);
    return this.conn.locked("cannot store the findings", `findings:${cl}`, async (c) => {
      const current = (
        (
          await c.query(
            `SELECT id, first_seen, resolved_at, digest FROM ${t("findings")} WHERE cluster = $1`,
            [cl],
          )
        ).rows as {
          id: string;
          first_seen: string;
          resolved_at: string | null;
          digest: string | null;
        }[]
      ).map((r) => ({
        id: fromPgText(r.id),
        firstSeen: r.first_seen,
        resolvedAt: r.resolved_at ?? undefined,
        digest: r.digest ?? undefined,
      }));
      const previous = (
        (await c.query(`SELECT evaluated_at FROM ${t("finding_evaluations")} WHERE cluster = $1`, [cl]))
          .rows as { evaluated_at: string }[]
      )[0]?.evaluated_at;
      const plan = planEvaluation(current, at, findings);
      // Only new, changed and reopened findings are written: an open finding reported again unchanged keeps its
      // row (no dead tuple, no index entries), its lastSeen read from finding_evaluations.
      for (let i = 0; i < plan.upsert.length; i += ROWS_PER_STATEMENT) {
        const chunk = plan.upsert.slice(i, i + ROWS_PER_STATEMENT);
        await c.query(
          `INSERT INTO ${t("findings")} (cluster, id, rule_id, severity, namespace, team, first_seen, last_seen, resolved_at, finding, digest)
           SELECT $1, i, r, s, n, tm, f, $2, NULL, j, d FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS x(i, r, s, n, f, j, tm, d)
           ON CONFLICT (cluster, id) DO UPDATE SET rule_id = EXCLUDED.rule_id, severity = EXCLUDED.severity,
             namespace = EXCLUDED.namespace, team = EXCLUDED.team, first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
             resolved_at = NULL, finding = EXCLUDED.finding, digest = EXCLUDED.digest`,
          [
            cl,
            at,
            chunk.map((u) => pgText(u.finding.id)),
            chunk.map((u) => pgText(u.finding.ruleId)),
            chunk.map((u) => pgText(u.finding.severity)),
            chunk.map((u) =>
              u.finding.resource.namespace === undefined ? null : pgText(u.finding.resource.namespace),
            ),
            chunk.map((u) => u.firstSeen),
            chunk.map((u) => u.json),
            chunk.map((u) => (u.finding.team === undefined ? null : pgText(u.finding.team))),
            chunk.map((u) => u.digest),
          ],
        );
      }
      // A resolved finding was last seen by the evaluation before this one (every open finding was in it).
      if (plan.resolve.length > 0)
        await c.query(
          `UPDATE ${t("findings")} SET resolved_at = $1, last_seen = coalesce($4, last_seen) WHERE cluster = $2 AND id = ANY($3::text[])`,
          [at, cl, plan.resolve.map(pgText), previous ?? null],
        );
      await c.query(
        `INSERT INTO ${t("finding_evaluations")} (cluster, evaluated_at) VALUES ($1, $2)
         ON CONFLICT (cluster) DO UPDATE SET evaluated_at = EXCLUDED.evaluated_at`,
        [cl, at],
      );
      await this.conn.bumpRevision(c);
      return plan.result;
    });
  }

  async list(q: FindingQuery = {}): Promise<Page<StoredFinding>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const d = pgDialect(params);
    const where = findingWhere(q, d);
    const rows = await this.conn.query<FindingRow & { id: string }>(
      `SELECT cluster, id, first_seen, ${findingLastSeenSql(this.conn.t("finding_evaluations"))}, resolved_at, finding FROM ${this.conn.t("findings")} f${where}
       ORDER BY cluster, id LIMIT ${d.param(limit + 1)}`,
      params,
      "cannot read findings",
    );
    return pageOf(
      rows.map((r) => ({ ...r, cluster: fromPgText(r.cluster), id: fromPgText(r.id) })),
      limit,
      storedFindingOf,
      (r) => [r.cluster, r.id],
    );
  }

  async stats(q: FindingStatsQuery = {}): Promise<FindingStat[]> {
    const params: unknown[] = [];
    const where = findingWhere({ cluster: q.cluster, team: q.team }, pgDialect(params));
    const rows = await this.conn.query<FindingStatRow>(
      `SELECT team, severity, first_seen, ${findingLastSeenSql(this.conn.t("finding_evaluations"))}, resolved_at FROM ${this.conn.t("findings")} f${where} ORDER BY cluster, id`,
      params,
      "cannot read findings",
    );
    return rows.map((r) =>
      findingStatOf({
        ...r,
        team: r.team === null ? null : fromPgText(r.team),
        severity: fromPgText(r.severity),
      }),
    );
  }
}

/** The append-only audit log in PostgreSQL (a trigger refuses UPDATE and DELETE). */
export class PgAuditStore implements AuditStore {
  constructor(private readonly conn: PgConnection) {}

  async append(entry: AuditInput): Promise<AuditEntry> {
    const row = auditRow(entry);
    const [r] = await this.conn.query<{ seq: string }>(
      `INSERT INTO ${this.conn.t("audit_log")} (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5) RETURNING seq`,
      [row.at, pgText(row.actor), pgText(row.action), pgText(row.subject), row.details],
      "cannot append to the audit log",
    );
    return { seq: Number(r?.seq), ...row, details: JSON.parse(row.details) as JsonValue };
  }

  async list(q: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const limit = pageLimit(q.limit);
    const params: unknown[] = [];
    const d = pgDialect(params);
    const where = auditWhere(q, d);
    const rows = await this.conn.query<{
      seq: string;
      at: string;
      actor: string;
      action: string;
      subject: string;
      details: string;
    }>(
      `SELECT seq, at, actor, action, subject, details FROM ${this.conn.t("audit_log")}${where}
       ORDER BY at, seq LIMIT ${d.param(limit + 1)}`,
      params,
      "cannot read the audit log",
    );
    return pageOf(
      rows,
      limit,
      (r) => ({
        seq: Number(r.seq),
        at: r.at,
        actor: fromPgText(r.actor),
        action: fromPgText(r.action),
        subject: fromPgText(r.subject),
        details: parseJsonColumn(r.details, "audit details") as JsonValue,
      }),
      (r) => [r.at, Number(r.seq)],
    );
  }
}

/** Numbered `$n` parameters collected in `params`; text encoded as the PostgreSQL backend stores it. */
export function pgDialect(params: unknown[]): SqlDialect {
  const param = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  return { param, oneOf: (column, values) => `${column} = ANY(${param(values)}::text[])`, text: pgText };
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
export class PgTokenStore implements TokenStore {
  constructor(private readonly conn: PgConnection) {}

  async put(token: StoredToken): Promise<void> {
    const rows = await this.conn.query<{ id: string }>(
      `INSERT INTO ${this.conn.t("api_tokens")} (id, digest, role, team, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        token.id,
        token.digest,
        pgText(token.role),
        token.team === undefined ? null : pgText(token.team),
        token.createdAt,
      ],
      "cannot store the token",
    );
    if (rows.length === 0) throw new PalisadeError("INPUT", `token ${token.id} already exists`);
  }

  async list(): Promise<StoredToken[]> {
    const rows = await this.conn.query<TokenRow>(
      `SELECT id, digest, role, team, created_at FROM ${this.conn.t("api_tokens")} ORDER BY id`,
      [],
      "cannot read the tokens",
    );
    return rows.map((r) =>
      tokenOf({ ...r, role: fromPgText(r.role), team: r.team === null ? null : fromPgText(r.team) }),
    );
  }
}

/** Exceptions granted through the API, in `exceptions`. */
export class PgExceptionStore implements ExceptionStore {
  constructor(private readonly conn: PgConnection) {}

  async put(e: StoredException): Promise<void> {
    const rows = await this.conn.query<{ id: string }>(
      `INSERT INTO ${this.conn.t("exceptions")} (id, created_by, created_at, clusters, exception) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        pgText(e.id),
        pgText(e.createdBy),
        e.createdAt,
        e.clusters === undefined ? null : pgText(JSON.stringify(e.clusters)),
        pgText(JSON.stringify(e.exception)),
      ],
      "cannot store the exception",
    );
    if (rows.length === 0) throw new PalisadeError("INPUT", `exception ${e.id} already exists`);
  }

  async list(): Promise<StoredException[]> {
    const rows = await this.conn.query<ExceptionRow>(
      `SELECT id, created_by, created_at, clusters, exception, revoked FROM ${this.conn.t("exceptions")} ORDER BY id`,
      [],
      "cannot read the exceptions",
    );
    return rows.map((r) => storedExceptionOf(fromPgRow(r)));
  }

  async revoke(id: string, revocation: ExceptionRevocation): Promise<StoredException | undefined> {
    const t = this.conn.t("exceptions");
    // One statement: the row is revoked only if it was not; the answer tells which case it was.
    const rows = await this.conn.query<ExceptionRow & { was: string | null }>(
      `WITH before AS (SELECT id, revoked AS was FROM ${t} WHERE id = $1 FOR UPDATE)
       UPDATE ${t} e SET revoked = COALESCE(b.was, $2) FROM before b WHERE e.id = b.id
       RETURNING e.id, e.created_by, e.created_at, e.clusters, e.exception, e.revoked, b.was`,
      [pgText(id), pgText(JSON.stringify(revocation))],
      "cannot revoke the exception",
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.was !== null) throw new PalisadeError("INPUT", `exception ${id} is already revoked`);
    return storedExceptionOf(fromPgRow(row));
  }
}

/** A row of `exceptions` with its text columns read back from PostgreSQL's encoding. */
function fromPgRow(r: ExceptionRow): ExceptionRow {
  return {
    id: fromPgText(r.id),
    created_by: fromPgText(r.created_by),
    created_at: r.created_at,
    clusters: r.clusters === null ? null : fromPgText(r.clusters),
    exception: fromPgText(r.exception),
    revoked: r.revoked === null ? null : fromPgText(r.revoked),
  };
}
