import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { manualClock, until } from "../../../test/support/manual-clock.js";
import { type EventSink, openEventBuffer } from "../../adapters/fleet/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { ForwardedEvents } from "../../core/runtime/index.js";
import { createEventForwarder } from "./index.js";

const ev = (n: number): ForwardedEvents => ({
  id: `body-${String(n).padStart(6, "0")}`,
  cluster: "prod",
  source: "falco",
  receivedAt: "2026-12-05T05:00:00.000Z",
  body: JSON.stringify({ rule: "Terminal shell in container", n }),
});

/** An in-process sink (test double: the real JetStream and server sinks run in test/integration/sensor-events.test.ts). */
function switchableSink(refuse = new Set<string>()) {
  const received: string[] = [];
  let up = true;
  const sink: EventSink = {
    async send(e) {
      if (!up) throw new PalisadeError("IO", "transport down");
      if (refuse.has(e.id)) throw new PalisadeError("INPUT", `refused ${e.id}`);
      received.push(e.id);
    },
    async close() {},
  };
  return { sink, received, set: (v: boolean) => (up = v) };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "palisade-events-"));
  dirs.push(d);
  return d;
};

describe("event forwarder", () => {
  it("sends every accepted body once, in order, and is idle after", async () => {
    const dir = tempDir();
    const s = switchableSink();
    const clock = manualClock();
    const f = createEventForwarder({ sink: s.sink, buffer: await openEventBuffer({ dir }), ...clock });
    const stop = new AbortController();
    const run = f.run(stop.signal);
    for (let i = 1; i <= 20; i++) await f.accept(ev(i));
    await f.idle();
    expect(s.received).toEqual(Array.from({ length: 20 }, (_, i) => ev(i + 1).id));
    expect(f.stats()).toMatchObject({ accepted: 20, sent: 20, buffered: 0, refused: 0, sendErrors: 0 });
    stop.abort();
    await run;
  });

  it("keeps what it accepted through an outage and a restart, then sends it in order", async () => {
    const dir = tempDir();
    const s = switchableSink();
    s.set(false);
    const clock = manualClock();
    const f1 = createEventForwarder({ sink: s.sink, buffer: await openEventBuffer({ dir }), ...clock });
    const stop1 = new AbortController();
    const run1 = f1.run(stop1.signal);
    for (let i = 1; i <= 5; i++) await f1.accept(ev(i));
    await until(() => clock.waiting() > 0);
    expect(f1.stats()).toMatchObject({ accepted: 5, sent: 0, buffered: 5 });
    expect(f1.stats().sendErrors).toBeGreaterThan(0);
    stop1.abort();
    await run1;

    // A new process over the same directory: the bodies are still there and go first.
    s.set(true);
    const f2 = createEventForwarder({ sink: s.sink, buffer: await openEventBuffer({ dir }), ...clock });
    expect(f2.stats().buffered).toBe(5);
    const stop2 = new AbortController();
    const run2 = f2.run(stop2.signal);
    await f2.accept(ev(6));
    await f2.idle();
    expect(s.received).toEqual([1, 2, 3, 4, 5, 6].map((i) => ev(i).id));
    stop2.abort();
    await run2;
  });

  it("drops, and counts, a body the other side refuses for good, and goes on", async () => {
    const dir = tempDir();
    const s = switchableSink(new Set([ev(2).id]));
    const refusedIds: string[] = [];
    const f = createEventForwarder({
      sink: s.sink,
      buffer: await openEventBuffer({ dir }),
      ...manualClock(),
      onRefused: (e) => refusedIds.push(e.id),
    });
    const stop = new AbortController();
    const run = f.run(stop.signal);
    for (let i = 1; i <= 3; i++) await f.accept(ev(i));
    await f.idle();
    expect(s.received).toEqual([ev(1).id, ev(3).id]);
    expect(refusedIds).toEqual([ev(2).id]);
    expect(f.stats()).toMatchObject({ sent: 2, refused: 1, buffered: 0 });
    stop.abort();
    await run;
  });

  it("drops the oldest bodies past the buffer's cap, counted", async () => {
    const dir = tempDir();
    const s = switchableSink();
    s.set(false);
    const one = Buffer.byteLength(`${JSON.stringify(ev(1))}\n`);
    const f = createEventForwarder({
      sink: s.sink,
      buffer: await openEventBuffer({ dir, maxBytes: one * 3 + 10 }),
      ...manualClock(),
    });
    for (let i = 1; i <= 5; i++) await f.accept(ev(i));
    expect(f.stats()).toMatchObject({ accepted: 5, buffered: 3, dropped: 2 });
  });
});
