/**
 * A small bounded zip reader for osv.dev's per-ecosystem archives (PKWARE APPNOTE 6.3: end of central
 * directory, central directory, local headers; methods 0 stored and 8 deflate). It reads through a file handle,
 * one entry at a time, so memory stays at one entry; sizes are capped so a zip bomb fails that entry, not the
 * process. Zip64 and encrypted entries are reported, not read.
 */
import { type FileHandle, open } from "node:fs/promises";
import { inflateRawSync } from "node:zlib";
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
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntryBytes: 8 * 1024 * 1024,
  maxEntries: 2_000_000,
  maxRatio: 200,
};

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

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
  ) {}

  static async open(file: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipReader> {
    const fh = await open(file, "r");
    try {
      const entries = await readCentralDirectory(fh, file, limits);
      return new ZipReader(fh, file, entries, limits);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Uncompressed bytes of one entry. Throws PalisadeError (LIMIT, UNSUPPORTED, INPUT) for entries it refuses. */
  async read(entry: ZipEntry): Promise<Buffer> {
    const ctx = { file: `${this.file}!${entry.name}` };
    if (entry.flags & 1) throw new PalisadeError("UNSUPPORTED", "encrypted zip entry", { context: ctx });
    if (entry.size > this.limits.maxEntryBytes)
      throw new PalisadeError(
        "LIMIT",
        `entry is ${entry.size} bytes, over the ${this.limits.maxEntryBytes} byte budget`,
        {
          context: ctx,
        },
      );
    if (entry.compressedSize > 0 && entry.size / entry.compressedSize > this.limits.maxRatio)
      throw new PalisadeError(
        "LIMIT",
        `compression ratio over ${this.limits.maxRatio}: refusing a likely zip bomb`,
        {
          context: ctx,
        },
      );
    const head = Buffer.alloc(30);
    await this.fh.read(head, 0, 30, entry.localHeaderOffset);
    if (head.readUInt32LE(0) !== LOC_SIG)
      throw new PalisadeError("INPUT", "bad local header signature", { context: ctx });
    const dataStart = entry.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    // The central directory is attacker-controlled: check the claimed size against the file before allocating.
    const { size: fileSize } = await this.fh.stat();
    if (dataStart + entry.compressedSize > fileSize)
      throw new PalisadeError("INPUT", "truncated zip entry (claims more bytes than the file holds)", {
        context: ctx,
      });
    const data = Buffer.alloc(entry.compressedSize);
    const { bytesRead } = await this.fh.read(data, 0, entry.compressedSize, dataStart);
    if (bytesRead !== entry.compressedSize)
      throw new PalisadeError("INPUT", "truncated zip entry", { context: ctx });
    if (entry.method === 0) return data;
    if (entry.method !== 8)
      throw new PalisadeError("UNSUPPORTED", `zip compression method ${entry.method}`, { context: ctx });
    try {
      // maxOutputLength makes inflate stop at the budget whatever the header claimed.
      const out = inflateRawSync(data, { maxOutputLength: this.limits.maxEntryBytes });
      if (out.length !== entry.size)
        throw new PalisadeError("INPUT", `entry inflated to ${out.length} bytes, header says ${entry.size}`, {
          context: ctx,
        });
      return out;
    } catch (e) {
      if (e instanceof PalisadeError) throw e;
      const code = (e as { code?: string }).code;
      if (code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError)
        throw new PalisadeError("LIMIT", `entry inflates past the ${this.limits.maxEntryBytes} byte budget`, {
          context: ctx,
          cause: e,
        });
      throw new PalisadeError(
        "INPUT",
        `corrupt deflate data: ${e instanceof Error ? e.message : String(e)}`,
        {
          context: ctx,
          cause: e,
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readCentralDirectory(fh: FileHandle, file: string, limits: ZipLimits): Promise<ZipEntry[]> {
  const { size } = await fh.stat();
  const tailLen = Math.min(size, 22 + 0xffff);
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
  const total = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    throw new PalisadeError("UNSUPPORTED", "zip64 archives are not supported", { context: { file } });
  if (total > limits.maxEntries)
    throw new PalisadeError("LIMIT", `${total} zip entries, over the ${limits.maxEntries} budget`, {
      context: { file },
    });
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
    const entry: ZipEntry = {
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      name: cd.toString("utf8", p + 46, p + 46 + nameLen),
    };
    if (entry.localHeaderOffset + 30 > size)
      throw new PalisadeError("INPUT", "zip entry points past the end of the file", { context: { file } });
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
