/**
 * The fleet transport on NATS JetStream (https://docs.nats.io/nats-concepts/jetstream).
 *
 * - One stream holds every cluster's deltas on subjects `<prefix>.<cluster>.delta.<kind>` (prefix `palisade` unless
 *   configured: two installations sharing one NATS need two streams, and JetStream refuses streams whose subjects
 *   overlap); it is created, or
 *   updated to the configuration asked for, at start (file storage, limits retention, max age, max bytes and the
 *   de-duplication window stated explicitly, never left to server defaults).
 * - A sensor publishes each delta with `Nats-Msg-Id` = cluster:uid:resourceVersion:op (core/deltas), so a retry
 *   after a lost acknowledgement is stored once within the duplicate window.
 * - Central replicas pull from one shared durable consumer with explicit acks: JetStream hands each message to one
 *   replica at a time, and redelivers it (to any replica) when it is not acknowledged within `ackWaitMs`.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { deltaMessageId, type ObjectDelta } from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { ForwardedEvents } from "../../core/runtime/index.js";
import type {
  ConsumerLag,
  DeltaMessage,
  DeltaPublisher,
  DeltaSink,
  DeltaSource,
  EventSink,
} from "./ports.js";

/** The stream's configuration; every limit explicit. */
export interface FleetStreamConfig {
  /** Stream name (default PALISADE_DELTAS). */
  name: string;
  /** Oldest message kept (default 7 days). */
  maxAgeMs: number;
  /** Most bytes kept before the oldest are dropped (default 10 GiB). */
  maxBytes: number;
  /** How long a message id is remembered for de-duplication (default 2 minutes). */
  duplicateWindowMs: number;
  /** "file" (default: survives a server restart) or "memory". */
  storage: "file" | "memory";
  /** Replicas of the stream in a NATS cluster (default 1). */
  replicas: number;
  /** First token of every subject of the stream (default "palisade"); letters, digits, `_` and `-`. */
  subjectPrefix: string;
  /** Subjects the stream holds (default: every cluster's deltas, `<subjectPrefix>.*.delta.>`). */
  subjects?: string[] | undefined;
}

export interface FleetConsumerConfig {
  /** Durable consumer name shared by the central replicas (default palisade-central). */
  durable: string;
  /** Redelivery after this long without an ack (default 30 s). */
  ackWaitMs: number;
  /** Most messages delivered and not yet acknowledged, across replicas (default 10,000). */
  maxAckPending: number;
}

export const DEFAULT_STREAM: FleetStreamConfig = {
  name: "PALISADE_DELTAS",
  maxAgeMs: 7 * 24 * 3600_000,
  maxBytes: 10 * 1024 ** 3,
  duplicateWindowMs: 120_000,
  storage: "file",
  replicas: 1,
  subjectPrefix: "palisade",
};

/**
 * Runtime events forwarded by sensors: their own stream (events are many and short-lived; their limits are not the
 * deltas'), subjects `palisade.<cluster>.events.<source>`.
 */
export const DEFAULT_EVENTS_STREAM: FleetStreamConfig = {
  name: "PALISADE_EVENTS",
  maxAgeMs: 24 * 3600_000,
  maxBytes: 10 * 1024 ** 3,
  duplicateWindowMs: 120_000,
  storage: "file",
  replicas: 1,
  subjectPrefix: "palisade",
  subjects: ["palisade.*.events.>"],
};

/** The durable consumer central replicas share for forwarded events. */
export const DEFAULT_EVENTS_CONSUMER: FleetConsumerConfig = {
  durable: "palisade-central-events",
  ackWaitMs: 60_000,
  maxAckPending: 1_000,
};

/**
 * Largest forwarded-events message a sensor publishes, bytes of JSON (NATS refuses a message over the server's
 * max_payload, 1 MiB by default): bigger bodies are cut into parts (core/runtime splitForwardedBody).
 */
export const MAX_EVENTS_MESSAGE_BYTES = 900 * 1024;

/** The subject of forwarded events: `palisade.<cluster>.events.<source>` (dots in the cluster written `~`). */
export function eventsSubject(cluster: string, source: string): string {
  if (!/^[a-z0-9-]+$/.test(source))
    throw new PalisadeError("INPUT", `events: source ${JSON.stringify(source)} cannot be a subject token`, {
      context: { field: "source" },
    });
  return `palisade.${cluster.replaceAll(".", "~")}.events.${source}`;
}

export const DEFAULT_CONSUMER: FleetConsumerConfig = {
  durable: "palisade-central",
  ackWaitMs: 30_000,
  maxAckPending: 10_000,
};

const nanos = (ms: number): number => ms * 1_000_000;

/** How long past its expiry a pull is waited for before the client ends it. */
const FETCH_GRACE_MS = 5_000;

const SUBJECT_PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

/** Refuse a subject prefix that is not one plain subject token (USAGE: it comes from configuration). */
export function checkSubjectPrefix(prefix: string): string {
  if (!SUBJECT_PREFIX.test(prefix))
    throw new PalisadeError(
      "USAGE",
      `NATS subject prefix ${JSON.stringify(prefix)}: one token of letters, digits, _ and - (at most 64)`,
      { context: { field: "subjectPrefix" } },
    );
  return prefix;
}

/**
 * The subject of a delta: `<prefix>.<cluster>.delta.<kind>`. A cluster name may hold dots, which separate subject
 * tokens, so they are written `~` (not allowed in cluster names, so no two clusters share a subject).
 */
export function deltaSubject(cluster: string, kind: string, prefix = DEFAULT_STREAM.subjectPrefix): string {
  if (!/^[A-Za-z0-9]+$/.test(kind))
    throw new PalisadeError("INPUT", `delta: kind ${JSON.stringify(kind)} cannot be a subject token`, {
      context: { field: "key.kind" },
    });
  return `${prefix}.${cluster.replaceAll(".", "~")}.delta.${kind}`;
}

export interface NatsOptions {
  /** Server URLs, e.g. nats://127.0.0.1:4222. */
  servers: string | string[];
  /** Name of the connection as the server lists it. */
  name?: string | undefined;
}

type Connection = Awaited<ReturnType<typeof connect>>;

async function open(o: NatsOptions): Promise<Connection> {
  try {
    // Reconnect forever: a restarted server must not end a sensor or a central replica.
    return await connect({
      servers: o.servers,
      name: o.name ?? "palisade",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
  } catch (e) {
    throw new PalisadeError("IO", `NATS: cannot connect to ${String(o.servers)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Connect and make sure `cfg`'s stream exists as configured; the connection is closed when the stream cannot be. */
async function openWithStream(o: NatsOptions, cfg: FleetStreamConfig): Promise<Connection> {
  const nc = await open(o);
  try {
    await ensureStream(await jetstreamManager(nc), cfg);
  } catch (e) {
    await nc.close();
    throw new PalisadeError("IO", `NATS: stream ${cfg.name}: ${(e as Error).message}`, { cause: e });
  }
  return nc;
}

/** Create the stream, or update it to `cfg` when it exists. Idempotent. */
export async function ensureStream(jsm: JetStreamManager, cfg: FleetStreamConfig): Promise<void> {
  const config = {
    name: cfg.name,
    subjects: cfg.subjects ?? [`${checkSubjectPrefix(cfg.subjectPrefix)}.*.delta.>`],
    storage: cfg.storage === "file" ? StorageType.File : StorageType.Memory,
    retention: RetentionPolicy.Limits,
    max_age: nanos(cfg.maxAgeMs),
    max_bytes: cfg.maxBytes,
    duplicate_window: nanos(cfg.duplicateWindowMs),
    num_replicas: cfg.replicas,
  };
  try {
    await jsm.streams.info(cfg.name);
  } catch (e) {
    if ((e as { code?: unknown }).code !== JetStreamApiCodes.StreamNotFound) throw e;
    await jsm.streams.add(config);
    return;
  }
  // Storage cannot change on an existing stream; everything else is brought to what is asked.
  await jsm.streams.update(cfg.name, config);
}

/** Create the shared durable pull consumer, or update it to `cfg`. Idempotent. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  cfg: FleetConsumerConfig,
): Promise<void> {
  const config = {
    durable_name: cfg.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(cfg.ackWaitMs),
    max_ack_pending: cfg.maxAckPending,
    deliver_policy: DeliverPolicy.All,
    max_deliver: -1,
  };
  try {
    await jsm.consumers.info(stream, cfg.durable);
  } catch (e) {
    if ((e as { code?: unknown }).code !== JetStreamApiCodes.ConsumerNotFound) throw e;
    await jsm.consumers.add(stream, config);
    return;
  }
  await jsm.consumers.update(stream, cfg.durable, {
    ack_wait: config.ack_wait,
    max_ack_pending: config.max_ack_pending,
    max_deliver: config.max_deliver,
  });
}

/** Connect and make sure the stream exists as configured. */
export async function openNatsPublisher(
  o: NatsOptions & { stream?: Partial<FleetStreamConfig> | undefined; timeoutMs?: number | undefined },
): Promise<DeltaPublisher> {
  const cfg = { ...DEFAULT_STREAM, ...o.stream };
  checkSubjectPrefix(cfg.subjectPrefix);
  const nc = await openWithStream(o, cfg);
  const js: JetStreamClient = jetstream(nc);
  return {
    async publish(d: ObjectDelta) {
      const ack = await js.publish(
        deltaSubject(d.cluster, d.key.kind, cfg.subjectPrefix),
        JSON.stringify(d),
        {
          msgID: deltaMessageId(d),
          expect: { streamName: cfg.name },
          // Without an answer by then the publish rejects (and is retried); NATS's own default is 5 s.
          timeout: o.timeoutMs ?? 10_000,
        },
      );
      return { duplicate: ack.duplicate };
    },
    async close() {
      await nc.close();
    },
  };
}

/** Connect, make sure the stream and the shared durable consumer exist, and pull from it. */
export async function openNatsSource(
  o: NatsOptions & {
    stream?: Partial<FleetStreamConfig> | undefined;
    consumer?: Partial<FleetConsumerConfig> | undefined;
  },
): Promise<DeltaSource> {
  const scfg = { ...DEFAULT_STREAM, ...o.stream };
  const ccfg = { ...DEFAULT_CONSUMER, ...o.consumer };
  checkSubjectPrefix(scfg.subjectPrefix);
  const nc = await open(o);
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
    await ensureStream(jsm, scfg);
    await ensureConsumer(jsm, scfg.name, ccfg);
  } catch (e) {
    await nc.close();
    throw new PalisadeError("IO", `NATS: consumer ${ccfg.durable}: ${(e as Error).message}`, { cause: e });
  }
  const consumer = await jetstream(nc).consumers.get(scfg.name, ccfg.durable);
  const text = new TextDecoder();
  return {
    async fetch(max, waitMs) {
      const out: DeltaMessage[] = [];
      const expires = Math.max(waitMs, 1_000);
      const it = await consumer.fetch({ max_messages: max, expires });
      // The server ends a pull at `expires` (408) or after `max` messages, and the client ends it after two missed
      // heartbeats, but it stops watching heartbeats while disconnected: with the server gone for good, the
      // iterator would wait for a reconnect for ever and a stopping replica could not leave. So the client bounds
      // it too; messages that arrive after that are not seen here and come again after the ack wait.
      const deadline = setTimeout(() => it.stop(), expires + FETCH_GRACE_MS);
      try {
        for await (const m of it) {
          out.push({
            data: text.decode(m.data),
            deliveries: m.info.deliveryCount,
            // ackAck waits for the server's confirmation: an ack lost with a dying server is known, not assumed.
            ack: async () => {
              const ok = await m.ackAck();
              if (!ok) throw new PalisadeError("IO", "NATS: acknowledgement not confirmed");
            },
            nak: () => m.nak(),
            term: () => m.term(),
          });
        }
      } catch (e) {
        // The pull ended in an error after some messages came: typically "heartbeats missed", when nats-server or
        // this process was starved of CPU for two heartbeats (half the expiry each) on a loaded machine. Those
        // messages are delivered to this replica all the same: thrown away with the error, they waited out the
        // ack wait (30 s) before JetStream delivered them again. Returned, they are applied and acknowledged now.
        if (out.length === 0) throw e;
      } finally {
        clearTimeout(deadline);
      }
      return out;
    },
    async lag(): Promise<ConsumerLag> {
      const i = await jsm.consumers.info(scfg.name, ccfg.durable);
      return { pending: i.num_pending, ackPending: i.num_ack_pending };
    },
    async close() {
      await nc.close();
    },
  };
}

/**
 * A sensor's JetStream sink. It connects on first use, and again after a failed connect, so a sensor started while
 * NATS is down buffers and keeps trying instead of exiting. A batch is published concurrently, each delta with its
 * message id; `send` resolves only when JetStream acknowledged every one (a duplicate counts: it is stored), and a
 * batch sent again after a partial failure is stored once per delta within the duplicate window.
 */
export function natsDeltaSink(
  o: NatsOptions & { stream?: Partial<FleetStreamConfig> | undefined; timeoutMs?: number | undefined },
): DeltaSink & { duplicates(): number } {
  // A bad prefix is a configuration error: refused now, not retried for ever by the sender loop.
  checkSubjectPrefix(o.stream?.subjectPrefix ?? DEFAULT_STREAM.subjectPrefix);
  let publisher: Promise<DeltaPublisher> | undefined;
  let duplicates = 0;
  const get = (): Promise<DeltaPublisher> => {
    publisher ??= openNatsPublisher(o).catch((e: unknown) => {
      publisher = undefined;
      throw e;
    });
    return publisher;
  };
  return {
    async send(deltas) {
      const p = await get();
      const acks = await Promise.all(deltas.map((d) => p.publish(d)));
      for (const a of acks) if (a.duplicate) duplicates++;
    },
    duplicates: () => duplicates,
    async close() {
      const p = publisher;
      publisher = undefined;
      if (p) await (await p.catch(() => undefined))?.close();
    },
  };
}

/**
 * A sensor's JetStream sink for forwarded events: each part published with its id as the message id (a part sent
 * again after a lost acknowledgement is stored once within the duplicate window). Connects on first use and again
 * after a failure, like the delta sink.
 */
export function natsEventSink(
  o: NatsOptions & { stream?: Partial<FleetStreamConfig> | undefined; timeoutMs?: number | undefined },
): EventSink {
  const cfg = { ...DEFAULT_EVENTS_STREAM, ...o.stream };
  let js: Promise<{ nc: Connection; js: JetStreamClient }> | undefined;
  const get = () => {
    js ??= (async () => {
      const nc = await openWithStream(o, cfg);
      return { nc, js: jetstream(nc) };
    })().catch((e: unknown) => {
      js = undefined;
      throw e;
    });
    return js;
  };
  return {
    async send(e: ForwardedEvents) {
      const c = await get();
      await c.js.publish(eventsSubject(e.cluster, e.source), JSON.stringify(e), {
        msgID: e.id,
        expect: { streamName: cfg.name },
        timeout: o.timeoutMs ?? 10_000,
      });
    },
    async close() {
      const c = js;
      js = undefined;
      if (c) await (await c.catch(() => undefined))?.nc.close();
    },
  };
}
