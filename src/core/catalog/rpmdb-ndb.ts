import type { Budget } from "../budget/index.js";
import { PalisadeError } from "../errors/index.js";
import type { RpmDbItem } from "./rpmdb-item.js";

/**
 * rpm's ndb package database (`Packages.db`; SUSE since SLE 15 SP3 / openSUSE 2020), per rpm
 * `lib/backend/ndb/rpmpkg.c`. Little-endian throughout, in 16-byte blocks:
 *
 * - a 32-byte file header: magic "RpmP", version 0, generation, `slotnpages`, next package index;
 * - `slotnpages` pages of 4096 bytes of 16-byte slots after the header: magic "Slot", package index, block
 *   offset, block count (a block offset of 0 is a free slot);
 * - blobs at `blkoff * 16`: a head (magic "BlbS", package index, timestamp, length), the header blob, zero pad,
 *   and a tail (adler32, length, magic "BlbE") ending the slot's last block.
 *
 * rpm checks the head, the length against the block count and the tail when it reads a blob, and verifies the
 * adler32 only when it verifies the database; so does this reader. A slot's blocks must lie after the slot pages
 * and inside the file; every blob's length is charged to the budget before it is read, so overlapping slots
 * cannot make the reader copy more than the budget allows.
 */
const PKGDB_MAGIC = 0x506d7052; // "RpmP"
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOBHEAD_MAGIC = 0x53626c42; // "BlbS"
const BLOBTAIL_MAGIC = 0x45626c42; // "BlbE"
const HEADER_SIZE = 32;
const SLOT_SIZE = 16;
const BLK_SIZE = 16;
const PAGE_SIZE = 4096;
const BLOBHEAD_SIZE = 16;
const BLOBTAIL_SIZE = 12;

/** Whether `data` starts with the ndb package database magic. */
export function isNdb(data: Uint8Array): boolean {
  return data.length >= 4 && new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) === PKGDB_MAGIC;
}

const bad = (why: string) => new PalisadeError("INPUT", `ndb: ${why}`);

/**
 * Yield the header blobs of an ndb `Packages.db` in slot order, and what could not be read as problem items.
 * Throws PalisadeError when the file header or a slot page is not ndb's (rpm refuses the whole file then), and
 * BudgetExceeded when rows or header bytes run out (the caller keeps what was yielded).
 */
export function* readNdbPackages(
  data: Uint8Array,
  budget: Budget,
  maxRowBytes: number,
): Generator<RpmDbItem> {
  if (data.length < HEADER_SIZE) throw bad(`file is ${data.length} bytes, shorter than its header`);
  if (!isNdb(data)) throw bad("no RpmP magic");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u32 = (o: number) => view.getUint32(o, true);
  const version = u32(4);
  if (version !== 0) throw new PalisadeError("UNSUPPORTED", `ndb version ${version} (0 is read)`);
  const slotPages = u32(12);
  if (slotPages === 0) throw bad("no slot pages");
  if (slotPages * PAGE_SIZE > data.length)
    throw bad(
      `${slotPages} slot pages need ${slotPages * PAGE_SIZE} bytes, the file has ${data.length} (truncated)`,
    );
  if (data.length % BLK_SIZE !== 0)
    yield {
      reason: "parse-error",
      problem: `file size ${data.length} is not a multiple of ${BLK_SIZE} (truncated?)`,
    };
  const fileBlocks = Math.floor(data.length / BLK_SIZE);
  const minBlock = (slotPages * PAGE_SIZE) / BLK_SIZE;
  const indexes = new Set<number>();
  for (
    let at = HEADER_SIZE, slot = HEADER_SIZE / SLOT_SIZE;
    at < slotPages * PAGE_SIZE;
    at += SLOT_SIZE, slot++
  ) {
    if (u32(at) !== SLOT_MAGIC) throw bad(`slot ${slot} has no Slot magic (corrupt slot page)`);
    const blkoff = u32(at + 8);
    if (blkoff === 0) continue;
    const pkgidx = u32(at + 4);
    const blkcnt = u32(at + 12);
    if (pkgidx === 0 || blkcnt === 0 || blkoff < minBlock) {
      yield {
        reason: "parse-error",
        problem: `slot ${slot}: package ${pkgidx} at block ${blkoff} (+${blkcnt}) is not a valid entry`,
      };
      continue;
    }
    if (blkoff + blkcnt > fileBlocks) {
      yield {
        reason: "parse-error",
        problem: `slot ${slot}: package ${pkgidx} ends at block ${blkoff + blkcnt}, past the end of the file (${fileBlocks} blocks; truncated)`,
      };
      continue;
    }
    if (indexes.has(pkgidx)) {
      yield { reason: "parse-error", problem: `slot ${slot}: package ${pkgidx} has a second slot; skipped` };
      continue;
    }
    indexes.add(pkgidx);
    if (!budget.fits("rows")) {
      yield {
        reason: "limit",
        problem: `row budget reached after ${budget.usedOf("rows")} rows; the rest was not read`,
      };
      return;
    }
    budget.charge("rows");
    const off = blkoff * BLK_SIZE;
    const end = (blkoff + blkcnt) * BLK_SIZE;
    if (
      blkcnt * BLK_SIZE < BLOBHEAD_SIZE + BLOBTAIL_SIZE ||
      u32(off) !== BLOBHEAD_MAGIC ||
      u32(off + 4) !== pkgidx
    ) {
      yield { reason: "parse-error", problem: `package ${pkgidx}: no blob head for it at block ${blkoff}` };
      continue;
    }
    const length = u32(off + 12);
    if (length > maxRowBytes) {
      yield {
        reason: "limit",
        problem: `package ${pkgidx} claims ${length} bytes, over ${maxRowBytes}; skipped`,
      };
      continue;
    }
    if (blkcnt !== Math.ceil((BLOBHEAD_SIZE + length + BLOBTAIL_SIZE) / BLK_SIZE)) {
      yield {
        reason: "parse-error",
        problem: `package ${pkgidx}: blob of ${length} bytes does not fill its ${blkcnt} blocks`,
      };
      continue;
    }
    if (u32(end - 8) !== length || u32(end - 4) !== BLOBTAIL_MAGIC) {
      yield { reason: "parse-error", problem: `package ${pkgidx}: blob tail missing or its length differs` };
      continue;
    }
    budget.charge("header bytes", length);
    yield data.subarray(off + BLOBHEAD_SIZE, off + BLOBHEAD_SIZE + length);
  }
}
