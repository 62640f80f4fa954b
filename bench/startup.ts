/**
 * Start-up figure: `palisade scan one.yaml` (the bundle, process start included) against `node -e 0` in the same
 * run, interleaved so both see the same machine load. Median of 11 runs each; the first (warm-up: disk cache) run
 * of each is excluded and printed separately. Target: scan <= 1.5x `node -e 0`.
 *
 *   npm run build && npx tsx bench/startup.ts [file.yaml] [runs=11]
 *   BEFORE=/path/to/other/dist/cli/palisade.js npx tsx bench/startup.ts   # also that build's runs, same run
 *
 * The build makes the code cache (dist/cli/chunks/*.cache) by scanning examples/demo/manifests, which holds the
 * default file: the cache is compiled code, not data, but a file outside it (src/adapters/manifests/__fixtures__/
 * kustomize-rendered.yaml) gives the figure for input the build never saw.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const BUNDLE = join(ROOT, "dist", "cli", "palisade.js");
const FILE = process.argv[2] ?? join(ROOT, "examples", "demo", "manifests", "payments", "helm-rendered.yaml");
const RUNS = Number(process.argv[3] ?? 11);
if (!existsSync(BUNDLE)) throw new Error(`no bundle at ${BUNDLE}: run npm run build first`);

const BEFORE = process.env.BEFORE;
const cases: [string, string[]][] = [
  ["node -e 0", ["-e", "0"]],
  ["palisade scan one.yaml -o json", [BUNDLE, "scan", FILE, "-o", "json"]],
  ["palisade scan one.yaml (table)", [BUNDLE, "scan", FILE]],
  ...(BEFORE
    ? ([
        ["before: palisade scan one.yaml -o json", [BEFORE, "scan", FILE, "-o", "json"]],
        ["before: palisade scan one.yaml (table)", [BEFORE, "scan", FILE]],
      ] as [string, string[]][])
    : []),
];
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
const loadBefore = load();

function once(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const warm = cases.map(([, args]) => once(args));
const times = cases.map(() => [] as number[]);
for (let k = 0; k < RUNS; k++)
  cases.forEach(([, args], i) => {
    times[i]?.push(once(args));
  });
const base = median(times[0] as number[]);
console.log(
  `file: ${FILE}; ${RUNS} interleaved runs each, median (all runs); warm-up run excluded; load average ${loadBefore} before, ${load()} after`,
);
cases.forEach(([name], i) => {
  const t = times[i] as number[];
  console.log(
    `${name.padEnd(42)} ${median(t).toFixed(0).padStart(5)} ms (${[...t]
      .sort((a, b) => a - b)
      .map((x) => x.toFixed(0))
      .join(
        " ",
      )})  ${(median(t) / base).toFixed(2)}x node -e 0   warm-up ${(warm[i] as number).toFixed(0)} ms`,
  );
});
