/**
 * The sensor's composition root: a reflector per kind (adapters/kube) -> deltas (core/deltas) -> the sensor
 * pipeline (services/sensor) -> a disk buffer and a sink (adapters/fleet: JetStream, or the server's delta
 * endpoint, with a full snapshot posted at start and after each relist). Every piece is passed in or built here from options, so tests run the same wiring against a real
 * kube-apiserver and a real NATS.
 */
import { setMaxListeners } from "node:events";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Gauge, Registry } from "prom-client";
import {
  type DeltaBuffer,
  type DeltaSink,
  type EventSink,
  natsDeltaSink,
  natsEventSink,
  openDiskBuffer,
  openEventBuffer,
  postServerSnapshot,
  type ServerTarget,
  serverDeltaSink,
  serverEventSink,
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
import {
  applyDeltas,
  backoffDelay,
  liveObjects,
  type ObjectDelta,
  type ObjectStateRow,
  observedDelta,
} from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import {
  createEventForwarder,
  createSensorPipeline,
  type EventForwarder,
  type EventForwarderStats,
  type SensorPipeline,
  type SensorStats,
} from "../../services/sensor/index.js";
import { type EventsEndpointStats, startEventsEndpoint } from "./sensor-events.js";

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
    | { nats: string; stream?: string | undefined; subjectPrefix?: string | undefined }
    | {
        server: string;
        token: string;
        ca?: string | Buffer | undefined;
        dangerouslyAllowHttp?: boolean | undefined;
        /** Least time between two full snapshots posted (at start, after relists; default 30 s). */
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
  /**
   * Forward runtime events posted to the sensor (sensor-events.ts) over the same transport: an endpoint on
   * `listen` (HOST:PORT), HTTPS with `tls`, a bearer `token` required when given. With a `{ sink }` transport,
   * `sink` is where they go.
   */
  events?:
    | {
        listen: string;
        tls?: { cert: Buffer; key: Buffer } | undefined;
        token?: string | undefined;
        maxBytes?: number | undefined;
        sink?: EventSink | undefined;
      }
    | undefined;
  /** The time events are stamped with when accepted (default: the system clock). */
  now?: (() => Date) | undefined;
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
  /** `snapshots`: full snapshots posted (the --server transport); `events`: with an events endpoint. */
  stats(): SensorStats &
    ReflectorStats & { kinds: number; snapshots: number; events?: EventForwarderStats & EventsEndpointStats };
  pipeline: SensorPipeline;
  /** The forwarder of runtime events, when the sensor takes them. */
  events?: EventForwarder | undefined;
  /** Address of the events endpoint when one listens. */
  eventsAddress?: string | undefined;
  /** Address of the metrics endpoint when one listens. */
  metricsAddress?: string | undefined;
  /** Stop watching and sending; what waits in memory goes to the buffer. */
  stop(): Promise<void>;
  /** Resolves when the sensor stopped. */
  done: Promise<void>;
}

function listenAddress(s: string, flag = "--metrics-listen"): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  if (!m || Number(m[3]) > 65535)
    throw new PalisadeError("USAGE", `${flag} ${s}: expected HOST:PORT, e.g. 127.0.0.1:9464`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port: Number(m[3]) };
}

export async function startSensor(o: SensorOptions): Promise<RunningSensor> {
  const clock = o.clock ?? SYSTEM_CLOCK;
  const kinds = o.kinds ?? sensorKinds(o.withSecrets ?? false);
  const api = "request" in o.api ? o.api : await kubeconfigTransport(o.api.kubeconfig, o.api.context);
  const rs: ReflectorStats = { lists: 0, relists: 0, resumes: 0, errors: 0, skipped: 0, synced: 0 };
  const listed = new Set<string>();

  let sink: DeltaSink;
  const server = "server" in o.transport ? o.transport : undefined;
  const target: ServerTarget | undefined =
    server === undefined
      ? undefined
      : {
          server: server.server,
          cluster: o.cluster,
          token: server.token,
          ca: server.ca,
          dangerouslyAllowHttp: server.dangerouslyAllowHttp,
        };
  if ("sink" in o.transport) sink = o.transport.sink;
  else if ("nats" in o.transport)
    sink = natsDeltaSink({
      servers: o.transport.nats,
      name: `palisade-sensor-${o.cluster}`,
      stream: {
        ...(o.transport.stream ? { name: o.transport.stream } : {}),
        ...(o.transport.subjectPrefix ? { subjectPrefix: o.transport.subjectPrefix } : {}),
      },
    });
  else
    sink = serverDeltaSink({
      ...(target as ServerTarget),
      onRefused: (refused) => {
        for (const r of refused)
          o.log(
            `the server refused a delta of ${r.delta.key.kind} ${r.delta.key.namespace ?? ""}/${r.delta.key.name}: ${r.message}; dropped`,
          );
      },
    });
  const buffer: DeltaBuffer = await openDiskBuffer({
    dir: o.bufferDir,
    maxBytes: o.bufferMaxBytes,
    // With --server, the first list sends every object again and a full snapshot follows: batches left by an
    // earlier run add nothing.
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
    onError: (e, ms) =>
      o.log(
        `send failed (${e.code}): ${e.message}; retrying in ${ms} ms (${buffer.stats().deltas} deltas buffered)`,
      ),
  });

  let eventSink: EventSink | undefined;
  let forwarder: EventForwarder | undefined;
  if (o.events !== undefined) {
    const t = o.transport;
    if ("sink" in t) {
      if (o.events.sink === undefined)
        throw new PalisadeError("USAGE", "events: a sink transport needs an events sink");
      eventSink = o.events.sink;
    } else if ("nats" in t)
      eventSink = natsEventSink({ servers: t.nats, name: `palisade-sensor-${o.cluster}-events` });
    else
      eventSink = serverEventSink({
        server: t.server,
        token: t.token,
        ca: t.ca,
        dangerouslyAllowHttp: t.dangerouslyAllowHttp,
      });
    // Beside the delta buffer, in its own directory (the delta buffer only reads its own file names).
    const events = await openEventBuffer({
      dir: join(o.bufferDir, "events"),
      maxBytes: o.bufferMaxBytes,
      onDrop: (d) => o.log(`events buffer: dropped ${d.deltas} bodies (${d.reason}) from ${d.file}`),
    });
    if (events.stats().batches > 0)
      o.log(`events buffer: ${events.stats().items} bodies left by an earlier run; sending them first`);
    forwarder = createEventForwarder({
      sink: eventSink,
      buffer: events,
      sleep: clock.sleep,
      random: clock.random,
      onError: (e, ms) =>
        o.log(
          `events: send failed (${e.code}): ${e.message}; retrying in ${ms} ms (${events.stats().items} buffered)`,
        ),
      onRefused: (e, err) => o.log(`events: ${e.id} refused for good, dropped: ${err.message}`),
    });
  }
  // --server: what the sensor observed, kept to post as a full snapshot at start and after each relist (a relist
  // follows changes the watch missed; the snapshot lets the server's history catch up with them at once).
  const observed = new Map<string, ObjectStateRow>();
  let snapshotDue = target !== undefined;
  let snapshots = 0;

  const onNotice = (n: ReflectorNotice) => {
    const k = n.kind.kind;
    switch (n.type) {
      case "listed":
        if (n.relist) snapshotDue = target !== undefined;
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
  if (target !== undefined) {
    const intervalMs = server?.intervalMs ?? 30_000;
    const snapshotLoop = async (signal: AbortSignal) => {
      let attempt = 0;
      while (!signal.aborted) {
        // Only a whole state is a snapshot: before every kind is listed, the objects not listed yet would read as
        // deleted.
        if (!snapshotDue || listed.size < kinds.length) {
          await clock.sleep(200, signal).catch(() => undefined);
          continue;
        }
        snapshotDue = false;
        const items = liveObjects(observed.values(), o.cluster).map((r) => r.object);
        try {
          await postServerSnapshot(target, items);
          snapshots++;
          attempt = 0;
          o.log(`snapshot: posted ${items.length} objects`);
          await clock.sleep(intervalMs, signal).catch(() => undefined);
        } catch (e) {
          snapshotDue = true;
          const ms = backoffDelay(++attempt, clock.random());
          o.log(`snapshot not posted: ${(e as Error).message}; retrying in ${ms} ms`);
          await clock.sleep(ms, signal).catch(() => undefined);
        }
      }
    };
    runs.push(snapshotLoop(abort.signal));
  }
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
          if (target !== undefined) applyDeltas(observed, deltas);
          await pipeline.submit(deltas);
        },
      }),
    );
  }

  let endpoint: Awaited<ReturnType<typeof startEventsEndpoint>> | undefined;
  if (forwarder !== undefined && o.events !== undefined) {
    runs.push(forwarder.run(abort.signal));
    const { host, port } = listenAddress(o.events.listen, "--events-listen");
    try {
      endpoint = await startEventsEndpoint({
        cluster: o.cluster,
        host,
        port,
        forwarder,
        tls: o.events.tls,
        token: o.events.token,
        maxBytes: o.events.maxBytes,
        now: o.now ?? (() => new Date()),
        log: o.log,
      });
    } catch (e) {
      abort.abort();
      await Promise.all(runs);
      await sink.close();
      await eventSink?.close();
      throw e;
    }
  }
  const ep = endpoint;
  const fw = forwarder;
  const stats = () => ({
    ...pipeline.stats(),
    ...rs,
    kinds: kinds.length,
    snapshots,
    ...(fw !== undefined && ep !== undefined ? { events: { ...fw.stats(), ...ep.stats() } } : {}),
  });
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
    gauge(
      "palisade_sensor_snapshots_posted_total",
      "Full snapshots posted to the server (--server: at start and after relists)",
      () => stats().snapshots,
    );
    gauge("palisade_sensor_kinds", "Kinds the sensor reads", () => kinds.length);
    if (fw !== undefined && ep !== undefined) {
      gauge(
        "palisade_sensor_buffered_event_bodies",
        "Runtime event bodies in the disk buffer, waiting for the transport",
        () => fw.stats().buffered,
      );
      gauge(
        "palisade_sensor_buffered_event_bytes",
        "Bytes of the events disk buffer",
        () => fw.stats().bufferedBytes,
      );
      gauge(
        "palisade_sensor_event_bodies_accepted_total",
        "Event bodies (or parts) accepted",
        () => fw.stats().accepted,
      );
      gauge(
        "palisade_sensor_event_bodies_sent_total",
        "Event bodies the transport confirmed",
        () => fw.stats().sent,
      );
      gauge(
        "palisade_sensor_event_bodies_dropped_total",
        "Event bodies dropped: the buffer's size cap (oldest first), or refused for good by the other side",
        () => fw.stats().dropped + fw.stats().refused,
      );
      gauge(
        "palisade_sensor_event_records_too_large_total",
        "Event records larger than a transport message, left out",
        () => ep.stats().tooLarge,
      );
    }
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
    await eventSink?.close();
    await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
  });
  return {
    stats,
    pipeline,
    metricsAddress,
    events: fw,
    eventsAddress: ep?.address,
    async stop() {
      // Take no more events (what was accepted is on disk), then stop watching and sending.
      await ep?.close();
      abort.abort();
      await done;
    },
    done,
  };
}
