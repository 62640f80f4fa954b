/**
 * Where a snapshot ingest's CPU goes (issue 14), in this process, phase by phase: the same `ingestSnapshot` the
 * server runs (a streamed gzip body, the demo's images and advisories loaded so remediation records are advanced),
 * with every store call timed in CPU (process.cpuUsage: user + system of this process, which the machine's load
 * changes far less than wall time). Two snapshots of the same cluster: the first into an empty store, then the
 * same objects again an hour later (every finding known: the steady state of a cluster pushed on a schedule).
 * Same-run reference: JSON.parse of the same snapshot text, CPU.
 *
 *   npx tsx bench/ingest-phases.ts [objects=20000] [db=FILE|postgres://...?schema=S]
 *
 * Each snapshot also prints the bytes this process wrote (`wchar` of /proc/self/io: SQLite's WAL and checkpoints)
 * and, on PostgreSQL, the WAL the server generated meanwhile (pg_current_wal_lsn before and after; the whole
 * server's, so other databases' writes on it count too).
 *
 * Without a db, a SQLite file in a temporary directory. Under tsx the loader costs 2-3x its CPU in the bundled
 * server; to measure as the server runs, bundle it first (from the checkout root, where examples/ is found):
 *
 *   npx esbuild --bundle --platform=node --format=esm --packages=external bench/ingest-phases.ts --outfile=ip.mjs
 *   node ip.mjs 20000
 */

import { hash } from "node:crypto";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { loadSnapshotStream } from "../src/adapters/manifests/index.js";
import { openStores, type Stores } from "../src/adapters/store/index.js";
import { bundledDemoDir, loadDemoCatalog } from "../src/apps/server/demo.js";
import { INFLATE_CHUNK_BYTES } from "../src/apps/server/snapshot-body.js";
import { ingestSnapshot } from "../src/services/ingest/index.js";
import { writeSnapshot } from "./gen-snapshot.js";

const N = Number(process.argv[2] ?? 20_000);
const DB = process.argv[3];
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-ingest-"));
/** Bytes this process passed to write(2) so far (Linux). */
const written = (): number =>
  Number(/wchar: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))?.[1] ?? Number.NaN);
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
/** The PostgreSQL server's WAL position in bytes, when DB is a PostgreSQL URL. */
async function walPosition(): Promise<number | undefined> {
  if (!DB?.startsWith("postgres")) return undefined;
  const pg = (await import("pg")).default;
  const c = new pg.Client({ connectionString: DB.replace(/\?.*$/, "") });
  await c.connect();
  try {
    const r = await c.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS b");
    return Number((r.rows[0] as { b: string }).b);
  } finally {
    await c.end();
  }
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Each store method's CPU time, summed, by `store.method`. */
function timed(stores: Stores, spent: Map<string, number>): Stores {
  const out: Record<string, unknown> = { location: stores.location, close: () => stores.close() };
  for (const key of Object.keys(stores) as (keyof Stores)[]) {
    const store = stores[key];
    if (typeof store !== "object" || store === null) continue;
    out[key] = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function") return v;
        return async (...args: unknown[]) => {
          const t0 = cpu();
          try {
            return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            const k = `${String(key)}.${String(prop)}`;
            spent.set(k, (spent.get(k) ?? 0) + cpu() - t0);
          }
        };
      },
    });
  }
  return out as unknown as Stores;
}

try {
  const file = join(dir, "snapshot.json");
  await writeSnapshot(file, N);
  const gz = join(dir, "snapshot.json.gz");
  const { pipeline } = await import("node:stream/promises");
  const { createGzip } = await import("node:zlib");
  const { createWriteStream } = await import("node:fs");
  await pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(gz));
  const c0 = cpu();
  JSON.parse(readFileSync(file, "utf8"));
  const parseCpu = cpu() - c0;
  console.log(
    `snapshot: ${N} objects, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB; reference: JSON.parse of it ${parseCpu.toFixed(0)} ms CPU; load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  const stores = await openStores(DB ?? join(dir, "store.db"));
  try {
    await loadDemoCatalog(stores, bundledDemoDir(), () => new Date("2026-12-01T00:00:00.000Z"));
    for (const [i, at] of ["2026-12-05T08:00:00.000Z", "2026-12-05T09:00:00.000Z"].entries()) {
      const spent = new Map<string, number>();
      const t0 = cpu();
      const w0 = performance.now();
      const b0 = written();
      const l0 = await walPosition();
      const summary = await ingestSnapshot(
        { cluster: "bench", display: "upload:bench" },
        {
          readSnapshot: (files, budget) =>
            loadSnapshotStream(
              createReadStream(gz).pipe(createGunzip({ chunkSize: INFLATE_CHUNK_BYTES })),
              files[0] ?? "upload:bench",
              {
                budget,
              },
            ),
          stores: timed(stores, spent),
          now: () => new Date(at),
          hash: (text) => hash("sha256", text, "hex"),
          version: "bench",
        },
      );
      const total = cpu() - t0;
      const wall = performance.now() - w0;
      const bytes = written() - b0;
      const l1 = await walPosition();
      const inStores = [...spent.values()].reduce((a, b) => a + b, 0);
      console.log(
        `${i === 0 ? "first snapshot (empty store)" : "same snapshot again (every finding known)"}: CPU ${total.toFixed(0)} ms (wall ${wall.toFixed(0)} ms), wrote ${MiB(bytes)}${l0 !== undefined && l1 !== undefined ? ` (PostgreSQL WAL ${MiB(l1 - l0)})` : ""}, ${summary.objects} objects, ${summary.findings.total} findings (${JSON.stringify({ opened: summary.findings.opened, updated: summary.findings.updated, resolved: summary.findings.resolved })}), versions ${JSON.stringify(summary.snapshot)}`,
      );
      console.log(`  outside the stores (load, scan, plan): ${(total - inStores).toFixed(0)} ms`);
      for (const [k, v] of [...spent].sort((a, b) => b[1] - a[1]))
        if (v >= 1) console.log(`  ${k}: ${v.toFixed(0)} ms`);
    }
  } finally {
    await stores.close();
  }
  console.log(
    `load at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
