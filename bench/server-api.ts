/**
 * Server figures of issue 14, against `palisade serve` (a built CLI) in its own process:
 *  1. ingest of an N-object snapshot through `POST /api/v1/clusters/{c}/snapshots`, sent gzipped as a stream
 *     (evaluated and queryable: posture findings, object versions, remediation records), wall time, the server's
 *     CPU time (all threads, and its main thread alone) and its peak RSS (VmHWM) during the ingest;
 *  2. API latency under load at C concurrent keep-alive connections on loopback, p50/p99 per route (a team's
 *     findings page, a namespace's findings page, a team's workloads, a vulnerability's impact), with `/healthz`
 *     at the same concurrency as the ceiling of this harness on this machine; every route against every server in
 *     turn, SERVER_BENCH_ROUNDS times (default 3), medians printed, with the server's CPU time per request
 *     (/proc/PID/stat), which the machine's load changes far less than it changes latency. The load generator is
 *     `wrk --latency` (Debian's package `wrk`, which scripts/test.sh installs: C, SERVER_BENCH_WRK_THREADS threads,
 *     default 1, SERVER_BENCH_SECONDS per round, default 5); SERVER_BENCH_GENERATORS=wrk,ab runs ApacheBench too
 *     in each round (`ab -k`, REQUESTS per round; one thread, and its percentiles include each connection's setup).
 *     The servers run with bench/server-probe.mjs loaded, which reports per round their garbage-collection pauses
 *     (count and longest, major and minor), event-loop delay (p99, max) and heap used;
 *  3. first answers (nothing kept yet), one at a time: each of 50 teams' findings pages, 50 namespaces' pages, and
 *     50 findings by id without a cluster.
 * Same-run references: `node -e 0`, and JSON.parse of the same snapshot text in its own process (wall, peak RSS).
 *
 *   npm run build && npx tsx bench/server-api.ts [objects=100000] [concurrency=200] [requests=4000] [db=FILE|postgres://...]
 *
 * The issue's dataset (1M pods in 100k workloads): `fleet` as the first argument. The store is then not filled by
 * an ingest but written directly as the server would hold it after one (bench/server-dataset.ts: 100k Deployments
 * x 10 pods owned by them, 200k findings; SERVER_BENCH_WORKLOADS and SERVER_BENCH_PODS change the sizes), and the
 * routes are a team's findings pages (the first and the tenth), the impact of the demo's CVE over the whole fleet
 * and for one team (the summary whole and the first page of workloads, since the route pages them), and a team's
 * workloads; the first impact answer builds the server's fleet view (timed):
 *
 *   npm run build && npx tsx bench/server-api.ts fleet 200 4000                    # SQLite
 *   npm run build && npx tsx bench/server-api.ts fleet 200 4000 postgres://postgres@127.0.0.1:5432/DB
 *
 * SERVER_BENCH_SERVERS=before=ROOT,after=ROOT measures each checkout's built CLI (ROOT/dist/cli/palisade.js), in
 * that order, in the same run, each on a store of its own seeded by that checkout's sources (so each has its own
 * schema version); without it, this checkout. A postgres:// db that names no `?schema=` gets a schema per server
 * (palisade_bench_PID_N), dropped at the end; a schema the URL names is used as it is and left in place.
 * SERVER_BENCH_NODE_FLAGS adds node flags to the servers (e.g. "--cpu-prof --cpu-prof-dir=DIR").
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { type IncomingMessage, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { createGzip } from "node:zlib";
import pg from "pg";
import { writeSnapshot } from "./gen-snapshot.js";

const FLEET = process.argv[2] === "fleet";
const N = FLEET ? 0 : Number(process.argv[2] ?? 100_000);
const WORKLOADS = Number(process.env.SERVER_BENCH_WORKLOADS ?? 100_000);
const PODS = Number(process.env.SERVER_BENCH_PODS ?? 10);
const C = Number(process.argv[3] ?? 200);
const REQUESTS = Number(process.argv[4] ?? 4000);
const DB_ARG = process.argv[5];
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-server-"));
const ADMIN = `pal_${"b".repeat(43)}`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const SERVERS: { name: string; root: string }[] = (process.env.SERVER_BENCH_SERVERS ?? "")
  .split(",")
  .filter((x) => x !== "")
  .map((x) => {
    const [name, root] = x.split("=");
    if (!name || !root) throw new Error(`SERVER_BENCH_SERVERS: ${x} is not NAME=ROOT`);
    return { name, root: resolve(root) };
  });
if (SERVERS.length === 0) SERVERS.push({ name: "this checkout", root: resolve(".") });

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** VmHWM / VmRSS of a process, bytes. */
function memOf(pid: number): { hwm: number; rss: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0) * 1024;
  return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
}

/** CPU time (user + system) a process has used, ms: what an answer costs the server, whatever the load. */
function cpuOf(pid: number, thread?: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in ticks.
  const stat = readFileSync(
    thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`,
    "utf8",
  );
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

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

/** CPU time (user + system) of JSON.parse of the file in its own process, reading included, ms. */
function parseReferenceCpu(file: string): number {
  const out = execFileSync(
    process.execPath,
    [
      "-e",
      `JSON.parse(require("fs").readFileSync(${JSON.stringify(file)},"utf8"));const u=process.cpuUsage();console.log((u.user+u.system)/1000)`,
    ],
    { encoding: "utf8", maxBuffer: 1024 * 1024 },
  ).trim();
  return Number(out);
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
      (res) => collectText(res, done),
    );
    req.on("error", fail);
    createReadStream(file).on("error", fail).pipe(req);
  });
}

/** One load round of one route against one server, from one generator. */
interface LoadResult {
  p50: number;
  p99: number;
  max?: number | undefined;
  rps: number;
  requests: number;
  failed: string;
  non2xx: string;
  bytes?: number | undefined;
  /** Server CPU per request, ms. */
  cpu: number;
  /** What the server's probe saw during the round (bench/server-probe.mjs). */
  probe?: ProbeLine | undefined;
}

/** The line bench/server-probe.mjs writes on SIGUSR2: GC pauses and event-loop delay since the previous one. */
interface ProbeLine {
  gc: Record<"minor" | "major" | "other", { count: number; totalMs: number; maxMs: number }>;
  loopDelay: { p50: number; p99: number; max: number };
  heapUsedMiB: number;
}

/** Load generators: `wrk` (C, threads, keep-alive, a fixed duration) and `ab` (one thread, a fixed count). */
type Generator = "wrk" | "ab";
const GENERATORS: Generator[] = (process.env.SERVER_BENCH_GENERATORS ?? "wrk")
  .split(",")
  .filter((x) => x !== "")
  .map((x) => {
    if (x !== "wrk" && x !== "ab") throw new Error(`SERVER_BENCH_GENERATORS: ${x} is neither wrk nor ab`);
    return x;
  });
const WRK_SECONDS = Number(process.env.SERVER_BENCH_SECONDS ?? 5);
const WRK_THREADS = Number(process.env.SERVER_BENCH_WRK_THREADS ?? 1);
for (const g of GENERATORS)
  try {
    execFileSync(g, g === "wrk" ? ["--version"] : ["-V"], { stdio: "ignore" });
  } catch (e) {
    // wrk --version exits 1 after printing its version; only a missing binary is an error.
    if ((e as { code?: string }).code === "ENOENT")
      throw new Error(
        `${g} is not on PATH: apt-get install ${g === "wrk" ? "wrk" : "apache2-utils"} (Debian's package; scripts/test.sh installs it), or choose another with SERVER_BENCH_GENERATORS=${g === "wrk" ? "ab" : "wrk"}`,
      );
  }

/** A duration as wrk prints it (`812.00us`, `12.31ms`, `1.02s`, `2.00m`), in ms. */
function wrkMs(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  if (!m) return Number.NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
  return Number(m[1]) * scale;
}

/** Parse `wrk --latency` output. */
function parseWrk(out: string): Omit<LoadResult, "cpu" | "probe" | "bytes"> {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    p50: wrkMs(/^\s*50%\s+(\S+)/m.exec(out)?.[1]),
    p99: wrkMs(/^\s*99%\s+(\S+)/m.exec(out)?.[1]),
    max: wrkMs(/^\s*Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out)?.[1]),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    requests,
    failed: errors ? String(errors.slice(1).reduce((n, x) => n + Number(x), 0)) : "0",
    non2xx: /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? "0",
  };
}

/** One round of `gen` against `url`, with the server's CPU time and its probe's figures over it. */
async function load(gen: Generator, url: string, token: string, s: Started): Promise<LoadResult> {
  await s.probe();
  const cpu0 = cpuOf(s.pid);
  const args =
    gen === "wrk"
      ? [
          "--latency",
          "-t",
          String(WRK_THREADS),
          "-c",
          String(C),
          "-d",
          `${WRK_SECONDS}s`,
          "--timeout",
          "10s",
          "-H",
          `Authorization: Bearer ${token}`,
          url,
        ]
      : ["-q", "-k", "-c", String(C), "-n", String(REQUESTS), "-H", `Authorization: Bearer ${token}`, url];
  const out = await promisify(execFile)(gen, args, {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
  const cpu = cpuOf(s.pid) - cpu0;
  const probe = await s.probe();
  if (gen === "wrk") {
    const r = parseWrk(out.stdout);
    return { ...r, cpu: cpu / r.requests, probe, bytes: s.bytes.get(url) };
  }
  const p = (q: string) =>
    Number(new RegExp(`^\\s*${q}%\\s+(\\d+)`, "m").exec(out.stdout)?.[1] ?? Number.NaN);
  const size = /Document Length:\s+(\d+)/.exec(out.stdout)?.[1];
  return {
    p50: p("50"),
    p99: p("99"),
    max: p("100"),
    rps: Number(/Requests per second:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? Number.NaN),
    requests: REQUESTS,
    failed: /Failed requests:\s+(\d+)/.exec(out.stdout)?.[1] ?? "?",
    non2xx: /Non-2xx responses:\s+(\d+)/.exec(out.stdout)?.[1] ?? "0",
    bytes: size === undefined ? undefined : Number(size),
    cpu: cpu / REQUESTS,
    probe,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};

/** The rounds of one route against one server: medians, and every round's p99; GC pauses and loop delay. */
function loadSummary(rounds: LoadResult[]): string {
  const failed = rounds.map((r) => r.failed).join("/");
  const non2xx = rounds.map((r) => r.non2xx).join("/");
  const bytes = rounds[0]?.bytes;
  const probes = rounds.map((r) => r.probe).filter((p): p is ProbeLine => p !== undefined);
  const gcText =
    probes.length === 0
      ? ""
      : `; GC per round: major ${probes.map((p) => `${p.gc.major.count}x max ${p.gc.major.maxMs.toFixed(0)}`).join(" / ")} ms, minor ${probes.map((p) => `${p.gc.minor.count}x max ${p.gc.minor.maxMs.toFixed(1)}`).join(" / ")} ms; event-loop delay p99 ${probes.map((p) => p.loopDelay.p99.toFixed(0)).join(" / ")}, max ${probes.map((p) => p.loopDelay.max.toFixed(0)).join(" / ")} ms; heap used ${median(probes.map((p) => p.heapUsedMiB))} MiB`;
  return `server CPU ${median(rounds.map((r) => r.cpu)).toFixed(3)} ms/request; p50 ${median(rounds.map((r) => r.p50))} ms, p99 ${median(rounds.map((r) => r.p99))} ms (rounds: ${rounds.map((r) => r.p99).join(", ")}; max ${rounds.map((r) => r.max).join(", ")}), ${median(rounds.map((r) => r.rps)).toFixed(0)} req/s, ${median(rounds.map((r) => r.requests))} requests (failed ${failed}, non-2xx ${non2xx}${bytes !== undefined ? `; ${(bytes / 1024).toFixed(1)} KiB answers` : ""})${gcText}`;
}

/** Write the issue's dataset (bench/server-dataset.ts) into `db` with the sources of `root`, in a process of its own. */
function seedFleet(root: string, db: string): string {
  return execFileSync(
    process.execPath,
    ["--import", "tsx", join(root, "bench", "server-dataset.ts"), db, String(WORKLOADS), String(PODS)],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1024 * 1024 },
  ).trim();
}

/** GET with no client timeout (the first answer over 1M pods builds the fleet view), the body as text. */
/** A response's status and whole body as text, to `done`. */
function collectText(res: IncomingMessage, done: (r: { status: number; body: string }) => void): void {
  let body = "";
  res.setEncoding("utf8");
  res.on("data", (c: string) => {
    body += c;
  });
  res.on("end", () => done({ status: res.statusCode ?? 0, body }));
}
function getText(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) =>
      collectText(res, done),
    );
    req.on("error", fail);
    req.end();
  });
}

/** The store location of the server numbered `i`: a file of its own, or a PostgreSQL schema of its own. */
function storeFor(i: number): { db: string; schema?: string } {
  if (DB_ARG === undefined) return { db: join(dir, `server-${i}.db`) };
  if (!DB_ARG.startsWith("postgres")) return { db: SERVERS.length > 1 ? `${DB_ARG}.${i}` : DB_ARG };
  const u = new URL(DB_ARG);
  if (u.searchParams.get("schema") !== null) return { db: DB_ARG };
  const schema = `palisade_bench_${process.pid}_${i}`;
  u.searchParams.set("schema", schema);
  return { db: u.toString(), schema };
}

/**
 * Load the bundled demo (its images and advisories give the impact route something to answer; the big snapshot
 * is another cluster) into `db` with the sources of `root`, in a process of its own: each checkout writes its
 * own schema version.
 */
function seedDemo(root: string, db: string): void {
  const src = (p: string) => JSON.stringify(pathToFileURL(join(root, p)).href);
  execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      `const { openStores } = await import(${src("src/adapters/store/index.ts")});
       const { loadDemo, bundledDemoDir } = await import(${src("src/apps/server/demo.ts")});
       const s = await openStores(${JSON.stringify(db)});
       await loadDemo(s, bundledDemoDir(), () => new Date("2026-12-01T00:00:00.000Z"));
       await s.close();`,
    ],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const u = new URL(url);
  u.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A server started on its own store, its snapshot ingested and its first answers measured. */
interface Started {
  name: string;
  root: string;
  base: string;
  pid: number;
  /** What it measured so far (ingest, first answers). */
  lines: string[];
  /** Routes to load, from its data (the same for every server: the same snapshot). */
  routes: string[];
  /** Size of each route's answer (by URL), bytes. */
  bytes: Map<string, number>;
  /** The server's probe figures since the previous call (bench/server-probe.mjs). */
  probe(): Promise<ProbeLine | undefined>;
  stop(): Promise<void>;
}

async function start(server: { name: string; root: string }, i: number, gz: string): Promise<Started> {
  const { db, schema } = storeFor(i);
  const dropped = async () => {
    if (schema !== undefined) await dropSchema(db, schema);
  };
  let seeded = "";
  if (FLEET) seeded = seedFleet(server.root, db);
  else seedDemo(server.root, db);
  const nodeFlags = (process.env.SERVER_BENCH_NODE_FLAGS ?? "").split(" ").filter((x) => x !== "");
  nodeFlags.push("--import", pathToFileURL(join(import.meta.dirname, "server-probe.mjs")).href);
  const cli = join(server.root, "dist", "cli", "palisade.js");
  const child = spawn(process.execPath, [...nodeFlags, cli, "serve", "--listen", "127.0.0.1:0", "--db", db], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      PALISADE_ADMIN_TOKEN: ADMIN,
      PALISADE_LOG_LEVEL: "warn",
      PALISADE_NO_RELAUNCH: "1",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stop = async () => {
    child.kill("SIGTERM");
    if (child.exitCode === null) await new Promise((done) => child.once("exit", done));
    await dropped();
  };
  try {
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    // The probe's lines (one per SIGUSR2), taken out of stderr as they come.
    let pending: ((p: ProbeLine | undefined) => void) | undefined;
    let partial = "";
    const base = await new Promise<string>((done, fail) => {
      child.stderr?.on("data", (c: string) => {
        partial += c;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          if (line.startsWith("server-probe ")) {
            pending?.(JSON.parse(line.slice("server-probe ".length)) as ProbeLine);
            pending = undefined;
            continue;
          }
          stderr += `${line}\n`;
          const m = /serving on (http:\/\/\S+)/.exec(line);
          if (m?.[1]) done(m[1]);
        }
      });
      child.once("exit", () => fail(new Error(`server exited: ${stderr}`)));
    });
    const pid = child.pid as number;
    const probe = () =>
      new Promise<ProbeLine | undefined>((done) => {
        const timer = setTimeout(() => done(undefined), 10_000);
        pending = (p) => {
          clearTimeout(timer);
          done(p);
        };
        child.kill("SIGUSR2");
      });
    if (FLEET) return await startedOnFleet(server, base, pid, stop, probe, db, seeded);
    const before = memOf(pid);
    const cpu0 = cpuOf(pid);
    // The main thread's share: the evaluation and whatever else runs on the event loop (not the collector's helper
    // threads, zlib's thread pool or a store's writer thread).
    const main0 = cpuOf(pid, pid);
    const t2 = process.hrtime.bigint();
    const r = await post(`${base}/api/v1/clusters/bench/snapshots`, gz, ADMIN);
    const ingest = ms(t2);
    const ingestCpu = cpuOf(pid) - cpu0;
    const ingestMainCpu = cpuOf(pid, pid) - main0;
    if (r.status !== 200) throw new Error(`ingest failed: ${r.status} ${r.body.slice(0, 500)}`);
    const during = memOf(pid);
    const summary = JSON.parse(r.body) as { objects: number; findings: { total: number } };

    const get = async (path: string) =>
      (
        await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })
      ).json() as Promise<unknown>;
    const first = (await get("/api/v1/findings?cluster=bench&limit=1")) as {
      items: { finding: { team?: string; resource: { namespace?: string } } }[];
    };
    const team = first.items[0]?.finding.team ?? "a";
    const namespace = first.items[0]?.finding.resource.namespace ?? "default";
    // First answers, one at a time: nothing kept yet for these URLs.
    const cold = async (paths: string[]): Promise<string> => {
      const t: number[] = [];
      for (const p of paths) {
        const t0 = process.hrtime.bigint();
        await get(p);
        t.push(ms(t0));
      }
      t.sort((x, y) => x - y);
      const q = (f: number) => t[Math.min(t.length - 1, Math.floor(f * t.length))]?.toFixed(1);
      return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`;
    };
    const fifty = Array.from({ length: 50 }, (_, k) => k);
    const coldTeams = await cold(fifty.map((k) => `/api/v1/findings?team=team-${k}&limit=100`));
    const coldNamespaces = await cold(fifty.map((k) => `/api/v1/findings?namespace=ns-${k}&limit=100`));
    const ids = (
      (await get("/api/v1/findings?cluster=bench&limit=1000")) as { items: { finding: { id: string } }[] }
    ).items
      .filter((_, k) => k % 20 === 0)
      .slice(0, 50)
      .map((f) => `/api/v1/findings/${encodeURIComponent(f.finding.id)}`);
    const coldIds = await cold(ids);
    const routes = [
      "/healthz",
      `/api/v1/findings?team=${encodeURIComponent(team)}&limit=100`,
      `/api/v1/findings?namespace=${encodeURIComponent(namespace)}&limit=100`,
      `/api/v1/workloads?team=${encodeURIComponent(team)}&limit=100`,
      "/api/v1/vulnerabilities/CVE-2099-0001/impact",
    ];
    // Warm the fleet view (computed once per change) and each answer before measuring.
    const bytes = new Map<string, number>();
    for (const route of routes)
      bytes.set(`${base}${route}`, Buffer.byteLength((await getText(`${base}${route}`, ADMIN)).body));
    return {
      ...server,
      base,
      pid,
      routes,
      bytes,
      probe,
      stop,
      lines: [
        `ingest (POST streamed, evaluated, stored in ${db.startsWith("postgres") ? "PostgreSQL" : "SQLite"}, server in its own process): ${(ingest / 1000).toFixed(1)} s (server CPU ${(ingestCpu / 1000).toFixed(1)} s, its main thread ${(ingestMainCpu / 1000).toFixed(1)} s), ${summary.objects} objects, ${summary.findings.total} findings; server peak RSS ${mib(during.hwm)} (${mib(before.rss)} before the request); load average ${loadavg()}`,
        `first answers, one at a time: 50 teams' findings pages ${coldTeams}; 50 namespaces' pages ${coldNamespaces}; ${ids.length} findings by id (no cluster) ${coldIds}`,
      ],
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A server over the issue's dataset: its first answers, one at a time, timed; the routes to load. */
async function startedOnFleet(
  server: { name: string; root: string },
  base: string,
  pid: number,
  stop: () => Promise<void>,
  probe: () => Promise<ProbeLine | undefined>,
  db: string,
  seeded: string,
): Promise<Started> {
  const lines = [
    `dataset written into ${db.startsWith("postgres") ? "PostgreSQL" : "SQLite"} (bench/server-dataset.ts): ${seeded}; server RSS ${mib(memOf(pid).rss)} at start; load average ${loadavg()}`,
  ];
  // A 404 is an answer too (a team that runs no vulnerable image, at a small WORKLOADS).
  const timedGet = async (path: string) => {
    const t0 = process.hrtime.bigint();
    const cpu0 = cpuOf(pid);
    const r = await getText(`${base}${path}`, ADMIN);
    if (r.status !== 200 && r.status !== 404)
      throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return { ms: ms(t0), cpu: cpuOf(pid) - cpu0, body: r.body };
  };
  const view = await timedGet("/api/v1/vulnerabilities/CVE-2099-0001/impact");
  const impact = JSON.parse(view.body) as { totals: { workloads: number; replicas: number } };
  const t0 = process.hrtime.bigint();
  JSON.parse(view.body);
  lines.push(
    `first impact answer (builds the fleet view: every object of the latest snapshots loaded): ${(view.ms / 1000).toFixed(1)} s (server CPU ${(view.cpu / 1000).toFixed(1)} s), ${impact.totals.workloads} workloads, ${impact.totals.replicas} replicas, ${(view.body.length / 1024).toFixed(0)} KiB; server peak RSS ${mib(memOf(pid).hwm)}; reference: JSON.parse of that answer ${ms(t0).toFixed(2)} ms`,
  );
  const team = "team-3";
  let after: string | undefined;
  let tenth = "";
  for (let k = 0; k < 10; k++) {
    tenth = `/api/v1/findings?team=${team}&limit=100${after === undefined ? "" : `&after=${encodeURIComponent(after)}`}`;
    after = (JSON.parse((await timedGet(tenth)).body) as { next?: string }).next;
  }
  const cold = async (paths: string[]): Promise<string> => {
    const t: number[] = [];
    for (const p of paths) t.push((await timedGet(p)).ms);
    t.sort((x, y) => x - y);
    const q = (f: number) => t[Math.min(t.length - 1, Math.floor(f * t.length))]?.toFixed(1);
    return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`;
  };
  const teams = Array.from({ length: 40 }, (_, k) => `team-${k}`);
  lines.push(
    `first answers, one at a time (nothing kept yet): 40 teams' findings pages ${await cold(teams.map((t) => `/api/v1/findings?team=${t}&limit=100`))}; 40 teams' impact ${await cold(teams.map((t) => `/api/v1/vulnerabilities/CVE-2099-0001/impact?team=${t}`))}; 40 teams' workloads ${await cold(teams.map((t) => `/api/v1/workloads?team=${t}&limit=100`))}`,
  );
  const routes = [
    "/healthz",
    `/api/v1/findings?team=${team}&limit=100`,
    tenth,
    "/api/v1/vulnerabilities/CVE-2099-0001/impact",
    `/api/v1/vulnerabilities/CVE-2099-0001/impact?team=${team}`,
    `/api/v1/workloads?team=${team}&limit=100`,
  ];
  const bytes = new Map<string, number>();
  for (const route of routes) bytes.set(`${base}${route}`, Buffer.byteLength((await timedGet(route)).body));
  return { ...server, base, pid, routes, bytes, probe, stop, lines };
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const ROUNDS = Number(process.env.SERVER_BENCH_ROUNDS ?? 3);
const started: Started[] = [];
try {
  if (FLEET) {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, ["-e", "0"]);
    console.log(
      `dataset: ${WORKLOADS} workloads x ${PODS} pods; reference: node -e 0 ${ms(t0).toFixed(0)} ms; load average ${loadavg()}`,
    );
  }
  const file = join(dir, "snapshot.json");
  const gz = join(dir, "snapshot.json.gz");
  if (!FLEET) {
    const stats = await writeSnapshot(file, N);
    await pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(gz));
    console.log(
      `snapshot: ${stats.objects} objects, ${mib(statSync(file).size)} (${mib(statSync(gz).size)} gzipped)`,
    );
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, ["-e", "0"]);
    const nodeE0 = ms(t0);
    const parse = parseReference(file);
    const parseCpu = parseReferenceCpu(file);
    console.log(
      `references: node -e 0 ${nodeE0.toFixed(0)} ms; JSON.parse of the snapshot (own process) ${(parse.wall / 1000).toFixed(1)} s (CPU ${(parseCpu / 1000).toFixed(1)} s), peak RSS ${mib(parse.rss)}; load average ${loadavg()}`,
    );
  }
  for (const [i, s] of SERVERS.entries()) started.push(await start(s, i, gz));
  // Every route against every server in turn, ROUNDS times: a busy spell of the machine falls on all of them.
  const routes = started[0]?.routes ?? [];
  const results = started.map(() => GENERATORS.map(() => routes.map((): LoadResult[] => [])));
  for (let round = 0; round < ROUNDS; round++)
    for (const [r, route] of routes.entries())
      for (const [k, s] of started.entries())
        for (const [g, gen] of GENERATORS.entries())
          results[k]?.[g]?.[r]?.push(await load(gen, `${s.base}${route}`, ADMIN, s));
  for (const [k, s] of started.entries()) {
    console.log(`${s.name} (${s.root}):`);
    for (const l of s.lines) console.log(`  ${l}`);
    for (const [g, gen] of GENERATORS.entries()) {
      console.log(
        gen === "wrk"
          ? `  API at ${C} concurrent, ${WRK_SECONDS} s per round, median of ${ROUNDS} rounds (wrk -t ${WRK_THREADS} --latency, keep-alive, loopback):`
          : `  API at ${C} concurrent, ${REQUESTS} requests per round, median of ${ROUNDS} rounds (ab -k, loopback; percentiles include each connection's setup):`,
      );
      for (const [r, route] of routes.entries())
        console.log(`    ${route}: ${loadSummary(results[k]?.[g]?.[r] ?? [])}`);
    }
  }
  console.log(`load average at the end: ${loadavg()}`);
} finally {
  for (const s of started) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
