import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite, prepared, type SqliteDatabase, useWal } from "./connection.js";

let db: SqliteDatabase | undefined;
afterEach(() => db?.close());

describe("prepared", () => {
  it("compiles a statement text once per connection and reuses it, across a schema change", () => {
    db = openSqlite(":memory:");
    db.exec("CREATE TABLE t (a INTEGER)");
    const insert = prepared(db, "INSERT INTO t (a) VALUES (?)");
    expect(prepared(db, "INSERT INTO t (a) VALUES (?)")).toBe(insert);
    expect(prepared(db, "SELECT a FROM t ORDER BY a")).not.toBe(insert);
    insert.run(1);
    db.exec("CREATE TABLE u (b TEXT); CREATE INDEX t_by_a ON t (a)");
    prepared(db, "INSERT INTO t (a) VALUES (?)").run(2);
    expect(prepared(db, "SELECT a FROM t ORDER BY a").all()).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("keeps statements per connection: another connection prepares its own", () => {
    db = openSqlite(":memory:");
    const other = openSqlite(":memory:");
    try {
      expect(prepared(other, "SELECT 1 AS x")).not.toBe(prepared(db, "SELECT 1 AS x"));
      expect(prepared(other, "SELECT 1 AS x").get()).toEqual({ x: 1 });
    } finally {
      other.close();
    }
  });
});

describe("useWal", () => {
  const busy = () => Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });

  it("tries the switch again while SQLite answers busy at once, then goes on (test double connection)", () => {
    let calls = 0;
    const slept: number[] = [];
    const double = {
      pragma: (sql: string) => {
        expect(sql).toBe("journal_mode = WAL");
        if (++calls <= 3) throw busy();
        return "wal";
      },
    };
    useWal(double, 60_000, (ms) => slept.push(ms));
    expect(calls).toBe(4);
    expect(slept).toEqual([1, 2, 4]);
  });

  it("gives up with SQLite's error at the timeout, and throws any other error at once (test double connection)", () => {
    let slept = 0;
    expect(() =>
      useWal(
        {
          pragma: () => {
            throw busy();
          },
        },
        0,
        () => slept++,
      ),
    ).toThrow("database is locked");
    expect(slept).toBe(0);
    const io = Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
    expect(() =>
      useWal(
        {
          pragma: () => {
            throw io;
          },
        },
        60_000,
        () => slept++,
      ),
    ).toThrow("disk I/O error");
    expect(slept).toBe(0);
  });

  it("opens a new file while another process holds its write lock: waits for it instead of 'database is locked'", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-wal-"));
    const file = join(dir, "new.db");
    const locked = join(dir, "locked");
    const release = join(dir, "release");
    // Another process creates the file in SQLite's default (rollback) journal mode and holds a write transaction
    // until told to end it. Switching to WAL then needs the lock it holds, and SQLite answers busy at once.
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve("better-sqlite3"))});
         const fs = require("node:fs");
         const db = new Database(${JSON.stringify(file)});
         db.exec("BEGIN IMMEDIATE; CREATE TABLE held (a INTEGER)");
         fs.writeFileSync(${JSON.stringify(locked)}, "");
         const wait = () => (fs.existsSync(${JSON.stringify(release)}) ? (db.exec("COMMIT"), db.close()) : setTimeout(wait, 10));
         wait();`,
      ],
      { stdio: "ignore" },
    );
    try {
      await until(() => existsSync(locked));
      // The holder ends its transaction only once the open below is under way (a thread of this process tells it
      // while the open, which is synchronous, holds this one).
      const teller = new Worker(
        `const { parentPort, workerData } = require("node:worker_threads");
         const fs = require("node:fs");
         parentPort.once("message", () => setTimeout(() => fs.writeFileSync(workerData, ""), 200));`,
        { eval: true, workerData: release },
      );
      try {
        await new Promise<void>((resolve) => teller.once("online", () => resolve()));
        teller.postMessage("open started");
        db = openSqlite(file, { lockTimeoutMs: 30_000 });
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(db.prepare("SELECT count(*) AS n FROM held").get()).toEqual({ n: 0 });
      } finally {
        await teller.terminate();
      }
    } finally {
      holder.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Resolve once `done()` holds, checking every 10 ms. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
}
