/**
 * Use case: the central side of runtime-event forwarding. A replica pulls forwarded bodies from the shared durable
 * consumer (adapters/fleet) and ingests each exactly as a body posted to the server's events route; a message is
 * acknowledged only after its body is ingested (alerts stored), and handed back when that fails, so a replica or
 * database going away loses nothing acknowledged. A message that is not forwarded events is terminated (never
 * delivered again) and counted.
 *
 * A body delivered again to the replica that ingested it (its acknowledgement lost, e.g. the transport restarted
 * before it was stored) is acknowledged without being ingested again: the replica remembers the ids of the last
 * {@link ConsumeEventsOptions.remember} bodies it stored. Across replicas ingest is at least once: a body another
 * replica stored and did not get acknowledged is ingested again; alerts are merged by their key, so an alert's
 * count may grow by that body's events, but no alert is duplicated.
 */
import type { DeltaSource } from "../../adapters/fleet/ports.js";
import { type PalisadeError, toPalisadeError } from "../../core/errors/index.js";
import { type ForwardedEvents, parseForwardedEvents } from "../../core/runtime/index.js";

export interface ForwardedBodyResult {
  events: ForwardedEvents;
  /** Which delivery of the message this was (1 for the first). */
  deliveries: number;
  /** A redelivery of a body this replica had stored: acknowledged, not ingested again. */
  again: boolean;
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
  /** How many ingested bodies' ids this replica remembers, to acknowledge their redeliveries (default 4,096). */
  remember?: number | undefined;
}

/** Consume forwarded events until `signal` aborts (the body in hand is settled first). */
export async function consumeForwardedEvents(source: DeltaSource, o: ConsumeEventsOptions): Promise<void> {
  const batch = o.batch ?? 16;
  const waitMs = o.waitMs ?? 1_000;
  const ingested = new RecentIds(o.remember ?? 4_096);
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
        if (m.deliveries > 1 && ingested.has(events.id)) {
          // Stored here already: only its acknowledgement was lost.
          await m.ack().catch(() => undefined);
          o.onIngested?.({ events, deliveries: m.deliveries, again: true });
          continue;
        }
        try {
          await o.ingest(events);
        } catch (e) {
          // This one and the rest of the batch come again (to any replica).
          for (const rest of messages.slice(i)) rest.nak();
          throw e;
        }
        ingested.add(events.id);
        await m.ack().catch(() => undefined); // unconfirmed: delivered again after the ack wait, to any replica
        o.onIngested?.({ events, deliveries: m.deliveries, again: false });
      }
    } catch (e) {
      if (o.signal.aborted) break;
      o.onError?.(toPalisadeError(e));
      await o.pause();
    }
  }
}

/** The last `cap` ids added, oldest forgotten first. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly cap: number) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    if (this.cap <= 0) return;
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.cap) {
      const oldest = this.ids.values().next();
      if (oldest.done !== true) this.ids.delete(oldest.value);
    }
  }
}
