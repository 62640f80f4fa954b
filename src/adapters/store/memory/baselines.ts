import type { CoverageEntry } from "../../../core/findings/index.js";
import { cmp } from "../../../core/findings/index.js";
import { baselineKey, parseBaseline, type WorkloadBaseline } from "../../../core/runtime/index.js";
import type { BaselineStore } from "../ports.js";

/** Baselines kept as JSON text, as the other backends keep them (so a returned value is never shared). */
export class MemoryBaselineStore implements BaselineStore {
  private readonly rows = new Map<string, string>();

  async listBaselines(): Promise<{ baselines: WorkloadBaseline[]; coverage: CoverageEntry[] }> {
    return baselinesFromRows([...this.rows].map(([key, body]) => ({ key, body })));
  }

  async putBaselines(baselines: readonly WorkloadBaseline[], _now: Date): Promise<void> {
    for (const b of baselines) this.rows.set(baselineKey(b), JSON.stringify(b));
  }

  async deleteBaselines(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.rows.delete(k);
  }
}

/** Rows (key, JSON body) to baselines ordered by key; a row that does not parse is a coverage entry. */
export function baselinesFromRows(rows: readonly { key: string; body: string }[]): {
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
        message: `stored baseline ${r.key} does not parse; it was skipped`,
      });
  }
  return { baselines, coverage };
}
