/**
 * The one seeded PRNG of generated test and benchmark data (mulberry32): same seed, same stream, so every run
 * measures and checks the same clusters, databases and version strings.
 */

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1); enough for test data, not for anything secret. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An element of `xs` drawn from `rand` (`xs` not empty). */
export function pickWith(rand: () => number): <T>(xs: readonly T[]) => T {
  return <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
}
