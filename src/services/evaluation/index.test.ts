import { describe, expect, it } from "vitest";
import { until } from "../../../test/support/manual-clock.js";
import { type EvaluationOutcome, EvaluationScheduler } from "./index.js";

/** A clock and timers the test moves by hand: `advance(ms)` fires what falls due, in order. */
function manualTimers() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer(fn: () => void, ms: number) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return () => {
        timers.delete(id);
      };
    },
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at || a[0] - b[0]))
        if (t.at <= now) {
          timers.delete(id);
          t.fn();
        }
    },
    pending: () => timers.size,
  };
}

/** Evaluations the test finishes by hand, recorded with the clock's time at their start. */
function harness(intervalMs: number, settleMs = 0) {
  const t = manualTimers();
  const started: { cluster: string; at: number; finish: (ran: boolean | Error) => void }[] = [];
  const outcomes: EvaluationOutcome[] = [];
  const s = new EvaluationScheduler({
    intervalMs,
    settleMs,
    now: t.now,
    setTimer: (fn, ms) => t.setTimer(fn, ms),
    retryMs: 5_000,
    evaluate: (cluster) =>
      new Promise<boolean>((resolve, reject) => {
        started.push({
          cluster,
          at: t.now(),
          finish: (r) => (r instanceof Error ? reject(r) : resolve(r)),
        });
      }),
    onOutcome: (o) => outcomes.push(o),
  });
  const running = () => started.length - outcomes.length;
  /** Finish the evaluation running now and let the scheduler take the next step. */
  const finish = async (r: boolean | Error = true) => {
    const n = outcomes.length;
    started[started.length - 1]?.finish(r);
    await until(() => outcomes.length > n);
  };
  return { t, s, started, outcomes, running, finish };
}

describe("EvaluationScheduler", () => {
  it("evaluates a changed cluster at once, then coalesces changes until the interval after its start", async () => {
    const h = harness(30_000);
    h.s.changed(["east"]);
    h.t.advance(0);
    await until(() => h.started.length === 1);
    // Changes while it runs (and after) mark east once; nothing starts before the interval.
    h.s.changed(["east"]);
    await h.finish();
    h.s.changed(["east", "east"]);
    h.t.advance(29_999);
    expect(h.started.length).toBe(1);
    h.t.advance(1);
    await until(() => h.started.length === 2);
    expect(h.started.map((x) => [x.cluster, x.at])).toEqual([
      ["east", 0],
      ["east", 30_000],
    ]);
    await h.finish();
    await h.s.settled();
    expect(h.s.pending()).toBe(0);
  });

  it("only the changed clusters, one evaluation at a time, in the order they fell due", async () => {
    const h = harness(0);
    h.s.changed(["west", "east"]);
    h.t.advance(0);
    await until(() => h.started.length === 1);
    expect(h.running()).toBe(1);
    await h.finish();
    await until(() => h.started.length === 2);
    await h.finish();
    await h.s.settled();
    expect(h.started.map((x) => x.cluster)).toEqual(["west", "east"]);
    expect(h.outcomes.map((o) => o.result)).toEqual(["evaluated", "evaluated"]);
  });

  it("waits the settle time after the first change of a burst", async () => {
    const h = harness(30_000, 2_000);
    h.s.changed(["east"]);
    h.t.advance(1_000);
    h.s.changed(["east"]);
    h.t.advance(999);
    expect(h.started.length).toBe(0);
    h.t.advance(1);
    await until(() => h.started.length === 1);
    expect(h.started[0]?.at).toBe(2_000);
  });

  it("tries a busy or failed cluster again after the retry time", async () => {
    const h = harness(0);
    h.s.changed(["east"]);
    h.t.advance(0);
    await until(() => h.started.length === 1);
    await h.finish(false);
    h.t.advance(4_999);
    expect(h.started.length).toBe(1);
    h.t.advance(1);
    await until(() => h.started.length === 2);
    await h.finish(new Error("database gone"));
    expect(h.outcomes.map((o) => o.result)).toEqual(["busy", "failed"]);
    expect(h.s.pending()).toBe(1);
    h.t.advance(5_000);
    await until(() => h.started.length === 3);
    await h.finish();
    await h.s.settled();
  });

  it("a posted snapshot runs in turn with the cluster's evaluation and starts its interval", async () => {
    const h = harness(30_000);
    h.s.changed(["east"]);
    h.t.advance(0);
    await until(() => h.started.length === 1);
    const order: string[] = [];
    const snapshot = h.s.exclusive("east", async () => {
      order.push("snapshot");
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    await h.finish();
    await snapshot;
    expect(order).toEqual(["snapshot"]);
  });

  it("paused, marks but starts nothing; close waits for the evaluation in hand", async () => {
    const h = harness(0);
    h.s.pause();
    h.s.changed(["east"]);
    h.t.advance(0);
    await new Promise((r) => setImmediate(r));
    expect(h.started.length).toBe(0);
    h.s.resume();
    await until(() => h.started.length === 1);
    let closed = false;
    const closing = h.s.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    h.started[0]?.finish(true);
    await closing;
    h.s.changed(["west"]);
    h.t.advance(0);
    expect(h.started.length).toBe(1);
  });
});
