/**
 * Benchmark: match a generated 1,000-package SBOM against a generated 200,000-advisory SQLite database.
 * Prints import time (not part of the target) and match time = store lookups + matching (target < 100 ms).
 * Run: npx tsx bench/vuln-match.ts [advisories]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteVulnStore } from "../src/adapters/store/index.js";
import type { Package, Sbom } from "../src/core/sbom/model.js";
import { DEFAULT_RESOLVER, matchPackages, type OsvRecord, packageQueries } from "../src/core/vuln/index.js";

const ADVISORIES = Number(process.argv[2] ?? 200_000);
const PACKAGES = 1_000;
const NAMES_PER_ECO = 20_000;

// Deterministic PRNG (mulberry32) so every run measures the same data.
let seed = 42;
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n: number): number => Math.floor(rand() * n);

type Eco = {
  eco: string;
  type: Package["type"];
  name: (i: number) => string;
  ver: (a: number, b: number) => string;
  range: "SEMVER" | "ECOSYSTEM";
};
const ECOS: Eco[] = [
  { eco: "npm", type: "npm", name: (i) => `pkg-${i}`, ver: (a, b) => `${a}.${b}.0`, range: "SEMVER" },
  { eco: "PyPI", type: "pypi", name: (i) => `py-lib-${i}`, ver: (a, b) => `${a}.${b}`, range: "ECOSYSTEM" },
  {
    eco: "Debian:12",
    type: "deb",
    name: (i) => `src${i}`,
    ver: (a, b) => `${a}.${b}-1~deb12u1`,
    range: "ECOSYSTEM",
  },
  {
    eco: "Maven",
    type: "maven",
    name: (i) => `org.example:art${i}`,
    ver: (a, b) => `${a}.${b}.0`,
    range: "ECOSYSTEM",
  },
  {
    eco: "Go",
    type: "golang",
    name: (i) => `example.com/mod${i}`,
    ver: (a, b) => `${a}.${b}.0`,
    range: "SEMVER",
  },
];

function advisory(i: number): OsvRecord {
  const e = ECOS[i % ECOS.length] as Eco;
  const major = int(5);
  return {
    id: `BENCH-${i}`,
    modified: "2024-05-01T00:00:00Z",
    aliases: [`CVE-2024-${100000 + i}`],
    related: [],
    upstream: [],
    summary: `generated advisory ${i}`,
    severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
    affected: [
      {
        package: { ecosystem: e.eco, name: e.name(int(NAMES_PER_ECO)) },
        ranges: [{ type: e.range, events: [{ introduced: "0" }, { fixed: e.ver(major, int(20)) }] }],
        versions: [],
        severity: [],
      },
    ],
  };
}

const dir = mkdtempSync(join(tmpdir(), "palisade-bench-"));
try {
  const store = new SqliteVulnStore(join(dir, "bench.db"));
  const t0 = performance.now();
  for (let i = 0; i < ADVISORIES; i += 5_000) {
    const batch: OsvRecord[] = [];
    for (let j = i; j < Math.min(ADVISORIES, i + 5_000); j++) batch.push(advisory(j));
    store.putRecords(batch);
  }
  store.markImported(new Date(0).toISOString());
  const importMs = performance.now() - t0;

  const packages: Package[] = [];
  for (let i = 0; i < PACKAGES; i++) {
    const e = ECOS[i % ECOS.length] as Eco;
    const name = e.name(int(NAMES_PER_ECO));
    const version = e.type === "golang" ? `v${e.ver(int(5), int(20))}` : e.ver(int(5), int(20));
    const p: Package = {
      type: e.type,
      name,
      version,
      purl: `pkg:${e.type}/${name}@${version}`,
      locations: [],
    };
    if (e.type === "deb") {
      p.name = `lib${name}`;
      p.sourceName = name;
    }
    if (e.type === "maven") {
      const [g, a] = name.split(":") as [string, string];
      p.group = g;
      p.name = a;
    }
    packages.push(p);
  }
  const sbom: Sbom = {
    subject: { kind: "sbom", name: "bench" },
    os: { id: "debian", versionId: "12" },
    layers: [],
    packages,
  };

  const runs: number[] = [];
  const lookupRuns: number[] = [];
  let findings = 0;
  let lookups = 0;
  for (let r = 0; r < 7; r++) {
    const t1 = performance.now();
    const queries = packageQueries(sbom);
    const byKey = store.lookup(queries.map((q) => q.key));
    lookupRuns.push(performance.now() - t1);
    const result = matchPackages(sbom, byKey, { resolver: DEFAULT_RESOLVER });
    runs.push(performance.now() - t1);
    findings = result.findings.length;
    lookups = queries.length;
  }
  store.close();
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
