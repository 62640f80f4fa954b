/**
 * Admission webhook latency and overload (issue 15): `palisade admission serve` pinned to one core (taskset -c 1)
 * with a policy enabling every Pod Security check (restricted), every posture rule and the image rules; load from
 * a separate process on loopback: vegeta (scripts/vegeta-path.sh builds it from its Go module into a cache the
 * first time), open loop, requests sent on a uniform schedule at the named rate over HTTPS keep-alive connections
 * whatever the answers do, each latency from the request's scheduled send time (no coordinated omission).
 *
 *   taskset -c 0 npx tsx bench/admission.ts [seconds at 1,000/s = 30] [seconds at 5,000/s = 10] [warm-up s = 10]
 *
 * Before the measured phase the server is warmed up at the same 1,000/s for the warm-up seconds, reported on a line
 * of its own and excluded from the figure: a server that has just started runs the decision in V8's interpreter
 * and baseline code, and at 1,000/s on one core it falls behind for the first seconds (measured 2026-12-05: the
 * latency climbed to 0.9-1.4 s over the first 2 s and drained by about 4.7 s, then stayed under 35 ms; with the
 * earlier 3 s at 200/s as the warm-up, that transient was the whole p99 of a 20-60 s phase).
 *
 * ADMISSION_BENCH_SERVERS=before=OTHER/dist/cli/palisade.js,after=dist/cli/palisade.js runs the same loads against
 * each bundled CLI in turn, in the same run (without it: the sources, through tsx); node flags for one server alone
 * follow its path, space-separated (`after=dist/cli/palisade.js --max-semi-space-size=32`). ADMISSION_BENCH_NODE_FLAGS adds
 * node flags to the server (e.g. `--cpu-prof --cpu-prof-dir=DIR`; the profile is written at SIGTERM);
 * ADMISSION_BENCH_SERVER_OUT=DIR keeps each server's stdout in DIR/<label>.out (e.g. with `--trace-gc`).
 * ADMISSION_BENCH_LOAD=autocannon loads from autocannon in this process instead, as the figures before 2026-12-05
 * 08:00 were taken: its rate mode is bursty (see loadAutocannon), so its p99 is the burst's, not the server's.
 *
 * The server records its decisions in a SQLite file, as deployed with --db (its writer thread runs on the server's
 * core too). ADMISSION_BENCH_DB=none starts it without --db, so nothing is recorded: the difference is what
 * recording costs the webhook's core.
 *
 * Prints p50/p99/max latency (exact, over every request), errors, timeouts and non-2xx answers, the server's CPU
 * time per request (CPU seconds from /proc over requests answered: unlike latency, it hardly depends on what else
 * the machine runs; split into the main thread's user and system time and the other threads': the garbage
 * collector's and compiler's helpers and the decision writer) and how long its event loop was held (from /metrics)
 * at 1,000 requests/s; at 5,000 requests/s
 * the answered, shed (answered by the failure policy) and failed requests, the decisions waiting for the store, and
 * the server's RSS before, after and at peak; and same-run references: `node -e 0` and JSON.parse of the same
 * bodies.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { readConfigFile } from "../src/adapters/config/index.js";
import { openStores } from "../src/adapters/store/index.js";
import { decide, parseAdmissionReview } from "../src/core/admission/index.js";
import { POSTURE_RULES } from "../src/core/posture/index.js";
import { checksFor, LATEST_POLICY_MINOR } from "../src/core/pss/index.js";
import { loadAdmissionPolicy } from "../src/services/admission/index.js";
import { bodies, NAMESPACE_LABELS, namespaces, policy } from "./admission-inputs.js";

const steadySeconds = Number(process.argv[2] ?? 30);
const overloadSeconds = Number(process.argv[3] ?? 10);
const warmupSeconds = Number(process.argv[4] ?? 10);
const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-admission-"));

function certs(): { cert: string; key: string } {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "key.pem",
    "-out",
    "cert.pem",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  );
  return { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
}

function rss(pid: number): { now: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** User and system CPU time, seconds, from a /proc stat file (clock ticks of 1/100 s on Linux). */
function statCpu(file: string): { user: number; system: number } {
  const stat = readFileSync(file, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ")"; utime and stime are 14 and 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(f[11]) / 100, system: Number(f[12]) / 100 };
}

/** The process's CPU time (user + system), seconds. */
function cpuSeconds(pid: number): number {
  const c = statCpu(`/proc/${pid}/stat`);
  return c.user + c.system;
}

/**
 * The process's CPU time split by thread: the main thread (the event loop: JavaScript, HTTP, TLS, the syscalls it
 * makes) in user and system time, and every other thread together (V8's garbage-collection and compiler helpers,
 * the decision writer's thread). A thread that ended between two reads is missed by the second: none do here.
 */
function threadCpu(pid: number): { mainUser: number; mainSystem: number; others: number } {
  let others = 0;
  let main = { user: 0, system: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let c: { user: number; system: number };
    try {
      c = statCpu(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue;
    }
    if (Number(tid) === pid) main = c;
    else others += c.user + c.system;
  }
  return { mainUser: main.user, mainSystem: main.system, others };
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, rejectUnauthorized: false }, (res) => {
      let t = "";
      res.on("data", (c: Buffer) => {
        t += c.toString();
      });
      res.on("end", () => resolve(t));
    });
    req.on("error", reject);
    req.end();
  });
}
const metric = (text: string, line: string): number => {
  const m = text.split("\n").find((l) => l.startsWith(line));
  return m ? Number(m.split(" ").pop()) : 0;
};

interface LoadResult {
  requests: number;
  /** Latency in ms from each request's scheduled send time to its answer. */
  p50: number;
  p99: number;
  max: number;
  /** Transport errors and timeouts (no HTTP answer), and answers other than 200. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Requests per second the generator actually sent. */
  sentRate: number;
}

/** Run a program to its end without blocking this process's loop (the server's stderr keeps being read). */
function run(
  file: string,
  args: string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.once("error", reject);
    child.once("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(input);
  });
}

const quantile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);

/**
 * Load at `rate` requests/s for `seconds`, from vegeta in its own process (open loop: requests go out on a uniform
 * schedule whatever the answers do, a new worker when none is free, so a slow answer never delays the requests
 * behind it, and each latency runs from the request's scheduled send time). At most `connections` keep-alive
 * HTTPS connections; a request waiting for one waits on the clock too. Exact percentiles over every result.
 */
async function loadVegeta(
  port: number,
  rate: number,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const targets = bodies
    .map((b) =>
      JSON.stringify({
        method: "POST",
        url: `https://127.0.0.1:${port}/validate`,
        body: Buffer.from(b).toString("base64"),
        header: { "Content-Type": ["application/json"] },
      }),
    )
    .join("\n");
  const out = join(dir, `vegeta-${rate}.bin`);
  const attack = await run(
    vegeta,
    [
      "attack",
      "-format=json",
      `-rate=${rate}/1s`,
      `-duration=${seconds}s`,
      "-insecure",
      "-http2=false",
      `-max-connections=${connections}`,
      "-max-body=0",
      "-timeout=10s",
      `-output=${out}`,
    ],
    `${targets}\n`,
  );
  if (attack.code !== 0) throw new Error(`vegeta attack failed: ${attack.stderr}`);
  const encoded = await run(vegeta, ["encode", "-to=json", out], "");
  if (encoded.code !== 0) throw new Error(`vegeta encode failed: ${encoded.stderr}`);
  rmSync(out, { force: true });
  const lines = encoded.stdout.split("\n");
  const latencies: number[] = [];
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    if (line === "") continue;
    const r = JSON.parse(line) as { code: number; latency: number; error: string; timestamp: string };
    latencies.push(r.latency / 1e6);
    const t = Date.parse(r.timestamp);
    first = Math.min(first, t);
    last = Math.max(last, t);
    if (r.code === 0) {
      if (/timeout|deadline exceeded/i.test(r.error)) timeouts++;
      else errors++;
    } else if (r.code !== 200) non2xx++;
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: quantile(sorted, 1),
    errors,
    timeouts,
    non2xx,
    sentRate: sorted.length / Math.max(0.001, (last - first) / 1000),
  };
}

/**
 * The same load from autocannon in this process (ADMISSION_BENCH_LOAD=autocannon), for comparison with earlier
 * figures. Its rate mode is bursty: each connection gets a quota of rate/connections requests per second, sends
 * them back to back (one in flight, the next when the answer arrives) from the start of each second, then pauses
 * until a 1 s interval resets the quota. So the server sees every connection at once at the top of each second,
 * and latency is measured from when a request was written, not when it was due (coordinated omission).
 */
async function loadAutocannon(
  port: number,
  rate: number,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const r = await autocannon({
    url: `https://127.0.0.1:${port}/validate`,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: bodies.map((body) => ({ method: "POST", body })),
    connections,
    overallRate: rate,
    duration: seconds,
    timeout: 10,
  });
  return {
    requests: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    sentRate: r.requests.total / seconds,
  };
}

const loadKind = process.env.ADMISSION_BENCH_LOAD === "autocannon" ? "autocannon" : "vegeta";
let vegeta = "";
async function load(port: number, rate: number, seconds: number): Promise<LoadResult> {
  const connections = rate >= 5000 ? 200 : 50;
  return loadKind === "autocannon"
    ? loadAutocannon(port, rate, seconds, connections)
    : loadVegeta(port, rate, seconds, connections);
}

async function main(): Promise<void> {
  const { cert, key } = certs();
  writeFileSync(join(dir, "policy.yaml"), policy);
  writeFileSync(join(dir, "namespaces.yaml"), namespaces);
  // A database file that exists: the webhook records its decisions there, as deployed with --db.
  await (await openStores(join(dir, "decisions.db"))).close();
  const rules = checksFor("restricted", LATEST_POLICY_MINOR).length + POSTURE_RULES.length + 10;

  const t0 = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  const nodeE0 = performance.now() - t0;
  const parses = 20_000;
  const t1 = performance.now();
  for (let i = 0; i < parses; i++) JSON.parse(bodies[i % bodies.length] as string);
  const parseUs = ((performance.now() - t1) / parses) * 1000;
  // The decision alone, in this process: what one review costs the server before HTTP and TLS.
  const { policy: loaded } = await loadAdmissionPolicy(join(dir, "policy.yaml"), (p) => readConfigFile(p));
  const decideOnce = (i: number) => {
    const r = parseAdmissionReview(JSON.parse(bodies[i % bodies.length] as string));
    if (!r.ok) throw new Error(r.error);
    decide(r.request, loaded, { namespaceLabels: NAMESPACE_LABELS[r.request.namespace], images: new Map() });
  };
  for (let i = 0; i < 5000; i++) decideOnce(i);
  const t2 = performance.now();
  for (let i = 0; i < parses; i++) decideOnce(i);
  const decideUs = ((performance.now() - t2) / parses) * 1000;

  console.log(
    `references: node -e 0 ${nodeE0.toFixed(0)} ms; JSON.parse of the same bodies ${parseUs.toFixed(1)} µs each (${bodies.map((b) => b.length).join("/")} bytes); parse + decide in-process ${decideUs.toFixed(0)} µs each`,
  );
  if (loadKind === "vegeta") {
    const found = spawnSync(join(root, "scripts/vegeta-path.sh"), { stdio: ["ignore", "pipe", "inherit"] });
    if (found.status !== 0)
      throw new Error("no vegeta (scripts/vegeta-path.sh builds it; or ADMISSION_BENCH_LOAD=autocannon)");
    vegeta = found.stdout.toString().trim();
  }
  const servers = (process.env.ADMISSION_BENCH_SERVERS ?? "")
    .split(",")
    .filter((x) => x !== "")
    .map((x) => {
      const at = x.indexOf("=");
      // "label=CLI --flag ...": node flags for this server alone, after those of ADMISSION_BENCH_NODE_FLAGS.
      const [cli = "", ...flags] = x
        .slice(at + 1)
        .split(" ")
        .filter((w) => w !== "");
      return { label: x.slice(0, at), cli: join(root, cli), flags };
    });
  if (servers.length === 0) servers.push({ label: "sources (tsx)", cli: "", flags: [] });
  for (const s of servers) await serveAndLoad(s.label, s.cli, s.flags, cert, key, rules);
  rmSync(dir, { recursive: true, force: true });
}

/** The words of the relaunched server's command line that its launcher's has not: the flags it added. */
function relaunchFlags(launcher: number, server: number): string {
  const words = (p: number) => readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
  const had = new Set(words(launcher));
  return words(server)
    .filter((w) => w !== "" && !had.has(w))
    .join(" ");
}

async function serveAndLoad(
  label: string,
  cli: string,
  serverFlags: readonly string[],
  cert: string,
  key: string,
  rules: number,
): Promise<void> {
  const nodeFlags = [
    ...(process.env.ADMISSION_BENCH_NODE_FLAGS ?? "").split(" ").filter((x) => x !== ""),
    ...serverFlags,
  ];
  const server = spawn(
    "taskset",
    [
      "-c",
      "1",
      process.execPath,
      ...nodeFlags,
      ...(cli === "" ? ["--import", "tsx", join(root, "src/apps/cli/bin.ts")] : [cli]),
      "admission",
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
      "--policy",
      join(dir, "policy.yaml"),
      "--namespaces",
      join(dir, "namespaces.yaml"),
      ...(process.env.ADMISSION_BENCH_DB === "none" ? [] : ["--db", join(dir, "decisions.db")]),
    ],
    {
      // ADMISSION_BENCH_SERVER_OUT=DIR keeps the server's stdout in DIR/<label>.out (what --trace-gc prints).
      stdio: [
        "ignore",
        process.env.ADMISSION_BENCH_SERVER_OUT
          ? openSync(
              join(process.env.ADMISSION_BENCH_SERVER_OUT, `${label.replace(/[^\w.-]/g, "_")}.out`),
              "w",
            )
          : "ignore",
        "pipe",
      ],
      env: {
        ...process.env,
        // Without --db: a file that does not exist, so no default database is found and nothing is recorded.
        ...(process.env.ADMISSION_BENCH_DB === "none" ? { PALISADE_DB: join(dir, "none", "none.db") } : {}),
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let err = "";
    server.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /listening on https:\/\/[^:]+:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    server.once("exit", (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  // The node process under taskset: the child of taskset is exec'd in place. The CLI's launcher relaunches
  // `admission serve` with the webhook's GC flags (src/apps/cli/heap.ts webhookGcFlags), as it does deployed: the
  // server is then that launcher's only child (the same core: affinity is inherited), and its figures are the
  // child's. A CLI that runs the webhook in place (an older build, PALISADE_NO_RELAUNCH) is its own server.
  const launcher = server.pid as number;
  const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8").trim();
  const pid = children === "" ? launcher : Number(children.split(" ")[0]);
  try {
    console.log(
      `admission webhook bench (${label}): ${rules} rules enabled, decisions ${process.env.ADMISSION_BENCH_DB === "none" ? "not recorded" : "recorded in SQLite"}, server pinned to CPU 1 (pid ${pid}${pid === launcher ? "" : `, relaunched by ${launcher} with ${relaunchFlags(launcher, pid)}`}), load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}`,
    );
    const warm = await load(port, 1000, warmupSeconds);
    console.log(
      `warm-up (excluded), 1,000 req/s for ${warmupSeconds} s just after start: latency p50 ${warm.p50.toFixed(1)} ms, p99 ${warm.p99.toFixed(1)} ms, max ${warm.max.toFixed(1)} ms; errors ${warm.errors}, timeouts ${warm.timeouts}, non-2xx ${warm.non2xx}`,
    );
    const before = rss(pid);
    const m0 = await get(port, "/metrics");
    const cpu0 = cpuSeconds(pid);
    const threads0 = threadCpu(pid);
    const steady = await load(port, 1000, steadySeconds);
    const cpu1 = cpuSeconds(pid);
    const threads1 = threadCpu(pid);
    const m1 = await get(port, "/metrics");
    const loop = (q: string) =>
      (metric(m1, `palisade_admission_event_loop_delay_seconds{quantile="${q}"}`) * 1000).toFixed(1);
    const shed1 = metric(m1, "palisade_admission_shed_total") - metric(m0, "palisade_admission_shed_total");
    // Load-independent beside p99: the server's CPU time over the requests it answered, and over the reviews it
    // evaluated (answered less shed). A shed answer is cheap but not free, so with many shed the first understates
    // and the second overstates what one evaluated review costs; on a quiet core nothing is shed and they agree.
    // Counted by the server (its latency histogram): a request the client gave up on may still be answered.
    const handledMetric = 'palisade_admission_duration_seconds_count{endpoint="validate"}';
    const handled1 = metric(m1, handledMetric) - metric(m0, handledMetric);
    const cpuMs = ((cpu1 - cpu0) / Math.max(1, handled1)) * 1000;
    const cpuEvaluatedMs = ((cpu1 - cpu0) / Math.max(1, handled1 - shed1)) * 1000;
    const perRequest = (s: number) => ((s / Math.max(1, handled1)) * 1000).toFixed(3);
    console.log(
      `1,000 req/s for ${steadySeconds} s: ${steady.requests} requests, latency p50 ${steady.p50.toFixed(1)} ms, p99 ${steady.p99.toFixed(1)} ms, max ${steady.max.toFixed(1)} ms; errors ${steady.errors}, timeouts ${steady.timeouts}, non-2xx ${steady.non2xx}; shed ${shed1}; server answered ${handled1}, CPU ${(cpu1 - cpu0).toFixed(2)} s = ${cpuMs.toFixed(3)} ms per request answered, ${cpuEvaluatedMs.toFixed(3)} ms per review evaluated (main thread ${perRequest(threads1.mainUser - threads0.mainUser)} user + ${perRequest(threads1.mainSystem - threads0.mainSystem)} system, other threads ${perRequest(threads1.others - threads0.others)}); RSS ${before.now.toFixed(0)} -> ${rss(pid).now.toFixed(0)} MiB; server event loop sampled every 10 ms (10 = no hold): p50 ${loop("0.5")} ms, p99 ${loop("0.99")} ms, p99.9 ${loop("0.999")} ms, max ${loop("1")} ms; load sent at ${steady.sentRate.toFixed(0)}/s by ${loadKind}`,
    );
    const cpu2 = cpuSeconds(pid);
    const t2 = performance.now();
    const overload = await load(port, 5000, overloadSeconds);
    const cpu3 = cpuSeconds(pid);
    // The phase lasts until the last answer (or vegeta's timeout), past its sending seconds when the server falls
    // behind: the server's cores are its CPU over that whole time.
    const overloadWall = (performance.now() - t2) / 1000;
    const m2 = await get(port, "/metrics");
    const alive = await get(port, "/healthz").then(
      (t) => t.includes("ok"),
      () => false,
    );
    const after = rss(pid);
    const shed = metric(m2, "palisade_admission_shed_total") - metric(m1, "palisade_admission_shed_total");
    console.log(
      `5,000 req/s for ${overloadSeconds} s: ${overload.requests} sent (${overload.sentRate.toFixed(0)}/s), ${overload.requests - overload.errors - overload.timeouts} answered, shed by failure policy ${shed}, errors ${overload.errors}, timeouts ${overload.timeouts}, non-2xx ${overload.non2xx}; latency p50 ${overload.p50.toFixed(1)} ms, p99 ${overload.p99.toFixed(1)} ms; server CPU ${(cpu3 - cpu2).toFixed(2)} s over the phase's ${overloadWall.toFixed(1)} s until the last answer (${((cpu3 - cpu2) / overloadWall).toFixed(2)} cores); decisions buffered for the store ${metric(m2, "palisade_admission_decisions_buffered")}, dropped ${metric(m2, "palisade_admission_decisions_dropped_total")}; server alive after: ${alive}; RSS ${after.now.toFixed(0)} MiB, peak ${after.peak.toFixed(0)} MiB`,
    );
  } finally {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
}

await main();
