/**
 * Start-up figure: `palisade scan one.yaml` (the bundle, process start included) against `node -e 0` in the same
 * run, interleaved so both see the same machine load. Median of 11 runs each; the first (warm-up: disk cache) run
 * of each is excluded and printed separately. Target: scan <= 1.5x `node -e 0`.
 *
 *   npm run build && npx tsx bench/startup.ts [file.yaml] [runs=11]
 *   BEFORE=/path/to/other/dist/cli/palisade.js npx tsx bench/startup.ts   # also that build's runs, same run
 *   INSTRUCTIONS=1 npx tsx bench/startup.ts                               # also instruction counts (callgrind)
 *
 * Every figure is given twice when NODE_EXTRA_CA_CERTS is set: with the environment as it is, and with that
 * variable unset for both commands. Node reads and parses the named CA bundle at start-up, before any script
 * runs, whether or not the process opens a TLS connection: with the system bundle that is most of `node -e 0`'s
 * work, so with it set the reference is several times larger and the ratio flatters the CLI.
 *
 * Instruction counts (valgrind's callgrind, all threads, one run each) do not change with the machine's load,
 * unlike wall times; they vary by a few million between runs (V8 draws a random hash seed at start).
 *
 * The build makes the code cache (dist/cli/chunks/*.cache) by scanning a few files of examples/demo/manifests one
 * at a time, not the default file: the cache is compiled code, not data, and a file outside the examples
 * (src/adapters/manifests/__fixtures__/kustomize-rendered.yaml) gives the figure for other input too.
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

const CA = "NODE_EXTRA_CA_CERTS";
const withoutCa = { ...process.env };
delete withoutCa[CA];
const envs: [string, NodeJS.ProcessEnv][] = [
  [process.env[CA] ? `${CA}=${process.env[CA]} (as set here)` : `${CA} not set`, process.env],
  ...(process.env[CA] ? ([[`${CA} unset`, withoutCa]] as [string, NodeJS.ProcessEnv][]) : []),
];

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

function once(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26, env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

/** Instructions of one run under callgrind (all threads), or undefined when valgrind is missing. */
function instructions(args: string[], env: NodeJS.ProcessEnv): number | undefined {
  const r = spawnSync(
    "valgrind",
    ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, ...args],
    { encoding: "utf8", maxBuffer: 1 << 26, env },
  );
  const m = /Collected : (\d+)/.exec(r.stderr ?? "");
  return m ? Number(m[1]) : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

console.log(`file: ${FILE}; ${RUNS} interleaved runs each, median (all runs); warm-up run excluded`);
for (const [envName, env] of envs) {
  const loadBefore = load();
  const warm = cases.map(([, args]) => once(args, env));
  const times = cases.map(() => [] as number[]);
  for (let k = 0; k < RUNS; k++)
    cases.forEach(([, args], i) => {
      times[i]?.push(once(args, env));
    });
  const base = median(times[0] as number[]);
  console.log(`\n${envName}: load average ${loadBefore} before, ${load()} after`);
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
  if (process.env.INSTRUCTIONS) {
    const counts = cases.map(([, args]) => instructions(args, env));
    const ref = counts[0];
    if (ref === undefined) console.log("instructions: valgrind not found");
    else
      cases.forEach(([name], i) => {
        const n = counts[i] as number;
        console.log(
          `${name.padEnd(42)} ${(n / 1e6).toFixed(0).padStart(5)} M instructions  ${(n / ref).toFixed(2)}x node -e 0`,
        );
      });
  }
}
