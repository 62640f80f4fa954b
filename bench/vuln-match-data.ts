/**
 * Generated data shared by the vulnerability-matching benchmarks (bench/vuln-match.ts for SQLite,
 * bench/vuln-match-pg.ts for PostgreSQL): the same advisories and the same SBOM, so the figures compare.
 */
import type { Package, Sbom } from "../src/core/sbom/model.js";
import type { OsvRecord } from "../src/core/vuln/index.js";
import { prng } from "../test/support/prng.js";

export const PACKAGES = 1_000;
const NAMES_PER_ECO = 20_000;

// Seeded, so every run measures the same data.
const rand = prng(42);
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

/** The i-th generated advisory (call in order 0, 1, 2, ... for the same data every run). */
export function advisory(i: number): OsvRecord {
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

/** A generated SBOM of `count` packages over the same ecosystems and name space as the advisories. */
export function benchSbom(count = PACKAGES): Sbom {
  const packages: Package[] = [];
  for (let i = 0; i < count; i++) {
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
  return {
    subject: { kind: "sbom", name: "bench" },
    os: { id: "debian", versionId: "12" },
    layers: [],
    packages,
  };
}
