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
 * Instruction counts (valgrind's callgrind, median of three runs each) do not change with the machine's load,
 * unlike wall times. In all they vary by up to 60 M between runs (V8's hash seed set-up, and background work that
 * may or may not finish before the process exits); the main thread's without the hash seed set-up, also printed,
 * repeat to within about 1 M (see instructions()).
 *
 * The build makes the code cache (dist/cli/chunks/*.cache) by scanning a few files of examples/demo/manifests one
 * at a time, not the default file: the cache is compiled code, not data, and a file outside the examples
 * (src/adapters/manifests/__fixtures__/kustomize-rendered.yaml) gives the figure for other input too.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
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

/**
 * Instructions of one run under callgrind, or undefined when valgrind is missing: of all threads, and of the main
 * thread without V8's hash seed set-up (`HashSeed::InitializeRoots`). That set-up searches for random primes, 5 to
 * 35 M instructions, differently on every run of every process; other threads run V8's background work, which a
 * short run may or may not finish before it exits (a TurboFan compile of 28 M instructions, on another core, in
 * some runs of a one-file scan and not in others). Without both, the same build and input count the same to within
 * about 1 M.
 */
function instructions(
  args: string[],
  env: NodeJS.ProcessEnv,
): { total: number; main: number | undefined } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "palisade-startup-"));
  const out = join(dir, "callgrind.out");
  try {
    const r = spawnSync(
      "valgrind",
      [
        "--tool=callgrind",
        "--separate-threads=yes",
        `--callgrind-out-file=${out}`,
        process.execPath,
        ...args,
      ],
      { encoding: "utf8", maxBuffer: 1 << 26, env },
    );
    const m = /Collected : (\d+)/.exec(r.stderr ?? "");
    if (!m) return undefined;
    const total = Number(m[1]);
    // The main thread's profile is the first one (callgrind.out-01).
    const first = readdirSync(dir)
      .filter((f) => /^callgrind\.out-\d+$/.test(f))
      .sort()[0];
    if (first === undefined) return { total, main: undefined };
    const text = readFileSync(join(dir, first), "utf8");
    const summary = /^(?:summary|totals): (\d+)/m.exec(text);
    const a = spawnSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", join(dir, first)], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const line = (a.stdout ?? "").split("\n").find((l) => l.includes("HashSeed::InitializeRoots"));
    const seed = line === undefined ? Number.NaN : Number(line.trim().split(/\s+/)[0]?.replace(/,/g, ""));
    return {
      total,
      main: summary && !Number.isNaN(seed) ? Number(summary[1]) - seed : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
    // Median of three runs each, interleaved: the main thread's count can still differ when V8's background
    // compile of a hot function finishes early enough for the optimised code to run.
    const runs = cases.map(() => [] as NonNullable<ReturnType<typeof instructions>>[]);
    for (let k = 0; k < 3; k++)
      cases.forEach(([, args], i) => {
        const n = instructions(args, env);
        if (n !== undefined) runs[i]?.push(n);
      });
    const counts = runs.map((rs) =>
      rs.length === 0
        ? undefined
        : {
            total: median(rs.map((r) => r.total)),
            main: rs.every((r) => r.main !== undefined) ? median(rs.map((r) => r.main as number)) : undefined,
          },
    );
    const ref = counts[0];
    if (ref === undefined) console.log("instructions: valgrind not found");
    else
      cases.forEach(([name], i) => {
        const n = counts[i] as NonNullable<typeof ref>;
        const main =
          n.main !== undefined && ref.main !== undefined
            ? `; main thread without V8's hash seed set-up ${(n.main / 1e6).toFixed(0)} M, ${(n.main / ref.main).toFixed(2)}x`
            : "";
        console.log(
          `${name.padEnd(42)} ${(n.total / 1e6).toFixed(0).padStart(5)} M instructions  ${(n.total / ref.total).toFixed(2)}x node -e 0${main}`,
        );
      });
  }
}
