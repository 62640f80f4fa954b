import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { advisoryKey, type OsvRecord } from "../../core/vuln/index.js";
import { MemoryVulnStore } from "./memory.js";
import { SqliteVulnStore } from "./sqlite.js";
import type { VulnStore } from "./vuln-store.js";

const tmp = mkdtempSync(join(tmpdir(), "palisade-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function rec(
  id: string,
  modified: string,
  pkgs: [string, string][],
  extra: Partial<OsvRecord> = {},
): OsvRecord {
  return {
    id,
    modified,
    aliases: [],
    related: [],
    upstream: [],
    severity: [],
    affected: pkgs.map(([ecosystem, name]) => ({
      package: { ecosystem, name },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.0" }] }],
      versions: [],
      severity: [],
    })),
    ...extra,
  };
}

let n = 0;
const IMPLEMENTATIONS: [string, () => VulnStore][] = [
  ["memory", () => new MemoryVulnStore()],
  ["sqlite (:memory:)", () => new SqliteVulnStore(":memory:")],
  ["sqlite (file)", () => new SqliteVulnStore(join(tmp, `db-${n++}`, "palisade.db"))],
];

// One contract, every backend (STYLE.md convention 8). PostgreSQL is not implemented yet: `pg` is not installed.
describe.each(IMPLEMENTATIONS)("VulnStore contract: %s", (_name, make) => {
  it("indexes a record under each (base ecosystem, normalised name) it affects", () => {
    const s = make();
    const a = rec("A-1", "2024-01-01T00:00:00Z", [
      ["Debian:12", "openssl"],
      ["Debian:11", "openssl"],
      ["PyPI", "Foo_Bar"],
    ]);
    expect(s.putRecords([a])).toEqual({ written: 1, unchanged: 0 });
    const got = s.lookup([
      advisoryKey("Debian", "openssl"),
      advisoryKey("PyPI", "foo.bar"),
      advisoryKey("npm", "x"),
    ]);
    expect(got).toEqual(
      new Map([
        [advisoryKey("Debian", "openssl"), [a]],
        [advisoryKey("PyPI", "foo-bar"), [a]],
      ]),
    );
    s.close();
  });

  it("returns several records per key sorted by id", () => {
    const s = make();
    const b = rec("B-2", "2024-01-01T00:00:00Z", [["npm", "lodash"]]);
    const a = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "lodash"]]);
    s.putRecords([b, a]);
    expect(s.lookup([advisoryKey("npm", "lodash")]).get(advisoryKey("npm", "lodash"))).toEqual([a, b]);
    s.close();
  });

  it("replaces a record with a newer or equal modified and keeps it against an older one", () => {
    const s = make();
    const v1 = rec("X-1", "2024-01-01T00:00:00Z", [["npm", "old-name"]]);
    const v2 = rec("X-1", "2024-02-01T00:00:00Z", [["npm", "new-name"]]);
    const v0 = rec("X-1", "2023-01-01T00:00:00Z", [["npm", "ancient"]]);
    s.putRecords([v1]);
    expect(s.putRecords([v2])).toEqual({ written: 1, unchanged: 0 });
    expect(s.putRecords([v0])).toEqual({ written: 0, unchanged: 1 });
    expect(s.lookup(["npm\u0000old-name", "npm\u0000new-name", "npm\u0000ancient"])).toEqual(
      new Map([["npm\u0000new-name", [v2]]]),
    );
    s.close();
  });

  it("reports status: counts, ecosystems, import time and newest modified", () => {
    const s = make();
    expect(s.status()).toEqual({
      advisories: 0,
      packages: 0,
      byEcosystem: {},
      importedAt: undefined,
      newestModified: undefined,
    });
    s.putRecords([
      rec("A-1", "2024-01-01T00:00:00Z", [
        ["Debian:12", "openssl"],
        ["Debian:11", "openssl"],
      ]),
      rec("B-1", "2024-03-05T10:00:00Z", [["npm", "semver"]]),
      rec("C-1", "2023-03-05T10:00:00Z", [["__proto__", "x"]]),
    ]);
    s.markImported("2024-03-06T00:00:00.000Z");
    expect(s.status()).toEqual({
      advisories: 3,
      packages: 3,
      byEcosystem: Object.fromEntries([
        ["Debian", 1],
        ["__proto__", 1],
        ["npm", 1],
      ]),
      importedAt: "2024-03-06T00:00:00.000Z",
      newestModified: "2024-03-05T10:00:00Z",
    });
    s.close();
  });

  it("round-trips every field of a record", () => {
    const s = make();
    const full = rec("GHSA-1", "2024-01-01T00:00:00Z", [["npm", "semver"]], {
      aliases: ["CVE-1"],
      withdrawn: "2024-02-01T00:00:00Z",
      summary: "s",
      details: "d",
      severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" }],
      databaseSpecific: { severity: "MODERATE" },
    });
    s.putRecords([full]);
    expect(s.lookup([advisoryKey("npm", "semver")]).get(advisoryKey("npm", "semver"))).toEqual([full]);
    s.close();
  });
});

describe("SqliteVulnStore", () => {
  it("persists across reopen", () => {
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
