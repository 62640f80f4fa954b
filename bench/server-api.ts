/**
 * Server figures of issue 14: ingest of an N-object snapshot through `POST /api/v1/clusters/{c}/snapshots`
 * (evaluated and queryable: posture findings, object versions, remediation records) into an embedded SQLite file,
 * with wall time and peak RSS; then API latency under load from `ab` (ApacheBench, loopback, keep-alive) at C
 * concurrent requests for `/api/v1/findings?team=...` and `/api/v1/vulnerabilities/{id}/impact`. Prints each
 * figure next to same-run references: `node -e 0`, and JSON.parse of the same snapshot text.
 *
 *   npx tsx bench/server-api.ts [objects=100000] [concurrency=200] [requests=4000]
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { openStores } from "../src/adapters/store/index.js";
import { issueToken, memoryTokenStore } from "../src/apps/server/auth.js";
import { bundledDemoDir, loadDemo } from "../src/apps/server/demo.js";
import { buildServer } from "../src/apps/server/server.js";
import { writeSnapshot } from "./gen-snapshot.js";

const N = Number(process.argv[2] ?? 100_000);
const C = Number(process.argv[3] ?? 200);
const REQUESTS = Number(process.argv[4] ?? 4000);
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-server-"));

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

try {
  const file = join(dir, "snapshot.json");
  const stats = await writeSnapshot(file, N);
  const bytes = readFileSync(file);

  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, ["-e", "0"]);
  const nodeE0 = ms(t0);
  const t1 = process.hrtime.bigint();
  JSON.parse(bytes.toString("utf8"));
  const parse = ms(t1);

  const stores = await openStores(join(dir, "server.db"));
  // The demo's images and advisories give the impact route something to answer; the big snapshot is another cluster.
  await loadDemo(stores, bundledDemoDir(), () => new Date("2026-12-01T00:00:00.000Z"));
  const tokens = memoryTokenStore();
  const at = new Date("2026-12-01T00:00:00.000Z");
  const admin = (await issueToken(tokens, { role: "admin" }, at)).token;
  const app = buildServer({ stores, now: () => new Date("2026-12-02T00:00:00.000Z"), auth: { tokens } });
  // Sent gzipped, as `palisade push` does (a 100k-object snapshot is over the 256 MiB cap uncompressed).
  const gz = gzipSync(bytes);
  const rssBefore = process.memoryUsage().rss;
  const t2 = process.hrtime.bigint();
  const r = await app.inject({
    method: "POST",
    url: "/api/v1/clusters/bench/snapshots",
    headers: {
      authorization: `Bearer ${admin}`,
      "content-type": "application/json",
      "content-encoding": "gzip",
    },
    payload: gz,
  });
  const ingest = ms(t2);
  if (r.statusCode !== 200) throw new Error(`ingest failed: ${r.statusCode} ${r.body.slice(0, 500)}`);
  const summary = r.json() as { objects: number; findings: { total: number } };
  const maxRss = process.resourceUsage().maxRSS * 1024;

  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  const team = (
    (
      await app.inject({ url: "/api/v1/findings?limit=1", headers: { authorization: `Bearer ${admin}` } })
    ).json() as { items: { finding: { team?: string } }[] }
  ).items[0]?.finding.team;
  const routes = [
    `/api/v1/findings?team=${encodeURIComponent(team ?? "a")}&limit=100`,
    "/api/v1/vulnerabilities/CVE-2099-0001/impact",
  ];
  // Warm the fleet view (computed once per change) before measuring.
  await app.inject({ url: routes[1] as string, headers: { authorization: `Bearer ${admin}` } });
  const lat: string[] = [];
  for (const route of routes) {
    // Asynchronous: the server answers from this process's event loop.
    const out = await promisify(execFile)(
      "ab",
      [
        "-q",
        "-k",
        "-c",
        String(C),
        "-n",
        String(REQUESTS),
        "-H",
        `Authorization: Bearer ${admin}`,
        `http://127.0.0.1:${port}${route}`,
      ],
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
    ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
    const p = (q: string) => new RegExp(`^\\s*${q}%\\s+(\\d+)`, "m").exec(out.stdout)?.[1] ?? "?";
    const failed = /Failed requests:\s+(\d+)/.exec(out.stdout)?.[1] ?? "?";
    const non2xx = /Non-2xx responses:\s+(\d+)/.exec(out.stdout)?.[1] ?? "0";
    const rps = /Requests per second:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? "?";
    lat.push(
      `${route}: p50 ${p("50")} ms, p99 ${p("99")} ms, ${rps} req/s (failed ${failed}, non-2xx ${non2xx})`,
    );
  }
  await app.close();
  await stores.close();

  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
  console.log(`snapshot: ${stats.objects} objects, ${mib(statSync(file).size)} (${mib(gz.length)} gzipped)`);
  console.log(
    `ingest (POST, evaluated, stored in SQLite): ${(ingest / 1000).toFixed(1)} s, ${summary.findings.total} findings; peak RSS ${mib(maxRss)} (before ingest ${mib(rssBefore)})`,
  );
  console.log(`API at ${C} concurrent, ${REQUESTS} requests each (ab -k, loopback):`);
  for (const l of lat) console.log(`  ${l}`);
  console.log(
    `references: node -e 0 ${nodeE0.toFixed(0)} ms; JSON.parse of the snapshot ${parse.toFixed(0)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
