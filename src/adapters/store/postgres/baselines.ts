import type { CoverageEntry } from "../../../core/findings/index.js";
import { baselineKey, type WorkloadBaseline } from "../../../core/runtime/index.js";
import { baselinesFromRows } from "../memory/baselines.js";
import type { BaselineStore } from "../ports.js";
import type { PgConnection } from "./connection.js";
import { fromPgText, pgText } from "./text.js";

/** Baselines in `runtime_baselines`, one JSON row per workload key. */
export class PgBaselineStore implements BaselineStore {
  constructor(private readonly conn: PgConnection) {}

  async listBaselines(): Promise<{ baselines: WorkloadBaseline[]; coverage: CoverageEntry[] }> {
    const rows = await this.conn.query<{ key: string; body: string }>(
      `SELECT key, body FROM ${this.conn.t("runtime_baselines")}`,
      [],
      "cannot read the baselines",
    );
    return baselinesFromRows(rows.map((r) => ({ key: fromPgText(r.key), body: fromPgText(r.body) })));
  }

  async putBaselines(baselines: readonly WorkloadBaseline[], now: Date): Promise<void> {
    if (baselines.length === 0) return;
    await this.conn.transaction("cannot store the baselines", async (c) => {
      for (const b of baselines)
        await c.query(
          `INSERT INTO ${this.conn.t("runtime_baselines")} (key, body, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at`,
          [pgText(baselineKey(b)), pgText(JSON.stringify(b)), now.toISOString()],
        );
    });
  }

  async deleteBaselines(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.conn.query(
      `DELETE FROM ${this.conn.t("runtime_baselines")} WHERE key = ANY($1::text[])`,
      [keys.map(pgText)],
      "cannot delete the baselines",
    );
  }
}
