/**
 * Whole-command measurements for benchmarks: run the bundled CLI (`dist/cli/palisade.js`, what users run) in a
 * child under GNU time, so the figure includes process start, loading, analysis and output, and the peak RSS is
 * the command's own (not the benchmark's data generation). A warm-up run is made first and reported separately.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

export const BUNDLE = join(import.meta.dirname, "..", "dist", "cli", "palisade.js");

export interface Run {
  wallMs: number;
  /** User + system CPU time of the command (all its threads): steadier than wall time on a shared machine. */
  cpuMs: number;
  peakRssMiB: number;
  code: number | null;
}

/** One run of `node args...` under /usr/bin/time; stdout is discarded (written to /dev/null by the child). */
export function timed(args: string[]): Run {
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-time-"));
  const out = join(dir, "time");
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M %U %S", "-o", out, process.execPath, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let fields: number[] = [];
  try {
    fields = spawnSync("tail", ["-n1", out], { encoding: "utf8" }).stdout.trim().split(" ").map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`${args.join(" ")}: exit ${r.status}\n${r.stderr.slice(0, 2000)}`);
  const [kb = Number.NaN, user = Number.NaN, sys = Number.NaN] = fields;
  return { wallMs, cpuMs: (user + sys) * 1000, peakRssMiB: kb / 1024, code: r.status };
}

export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** `node -e 0`: process start, the reference every whole-command figure is read against. */
export const NODE_START: [string, string[]] = ["node -e 0", ["-e", "0"]];

/** JSON.parse of the command's input file in its own process: the other same-run reference. */
export function parseReference(file: string, name = "JSON.parse of the input"): [string, string[]] {
  return [name, ["-e", `JSON.parse(require("fs").readFileSync(${JSON.stringify(file)}, "utf8"))`]];
}

const loadText = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

/**
 * Warm-up, then `runs` interleaved runs of each command; prints median wall, median CPU (user + system) and max
 * peak RSS per command, each as a ratio to the first command (the reference, `node -e 0`), and the load average
 * before and after (the machine is shared: read the ratios and the CPU times, not the wall times alone).
 */
export function compare(label: string, commands: [string, string[]][], runs = 3): Map<string, Run[]> {
  if (!existsSync(BUNDLE)) throw new Error(`no bundle at ${BUNDLE}: run npm run build first`);
  const loadBefore = loadText();
  const warm = commands.map(([, args]) => timed(args));
  const all = new Map<string, Run[]>(commands.map(([name]) => [name, []]));
  for (let k = 0; k < runs; k++) for (const [name, args] of commands) all.get(name)?.push(timed(args));
  console.log(
    `${label}: ${runs} interleaved runs, median wall and CPU, max peak RSS; warm-up run excluded; load average ${loadBefore} before, ${loadText()} after (${cpus().length} CPUs)`,
  );
  const ref = median((all.get(commands[0]?.[0] ?? "") ?? []).map((r) => r.wallMs));
  commands.forEach(([name], i) => {
    const rs = all.get(name) ?? [];
    const rss = rs.reduce((m, r) => Math.max(m, r.peakRssMiB), 0);
    const wall = median(rs.map((r) => r.wallMs));
    const w = warm[i] as Run;
    console.log(
      `  ${name.padEnd(48)} ${wall.toFixed(0).padStart(7)} ms wall (${(wall / ref).toFixed(1).padStart(5)}x)  ${median(
        rs.map((r) => r.cpuMs),
      )
        .toFixed(0)
        .padStart(
          6,
        )} ms CPU  peak RSS ${rss.toFixed(0).padStart(5)} MiB   (warm-up ${w.wallMs.toFixed(0)} ms, ${w.peakRssMiB.toFixed(0)} MiB)`,
    );
  });
  return all;
}

/** Write objects as a `kubectl get -o json` List to a temp file; returns the path and a cleanup. */
export function writeList(objects: readonly unknown[]): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-list-"));
  const file = join(dir, "cluster.json");
  writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
