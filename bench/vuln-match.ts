/**
 * Benchmark: match a generated 1,000-package SBOM against a generated 200,000-advisory SQLite database.
 * Prints import time (not part of the target) and match time = store lookups + matching (target < 100 ms).
 * Run: npx tsx bench/vuln-match.ts [advisories]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteVulnStore } from "../src/adapters/store/index.js";
import { DEFAULT_RESOLVER, matchPackages, type OsvRecord, packageQueries } from "../src/core/vuln/index.js";
import { advisory, benchSbom, PACKAGES } from "./vuln-match-data.js";

const ADVISORIES = Number(process.argv[2] ?? 200_000);

const dir = mkdtempSync(join(tmpdir(), "palisade-bench-"));
try {
  const store = new SqliteVulnStore(join(dir, "bench.db"));
  const t0 = performance.now();
  for (let i = 0; i < ADVISORIES; i += 5_000) {
    const batch: OsvRecord[] = [];
    for (let j = i; j < Math.min(ADVISORIES, i + 5_000); j++) batch.push(advisory(j));
    await store.putRecords(batch);
  }
  await store.markImported(new Date(0).toISOString());
  const importMs = performance.now() - t0;

  const sbom = benchSbom(PACKAGES);

  const runs: number[] = [];
  const lookupRuns: number[] = [];
  let findings = 0;
  let lookups = 0;
  for (let r = 0; r < 7; r++) {
    const t1 = performance.now();
    const queries = packageQueries(sbom);
    const byKey = await store.lookup(queries.map((q) => q.key));
    lookupRuns.push(performance.now() - t1);
    const result = matchPackages(sbom, byKey, { resolver: DEFAULT_RESOLVER });
    runs.push(performance.now() - t1);
    findings = result.findings.length;
    lookups = queries.length;
  }
  await store.close();
  runs.sort((a, b) => a - b);
  lookupRuns.sort((a, b) => a - b);
  console.log(
    `advisories imported: ${ADVISORIES} in ${(importMs / 1000).toFixed(2)} s (${Math.round(ADVISORIES / (importMs / 1000))} records/s)`,
  );
  console.log(`sbom: ${PACKAGES} packages, ${lookups} indexed lookups, ${findings} findings`);
  console.log(
    `match (lookups + matching): first ${runs.length} runs median ${runs[3]?.toFixed(1)} ms, min ${runs[0]?.toFixed(1)} ms, max ${runs[runs.length - 1]?.toFixed(1)} ms (target < 100 ms); of which store lookups median ${lookupRuns[3]?.toFixed(1)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
