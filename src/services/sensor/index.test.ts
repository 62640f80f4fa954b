import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { manualClock, until } from "../../../test/support/manual-clock.js";
import { type DeltaSink, openDiskBuffer } from "../../adapters/fleet/index.js";
import { DEFAULT_BACKOFF, type ObjectDelta } from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { createSensorPipeline } from "./index.js";

const d = (uid: string, rv = 1): ObjectDelta => ({
  cluster: "prod",
  op: "upsert",
  key: { apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: uid },
  uid,
  resourceVersion: String(rv),
  object: {},
});

/** An in-process sink (test double: the real JetStream one runs in test/integration/sensor-nats.test.ts). */
function switchableSink() {
  const received: string[] = [];
  let up = true;
  const sink: DeltaSink = {
    async send(deltas) {
      if (!up) throw new PalisadeError("IO", "transport down");
      received.push(...deltas.map((x) => x.uid));
    },
    async close() {},
  };
  return { sink, received, set: (v: boolean) => (up = v) };
}

const dirs: string[] = [];
afterEach(() => {
  for (const x of dirs.splice(0)) rmSync(x, { recursive: true, force: true });
});
const bufferDir = () => {
  const x = mkdtempSync(join(tmpdir(), "palisade-pipeline-"));
  dirs.push(x);
  return x;
};

describe("sensor pipeline", () => {
  it("sends directly while the transport is up", async () => {
    const s = switchableSink();
    const clock = manualClock();
    const p = createSensorPipeline({
      sink: s.sink,
      buffer: await openDiskBuffer({ dir: bufferDir() }),
      ...clock,
    });
    const stop = new AbortController();
    const run = p.run(stop.signal);
    await p.submit([d("a"), d("b")]);
    await p.submit([d("c")]);
    await p.idle();
    expect(s.received).toEqual(["a", "b", "c"]);
    expect(p.stats()).toMatchObject({ sent: 3, buffered: 0, pending: 0, sendErrors: 0 });
    stop.abort();
    await run;
  });

  it("transport down: batches go to the disk buffer in order, retried with growing backoff; healed: all arrive once, in order", async () => {
    const s = switchableSink();
    const clock = manualClock();
    const buffer = await openDiskBuffer({ dir: bufferDir() });
    const p = createSensorPipeline({ sink: s.sink, buffer, ...clock, maxBatch: 2 });
    const stop = new AbortController();
    const run = p.run(stop.signal);
    s.set(false);
    await p.submit([d("a"), d("b"), d("c")]);
    await until(() => clock.waiting() === 1);
    await p.submit([d("d")]);
    await p.submit([d("e")]);
    await until(() => p.stats().buffered === 5);
    // Three more failed attempts, each waited for with a longer backoff.
    for (let i = 0; i < 3; i++) {
      clock.release();
      await until(() => clock.waiting() === 1);
    }
    expect(clock.requested).toEqual([1, 2, 3, 4].map((a) => (DEFAULT_BACKOFF.initialMs * 2 ** (a - 1)) / 2));
    expect(p.stats()).toMatchObject({ sent: 0, buffered: 5, sendErrors: 4, dropped: 0 });
    s.set(true);
    clock.release();
    await p.idle();
    expect(s.received).toEqual(["a", "b", "c", "d", "e"]);
    expect(p.stats()).toMatchObject({ sent: 5, buffered: 0, bufferedBatches: 0 });
    // Healed: new changes go direct again.
    await p.submit([d("f")]);
    await p.idle();
    expect(s.received.at(-1)).toBe("f");
    stop.abort();
    await run;
  });

  it("stopped while the transport is down: what waited in memory is in the buffer, sent by the next run", async () => {
    const s = switchableSink();
    const clock = manualClock();
    const dir = bufferDir();
    const p = createSensorPipeline({ sink: s.sink, buffer: await openDiskBuffer({ dir }), ...clock });
    const stop = new AbortController();
    const run = p.run(stop.signal);
    s.set(false);
    await p.submit([d("a")]);
    await until(() => clock.waiting() === 1);
    await p.submit([d("b")]);
    stop.abort();
    await run;
    s.set(true);
    const p2 = createSensorPipeline({ sink: s.sink, buffer: await openDiskBuffer({ dir }), ...clock });
    const stop2 = new AbortController();
    const run2 = p2.run(stop2.signal);
    await p2.idle();
    expect(s.received).toEqual(["a", "b"]);
    stop2.abort();
    await run2;
  });
});
