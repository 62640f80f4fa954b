/**
 * Benchmark (issue 9 item 9): one OSV record affecting N packages and an SBOM listing those N packages, matched
 * through the SQLite store. Before the fix the store returned the record once per key and the matcher walked
 * every affected entry for every package (N x N): 2.5 GB at 2,000 packages, a V8 heap abort at 5,000.
 * Prints lookup + match time, findings and the process's peak RSS, with same-run references: `node -e 0`
 * wall time and JSON.parse of the record's text.
 * Run: npx tsx bench/vuln-match-wide.ts [packages=4999]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteVulnStore } from "../src/adapters/store/index.js";
import type { Sbom } from "../src/core/sbom/index.js";
import { DEFAULT_RESOLVER, matchPackages, type OsvRecord, packageQueries } from "../src/core/vuln/index.js";

const N = Number(process.argv[2] ?? 4_999);

const record: OsvRecord = {
  id: "WIDE-1",
  modified: "2024-01-01T00:00:00Z",
  aliases: [],
  related: [],
  upstream: [],
  severity: [],
  affected: Array.from({ length: N }, (_, i) => ({
    package: { ecosystem: "npm", name: `pkg-${i}` },
    ranges: [{ type: "ECOSYSTEM" as const, events: [{ introduced: "0" }, { fixed: "2.0.0" }] }],
    versions: [],
    severity: [],
  })),
};
const sbom: Sbom = {
  subject: { kind: "sbom", name: "wide" },
  packages: Array.from({ length: N }, (_, i) => ({
    name: `pkg-${i}`,
    version: "1.0.0",
    type: "npm",
    purl: `pkg:npm/pkg-${i}@1.0.0`,
    locations: [],
  })),
} as unknown as Sbom;

const dir = mkdtempSync(join(tmpdir(), "palisade-bench-wide-"));
try {
  const t0 = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  const nodeStartMs = performance.now() - t0;
  const text = JSON.stringify(record);
  const t1 = performance.now();
  JSON.parse(text);
  const parseMs = performance.now() - t1;

  const store = new SqliteVulnStore(join(dir, "wide.db"));
  await store.putRecords([record]);
  await store.markImported(new Date(0).toISOString());
  const rssBefore = process.memoryUsage().rss;
  const t2 = performance.now();
  const byKey = await store.lookup(packageQueries(sbom).map((q) => q.key));
  const lookupMs = performance.now() - t2;
  const result = matchPackages(sbom, byKey, { resolver: DEFAULT_RESOLVER });
  const totalMs = performance.now() - t2;
  await store.close();
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${N} packages x 1 record with ${N} affected entries (${(text.length / 1024).toFixed(0)} KiB of JSON): ` +
      `lookup + match ${totalMs.toFixed(0)} ms (lookup ${lookupMs.toFixed(0)} ms), ${result.findings.length} findings, ` +
      `peak RSS ${maxRssMiB.toFixed(0)} MiB (${(rssBefore / 1048576).toFixed(0)} MiB before matching)`,
  );
  console.log(
    `references: node -e 0 ${nodeStartMs.toFixed(0)} ms; JSON.parse of the record ${parseMs.toFixed(1)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
