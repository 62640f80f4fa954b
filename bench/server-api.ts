/**
 * Server figures of issue 14, against `palisade serve` (the built CLI) in its own process:
 *  1. ingest of an N-object snapshot through `POST /api/v1/clusters/{c}/snapshots`, sent gzipped as a stream
 *     (evaluated and queryable: posture findings, object versions, remediation records), wall time and the
 *     server's peak RSS (VmHWM) during the ingest;
 *  2. API latency under load from `ab` (ApacheBench, loopback, keep-alive) at C concurrent requests, p50/p99 per
 *     route, with the store's size printed beside them.
 * Same-run references: `node -e 0`, and JSON.parse of the same snapshot text in its own process (wall, peak RSS).
 *
 *   npm run build && npx tsx bench/server-api.ts [objects=100000] [concurrency=200] [requests=4000] [db=FILE|postgres://...]
 *
 * SERVER_BENCH_NODE_FLAGS adds node flags to the server (e.g. "--cpu-prof --cpu-prof-dir=DIR").
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createGzip } from "node:zlib";
import { openStores } from "../src/adapters/store/index.js";
import { bundledDemoDir, loadDemo } from "../src/apps/server/demo.js";
import { writeSnapshot } from "./gen-snapshot.js";

const N = Number(process.argv[2] ?? 100_000);
const C = Number(process.argv[3] ?? 200);
const REQUESTS = Number(process.argv[4] ?? 4000);
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-server-"));
const DB = process.argv[5] ?? join(dir, "server.db");
const CLI = resolve("dist/cli/palisade.js");
const ADMIN = `pal_${"b".repeat(43)}`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** VmHWM / VmRSS of a process, bytes. */
function memOf(pid: number): { hwm: number; rss: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0) * 1024;
  return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
}

/** Peak RSS of JSON.parse of the file in its own process, and its wall time. */
function parseReference(file: string): { wall: number; rss: number } {
  const out = execFileSync(
    process.execPath,
    [
      "-e",
      `const t=process.hrtime.bigint();JSON.parse(require("fs").readFileSync(${JSON.stringify(file)},"utf8"));console.log(Number(process.hrtime.bigint()-t)/1e6, process.resourceUsage().maxRSS*1024)`,
    ],
    { encoding: "utf8", maxBuffer: 1024 * 1024 },
  ).trim();
  const [wall, rss] = out.split(" ").map(Number);
  return { wall: wall ?? 0, rss: rss ?? 0 };
}

function post(url: string, file: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-encoding": "gzip",
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => done({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", fail);
    createReadStream(file).on("error", fail).pipe(req);
  });
}

async function ab(url: string, token: string): Promise<string> {
  const out = await promisify(execFile)(
    "ab",
    ["-q", "-k", "-c", String(C), "-n", String(REQUESTS), "-H", `Authorization: Bearer ${token}`, url],
    { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
  const p = (q: string) => new RegExp(`^\\s*${q}%\\s+(\\d+)`, "m").exec(out.stdout)?.[1] ?? "?";
  const failed = /Failed requests:\s+(\d+)/.exec(out.stdout)?.[1] ?? "?";
  const non2xx = /Non-2xx responses:\s+(\d+)/.exec(out.stdout)?.[1] ?? "0";
  const rps = /Requests per second:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? "?";
  return `p50 ${p("50")} ms, p99 ${p("99")} ms, ${rps} req/s (failed ${failed}, non-2xx ${non2xx})`;
}

let server: ReturnType<typeof spawn> | undefined;
try {
  const file = join(dir, "snapshot.json");
  const stats = await writeSnapshot(file, N);
  const gz = join(dir, "snapshot.json.gz");
  await pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(gz));

  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, ["-e", "0"]);
  const nodeE0 = ms(t0);
  const parse = parseReference(file);

  // The demo's images and advisories give the impact route something to answer; the big snapshot is another cluster.
  const seed = await openStores(DB);
  await loadDemo(seed, bundledDemoDir(), () => new Date("2026-12-01T00:00:00.000Z"));
  await seed.close();

  const nodeFlags = (process.env.SERVER_BENCH_NODE_FLAGS ?? "").split(" ").filter((x) => x !== "");
  server = spawn(process.execPath, [...nodeFlags, CLI, "serve", "--listen", "127.0.0.1:0", "--db", DB], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      PALISADE_ADMIN_TOKEN: ADMIN,
      PALISADE_LOG_LEVEL: "warn",
      PALISADE_NO_RELAUNCH: "1",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const child = server;
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  const base = await new Promise<string>((done, fail) => {
    child.stderr?.on("data", (c: string) => {
      stderr += c;
      const m = /serving on (http:\/\/\S+)/.exec(stderr);
      if (m?.[1]) done(m[1]);
    });
    child.once("exit", () => fail(new Error(`server exited: ${stderr}`)));
  });
  const pid = child.pid as number;
  const before = memOf(pid);
  const t2 = process.hrtime.bigint();
  const r = await post(`${base}/api/v1/clusters/bench/snapshots`, gz, ADMIN);
  const ingest = ms(t2);
  if (r.status !== 200) throw new Error(`ingest failed: ${r.status} ${r.body.slice(0, 500)}`);
  const during = memOf(pid);
  const summary = JSON.parse(r.body) as { objects: number; findings: { total: number } };

  const get = async (path: string) =>
    (
      await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json() as Promise<unknown>;
  const first = (await get("/api/v1/findings?limit=1")) as { items: { finding: { team?: string } }[] };
  const team = first.items[0]?.finding.team ?? "a";
  const workloads = (await get("/api/v1/workloads?limit=1")) as { total?: number };
  const routes = [
    `/api/v1/findings?team=${encodeURIComponent(team)}&limit=100`,
    "/api/v1/vulnerabilities/CVE-2099-0001/impact",
  ];
  // Cold answers: the first request for each team's page after the ingest (nothing kept yet), one at a time.
  const cold: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = process.hrtime.bigint();
    await get(`/api/v1/findings?team=team-${i}&limit=100`);
    cold.push(ms(t));
  }
  cold.sort((x, y) => x - y);
  const q = (f: number) => cold[Math.min(cold.length - 1, Math.floor(f * cold.length))]?.toFixed(1);
  // Warm the fleet view (computed once per change) before measuring.
  for (const route of routes) await get(route);
  const lat: string[] = [];
  for (const route of routes) lat.push(`${route}: ${await ab(`${base}${route}`, ADMIN)}`);

  console.log(
    `snapshot: ${stats.objects} objects, ${mib(statSync(file).size)} (${mib(statSync(gz).size)} gzipped)`,
  );
  console.log(
    `ingest (POST streamed, evaluated, stored in ${DB.startsWith("postgres") ? "PostgreSQL" : "SQLite"}, server in its own process): ${(ingest / 1000).toFixed(1)} s, ${summary.findings.total} findings; server peak RSS ${mib(during.hwm)} (${mib(before.rss)} before the request)`,
  );
  console.log(
    `store: ${summary.objects} objects, ${summary.findings.total} findings${workloads.total !== undefined ? `, ${workloads.total} workloads` : ""}`,
  );
  console.log(`API at ${C} concurrent, ${REQUESTS} requests each (ab -k, loopback):`);
  for (const l of lat) console.log(`  ${l}`);
  console.log(
    `  first answer of each of 50 teams' /api/v1/findings?team=...&limit=100 pages, one at a time: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`,
  );
  console.log(
    `references: node -e 0 ${nodeE0.toFixed(0)} ms; JSON.parse of the snapshot (own process) ${(parse.wall / 1000).toFixed(1)} s, peak RSS ${mib(parse.rss)}`,
  );
  console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
} finally {
  server?.kill("SIGTERM");
  if (server !== undefined && server.exitCode === null)
    await new Promise((done) => server?.once("exit", done));
  rmSync(dir, { recursive: true, force: true });
}
