/**
 * Benchmark (issue 9 item 14): what the integrity check at open (PRAGMA quick_check) costs on a realistic
 * vulnerability database: 200,000 generated advisories (bench/vuln-match-data.ts) in SQLite. Prints the file
 * size and the open time with and without the check (median of 5), with `node -e 0` as a same-run reference.
 * Run: npx tsx bench/vuln-db-open.ts [advisories=200000]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite, SqliteVulnStore } from "../src/adapters/store/index.js";
import type { OsvRecord } from "../src/core/vuln/index.js";
import { advisory } from "./vuln-match-data.js";

const ADVISORIES = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-open-"));
try {
  const file = join(dir, "bench.db");
  const store = new SqliteVulnStore(file);
  await store.beginImport(new Date(0).toISOString());
  for (let i = 0; i < ADVISORIES; i += 5_000) {
    const batch: OsvRecord[] = [];
    for (let j = i; j < Math.min(ADVISORIES, i + 5_000); j++) batch.push(advisory(j));
    await store.putRecords(batch);
  }
  await store.finishImport(new Date(0).toISOString());
  await store.close();
  const median = (check: boolean): number => {
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      openSqlite(file, { check }).close();
      runs.push(performance.now() - t);
    }
    return runs.sort((a, b) => a - b)[2] as number;
  };
  const withCheck = median(true);
  const without = median(false);
  const t0 = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  const nodeMs = performance.now() - t0;
  console.log(
    `${ADVISORIES} advisories, ${(statSync(file).size / 1048576).toFixed(0)} MiB: open with quick_check ${withCheck.toFixed(0)} ms, without ${without.toFixed(1)} ms (median of 5, warm page cache); reference node -e 0 ${nodeMs.toFixed(0)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
