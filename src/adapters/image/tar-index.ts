import type { FileHandle } from "node:fs/promises";
import { PalisadeError } from "../../core/errors/index.js";

/** One member of an uncompressed tar file, located for random access. */
export interface TarMember {
  name: string;
  /** '0' file, '2' symlink, '1' hardlink, '5' directory, ... (POSIX ustar typeflag). */
  type: string;
  offset: number;
  size: number;
  linkname: string;
}

function octal(buf: Buffer, off: number, len: number): number {
  // GNU base-256 for large numbers: high bit of the first byte set.
  const first = buf[off] as number;
  if (first === 0xff) throw new PalisadeError("INPUT", "tar header: negative base-256 number");
  if (first & 0x80) {
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (buf[off + i] as number);
    return v;
  }
  const s = buf
    .toString("latin1", off, off + len)
    .replace(/\0.*$/s, "")
    .trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new PalisadeError("INPUT", `tar header: invalid octal field "${s}"`);
  return Number.parseInt(s, 8);
}

function cstr(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString("utf8", off, end >= 0 && end < off + len ? end : off + len);
}

/**
 * A pax `size` record (POSIX pax "size": the file's size in decimal, overriding the ustar field). Anything but
 * digits, or more than a safe integer, is refused: `Number("-5")` or `Number("abc")` would reach
 * `Buffer.alloc` as a RangeError.
 */
function paxSize(value: string, at: number): number {
  const n = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new PalisadeError(
      "INPUT",
      `tar member at offset ${at}: pax size ${JSON.stringify(value.slice(0, 32))} is not a decimal byte count`,
    );
  return n;
}

/** pax extended header records: "<len> <key>=<value>\n". */
function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number.parseInt(data.toString("latin1", i, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > data.length) break;
    const rec = data.toString("utf8", sp + 1, i + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/**
 * Index the members of an uncompressed tar file by reading only its 512-byte headers (POSIX pax / ustar and
 * the GNU long-name extension), so docker-archive members can then be streamed by offset without extracting.
 * Bounded by `maxMembers`; a header that points past the end of the file is an INPUT error (truncated archive).
 */
export async function indexTar(
  fh: FileHandle,
  fileSize: number,
  maxMembers = 100_000,
): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  const hdr = Buffer.alloc(512);
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  let count = 0;
  while (pos + 512 <= fileSize) {
    const { bytesRead } = await fh.read(hdr, 0, 512, pos);
    if (bytesRead < 512) break;
    if (hdr.every((b) => b === 0)) break; // end-of-archive marker
    if (++count > maxMembers) throw new PalisadeError("LIMIT", `archive has more than ${maxMembers} members`);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (hdr[i] as number);
    if (sum !== octal(hdr, 148, 8))
      throw new PalisadeError("INPUT", `tar header checksum mismatch at offset ${pos}`);
    const type = String.fromCharCode(hdr[156] || 0x30);
    // A pax size record overrides the header's field, for the member's data extent too.
    const paxed = type !== "x" && type !== "g" && pax?.has("size");
    const size = paxed ? paxSize(pax?.get("size") ?? "", pos) : octal(hdr, 124, 12);
    const dataOff = pos + 512;
    if (dataOff + size > fileSize)
      throw new PalisadeError(
        "INPUT",
        `tar member at offset ${pos} runs past end of file (truncated archive)`,
      );
    const next = dataOff + Math.ceil(size / 512) * 512;
    const readData = async () => {
      if (size > 1024 * 1024) throw new PalisadeError("LIMIT", "tar extended header larger than 1 MiB");
      const b = Buffer.alloc(size);
      await fh.read(b, 0, size, dataOff);
      return b;
    };
    if (type === "L") longName = cstr(await readData(), 0, size);
    else if (type === "K") longLink = cstr(await readData(), 0, size);
    else if (type === "x") pax = parsePax(await readData());
    else if (type === "g") {
      // global pax header: nothing we need
    } else {
      const prefix = hdr.toString("latin1", 257, 263).startsWith("ustar") ? cstr(hdr, 345, 155) : "";
      let name =
        pax?.get("path") ?? longName ?? (prefix ? `${prefix}/${cstr(hdr, 0, 100)}` : cstr(hdr, 0, 100));
      name = name.replace(/^\.\//, "").replace(/\/$/, "");
      const linkname = pax?.get("linkpath") ?? longLink ?? cstr(hdr, 157, 100);
      members.set(name, { name, type, offset: dataOff, size, linkname });
      longName = undefined;
      longLink = undefined;
      pax = undefined;
    }
    pos = next;
  }
  return members;
}
