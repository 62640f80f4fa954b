import { isRecord } from "../util/index.js";
import { isElf } from "./go-buildinfo.js";
import { parseJsonFile } from "./json-lines.js";
import { type CatalogedPackage, type CatalogResult, failed } from "./model.js";
import { baseName, decodeUtf8, forEachLine } from "./text.js";

/** Most packages read from one Cargo.lock or one binary's dependency list. */
export const MAX_CARGO_PACKAGES = 100_000;

/**
 * `Cargo.lock`. Those inside Cargo's download caches (`.cargo/registry/src/...`, `.cargo/git/checkouts/...`) are
 * published crates' own locks, not what was built.
 */
export function isCargoLockPath(path: string): boolean {
  return baseName(path) === "Cargo.lock" && !/(?:^|\/)\.cargo\/(?:registry|git)\//.test(path);
}

/** A TOML basic string (`"..."`) or literal string (`'...'`), the only value forms Cargo writes for these keys. */
function tomlString(v: string): string | undefined {
  const t = v.trim();
  if (t.startsWith("'")) {
    const end = t.indexOf("'", 1);
    return end > 0 ? t.slice(1, end) : undefined;
  }
  if (!t.startsWith('"')) return undefined;
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(t);
  if (!m) return undefined;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return undefined;
  }
}

/**
 * Cargo.lock (cargo's `resolve` encoding, lock versions 1 to 4): TOML whose `[[package]]` tables each have
 * `name`, `version`, and `source` (`registry+https://github.com/rust-lang/crates.io-index`, `sparse+...`,
 * `git+...#<commit>`; absent for workspace and path crates, which are still listed: they are what was built).
 * Cargo writes one `key = value` a line, so tables are read line by line rather than with a full TOML parser;
 * the line of a package is that of its `name`.
 */
export function parseCargoLock(data: Uint8Array, path: string): CatalogResult {
  const out: CatalogResult = { packages: [], coverage: [] };
  let cur: { name?: string; version?: string; line?: number } | undefined;
  let bad = 0;
  const flush = () => {
    if (!cur) return;
    if (!cur.name || !cur.version) bad++;
    else if (out.packages.length < MAX_CARGO_PACKAGES) {
      const pkg: CatalogedPackage = {
        type: "cargo",
        name: cur.name,
        version: cur.version,
        locations: [path],
      };
      if (cur.line !== undefined) pkg.line = cur.line;
      out.packages.push(pkg);
    } else if (out.coverage.every((c) => c.reason !== "limit"))
      out.coverage.push({
        reason: "limit",
        subject: path,
        message: `more than ${MAX_CARGO_PACKAGES} packages; the rest were not read`,
      });
    cur = undefined;
  };
  forEachLine(decodeUtf8(data), (raw, lineNo) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.startsWith("[")) {
      flush();
      if (/^\[\[\s*package\s*\]\]\s*(?:#.*)?$/.test(line)) cur = {};
      return;
    }
    if (!cur) return;
    const m = /^(name|version)\s*=\s*(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) return;
    const v = tomlString(m[2]);
    if (v === undefined) return;
    if (m[1] === "name" && cur.name === undefined) {
      cur.name = v;
      cur.line = lineNo;
    } else if (m[1] === "version" && cur.version === undefined) cur.version = v;
    return;
  });
  flush();
  if (bad > 0)
    out.coverage.push({
      reason: "parse-error",
      subject: path,
      message: `${bad} [[package]] table${bad === 1 ? "" : "s"} without a name and version`,
    });
  return out;
}

/** The section cargo-auditable writes its compressed dependency list into. */
export const AUDITABLE_SECTION = ".dep-v0";

/**
 * The contents of the ELF section named `name` (System V gABI, "Sections": the section header table at
 * `e_shoff`, names in the section `e_shstrndx` points at; 32- and 64-bit, either byte order, extended section
 * numbering). Undefined when the file is not ELF, has no such section, or its headers point outside the file.
 */
export function elfSection(bin: Uint8Array, name: string): Uint8Array | undefined {
  if (!isElf(bin) || bin.length < 52) return undefined;
  const is64 = bin[4] === 2;
  if (!is64 && bin[4] !== 1) return undefined;
  const le = bin[5] === 1;
  if (!le && bin[5] !== 2) return undefined;
  if (is64 && bin.length < 64) return undefined;
  const v = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const word = (o: number): number | undefined => {
    if (o < 0 || o + (is64 ? 8 : 4) > bin.length) return undefined;
    return is64 ? Number(v.getBigUint64(o, le)) : v.getUint32(o, le);
  };
  const half = (o: number): number | undefined => (o + 2 > bin.length ? undefined : v.getUint16(o, le));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = half(is64 ? 0x3a : 0x2e);
  let shnum = half(is64 ? 0x3c : 0x30);
  let shstrndx = half(is64 ? 0x3e : 0x32);
  const minEnt = is64 ? 64 : 40;
  if (
    !shoff ||
    shentsize === undefined ||
    shentsize < minEnt ||
    shnum === undefined ||
    shstrndx === undefined
  )
    return undefined;
  const header = (i: number) => {
    const o = shoff + i * shentsize;
    if (o + minEnt > bin.length) return undefined;
    return {
      name: v.getUint32(o, le),
      offset: word(o + (is64 ? 0x18 : 0x10)),
      size: word(o + (is64 ? 0x20 : 0x14)),
      link: v.getUint32(o + (is64 ? 0x28 : 0x18), le),
      type: v.getUint32(o + 4, le),
    };
  };
  // Extended numbering: a count of 0 or an index of SHN_XINDEX (0xffff) is in section header 0.
  if (shnum === 0) shnum = header(0)?.size ?? 0;
  if (shstrndx === 0xffff) shstrndx = header(0)?.link ?? 0;
  shnum = Math.min(shnum, 65_536, Math.floor((bin.length - shoff) / shentsize));
  const strtab = header(shstrndx);
  if (!strtab || strtab.offset === undefined || strtab.size === undefined) return undefined;
  if (strtab.offset + strtab.size > bin.length) return undefined;
  const want = new TextEncoder().encode(name);
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    if (!h || h.offset === undefined || h.size === undefined) return undefined;
    const at = strtab.offset + h.name;
    if (h.name + want.length >= strtab.size) continue;
    let same = bin[at + want.length] === 0;
    for (let j = 0; same && j < want.length; j++) same = bin[at + j] === want[j];
    if (!same) continue;
    if (h.type === 8 /* SHT_NOBITS: no bytes in the file */) return undefined;
    if (h.offset + h.size > bin.length) return undefined;
    return bin.subarray(h.offset, h.offset + h.size);
  }
  return undefined;
}

/**
 * The decompressed `.dep-v0` payload of a cargo-auditable binary (rust-secure-code/cargo-auditable,
 * auditable-serde `VersionInfo`): `{"packages": [{"name", "version", "source", "kind"?, "dependencies"?,
 * "root"?}]}`. `source` is `crates.io`, `git`, `local`, `registry` or another string; every package is listed,
 * build-time ones (`kind: "build"`) and the root crate included, as the binary was built from all of them.
 */
export function parseAuditableJson(data: Uint8Array, path: string): CatalogResult {
  const r = parseJsonFile(data, path);
  if (!r.ok) return r.result;
  const list = isRecord(r.value) ? r.value.packages : undefined;
  if (!Array.isArray(list)) return failed("parse-error", path, `${AUDITABLE_SECTION}: no packages array`);
  const out: CatalogResult = { packages: [], coverage: [] };
  let bad = 0;
  for (const p of list) {
    if (out.packages.length >= MAX_CARGO_PACKAGES) {
      out.coverage.push({
        reason: "limit",
        subject: path,
        message: `more than ${MAX_CARGO_PACKAGES} packages in ${AUDITABLE_SECTION}; the rest were not read`,
      });
      break;
    }
    const name = isRecord(p) ? p.name : undefined;
    const version = isRecord(p) ? p.version : undefined;
    if (typeof name !== "string" || typeof version !== "string" || name === "" || version === "") {
      bad++;
      continue;
    }
    out.packages.push({ type: "cargo", name, version, locations: [path] });
  }
  if (bad > 0)
    out.coverage.push({
      reason: "parse-error",
      subject: path,
      message: `${bad} package${bad === 1 ? "" : "s"} in ${AUDITABLE_SECTION} without a string name and version`,
    });
  return out;
}
