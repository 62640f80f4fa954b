import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { catalogRpmSqlite } from "./rpmdb.js";

const require = createRequire(import.meta.url);
type Db = {
  exec(sql: string): void;
  prepare(sql: string): { run(...a: unknown[]): void };
  serialize(): Buffer;
};
const Database = require("better-sqlite3") as new (path: string) => Db;

/** An rpm header blob (rpm lib/header.c layout) with NAME, VERSION, RELEASE and ARCH string tags. */
function rpmHeader(name: string, version: string, release: string): Buffer {
  const tags: [number, string][] = [
    [1000, name],
    [1001, version],
    [1002, release],
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

/** A database built by SQLite itself from `schema`, with `rows` inserted through `insert`. */
function sqliteFile(schema: string, insert?: string, rows: unknown[][] = []): Buffer {
  const db = new Database(":memory:");
  db.exec(schema);
  if (insert) for (const r of rows) db.prepare(insert).run(...r);
  return db.serialize();
}

const RPM_SCHEMA = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)";
const P = "var/lib/rpm/rpmdb.sqlite";

describe("catalogRpmSqlite", () => {
  it("reads rpm's own schema", () => {
    const file = sqliteFile(RPM_SCHEMA, "INSERT INTO Packages (blob) VALUES (?)", [
      [rpmHeader("bash", "5.1.8", "9.el9")],
      [rpmHeader("glibc", "2.34", "100.el9")],
    ]);
    const r = catalogRpmSqlite(file, P);
    expect(r.coverage).toEqual([]);
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      "bash@5.1.8-9.el9",
      "glibc@2.34-100.el9",
    ]);
  });

  describe("pathological cases", () => {
    const refused = (schema: string, why: string) => {
      const r = catalogRpmSqlite(sqliteFile(schema), P);
      expect(r).toEqual({
        packages: [],
        coverage: [
          {
            reason: "parse-error",
            subject: P,
            message: `rpmdb: not an rpm sqlite database: ${why} (only rpm's own Packages table is read)`,
          },
        ],
      });
    };

    it("a recursive-CTE view named Packages is refused without running it", () => {
      refused(
        "CREATE VIEW Packages AS WITH RECURSIVE r(hnum, blob) AS (SELECT 1, zeroblob(1000) UNION ALL SELECT hnum + 1, blob FROM r) SELECT hnum, blob FROM r",
        "Packages is a view, not a table",
      );
    });

    it("a generated column or a default expression is refused", () => {
      refused(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, seed INTEGER, blob BLOB AS (zeroblob(seed)) VIRTUAL)",
        "Packages.blob is a generated or hidden column",
      );
      refused(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB DEFAULT (zeroblob(1000000000)))",
        "Packages.blob has a default expression",
      );
    });

    it("no Packages table, or hnum that is not the integer primary key", () => {
      refused("CREATE TABLE Other (a)", "no Packages table");
      refused("CREATE TABLE Packages (hnum TEXT, blob BLOB)", "Packages.hnum is not its INTEGER PRIMARY KEY");
      refused(
        "CREATE TABLE t (a); CREATE VIRTUAL TABLE Packages USING fts5(hnum, blob)",
        "Packages is not a plain table",
      );
    });

    it("rows over the row budget: what was read is kept, a limit entry says the rest was not", () => {
      const rows = Array.from({ length: 100_005 }, (_, i) => [
        i + 1,
        i < 3 ? rpmHeader(`p${i}`, "1", "1") : Buffer.alloc(0),
      ]);
      const db = new Database(":memory:");
      db.exec(RPM_SCHEMA);
      db.exec("BEGIN");
      const ins = db.prepare("INSERT INTO Packages (hnum, blob) VALUES (?, ?)");
      for (const r of rows) ins.run(...r);
      db.exec("COMMIT");
      const r = catalogRpmSqlite(db.serialize(), P);
      expect(r.packages.map((p) => p.name)).toEqual(["p0", "p1", "p2"]);
      expect(r.coverage.filter((c) => c.reason === "limit")).toEqual([
        { reason: "limit", subject: P, message: "rpmdb has more than 100000 rows; the rest was not read" },
      ]);
    });
  });
});
