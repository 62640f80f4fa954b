import { afterEach, describe, expect, it } from "vitest";
import type { VulnStore } from "../../src/adapters/store/index.js";
import { advisoryKey, type OsvRecord } from "../../src/core/vuln/index.js";

/** A minimal OSV record affecting each `[ecosystem, name]` below version 2.0. */
export function rec(
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

/**
 * The VulnStore contract (STYLE.md convention 8): every backend runs this one suite. `make` returns a fresh,
 * empty store for each test; the suite closes every store it made after each test.
 */
export function describeVulnStoreContract(name: string, make: () => VulnStore | Promise<VulnStore>): void {
  describe(`VulnStore contract: ${name}`, () => {
    const opened: VulnStore[] = [];
    const open = async (): Promise<VulnStore> => {
      const s = await make();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it("indexes a record under each (base ecosystem, normalised name) it affects", async () => {
      const s = await open();
      const a = rec("A-1", "2024-01-01T00:00:00Z", [
        ["Debian:12", "openssl"],
        ["Debian:11", "openssl"],
        ["PyPI", "Foo_Bar"],
      ]);
      expect(await s.putRecords([a])).toEqual({ written: 1, unchanged: 0 });
      const got = await s.lookup([
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
    });

    it("returns several records per key sorted by id", async () => {
      const s = await open();
      const b = rec("B-2", "2024-01-01T00:00:00Z", [["npm", "lodash"]]);
      const a = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "lodash"]]);
      await s.putRecords([b, a]);
      expect((await s.lookup([advisoryKey("npm", "lodash")])).get(advisoryKey("npm", "lodash"))).toEqual([
        a,
        b,
      ]);
    });

    it("replaces a record with a newer or equal modified and keeps it against an older one", async () => {
      const s = await open();
      const v1 = rec("X-1", "2024-01-01T00:00:00Z", [["npm", "old-name"]]);
      const v2 = rec("X-1", "2024-02-01T00:00:00Z", [["npm", "new-name"]]);
      const v0 = rec("X-1", "2023-01-01T00:00:00Z", [["npm", "ancient"]]);
      await s.putRecords([v1]);
      expect(await s.putRecords([v2])).toEqual({ written: 1, unchanged: 0 });
      expect(await s.putRecords([v0])).toEqual({ written: 0, unchanged: 1 });
      expect(await s.lookup(["npm\u0000old-name", "npm\u0000new-name", "npm\u0000ancient"])).toEqual(
        new Map([["npm\u0000new-name", [v2]]]),
      );
    });

    it("applies the same id twice in one batch in order, as two separate batches would", async () => {
      const s = await open();
      const v1 = rec("X-1", "2024-01-01T00:00:00Z", [["npm", "one"]]);
      const v2 = rec("X-1", "2024-02-01T00:00:00Z", [["npm", "two"]]);
      const v3 = rec("X-1", "2024-02-01T00:00:00Z", [["npm", "three"]]);
      expect(await s.putRecords([v1, v2, v1, v3])).toEqual({ written: 3, unchanged: 1 });
      expect(await s.lookup(["npm\u0000one", "npm\u0000two", "npm\u0000three"])).toEqual(
        new Map([["npm\u0000three", [v3]]]),
      );
    });

    it("reports status: counts, ecosystems, import time and newest modified", async () => {
      const s = await open();
      expect(await s.status()).toEqual({
        advisories: 0,
        packages: 0,
        byEcosystem: {},
        importedAt: undefined,
        newestModified: undefined,
        importState: "never",
        importStartedAt: undefined,
        futureModified: 0,
      });
      await s.putRecords([
        rec("A-1", "2024-01-01T00:00:00Z", [
          ["Debian:12", "openssl"],
          ["Debian:11", "openssl"],
        ]),
        rec("B-1", "2024-03-05T10:00:00Z", [["npm", "semver"]]),
        rec("C-1", "2023-03-05T10:00:00Z", [["__proto__", "x"]]),
      ]);
      await s.markImported("2024-03-06T00:00:00.000Z");
      expect(await s.status()).toEqual({
        advisories: 3,
        packages: 3,
        byEcosystem: Object.fromEntries([
          ["Debian", 1],
          ["__proto__", 1],
          ["npm", 1],
        ]),
        importedAt: "2024-03-06T00:00:00.000Z",
        newestModified: "2024-03-05T10:00:00Z",
        importState: "complete",
        importStartedAt: undefined,
        futureModified: 0,
      });
      await s.markImported("2024-03-07T00:00:00.000Z");
      expect((await s.status()).importedAt).toBe("2024-03-07T00:00:00.000Z");
    });

    it("round-trips every field of a record", async () => {
      const s = await open();
      const full = rec("GHSA-1", "2024-01-01T00:00:00Z", [["npm", "semver"]], {
        aliases: ["CVE-1"],
        withdrawn: "2024-02-01T00:00:00Z",
        summary: "s",
        details: "d",
        severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" }],
        databaseSpecific: { severity: "MODERATE" },
      });
      await s.putRecords([full]);
      expect((await s.lookup([advisoryKey("npm", "semver")])).get(advisoryKey("npm", "semver"))).toEqual([
        full,
      ]);
    });

    it("answers an empty lookup and an empty batch", async () => {
      const s = await open();
      expect([await s.putRecords([]), await s.lookup([])]).toEqual([{ written: 0, unchanged: 0 }, new Map()]);
    });

    it("an import is one transaction: finish commits it, abort leaves the previous state and import time", async () => {
      const s = await open();
      const a1 = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
      await s.beginImport("2024-01-02T00:00:00.000Z");
      await s.putRecords([a1]);
      await s.finishImport("2024-01-02T00:01:00.000Z");
      const before = await s.status();
      const a2 = rec("A-1", "2024-02-01T00:00:00Z", [["npm", "a"]]);
      const b = rec("B-1", "2024-02-01T00:00:00Z", [["npm", "b"]]);
      await s.beginImport("2024-02-02T00:00:00.000Z");
      await s.putRecords([a2]);
      await s.putRecords([b]);
      const during = await s.status();
      await s.abortImport();
      expect([
        before.importState,
        before.importedAt,
        during.importState,
        during.importStartedAt,
        await s.lookup(["npm\u0000a", "npm\u0000b"]),
        await s.status(),
      ]).toEqual([
        "complete",
        "2024-01-02T00:01:00.000Z",
        "running",
        "2024-02-02T00:00:00.000Z",
        new Map([["npm\u0000a", [a1]]]),
        before,
      ]);
    });

    it("status(now) leaves records modified after now out of the newest modified, and counts them", async () => {
      const s = await open();
      await s.putRecords([
        rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]),
        rec("Z-9", "9999-12-31T00:00:00Z", [["npm", "a"]]),
        rec("N-1", "2024-06-01T00:00:00Z", [["npm", "a"]]),
      ]);
      const at = await s.status("2024-06-01T00:00:00.000Z");
      const unbounded = await s.status();
      expect([
        at.newestModified,
        at.futureModified,
        unbounded.newestModified,
        unbounded.futureModified,
      ]).toEqual(["2024-06-01T00:00:00Z", 1, "9999-12-31T00:00:00Z", 0]);
    });

    describe("pathological cases", () => {
      it("stores ids, ecosystems and names with NUL and other control characters, distinct and in byte order", async () => {
        const s = await open();
        // Hostile advisories may carry any JSON string; PostgreSQL text cannot hold NUL, so a backend must
        // encode rather than fail the whole batch.
        const a = rec("A\u0000", "2024-01-01T00:00:00Z", [["npm", "n\u0000x"]]);
        const b = rec("A\u0001", "2024-01-01T00:00:00Z", [["npm", "n\u0000x"]]);
        const c = rec("A", "2024-01-01T00:00:00Z", [["npm", "n\u0001x"]]);
        const d = rec("A\u0001\u0001", "2024-01-01T00:00:00Z", [["e\u0000co", "n\u0000x"]]);
        expect(await s.putRecords([d, b, a, c])).toEqual({ written: 4, unchanged: 0 });
        expect(
          await s.lookup([
            "npm\u0000n\u0000x",
            "npm\u0000n\u0001x",
            "e\u0000co\u0000n\u0000x",
            "no-separator",
          ]),
        ).toEqual(
          new Map([
            ["npm\u0000n\u0000x", [a, b]],
            ["npm\u0000n\u0001x", [c]],
            ["e\u0000co\u0000n\u0000x", [d]],
          ]),
        );
        expect(await s.status()).toEqual({
          advisories: 4,
          packages: 3,
          byEcosystem: { "e\u0000co": 1, npm: 3 },
          importedAt: undefined,
          newestModified: "2024-01-01T00:00:00Z",
          importState: "never",
          importStartedAt: undefined,
          futureModified: 0,
        });
      });

      it("looks up a key asked twice once", async () => {
        const s = await open();
        const a = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
        await s.putRecords([a]);
        expect(await s.lookup(["npm\u0000a", "npm\u0000a"])).toEqual(new Map([["npm\u0000a", [a]]]));
      });
    });
  });
}
