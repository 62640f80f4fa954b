/**
 * The sensor's composition root: a reflector per kind (adapters/kube) -> deltas (core/deltas) -> the sensor
 * pipeline (services/sensor) -> a disk buffer and a sink (adapters/fleet: JetStream, or the server's snapshot
 * endpoint). Every piece is passed in or built here from options, so tests run the same wiring against a real
 * kube-apiserver and a real NATS.
 */
import { setMaxListeners } from "node:events";
import { createServer, type Server } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { Gauge, Registry } from "prom-client";
import {
  type DeltaBuffer,
  type DeltaSink,
  natsDeltaSink,
  openDiskBuffer,
  serverSnapshotSink,
} from "../../adapters/fleet/index.js";
import {
  type ApiRequest,
  type KindDescriptor,
  kubeconfigTransport,
  LIVE_KINDS,
  type ReflectorClock,
  type ReflectorNotice,
  reflect,
} from "../../adapters/kube/index.js";
import { type ObjectDelta, observedDelta } from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { createSensorPipeline, type SensorPipeline, type SensorStats } from "../../services/sensor/index.js";

/** The kinds a sensor reads: every kind the analyzers read; Secrets only when asked (see sensor-rbac.ts). */
export function sensorKinds(withSecrets: boolean): KindDescriptor[] {
  return LIVE_KINDS.filter((k) => withSecrets || k.kind !== "Secret");
}

/** Real timers and randomness. */
export const SYSTEM_CLOCK: ReflectorClock = {
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
  random: Math.random,
};

export interface SensorOptions {
  cluster: string;
  /** The API transport, or a kubeconfig path (`in-cluster` for the pod's ServiceAccount) and context. */
  api: { request: ApiRequest } | { kubeconfig: string; context?: string | undefined };
  transport:
    | { nats: string; stream?: string | undefined }
    | {
        server: string;
        token: string;
        ca?: string | Buffer | undefined;
        dangerouslyAllowHttp?: boolean | undefined;
        /** Least time between two snapshots posted (default 30 s). */
        intervalMs?: number | undefined;
      }
    | { sink: DeltaSink };
  bufferDir: string;
  bufferMaxBytes?: number | undefined;
  withSecrets?: boolean | undefined;
  kinds?: readonly KindDescriptor[] | undefined;
  clock?: ReflectorClock | undefined;
  /** One line per event worth logging. */
  log: (line: string) => void;
  /** host:port for a Prometheus text endpoint (GET /metrics). */
  metricsListen?: string | undefined;
  /** Reflector tuning (tests make watches short). */
  watchTimeoutSeconds?: number | undefined;
  pageSize?: number | undefined;
  /** Per kind, watch from this resourceVersion before any list (tests force a 410 with a very old one). */
  startResourceVersion?: Partial<Record<string, string>> | undefined;
  maxBatch?: number | undefined;
}

/** Counters of the reflectors. */
export interface ReflectorStats {
  lists: number;
  relists: number;
  resumes: number;
  errors: number;
  /** Objects the sensor could not turn into a delta (no uid, no resourceVersion). */
  skipped: number;
  /** Kinds listed at least once. */
  synced: number;
}

export interface RunningSensor {
  stats(): SensorStats & ReflectorStats & { kinds: number };
  pipeline: SensorPipeline;
  /** Address of the metrics endpoint when one listens. */
  metricsAddress?: string | undefined;
  /** Stop watching and sending; what waits in memory goes to the buffer. */
  stop(): Promise<void>;
  /** Resolves when the sensor stopped. */
  done: Promise<void>;
}

function listenAddress(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  if (!m || Number(m[3]) > 65535)
    throw new PalisadeError("USAGE", `--metrics-listen ${s}: expected HOST:PORT, e.g. 127.0.0.1:9464`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port: Number(m[3]) };
}

export async function startSensor(o: SensorOptions): Promise<RunningSensor> {
  const clock = o.clock ?? SYSTEM_CLOCK;
  const kinds = o.kinds ?? sensorKinds(o.withSecrets ?? false);
  const api = "request" in o.api ? o.api : await kubeconfigTransport(o.api.kubeconfig, o.api.context);
  const rs: ReflectorStats = { lists: 0, relists: 0, resumes: 0, errors: 0, skipped: 0, synced: 0 };
  const listed = new Set<string>();

  let sink: DeltaSink;
  let minIntervalMs = 0;
  const server = "server" in o.transport ? o.transport : undefined;
  if ("sink" in o.transport) sink = o.transport.sink;
  else if ("nats" in o.transport)
    sink = natsDeltaSink({
      servers: o.transport.nats,
      name: `palisade-sensor-${o.cluster}`,
      stream: o.transport.stream ? { name: o.transport.stream } : undefined,
    });
  else {
    const t = o.transport;
    sink = serverSnapshotSink({
      server: t.server,
      cluster: o.cluster,
      token: t.token,
      ca: t.ca,
      dangerouslyAllowHttp: t.dangerouslyAllowHttp,
      ready: () => listed.size === kinds.length,
    });
    minIntervalMs = t.intervalMs ?? 30_000;
  }
  const buffer: DeltaBuffer = await openDiskBuffer({
    dir: o.bufferDir,
    maxBytes: o.bufferMaxBytes,
    // A snapshot is the whole state, rebuilt by the first list: batches left by an earlier run add nothing.
    fresh: server !== undefined,
    onDrop: (d) => o.log(`buffer: dropped ${d.deltas} deltas (${d.reason}) from ${d.file}`),
  });
  const before = buffer.stats();
  if (before.batches > 0)
    o.log(
      `buffer: ${before.deltas} deltas in ${before.batches} batches left by an earlier run; sending them first`,
    );
  const pipeline = createSensorPipeline({
    sink,
    buffer,
    sleep: clock.sleep,
    random: clock.random,
    maxBatch: o.maxBatch,
    minIntervalMs,
    onError: (e, ms) =>
      o.log(
        `send failed (${e.code}): ${e.message}; retrying in ${ms} ms (${buffer.stats().deltas} deltas buffered)`,
      ),
  });

  const onNotice = (n: ReflectorNotice) => {
    const k = n.kind.kind;
    switch (n.type) {
      case "listed":
        rs.lists++;
        if (!listed.has(k)) {
          listed.add(k);
          rs.synced = listed.size;
        }
        o.log(
          `${k}: listed ${n.objects} objects at resourceVersion ${n.resourceVersion}${n.relist ? " (relist)" : ""}`,
        );
        break;
      case "gone":
        rs.relists++;
        o.log(`${k}: watch expired (410 Gone${n.message ? `: ${n.message}` : ""}); listing again`);
        break;
      case "resumed":
        rs.resumes++;
        break;
      case "error":
        rs.errors++;
        o.log(`${k}: ${n.error.message}; retry ${n.attempt} in ${n.retryInMs} ms`);
        break;
    }
  };

  const abort = new AbortController();
  // Every reflector's requests and timers listen on this one signal: more than Node's default of 10 is expected.
  setMaxListeners(0, abort.signal);
  const runs: Promise<void>[] = [pipeline.run(abort.signal)];
  for (const kind of kinds) {
    runs.push(
      reflect(api.request, {
        kind,
        clock,
        signal: abort.signal,
        pageSize: o.pageSize,
        watchTimeoutSeconds: o.watchTimeoutSeconds,
        startResourceVersion: o.startResourceVersion?.[kind.kind],
        onNotice,
        onChanges: async (changes) => {
          const deltas: ObjectDelta[] = [];
          for (const c of changes) {
            const d = observedDelta(o.cluster, c.op, c.kind, c.object, c.resourceVersion);
            if (typeof d === "string") rs.skipped++;
            else deltas.push(d);
          }
          await pipeline.submit(deltas);
        },
      }),
    );
  }

  const stats = () => ({ ...pipeline.stats(), ...rs, kinds: kinds.length });
  let metrics: Server | undefined;
  let metricsAddress: string | undefined;
  if (o.metricsListen !== undefined) {
    const { host, port } = listenAddress(o.metricsListen);
    const registry = new Registry();
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(value());
        },
      });
    gauge(
      "palisade_sensor_buffered_deltas",
      "Deltas in the disk buffer, waiting for the transport",
      () => stats().buffered,
    );
    gauge("palisade_sensor_buffered_bytes", "Bytes of the disk buffer", () => stats().bufferedBytes);
    gauge(
      "palisade_sensor_buffer_dropped_deltas_total",
      "Deltas dropped (oldest first) to keep the disk buffer under its size cap",
      () => stats().dropped,
    );
    gauge("palisade_sensor_pending_deltas", "Deltas waiting in memory", () => stats().pending);
    gauge("palisade_sensor_sent_deltas_total", "Deltas the transport confirmed", () => stats().sent);
    gauge("palisade_sensor_send_errors_total", "Failed sends (each retried)", () => stats().sendErrors);
    gauge("palisade_sensor_relists_total", "Kinds listed again after a 410 Gone", () => stats().relists);
    gauge(
      "palisade_sensor_watch_errors_total",
      "List or watch failures (each retried with backoff)",
      () => stats().errors,
    );
    gauge("palisade_sensor_synced_kinds", "Kinds listed at least once", () => stats().synced);
    gauge("palisade_sensor_kinds", "Kinds the sensor reads", () => kinds.length);
    metrics = createServer((req, res) => {
      if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    const m = metrics;
    await new Promise<void>((resolve, reject) => {
      m.once("error", (e) =>
        reject(new PalisadeError("IO", `--metrics-listen ${o.metricsListen}: ${e.message}`, { cause: e })),
      );
      m.listen(port, host, () => resolve());
    });
    const a = m.address();
    if (a && typeof a === "object")
      metricsAddress = `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}`;
  }

  const done = Promise.all(runs).then(async () => {
    await sink.close();
    await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
  });
  return {
    stats,
    pipeline,
    metricsAddress,
    async stop() {
      abort.abort();
      await done;
    },
    done,
  };
}
