import type { CatalogedPackage, CatalogResult } from "./model.js";
import { failed } from "./model.js";

/** `\xff Go buildinf:` — the 14-byte magic the Go linker puts at the start of the `.go.buildinfo` section. */
const MAGIC = new Uint8Array([
  0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a,
]);
const HEADER_SIZE = 32;
const FLAG_ENDIAN_BIG = 0x1;
const FLAG_VERSION_INLINE = 0x2;
const MAX_STRING = 1 << 20;

/** ELF magic: 0x7f 'E' 'L' 'F'. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** A Go module as recorded in build info. */
export interface GoModule {
  path: string;
  version: string;
  sum?: string | undefined;
  replace?: GoModule | undefined;
}

export interface GoBuildInfo {
  /** Toolchain version, e.g. `go1.22.1`. */
  goVersion: string;
  /** Main package path (`path` line). */
  path?: string | undefined;
  main?: GoModule | undefined;
  deps: GoModule[];
  settings: [string, string][];
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0] as number;
  let i = hay.indexOf(first, from);
  while (i >= 0 && i + needle.length <= hay.length) {
    let ok = true;
    for (let j = 1; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) {
        ok = false;
        break;
      }
    }
    if (ok) return i;
    i = hay.indexOf(first, i + 1);
  }
  return -1;
}

/** Unsigned LEB128 varint as Go's encoding/binary.Uvarint; undefined on overflow or truncation. */
function uvarint(b: Uint8Array, at: number): [number, number] | undefined {
  let x = 0;
  let shift = 0;
  for (let i = at; i < b.length && i < at + 10; i++) {
    const c = b[i] as number;
    x += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) return x > Number.MAX_SAFE_INTEGER ? undefined : [x, i + 1];
    shift += 7;
  }
  return undefined;
}

/** Maps virtual addresses to file offsets through the ELF program headers (PT_LOAD segments). */
function elfAddressMapper(
  b: Uint8Array,
): ((addr: number, len: number) => Uint8Array | undefined) | undefined {
  if (!isElf(b) || b.length < 52) return undefined;
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const word = (o: number): number | undefined => {
    if (o + (is64 ? 8 : 4) > b.length) return undefined;
    return is64 ? Number(v.getBigUint64(o, le)) : v.getUint32(o, le);
  };
  const phoff = word(is64 ? 0x20 : 0x1c);
  if (phoff === undefined || b.length < (is64 ? 0x3a : 0x2e)) return undefined;
  const phentsize = v.getUint16(is64 ? 0x36 : 0x2a, le);
  const phnum = Math.min(v.getUint16(is64 ? 0x38 : 0x2c, le), 256);
  const segs: { off: number; vaddr: number; filesz: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + (is64 ? 56 : 32) > b.length) break;
    if (v.getUint32(p, le) !== 1) continue; // PT_LOAD
    const off = word(p + (is64 ? 8 : 4));
    const vaddr = word(p + (is64 ? 16 : 8));
    const filesz = word(p + (is64 ? 32 : 16));
    if (off !== undefined && vaddr !== undefined && filesz !== undefined) segs.push({ off, vaddr, filesz });
  }
  return (addr, len) => {
    for (const s of segs) {
      if (addr >= s.vaddr && addr + len <= s.vaddr + s.filesz) {
        const start = s.off + (addr - s.vaddr);
        if (start + len <= b.length) return b.subarray(start, start + len);
      }
    }
    return undefined;
  };
}

/**
 * Find and decode the build info of a Go binary, following Go's `debug/buildinfo.Read`:
 * a 32-byte header (magic, pointer size, flags), then either (Go 1.18+, flag 0x2) two varint-length-prefixed
 * strings inline, or (older) two pointers to Go string headers {data, len} that we resolve through the ELF
 * PT_LOAD segments. Returns undefined when the file is not a Go binary.
 */
export function readGoBuildInfo(bin: Uint8Array): { goVersion: string; modinfo: string } | undefined {
  const at = indexOf(bin, MAGIC);
  if (at < 0 || at + HEADER_SIZE > bin.length) return undefined;
  const ptrSize = bin[at + 14] as number;
  const flags = bin[at + 15] as number;
  let vers: string | undefined;
  let mod: string | undefined;
  const dec = new TextDecoder();
  if (flags & FLAG_VERSION_INLINE) {
    let pos = at + HEADER_SIZE;
    const read = (): string | undefined => {
      const r = uvarint(bin, pos);
      if (!r || r[0] > MAX_STRING || r[1] + r[0] > bin.length) return undefined;
      pos = r[1] + r[0];
      return dec.decode(bin.subarray(r[1], r[1] + r[0]));
    };
    vers = read();
    mod = read();
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) return undefined;
    const le = (flags & FLAG_ENDIAN_BIG) === 0;
    const map = elfAddressMapper(bin);
    if (!map) return undefined;
    const ptr = (b: Uint8Array, o: number): number => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return ptrSize === 8 ? Number(v.getBigUint64(o, le)) : v.getUint32(o, le);
    };
    const readString = (addr: number): string | undefined => {
      const hdr = map(addr, ptrSize * 2);
      if (!hdr) return undefined;
      const dataAddr = ptr(hdr, 0);
      const len = ptr(hdr, ptrSize);
      if (len > MAX_STRING) return undefined;
      const data = map(dataAddr, len);
      return data ? dec.decode(data) : undefined;
    };
    if (at + 16 + 2 * ptrSize > bin.length) return undefined;
    vers = readString(ptr(bin, at + 16));
    mod = readString(ptr(bin, at + 16 + ptrSize));
  }
  if (vers === undefined) return undefined;
  mod ??= "";
  // The linker wraps modinfo in 16-byte sentinels so it can be found in memory (runtime/debug/mod.go).
  if (mod.length >= 33 && mod[mod.length - 17] === "\n") mod = mod.slice(16, -16);
  return { goVersion: vers, modinfo: mod };
}

/** Parse modinfo text as `runtime/debug.ParseBuildInfo`: tab-separated path/mod/dep/=>/build lines. */
export function parseGoModInfo(goVersion: string, modinfo: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of modinfo.split("\n")) {
    const f = line.split("\t");
    const mod = (): GoModule | undefined =>
      f[1] ? { path: f[1], version: f[2] ?? "", ...(f[3] ? { sum: f[3] } : {}) } : undefined;
    switch (f[0]) {
      case "path":
        info.path = f[1];
        break;
      case "mod":
        info.main = mod();
        last = info.main;
        break;
      case "dep": {
        const m = mod();
        if (m) info.deps.push(m);
        last = m;
        break;
      }
      case "=>":
        if (last) last.replace = mod();
        last = undefined;
        break;
      case "build": {
        const eq = (f[1] ?? "").indexOf("=");
        if (eq > 0) info.settings.push([(f[1] as string).slice(0, eq), (f[1] as string).slice(eq + 1)]);
        break;
      }
    }
  }
  return info;
}

/**
 * Packages of a Go binary: its dependencies (the replacement when `=>` gives one with a version), the main
 * module, and the standard library as `stdlib` at the toolchain version (how OSV's Go ecosystem names it).
 */
export function catalogGoBinary(bin: Uint8Array, path: string): CatalogResult {
  let raw: ReturnType<typeof readGoBuildInfo>;
  try {
    raw = readGoBuildInfo(bin);
  } catch (e) {
    return failed("parse-error", path, `Go build info: ${(e as Error).message}`);
  }
  if (!raw) return { packages: [], coverage: [] };
  const info = parseGoModInfo(raw.goVersion, raw.modinfo);
  const packages: CatalogedPackage[] = [];
  const add = (m: GoModule) => {
    const eff = m.replace?.version ? m.replace : m;
    packages.push({ type: "golang", name: eff.path, version: eff.version, locations: [path] });
  };
  if (info.main?.path) add(info.main);
  for (const d of info.deps) add(d);
  const gv = /^go\d+(?:\.\d+)*/.exec(info.goVersion)?.[0];
  if (gv) packages.push({ type: "golang", name: "stdlib", version: gv, locations: [path] });
  return { packages, coverage: [] };
}
