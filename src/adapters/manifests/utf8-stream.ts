/**
 * UTF-8 bytes arriving in chunks, decoded to text exactly as `new TextDecoder("utf-8", { fatal: true })` decodes
 * them with `{ stream: true }`, at about half its CPU: Node 20's decoder goes through ICU and UTF-16 for every
 * byte, where `buffer.isUtf8` validates with SIMD and a chunk of ASCII (nearly every chunk of a snapshot) becomes a
 * string by a copy. Exactly means: the same text per chunk, the same chunk refused, and the decoder's one
 * byte-order mark dropped when it is the first character produced.
 */
import { Buffer, isAscii, isUtf8 } from "node:buffer";

export class Utf8Stream {
  /** The start of a sequence the last chunk ended in (1-3 bytes), completed by the next chunk. */
  private held: Buffer | undefined;
  private started = false;

  /** The text of `chunk` (after what the last one left open); undefined when the bytes are not UTF-8. */
  decode(chunk: Uint8Array): string | undefined {
    let b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.held !== undefined) {
      b = Buffer.concat([this.held, b]);
      this.held = undefined;
    }
    const end = completeEnd(b);
    const whole = end === b.length ? b : b.subarray(0, end);
    if (!isUtf8(whole)) return undefined;
    if (end < b.length) this.held = Buffer.from(b.subarray(end));
    let s = isAscii(whole) ? whole.toString("latin1") : whole.toString("utf8");
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    return s;
  }
}

/**
 * Where the sequence `b` ends in starts, if it is the valid start of a longer one (so the next chunk may complete
 * it); else `b.length`, and any fault is left to the validation of the whole. Valid starts are those of Unicode
 * Table 3-7 (well-formed UTF-8), as the decoder judges them: E0 needs A0-BF next, ED 80-9F, F0 90-BF, F4 80-8F.
 */
function completeEnd(b: Buffer): number {
  const n = b.length;
  let j = n - 1;
  let cont = 0;
  while (j >= 0 && cont < 3 && ((b[j] as number) & 0xc0) === 0x80) {
    j--;
    cont++;
  }
  if (j < 0) return n;
  const lead = b[j] as number;
  const need =
    lead >= 0xc2 && lead <= 0xdf
      ? 2
      : lead >= 0xe0 && lead <= 0xef
        ? 3
        : lead >= 0xf0 && lead <= 0xf4
          ? 4
          : 0;
  if (need === 0 || cont + 1 >= need) return n;
  if (cont >= 1) {
    const second = b[j + 1] as number;
    const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < lo || second > hi) return n;
  }
  return j;
}
