/**
 * Runtime figure: memory bounded under 10M events. A file of generated events (Hubble flows inside the cluster
 * and to ever new external addresses, flows to threat-feed addresses, Tetragon execs of ever new binaries,
 * audit-log execs into pods by many users) is run through ingest + enrich + detect (audit rules, threat feed,
 * baselines with drift alerts, deduplication) in a child process; its peak RSS (getrusage maxrss) and heap after
 * gc are read at 1M, 3M and 10M events. Same-run reference: another child reading the same file line by line with
 * JSON.parse of every line, read at the same marks. New keys keep coming for the whole run (distinct drift peers,
 * binaries, users), so every bounded structure reaches its cap early and must stay there.
 *
 * Usage: npx tsx --expose-gc bench/runtime-memory.ts [events=10000000] [marks=1000000,3000000,10000000]
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { readLines } from "../src/adapters/fs/index.js";
import { BaselineBook, MAX_EVENT_LINE_BYTES, parseFeed } from "../src/core/runtime/index.js";
import {
  auditDetector,
  detectAlerts,
  prepareEnricher,
  threatDetector,
} from "../src/services/runtime/index.js";
import { ip, snapshots, T0 } from "./runtime-data.js";

const EVENTS = Number(process.argv[2] ?? 10_000_000);
const MARKS = (process.argv[3] ?? "1000000,3000000,10000000").split(",").map(Number);
const CHILD = process.env.PALISADE_BENCH_CHILD;
const dir = join(tmpdir(), "palisade-bench-runtime-memory");
const file = join(dir, `events-${EVENTS}.jsonl`);

/** A cheap integer hash, so generated addresses and names do not repeat in a pattern. */
const mix = (k: number) => {
  let h = (k ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
};

const hubble = (t: string, src: string, dst: string, port: number, k: number) =>
  `{"flow":{"time":"${t}","verdict":"FORWARDED","IP":{"source":"${src}","destination":"${dst}"},"l4":{"TCP":{"source_port":${30000 + (k % 30000)},"destination_port":${port}}},"node_name":"n${k % 20}"},"node_name":"n${k % 20}","time":"${t}"}`;

function eventLine(k: number): string {
  // 20 ms apart: 10M events span 2.3 days of event time (baselines learn for the first hour, then observe).
  const t = new Date(T0 + k * 20).toISOString();
  const h = mix(k);
  const d = k % 300;
  const pod = `${d * 10 + 1 + (k % 2)}`; // pods 1 and 2 of each Deployment are never replaced
  switch (k % 20) {
    case 14:
    case 15:
    case 16: // to an external address: a new /24 almost every time (drift peers, baseline items)
      return hubble(t, ip(Number(pod)), `${11 + (h % 180)}.${(h >>> 8) & 255}.${(h >>> 16) & 255}.7`, 443, k);
    case 17: // to a threat-feed address
      return hubble(t, ip(Number(pod)), `203.0.113.${k % 250}`, 443, k);
    case 18: // an exec of a binary of many
      return `{"process_exec":{"process":{"binary":"/usr/bin/tool-${h % 20011}","arguments":"--x","pod":{"namespace":"ns-${d % 30}","name":"app-${d}-${1 + (k % 2)}"}}},"node_name":"n${k % 20}","time":"${t}"}`;
    case 19: // exec into a pod by one of many users
      return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a-${k}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns-${d % 30}/pods/app-${d}-1/exec?command=sh","verb":"create","user":{"username":"user-${h % 5000}@example.com","groups":["system:authenticated"]},"sourceIPs":["192.168.1.50"],"objectRef":{"resource":"pods","namespace":"ns-${d % 30}","name":"app-${d}-1","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"${t}","stageTimestamp":"${t}","annotations":{"authorization.k8s.io/decision":"allow"}}`;
    default: // inside the cluster
      return hubble(t, ip((k % 3000) + 1), ip(((k * 31) % 3000) + 1), k % 2 ? 5432 : 8080, k);
  }
}

async function writeEvents() {
  if (existsSync(file) && statSync(file).size > 0) return;
  mkdirSync(dir, { recursive: true });
  const f = await open(`${file}.tmp`, "w");
  let buf: string[] = [];
  for (let k = 0; k < EVENTS; k++) {
    buf.push(eventLine(k));
    if (buf.length === 10_000) {
      await f.write(`${buf.join("\n")}\n`);
      buf = [];
    }
  }
  if (buf.length > 0) await f.write(`${buf.join("\n")}\n`);
  await f.close();
  const { rename } = await import("node:fs/promises");
  await rename(`${file}.tmp`, file);
}

const MiB = (b: number) => b / 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;

/** One mark: events so far, peak RSS so far, RSS and heap now (after gc). */
function sample(n: number, extra: Record<string, unknown> = {}) {
  gc?.();
  const m = process.memoryUsage();
  return {
    n,
    peakRss: MiB(process.resourceUsage().maxRSS * 1024),
    rss: MiB(m.rss),
    heap: MiB(m.heapUsed),
    ...extra,
  };
}

async function child(kind: string) {
  const marks = new Set(MARKS);
  const out: ReturnType<typeof sample>[] = [];
  if (kind === "reference") {
    out.push(sample(0));
    let n = 0;
    for await (const l of readLines(createReadStream(file), MAX_EVENT_LINE_BYTES))
      if (typeof l === "string" && JSON.parse(l) && marks.has(++n)) out.push(sample(n));
    process.stdout.write(JSON.stringify(out));
    return;
  }
  const snaps = snapshots();
  const prepared = prepareEnricher({ snapshots: snaps });
  const feeds = [parseFeed("203.0.113.0/24\n198.51.100.7\nevil.example\n", "bench-feed")];
  const book = new BaselineBook({ windowMs: 3_600_000 });
  let n = 0;
  let fresh = 0;
  const t = process.hrtime.bigint();
  const bookState = () => {
    let items = 0;
    for (const b of book.baselines.values())
      items += Object.keys(b.processes).length + Object.keys(b.peers).length;
    return { baselines: book.baselines.size, items };
  };
  out.push(sample(0, { setup: true }));
  const r = await detectAlerts(
    [{ name: file, lines: readLines(createReadStream(file), MAX_EVENT_LINE_BYTES) }],
    {
      snapshots: snaps,
      prepared,
      detectors: [
        auditDetector,
        threatDetector(feeds, prepared.directory.facts),
        (e) => book.observe(e),
        () => {
          if (marks.has(++n)) out.push(sample(n, { alertsRouted: fresh, ...bookState() }));
          return [];
        },
      ],
    },
    { onAlert: () => void fresh++ },
  );
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  process.stdout.write(
    JSON.stringify({
      marks: out,
      seconds: s,
      alerts: r.alerts.length,
      overflow: r.overflow,
      evicted: book.evicted,
      dropped: r.summary.stages.map((x) => [x.stage, x.dropped]),
    }),
  );
}

if (CHILD) await child(CHILD);
else {
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(1))
      .join(" ");
  console.log(
    `node ${process.version}, ${cpus().length} cpu(s) ${cpus()[0]?.model ?? ""}, load ${load()}, ${new Date().toISOString()}`,
  );
  let t = Date.now();
  await writeEvents();
  console.log(
    `events: ${EVENTS} lines, ${MiB(statSync(file).size).toFixed(0)} MiB at ${file} (${((Date.now() - t) / 1000).toFixed(0)} s)`,
  );
  const run = (kind: string) => {
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, process.argv[1] as string, ...process.argv.slice(2)],
      {
        env: { ...process.env, PALISADE_BENCH_CHILD: kind },
        encoding: "utf8",
        maxBuffer: 1 << 24,
      },
    );
    if (r.status !== 0) throw new Error(`${kind} child failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  t = Date.now();
  const ref = run("reference") as ReturnType<typeof sample>[];
  console.log(`reference: read + JSON.parse in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const p = run("pipeline");
  console.log(
    `pipeline: ${EVENTS} events in ${p.seconds.toFixed(0)} s (${Math.round(EVENTS / p.seconds)}/s); ${p.alerts} distinct alerts kept, ${p.overflow} evicted; baselines evicted ${JSON.stringify(p.evicted)}; dropped ${JSON.stringify(p.dropped)}`,
  );
  const f = (x: number) => x.toFixed(0);
  console.log(
    "| events | pipeline peak RSS | pipeline RSS / heap after gc | baselines / items | alerts routed | reference peak RSS | reference heap after gc |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const m of p.marks) {
    const r = ref.find((x) => x.n === m.n);
    console.log(
      `| ${m.setup ? "after setup" : m.n.toLocaleString("en")} | ${f(m.peakRss)} MiB | ${f(m.rss)} / ${f(m.heap)} MiB | ${m.baselines ?? "-"} / ${m.items ?? "-"} | ${m.alertsRouted ?? "-"} | ${r ? `${f(r.peakRss)} MiB` : "-"} | ${r ? `${f(r.heap)} MiB` : "-"} |`,
    );
  }
  console.log(`load at end ${load()}`);
}
