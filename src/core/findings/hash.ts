/**
 * Pure, dependency-free 64-bit FNV-1a over UTF-16 code units, run twice with different offsets to give
 * 128 bits. Used for stable finding ids: not a security primitive, only a deterministic fingerprint.
 */
export function stableHash(input: string): string {
  return fnv1a64(input, 0xcbf29ce484222325n) + fnv1a64(input, 0x84222325cbf29ce4n);
}

function fnv1a64(input: string, offset: bigint): string {
  // 64-bit state as two 32-bit halves; multiply by the FNV prime 2^40 + 0x1b3 modulo 2^64.
  let hi = Number(offset >> 32n) >>> 0;
  let lo = Number(offset & 0xffffffffn) >>> 0;
  for (let i = 0; i < input.length; i++) {
    lo ^= input.charCodeAt(i);
    // (hi,lo) * PRIME where PRIME = 2^40 + 0x1b3
    const loMul = lo * 0x1b3;
    const newLo = loMul >>> 0;
    const carry = Math.floor(loMul / 0x100000000);
    const newHi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    hi = newHi;
    lo = newLo;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}
