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
