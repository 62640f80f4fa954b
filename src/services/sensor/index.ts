/**
 * Use case: a sensor turns what it observes in its cluster into deltas and gets every one of them to the fleet
 * transport, through outages of that transport.
 *
 * - Changes come in from the reflectors ({@link SensorPipeline.submit}) and wait in memory, in order.
 * - One sender loop sends what waits as one batch (batches form while the previous send is in flight) to the
 *   sink (JetStream or the server). When a send fails, the batch goes to the disk buffer, and from then on every
 *   new change goes there too, behind it, so order is kept.
 * - While the buffer holds batches, the loop sends the oldest, removes it once the sink confirmed it, and backs off
 *   exponentially (with jitter) between failed attempts; once empty, sending goes direct again.
 * - A batch is only ever removed after the sink confirmed it, so delivery is at least once: a batch that reached the
 *   sink just before a failure is sent again, and the message ids and the apply rule (core/deltas) make that
 *   harmless.
 *
 * The timers are the caller's (services hold no clock); the buffer and the sink are ports.
 */
import type { DeltaBuffer, DeltaSink } from "../../adapters/fleet/ports.js";
import {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  type ObjectDelta,
} from "../../core/deltas/index.js";
import { type PalisadeError, toPalisadeError } from "../../core/errors/index.js";
import { appendAll } from "../../core/util/index.js";

export {
  createEventForwarder,
  type EventForwarder,
  type EventForwarderOptions,
  type EventForwarderStats,
} from "./events.js";

export interface SensorPipelineOptions {
  sink: DeltaSink;
  buffer: DeltaBuffer;
  /** Resolve after `ms`, or reject when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** In [0, 1): the backoff's jitter. */
  random(): number;
  /** Most deltas per batch (default 500). */
  maxBatch?: number | undefined;
  /**
   * Most deltas waiting in memory while a direct send is in flight (default 10,000); `submit` waits beyond it, so
   * the reflectors stop reading (the API server holds the rest of their watch streams).
   */
  maxPending?: number | undefined;
  /** Pause after each successful send (default 0; the server transport sends a whole state per send). */
  minIntervalMs?: number | undefined;
  backoff?: BackoffPolicy | undefined;
  onError?: ((e: PalisadeError, retryInMs: number) => void) | undefined;
}

/** Counters, for metrics and logs. */
export interface SensorStats {
  /** Deltas the sink confirmed. */
  sent: number;
  /** Deltas waiting in memory. */
  pending: number;
  /** Deltas (and batches, bytes) in the disk buffer. */
  buffered: number;
  bufferedBatches: number;
  bufferedBytes: number;
  /** Deltas dropped from the buffer to keep under its cap. */
  dropped: number;
  /** Sends that failed. */
  sendErrors: number;
}

export interface SensorPipeline {
  /** Queue changes (in the order observed). Waits only when too many wait in memory. */
  submit(deltas: readonly ObjectDelta[]): Promise<void>;
  /** Send until `signal` aborts; then what is still in memory is written to the buffer (nothing is lost). */
  run(signal: AbortSignal): Promise<void>;
  stats(): SensorStats;
  /** Resolves when nothing waits in memory or in the buffer (tests, graceful stop). */
  idle(): Promise<void>;
}

export function createSensorPipeline(o: SensorPipelineOptions): SensorPipeline {
  const maxBatch = o.maxBatch ?? 500;
  const maxPending = o.maxPending ?? 10_000;
  const pending: ObjectDelta[] = [];
  let inFlight = 0;
  let sent = 0;
  let sendErrors = 0;
  let wake: (() => void) | undefined;
  let roomWaiters: (() => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  // Buffer appends keep call order (the buffer serialises them); `spilling` is true while any is not yet done.
  let spilling = 0;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const room = () => {
    const ws = roomWaiters;
    roomWaiters = [];
    for (const w of ws) w();
  };
  const isIdle = () =>
    pending.length === 0 && inFlight === 0 && spilling === 0 && o.buffer.stats().batches === 0;
  const checkIdle = () => {
    if (!isIdle()) return;
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  };
  const spill = async (batch: ObjectDelta[]) => {
    if (batch.length === 0) return;
    spilling++;
    try {
      await o.buffer.append(batch);
    } finally {
      spilling--;
    }
  };
  const buffering = () => o.buffer.stats().batches > 0 || spilling > 0;

  const failed = async (e: unknown, attempt: number, signal: AbortSignal) => {
    sendErrors++;
    const retryInMs = backoffDelay(attempt, o.random(), o.backoff ?? DEFAULT_BACKOFF);
    o.onError?.(toPalisadeError(e), retryInMs);
    await o.sleep(retryInMs, signal).catch(() => undefined);
  };

  return {
    async submit(deltas) {
      if (deltas.length === 0) return;
      // Not spread into push: a relist hands over one delta per object of the cluster at once.
      appendAll(pending, deltas);
      if (buffering()) {
        // Behind what is buffered: to disk, in order.
        await spill(pending.splice(0));
        notify();
        return;
      }
      notify();
      while (pending.length >= maxPending && !buffering())
        await new Promise<void>((resolve) => roomWaiters.push(resolve));
      if (buffering()) await spill(pending.splice(0));
    },

    async run(signal) {
      let attempt = 0;
      const onAbort = () => notify();
      signal.addEventListener("abort", onAbort);
      try {
        while (!signal.aborted) {
          if (buffering()) {
            // Anything still in memory is newer than the buffer: behind it.
            await spill(pending.splice(0));
            room();
            const b = await o.buffer.oldest();
            if (b === undefined) continue;
            try {
              await o.sink.send(b.deltas);
              await o.buffer.remove(b.seq);
              sent += b.deltas.length;
              attempt = 0;
              checkIdle();
              if (o.minIntervalMs) await o.sleep(o.minIntervalMs, signal).catch(() => undefined);
            } catch (e) {
              await failed(e, ++attempt, signal);
            }
            continue;
          }
          if (pending.length === 0) {
            checkIdle();
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            continue;
          }
          const batch = pending.splice(0, maxBatch);
          inFlight = batch.length;
          room();
          try {
            await o.sink.send(batch);
            sent += batch.length;
            attempt = 0;
            inFlight = 0;
            if (o.minIntervalMs) await o.sleep(o.minIntervalMs, signal).catch(() => undefined);
          } catch (e) {
            // The failed batch is the oldest: first into the buffer, then whatever came meanwhile.
            const spills = [spill(batch), spill(pending.splice(0))];
            inFlight = 0;
            await Promise.all(spills);
            room();
            await failed(e, ++attempt, signal);
          }
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        await spill(pending.splice(0));
        room();
      }
    },

    stats() {
      const b = o.buffer.stats();
      return {
        sent,
        pending: pending.length + inFlight,
        buffered: b.deltas,
        bufferedBatches: b.batches,
        bufferedBytes: b.bytes,
        dropped: b.droppedDeltas,
        sendErrors,
      };
    },

    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
