import type { Budget } from "../budget/index.js";
import { PalisadeError } from "../errors/index.js";
import type { RpmDbItem } from "./rpmdb-item.js";

/**
 * Berkeley DB hash database, as rpm < 4.16 stores `/var/lib/rpm/Packages` (RHEL/CentOS 7 and 8, UBI 8, Amazon
 * Linux 2). Layout from Berkeley DB's `dbinc/db_page.h` and `hash/hash.h`, read the way rpm's own read-only
 * backend reads it (`lib/backend/bdb_ro.c`): the hash meta page (page 0) gives the page size, the last page,
 * the highest bucket and the `spares` table that maps a bucket to its first page; each bucket is a chain of
 * hash pages (`next_pgno`) holding key/data item pairs; an item too big for a page is an `H_OFFPAGE` reference
 * to a chain of overflow pages. The file is in the byte order of the host that wrote it; the magic tells which.
 *
 * Keys of rpm's Packages database are 4-byte header numbers in that byte order; key 0 holds the next free
 * header number (rpm's `pkgdbNew`), not a header, and is skipped as rpm skips it.
 *
 * Hostile files: every page number is range-checked and must name its own page; a hash page may belong to one
 * bucket chain only (a cycle or a shared page stops the walk with an entry); an overflow chain may not revisit a
 * page and every overflow page must carry at least one byte, so assembling an item of `n` bytes reads at most `n`
 * pages; every byte copied is charged to the budget's "header bytes" (the file's size), so items sharing pages
 * cannot make the reader copy more than the file holds.
 */
const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
/** Size of the generic page header (`PAGE`): lsn, pgno, prev, next, entries, hf_offset, level, type. */
const PAGE_HEADER = 26;
const ITEM_TYPES: Record<number, string> = {
  1: "H_KEYDATA",
  2: "H_DUPLICATE",
  3: "H_OFFPAGE",
  4: "H_OFFDUP",
  5: "H_BLOB",
};

/** Whether `data` starts like a Berkeley DB hash database (magic at offset 12, either byte order). */
export function isBdbHash(data: Uint8Array): boolean {
  if (data.length < 16) return false;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return v.getUint32(12, true) === HASH_MAGIC || v.getUint32(12, false) === HASH_MAGIC;
}

const bad = (why: string) => new PalisadeError("INPUT", `Berkeley DB hash: ${why}`);

/**
 * Yield the header blobs of a Berkeley DB hash `Packages` file, bucket by bucket, and what could not be read as
 * problem items. Throws PalisadeError for a file that is not a readable hash database at all (bad meta page),
 * and BudgetExceeded when rows or header bytes run out (the caller keeps what was yielded).
 */
export function* readBdbPackages(
  data: Uint8Array,
  budget: Budget,
  maxRowBytes: number,
): Generator<RpmDbItem> {
  if (data.length < 512) throw bad(`file is ${data.length} bytes, shorter than its 512-byte meta page`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = view.getUint32(12, true) === HASH_MAGIC;
  if (!le && view.getUint32(12, false) !== HASH_MAGIC) throw bad("no hash magic at offset 12");
  const u32 = (o: number) => view.getUint32(o, le);
  const u16 = (o: number) => view.getUint16(o, le);
  const version = u32(16);
  // rpm's bdb_ro accepts hash versions 8 to 10 (Berkeley DB 4.x to 6.x).
  if (version < 8 || version > 10)
    throw new PalisadeError("UNSUPPORTED", `Berkeley DB hash version ${version} (8 to 10 are read)`);
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    throw bad(`page size ${pageSize} is not a power of two from 512 to 65536`);
  if (data[24] !== 0) throw new PalisadeError("UNSUPPORTED", "Berkeley DB hash: encrypted database");
  if (data[25] !== P_HASHMETA) throw bad(`page 0 is of type ${data[25]}, not the hash meta page`);
  // DBMETA_CHKSUM moves every page's item index past a checksum. rpm never creates its databases with checksums
  // (nor can its own bdb_ro read them), so such a file is said to be unsupported rather than misread.
  if (((data[26] as number) & 0x01) !== 0)
    throw new PalisadeError(
      "UNSUPPORTED",
      "Berkeley DB hash: pages carry checksums (not an rpm database layout)",
    );
  const lastPage = u32(32);
  const maxBucket = u32(72);
  if (maxBucket > lastPage) throw bad(`highest bucket ${maxBucket} beyond the last page ${lastPage}`);
  const spares: number[] = [];
  for (let i = 0; i < 32; i++) spares.push(u32(96 + 4 * i));
  const pagesInFile = Math.floor(data.length / pageSize);
  if (pagesInFile < lastPage + 1)
    yield {
      reason: "parse-error",
      problem: `file is truncated: the meta page says ${lastPage + 1} pages of ${pageSize} bytes, the file holds ${pagesInFile}`,
    };
  // Every bucket owns at least one page, so a file holds fewer buckets than pages: the walk never visits more
  // buckets than that, whatever the meta page claims (4 billion buckets in a 4 KiB file would never end).
  const lastBucket = Math.min(maxBucket, pagesInFile - 2);
  if (lastBucket < maxBucket)
    yield {
      reason: "parse-error",
      problem: `the meta page claims ${maxBucket + 1} buckets, the file holds ${pagesInFile} pages; buckets past ${lastBucket} not read`,
    };

  /** Offset of page `pgno` after checking it exists, is in the file and names itself; else why not. */
  const page = (pgno: number): number | string => {
    if (pgno === 0 || pgno > lastPage) return `page ${pgno} is outside 1..${lastPage}`;
    if (pgno >= pagesInFile) return `page ${pgno} is past the end of the file (truncated)`;
    const at = pgno * pageSize;
    if (u32(at + 8) !== pgno) return `page ${pgno} names itself page ${u32(at + 8)}`;
    return at;
  };

  const bucketPage = (bucket: number): number => {
    let bits = 0;
    for (let b = bucket; b !== 0; b >>>= 1) bits++;
    return (bucket + (spares[bits] ?? 0)) >>> 0;
  };

  // Bytes are charged as each overflow page is copied: a chain cut short by a truncated file charges only what
  // it held, and a chain claiming more than the budget stops at the budget.
  const overflow = (start: number, length: number): Uint8Array | string => {
    const chunks: Uint8Array[] = [];
    const visited = new Set<number>();
    let got = 0;
    let pg = start;
    while (got < length) {
      if (pg === 0) return `overflow chain ends after ${got} of ${length} bytes`;
      if (visited.has(pg)) return `overflow chain returns to page ${pg} (a cycle)`;
      visited.add(pg);
      const at = page(pg);
      if (typeof at === "string") return `overflow chain: ${at}`;
      if (data[at + 25] !== P_OVERFLOW) return `overflow chain: page ${pg} is of type ${data[at + 25]}`;
      const n = u16(at + 22);
      if (n === 0 || PAGE_HEADER + n > pageSize || n > length - got)
        return `overflow page ${pg} claims ${n} bytes (${length - got} expected at most)`;
      budget.charge("header bytes", n);
      chunks.push(data.subarray(at + PAGE_HEADER, at + PAGE_HEADER + n));
      got += n;
      pg = u32(at + 16);
    }
    const out = new Uint8Array(length);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  };

  const seen = new Set<number>();
  for (let bucket = 0; bucket <= lastBucket; bucket++) {
    let pg = bucketPage(bucket);
    while (pg !== 0) {
      if (seen.has(pg)) {
        yield { reason: "parse-error", problem: `bucket ${bucket}: page ${pg} is reached twice (a cycle)` };
        break;
      }
      seen.add(pg);
      const at = page(pg);
      if (typeof at === "string") {
        yield { reason: "parse-error", problem: `bucket ${bucket}: ${at}` };
        break;
      }
      const type = data[at + 25];
      if (type !== P_HASH_UNSORTED && type !== P_HASH) {
        yield {
          reason: "parse-error",
          problem: `bucket ${bucket}: page ${pg} is of type ${type}, not a hash page`,
        };
        break;
      }
      const entries = u16(at + 20);
      const first = PAGE_HEADER + 2 * entries;
      if (entries % 2 !== 0 || first > pageSize) {
        yield { reason: "parse-error", problem: `page ${pg}: ${entries} entries do not fit or do not pair` };
        break;
      }
      // Items are stored from the end of the page down: item i spans [inp[i], inp[i-1]) (inp[-1] = page size).
      const item = (i: number): { off: number; len: number } | undefined => {
        const off = u16(at + PAGE_HEADER + 2 * i);
        const end = i === 0 ? pageSize : u16(at + PAGE_HEADER + 2 * (i - 1));
        if (off < first || off >= end || end > pageSize) return undefined;
        return { off: at + off, len: end - off };
      };
      for (let i = 0; i < entries; i += 2) {
        const k = item(i);
        const v = item(i + 1);
        if (!k || !v) {
          yield { reason: "parse-error", problem: `page ${pg}: item ${i} has offsets outside the page` };
          continue;
        }
        if (data[k.off] !== H_KEYDATA || k.len !== 5) {
          yield {
            reason: "parse-error",
            problem: `page ${pg}: key ${i / 2} is ${ITEM_TYPES[data[k.off] as number] ?? `type ${data[k.off]}`} of ${k.len - 1} bytes, not a 4-byte header number`,
          };
          continue;
        }
        const hdrNum = u32(k.off + 1);
        if (hdrNum === 0) continue;
        if (!budget.fits("rows")) {
          yield {
            reason: "limit",
            problem: `row budget reached after ${budget.usedOf("rows")} rows; the rest was not read`,
          };
          return;
        }
        budget.charge("rows");
        const vt = data[v.off];
        if (vt === H_KEYDATA) {
          budget.charge("header bytes", v.len - 1);
          yield data.subarray(v.off + 1, v.off + v.len);
        } else if (vt === H_OFFPAGE && v.len === 12) {
          const length = u32(v.off + 8);
          if (length > maxRowBytes) {
            yield {
              reason: "limit",
              problem: `header #${hdrNum} claims ${length} bytes, over ${maxRowBytes}; skipped`,
            };
            continue;
          }
          const blob = overflow(u32(v.off + 4), length);
          if (typeof blob === "string")
            yield { reason: "parse-error", problem: `header #${hdrNum}: ${blob}` };
          else yield blob;
        } else {
          yield {
            reason: "parse-error",
            problem: `header #${hdrNum}: value is ${ITEM_TYPES[vt as number] ?? `type ${vt}`}, not a header`,
          };
        }
      }
      pg = u32(at + 16);
    }
  }
}
