/**
 * Version comparison throughput per scheme, and `palisade versions compare` over 100,000 stdin pairs.
 * Run: npx tsx bench/versions.ts   (bounded: about 0.3 s per scheme plus one CLI run)
 */
import { PassThrough } from "node:stream";
import { run } from "../src/apps/cli/program.js";
import type { VersionScheme } from "../src/core/versions/index.js";
import {
  apk,
  dpkg,
  go,
  maven,
  nuget,
  packagist,
  pep440,
  rpm,
  rubygems,
  semver,
} from "../src/core/versions/index.js";
import { dpkgGen, mavenGen, pep440Gen, rng, rpmGen, semverGen } from "../test/support/version-generators.js";

const fixed = (xs: string[]) => () => xs[Math.floor(r() * xs.length)]!;
const r = rng(9);
const POOLS: [string, VersionScheme, () => string][] = [
  ["dpkg", dpkg, dpkgGen(1)],
  [
    "apk",
    apk,
    fixed(["1.0", "1.0-r1", "1.0_alpha2", "1.2.3_p4-r5", "2.0_rc1", "1.01", "20240101", "1.0a-r2"]),
  ],
  ["rpm", rpm, rpmGen(2)],
  ["semver", semver, semverGen(3)],
  ["go", go, fixed(["v1.2.3", "v0.0.0-20191109021931-daa7c04131f5", "v2.0.0+incompatible", "v1.2.4-pre.1"])],
  [
    "pep440",
    pep440,
    () => {
      const g = pep440Gen(4);
      let v = g();
      while (!pep440.isValid(v)) v = g();
      return v;
    },
  ],
  ["maven", maven, mavenGen(5)],
  ["rubygems", rubygems, fixed(["1.0", "1.0.a", "1.2.3.rc1", "2.0.0-beta.1", "10.1.2", "0.9.9.pre"])],
  ["nuget", nuget, fixed(["1.0", "1.0.0-alpha.1", "2.1.3.4", "1.0.0-RC.2+sha", "3.0.0"])],
  ["packagist", packagist, fixed(["1.0", "v1.0.0", "1.0.0-beta1", "1.0.0-RC2", "2.3.4-patch1", "1.x-dev"])],
];

console.log("scheme       compares/s");
for (const [name, scheme, gen] of POOLS) {
  const valid = (): string => {
    let v = gen();
    while (!scheme.isValid(v)) v = gen();
    return v;
  };
  const pairs = Array.from({ length: 2000 }, () => [valid(), valid()] as const);
  let n = 0;
  let sink = 0;
  const start = performance.now();
  while (performance.now() - start < 300) {
    for (const [a, b] of pairs) sink += scheme.compare(a, b);
    n += pairs.length;
  }
  const perSec = Math.round(n / ((performance.now() - start) / 1000));
  console.log(
    `${name.padEnd(12)} ${perSec.toLocaleString("en-US")}${sink === Number.MIN_SAFE_INTEGER ? "!" : ""}`,
  );
}

// The CLI over stdin, in-process (no node start-up cost).
const lines = Array.from({ length: 100_000 }, (_, i) => `1:${i % 97}.${i}-1 1:${i % 89}.${i}~rc1-1`).join(
  "\n",
);
const stdin = new PassThrough();
const stdout = new PassThrough();
let bytes = 0;
stdout.on("data", (d: Buffer) => (bytes += d.length));
stdin.end(`${lines}\n`);
const start = performance.now();
const code = await run(["versions", "compare", "-e", "Debian"], {
  stdin,
  stdout,
  stderr: new PassThrough(),
  env: {},
  cwd: process.cwd(),
  now: () => new Date(0),
  exitCode: 0,
});
console.log(
  `cli stdin    100,000 Debian pairs in ${Math.round(performance.now() - start)} ms (exit ${code}, ${bytes} bytes out)`,
);
