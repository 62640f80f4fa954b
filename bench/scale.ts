/**
 * Scale figures (issue: scale): `palisade scan --snapshot` of generated kubectl snapshots (bench/gen-snapshot.ts:
 * a realistic mix, about 5 KiB per object in kubectl's indentation) at several sizes. For each size, in the same
 * run: the wall time and peak RSS of the whole scan command (process start, streamed load, inventory, analysis,
 * JSON output to /dev/null) and of `JSON.parse` of the same file in its own process (the reference; not possible
 * past V8's string limit of 512 MiB, then printed as such). A warm-up scan is run first and reported separately.
 * Snapshots are written to the temp dir and removed afterwards (several GiB: never commit them).
 *
 *   npm run build && npx tsx bench/scale.ts [sizes=100000,300000,1000000] [runs=1]
 *   BEFORE=old/dist/cli/palisade.js npx tsx bench/scale.ts ...   (adds the other build's scan, same run)
 * Targets: 1M objects complete with peak RSS < 1.5 GiB; 100k: scan wall <= 4x JSON.parse.
 */
import { rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE, median, type Run, timed } from "./cli-run.js";
import { writeSnapshot } from "./gen-snapshot.js";

const sizes = (process.argv[2] ?? "100000,300000,1000000").split(",").map(Number);
const runs = Number(process.argv[3] ?? 1);
const before = process.env.BEFORE;
const MAX_STRING = 2 ** 29 - 24;
const rows: string[] = [];
for (const n of sizes) {
  const file = join(tmpdir(), `palisade-scale-${n}.json`);
  try {
    const t0 = performance.now();
    const stats = await writeSnapshot(file, n);
    const genS = (performance.now() - t0) / 1000;
    const mib = statSync(file).size / 1024 / 1024;
    console.log(`${n} objects: ${mib.toFixed(0)} MiB written in ${genS.toFixed(0)} s`);
    const scanArgs = [BUNDLE, "scan", "--snapshot", file, "-o", "json"];
    const parseArgs = ["-e", `JSON.parse(require("fs").readFileSync(${JSON.stringify(file)}, "utf8"))`];
    const warm = timed(scanArgs);
    const scans: Run[] = [];
    const parses: Run[] = [];
    for (let k = 0; k < runs; k++) {
      scans.push(timed(scanArgs));
      if (statSync(file).size < MAX_STRING) parses.push(timed(parseArgs));
    }
    const scanMs = median(scans.map((r) => r.wallMs));
    const scanRss = scans.reduce((m, r) => Math.max(m, r.peakRssMiB), 0);
    const parseMs = parses.length ? median(parses.map((r) => r.wallMs)) : Number.NaN;
    const parseRss = parses.reduce((m, r) => Math.max(m, r.peakRssMiB), 0);
    const row = `| ${n.toLocaleString("en")} | ${mib.toFixed(0)} MiB (${(stats.bytes / stats.objects / 1024).toFixed(1)} KiB/object) | ${(scanMs / 1000).toFixed(1)} s | ${scanRss.toFixed(0)} MiB | ${
      parses.length
        ? `${(parseMs / 1000).toFixed(1)} s, ${parseRss.toFixed(0)} MiB`
        : "n/a (file over V8's string limit)"
    } | ${parses.length ? `${(scanMs / parseMs).toFixed(2)}x` : "-"} | ${(warm.wallMs / 1000).toFixed(1)} s, ${warm.peakRssMiB.toFixed(0)} MiB |`;
    rows.push(row);
    console.log(row);
    if (before) {
      const b = timed([before, ...scanArgs.slice(1)]);
      console.log(
        `  before (${before}): ${(b.wallMs / 1000).toFixed(1)} s, peak RSS ${b.peakRssMiB.toFixed(0)} MiB, exit ${b.code}`,
      );
    }
  } finally {
    rmSync(file, { force: true });
  }
}
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);
console.log(
  "\n| Objects | Snapshot | scan wall | scan peak RSS | JSON.parse of the file (wall, peak RSS) | scan / JSON.parse | warm-up scan |",
);
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
