import { deflateSync } from "node:zlib";

/** A section to write: its name, bytes and sh_type (1 = SHT_PROGBITS, 8 = SHT_NOBITS). */
export interface ElfSectionSpec {
  name: string;
  data: Uint8Array;
  type?: number;
}

/**
 * A minimal ELF executable (System V gABI) with the given sections, as a linker lays one out: the ELF header,
 * the sections' bytes, `.shstrtab`, then the section header table (a null header first). 64- or 32-bit, either
 * byte order; `extended` writes extended section numbering (e_shnum 0 and e_shstrndx SHN_XINDEX, the real values
 * in header 0), which linkers use past 65,279 sections.
 */
export function buildElf(
  sections: ElfSectionSpec[],
  opts: { bits?: 32 | 64; bigEndian?: boolean; extended?: boolean } = {},
): Uint8Array {
  const is64 = (opts.bits ?? 64) === 64;
  const le = !opts.bigEndian;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const names: number[] = [];
  let strtab = "\0";
  for (const s of [...sections.map((x) => x.name), ".shstrtab"]) {
    names.push(strtab.length);
    strtab += `${s}\0`;
  }
  const strBytes = new TextEncoder().encode(strtab);
  const all = [...sections, { name: ".shstrtab", data: strBytes, type: 3 }];
  const offsets: number[] = [];
  let off = ehsize;
  for (const s of all) {
    off = (off + 7) & ~7;
    offsets.push(off);
    if ((s.type ?? 1) !== 8) off += s.data.length;
  }
  const shoff = (off + 7) & ~7;
  const shnum = all.length + 1;
  const b = new Uint8Array(shoff + shnum * shentsize);
  const v = new DataView(b.buffer);
  const word = (o: number, x: number) => (is64 ? v.setBigUint64(o, BigInt(x), le) : v.setUint32(o, x, le));
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]);
  v.setUint16(0x10, 2, le); // ET_EXEC
  v.setUint16(0x12, is64 ? 0x3e : 0x03, le); // x86-64 / i386
  v.setUint32(0x14, 1, le); // EV_CURRENT
  word(is64 ? 0x28 : 0x20, shoff);
  v.setUint16(is64 ? 0x34 : 0x28, ehsize, le);
  v.setUint16(is64 ? 0x3a : 0x2e, shentsize, le);
  v.setUint16(is64 ? 0x3c : 0x30, opts.extended ? 0 : shnum, le);
  v.setUint16(is64 ? 0x3e : 0x32, opts.extended ? 0xffff : shnum - 1, le);
  const header = (i: number, name: number, type: number, offset: number, size: number, link = 0) => {
    const o = shoff + i * shentsize;
    v.setUint32(o, name, le);
    v.setUint32(o + 4, type, le);
    word(o + (is64 ? 0x18 : 0x10), offset);
    word(o + (is64 ? 0x20 : 0x14), size);
    v.setUint32(o + (is64 ? 0x28 : 0x18), link, le);
  };
  if (opts.extended) header(0, 0, 0, 0, shnum, shnum - 1);
  for (const [i, s] of all.entries()) {
    const at = offsets[i] as number;
    if ((s.type ?? 1) !== 8) b.set(s.data, at);
    header(i + 1, names[i] as number, s.type ?? 1, at, s.data.length);
  }
  return b;
}

/** cargo-auditable's `.dep-v0` payload: the JSON dependency list, zlib-compressed. */
export function auditableSection(packages: Record<string, unknown>[]): Uint8Array {
  return new Uint8Array(deflateSync(Buffer.from(JSON.stringify({ packages }))));
}
