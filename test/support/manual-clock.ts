import { expect } from "vitest";

/** Timers the test releases by hand: no wall-clock sleeping (services take `sleep` and `random` as arguments). */
export function manualClock() {
  const waiting: { ms: number; resolve: () => void }[] = [];
  const requested: number[] = [];
  return {
    sleep: (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        requested.push(ms);
        waiting.push({ ms, resolve });
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
    random: () => 0,
    requested,
    release: () => {
      for (const w of waiting.splice(0)) w.resolve();
    },
    waiting: () => waiting.length,
  };
}

/** Yield to the event loop until `cond` holds (real file IO completes meanwhile); fails the test if it never does. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}
