/**
 * {@link ClusterStateStore} in a SQLite file, for `palisade serve` without PostgreSQL: one row per (cluster, uid)
 * in `fleet_objects`. As on PostgreSQL, the rule of core/deltas is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE
 * stored < new` statement per object, and a batch is one IMMEDIATE transaction (it takes the write lock first), so
 * several processes on one file serialise instead of deadlocking on a lock upgrade.
 *
 * resourceVersions are kept as text (they may exceed SQLite's 64-bit integers) and compared as core/deltas does:
 * by length, then as text, which is numeric order for decimal integers without leading zeros.
 */
import {
  compareRows,
  DEFAULT_STATE_PAGE,
  newestPerObject,
  type ObjectDelta,
  type ObjectStateRow,
} from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { openSqlite, type SqliteDatabase, sqliteFailure } from "../store/index.js";
import type { ApplyResult, ClusterStateStore } from "./ports.js";

export interface SqliteClusterStateOptions {
  /** How long a writer waits for another one's lock (default 120 s). */
  lockTimeoutMs?: number | undefined;
}

interface Row {
  cluster: string;
  uid: string;
  api_version: string;
  kind: string;
  namespace: string;
  name: string;
  resource_version: string;
  deleted: number;
  object: string | null;
}

/** Open (and create when missing) the fleet object state in the SQLite file `file` (":memory:" for a private one). */
export function openSqliteClusterState(
  file: string,
  options: SqliteClusterStateOptions = {},
): ClusterStateStore {
  const db: SqliteDatabase = openSqlite(file, {
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
  });
  const fail = (what: string, e: unknown) =>
    sqliteFailure(e, file, `fleet state: ${what}`, options.lockTimeoutMs);
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS fleet_objects (
      cluster TEXT NOT NULL,
      uid TEXT NOT NULL,
      api_version TEXT NOT NULL,
      kind TEXT NOT NULL,
      namespace TEXT NOT NULL,
      name TEXT NOT NULL,
      resource_version TEXT NOT NULL,
      deleted INTEGER NOT NULL,
      object TEXT,
      PRIMARY KEY (cluster, uid)) WITHOUT ROWID`);
  } catch (e) {
    db.close();
    throw fail("creating the table", e);
  }
  const upsert = db.prepare(
    `INSERT INTO fleet_objects (cluster, uid, api_version, kind, namespace, name, resource_version, deleted, object)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (cluster, uid) DO UPDATE SET api_version = excluded.api_version, kind = excluded.kind,
       namespace = excluded.namespace, name = excluded.name, resource_version = excluded.resource_version,
       deleted = excluded.deleted, object = excluded.object
     WHERE length(fleet_objects.resource_version) < length(excluded.resource_version)
        OR (length(fleet_objects.resource_version) = length(excluded.resource_version)
            AND fleet_objects.resource_version < excluded.resource_version)`,
  );
  const select = db.prepare("SELECT * FROM fleet_objects WHERE cluster = ?");
  // Keyset pages by the primary key (cluster, uid): each page one indexed range read.
  const page = db.prepare(
    "SELECT * FROM fleet_objects WHERE cluster = ? AND deleted = 0 AND uid > ? ORDER BY uid LIMIT ?",
  );
  const clusterList = db.prepare("SELECT DISTINCT cluster FROM fleet_objects ORDER BY cluster");
  const applyAll = db.transaction((batch: readonly ObjectDelta[]) => {
    let applied = 0;
    const clusters = new Set<string>();
    for (const d of batch) {
      const changes = upsert.run(
        d.cluster,
        d.uid,
        d.key.apiVersion,
        d.key.kind,
        d.key.namespace ?? "",
        d.key.name,
        d.resourceVersion,
        d.op === "delete" ? 1 : 0,
        d.op === "delete" ? null : JSON.stringify(d.object ?? null),
      ).changes;
      applied += changes;
      if (changes > 0) clusters.add(d.cluster);
    }
    return { applied, clusters: [...clusters].sort() };
  });
  let closed = false;
  const open = () => {
    if (closed) throw new PalisadeError("IO", `fleet state: ${file} is closed`);
  };
  const read = (cluster: string, live: boolean): ObjectStateRow[] => {
    open();
    let rows: Row[];
    try {
      rows = select.all(cluster) as Row[];
    } catch (e) {
      throw fail("reading", e);
    }
    return rows
      .filter((r) => !live || r.deleted === 0)
      .map(toRow)
      .sort(compareRows);
  };
  return {
    async apply(deltas: readonly ObjectDelta[]): Promise<ApplyResult> {
      open();
      try {
        const r = applyAll.immediate(newestPerObject(deltas));
        return { applied: r.applied, ignored: deltas.length - r.applied, clusters: r.clusters };
      } catch (e) {
        throw fail("applying deltas", e);
      }
    },
    objects: async (cluster) => read(cluster, true),
    rows: async (cluster) => read(cluster, false),
    async *livePages(cluster, pageSize = DEFAULT_STATE_PAGE) {
      const size = Math.max(1, pageSize);
      let after = "";
      for (;;) {
        open();
        let rows: Row[];
        try {
          // Each page is read whole (.all): an open iterator would keep the connection busy for the applies.
          rows = page.all(cluster, after, size) as Row[];
        } catch (e) {
          throw fail("reading", e);
        }
        if (rows.length === 0) return;
        yield rows.map(toRow);
        if (rows.length < size) return;
        after = (rows[rows.length - 1] as Row).uid;
      }
    },
    async tryExclusive(_name, fn) {
      return { ran: true as const, value: await fn() };
    },
    async clusters() {
      open();
      try {
        return (clusterList.all() as { cluster: string }[]).map((r) => r.cluster);
      } catch (e) {
        throw fail("reading", e);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

function toRow(r: Row): ObjectStateRow {
  return {
    cluster: r.cluster,
    uid: r.uid,
    key: {
      apiVersion: r.api_version,
      kind: r.kind,
      ...(r.namespace !== "" ? { namespace: r.namespace } : {}),
      name: r.name,
    },
    resourceVersion: r.resource_version,
    deleted: r.deleted !== 0,
    object: r.object === null ? null : JSON.parse(r.object),
  };
}
