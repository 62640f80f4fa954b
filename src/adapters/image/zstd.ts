import { Decompress } from "fzstd";
import type { Budget } from "../../core/budget/index.js";
import { isPalisadeError, PalisadeError } from "../../core/errors/index.js";

/**
 * Largest zstd window accepted: 8 MiB (window log 23), what `zstd` uses up to level 19 and what RFC 8878
 * (section 3.1.1.1.2) recommends every decoder support. fzstd allocates the whole window up front and copies it
 * once per block, so a frame declaring a 2 GiB window (or a single-segment frame declaring 2 GiB of content)
 * costs 2 GiB of memory and a 2 GiB copy per block; larger windows (`--long`, levels 20-22) are refused.
 */
export const MAX_ZSTD_WINDOW = 8 * 1024 * 1024;
/** RFC 8878 3.1.1.2.4: Block_Maximum_Size is the smaller of Window_Size and 128 KiB. */
const MAX_BLOCK = 128 * 1024;

const corrupt = (why: string) => new PalisadeError("INPUT", `corrupt zstd stream: ${why}`);

/**
 * Splits a zstd stream (RFC 8878: frames of a header and blocks, skippable frames) at block ends without
 * decoding it, and checks what fzstd does not: the window size against {@link MAX_ZSTD_WINDOW} and each block's
 * size against Block_Maximum_Size. Feeding fzstd one block at a time bounds what one push can produce to one
 * block (at most 128 KiB), so decompression can honour back-pressure.
 */
export class ZstdFramer {
  private state: "magic" | "frame-header" | "block-header" | "block" | "checksum" | "skip" = "magic";
  /** Bytes of the header being read (magic, frame header, block header). */
  private head: number[] = [];
  private need = 4;
  /** Bytes left in the current block body, skippable frame or checksum. */
  private left = 0;
  private window = 0;
  private lastBlock = false;
  private checksum = false;
  /** Blocks whose end was passed. */
  private ended = 0;
  /** min(window, 128 KiB) of each ended block not yet decoded, oldest first (see {@link zstdDecompress}). */
  readonly floors: number[] = [];

  /** Window size of the current frame. */
  get windowSize(): number {
    return this.window;
  }

  /** Whether the stream may end here (between frames). */
  get atFrameBoundary(): boolean {
    return this.state === "magic" && this.head.length === 0;
  }

  /**
   * Cut `chunk` into pieces that each end at most one block; `blockEnded` says whether a piece ends one. Blocks
   * that end inside a header step (empty raw blocks) are cut there too: fzstd pays a window copy for each.
   */
  split(chunk: Uint8Array): { piece: Uint8Array; blockEnded: boolean }[] {
    const out: { piece: Uint8Array; blockEnded: boolean }[] = [];
    let start = 0;
    let i = 0;
    while (i < chunk.length) {
      const endedBefore = this.ended;
      if (this.state === "block" || this.state === "skip" || this.state === "checksum") {
        const n = Math.min(this.left, chunk.length - i);
        i += n;
        this.left -= n;
        if (this.left > 0) break;
        if (this.state === "block") {
          this.endBlock();
        } else this.expectMagic();
      } else {
        this.head.push(chunk[i] as number);
        i++;
        if (this.head.length >= this.need) this.onHeader();
      }
      if (this.ended > endedBefore) {
        out.push({ piece: chunk.subarray(start, i), blockEnded: true });
        start = i;
      }
    }
    if (start < chunk.length) out.push({ piece: chunk.subarray(start), blockEnded: false });
    return out;
  }

  private expectMagic(): void {
    this.state = "magic";
    this.head = [];
    this.need = 4;
  }

  private endBlock(): void {
    this.ended++;
    this.floors.push(Math.min(this.window, MAX_BLOCK));
    this.afterBlock();
  }

  private afterBlock(): void {
    this.head = [];
    if (!this.lastBlock) {
      this.state = "block-header";
      this.need = 3;
    } else if (this.checksum) {
      this.state = "checksum";
      this.left = 4;
    } else this.expectMagic();
  }

  private onHeader(): void {
    const h = this.head;
    switch (this.state) {
      case "magic": {
        if (h.length === 4) {
          const magic =
            ((h[0] as number) |
              ((h[1] as number) << 8) |
              ((h[2] as number) << 16) |
              ((h[3] as number) << 24)) >>>
            0;
          if (magic === 0xfd2fb528) {
            this.need = 5; // + frame header descriptor
            return;
          }
          if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
            this.need = 8; // + Frame_Size (skippable frame, RFC 8878 3.1.2)
            return;
          }
          throw corrupt("bad frame magic number");
        }
        if (h.length === 5) {
          const fhd = h[4] as number;
          if (fhd & 0x08) throw corrupt("reserved frame header bit set");
          const singleSegment = (fhd >> 5) & 1;
          const dictBytes = [0, 1, 2, 4][fhd & 3] as number;
          const fcf = fhd >> 6;
          const fcsBytes = fcf === 0 ? singleSegment : 1 << fcf;
          this.checksum = ((fhd >> 2) & 1) === 1;
          this.need = 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
          this.state = "frame-header";
          if (this.need === 5) this.onHeader();
          return;
        }
        // skippable frame: 4-byte little-endian size of user data to skip
        this.left =
          ((h[4] as number) | ((h[5] as number) << 8) | ((h[6] as number) << 16)) +
          (h[7] as number) * 2 ** 24;
        if (this.left > 0) {
          this.state = "skip";
          this.head = [];
        } else this.expectMagic();
        return;
      }
      case "frame-header": {
        const fhd = h[4] as number;
        const singleSegment = (fhd >> 5) & 1;
        const dictBytes = [0, 1, 2, 4][fhd & 3] as number;
        const fcf = fhd >> 6;
        const fcsBytes = fcf === 0 ? singleSegment : 1 << fcf;
        let window: number;
        if (singleSegment) {
          let fcs = 0;
          const at = 5 + dictBytes;
          for (let k = fcsBytes - 1; k >= 0; k--) fcs = fcs * 256 + (h[at + k] as number);
          if (fcsBytes === 2) fcs += 256;
          window = fcs;
        } else {
          const wd = h[5] as number;
          const base = 2 ** (10 + (wd >> 3));
          window = base + (base / 8) * (wd & 7);
        }
        if (window > MAX_ZSTD_WINDOW)
          throw new PalisadeError(
            "UNSUPPORTED",
            `zstd frame needs a ${window}-byte window; at most ${MAX_ZSTD_WINDOW} bytes are decoded (zstd --long and levels above 19 are not read)`,
          );
        this.window = window;
        this.state = "block-header";
        this.head = [];
        this.need = 3;
        return;
      }
      case "block-header": {
        const v = (h[0] as number) | ((h[1] as number) << 8) | ((h[2] as number) << 16);
        this.lastBlock = (v & 1) === 1;
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        const max = Math.min(this.window, MAX_BLOCK);
        if (type === 3) throw corrupt("reserved block type");
        if (size > max) throw corrupt(`block of ${size} bytes exceeds the ${max}-byte block maximum`);
        // RLE: one byte repeated `size` times; raw: `size` bytes; compressed: `size` bytes in, up to max out.
        this.left = type === 1 ? 1 : size;
        this.state = "block";
        this.head = [];
        if (this.left === 0) this.endBlock();
        return;
      }
      default:
        return;
    }
  }
}

/**
 * Decompress a zstd stream lazily (pulled, so a consumer's back-pressure reaches the decoder): at most one block
 * (128 KiB) is decoded ahead of the consumer. fzstd's cost per block is a copy of the whole window whatever the
 * block's size, so each block is charged to `budget` (dimension `bytes`) at least min(window, 128 KiB): a stream
 * of one-byte blocks costs as much budget as the full blocks it could have held. The real output is charged by
 * the caller; this charges only the difference.
 */
export async function* zstdDecompress(
  src: AsyncIterable<Buffer>,
  budget?: Budget,
): AsyncGenerator<Buffer, void, undefined> {
  const framer = new ZstdFramer();
  let pending: Buffer[] = [];
  // fzstd calls back once per decoded block, in order (it may hold a block's bytes until later input arrives).
  const z = new Decompress((chunk) => {
    const floor = framer.floors.shift();
    if (floor !== undefined && chunk.length < floor) budget?.charge("bytes", floor - chunk.length);
    if (chunk.length > 0) pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  const push = (data: Uint8Array, final: boolean) => {
    try {
      z.push(data, final);
    } catch (e) {
      if (isPalisadeError(e)) throw e;
      throw corrupt((e as Error).message);
    }
  };
  for await (const chunk of src) {
    for (const { piece } of framer.split(chunk)) {
      push(piece, false);
      if (pending.length > 0) {
        const out = pending;
        pending = [];
        yield* out;
      }
    }
  }
  if (!framer.atFrameBoundary) throw corrupt("truncated (stream ends inside a frame)");
  push(new Uint8Array(0), true);
  yield* pending;
}
