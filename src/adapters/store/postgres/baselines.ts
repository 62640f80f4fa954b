import type { CoverageEntry } from "../../../core/findings/index.js";
import { baselineKey, type WorkloadBaseline } from "../../../core/runtime/index.js";
import { baselinesFromRows } from "../memory/baselines.js";
import type { BaselineStore } from "../ports.js";
import type { PgConnection } from "./connection.js";
import { fromPgText, pgText } from "./text.js";

/** Baselines in `runtime_baselines`, one JSON row per (cluster, workload key). */
export class PgBaselineStore implements BaselineStore {
  constructor(private readonly conn: PgConnection) {}

  async listBaselines(
    cluster: string,
  ): Promise<{ baselines: WorkloadBaseline[]; coverage: CoverageEntry[] }> {
    const rows = await this.conn.query<{ key: string; body: string }>(
      `SELECT key, body FROM ${this.conn.t("runtime_baselines")} WHERE cluster = $1`,
      [pgText(cluster)],
      "cannot read the baselines",
    );
    return baselinesFromRows(
      rows.map((r) => ({ key: fromPgText(r.key), body: fromPgText(r.body) })),
      cluster,
    );
  }

  async putBaselines(cluster: string, baselines: readonly WorkloadBaseline[], now: Date): Promise<void> {
    if (baselines.length === 0) return;
    await this.conn.transaction("cannot store the baselines", async (c) => {
      for (const b of baselines)
        await c.query(
          `INSERT INTO ${this.conn.t("runtime_baselines")} (cluster, key, body, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (cluster, key) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at`,
          [pgText(cluster), pgText(baselineKey(b)), pgText(JSON.stringify(b)), now.toISOString()],
        );
    });
  }

  async deleteBaselines(cluster: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.conn.query(
      `DELETE FROM ${this.conn.t("runtime_baselines")} WHERE cluster = $1 AND key = ANY($2::text[])`,
      [pgText(cluster), keys.map(pgText)],
      "cannot delete the baselines",
    );
  }

  async baselineClusters(): Promise<string[]> {
    const rows = await this.conn.query<{ cluster: string }>(
      `SELECT DISTINCT cluster FROM ${this.conn.t("runtime_baselines")} ORDER BY cluster`,
      [],
      "cannot read the baselines",
    );
    return rows.map((r) => fromPgText(r.cluster));
  }
}
