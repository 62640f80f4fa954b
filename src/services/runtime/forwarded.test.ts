import { describe, expect, it } from "vitest";
import type { DeltaMessage, DeltaSource } from "../../adapters/fleet/ports.js";
import { consumeForwardedEvents, type ForwardedBodyResult } from "./forwarded.js";

const body = (id: string) =>
  JSON.stringify({
    id,
    cluster: "edge-1",
    source: "k8s-audit",
    receivedAt: "2026-12-06T00:00:00.000Z",
    body: '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}',
  });

/**
 * A test double of the JetStream consumer (the real one runs in test/integration/sensor-events.test.ts): it hands
 * out the scripted batches, records acks, then aborts the loop.
 */
function scriptedSource(batches: { id: string; deliveries: number }[][], stop: AbortController) {
  const acked: string[] = [];
  let i = 0;
  const source: DeltaSource = {
    async fetch() {
      const b = batches[i++];
      if (b === undefined) {
        stop.abort();
        return [];
      }
      return b.map(
        (m): DeltaMessage => ({
          data: body(m.id),
          deliveries: m.deliveries,
          ack: async () => {
            acked.push(`${m.id}#${m.deliveries}`);
          },
          nak: () => undefined,
          term: () => undefined,
        }),
      );
    },
    lag: async () => ({ pending: 0, ackPending: 0 }) as never,
    close: async () => undefined,
  };
  return { source, acked };
}

describe("consumeForwardedEvents (a scripted consumer: test double of JetStream)", () => {
  it("acknowledges a redelivery of a body this replica stored without ingesting it again", async () => {
    const stop = new AbortController();
    const { source, acked } = scriptedSource(
      [
        [
          { id: "body-0001", deliveries: 1 },
          { id: "body-0002", deliveries: 1 },
        ],
        // The acknowledgements were lost (NATS restarted): both come again, and one never seen here.
        [
          { id: "body-0001", deliveries: 2 },
          { id: "body-0003", deliveries: 2 },
        ],
      ],
      stop,
    );
    const ingested: string[] = [];
    const results: ForwardedBodyResult[] = [];
    await consumeForwardedEvents(source, {
      ingest: async (e) => {
        ingested.push(e.id);
      },
      signal: stop.signal,
      pause: async () => undefined,
      onIngested: (r) => results.push(r),
    });
    // body-0003 was stored by another replica, or never: ingested (at least once across replicas).
    expect(ingested).toEqual(["body-0001", "body-0002", "body-0003"]);
    expect(acked).toEqual(["body-0001#1", "body-0002#1", "body-0001#2", "body-0003#2"]);
    expect(results.map((r) => [r.events.id, r.again])).toEqual([
      ["body-0001", false],
      ["body-0002", false],
      ["body-0001", true],
      ["body-0003", false],
    ]);
  });

  it("ingests again a body whose ingest failed, and forgets the oldest ids past its memory", async () => {
    const stop = new AbortController();
    const { source } = scriptedSource(
      [
        [{ id: "body-0001", deliveries: 1 }],
        [{ id: "body-0001", deliveries: 2 }],
        [{ id: "body-0002", deliveries: 1 }],
        [{ id: "body-0003", deliveries: 1 }],
        [{ id: "body-0001", deliveries: 3 }],
        [{ id: "body-0003", deliveries: 2 }],
      ],
      stop,
    );
    const ingested: string[] = [];
    let fail = true;
    await consumeForwardedEvents(source, {
      ingest: async (e) => {
        if (fail) {
          fail = false;
          throw new Error("database down");
        }
        ingested.push(e.id);
      },
      signal: stop.signal,
      pause: async () => undefined,
      remember: 2,
    });
    // The first delivery failed (not stored, not remembered); its second is ingested. With room for two ids,
    // body-0001 is forgotten once body-0003 is stored, so its third delivery is ingested again; body-0003's is not.
    expect(ingested).toEqual(["body-0001", "body-0002", "body-0003", "body-0001"]);
  });
});
