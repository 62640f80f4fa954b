/**
 * Benchmark: the bench/vuln-match.ts workload against PostgreSQL: import 200,000 generated advisories, then
 * match a generated 1,000-package SBOM (store lookups + matching, same data as the SQLite benchmark).
 * Each run uses a fresh schema (palisade_bench_<random>) that is dropped at the end.
 * Run: npx tsx bench/vuln-match-pg.ts [advisories] [postgres://url]   (or PALISADE_BENCH_PG_URL)
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { PgVulnStore } from "../src/adapters/store/index.js";
import { DEFAULT_RESOLVER, matchPackages, type OsvRecord, packageQueries } from "../src/core/vuln/index.js";
import { advisory, benchSbom, PACKAGES } from "./vuln-match-data.js";

const ADVISORIES = Number(process.argv[2] ?? 200_000);
const URL_BASE =
  process.argv[3] ?? process.env.PALISADE_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** Records per putRecords call (one transaction each), as `palisade vuln db import` would batch. */
const BATCH = 5_000;

const schema = `palisade_bench_${randomBytes(6).toString("hex")}`;
const store = await PgVulnStore.open(URL_BASE, { schema });
try {
  const t0 = performance.now();
  for (let i = 0; i < ADVISORIES; i += BATCH) {
    const batch: OsvRecord[] = [];
    for (let j = i; j < Math.min(ADVISORIES, i + BATCH); j++) batch.push(advisory(j));
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
  const t2 = performance.now();
  const status = await store.status();
  const statusMs = performance.now() - t2;
  runs.sort((a, b) => a - b);
  lookupRuns.sort((a, b) => a - b);
  console.log(
    `postgres advisories imported: ${ADVISORIES} in ${(importMs / 1000).toFixed(2)} s (${Math.round(ADVISORIES / (importMs / 1000))} records/s, ${BATCH} per transaction)`,
  );
  console.log(`sbom: ${PACKAGES} packages, ${lookups} indexed lookups, ${findings} findings`);
  console.log(
    `match (lookups + matching): ${runs.length} runs median ${runs[3]?.toFixed(1)} ms, min ${runs[0]?.toFixed(1)} ms, max ${runs[runs.length - 1]?.toFixed(1)} ms; of which store lookups median ${lookupRuns[3]?.toFixed(1)} ms`,
  );
  console.log(
    `status (${status.advisories} advisories, ${status.packages} packages): ${statusMs.toFixed(1)} ms`,
  );
} finally {
  await store.close();
  const admin = new pg.Client({ connectionString: URL_BASE });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
