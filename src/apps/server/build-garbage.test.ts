import { describe, expect, it } from "vitest";
import { BUILD_GARBAGE_BYTES, collectingAfter, type HeapControl, V8_HEAP } from "./build-garbage.js";

/** A heap whose use the test sets, counting the collections asked for. */
function fakeHeap(): HeapControl & { used: number; collections: number } {
  const h = {
    used: 100,
    collections: 0,
    heapUsed: () => h.used,
    collect: () => {
      h.collections++;
      h.used = 100;
    },
  };
  return h;
}

describe("collectingAfter", () => {
  it("collects once after a build that grew the heap by the threshold or more, never after a smaller one", async () => {
    const heap = fakeHeap();
    const growing = (bytes: number, value: string) => async () => {
      heap.used += bytes;
      return value;
    };
    expect(await collectingAfter(growing(BUILD_GARBAGE_BYTES - 1, "small"), heap)).toBe("small");
    expect(heap.collections).toBe(0);
    heap.used = 100;
    expect(await collectingAfter(growing(BUILD_GARBAGE_BYTES, "large"), heap)).toBe("large");
    expect([heap.collections, heap.used]).toEqual([1, 100]);
  });

  it("does not collect after a failed build, and passes its error on", async () => {
    const heap = fakeHeap();
    await expect(
      collectingAfter(async () => {
        heap.used += 2 * BUILD_GARBAGE_BYTES;
        throw new Error("store unreachable");
      }, heap),
    ).rejects.toThrow("store unreachable");
    expect(heap.collections).toBe(0);
  });

  it("on the real heap: a build that leaves 200 MB of dead objects gives them back before its result is used", async () => {
    const before = V8_HEAP.heapUsed();
    const total = await collectingAfter(async () => {
      // Objects that live through the build (so V8 promotes them, as the inventory of a fleet view build is)
      // and are dead at its end; their sum is the result.
      let parts: { i: number; s: string }[] | undefined = [];
      for (let i = 0; i < 2_000_000; i++) parts.push({ i, s: `object ${i}` });
      const sum = parts.reduce((n, p) => n + p.i, 0);
      parts = undefined;
      return sum;
    });
    expect(total).toBe((2_000_000 * 1_999_999) / 2);
    expect(V8_HEAP.heapUsed() - before).toBeLessThan(BUILD_GARBAGE_BYTES);
    // The collector was taken from a context of its own: this process's global scope still has no gc.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
