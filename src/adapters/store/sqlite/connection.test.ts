import { afterEach, describe, expect, it } from "vitest";
import { openSqlite, prepared, type SqliteDatabase } from "./connection.js";

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
