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
  return hex8(ahi) + hex8(alo) + hex8(bhi) + hex8(blo);
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** An unsigned 32-bit integer as 8 lowercase hex digits. */
function hex8(x: number): string {
  return (
    (HEX[x >>> 24] as string) +
    (HEX[(x >>> 16) & 255] as string) +
    (HEX[(x >>> 8) & 255] as string) +
    (HEX[x & 255] as string)
  );
}
