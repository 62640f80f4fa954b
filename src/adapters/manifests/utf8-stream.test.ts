import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Utf8Stream } from "./utf8-stream.js";

/** Per chunk, the text or "refused", up to the first refusal: what a reader of the stream sees. */
function reference(chunks: Uint8Array[]): (string | "refused")[] {
  const d = new TextDecoder("utf-8", { fatal: true });
  const out: (string | "refused")[] = [];
  for (const c of chunks) {
    try {
      out.push(d.decode(c, { stream: true }));
    } catch {
      out.push("refused");
      break;
    }
  }
  return out;
}

function decoded(chunks: Uint8Array[]): (string | "refused")[] {
  const u = new Utf8Stream();
  const out: (string | "refused")[] = [];
  for (const c of chunks) {
    const s = u.decode(c);
    out.push(s ?? "refused");
    if (s === undefined) break;
  }
  return out;
}

/** Byte pieces: characters of every length, byte-order marks, and the faults a decoder must catch. */
const piece = fc.oneof(
  fc.constantFrom(
    [0x41],
    [0x7b],
    [0x0a],
    [0xef, 0xbb, 0xbf],
    [0xc3, 0xa9],
    [0xe2, 0x82, 0xac],
    [0xf0, 0x9f, 0x98, 0x80],
  ),
  fc.constantFrom(
    [0xed, 0x9f, 0xbf],
    [0xee, 0x80, 0x80],
    [0xf4, 0x8f, 0xbf, 0xbf],
    [0xe0, 0xa0, 0x80],
    [0xf0, 0x90, 0x80, 0x80],
  ),
  // Faults: lone continuation, overlong and invalid leads, surrogates, above U+10FFFF, truncated sequences.
  fc.constantFrom(
    [0x80],
    [0xbf],
    [0xc0, 0x80],
    [0xc1],
    [0xe0, 0x80, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
  ),
  fc.constantFrom([0xf5], [0xff], [0xe2, 0x82], [0xf0, 0x9f], [0xc3], [0xf0, 0x9f, 0x98]),
  fc.string({ unit: "grapheme", maxLength: 4 }).map((s) => [...Buffer.from(s)]),
);

function split(bytes: number[], cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(Uint8Array.from(bytes.slice(from, c)));
    from = c;
  }
  return out;
}

describe("Utf8Stream (differential against TextDecoder fatal, streaming)", () => {
  it("gives the same text per chunk and refuses the same chunk, for any bytes cut anywhere", () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (pieces, cuts) => {
          const chunks = split(pieces.flat(), cuts);
          expect(decoded(chunks)).toEqual(reference(chunks));
        },
      ),
      { numRuns: 3000 },
    );
  });

  describe("pathological cases", () => {
    it("drops one byte-order mark, the first character produced, even cut or after an empty chunk", () => {
      const bom = [0xef, 0xbb, 0xbf];
      for (const chunks of [
        [[...bom, 0x7b]],
        [
          [0xef, 0xbb],
          [0xbf, 0x7b],
        ],
        [[], [0xef], [0xbb], [0xbf, 0x7b]],
        [[...bom, ...bom, 0x7b]],
        [bom, [...bom, 0x41]],
        [[0x41], bom],
      ]) {
        const c = chunks.map((x) => Uint8Array.from(x));
        expect(decoded(c)).toEqual(reference(c));
      }
    });

    it("refuses a sequence that cannot be completed in the chunk it starts in, and holds one that can", () => {
      for (const bytes of [
        [0xe0, 0x80],
        [0xed, 0xa0],
        [0xf4, 0x90],
        [0xc0],
        [0x80],
        [0xf0, 0x90, 0x80],
        [0xc2],
      ]) {
        const c = [Uint8Array.from(bytes), Uint8Array.from([0x41])];
        expect(decoded(c)).toEqual(reference(c));
      }
    });
  });
});
