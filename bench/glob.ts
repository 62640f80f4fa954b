/**
 * Glob matching on hostile input (issue 9, item 8): the issue's `*a{25000}b` against a 50 KB name, the longest
 * accepted pattern against the longest matched name, and many stars. Prints each figure with same-run references:
 * `node -e 0` (process start) and JSON.parse of a string of the same size.
 * Run: npx tsx bench/glob.ts   (bounded: about a second)
 */
import { execFileSync } from "node:child_process";
import { GLOB_MAX_PATTERN, GLOB_MAX_VALUE, globMatch, globPatternProblem } from "../src/core/util/index.js";

function time(label: string, f: () => unknown, runs = 5): void {
  const ms: number[] = [];
  let result: unknown;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: median ${ms[Math.floor(runs / 2)]!.toFixed(2)} ms (result ${String(result)})`);
}

const issuePattern = `*${"a".repeat(25_000)}b`;
const name50k = "a".repeat(50_000);
time("issue case *a{25000}b vs 50 KB name (pattern over the cap: refused)", () =>
  globMatch(issuePattern, name50k),
);
console.log(`  loaders say: ${globPatternProblem(issuePattern)}`);
// A trailing star, so the middle piece is searched through the whole name (a final "b" would fail at once).
const capPattern = `*${"a".repeat(GLOB_MAX_PATTERN - 3)}b*`;
const capValue = "a".repeat(GLOB_MAX_VALUE);
time(`*a{${GLOB_MAX_PATTERN - 3}}b* vs ${GLOB_MAX_VALUE} x "a" (both at the cap, full scan)`, () =>
  globMatch(capPattern, capValue),
);
time(`*(a?*){300}b* vs ${GLOB_MAX_VALUE} x "a" (301 stars, full scan)`, () =>
  globMatch(`*${"a?*".repeat(300)}b*`, capValue),
);
time("payments-* vs payments-eu (typical)", () => globMatch("payments-*", "payments-eu"), 1001);
const json = JSON.stringify(capValue);
time(`reference: JSON.parse of a ${json.length}-byte string`, () => JSON.parse(json).length);
const t = performance.now();
execFileSync(process.execPath, ["-e", "0"]);
console.log(`reference: node -e 0: ${(performance.now() - t).toFixed(0)} ms`);
