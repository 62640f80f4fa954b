import { describe, expect, it } from "vitest";
import { LoopWait } from "./loop-wait.js";

/** A clock and turns of the loop driven by the test: nothing here depends on how fast the machine runs. */
function harness() {
  let t = 1_000;
  const after: (() => void)[] = [];
  const wait = new LoopWait({ now: () => t, afterTurn: (fn) => after.push(fn) });
  return {
    wait,
    advance: (ms: number) => {
      t += ms;
    },
    endTurn: () => {
      for (const fn of after.splice(0)) fn();
    },
    pending: () => after.length,
  };
}

describe("LoopWait", () => {
  it("a review read at the start of a turn of an idle loop has not waited", () => {
    const h = harness();
    expect(h.wait.waitedMs()).toBe(0);
    expect(h.pending()).toBe(1);
  });

  it("reviews decided later in the same turn have waited for those decided before them; a new turn starts at 0", () => {
    const h = harness();
    expect(h.wait.waitedMs()).toBe(0);
    h.advance(0.8);
    expect(h.wait.waitedMs()).toBeCloseTo(0.8);
    h.advance(299.2);
    expect(h.wait.waitedMs()).toBeCloseTo(300);
    // One end-of-turn callback per turn, however many reviews it decided.
    expect(h.pending()).toBe(1);
    h.endTurn();
    h.advance(5);
    expect(h.wait.waitedMs()).toBe(0);
  });

  it("adds how late the lag probe fired: the loop was held before this turn began", () => {
    const h = harness();
    h.wait.probed(180);
    expect(h.wait.lagMs).toBe(180);
    expect(h.wait.waitedMs()).toBe(180);
    h.advance(100);
    expect(h.wait.waitedMs()).toBe(280);
    h.endTurn();
    // The probe on time again: no lag, and a probe that fired early counts as none.
    h.wait.probed(-3);
    expect(h.wait.lagMs).toBe(0);
    expect(h.wait.waitedMs()).toBe(0);
  });
});
