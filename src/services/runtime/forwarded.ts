/**
 * Use case: the central side of runtime-event forwarding. A replica pulls forwarded bodies from the shared durable
 * consumer (adapters/fleet) and ingests each exactly as a body posted to the server's events route; a message is
 * acknowledged only after its body is ingested (alerts stored), and handed back when that fails, so a replica or
 * database going away loses nothing acknowledged. A message that is not forwarded events is terminated (never
 * delivered again) and counted.
 *
 * Ingest is at least once: a body delivered again (its acknowledgement lost) is ingested again; alerts are merged
 * by their key, so an alert's count may grow by that body's events, but no alert is duplicated.
 */
import type { DeltaSource } from "../../adapters/fleet/ports.js";
import { type PalisadeError, toPalisadeError } from "../../core/errors/index.js";
import { type ForwardedEvents, parseForwardedEvents } from "../../core/runtime/index.js";

export interface ForwardedBodyResult {
  events: ForwardedEvents;
  /** Which delivery of the message this was (1 for the first). */
  deliveries: number;
}

export interface ConsumeEventsOptions {
  /** Ingest one body; rejects when it could not be stored (the message is delivered again). */
  ingest(events: ForwardedEvents): Promise<void>;
  /** Messages per fetch (default 16: a body may hold thousands of events). */
  batch?: number | undefined;
  waitMs?: number | undefined;
  signal: AbortSignal;
  onIngested?: ((r: ForwardedBodyResult) => void) | undefined;
  /** A message that is not forwarded events: terminated. */
  onRejected?: ((message: string) => void) | undefined;
  onError?: ((e: PalisadeError) => void) | undefined;
  /** Awaited after an error before the next fetch. */
  pause: () => Promise<void>;
}

/** Consume forwarded events until `signal` aborts (the body in hand is settled first). */
export async function consumeForwardedEvents(source: DeltaSource, o: ConsumeEventsOptions): Promise<void> {
  const batch = o.batch ?? 16;
  const waitMs = o.waitMs ?? 1_000;
  while (!o.signal.aborted) {
    try {
      const messages = await source.fetch(batch, waitMs);
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        if (m === undefined) continue;
        let events: ForwardedEvents;
        try {
          events = parseForwardedEvents(JSON.parse(m.data));
        } catch (e) {
          m.term();
          o.onRejected?.(toPalisadeError(e).message);
          continue;
        }
        try {
          await o.ingest(events);
        } catch (e) {
          // This one and the rest of the batch come again (to any replica).
          for (const rest of messages.slice(i)) rest.nak();
          throw e;
        }
        await m.ack().catch(() => undefined); // unconfirmed: delivered again after the ack wait, ingested again
        o.onIngested?.({ events, deliveries: m.deliveries });
      }
    } catch (e) {
      if (o.signal.aborted) break;
      o.onError?.(toPalisadeError(e));
      await o.pause();
    }
  }
}
