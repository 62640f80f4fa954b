import type { CoverageEntry } from "../../../core/findings/index.js";
import { cmp } from "../../../core/findings/index.js";
import { baselineKey, parseBaseline, type WorkloadBaseline } from "../../../core/runtime/index.js";
import type { BaselineStore } from "../ports.js";

/** Baselines kept as JSON text, as the other backends keep them (so a returned value is never shared). */
export class MemoryBaselineStore implements BaselineStore {
  /** cluster -> key -> JSON body. */
  private readonly rows = new Map<string, Map<string, string>>();

  async listBaselines(
    cluster: string,
  ): Promise<{ baselines: WorkloadBaseline[]; coverage: CoverageEntry[] }> {
    return baselinesFromRows(
      [...(this.rows.get(cluster) ?? [])].map(([key, body]) => ({ key, body })),
      cluster,
    );
  }

  async putBaselines(cluster: string, baselines: readonly WorkloadBaseline[], _now: Date): Promise<void> {
    if (baselines.length === 0) return;
    let rows = this.rows.get(cluster);
    if (!rows) {
      rows = new Map();
      this.rows.set(cluster, rows);
    }
    for (const b of baselines) rows.set(baselineKey(b), JSON.stringify(b));
  }

  async deleteBaselines(cluster: string, keys: readonly string[]): Promise<void> {
    const rows = this.rows.get(cluster);
    if (!rows) return;
    for (const k of keys) rows.delete(k);
    if (rows.size === 0) this.rows.delete(cluster);
  }

  async baselineClusters(): Promise<string[]> {
    return [...this.rows.keys()].sort(cmp);
  }
}

/** Rows (key, JSON body) to baselines ordered by key; a row that does not parse is a coverage entry. */
export function baselinesFromRows(
  rows: readonly { key: string; body: string }[],
  cluster: string,
): {
  baselines: WorkloadBaseline[];
  coverage: CoverageEntry[];
} {
  const baselines: WorkloadBaseline[] = [];
  const coverage: CoverageEntry[] = [];
  for (const r of [...rows].sort((a, b) => cmp(a.key, b.key))) {
    let b: WorkloadBaseline | undefined;
    try {
      b = parseBaseline(JSON.parse(r.body));
    } catch {
      b = undefined;
    }
    if (b) baselines.push(b);
    else
      coverage.push({
        reason: "invalid",
        message: `stored baseline ${cluster === "" ? "" : `${cluster}/`}${r.key} does not parse; it was skipped`,
      });
  }
  return { baselines, coverage };
}
