import type { CoverageEntry } from "../../../core/findings/index.js";
import { baselineKey, type WorkloadBaseline } from "../../../core/runtime/index.js";
import { baselinesFromRows } from "../memory/baselines.js";
import type { BaselineStore } from "../ports.js";
import { type SqliteConnection, sqliteFailure } from "./connection.js";

/** Baselines in `runtime_baselines`, one JSON row per (cluster, workload key). */
export class SqliteBaselineStore implements BaselineStore {
  constructor(private readonly conn: SqliteConnection) {}

  async listBaselines(
    cluster: string,
  ): Promise<{ baselines: WorkloadBaseline[]; coverage: CoverageEntry[] }> {
    try {
      const rows = this.conn.db
        .prepare("SELECT key, body FROM runtime_baselines WHERE cluster = ?")
        .all(cluster) as { key: string; body: string }[];
      return baselinesFromRows(rows, cluster);
    } catch (e) {
      throw sqliteFailure(e, this.conn.file, "cannot read the baselines", this.conn.lockTimeoutMs);
    }
  }

  async putBaselines(cluster: string, baselines: readonly WorkloadBaseline[], now: Date): Promise<void> {
    if (baselines.length === 0) return;
    try {
      const put = this.conn.db.prepare(
        "INSERT INTO runtime_baselines (cluster, key, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (cluster, key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
      );
      this.conn.db
        .transaction(() => {
          for (const b of baselines) put.run(cluster, baselineKey(b), JSON.stringify(b), now.toISOString());
        })
        .immediate();
    } catch (e) {
      throw sqliteFailure(e, this.conn.file, "cannot store the baselines", this.conn.lockTimeoutMs);
    }
  }

  async deleteBaselines(cluster: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      const del = this.conn.db.prepare("DELETE FROM runtime_baselines WHERE cluster = ? AND key = ?");
      this.conn.db
        .transaction(() => {
          for (const k of keys) del.run(cluster, k);
        })
        .immediate();
    } catch (e) {
      throw sqliteFailure(e, this.conn.file, "cannot delete the baselines", this.conn.lockTimeoutMs);
    }
  }

  async baselineClusters(): Promise<string[]> {
    try {
      const rows = this.conn.db
        .prepare("SELECT DISTINCT cluster FROM runtime_baselines ORDER BY cluster")
        .all() as { cluster: string }[];
      return rows.map((r) => r.cluster);
    } catch (e) {
      throw sqliteFailure(e, this.conn.file, "cannot read the baselines", this.conn.lockTimeoutMs);
    }
  }
}
