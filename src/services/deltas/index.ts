/**
 * Use case: a central replica consumes deltas from the fleet transport and applies them to the per-cluster object
 * state. A batch is applied in one transaction and its messages are acknowledged only after that commit, so a
 * replica dying anywhere in between leaves them unacknowledged: the transport redelivers them, and applying a
 * delta again changes nothing (core/deltas). Delivery is at least once; the effect is exactly once.
 */
import type { ClusterStateStore, DeltaMessage, DeltaSource } from "../../adapters/fleet/ports.js";
import { type ObjectDelta, parseDelta } from "../../core/deltas/index.js";
import { type PalisadeError, toPalisadeError } from "../../core/errors/index.js";

/** What one batch did. */
export interface BatchResult {
  /** Messages in the batch. */
  received: number;
  /** Rows changed by the batch. */
  applied: number;
  /** Valid deltas that changed nothing (redeliveries, stale or superseded changes). */
  ignored: number;
  /** Malformed messages, terminated (never redelivered), with why. */
  rejected: { message: string; deliveries: number }[];
  /** Acknowledgements the transport did not confirm (their messages will come again). */
  unconfirmedAcks: number;
}

/**
 * Apply one fetched batch: malformed messages are terminated, the valid ones applied in one transaction, then
 * acknowledged. When the store fails, every valid message is handed back (nak) and the error propagates.
 */
export async function applyBatch(
  messages: readonly DeltaMessage[],
  store: ClusterStateStore,
): Promise<BatchResult> {
  const valid: { m: DeltaMessage; d: ObjectDelta }[] = [];
  const rejected: BatchResult["rejected"] = [];
  for (const m of messages) {
    try {
      valid.push({ m, d: parseDelta(JSON.parse(m.data)) });
    } catch (e) {
      rejected.push({ message: toPalisadeError(e).message, deliveries: m.deliveries });
      m.term();
    }
  }
  let r: { applied: number; ignored: number };
  try {
    r = await store.apply(valid.map((v) => v.d));
  } catch (e) {
    for (const v of valid) v.m.nak();
    throw e;
  }
  let unconfirmedAcks = 0;
  for (const v of valid) {
    try {
      await v.m.ack();
    } catch {
      unconfirmedAcks++;
    }
  }
  return { received: messages.length, ...r, rejected, unconfirmedAcks };
}

export interface ConsumeOptions {
  /** Messages per batch (one transaction each); default 256. */
  batch?: number | undefined;
  /** How long one fetch waits for messages; default 1 s. */
  waitMs?: number | undefined;
  /** Stops the loop (after the batch in hand is settled). */
  signal: AbortSignal;
  /** Called after every batch (counters, logs). */
  onBatch?: ((r: BatchResult) => void) | undefined;
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
  while (!o.signal.aborted) {
    try {
      const messages = await source.fetch(batch, waitMs);
      if (messages.length === 0) continue;
      o.onBatch?.(await applyBatch(messages, store));
    } catch (e) {
      if (o.signal.aborted) break;
      o.onError?.(toPalisadeError(e));
      await o.pause();
    }
  }
}
