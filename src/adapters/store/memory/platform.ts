import { PalisadeError } from "../../../core/errors/index.js";
import { cmp, type Finding, type FindingStat, type ResourceRef } from "../../../core/findings/index.js";
import {
  auditRow,
  decodeCursor,
  encodeObjectKey,
  pageLimit,
  pageOf,
  planEvaluation,
  planSnapshot,
  sortedObjectsAt,
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

/** Object versions in memory. */
export class MemorySnapshotStore implements InventorySnapshotStore {
  /** `changed` is called once per write that moves the store revision (Stores.revision). */
  constructor(private readonly changed: () => void = () => {}) {}

  private readonly versions: (ObjectVersion & { keyText: string })[] = [];
  private readonly latest = new Map<string, string>();
  private readonly times = new Map<string, string[]>();

  async putSnapshot(
    cluster: string,
    observedAt: Date,
    scope: SnapshotScope,
    objects: readonly SnapshotObject[],
  ): Promise<SnapshotResult> {
    const at = observedAt.toISOString();
    const latest = this.latest.get(cluster);
    if (latest !== undefined && latest > at)
      throw new PalisadeError(
        "INPUT",
        `snapshot of ${cluster} at ${at} is older than its latest one (${latest})`,
      );
    const current = this.versions.flatMap((v, i) =>
      v.cluster === cluster && v.validTo === undefined
        ? [{ id: i, key: v.keyText, ref: v.key, uid: v.uid, hash: v.hash }]
        : [],
    );
    const plan = planSnapshot(current, scope, objects);
    for (const id of plan.close) (this.versions[id as number] as ObjectVersion).validTo = at;
    for (const o of plan.open) {
      const v: ObjectVersion & { keyText: string } = {
        cluster,
        key: structuredClone(o.object.key),
        hash: o.object.hash,
        object: structuredClone(o.object.object ?? null),
        validFrom: at,
        keyText: o.key,
      };
      if (o.object.uid !== undefined) v.uid = o.object.uid;
      this.versions.push(v);
    }
    this.latest.set(cluster, at);
    const times = this.times.get(cluster) ?? [];
    if (times[times.length - 1] !== at) times.push(at);
    this.times.set(cluster, times);
    this.changed();
    return plan.result;
  }

  private out(v: ObjectVersion & { keyText: string }): ObjectVersion {
    const { keyText: _, ...rest } = v;
    return structuredClone(rest);
  }

  objectsAt(cluster: string, at: Date): Promise<ObjectVersion[]> {
    return sortedObjectsAt((each) => this.eachObjectAt(cluster, at, each));
  }

  async eachObjectAt(cluster: string, at: Date, each: (v: ObjectVersion) => void): Promise<number> {
    const t = at.toISOString();
    let n = 0;
    // In the order written (not by key): callers must not depend on one, as with the other stores.
    for (const v of this.versions)
      if (v.cluster === cluster && v.validFrom <= t && (v.validTo === undefined || v.validTo > t)) {
        each(this.out(v));
        n++;
      }
    return n;
  }

  async snapshotTimes(cluster: string, limit?: number): Promise<string[]> {
    return [...(this.times.get(cluster) ?? [])].reverse().slice(0, pageLimit(limit));
  }

  async history(cluster: string, key: ResourceRef): Promise<ObjectVersion[]> {
    const k = encodeObjectKey(key);
    // Appended in time order: the array order is validFrom order.
    return this.versions.filter((v) => v.cluster === cluster && v.keyText === k).map((v) => this.out(v));
  }

  async clusters(): Promise<{ cluster: string; latest: string }[]> {
    return [...this.latest]
      .map(([cluster, latest]) => ({ cluster, latest }))
      .sort((a, b) => cmp(a.cluster, b.cluster));
  }
}

/** Findings in memory. */
export class MemoryFindingStore implements FindingStore {
  /** `changed` is called once per write that moves the store revision (Stores.revision). */
  constructor(private readonly changed: () => void = () => {}) {}

  private readonly rows = new Map<string, StoredFinding>();

  async upsertEvaluation(
    cluster: string,
    evaluatedAt: Date,
    findings: readonly Finding[],
  ): Promise<FindingUpsertResult> {
    const at = evaluatedAt.toISOString();
    const mine = [...this.rows.values()].filter((r) => r.cluster === cluster);
    const plan = planEvaluation(
      mine.map((r) => ({ id: r.finding.id, firstSeen: r.firstSeen, resolvedAt: r.resolvedAt })),
      at,
      findings,
    );
    for (const u of plan.upsert)
      this.rows.set(JSON.stringify([cluster, u.finding.id]), {
        cluster,
        finding: structuredClone(u.finding),
        firstSeen: u.firstSeen,
        lastSeen: at,
      });
    // Unchanged findings are not in the plan's rows to write; in memory their lastSeen is simply moved.
    for (const f of findings) {
      const r = this.rows.get(JSON.stringify([cluster, f.id]));
      if (r) r.lastSeen = at;
    }
    for (const id of plan.resolve) {
      const r = this.rows.get(JSON.stringify([cluster, id]));
      if (r) r.resolvedAt = at;
    }
    this.changed();
    return plan.result;
  }

  async list(q: FindingQuery = {}): Promise<Page<StoredFinding>> {
    const limit = pageLimit(q.limit);
    const after =
      q.after === undefined ? undefined : decodeCursor<[string, string]>(q.after, ["string", "string"]);
    const all = [...this.rows.values()]
      .filter(
        (r) =>
          (q.cluster === undefined || r.cluster === q.cluster) &&
          (q.namespace === undefined || r.finding.resource.namespace === q.namespace) &&
          (q.ruleId === undefined || r.finding.ruleId === q.ruleId) &&
          (q.team === undefined || r.finding.team === q.team) &&
          (q.id === undefined || r.finding.id === q.id) &&
          (q.firstSeenSince === undefined || r.firstSeen >= q.firstSeenSince.toISOString()) &&
          (q.resolvedSince === undefined ||
            (r.resolvedAt !== undefined && r.resolvedAt >= q.resolvedSince.toISOString())) &&
          (q.severity === undefined || q.severity.includes(r.finding.severity)) &&
          (!q.openOnly || r.resolvedAt === undefined),
      )
      .sort((a, b) => cmp(a.cluster, b.cluster) || cmp(a.finding.id, b.finding.id))
      .filter(
        (r) =>
          after === undefined || r.cluster > after[0] || (r.cluster === after[0] && r.finding.id > after[1]),
      );
    return pageOf(
      all,
      limit,
      (r) => structuredClone(r),
      (r) => [r.cluster, r.finding.id],
    );
  }

  async stats(q: FindingStatsQuery = {}): Promise<FindingStat[]> {
    return [...this.rows.values()]
      .filter(
        (r) =>
          (q.cluster === undefined || r.cluster === q.cluster) &&
          (q.team === undefined || r.finding.team === q.team),
      )
      .sort((a, b) => cmp(a.cluster, b.cluster) || cmp(a.finding.id, b.finding.id))
      .map((r) => ({
        ...(r.finding.team !== undefined ? { team: r.finding.team } : {}),
        severity: r.finding.severity,
        firstSeen: r.firstSeen,
        lastSeen: r.lastSeen,
        ...(r.resolvedAt !== undefined ? { resolvedAt: r.resolvedAt } : {}),
      }));
  }
}

/** The audit log in memory. */
export class MemoryAuditStore implements AuditStore {
  private readonly entries: AuditEntry[] = [];

  async append(entry: AuditInput): Promise<AuditEntry> {
    const row = auditRow(entry);
    const e: AuditEntry = {
      seq: this.entries.length + 1,
      ...row,
      details: JSON.parse(row.details) as JsonValue,
    };
    this.entries.push(e);
    return structuredClone(e);
  }

  async list(q: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const limit = pageLimit(q.limit);
    const from = q.from?.toISOString();
    const to = q.to?.toISOString();
    const after =
      q.after === undefined ? undefined : decodeCursor<[string, number]>(q.after, ["string", "number"]);
    const all = this.entries
      .filter(
        (e) =>
          (from === undefined || e.at >= from) &&
          (to === undefined || e.at < to) &&
          (after === undefined || e.at > after[0] || (e.at === after[0] && e.seq > after[1])),
      )
      .sort((a, b) => cmp(a.at, b.at) || a.seq - b.seq);
    return pageOf(
      all,
      limit,
      (e) => structuredClone(e),
      (e) => [e.at, e.seq],
    );
  }
}

/** API tokens in memory. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, StoredToken>();

  async put(token: StoredToken): Promise<void> {
    for (const t of this.tokens.values())
      if (t.id === token.id || t.digest === token.digest)
        throw new PalisadeError("INPUT", `token ${token.id} already exists`);
    this.tokens.set(token.id, { ...token });
  }

  async list(): Promise<StoredToken[]> {
    return [...this.tokens.values()].sort((a, b) => cmp(a.id, b.id)).map((t) => ({ ...t }));
  }
}

/** Exceptions in memory. */
export class MemoryExceptionStore implements ExceptionStore {
  private readonly rows = new Map<string, StoredException>();

  async put(e: StoredException): Promise<void> {
    if (this.rows.has(e.id)) throw new PalisadeError("INPUT", `exception ${e.id} already exists`);
    this.rows.set(e.id, structuredClone(e));
  }

  async list(): Promise<StoredException[]> {
    return [...this.rows.values()].sort((a, b) => cmp(a.id, b.id)).map((e) => structuredClone(e));
  }

  async revoke(id: string, revocation: ExceptionRevocation): Promise<StoredException | undefined> {
    const e = this.rows.get(id);
    if (e === undefined) return undefined;
    if (e.revoked !== undefined) throw new PalisadeError("INPUT", `exception ${id} is already revoked`);
    e.revoked = structuredClone(revocation);
    return structuredClone(e);
  }
}
