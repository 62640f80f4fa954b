/**
 * Instructions per review of `palisade admission serve` over HTTPS (callgrind, every thread of the server: the event
 * loop, V8's collector and compiler helpers, the decision writer), a figure that moves far less with the machine's
 * load than CPU time per request does (on a shared 2-vCPU machine the same build's CPU per request measured by
 * bench/admission.ts varied by a third between two runs minutes apart). Not at all, though: the server's timers
 * (the loop-delay monitor every 10 ms, the lag probe every 20 ms, the recorder's flush every 20 ms) fire by the
 * clock, about 80 times more often per review under valgrind than at 1,000 reviews/s, and more again when the
 * machine slows valgrind down; so the pace of each run is printed, and only runs at a like pace compare (measured
 * 2026-12-05: one build's figure went from 3.63 to 3.89 M per review with a second valgrind beside it).
 *
 * Each server runs twice under valgrind's callgrind with the bench's policy, namespaces, certificate kind (ECDSA
 * P-256) and a SQLite file for its decisions (ADMISSION_BENCH_DB=none: none), and answers the bench's four reviews in
 * turn from one keep-alive connection, one at a time: `first` reviews, then SIGTERM; and `first + measured`. The
 * difference of the two runs' instructions over `measured` is what one review costs once the server is started
 * and warm; start-up, the first reviews (V8 compiling the path) and the shutdown are in both runs and cancel out.
 * bare=bench/admission-floor.mjs gives what node:https, TLS and JSON.parse of the body cost alone.
 *
 *   ADMISSION_BENCH_SERVERS=before=OTHER/dist/cli/palisade.js,after=dist/cli/palisade.js \
 *     npx tsx bench/admission-instructions.ts [first = 500] [measured = 2000]
 *
 * Slow (valgrind runs the server about 50 times slower): a few minutes per server.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openStores } from "../src/adapters/store/index.js";
import { bodies, namespaces, policy } from "./admission-inputs.js";

const first = Number(process.argv[2] ?? 500);
const measured = Number(process.argv[3] ?? 2000);
const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-admission-instr-"));
const recorded = process.env.ADMISSION_BENCH_DB !== "none";

execFileSync(
  "openssl",
  [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1"],
    ...["-addext", "subjectAltName=IP:127.0.0.1"],
  ],
  { cwd: dir, stdio: "pipe" },
);
writeFileSync(join(dir, "policy.yaml"), policy);
writeFileSync(join(dir, "namespaces.yaml"), namespaces);

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/validate",
        method: "POST",
        agent,
        rejectUnauthorized: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Reviews per second of each run under valgrind (the timers' share grows as it falls). */
const paces: number[] = [];

/** Instructions of one server run (callgrind's total over all threads) that answered `reviews` reviews. */
async function instructions(cli: string, reviews: number, run: number): Promise<number> {
  const db = join(dir, `decisions-${run}.db`);
  if (recorded) await (await openStores(db)).close();
  const server = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      "--callgrind-out-file=/dev/null",
      process.execPath,
      cli,
      ...["admission", "serve", "--listen", "127.0.0.1:0"],
      ...["--tls-cert", join(dir, "cert.pem"), "--tls-key", join(dir, "key.pem")],
      ...["--policy", join(dir, "policy.yaml"), "--namespaces", join(dir, "namespaces.yaml")],
      ...(recorded ? ["--db", db] : []),
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        PALISADE_NO_RELAUNCH: "1",
        ...(recorded ? {} : { PALISADE_DB: join(dir, "none", "none.db") }),
      },
    },
  );
  let err = "";
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    server.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /listening on https:\/\/[^:]+:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    server.once("exit", (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const started = performance.now();
  for (let i = 0; i < reviews; i++) {
    const status = await post(agent, port, bodies[i % bodies.length] as string);
    if (status !== 200) throw new Error(`review ${i}: HTTP ${status}`);
  }
  paces.push(reviews / ((performance.now() - started) / 1000));
  agent.destroy();
  server.kill("SIGTERM");
  await exited;
  const m = /Collected : (\d+)/.exec(err);
  if (!m) throw new Error(`no instruction count from callgrind: ${err.slice(-2000)}`);
  return Number(m[1]);
}

const servers = (process.env.ADMISSION_BENCH_SERVERS ?? "after=dist/cli/palisade.js")
  .split(",")
  .filter((x) => x !== "")
  .map((x) => ({ label: x.slice(0, x.indexOf("=")), cli: join(root, x.slice(x.indexOf("=") + 1)) }));
console.log(
  `admission instructions per review (callgrind, all threads), decisions ${recorded ? "recorded in SQLite" : "not recorded"}: ${first} reviews, then ${first} + ${measured}, one keep-alive connection`,
);
let run = 0;
for (const s of servers) {
  paces.length = 0;
  const a = await instructions(s.cli, first, run++);
  const b = await instructions(s.cli, first + measured, run++);
  console.log(
    `${s.label}: ${((b - a) / measured / 1e6).toFixed(3)} M instructions per review (runs: ${(a / 1e9).toFixed(2)} G, ${(b / 1e9).toFixed(2)} G; paces under valgrind ${paces.map((p) => p.toFixed(1)).join(", ")} reviews/s)`,
  );
}
rmSync(dir, { recursive: true, force: true });
