import { describe, expect, it } from "vitest";
import { mapBounded } from "./index.js";

describe("mapBounded", () => {
  it("keeps at most `limit` calls in flight and returns results in item order", async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    // Later items finish first (fewer microtask turns), so completion order differs from item order.
    const out = await mapBounded(items, 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      for (let k = 0; k < 40 - n * 2; k++) await Promise.resolve();
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual(items.map((n) => n * 10));
    expect(peak).toBe(3);
  });

  it("an empty list and a limit above the item count", async () => {
    expect(await mapBounded([], 4, async () => 1)).toEqual([]);
    expect(await mapBounded(["a", "b"], 16, async (s, i) => `${s}${i}`)).toEqual(["a0", "b1"]);
  });
});
