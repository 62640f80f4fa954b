/**
 * Use case: a central replica consumes deltas from the fleet transport and applies them to the per-cluster object
 * state. A batch is applied in one transaction and its messages are acknowledged only after that commit, so a
 * replica dying anywhere in between leaves them unacknowledged: the transport redelivers them, and applying a
 * delta again changes nothing (core/deltas). Delivery is at least once; the effect is exactly once.
 */
import type { ClusterStateStore, DeltaMessage, DeltaSource } from "../../adapters/fleet/ports.js";
import { type ObjectDelta, parseDelta } from "../../core/deltas/index.js";
import { PalisadeError, toPalisadeError } from "../../core/errors/index.js";

/** What one batch did. */
export interface BatchResult {
  /** Messages in the batch. */
  received: number;
  /** Rows changed by the batch. */
  applied: number;
  /** Valid deltas that changed nothing (redeliveries, stale or superseded changes). */
  ignored: number;
  /** Clusters whose state the batch changed, sorted: those whose findings are now behind. */
  clusters: string[];
  /** Malformed messages, terminated (never redelivered), with why. */
  rejected: { message: string; deliveries: number }[];
  /** Acknowledgements the transport did not confirm (their messages will come again). */
  unconfirmedAcks: number;
}

/** Deltas given as JSON values, validated: the valid ones with their index, the others with why. */
function validate(
  values: readonly { index: number; value: unknown }[],
  cluster: string | undefined,
): { valid: { index: number; d: ObjectDelta }[]; rejected: { index: number; message: string }[] } {
  const valid: { index: number; d: ObjectDelta }[] = [];
  const rejected: { index: number; message: string }[] = [];
  for (const { index, value } of values) {
    try {
      const d = parseDelta(value);
      if (cluster !== undefined && d.cluster !== cluster)
        throw new PalisadeError(
          "INPUT",
          `delta: cluster: ${JSON.stringify(d.cluster)} is not the cluster posted to (${cluster})`,
          { context: { field: "cluster" } },
        );
      valid.push({ index, d });
    } catch (e) {
      rejected.push({ index, message: toPalisadeError(e).message });
    }
  }
  return { valid, rejected };
}

/**
 * Apply one fetched batch: malformed messages are terminated, the valid ones applied in one transaction, then
 * acknowledged. When the store fails, every valid message is handed back (nak) and the error propagates.
 */
export async function applyBatch(
  messages: readonly DeltaMessage[],
  store: ClusterStateStore,
  onCommitted?: (clusters: readonly string[]) => void,
): Promise<BatchResult> {
  const values: { index: number; value: unknown }[] = [];
  const rejected: BatchResult["rejected"] = [];
  const reject = (m: DeltaMessage, message: string) => {
    rejected.push({ message, deliveries: m.deliveries });
    m.term();
  };
  messages.forEach((m, index) => {
    try {
      values.push({ index, value: JSON.parse(m.data) });
    } catch (e) {
      reject(m, toPalisadeError(e).message);
    }
  });
  const checked = validate(values, undefined);
  for (const r of checked.rejected) reject(messages[r.index] as DeltaMessage, r.message);
  const valid = checked.valid.map((v) => ({ m: messages[v.index] as DeltaMessage, d: v.d }));
  let r: { applied: number; ignored: number; clusters: string[] };
  try {
    r = await store.apply(valid.map((v) => v.d));
  } catch (e) {
    for (const v of valid) v.m.nak();
    throw e;
  }
  // Told before the acknowledgements, and not awaited: whatever follows a commit (an evaluation) is never on the
  // path of an acknowledgement, which still means only "committed in the store".
  if (r.clusters.length > 0) onCommitted?.(r.clusters);
  // All at once: one after the other, a batch's acknowledgements cost a round trip each, which bounded the
  // consumer by latency (the committed deltas waiting to be acknowledged) rather than by work.
  const acks = await Promise.allSettled(valid.map((v) => v.m.ack()));
  const unconfirmedAcks = acks.filter((a) => a.status === "rejected").length;
  return { received: messages.length, ...r, rejected, unconfirmedAcks };
}

/** What {@link applyDeltaValues} did. */
export interface PostedResult {
  received: number;
  applied: number;
  ignored: number;
  /** The cluster posted to when the deltas changed its state, else nothing. */
  clusters: string[];
  /** Deltas refused (never applied), by their index in the request, with the field at fault. */
  rejected: { index: number; message: string }[];
}

/**
 * Apply deltas posted to the server (JSON values, not yet validated) by the same rule and in the same one
 * transaction as a fetched batch: the valid ones are applied, the others refused with why. Every delta must be
 * of `cluster` (the cluster posted to). Applying the same deltas again changes nothing (their message ids, the
 * rule of core/deltas), so a client may resend a batch whose answer it lost. A store failure propagates, and
 * nothing of the batch is applied.
 */
export async function applyDeltaValues(
  values: readonly unknown[],
  store: ClusterStateStore,
  cluster: string,
): Promise<PostedResult> {
  const { valid, rejected } = validate(
    values.map((value, index) => ({ index, value })),
    cluster,
  );
  const r = await store.apply(valid.map((v) => v.d));
  return { received: values.length, ...r, rejected };
}

export interface ConsumeOptions {
  /** Messages per batch (one transaction each); default 256. */
  batch?: number | undefined;
  /**
   * Fetch-apply-acknowledge loops run side by side (default 1): while one waits for its commit, another fetches,
   * so the round trips of a batch (fetch, commit, acknowledgements) overlap instead of adding up. Each loop holds
   * its own batch; the apply rule makes their order irrelevant.
   */
  concurrency?: number | undefined;
  /** How long one fetch waits for messages; default 1 s. */
  waitMs?: number | undefined;
  /** Stops the loop (after the batch in hand is settled). */
  signal: AbortSignal;
  /** Called after every batch (counters, logs). */
  onBatch?: ((r: BatchResult) => void) | undefined;
  /**
   * Called right after a batch committed, before its acknowledgements, with the clusters it changed (not awaited:
   * it must only take note, e.g. mark the clusters for evaluation).
   */
  onCommitted?: ((clusters: readonly string[]) => void) | undefined;
  /**
   * Called when a fetch or the store fails; the loop carries on with the next fetch (a restarted server or
   * database is waited for, not fatal). `pause` is awaited before retrying.
   */
  onError?: ((e: PalisadeError) => void) | undefined;
  /** Awaited after an error before the next fetch (the caller's timer: services hold no clock). */
  pause: () => Promise<void>;
}

/** Consume until `signal` aborts. */
export async function consumeDeltas(
  source: DeltaSource,
  store: ClusterStateStore,
  o: ConsumeOptions,
): Promise<void> {
  const batch = o.batch ?? 256;
  const waitMs = o.waitMs ?? 1_000;
  const loop = async () => {
    while (!o.signal.aborted) {
      try {
        const messages = await source.fetch(batch, waitMs);
        if (messages.length === 0) continue;
        o.onBatch?.(await applyBatch(messages, store, o.onCommitted));
      } catch (e) {
        if (o.signal.aborted) break;
        o.onError?.(toPalisadeError(e));
        await o.pause();
      }
    }
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, o.concurrency ?? 1); i++) loops.push(loop());
  await Promise.all(loops);
}
