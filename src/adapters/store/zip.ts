/**
 * A small bounded zip reader for osv.dev's per-ecosystem archives (PKWARE APPNOTE 6.3.10: end of central
 * directory, zip64 end of central directory, central directory, local headers; methods 0 stored and 8 deflate).
 * It reads through a file handle, one entry at a time, so memory stays at one entry.
 *
 * Budgets (src/core/budget): one budget per archive (entries, total inflated bytes) with a child per entry
 * (inflated bytes), so an archive cannot stay under the per-entry cap while inflating without bound. Entries
 * whose data overlap (several central directory entries pointing at one deflated member: the overlap zip bomb)
 * make the whole archive unreadable, before anything is inflated.
 */
import { readSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { inflateRawSync } from "node:zlib";
import { Budget } from "../../core/budget/index.js";
import { PalisadeError } from "../../core/errors/index.js";

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  flags: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Largest uncompressed entry read (bytes). */
  maxEntryBytes: number;
  /** Most entries listed. */
  maxEntries: number;
  /** Largest uncompressed/compressed ratio accepted for one entry. */
  maxRatio: number;
  /** Most bytes inflated from one archive, all entries together. */
  maxArchiveBytes: number;
  /** Largest central directory read (bytes). */
  maxCentralDirectoryBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntryBytes: 8 * 1024 * 1024,
  maxEntries: 2_000_000,
  maxRatio: 200,
  // osv.dev's all-ecosystems export inflates to a few GiB; this is a backstop, overlap detection and the ratio
  // cap already bound what a small file can inflate to.
  maxArchiveBytes: 16 * 1024 * 1024 * 1024,
  maxCentralDirectoryBytes: 512 * 1024 * 1024,
};

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;

/** An entry name that would escape a directory if extracted ("../", absolute, drive letters, backslashes). */
export function isUnsafeEntryName(name: string): boolean {
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name) || name.includes("\0"))
    return true;
  return name.split(/[\\/]/).some((seg) => seg === "..");
}

export class ZipReader {
  private constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
    readonly entries: ZipEntry[],
    private readonly limits: ZipLimits,
    /** The archive's budget: every entry read charges a child of it. */
    readonly budget: Budget,
    /** Per entry, the offset its data must end by (the next local header or the central directory). */
    private readonly dataEnd: Map<ZipEntry, number>,
    private readonly fileSize: number,
  ) {}

  /**
   * Open `file` and read its central directory (zip64 too). Throws PalisadeError when the archive as a whole
   * cannot be read: INPUT (not a zip, truncated, corrupt), UNSUPPORTED (multi-disk), LIMIT (over a budget),
   * UNSAFE (overlapping entries).
   */
  static async open(file: string, limits: Partial<ZipLimits> = {}, parent?: Budget): Promise<ZipReader> {
    const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
    const budget = parent
      ? parent.child("zip archive", { inflatedBytes: lim.maxArchiveBytes, entries: lim.maxEntries }, { file })
      : new Budget(
          "zip archive",
          { inflatedBytes: lim.maxArchiveBytes, entries: lim.maxEntries },
          {
            context: { file },
          },
        );
    const fh = await open(file, "r");
    try {
      const { size } = await fh.stat();
      const { entries, cdOffset } = await readCentralDirectory(fh, file, size, lim, budget);
      const dataEnd = checkLayout(entries, cdOffset, file);
      return new ZipReader(fh, file, entries, lim, budget, dataEnd, size);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Uncompressed bytes of one entry. Throws PalisadeError (LIMIT, UNSUPPORTED, INPUT) for entries it refuses. */
  async read(entry: ZipEntry): Promise<Buffer> {
    const ctx = { file: `${this.file}!${entry.name}` };
    if (entry.flags & 1) throw new PalisadeError("UNSUPPORTED", "encrypted zip entry", { context: ctx });
    // The declared size is charged before anything is read (the entry's own cap, then the archive's); inflate
    // then stops at that size whatever the data holds, and a size mismatch is an error.
    const entryBudget = this.budget.child("zip entry", { inflatedBytes: this.limits.maxEntryBytes }, ctx);
    entryBudget.charge("inflatedBytes", entry.size);
    if (entry.compressedSize > 0 && entry.size / entry.compressedSize > this.limits.maxRatio)
      throw new PalisadeError(
        "LIMIT",
        `compression ratio over ${this.limits.maxRatio}: refusing a likely zip bomb`,
        { context: ctx },
      );
    const head = Buffer.alloc(30);
    // Synchronous positioned reads: an archive has tens of thousands of small entries, and two thread-pool round
    // trips per entry cost more than the reads (osv.dev's exports are read one entry at a time anyway).
    readSync(this.fh.fd, head, 0, 30, entry.localHeaderOffset);
    if (head.readUInt32LE(0) !== LOC_SIG)
      throw new PalisadeError("INPUT", "bad local header signature", { context: ctx });
    const dataStart = entry.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    // The central directory is attacker-controlled: check the claimed size against the file before allocating.
    if (dataStart + entry.compressedSize > this.fileSize)
      throw new PalisadeError("INPUT", "truncated zip entry (claims more bytes than the file holds)", {
        context: ctx,
      });
    if (dataStart + entry.compressedSize > (this.dataEnd.get(entry) ?? this.fileSize))
      throw new PalisadeError(
        "UNSAFE",
        "zip entry data overlaps the next entry: refusing a likely zip bomb",
        {
          context: ctx,
        },
      );
    const data = Buffer.alloc(entry.compressedSize);
    const bytesRead = readSync(this.fh.fd, data, 0, entry.compressedSize, dataStart);
    if (bytesRead !== entry.compressedSize)
      throw new PalisadeError("INPUT", "truncated zip entry", { context: ctx });
    if (entry.method === 0) {
      if (data.length !== entry.size)
        throw new PalisadeError("INPUT", "stored entry size differs from its header", { context: ctx });
      return data;
    }
    if (entry.method !== 8)
      throw new PalisadeError("UNSUPPORTED", `zip compression method ${entry.method}`, { context: ctx });
    try {
      // maxOutputLength makes inflate stop at the declared (and charged) size whatever the data holds.
      const out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
      if (out.length !== entry.size)
        throw new PalisadeError("INPUT", `entry inflated to ${out.length} bytes, header says ${entry.size}`, {
          context: ctx,
        });
      return out;
    } catch (e) {
      if (e instanceof PalisadeError) throw e;
      const code = (e as { code?: string }).code;
      if (code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError)
        throw new PalisadeError("LIMIT", `entry inflates past its declared ${entry.size} bytes`, {
          context: ctx,
          cause: e,
        });
      throw new PalisadeError(
        "INPUT",
        `corrupt deflate data: ${e instanceof Error ? e.message : String(e)}`,
        { context: ctx, cause: e },
      );
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** End of central directory values, from the zip64 record when the archive has one. */
interface Directory {
  total: number;
  cdSize: number;
  cdOffset: number;
}

/** Read a little-endian 64-bit value that must fit a safe integer (offsets and counts in one file). */
function u64(buf: Buffer, at: number, file: string, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new PalisadeError("INPUT", `zip64 ${what} ${v} is not a plausible value`, { context: { file } });
  return Number(v);
}

async function readDirectory(fh: FileHandle, file: string, size: number): Promise<Directory> {
  const tailLen = Math.min(size, 22 + 0xffff + 20);
  const tail = Buffer.alloc(tailLen);
  await fh.read(tail, 0, tailLen, size - tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new PalisadeError("INPUT", "not a zip file (no end of central directory)", { context: { file } });
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0)
    throw new PalisadeError("UNSUPPORTED", "multi-disk zip archives are not supported", {
      context: { file },
    });
  const dir: Directory = {
    total: tail.readUInt16LE(eocd + 10),
    cdSize: tail.readUInt32LE(eocd + 12),
    cdOffset: tail.readUInt32LE(eocd + 16),
  };
  // Zip64 (APPNOTE 4.3.14-4.3.15): a locator right before the end record points at the zip64 end record, whose
  // 64-bit fields replace the 16/32-bit ones (osv.dev's large exports have more than 65,535 entries).
  const loc = eocd - 20;
  if (loc >= 0 && tail.readUInt32LE(loc) === ZIP64_LOCATOR_SIG) {
    const at = u64(tail, loc + 8, file, "end of central directory offset");
    if (at + 56 > size)
      throw new PalisadeError("INPUT", "zip64 end of central directory points past the end of the file", {
        context: { file },
      });
    const rec = Buffer.alloc(56);
    await fh.read(rec, 0, 56, at);
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG)
      throw new PalisadeError("INPUT", "bad zip64 end of central directory signature", { context: { file } });
    dir.total = u64(rec, 32, file, "entry count");
    dir.cdSize = u64(rec, 40, file, "central directory size");
    dir.cdOffset = u64(rec, 48, file, "central directory offset");
  } else if (dir.total === 0xffff || dir.cdSize === 0xffffffff || dir.cdOffset === 0xffffffff) {
    throw new PalisadeError("INPUT", "zip64 values without a zip64 end of central directory locator", {
      context: { file },
    });
  }
  return dir;
}

async function readCentralDirectory(
  fh: FileHandle,
  file: string,
  size: number,
  limits: ZipLimits,
  budget: Budget,
): Promise<{ entries: ZipEntry[]; cdOffset: number }> {
  const { total, cdSize, cdOffset } = await readDirectory(fh, file, size);
  budget.charge("entries", total);
  if (cdSize > limits.maxCentralDirectoryBytes)
    throw new PalisadeError(
      "LIMIT",
      `central directory is ${cdSize} bytes, over the ${limits.maxCentralDirectoryBytes} byte budget`,
      { context: { file } },
    );
  if (cdOffset + cdSize > size)
    throw new PalisadeError("INPUT", "truncated zip central directory", { context: { file } });
  const cd = Buffer.alloc(cdSize);
  await fh.read(cd, 0, cdSize, cdOffset);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < total; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CEN_SIG)
      throw new PalisadeError("INPUT", "corrupt zip central directory", { context: { file } });
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length)
      throw new PalisadeError("INPUT", "corrupt zip central directory", { context: { file } });
    const entry: ZipEntry = {
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      name: cd.toString("utf8", p + 46, p + 46 + nameLen),
    };
    const disk = cd.readUInt16LE(p + 34);
    if (
      entry.size === 0xffffffff ||
      entry.compressedSize === 0xffffffff ||
      entry.localHeaderOffset === 0xffffffff ||
      disk === 0xffff
    )
      applyZip64Extra(entry, disk, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), file);
    if (entry.localHeaderOffset + 30 > cdOffset)
      throw new PalisadeError("INPUT", "zip entry points past the end of the entry data", {
        context: { file },
      });
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, cdOffset };
}

/** Replace 0xFFFFFFFF sizes and offset with the zip64 extended information field's values (APPNOTE 4.5.3). */
function applyZip64Extra(entry: ZipEntry, disk: number, extra: Buffer, file: string): void {
  let q = 0;
  while (q + 4 <= extra.length) {
    const id = extra.readUInt16LE(q);
    const len = extra.readUInt16LE(q + 2);
    if (q + 4 + len > extra.length) break;
    if (id === ZIP64_EXTRA_ID) {
      let f = q + 4;
      const end = q + 4 + len;
      const next = (what: string): number => {
        if (f + 8 > end)
          throw new PalisadeError("INPUT", `zip64 extra field lacks the ${what}`, {
            context: { file: `${file}!${entry.name}` },
          });
        const v = u64(extra, f, file, what);
        f += 8;
        return v;
      };
      if (entry.size === 0xffffffff) entry.size = next("uncompressed size");
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next("compressed size");
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next("local header offset");
      if (disk === 0xffff) next("disk number");
      return;
    }
    q += 4 + len;
  }
  throw new PalisadeError("INPUT", "zip64 sizes without a zip64 extra field", {
    context: { file: `${file}!${entry.name}` },
  });
}

/**
 * Refuse overlapping entries (APPNOTE has each local header and its data once, in order, before the central
 * directory): two entries at one offset, or an entry whose data cannot fit before the next local header, is the
 * overlap zip bomb. Returns, per entry, where its data must end (checked exactly once the local header is read).
 */
function checkLayout(entries: ZipEntry[], cdOffset: number, file: string): Map<ZipEntry, number> {
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const dataEnd = new Map<ZipEntry, number>();
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as ZipEntry;
    const next = sorted[i + 1];
    const end = next ? next.localHeaderOffset : cdOffset;
    // 30 bytes of local header at least, then the compressed data.
    if (e.localHeaderOffset + 30 + e.compressedSize > end)
      throw new PalisadeError(
        "UNSAFE",
        next
          ? `zip entries ${JSON.stringify(e.name)} and ${JSON.stringify(next.name)} overlap: refusing a likely zip bomb`
          : `zip entry ${JSON.stringify(e.name)} overlaps the central directory`,
        { context: { file } },
      );
    dataEnd.set(e, end);
  }
  return dataEnd;
}
