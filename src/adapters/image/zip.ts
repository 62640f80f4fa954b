import { inflateRawSync } from "node:zlib";
import type { Budget } from "../../core/budget/index.js";
import { PalisadeError } from "../../core/errors/index.js";

/** A member of a zip archive located through the central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

/**
 * Read a zip's central directory (PKWARE APPNOTE.TXT 4.3.12-4.3.16). Bounded: at most `maxEntries` entries, and
 * each entry is charged to `budget` (dimension `zip entries`) when one is given: nested archives charge the
 * outer archive's budget, so entries cannot be multiplied by nesting.
 * ZIP64 archives (over 65,535 entries or 4 GiB) are refused with UNSUPPORTED: jars of that size are out of
 * scope for a package scan.
 */
export function readZipDirectory(buf: Buffer, maxEntries = 100_000, budget?: Budget): ZipEntry[] {
  // The end-of-central-directory record is in the last 22 + 65,535 (max comment) bytes.
  const min = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new PalisadeError("INPUT", "not a zip archive (no end of central directory)");
  const total = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOff = buf.readUInt32LE(eocd + 16);
  if (total === 0xffff || cdOff === 0xffffffff)
    throw new PalisadeError("UNSUPPORTED", "ZIP64 archives are not read");
  if (total > maxEntries)
    throw new PalisadeError("LIMIT", `zip has ${total} entries, more than ${maxEntries}`);
  if (cdOff + cdSize > buf.length)
    throw new PalisadeError("INPUT", "zip central directory outside the file (truncated?)");
  budget?.charge("zip entries", total);
  const entries: ZipEntry[] = [];
  let p = cdOff;
  for (let i = 0; i < total; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CEN_SIG)
      throw new PalisadeError("INPUT", `zip central directory entry ${i} is corrupt`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    entries.push({
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localHeaderOffset: buf.readUInt32LE(p + 42),
      name: buf.toString("utf8", p + 46, p + 46 + nameLen),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Extract one entry (stored or deflated), refusing more than `maxBytes` of output (zip bombs). With a `budget`,
 * the output is charged to it (dimension `inflated bytes`) and inflation stops at what the budget has left: a
 * central directory of thousands of entries pointing at one deflated member (each entry under the per-entry
 * cap, the sum gigabytes) stops at the archive's budget instead of inflating the member thousands of times.
 */
export function readZipEntry(buf: Buffer, e: ZipEntry, maxBytes: number, budget?: Budget): Buffer {
  if (e.size > maxBytes) throw new PalisadeError("LIMIT", `${e.name}: ${e.size} bytes exceeds ${maxBytes}`);
  // The declared size is checked first (cheap refusal); the real output is what is charged.
  if (budget && !budget.fits("inflated bytes", e.size)) budget.charge("inflated bytes", e.size);
  const p = e.localHeaderOffset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== LOC_SIG)
    throw new PalisadeError("INPUT", `${e.name}: bad local header`);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const end = start + e.compressedSize;
  if (end > buf.length) throw new PalisadeError("INPUT", `${e.name}: data outside the archive (truncated?)`);
  const data = buf.subarray(start, end);
  if (e.method === 0) {
    budget?.charge("inflated bytes", data.length);
    return data;
  }
  if (e.method === 8) {
    // Never inflate past what the budget has left (+1, so that going over is seen and charged as such).
    const left = budget?.remaining("inflated bytes") ?? Number.POSITIVE_INFINITY;
    const cap = Math.min(maxBytes, left + 1);
    let out: Buffer;
    try {
      out = inflateRawSync(data, { maxOutputLength: cap });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" && cap < maxBytes)
        budget?.charge("inflated bytes", cap); // over what is left: throws the budget's LIMIT error
      throw new PalisadeError("INPUT", `${e.name}: cannot inflate: ${(err as Error).message}`, {
        cause: err,
      });
    }
    budget?.charge("inflated bytes", out.length);
    return out;
  }
  throw new PalisadeError("UNSUPPORTED", `${e.name}: zip compression method ${e.method}`);
}
