import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ndbPackages, requireRpmTools, writeBdbPackages } from "../../../test/support/rpmdb.js";
import { Budget } from "../budget/index.js";
import { catalogRpmDatabase, isRpmDbPath, matchCataloger, rpmDbFormat } from "./index.js";

/** An rpm header blob (rpm lib/header.c layout): NAME, VERSION, RELEASE, ARCH and a SUMMARY of `pad` bytes. */
function rpmHeader(name: string, version: string, release: string, pad = 0): Buffer {
  const tags: [number, string][] = [
    [1000, name],
    [1001, version],
    [1002, release],
    [1004, "s".repeat(pad)],
    [1022, "x86_64"],
  ];
  const index = Buffer.alloc(tags.length * 16);
  const data: Buffer[] = [];
  let off = 0;
  tags.forEach(([tag, value], i) => {
    index.writeUInt32BE(tag, i * 16);
    index.writeUInt32BE(6, i * 16 + 4);
    index.writeUInt32BE(off, i * 16 + 8);
    index.writeUInt32BE(1, i * 16 + 12);
    const b = Buffer.from(`${value}\0`);
    data.push(b);
    off += b.length;
  });
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tags.length, 0);
  head.writeUInt32BE(off, 4);
  return Buffer.concat([head, index, ...data]);
}

const BDB = "var/lib/rpm/Packages";
const NDB = "usr/lib/sysimage/rpm/Packages.db";
const names = (r: { packages: { name: string }[] }) => r.packages.map((p) => p.name).sort();
/** Ten packages: p0..p4 small (stored inline), p5..p9 of 3,000 bytes (overflow chains of several 1 KiB pages). */
const BLOBS = Array.from({ length: 10 }, (_, i) => rpmHeader(`p${i}`, "1.0", `${i}.el8`, i < 5 ? 10 : 3000));
const ALL = BLOBS.map((_, i) => `p${i}`);

/** Offsets of the pages of `type` in a little-endian Berkeley DB file of `pageSize` pages. */
function pagesOfType(db: Buffer, pageSize: number, type: number): number[] {
  const out: number[] = [];
  for (let p = 1; (p + 1) * pageSize <= db.length; p++)
    if (db[p * pageSize + 25] === type) out.push(p * pageSize);
  return out;
}

/** The H_OFFPAGE items (offset of the item) on the hash pages of a little-endian file. */
function offpageItems(db: Buffer, pageSize: number): number[] {
  const out: number[] = [];
  for (const at of [...pagesOfType(db, pageSize, 2), ...pagesOfType(db, pageSize, 13)]) {
    const n = db.readUInt16LE(at + 20);
    for (let i = 1; i < n; i += 2) {
      const off = at + db.readUInt16LE(at + 26 + 2 * i);
      if (db[off] === 3) out.push(off);
    }
  }
  return out;
}

describe("rpm database paths and formats", () => {
  it("Berkeley DB and ndb files are rpm databases under both rpm directories", () => {
    expect(
      [
        "var/lib/rpm/Packages",
        "usr/lib/sysimage/rpm/Packages",
        "var/lib/rpm/Packages.db",
        "usr/lib/sysimage/rpm/Packages.db",
        "var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/Name",
        "srv/Packages",
      ].map((p) => [isRpmDbPath(p), matchCataloger(p)]),
    ).toEqual([
      [true, "rpm"],
      [true, "rpm"],
      [true, "rpm"],
      [true, "rpm"],
      [true, "rpm"],
      [false, undefined],
      [false, undefined],
    ]);
  });

  it("the backend is told by content", () => {
    expect([
      rpmDbFormat(Buffer.from("SQLite format 3\0rest")),
      rpmDbFormat(ndbPackages([])),
      rpmDbFormat(Buffer.from("not a database at all")),
    ]).toEqual(["sqlite", "ndb", undefined]);
    expect(catalogRpmDatabase(Buffer.from("not a database at all"), BDB)).toEqual({
      packages: [],
      coverage: [
        {
          reason: "parse-error",
          subject: BDB,
          message: "rpmdb: not an rpm database (neither sqlite, Berkeley DB hash nor ndb)",
        },
      ],
    });
  });
});

describe("Berkeley DB reader (files written by db5.3_load)", () => {
  let work: string;
  let good: Buffer;
  beforeAll(() => {
    requireRpmTools();
    work = mkdtempSync(join(tmpdir(), "palisade-bdb-"));
    good = readFileSync(writeBdbPackages(join(work, "good"), BLOBS, { pageSize: 1024 }));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("reads inline and overflow headers with a package's EVR, arch and location", () => {
    const r = catalogRpmDatabase(good, BDB);
    expect(r.coverage).toEqual([]);
    expect(names(r)).toEqual(ALL);
    expect(r.packages.find((p) => p.name === "p7")).toEqual({
      type: "rpm",
      name: "p7",
      version: "1.0-7.el8",
      arch: "x86_64",
      locations: [BDB],
    });
  });

  describe("pathological cases", () => {
    it("an overflow chain that loops on itself: that header is an entry, the others are read", () => {
      const db = Buffer.from(good);
      const [first] = offpageItems(db, 1024);
      const start = db.readUInt32LE((first as number) + 4);
      db.writeUInt32LE(start, start * 1024 + 16);
      const r = catalogRpmDatabase(db, BDB);
      expect(r.packages).toHaveLength(9);
      expect(r.coverage).toEqual([
        {
          reason: "parse-error",
          subject: BDB,
          message: expect.stringMatching(
            /^rpmdb: header #\d+: overflow chain returns to page \d+ \(a cycle\)$/,
          ),
        },
      ]);
    });

    it("a bucket chain that loops: the loop is an entry, every header is still read once", () => {
      const db = Buffer.from(good);
      const hash = [...pagesOfType(db, 1024, 2), ...pagesOfType(db, 1024, 13)].sort((a, b) => a - b);
      const last = hash[hash.length - 1] as number;
      db.writeUInt32LE((hash[0] as number) / 1024, last + 16);
      const r = catalogRpmDatabase(db, BDB);
      expect(names(r)).toEqual(ALL);
      expect(r.coverage).toEqual([
        {
          reason: "parse-error",
          subject: BDB,
          message: expect.stringMatching(/^rpmdb: bucket \d+: page \d+ is reached twice \(a cycle\)$/),
        },
      ]);
    });

    it("an item claiming 4 GiB is skipped; items sharing one overflow chain are charged for every copy", () => {
      const huge = Buffer.from(good);
      const items = offpageItems(huge, 1024);
      huge.writeUInt32LE(0xfffffff0, (items[0] as number) + 8);
      const r1 = catalogRpmDatabase(huge, BDB);
      expect(r1.packages).toHaveLength(9);
      expect(r1.coverage).toEqual([
        {
          reason: "limit",
          subject: BDB,
          message: expect.stringMatching(
            /^rpmdb: header #\d+ claims 4294967280 bytes, over 33554432; skipped$/,
          ),
        },
      ]);
      // Every overflow item pointed at the first chain: each copy is charged, so the budget (here a parent's
      // 8,000 bytes; by default the file's size) stops them.
      const shared = Buffer.from(good);
      const all = offpageItems(shared, 1024);
      for (const it of all) shared.copy(shared, it, all[0] as number, (all[0] as number) + 12);
      const r2 = catalogRpmDatabase(shared, BDB, new Budget("image", { "header bytes": 8000 }));
      expect(r2.packages.length).toBeLessThan(10);
      expect(r2.coverage).toEqual([
        {
          reason: "limit",
          subject: BDB,
          message:
            "rpmdb (Berkeley DB): image: over the header bytes budget of 8000 bytes; the rest was not read",
        },
      ]);
    });

    it("an overflow page claiming no bytes ends that header (no endless walk over empty pages)", () => {
      const db = Buffer.from(good);
      const [ov] = pagesOfType(db, 1024, 7);
      db.writeUInt16LE(0, (ov as number) + 22);
      const r = catalogRpmDatabase(db, BDB);
      expect(r.packages).toHaveLength(9);
      expect(r.coverage).toEqual([
        {
          reason: "parse-error",
          subject: BDB,
          message: expect.stringMatching(/^rpmdb: header #\d+: overflow page \d+ claims 0 bytes/),
        },
      ]);
    });

    it("a truncated file: what its pages hold is read, the rest is said", () => {
      const cut = good.subarray(0, Math.floor(good.length / 2));
      const r = catalogRpmDatabase(cut, BDB);
      expect(r.packages.length).toBeLessThan(10);
      expect(r.coverage[0]).toEqual({
        reason: "parse-error",
        subject: BDB,
        message: expect.stringMatching(
          /^rpmdb: file is truncated: the meta page says \d+ pages of 1024 bytes, the file holds \d+$/,
        ),
      });
      expect(r.coverage.slice(1).every((c) => /truncated|past the end/.test(c.message))).toBe(true);
    });

    it("a meta page with an impossible page size or bucket count is refused", () => {
      const ps = Buffer.from(good);
      ps.writeUInt32LE(1000, 20);
      const mb = Buffer.from(good);
      mb.writeUInt32LE(0x7fffffff, 72);
      expect([catalogRpmDatabase(ps, BDB).coverage, catalogRpmDatabase(mb, BDB).coverage]).toEqual([
        [
          {
            reason: "parse-error",
            subject: BDB,
            message:
              "rpmdb (Berkeley DB): Berkeley DB hash: page size 1000 is not a power of two from 512 to 65536",
          },
        ],
        [
          {
            reason: "parse-error",
            subject: BDB,
            message: expect.stringMatching(
              /^rpmdb \(Berkeley DB\): Berkeley DB hash: highest bucket 2147483647 beyond the last page \d+$/,
            ),
          },
        ],
      ]);
    });

    it("a file with page checksums (libdb can write one; rpm never does, and rpm cannot read it) is unsupported", () => {
      const file = writeBdbPackages(join(work, "chksum"), BLOBS, { pageSize: 1024, checksums: true });
      expect(catalogRpmDatabase(readFileSync(file), BDB)).toEqual({
        packages: [],
        coverage: [
          {
            reason: "unsupported",
            subject: BDB,
            message:
              "rpmdb (Berkeley DB): Berkeley DB hash: pages carry checksums (not an rpm database layout)",
          },
        ],
      });
    });

    it("a meta page claiming 4 billion pages and buckets: the walk stays within the file's own pages", () => {
      const db = Buffer.from(good);
      db.writeUInt32LE(0xfffffff0, 32);
      db.writeUInt32LE(0xffffffe0, 72);
      const r = catalogRpmDatabase(db, BDB);
      expect(r.coverage.slice(0, 2)).toEqual([
        {
          reason: "parse-error",
          subject: BDB,
          message:
            "rpmdb: file is truncated: the meta page says 4294967281 pages of 1024 bytes, the file holds 23",
        },
        {
          reason: "parse-error",
          subject: BDB,
          message:
            "rpmdb: the meta page claims 4294967265 buckets, the file holds 23 pages; buckets past 21 not read",
        },
      ]);
      expect(r.coverage.length).toBeLessThanOrEqual(102);
    });

    it("a file that is mostly damage: 100 entries, then one saying the rest was not read", () => {
      // 300 slots naming blocks inside the slot pages (rpm's "bad entry").
      const db = ndbPackages([], { freeSlots: 0 });
      const big = Buffer.concat([db, Buffer.alloc(4096)]);
      big.writeUInt32LE(2, 12);
      for (let at = 4096; at < 8192; at += 16) big.writeUInt32LE(0x746f6c53, at);
      for (let i = 0; i < 300; i++) {
        big.writeUInt32LE(i + 1, 32 + i * 16 + 4);
        big.writeUInt32LE(1, 32 + i * 16 + 8);
        big.writeUInt32LE(1, 32 + i * 16 + 12);
      }
      const r = catalogRpmDatabase(big, NDB);
      expect(r.coverage).toHaveLength(101);
      expect(r.coverage.at(-1)).toEqual({
        reason: "parse-error",
        subject: NDB,
        message: "rpmdb (ndb): more than 100 unreadable records; the rest was not read",
      });
    });

    it("rows over the budget: what was read is kept, a limit entry says the rest was not", () => {
      const r = catalogRpmDatabase(good, BDB, new Budget("image", { rows: 3 }));
      expect(r.packages).toHaveLength(3);
      expect(r.coverage).toEqual([
        {
          reason: "limit",
          subject: BDB,
          message: "rpmdb: row budget reached after 3 rows; the rest was not read",
        },
      ]);
    });

    it("random corruption never throws, hangs or reads past the file's own size in header bytes", () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 40,
          }),
          (flips) => {
            const db = Buffer.from(good);
            for (const [at, v] of flips) db[at] = v;
            const budget = new Budget("image", {});
            const r = catalogRpmDatabase(db, BDB, budget);
            expect(budget.usedOf("header bytes")).toBeLessThanOrEqual(db.length);
            expect(r.packages.length).toBeLessThanOrEqual(10);
            for (const c of r.coverage) expect(["parse-error", "limit", "unsupported"]).toContain(c.reason);
          },
        ),
        { numRuns: 300, seed: 18 },
      );
    });

    it("any 32-bit values in the meta page's counts and spares table: the walk ends within the file", () => {
      const fields = [20, 32, 72, 76, 80, ...Array.from({ length: 32 }, (_, k) => 96 + 4 * k)];
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom(...fields), fc.nat(0xffffffff)), { minLength: 1, maxLength: 8 }),
          (writes) => {
            const db = Buffer.from(good);
            for (const [at, v] of writes) db.writeUInt32LE(v, at);
            const r = catalogRpmDatabase(db, BDB);
            expect(r.packages.length).toBeLessThanOrEqual(10);
            expect(r.coverage.length).toBeLessThanOrEqual(103);
          },
        ),
        { numRuns: 300, seed: 18 },
      );
    });
  });
});

describe("ndb reader (files written from rpm's rpmpkg.c layout)", () => {
  const good = ndbPackages(BLOBS, { freeSlots: 3 });
  const slotAt = (i: number) => 32 + (3 + i) * 16;

  it("reads every used slot and skips free ones", () => {
    const r = catalogRpmDatabase(good, NDB);
    expect(r.coverage).toEqual([]);
    expect(names(r)).toEqual(ALL);
  });

  describe("pathological cases", () => {
    it("a slot past the end of the file, a blob whose tail is gone, a second slot for one package", () => {
      const db = Buffer.from(good);
      db.writeUInt32LE(0x00ffffff, slotAt(0) + 8);
      const tailOf1 = (db.readUInt32LE(slotAt(1) + 8) + db.readUInt32LE(slotAt(1) + 12)) * 16 - 4;
      db.writeUInt32LE(0, tailOf1);
      db.copy(db, slotAt(-1), slotAt(2), slotAt(2) + 16);
      const r = catalogRpmDatabase(db, NDB);
      expect(names(r)).toEqual(ALL.slice(2));
      expect(r.coverage.map((c) => c.message)).toEqual([
        expect.stringMatching(/^rpmdb: slot 5: package 1 ends at block \d+, past the end of the file/),
        "rpmdb: package 2: blob tail missing or its length differs",
        "rpmdb: slot 7: package 3 has a second slot; skipped",
      ]);
    });

    it("blobs nested inside each other stop at the header-bytes budget (the file's size), not K times it", () => {
      // Blob i starts 2 blocks after blob i-1 and ends 2 blocks before it: every head and tail is intact, and the
      // 50 blobs together claim about 50 times the file.
      const K = 50;
      const E = 256 + 6000;
      const db = Buffer.alloc(E * 16);
      db.writeUInt32LE(0x506d7052, 0);
      db.writeUInt32LE(1, 12);
      for (let at = 32; at < 4096; at += 16) db.writeUInt32LE(0x746f6c53, at);
      for (let i = 0; i < K; i++) {
        const start = 256 + 2 * i;
        const count = E - 2 * i - start;
        const length = count * 16 - 28;
        const slot = 32 + i * 16;
        db.writeUInt32LE(i + 1, slot + 4);
        db.writeUInt32LE(start, slot + 8);
        db.writeUInt32LE(count, slot + 12);
        db.writeUInt32LE(0x53626c42, start * 16);
        db.writeUInt32LE(i + 1, start * 16 + 4);
        db.writeUInt32LE(length, start * 16 + 12);
        const tail = (start + count) * 16 - 12;
        db.writeUInt32LE(length, tail + 4);
        db.writeUInt32LE(0x45626c42, tail + 8);
      }
      const budget = new Budget("image", {});
      const r = catalogRpmDatabase(db, NDB, budget);
      expect(budget.usedOf("header bytes")).toBeLessThanOrEqual(db.length);
      expect(r.packages).toEqual([]);
      expect(r.coverage.at(-1)).toEqual({
        reason: "limit",
        subject: NDB,
        message: `rpmdb (ndb): rpmdb ${NDB}: over the header bytes budget of 100096 bytes; the rest was not read`,
      });
    });

    it("a slot page without Slot magic refuses the rest (rpm refuses the file)", () => {
      const db = Buffer.from(good);
      db.writeUInt32LE(0, slotAt(4));
      const r = catalogRpmDatabase(db, NDB);
      expect(names(r)).toEqual(ALL.slice(0, 4));
      expect(r.coverage).toEqual([
        {
          reason: "parse-error",
          subject: NDB,
          message: "rpmdb (ndb): ndb: slot 9 has no Slot magic (corrupt slot page); the rest was not read",
        },
      ]);
    });

    it("a blob claiming 4 GiB is skipped; a truncated file is said", () => {
      const db = Buffer.from(good);
      db.writeUInt32LE(0xfffffff0, db.readUInt32LE(slotAt(0) + 8) * 16 + 12);
      expect(catalogRpmDatabase(db, NDB).coverage).toEqual([
        {
          reason: "limit",
          subject: NDB,
          message: "rpmdb: package 1 claims 4294967280 bytes, over 33554432; skipped",
        },
      ]);
      const cut = catalogRpmDatabase(good.subarray(0, good.length - 100), NDB);
      expect(cut.packages.length).toBe(9);
      expect(cut.coverage.map((c) => c.message)).toEqual([
        `rpmdb: file size ${good.length - 100} is not a multiple of 16 (truncated?)`,
        expect.stringMatching(/^rpmdb: slot \d+: package 10 ends at block \d+, past the end of the file/),
      ]);
    });

    it("random corruption never throws or hangs", () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 40,
          }),
          (flips) => {
            const db = Buffer.from(good);
            for (const [at, v] of flips) db[at] = v;
            const budget = new Budget("image", {});
            const r = catalogRpmDatabase(db, NDB, budget);
            expect(budget.usedOf("header bytes")).toBeLessThanOrEqual(db.length);
            expect(r.packages.length).toBeLessThanOrEqual(10);
          },
        ),
        { numRuns: 300, seed: 18 },
      );
    });
  });
});
