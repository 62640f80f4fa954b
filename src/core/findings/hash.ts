/**
 * Pure, dependency-free 64-bit FNV-1a over UTF-16 code units, run twice with different offsets to give
 * 128 bits. Used for stable finding ids: not a security primitive, only a deterministic fingerprint.
 *
 * A scan of 100k objects hashes ~170k finding keys, so both lanes run in one pass over the string with plain
 * number arithmetic (no BigInt, no per-call setup) and hex digits come from a table. The output is
 * bit-for-bit the one of the original two-pass implementation (hash.test.ts keeps it as the reference),
 * including its quirk: the carry is computed from the xor-ed low word read as a signed 32-bit integer.
 */
export function stableHash(input: string): string {
  // Lane a: offset 0xcbf29ce484222325; lane b: offset 0x84222325cbf29ce4. Each 64-bit state is (hi, lo).
  let ahi = 0xcbf29ce4;
  let alo = 0x84222325;
  let bhi = 0x84222325;
  let blo = 0xcbf29ce4;
  for (let i = 0, n = input.length; i < n; i++) {
    const c = input.charCodeAt(i);
    alo ^= c;
    blo ^= c;
    // (hi, lo) * PRIME where PRIME = 2^40 + 0x1b3: lo * 0x1b3 < 2^41 and hi * 0x1b3 + carry + (lo << 8) < 2^42,
    // so every intermediate is an exact double. (m - (m >>> 0)) / 2^32 is floor(m / 2^32), exactly.
    const am = alo * 0x1b3;
    const bm = blo * 0x1b3;
    const alo2 = am >>> 0;
    const blo2 = bm >>> 0;
    ahi = (ahi * 0x1b3 + (am - alo2) / 0x100000000 + ((alo << 8) >>> 0)) >>> 0;
    bhi = (bhi * 0x1b3 + (bm - blo2) / 0x100000000 + ((blo << 8) >>> 0)) >>> 0;
    alo = alo2;
    blo = blo2;
  }
  return hexDigits(ahi, alo, bhi, blo);
}

/** Character codes of the lowercase hex digits. */
const HEX: readonly number[] = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** Hex digit `k` (0 = most significant) of the unsigned 32-bit integer `x`, as a character code. */
const d = (x: number, k: number): number => HEX[(x >>> (28 - 4 * k)) & 15] as number;

/**
 * Four unsigned 32-bit integers as 32 lowercase hex digits, in one flat string. Joined with `+`, V8 would keep a
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
