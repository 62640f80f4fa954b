import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryVulnStore } from "./memory.js";
import { SqliteVulnStore } from "./sqlite.js";
import { describeVulnStoreContract, rec } from "./vuln-store.contract.js";

const tmp = mkdtempSync(join(tmpdir(), "palisade-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
// One contract, every backend (STYLE.md convention 8). PostgreSQL runs the same suite against a real server in
// test/integration/vuln-store-postgres.test.ts.
describeVulnStoreContract("memory", () => new MemoryVulnStore());
describeVulnStoreContract("sqlite (:memory:)", () => new SqliteVulnStore(":memory:"));
describeVulnStoreContract("sqlite (file)", () => new SqliteVulnStore(join(tmp, `db-${n++}`, "palisade.db")));

describe("SqliteVulnStore", () => {
  it("persists across reopen, and answers synchronously", () => {
    const file = join(tmp, "persist", "p.db");
    const s1 = new SqliteVulnStore(file);
    const r = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
    s1.putRecords([r]);
    s1.markImported("2024-01-02T00:00:00.000Z");
    s1.close();
    const s2 = new SqliteVulnStore(file);
    expect([s2.lookup(["npm\u0000a"]).get("npm\u0000a"), s2.status().importedAt]).toEqual([
      [r],
      "2024-01-02T00:00:00.000Z",
    ]);
    s2.close();
  });
});

describe("SqliteVulnStore imports", () => {
  it("an import closed without finishing (as a killed process) leaves the previous data and reads as interrupted", () => {
    const file = join(tmp, "interrupted", "p.db");
    const s1 = new SqliteVulnStore(file);
    const a = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
    s1.beginImport("2024-01-02T00:00:00.000Z");
    s1.putRecords([a]);
    s1.finishImport("2024-01-02T00:01:00.000Z");
    s1.beginImport("2024-01-03T00:00:00.000Z");
    s1.putRecords([rec("B-1", "2024-01-01T00:00:00Z", [["npm", "b"]])]);
    s1.close();
    const s2 = new SqliteVulnStore(file);
    const st = s2.status();
    expect([
      st.importState,
      st.importStartedAt,
      st.importedAt,
      st.advisories,
      s2.lookup(["npm\u0000a"]),
    ]).toEqual([
      "interrupted",
      "2024-01-03T00:00:00.000Z",
      "2024-01-02T00:01:00.000Z",
      1,
      new Map([["npm\u0000a", [a]]]),
    ]);
    // The next import that finishes makes it complete again.
    s2.beginImport("2024-01-04T00:00:00.000Z");
    s2.finishImport("2024-01-04T00:01:00.000Z");
    expect(s2.status().importState).toBe("complete");
    s2.close();
  });
});
