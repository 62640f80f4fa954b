import { Budget, isBudgetExceeded } from "../budget/index.js";
import { isPalisadeError, PalisadeError } from "../errors/index.js";
import type { CatalogedPackage, CatalogResult } from "./model.js";
import { isBdbHash, readBdbPackages } from "./rpmdb-bdb.js";
import type { RpmDbItem } from "./rpmdb-item.js";
import { isNdb, readNdbPackages } from "./rpmdb-ndb.js";

/**
 * Where rpm keeps its package database, by backend: sqlite (rpm >= 4.16: RHEL 9, Fedora 33+, Amazon Linux
 * 2023), Berkeley DB (`Packages`: RHEL/CentOS 7 and 8, UBI 8, Amazon Linux 2) and ndb (`Packages.db`: SUSE).
 * `/usr/lib/sysimage/rpm` is the newer location (Fedora 36+, SUSE), with `/var/lib/rpm` often a link to it.
 */
export const RPMDB_PATHS: readonly string[] = [
  "var/lib/rpm/rpmdb.sqlite",
  "usr/lib/sysimage/rpm/rpmdb.sqlite",
  "var/lib/rpm/Packages",
  "usr/lib/sysimage/rpm/Packages",
  "var/lib/rpm/Packages.db",
  "usr/lib/sysimage/rpm/Packages.db",
];

/** Whether `path` is an rpm package database (any backend: the reader tells them apart by content). */
export function isRpmDbPath(path: string): boolean {
  return RPMDB_PATHS.includes(path);
}

/**
 * An rpmdb's rows: rpm writes one row per installed package (a RHEL or Fedora image has a few hundred to a few
 * thousand), each header well under a megabyte. Header bytes cannot legitimately exceed the file that holds
 * them; a corrupt file whose rows share pages (sqlite overflow pages, Berkeley DB overflow chains, overlapping
 * ndb slots) could claim far more. Every backend's reader charges the same two dimensions.
 */
export const RPMDB_LIMITS = { rows: 100_000, "header bytes per row": 32 * 1024 * 1024 } as const;

/** The backend of an rpm database file, from its first bytes. */
export function rpmDbFormat(data: Uint8Array): "sqlite" | "bdb" | "ndb" | undefined {
  if (data.length >= 16 && new TextDecoder("latin1").decode(data.subarray(0, 16)) === "SQLite format 3\0")
    return "sqlite";
  if (isNdb(data)) return "ndb";
  if (isBdbHash(data)) return "bdb";
  return undefined;
}

/** The budget one rpm database charges: a child of the layer's (or walk's) when given. */
export function rpmDbBudget(data: Uint8Array, path: string, parent?: Budget): Budget {
  return (parent ?? new Budget(path, {})).child(`rpmdb ${path}`, {
    rows: RPMDB_LIMITS.rows,
    "header bytes": data.length,
  });
}

const FORMAT_NAMES = { bdb: "Berkeley DB", ndb: "ndb" } as const;
/** Unreadable records listed per database before the rest is given up. */
const MAX_PROBLEMS = 100;

/**
 * Catalog a Berkeley DB or ndb rpm database (the sqlite one needs SQLite and is read by the image adapter).
 * Pure: the file's bytes in, packages and coverage out. A record that cannot be read is an entry and the rest
 * still count; a stop (budget, corrupt structure) keeps what was read before it and says the rest was not.
 */
export function catalogRpmDatabase(data: Uint8Array, path: string, parent?: Budget): CatalogResult {
  const format = rpmDbFormat(data);
  if (format !== "bdb" && format !== "ndb")
    return {
      packages: [],
      coverage: [
        {
          reason: "parse-error",
          subject: path,
          message: `rpmdb: ${format === "sqlite" ? "an sqlite database here needs the sqlite reader" : "not an rpm database (neither sqlite, Berkeley DB hash nor ndb)"}`,
        },
      ],
    };
  const budget = rpmDbBudget(data, path, parent);
  const max = RPMDB_LIMITS["header bytes per row"];
  let stopped: unknown;
  let problems = 0;
  function* guarded(): Generator<RpmDbItem> {
    try {
      const reader =
        format === "bdb" ? readBdbPackages(data, budget, max) : readNdbPackages(data, budget, max);
      for (const item of reader) {
        // A file that is mostly damage says so once, not once per page.
        if (!(item instanceof Uint8Array) && ++problems > MAX_PROBLEMS) {
          stopped = new PalisadeError("INPUT", `more than ${MAX_PROBLEMS} unreadable records`);
          return;
        }
        yield item;
      }
    } catch (e) {
      stopped = e;
    }
  }
  const r = catalogRpmHeaders(guarded(), path);
  if (stopped !== undefined) {
    const reason = isBudgetExceeded(stopped)
      ? "limit"
      : isPalisadeError(stopped) && stopped.code === "UNSUPPORTED"
        ? "unsupported"
        : "parse-error";
    const msg = stopped instanceof Error ? stopped.message : String(stopped);
    const read = r.packages.length + r.coverage.length > 0 ? "; the rest was not read" : "";
    r.coverage.push({ reason, subject: path, message: `rpmdb (${FORMAT_NAMES[format]}): ${msg}${read}` });
  }
  return r;
}

/** rpm tag numbers (rpm `include/rpm/rpmtag.h`). */
export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
} as const;

/** rpm tag value types (`rpmTagType`). */
const TYPE = {
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** rpm's own sanity limits (`lib/header.c`: hdrchkTags / hdrchkData). */
const MAX_INDEX = 0xffff;
const MAX_DATA = 0x0fffffff;

/** The fields of an rpm header Palisade reads. */
export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number | undefined;
  arch?: string | undefined;
  sourceRpm?: string | undefined;
  license?: string | undefined;
}

type Value = string | number;

/**
 * Parse an rpm header blob as stored in rpmdb (`Packages.blob`): big-endian `il` (index count), `dl` (data
 * length), `il` 16-byte index entries {tag, type, offset, count}, then the data store (rpm `lib/header.c`,
 * `headerImport`). The 8-byte header magic (8e ad e8 01 + 4 reserved bytes) of on-disk package headers is
 * accepted too. Every offset is bounds-checked; a malformed blob throws PalisadeError("INPUT").
 */
export function parseRpmHeader(blob: Uint8Array): RpmHeader {
  let base = 0;
  if (blob.length >= 8 && blob[0] === 0x8e && blob[1] === 0xad && blob[2] === 0xe8 && blob[3] === 0x01)
    base = 8;
  if (blob.length < base + 8) throw new PalisadeError("INPUT", "rpm header shorter than its preamble");
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getUint32(base);
  const dl = view.getUint32(base + 4);
  if (il < 1 || il > MAX_INDEX) throw new PalisadeError("INPUT", `rpm header index count ${il} out of range`);
  if (dl > MAX_DATA) throw new PalisadeError("INPUT", `rpm header data length ${dl} out of range`);
  const indexStart = base + 8;
  const dataStart = indexStart + il * 16;
  if (dataStart + dl > blob.length)
    throw new PalisadeError(
      "INPUT",
      `rpm header truncated: needs ${dataStart + dl} bytes, has ${blob.length}`,
    );
  const values = new Map<number, Value>();
  const wanted = new Set<number>(Object.values(RPMTAG));
  for (let i = 0; i < il; i++) {
    const e = indexStart + i * 16;
    const tag = view.getUint32(e);
    if (!wanted.has(tag)) continue;
    const type = view.getUint32(e + 4);
    const offset = view.getInt32(e + 8);
    const count = view.getUint32(e + 12);
    if (offset < 0 || offset >= dl)
      throw new PalisadeError("INPUT", `rpm tag ${tag}: offset ${offset} outside data`);
    const at = dataStart + offset;
    const end = dataStart + dl;
    if (type === TYPE.STRING || type === TYPE.STRING_ARRAY || type === TYPE.I18NSTRING) {
      // Arrays: the first string is the untranslated (C locale) value, which is what we want.
      const nul = blob.indexOf(0, at);
      if (nul < 0 || nul >= end) throw new PalisadeError("INPUT", `rpm tag ${tag}: unterminated string`);
      values.set(tag, new TextDecoder().decode(blob.subarray(at, nul)));
    } else if (type === TYPE.INT32) {
      if (count < 1 || at + 4 > end) throw new PalisadeError("INPUT", `rpm tag ${tag}: int32 outside data`);
      values.set(tag, view.getUint32(at));
    } else if (type === TYPE.INT16) {
      if (count < 1 || at + 2 > end) throw new PalisadeError("INPUT", `rpm tag ${tag}: int16 outside data`);
      values.set(tag, view.getUint16(at));
    } else if (type === TYPE.INT8) {
      if (count < 1 || at + 1 > end) throw new PalisadeError("INPUT", `rpm tag ${tag}: int8 outside data`);
      values.set(tag, blob[at] as number);
    }
  }
  const str = (t: number): string | undefined => {
    const v = values.get(t);
    return typeof v === "string" ? v : undefined;
  };
  const name = str(RPMTAG.NAME);
  const version = str(RPMTAG.VERSION);
  const release = str(RPMTAG.RELEASE);
  if (!name || version === undefined || release === undefined)
    throw new PalisadeError("INPUT", "rpm header without NAME, VERSION or RELEASE");
  const h: RpmHeader = { name, version, release };
  const epoch = values.get(RPMTAG.EPOCH);
  if (typeof epoch === "number") h.epoch = epoch;
  const arch = str(RPMTAG.ARCH);
  if (arch) h.arch = arch;
  const src = str(RPMTAG.SOURCERPM);
  if (src) h.sourceRpm = src;
  const lic = str(RPMTAG.LICENSE);
  if (lic) h.license = lic;
  return h;
}

/**
 * Split a SOURCERPM file name `name-version-release.src.rpm` into name and version-release. Name may contain
 * dashes; version and release may not (rpm forbids `-` in both).
 */
export function parseSourceRpm(file: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:src|nosrc)\.rpm$/.exec(file);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { name: m[1], version: `${m[2]}-${m[3]}` };
}

/** EVR string as rpm prints it: `epoch:version-release`, epoch omitted when absent. */
export function rpmEvr(h: Pick<RpmHeader, "epoch" | "version" | "release">): string {
  return `${h.epoch !== undefined ? `${h.epoch}:` : ""}${h.version}-${h.release}`;
}

/**
 * Catalog rpm header blobs read from an rpmdb. Each blob is parsed on its own: one corrupt header is a
 * coverage entry and the rest still count. gpg-pubkey pseudo-packages (imported keys) are skipped. A reader's
 * problem item (a record it could not read) becomes a coverage entry of the database.
 */
export function catalogRpmHeaders(blobs: Iterable<RpmDbItem>, path: string): CatalogResult {
  const packages: CatalogedPackage[] = [];
  const coverage: CatalogResult["coverage"] = [];
  let i = 0;
  for (const blob of blobs) {
    if (!(blob instanceof Uint8Array)) {
      coverage.push({ reason: blob.reason, subject: path, message: `rpmdb: ${blob.problem}` });
      continue;
    }
    i++;
    let h: RpmHeader;
    try {
      h = parseRpmHeader(blob);
    } catch (e) {
      coverage.push({
        reason: "parse-error",
        subject: path,
        message: `rpm header #${i}: ${e instanceof Error ? e.message : String(e)}`,
      });
      continue;
    }
    if (h.name === "gpg-pubkey") continue;
    const pkg: CatalogedPackage = { type: "rpm", name: h.name, version: rpmEvr(h), locations: [path] };
    if (h.arch) pkg.arch = h.arch;
    if (h.license) pkg.licenses = [h.license];
    const src = h.sourceRpm ? parseSourceRpm(h.sourceRpm) : undefined;
    if (src) {
      pkg.sourceName = src.name;
      // The source rpm shares the binary's epoch (rpm builds both from one spec file).
      pkg.sourceVersion = `${h.epoch !== undefined ? `${h.epoch}:` : ""}${src.version}`;
    }
    packages.push(pkg);
  }
  return { packages, coverage };
}
