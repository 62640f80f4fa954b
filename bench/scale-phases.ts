/**
 * Where a large scan's memory goes (issue: scale): the scan of `palisade scan --snapshot F -o json` run in this
 * process, phase by phase, over generated snapshots (bench/gen-snapshot.ts) of several sizes. At each phase
 * boundary: the live heap after two forced collections (what the phase keeps) and its bytes per object above the
 * live heap before anything is read, the heap V8 had grown to and the RSS just before that collection (what the
 * phase cost, garbage included), and the peak RSS so far (getrusage). The phases: the inventory built (objects streamed into it, members compacted as they
 * arrive), the analysis done (findings sorted in runs on disk past their memory budget), the JSON report written
 * (to /dev/null).
 *
 *   npx tsx --expose-gc bench/scale-phases.ts [sizes=20000,100000]
 * Each size runs in its own process (a child of this one), so the peak RSS is that size's alone.
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { diskRunStore } from "../src/adapters/fs/index.js";
import { loadSnapshotFiles } from "../src/adapters/manifests/index.js";
import { formatJsonChunks } from "../src/core/report/index.js";
import { assumedRbacDefaults } from "../src/services/rbac/index.js";
import { scanStreaming } from "../src/services/scan/index.js";
import { writeSnapshot } from "./gen-snapshot.js";

const MiB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;

async function measure(file: string, objects: number): Promise<void> {
  if (!gc) throw new Error("run with --expose-gc");
  const rows: string[] = [];
  const t0 = performance.now();
  let base: number | undefined;
  const mark = (phase: string) => {
    const before = process.memoryUsage();
    gc();
    gc();
    const live = process.memoryUsage().heapUsed;
    base ??= live;
    rows.push(
      `| ${objects.toLocaleString("en")} | ${phase} | ${((performance.now() - t0) / 1000).toFixed(1)} s | ${(live / MiB).toFixed(0)} MiB | ${((live - base) / objects).toFixed(0)} | ${(before.heapTotal / MiB).toFixed(0)} MiB | ${(before.rss / MiB).toFixed(0)} MiB | ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB |`,
    );
  };
  mark("start");
  const runs = diskRunStore();
  try {
    const { report } = await scanStreaming(
      {
        sources: { snapshots: [file] },
        options: { version: "bench", rbac: assumedRbacDefaults(undefined) },
      },
      {
        readers: {
          rereadable: true,
          snapshots: (files, budget, sink) =>
            loadSnapshotFiles([...files], { budget, ...(sink ? { onObject: sink } : {}) }),
        },
        now: () => new Date(0),
        runs,
      },
      { analysing: () => mark("inventory built") },
    );
    mark("analysis done");
    const out = createWriteStream("/dev/null");
    for (const chunk of formatJsonChunks(report))
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
    await new Promise<void>((r) => out.end(() => r()));
    mark("JSON written");
  } finally {
    runs.dispose();
  }
  for (const r of rows) console.log(r);
}

const [sizeArg, child] = [process.argv[2], process.argv[3]];
if (child !== undefined) {
  await measure(child, Number(sizeArg));
} else {
  const sizes = (sizeArg ?? "20000,100000").split(",").map(Number);
  console.log(
    "| Objects | Phase | Time | Live heap | Bytes/object | Heap before GC | RSS before GC | Peak RSS so far |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const n of sizes) {
    const file = join(tmpdir(), `palisade-scale-phases-${n}.json`);
    try {
      await writeSnapshot(file, n);
      const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, String(n), file], {
        stdio: ["ignore", "inherit", "inherit"],
      });
      if (r.status !== 0) throw new Error(`${n} objects: exit ${r.status}`);
    } finally {
      rmSync(file, { force: true });
    }
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
}
