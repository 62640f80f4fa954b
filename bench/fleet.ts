/**
 * Fleet figures (issue 17): a simulated fleet of C clusters x P pods on this machine, each cluster's sensor sending
 * its deltas through the real NATS JetStream (127.0.0.1:4222) into the central consumer of a real `palisade serve
 * --nats` (the built CLI, dist/cli) that commits them to PostgreSQL (127.0.0.1:5432) or an SQLite file.
 *
 * Each simulated sensor is the real sensor's publishing path (services/sensor pipeline, adapters/fleet JetStream
 * sink and disk buffer, core/deltas observedDelta reducing each object), driven by generated watch events instead
 * of a kube-apiserver. Per step (C clusters), a fresh stream (own name and subject prefix), database and server:
 * 1. list: every sensor sends its P pods (an informer's initial list), as fast as the path takes them; measured
 *    until the central has committed (acknowledged) all of them;
 * 2. churn: a day of churn compressed into `day` seconds, open loop at a fixed rate: every pod replaced R times a
 *    day (per replacement six watch events: the old pod terminating and deleted, the new one added, scheduled,
 *    running, ready), spread evenly over the compressed day; then measured until all is committed.
 *
 * Measured: deltas/s committed; end-to-end lag from JetStream storing a delta (its publish acknowledged) to the
 * central acknowledging it, which it does only after its transaction committed (sampled: the stored time of up to
 * 2,000 messages against the consumer's ack floor, polled every 100 ms: the resolution); central CPU seconds
 * (utime+stime of the server's processes, /proc: independent of load) and RSS; this process's CPU (the sensors).
 * Evaluations: the central evaluates each cluster whose state changed from its object state (the snapshot ingest:
 * posture, PSS, RBAC, netpol, images, remediation), at most once per `evaluate` seconds per cluster (the server's
 * --evaluate-interval, default its own 30 s); per phase, the evaluations that ended, the objects they read and the
 * CPU seconds the central spent while they ran (its /metrics; that includes consumer work interleaved with them),
 * in a table of their own. The first table's central CPU includes them; the second gives it without them, the
 * figure to compare with runs of the central before it evaluated.
 * Same-run references: `node -e 0`, and JSON.parse of the churn deltas' JSON (what the central parses).
 * Bounded: every wait has a deadline (`max` seconds per phase); the stream, database and files are removed after
 * each step, also after a failure.
 *
 *   npm run build && npx tsx bench/fleet.ts [clusters=10,30,100] [pods=1500] [day=600] [replacements=1]
 *     [state=postgres|sqlite] [max=900] [evaluate=SECONDS]
 *   (key=value arguments; PALISADE_BENCH_PG_URL: the PostgreSQL to create the per-step database in)
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import pg from "pg";
import { DEFAULT_CONSUMER, natsDeltaSink, openDiskBuffer } from "../src/adapters/fleet/index.js";
import { type ObjectDelta, observedDelta } from "../src/core/deltas/index.js";
import { createSensorPipeline, type SensorPipeline } from "../src/services/sensor/index.js";
import { prng } from "../test/support/prng.js";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const i = a.indexOf("=");
    return [a.slice(0, i), a.slice(i + 1)] as [string, string];
  }),
);
const STEPS = (args.get("clusters") ?? "10,30,100").split(",").map(Number);
const PODS = Number(args.get("pods") ?? 1500);
const DAY_S = Number(args.get("day") ?? 600);
const REPLACEMENTS = Number(args.get("replacements") ?? 1);
const STATE = args.get("state") ?? "postgres";
const MAX_S = Number(args.get("max") ?? 900);
/** The central's --evaluate-interval in seconds; unset: the server's default. */
const EVALUATE_S = args.get("evaluate");
const ADMIN_TOKEN = `fleet-bench-${randomBytes(12).toString("hex")}`;
const NATS = process.env.PALISADE_BENCH_NATS_URL ?? "nats://127.0.0.1:4222";
const PG_ADMIN = process.env.PALISADE_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const CLI = resolve(import.meta.dirname, "../dist/cli/palisade.js");
const EVENTS_PER_REPLACEMENT = 6;
const POLL_MS = 100;
const TICK_MS = 100;
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim() || 100);
const POD = { apiVersion: "v1", kind: "Pod", namespaced: true };
if (STATE !== "postgres" && STATE !== "sqlite") throw new Error(`state=${STATE}: postgres or sqlite`);

// -------------------------------------------------------------------------------------------------------------
// Generated watch events

type Obj = Record<string, unknown>;

/** One cluster's pods as an apiserver would report them: the revision grows with every change, like etcd's. */
class ClusterSim {
  revision = 1000;
  readonly slots: { uid: string; name: string; ns: string; app: number; node: number }[] = [];
  private generation = 0;
  constructor(
    readonly cluster: string,
    pods: number,
    private readonly rand: () => number,
  ) {
    for (let i = 0; i < pods; i++) this.slots.push(this.fresh(i));
  }
  private fresh(i: number) {
    // Five pods per Deployment.
    const app = i % Math.max(1, Math.floor(PODS / 5));
    return {
      uid: `${this.cluster}-${i}-${this.generation++}`,
      name: `app-${app}-${randomName(this.rand)}`,
      ns: `team-${app % 25}`,
      app,
      node: Math.floor(this.rand() * 50),
    };
  }
  pod(
    s: ClusterSim["slots"][number],
    stage: "pending" | "scheduled" | "running" | "ready" | "terminating",
  ): Obj {
    const rv = String(++this.revision);
    const image = `registry.example/team-${s.app % 25}/app-${s.app}@sha256:${"ab".repeat(32)}`;
    const started = stage === "running" || stage === "ready" || stage === "terminating";
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: s.name,
        namespace: s.ns,
        uid: s.uid,
        resourceVersion: rv,
        creationTimestamp: "2026-12-05T00:00:00Z",
        ...(stage === "terminating" ? { deletionTimestamp: "2026-12-05T00:10:00Z" } : {}),
        labels: { app: `app-${s.app}`, "pod-template-hash": "7d9f8c6b5" },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: `app-${s.app}-7d9f8c6b5`,
            uid: `rs-${s.app}`,
            controller: true,
          },
        ],
        managedFields: [
          {
            manager: "kube-controller-manager",
            operation: "Update",
            apiVersion: "v1",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:metadata": { "f:labels": {} } },
          },
          {
            manager: "kubelet",
            operation: "Update",
            apiVersion: "v1",
            subresource: "status",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:status": { "f:conditions": {} } },
          },
        ],
      },
      spec: {
        serviceAccountName: `app-${s.app}`,
        ...(stage === "pending" ? {} : { nodeName: `node-${s.node}` }),
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "app",
            image,
            ports: [{ containerPort: 8080, protocol: "TCP" }],
            env: [
              { name: "LOG_LEVEL", value: "info" },
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            ],
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: [
              {
                name: "kube-api-access",
                mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                readOnly: true,
              },
            ],
          },
        ],
        volumes: [
          {
            name: "kube-api-access",
            projected: { sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3607 } }] },
          },
        ],
      },
      status: {
        phase: started ? "Running" : "Pending",
        conditions: [{ type: "PodScheduled", status: stage === "pending" ? "False" : "True" }],
        ...(stage === "pending"
          ? {}
          : { hostIP: `10.0.${s.node}.1`, podIP: `10.1.${s.node}.${s.app % 250}` }),
        ...(started
          ? {
              containerStatuses: [
                {
                  name: "app",
                  image,
                  ready: stage === "ready",
                  restartCount: 0,
                  started: true,
                  state: { running: { startedAt: "2026-12-05T00:00:05Z" } },
                },
              ],
            }
          : {}),
      },
    };
  }
  /** The initial list: every pod, as ADDED. */
  list(): ObjectDelta[] {
    return this.slots.map((s) => this.delta("upsert", this.pod(s, "ready")));
  }
  /** One pod replaced (a rollout or eviction): six watch events. */
  replace(i: number): ObjectDelta[] {
    const old = this.slots[i] as ClusterSim["slots"][number];
    const out = [this.delta("upsert", this.pod(old, "terminating"))];
    const last = this.pod(old, "terminating");
    out.push(this.delta("delete", last));
    const s = this.fresh(i);
    this.slots[i] = s;
    for (const stage of ["pending", "scheduled", "running", "ready"] as const)
      out.push(this.delta("upsert", this.pod(s, stage)));
    return out;
  }
  private delta(op: "upsert" | "delete", o: Obj): ObjectDelta {
    const d = observedDelta(this.cluster, op, POD, o);
    if (typeof d === "string") throw new Error(`generated pod refused: ${d}`);
    return d;
  }
}

function randomName(rand: () => number): string {
  const a = "bcdfghjklmnpqrstvwxz2456789";
  let s = "";
  for (let i = 0; i < 5; i++) s += a[Math.floor(rand() * a.length)];
  return s;
}

// -------------------------------------------------------------------------------------------------------------
// The central server and what it costs

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => done(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

/** The process and its descendants (the CLI may re-run itself with a larger heap). */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(d), Number(f[1]));
    } catch {}
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

/** CPU seconds (user + system) and RSS bytes of `pids` now. */
function usage(pids: readonly number[]): { cpuS: number; rss: number } {
  let ticks = 0;
  let rss = 0;
  for (const p of pids) {
    try {
      const st = readFileSync(`/proc/${p}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      rss += Number(m?.[1] ?? 0) * 1024;
    } catch {}
  }
  return { cpuS: ticks / CLK_TCK, rss };
}

interface Central {
  child: ChildProcess;
  pids: number[];
  /** The central's evaluation counters now (its /metrics). */
  evaluation(): Promise<EvaluationCounters>;
  stop(): Promise<void>;
}

async function startCentral(db: string, stream: string, prefix: string, dir: string): Promise<Central> {
  const port = await freePort();
  const argv = [CLI, "serve", "--listen", `127.0.0.1:${port}`, "--db", db, "--nats", NATS];
  argv.push("--nats-stream", stream, "--nats-subject-prefix", prefix);
  if (EVALUATE_S !== undefined) argv.push("--evaluate-interval", `${EVALUATE_S}s`);
  const child = spawn(process.execPath, argv, {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PALISADE_LOG_LEVEL: "warn", PALISADE_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    err = (err + s).slice(-4000);
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const deadline = Date.now() + 60_000;
  while (!err.includes("serving on")) {
    if (child.exitCode !== null) throw new Error(`palisade serve exited: ${err}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`palisade serve did not start in 60 s: ${err}`);
    }
    await delay(100);
  }
  return {
    child,
    pids: processTree(child.pid as number),
    async evaluation() {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const text = await r.text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
      return {
        evaluations: value(/^palisade_fleet_evaluations_total\{result="evaluated"\} (\S+)$/m),
        objects: value(/^palisade_fleet_evaluated_objects_total (\S+)$/m),
        cpuS: value(/^palisade_fleet_evaluation_cpu_seconds_total (\S+)$/m),
      };
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}

// -------------------------------------------------------------------------------------------------------------
// Sensors

interface Sensor {
  sim: ClusterSim;
  pipeline: SensorPipeline;
  close(): Promise<void>;
}

async function startSensors(n: number, stream: string, prefix: string, dir: string): Promise<Sensor[]> {
  const out: Sensor[] = [];
  for (let i = 0; i < n; i++) {
    const cluster = `bench-${String(i).padStart(3, "0")}`;
    const sink = natsDeltaSink({
      servers: NATS,
      name: `bench-sensor-${cluster}`,
      stream: { name: stream, subjectPrefix: prefix },
    });
    const buffer = await openDiskBuffer({ dir: join(dir, cluster) });
    const pipeline = createSensorPipeline({
      sink,
      buffer,
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      random: Math.random,
      onError: (e, ms) =>
        process.stderr.write(`${cluster}: send failed (${e.code}): ${e.message}; retry in ${ms} ms\n`),
    });
    const abort = new AbortController();
    const run = pipeline.run(abort.signal);
    out.push({
      sim: new ClusterSim(cluster, PODS, prng(1000 + i)),
      pipeline,
      async close() {
        abort.abort();
        await run;
        await sink.close();
      },
    });
  }
  return out;
}

// -------------------------------------------------------------------------------------------------------------
// Progress of the central: the consumer's ack floor over time

interface Poll {
  t: number;
  ackFloor: number;
  pending: number;
  ackPending: number;
  cpuS: number;
  rss: number;
}

class Watcher {
  polls: Poll[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly central: Central,
  ) {}
  start() {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const i = await this.jsm.consumers.info(this.stream, DEFAULT_CONSUMER.durable);
          this.polls.push({
            t: Date.now(),
            ackFloor: i.ack_floor.stream_seq,
            pending: i.num_pending,
            ackPending: i.num_ack_pending,
            ...usage(this.central.pids),
          });
        } catch {}
        await delay(POLL_MS);
      }
    })();
  }
  async stop() {
    this.stopped = true;
    await this.loop;
  }
  last(): Poll | undefined {
    return this.polls[this.polls.length - 1];
  }
  /** Wait until the central acknowledged every message up to `seq` (false when `deadline` passed first). */
  async until(seq: number, deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const p = this.last();
      if (p !== undefined && p.ackFloor >= seq && p.ackPending === 0) return true;
      await delay(POLL_MS);
    }
    return false;
  }
  /** Time of the first poll that saw `seq` acknowledged. */
  committedAt(seq: number): number | undefined {
    let lo = 0;
    let hi = this.polls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.polls[mid] as Poll).ackFloor >= seq) hi = mid;
      else lo = mid + 1;
    }
    return this.polls[lo]?.t;
  }
  /** The poll nearest before `t`. */
  at(t: number): Poll | undefined {
    let best: Poll | undefined;
    for (const p of this.polls) {
      if (p.t > t) break;
      best = p;
    }
    return best;
  }
}

const quantile = (xs: number[], q: number) =>
  xs.length === 0
    ? Number.NaN
    : (xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number);

/** Lag of up to `samples` messages in [from, to]: JetStream's stored time to the first poll seeing it acknowledged. */
async function lags(
  jsm: JetStreamManager,
  stream: string,
  w: Watcher,
  from: number,
  to: number,
  samples = 2000,
) {
  const out: number[] = [];
  const step = Math.max(1, Math.floor((to - from + 1) / samples));
  for (let seq = from; seq <= to; seq += step) {
    const m = await jsm.streams.getMessage(stream, { seq });
    const c = w.committedAt(seq);
    if (m === null || c === undefined) continue;
    out.push(c - m.time.getTime());
  }
  return { p50: quantile(out, 0.5), p99: quantile(out, 0.99), max: quantile(out, 1), n: out.length };
}

// -------------------------------------------------------------------------------------------------------------
// One step

interface EvaluationCounters {
  evaluations: number;
  objects: number;
  cpuS: number;
}

interface PhaseFigures {
  /** Evaluations that ended in the phase, objects they read, central CPU while they ran. */
  evaluation: EvaluationCounters;
  deltas: number;
  wallS: number;
  deltasPerS: number;
  drained: boolean;
  centralCpuS: number;
  sensorsCpuS: number;
  lag: { p50: number; p99: number; max: number; n: number };
  rssPeak: number;
}

interface StepFigures {
  clusters: number;
  pods: number;
  idleRss: number;
  list: PhaseFigures;
  churn: PhaseFigures & { targetPerS: number; publishedPerS: number };
  rssEnd: number;
}

async function step(clusters: number): Promise<StepFigures> {
  const id = `${process.pid.toString(36)}${randomBytes(3).toString("hex")}`;
  const stream = `PALISADE_FLEET_BENCH_${id.toUpperCase()}`;
  const prefix = `fleet-bench-${id}`;
  const dir = mkdtempSync(join(tmpdir(), "palisade-fleet-bench-"));
  const dbName = `palisade_fleet_bench_${id}`;
  const cleanups: (() => Promise<unknown>)[] = [
    () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  ];
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: PG_ADMIN });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  let db: string;
  if (STATE === "postgres") {
    await admin(`CREATE DATABASE ${dbName}`);
    cleanups.push(() => admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    const u = new URL(PG_ADMIN);
    u.pathname = `/${dbName}`;
    db = u.toString();
  } else db = join(dir, "palisade.db");
  const nc = await connect({ servers: NATS, name: "palisade-fleet-bench" });
  cleanups.push(() => nc.close());
  const jsm = await jetstreamManager(nc);
  cleanups.push(() => jsm.streams.delete(stream));
  try {
    const central = await startCentral(db, stream, prefix, dir);
    cleanups.push(() => central.stop());
    await delay(1_000);
    const idleRss = usage(central.pids).rss;
    const sensors = await startSensors(clusters, stream, prefix, join(dir, "buffers"));
    cleanups.push(async () => {
      for (const s of sensors) await s.close();
    });
    const w = new Watcher(jsm, stream, central);
    w.start();
    cleanups.push(() => w.stop());
    await delay(3 * POLL_MS);

    const phase = async (
      run: () => Promise<number>,
      limitS: number,
    ): Promise<PhaseFigures & { seqFrom: number; seqTo: number; t0: number; tPublished: number }> => {
      const seqFrom = (await jsm.streams.info(stream)).state.last_seq + 1;
      const e0 = await central.evaluation();
      const c0 = usage(central.pids).cpuS;
      const s0 = process.cpuUsage();
      const t0 = Date.now();
      const deltas = await run();
      const deadline = t0 + limitS * 1000;
      for (const s of sensors)
        await Promise.race([s.pipeline.idle(), delay(Math.max(0, deadline - Date.now()))]);
      const tPublished = Date.now();
      const seqTo = (await jsm.streams.info(stream)).state.last_seq;
      const drained = await w.until(seqTo, deadline);
      const end = drained ? (w.committedAt(seqTo) ?? Date.now()) : Date.now();
      const c1 = usage(central.pids).cpuS;
      const e1 = await central.evaluation();
      const s1 = process.cpuUsage(s0);
      const wallS = (end - t0) / 1000;
      const inPhase = w.polls.filter((p) => p.t >= t0 && p.t <= end);
      return {
        evaluation: {
          evaluations: e1.evaluations - e0.evaluations,
          objects: e1.objects - e0.objects,
          cpuS: e1.cpuS - e0.cpuS,
        },
        deltas,
        wallS,
        deltasPerS: deltas / wallS,
        drained,
        centralCpuS: c1 - c0,
        sensorsCpuS: (s1.user + s1.system) / 1e6,
        lag: await lags(jsm, stream, w, seqFrom, seqTo),
        rssPeak: Math.max(0, ...inPhase.map((p) => p.rss)),
        seqFrom,
        seqTo,
        t0,
        tPublished,
      };
    };

    const list = await phase(async () => {
      let n = 0;
      await Promise.all(
        sensors.map(async (s) => {
          const ds = s.sim.list();
          n += ds.length;
          await s.pipeline.submit(ds);
        }),
      );
      return n;
    }, MAX_S);
    process.stderr.write(
      `  ${clusters} clusters: list ${list.deltas} deltas in ${list.wallS.toFixed(1)} s\n`,
    );

    // The churn: each cluster replaces its pods R times in the compressed day, at evenly spaced times.
    const perCluster = Math.round(PODS * REPLACEMENTS);
    const targetPerS = (clusters * perCluster * EVENTS_PER_REPLACEMENT) / DAY_S;
    const churn = await phase(async () => {
      const t0 = Date.now();
      const done = new Array<number>(sensors.length).fill(0);
      let n = 0;
      const rand = prng(7);
      while (done.some((d) => d < perCluster)) {
        if (Date.now() - t0 > MAX_S * 1000) break;
        const due = Math.min(perCluster, Math.floor(((Date.now() - t0) / 1000 / DAY_S) * perCluster));
        await Promise.all(
          sensors.map(async (s, i) => {
            const ds: ObjectDelta[] = [];
            for (; (done[i] as number) < due; done[i] = (done[i] as number) + 1)
              for (const d of s.sim.replace(Math.floor(rand() * PODS))) ds.push(d);
            n += ds.length;
            await s.pipeline.submit(ds);
          }),
        );
        await delay(TICK_MS);
      }
      return n;
    }, DAY_S + MAX_S);
    const publishedS = (churn.tPublished - churn.t0) / 1000;
    process.stderr.write(
      `  ${clusters} clusters: churn ${churn.deltas} deltas in ${churn.wallS.toFixed(1)} s\n`,
    );
    return {
      clusters,
      pods: clusters * PODS,
      idleRss,
      list,
      churn: { ...churn, targetPerS, publishedPerS: churn.deltas / publishedS },
      rssEnd: usage(central.pids).rss,
    };
  } finally {
    for (const f of cleanups.reverse())
      await f().catch((e: unknown) => process.stderr.write(`cleanup: ${String(e)}\n`));
  }
}

// -------------------------------------------------------------------------------------------------------------
// References and the report

function nodeStartMs(): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    runs.push(performance.now() - t);
  }
  return quantile(runs, 0.5);
}

/** JSON.parse of 10,000 churn deltas (the text the central parses), ms. */
function parseMsPer10k(): number {
  const sim = new ClusterSim("bench-ref", PODS, prng(1));
  const texts: string[] = [];
  while (texts.length < 10_000)
    for (const d of sim.replace(texts.length % PODS)) texts.push(JSON.stringify(d));
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (const s of texts.slice(0, 10_000)) JSON.parse(s);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
const per10k = (x: number, pods: number) => x / (pods / 10_000);

const started = new Date();
const load0 = loadavg();
process.stderr.write(
  `fleet bench: ${STEPS.join(", ")} clusters x ${PODS} pods, day in ${DAY_S} s, state ${STATE}\n`,
);
const results: StepFigures[] = [];
for (const c of STEPS) results.push(await step(c));
const load1 = loadavg();

console.log(
  `# palisade fleet bench ${started.toISOString()}: ${cpus().length} vCPU ${cpus()[0]?.model.trim()}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`,
);
console.log(
  `# load average at start ${load0.map((x) => x.toFixed(2)).join(" ")}, at end ${load1.map((x) => x.toFixed(2)).join(" ")}`,
);
console.log(
  `# ${PODS} pods per cluster; churn: every pod replaced ${REPLACEMENTS}x a day (${EVENTS_PER_REPLACEMENT} deltas each), the day in ${DAY_S} s; state ${STATE}`,
);
console.log(
  `# references: node -e 0 ${nodeStartMs().toFixed(0)} ms; JSON.parse of 10k churn deltas ${parseMsPer10k().toFixed(1)} ms`,
);
console.log("");
console.log(
  "| clusters | pods | phase | deltas | target/s | committed/s | lag p50 ms | lag p99 ms | central CPU s | CPU s per 10k deltas | central cores | cores per 10k pods | RSS peak MiB | RSS MiB per 10k pods | sensors CPU s | drained |",
);
console.log("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
for (const r of results) {
  for (const [name, p, target] of [
    ["list", r.list, "burst"],
    ["churn", r.churn, r.churn.targetPerS.toFixed(0)],
  ] as const) {
    const cores = p.centralCpuS / p.wallS;
    console.log(
      `| ${r.clusters} | ${r.pods} | ${name} | ${p.deltas} | ${target} | ${p.deltasPerS.toFixed(0)} | ${p.lag.p50.toFixed(0)} | ${p.lag.p99.toFixed(0)} | ${p.centralCpuS.toFixed(1)} | ${((p.centralCpuS / p.deltas) * 10_000).toFixed(2)} | ${cores.toFixed(2)} | ${per10k(cores, r.pods).toFixed(3)} | ${mib(p.rssPeak)} | ${per10k(p.rssPeak / 1024 / 1024, r.pods).toFixed(1)} | ${p.sensorsCpuS.toFixed(1)} | ${p.drained ? "yes" : "NO"} |`,
    );
  }
}
console.log("");
console.log(
  `Evaluations from the fleet object state (--evaluate-interval ${EVALUATE_S === undefined ? "default" : `${EVALUATE_S}s`}); central CPU while they ran, and the central's CPU without it:`,
);
console.log("");
console.log(
  "| clusters | phase | evaluations | objects read | evaluation CPU s | CPU s per evaluation | CPU ms per 1k objects evaluated | central CPU s per 10k deltas without evaluations |",
);
console.log("|---:|---|---:|---:|---:|---:|---:|---:|");
for (const r of results)
  for (const [name, p] of [
    ["list", r.list],
    ["churn", r.churn],
  ] as const) {
    const e = p.evaluation;
    console.log(
      `| ${r.clusters} | ${name} | ${e.evaluations} | ${e.objects} | ${e.cpuS.toFixed(1)} | ${e.evaluations > 0 ? (e.cpuS / e.evaluations).toFixed(2) : "-"} | ${e.objects > 0 ? ((e.cpuS / e.objects) * 1e6).toFixed(0) : "-"} | ${(((p.centralCpuS - e.cpuS) / p.deltas) * 10_000).toFixed(2)} |`,
    );
  }
console.log("");
for (const r of results)
  console.log(
    `# ${r.clusters} clusters: central idle RSS ${mib(r.idleRss)} MiB, at end ${mib(r.rssEnd)} MiB; churn published at ${r.churn.publishedPerS.toFixed(0)}/s (target ${r.churn.targetPerS.toFixed(0)}/s); lag samples list ${r.list.lag.n}, churn ${r.churn.lag.n} (resolution ${POLL_MS} ms)`,
  );
