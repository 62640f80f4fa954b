import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsDeltaSink, openDiskBuffer } from "../../src/adapters/fleet/index.js";
import { SYSTEM_CLOCK } from "../../src/apps/cli/sensor-run.js";
import {
  applyDeltas,
  deltaMessageId,
  liveObjects,
  type ObjectDelta,
  type ObjectStateRow,
  parseDelta,
} from "../../src/core/deltas/index.js";
import { createSensorPipeline } from "../../src/services/sensor/index.js";

/**
 * Issue 17 (sensor): the sensor's pipeline against a real nats-server of its own (a free port, its own store
 * directory), stopped while deltas keep coming and started again: everything arrives, each change stored once in
 * the stream, and the state applied from the stream equals the state of the changes themselves.
 */

const STREAM = `PALISADE_SENSOR_TEST_${process.pid}`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A nats-server with JetStream on `port`, storing in `dir`; resolves once it answers JetStream requests. */
async function startNats(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], {
    stdio: "ignore",
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.exitCode !== null) throw new Error(`nats-server exited with ${p.exitCode}`);
    try {
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 1_000 });
      await (await jetstreamManager(nc)).getAccountInfo();
      await nc.close();
      return p;
    } catch {
      if (Date.now() > deadline) throw new Error("nats-server did not start within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function stopNats(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
}

/** Every message of the stream, in stream order, with its message id. */
async function streamMessages(url: string): Promise<{ id: string; delta: ObjectDelta }[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(STREAM);
    const out: { id: string; delta: ObjectDelta }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(STREAM, { seq });
      if (!m) continue;
      out.push({ id: m.header.get("Nats-Msg-Id"), delta: parseDelta(JSON.parse(m.string())) });
    }
    return out;
  } finally {
    await nc.close();
  }
}

const change = (uid: string, rv: number, op: "upsert" | "delete" = "upsert"): ObjectDelta => ({
  cluster: "sensor-test",
  op,
  key: { apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: uid },
  uid,
  resourceVersion: String(rv),
  ...(op === "upsert" ? { object: { apiVersion: "v1", kind: "ConfigMap", data: { rv: String(rv) } } } : {}),
});

const state = (deltas: readonly ObjectDelta[]): ObjectStateRow[] => {
  const rows = new Map<string, ObjectStateRow>();
  applyDeltas(rows, deltas);
  return liveObjects(rows.values(), "sensor-test");
};

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("sensor pipeline -> real JetStream, through an outage", () => {
  let dir: string;
  let port: number;
  let url: string;
  let nats: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-sensor-nats-"));
    port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    nats = await startNats(port, join(dir, "js"));
  });

  afterAll(async () => {
    if (nats) await stopNats(nats);
    rmSync(dir, { recursive: true, force: true });
  });

  it("transport down -> disk buffer -> healed: every change arrives, each stored once, state equal to the changes'", async () => {
    const sink = natsDeltaSink({ servers: url, stream: { name: STREAM, storage: "file" }, timeoutMs: 2_000 });
    const buffer = await openDiskBuffer({ dir: join(dir, "buffer") });
    const pipeline = createSensorPipeline({ sink, buffer, ...SYSTEM_CLOCK, maxBatch: 25 });
    const stop = new AbortController();
    const run = pipeline.run(stop.signal);
    const all: ObjectDelta[] = [];
    const submit = async (ds: ObjectDelta[]) => {
      all.push(...ds);
      await pipeline.submit(ds);
    };
    try {
      // Up: 40 objects created, half of them changed.
      await submit(Array.from({ length: 40 }, (_, i) => change(`obj-${i}`, 100 + i)));
      await submit(Array.from({ length: 20 }, (_, i) => change(`obj-${i}`, 200 + i)));
      await pipeline.idle();
      expect(pipeline.stats()).toMatchObject({ sent: 60, buffered: 0 });

      // Down: changes keep coming; they wait in the disk buffer.
      await stopNats(nats);
      for (let i = 0; i < 5; i++)
        await submit([
          change(`obj-${i}`, 300 + i),
          change(`obj-${20 + i}`, 300 + i, "delete"),
          change(`new-${i}`, 300 + i),
        ]);
      await until("the buffer holds every change made while down", () => pipeline.stats().buffered === 15);
      expect(pipeline.stats().sendErrors).toBeGreaterThan(0);
      for (let i = 5; i < 10; i++) await submit([change(`new-${i}`, 400 + i)]);
      await until("the later changes are buffered behind them", () => pipeline.stats().buffered === 20);

      // Healed: the same server (same port, same store) comes back.
      nats = await startNats(port, join(dir, "js"));
      await pipeline.idle();
      expect(pipeline.stats()).toMatchObject({ sent: 80, buffered: 0, dropped: 0 });

      const stored = await streamMessages(url);
      const ids = stored.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(all.map(deltaMessageId).sort());
      expect(state(stored.map((m) => m.delta))).toEqual(state(all));
      expect(state(all)).toHaveLength(40 - 5 + 10);
    } finally {
      stop.abort();
      await run;
      await sink.close();
    }
  }, 240_000);
});
