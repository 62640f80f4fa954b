/**
 * Pure, dependency-free 64-bit FNV-1a over UTF-16 code units, run twice with different offsets to give
 * 128 bits. Used for stable finding ids: not a security primitive, only a deterministic fingerprint.
 *
 * A scan of 100k objects hashes ~170k finding keys, so both lanes run in one pass over the string with plain
 * integer arithmetic (no BigInt, no per-call setup) and hex digits come from a table. Each 64-bit state is two
 * signed 32-bit words: the low word's product is `Math.imul`, and the carry out of it is computed from 16-bit
 * halves, so the intermediate values are small integers but for the high word's sum (out of that range for about
 * one character in four). V8's interpreter, which runs a short scan's code, boxes each number outside that range in
 * a new heap object: the earlier form (unsigned words, 41-bit products in doubles) allocated about 600 KB per
 * one-file scan, most of its young-generation garbage, and was hot enough to be optimised on every run; this one
 * about 9 bytes a character, and optimised it is also about twice as fast (docs/benchmarks.md, Start-up).
 *
 * The output is bit-for-bit the one of the original two-pass implementation (hash.test.ts keeps it as the
 * reference), including its quirk: the carry is computed from the xor-ed low word read as a signed 32-bit
 * integer, that is 0x1b3 less whenever the word's top bit is set.
 */
export function stableHash(input: string): string {
  // Lane a: offset 0xcbf29ce484222325; lane b: offset 0x84222325cbf29ce4. Each 64-bit state is (hi, lo).
  let ahi = 0xcbf29ce4 | 0;
  let alo = 0x84222325 | 0;
  let bhi = 0x84222325 | 0;
  let blo = 0xcbf29ce4 | 0;
  for (let i = 0, n = input.length; i < n; i++) {
    const c = input.charCodeAt(i);
    alo ^= c;
    blo ^= c;
    // (hi, lo) * PRIME where PRIME = 2^40 + 0x1b3: lo * 0x1b3 is floor-divided by 2^32 through its 16-bit halves
    // (every step below 2^26), minus the quirk's 0x1b3; hi * 0x1b3 and the low word are taken mod 2^32 by imul.
    const ca = (((alo >>> 16) * 0x1b3 + (((alo & 0xffff) * 0x1b3) >>> 16)) >>> 16) - ((alo >> 31) & 0x1b3);
    const cb = (((blo >>> 16) * 0x1b3 + (((blo & 0xffff) * 0x1b3) >>> 16)) >>> 16) - ((blo >> 31) & 0x1b3);
    ahi = (Math.imul(ahi, 0x1b3) + ((alo << 8) + ca)) | 0;
    bhi = (Math.imul(bhi, 0x1b3) + ((blo << 8) + cb)) | 0;
    alo = Math.imul(alo, 0x1b3);
    blo = Math.imul(blo, 0x1b3);
  }
  return hexDigits(ahi, alo, bhi, blo);
}

/** Character codes of the lowercase hex digits. */
const HEX: readonly number[] = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** Hex digit `k` (0 = most significant) of the 32-bit integer `x` (read unsigned), as a character code. */
const d = (x: number, k: number): number => HEX[(x >>> (28 - 4 * k)) & 15] as number;

/**
 * Four 32-bit integers (read unsigned) as 32 lowercase hex digits, in one flat string. Joined with `+`, V8 would keep a
 * tree of four 8-character strings and three links (about 190 bytes against 48; a scan keeps one id per finding,
 * 200k of them at 100k objects) and flatten it again wherever the id is hashed as a Map key or serialised.
 */
function hexDigits(a: number, b: number, c: number, e: number): string {
  // biome-ignore format: one row per 32-bit word
  return String.fromCharCode(
    d(a, 0), d(a, 1), d(a, 2), d(a, 3), d(a, 4), d(a, 5), d(a, 6), d(a, 7),
    d(b, 0), d(b, 1), d(b, 2), d(b, 3), d(b, 4), d(b, 5), d(b, 6), d(b, 7),
    d(c, 0), d(c, 1), d(c, 2), d(c, 3), d(c, 4), d(c, 5), d(c, 6), d(c, 7),
    d(e, 0), d(e, 1), d(e, 2), d(e, 3), d(e, 4), d(e, 5), d(e, 6), d(e, 7),
  );
}
