/**
 * Use case: a sensor forwards the runtime events the cluster's tools post to it (Falco's HTTP output, the API
 * server's audit webhook, Hubble flows) to the fleet transport, through outages of that transport.
 *
 * Every accepted body is written to the disk buffer first ({@link EventForwarder.accept} resolves once it is on
 * disk), then one sender loop sends the oldest and removes it once the sink confirmed it. So a body the sensor
 * answered 202 for survives a transport outage and a sensor restart; delivery is at least once (a body whose
 * confirmation was lost is sent again with the same id, which JetStream's duplicate window absorbs). A body the
 * other side refuses for good (INPUT: malformed for it) is dropped and counted, so it cannot hold up the rest.
 *
 * The timers are the caller's (services hold no clock); the buffer and the sink are ports.
 */
import type { EventBuffer, EventSink } from "../../adapters/fleet/ports.js";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "../../core/deltas/index.js";
import { type PalisadeError, toPalisadeError } from "../../core/errors/index.js";
import type { ForwardedEvents } from "../../core/runtime/index.js";

export interface EventForwarderOptions {
  sink: EventSink;
  buffer: EventBuffer;
  /** Resolve after `ms`, or reject when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** In [0, 1): the backoff's jitter. */
  random(): number;
  backoff?: BackoffPolicy | undefined;
  /** A send failed and is retried after `retryInMs`. */
  onError?: ((e: PalisadeError, retryInMs: number) => void) | undefined;
  /** The other side refused `events` for good: dropped. */
  onRefused?: ((events: ForwardedEvents, e: PalisadeError) => void) | undefined;
}

export interface EventForwarderStats {
  /** Bodies accepted (written to the buffer) by this process. */
  accepted: number;
  /** Bodies the sink confirmed. */
  sent: number;
  /** Bodies waiting in the buffer, and their bytes. */
  buffered: number;
  bufferedBytes: number;
  /** Bodies dropped from the buffer to keep under its cap. */
  dropped: number;
  /** Bodies the other side refused for good. */
  refused: number;
  /** Sends that failed (each retried). */
  sendErrors: number;
}

export interface EventForwarder {
  /** Write `events` to the buffer; resolves once they are stored there. */
  accept(events: ForwardedEvents): Promise<void>;
  /** Send until `signal` aborts (what is buffered stays buffered for the next run). */
  run(signal: AbortSignal): Promise<void>;
  stats(): EventForwarderStats;
  /** Resolves when the buffer is empty (tests, graceful stop). */
  idle(): Promise<void>;
}

export function createEventForwarder(o: EventForwarderOptions): EventForwarder {
  let accepted = 0;
  let sent = 0;
  let refused = 0;
  let sendErrors = 0;
  let wake: (() => void) | undefined;
  let idleWaiters: (() => void)[] = [];
  let appending = 0;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const checkIdle = () => {
    if (appending > 0 || o.buffer.stats().batches > 0) return;
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  };
  return {
    async accept(events) {
      appending++;
      try {
        await o.buffer.append([events]);
        accepted++;
      } finally {
        appending--;
      }
      notify();
    },

    async run(signal) {
      let attempt = 0;
      const onAbort = () => notify();
      signal.addEventListener("abort", onAbort);
      try {
        while (!signal.aborted) {
          const b = await o.buffer.oldest();
          if (b === undefined) {
            checkIdle();
            await new Promise<void>((resolve) => {
              wake = resolve;
              if (signal.aborted) resolve();
            });
            continue;
          }
          try {
            for (const e of b.items) {
              try {
                await o.sink.send(e);
                sent++;
              } catch (err) {
                const pe = toPalisadeError(err);
                if (pe.code !== "INPUT") throw pe;
                refused++;
                o.onRefused?.(e, pe);
              }
            }
            await o.buffer.remove(b.seq);
            attempt = 0;
          } catch (e) {
            sendErrors++;
            const retryInMs = backoffDelay(++attempt, o.random(), o.backoff ?? DEFAULT_BACKOFF);
            o.onError?.(toPalisadeError(e), retryInMs);
            await o.sleep(retryInMs, signal).catch(() => undefined);
          }
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },

    stats() {
      const s = o.buffer.stats();
      return {
        accepted,
        sent,
        buffered: s.items,
        bufferedBytes: s.bytes,
        dropped: s.droppedItems,
        refused,
        sendErrors,
      };
    },

    idle() {
      if (appending === 0 && o.buffer.stats().batches === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
