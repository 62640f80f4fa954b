/**
 * Runtime figures (issue: runtime):
 * 1. enriched events/s from a file: Hubble flow lines read as a stream, parsed, attributed on both sides over two
 *    snapshots and enriched (workload, team, digests, vulns, exposure), each serialised as a JSON line as the CLI
 *    does; same-run reference: reading the same file line by line and JSON.parse of every line.
 * 2. attribution lookup p50/p99 over an index of 1M address changes (100k pods live at any time);
 *    same-run reference: a Map.get of the same keys.
 * 3. memory under a long stream: heap and RSS sampled every 500k events of a generated stream (no file).
 * 4. index build for a heavily reused address: 100k holdings of one IP (each with an inferred tail past the next
 *    holder's start); same-run reference: the build of 100k holdings of 100k different addresses.
 *
 * Usage: npx tsx --expose-gc bench/runtime.ts [events=300000] [streamEvents=3000000] [parts=throughput,lookups,memory,reuse]
 * (bench/runtime-memory.ts measures peak RSS over 10M events read from a file.)
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { readLines } from "../src/adapters/fs/index.js";
import {
  type AddressObservation,
  buildAttributionIndex,
  MAX_EVENT_LINE_BYTES,
} from "../src/core/runtime/index.js";
import { ingestEvents, prepareEnricher } from "../src/services/runtime/index.js";
import { flowLine, ip, snapshots, T0 } from "./runtime-data.js";

const EVENTS = Number(process.argv[2] ?? 300_000);
const STREAM = Number(process.argv[3] ?? 3_000_000);
const PARTS = new Set((process.argv[4] ?? "throughput,lookups,memory,reuse").split(","));
const sec = (ns: bigint) => Number(ns) / 1e9;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

async function throughput() {
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-runtime-"));
  const file = join(dir, "flows.jsonl");
  const lines: string[] = [];
  for (let k = 0; k < EVENTS; k++) lines.push(flowLine(k));
  writeFileSync(file, `${lines.join("\n")}\n`);
  lines.length = 0;
  const snaps = snapshots();
  const options = { snapshots: snaps };
  const prepared = prepareEnricher(options);
  const run = async () => {
    let bytes = 0;
    const t = process.hrtime.bigint();
    const s = await ingestEvents(
      [{ name: file, lines: readLines(createReadStream(file), MAX_EVENT_LINE_BYTES) }],
      { ...options, prepared },
      {
        onEvent: (e) => {
          bytes += JSON.stringify(e).length + 1;
        },
      },
    );
    return {
      s: sec(process.hrtime.bigint() - t),
      accepted: s.stages[1]?.accepted ?? 0,
      unknown: s.stages[2]?.reasons,
      bytes,
    };
  };
  const reference = async () => {
    const t = process.hrtime.bigint();
    let n = 0;
    for await (const l of readLines(createReadStream(file), MAX_EVENT_LINE_BYTES))
      if (typeof l === "string" && JSON.parse(l)) n++;
    return { s: sec(process.hrtime.bigint() - t), n };
  };
  await run(); // warm-up
  const results = [];
  for (let i = 0; i < 3; i++) results.push({ r: await run(), ref: await reference() });
  for (const { r, ref } of results)
    console.log(
      `enrich: ${r.accepted} events in ${r.s.toFixed(2)} s = ${Math.round(r.accepted / r.s)} events/s (output ${(r.bytes / 2 ** 20).toFixed(0)} MiB of JSON lines; unresolved sides ${JSON.stringify(r.unknown)}) | reference read+JSON.parse: ${Math.round(ref.n / ref.s)} lines/s`,
    );
  rmSync(dir, { recursive: true, force: true });
}

function lookups() {
  // 100k pods live at any time; each of 100k addresses changes holder 10 times: 1M observations.
  const PODS = 100_000;
  const CHANGES = 10;
  const obs: AddressObservation[] = [];
  for (let a = 0; a < PODS; a++)
    for (let c = 0; c < CHANGES; c++)
      obs.push({
        ip: ip(a + 1),
        holder: {
          kind: "pod",
          namespace: `ns-${a % 50}`,
          name: `p-${a}-${c}`,
          workload: { kind: "Deployment", namespace: `ns-${a % 50}`, name: `w-${a % 5000}` },
        },
        from: T0 + c * 600_000,
        to: T0 + (c + 1) * 600_000,
        lastSeen: T0 + (c + 1) * 600_000 - 1,
      });
  let t = process.hrtime.bigint();
  const index = buildAttributionIndex(obs);
  const build = sec(process.hrtime.bigint() - t);
  const Q = 200_000;
  const qs: [string, number][] = [];
  for (let i = 0; i < Q; i++)
    qs.push([ip(((i * 7919) % PODS) + 1), T0 + ((i * 104729) % (CHANGES * 600_000))]);
  const lat = new Float64Array(Q);
  let hits = 0;
  for (let i = 0; i < Q; i++) {
    const [a, at] = qs[i] as [string, number];
    t = process.hrtime.bigint();
    const r = index.attribute(a, at);
    lat[i] = Number(process.hrtime.bigint() - t) / 1000;
    if (r.status === "attributed") hits++;
  }
  const ref = new Map(qs.map(([a]) => [a, 1]));
  const refLat = new Float64Array(Q);
  for (let i = 0; i < Q; i++) {
    t = process.hrtime.bigint();
    ref.get((qs[i] as [string, number])[0]);
    refLat[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  const pct = (xs: Float64Array, p: number) =>
    [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) * p)] as number;
  console.log(
    `attribution: ${obs.length} address changes over ${PODS} addresses, ${index.size} segments, built in ${build.toFixed(2)} s; ${Q} lookups (${hits} attributed): p50 ${pct(lat, 0.5).toFixed(2)} us, p99 ${pct(lat, 0.99).toFixed(2)} us, max ${pct(lat, 1).toFixed(1)} us | reference Map.get p50 ${pct(refLat, 0.5).toFixed(2)} us, p99 ${pct(refLat, 0.99).toFixed(2)} us`,
  );
}

function reuse() {
  const N = 100_000;
  const holding = (i: number, addr: string): AddressObservation => ({
    ip: addr,
    holder: {
      kind: "pod",
      namespace: `ns-${i % 50}`,
      name: `p-${i}`,
      workload: { kind: "Deployment", namespace: `ns-${i % 50}`, name: `w-${i % 5000}` },
    },
    from: T0 + i * 60_000,
    to: T0 + i * 60_000 + 90_000,
    lastSeen: T0 + i * 60_000 + 50_000,
  });
  const oneIp: AddressObservation[] = [];
  const spread: AddressObservation[] = [];
  for (let i = 0; i < N; i++) {
    oneIp.push(holding(i, "10.0.0.42"));
    spread.push(holding(i, ip(i + 1)));
  }
  for (let r = 0; r < 3; r++) {
    let t = process.hrtime.bigint();
    const a = buildAttributionIndex(oneIp);
    const one = sec(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    const b = buildAttributionIndex(spread);
    const ref = sec(process.hrtime.bigint() - t);
    const probe = a.attribute("10.0.0.42", T0 + 77_777 * 60_000 + 55_000);
    console.log(
      `reuse: ${N} holdings of one address built in ${(one * 1000).toFixed(0)} ms (${a.size} segments; probe ${probe.status === "attributed" && probe.holder.kind === "pod" ? probe.holder.name : probe.status}) | reference: ${N} holdings of ${N} addresses in ${(ref * 1000).toFixed(0)} ms (${b.size} segments)`,
    );
  }
}

async function memory() {
  const snaps = snapshots();
  async function* gen() {
    for (let k = 0; k < STREAM; k++) yield flowLine(k);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  const samples: string[] = [];
  const heap: number[] = [];
  let n = 0;
  const t = process.hrtime.bigint();
  await ingestEvents(
    [{ name: "generated", lines: gen() }],
    { snapshots: snaps },
    {
      onEvent: (e) => {
        JSON.stringify(e);
        if (++n % 500_000 === 0) {
          gc?.();
          const m = process.memoryUsage();
          heap.push(m.heapUsed / 2 ** 20);
          samples.push(
            `${n / 1e6}M: heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(m.rss / 2 ** 20).toFixed(0)} MiB`,
          );
        }
      },
    },
  );
  const s = sec(process.hrtime.bigint() - t);
  const first = heap[0] ?? 0;
  const last = heap[heap.length - 1] ?? 0;
  const slope = heap.length > 1 ? (last - first) / ((heap.length - 1) * 0.5) : 0;
  console.log(`memory: ${n} events in ${s.toFixed(1)} s (${Math.round(n / s)}/s); ${samples.join("; ")}`);
  console.log(
    `memory: heap slope ${slope.toFixed(2)} MiB per million events after gc${gc ? "" : " (run with --expose-gc for after-gc figures)"}`,
  );
}

console.log(
  `node ${process.version}, ${cpus().length} cpu(s) ${cpus()[0]?.model ?? ""}, load ${load()}, ${new Date().toISOString()}`,
);
if (PARTS.has("throughput")) await throughput();
if (PARTS.has("lookups")) lookups();
if (PARTS.has("memory")) await memory();
if (PARTS.has("reuse")) reuse();
console.log(`load at end ${load()}`);
