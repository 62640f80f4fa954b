import { describe, expect, it } from "vitest";
import type { RemediationStore } from "../../src/adapters/store/index.js";
import type { RemediationRecord } from "../../src/core/lineage/index.js";
import { bump, record } from "./records.js";
import { type MakeStores, storesOpener } from "./stores.js";

/** The RemediationStore contract: every backend runs this one suite. */
export function describeRemediationStoreContract(name: string, make: MakeStores): void {
  describe(`RemediationStore contract: ${name}`, () => {
    const open = storesOpener(make);

    it("update writes the records returned (insert or replace by key), keeps the others, and returns the result", async () => {
      const s = (await open()).remediation;
      expect(await s.listRecords()).toEqual([]);
      expect(
        await s.update(() => ({ records: [record("CVE-2|b"), record("CVE-1|a")], result: "first" })),
      ).toBe("first");
      const seen: string[][] = [];
      await s.update((current) => {
        seen.push(current.map((r) => r.key));
        return { records: [record("CVE-2|b", 5)], result: undefined };
      });
      expect([seen, await s.listRecords()]).toEqual([
        [["CVE-1|a", "CVE-2|b"]],
        [record("CVE-1|a"), record("CVE-2|b", 5)],
      ]);
    });

    it("an update function that throws writes nothing, and the error propagates", async () => {
      const s = (await open()).remediation;
      await s.update(() => ({ records: [record("K|a")], result: 0 }));
      const boom = new Error("observation failed");
      await expect(
        s.update(() => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await s.listRecords()).toEqual([record("K|a")]);
    });

    it("concurrent updates on one store never lose an update", async () => {
      const s = (await open()).remediation;
      const results = await Promise.all(Array.from({ length: 20 }, () => bump(s, "K|a")));
      expect([[...results].sort((a, b) => a - b), (await s.listRecords())[0]?.reopenCount]).toEqual([
        Array.from({ length: 20 }, (_, i) => i + 1),
        20,
      ]);
    });

    it("records read back are copies", async () => {
      const s = (await open()).remediation;
      const mine = record("K|a");
      await s.update(() => ({ records: [mine], result: 0 }));
      mine.state = "closed";
      const listed = await s.listRecords();
      (listed[0] as RemediationRecord).state = "deployed";
      expect((await s.listRecords())[0]?.state).toBe("open");
    });
  });
}

/**
 * Two advancers with their own connections to one database (`openTwo` opens two bundles on it) run `rounds`
 * updates each at the same time: every update counts.
 */
export function describeRemediationConcurrency(
  name: string,
  openTwo: () => Promise<[RemediationStore, RemediationStore, () => Promise<void>]>,
  rounds = 25,
): void {
  describe(`RemediationStore concurrency: ${name}`, () => {
    it("two advancers on two connections lose no update", async () => {
      const [a, b, close] = await openTwo();
      try {
        const run = async (s: RemediationStore) => {
          for (let i = 0; i < rounds; i++) await bump(s, "K|a");
        };
        await Promise.all([run(a), run(b)]);
        expect([(await a.listRecords())[0]?.reopenCount, (await b.listRecords())[0]?.reopenCount]).toEqual([
          2 * rounds,
          2 * rounds,
        ]);
      } finally {
        await close();
      }
    });
  });
}
