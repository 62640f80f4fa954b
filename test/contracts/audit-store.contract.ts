import { describe, expect, it } from "vitest";
import type { AuditEntry, AuditStore } from "../../src/adapters/store/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const T = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute));

async function all(s: AuditStore, q: Parameters<AuditStore["list"]>[0] = {}): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let after: string | undefined;
  do {
    const page = await s.list({ ...q, after });
    out.push(...page.items);
    after = page.next;
  } while (after !== undefined);
  return out;
}

/** The AuditStore contract: every backend runs this one suite. */
export function describeAuditStoreContract(name: string, make: MakeStores): void {
  describe(`AuditStore contract: ${name}`, () => {
    const open = storesOpener(make);

    it("appends entries and lists them by time then sequence, in a range, one page at a time", async () => {
      const s = (await open()).audit;
      const e3 = await s.append({
        at: T(3),
        actor: "alice",
        action: "exception.create",
        subject: "ns/x",
        details: { ttl: 3 },
      });
      const e1 = await s.append({
        at: T(1),
        actor: "bob",
        action: "remediation.advance",
        subject: "CVE-1|a",
      });
      const e1b = await s.append({
        at: T(1),
        actor: "palisade",
        action: "snapshot.put",
        subject: "prod",
        details: [1, "two", null, true],
      });
      expect([e3.seq < e1.seq, e1.seq < e1b.seq]).toEqual([true, true]);
      expect(e1).toEqual({
        seq: e1.seq,
        at: T(1).toISOString(),
        actor: "bob",
        action: "remediation.advance",
        subject: "CVE-1|a",
        details: null,
      });
      expect(await all(s, { limit: 1 })).toEqual([e1, e1b, e3]);
      expect(await all(s, { from: T(1), to: T(3) })).toEqual([e1, e1b]);
      expect(await all(s, { from: T(2) })).toEqual([e3]);
      expect(await all(s, { to: T(1) })).toEqual([]);
    });

    describe("pathological cases", () => {
      it("refuses empty names and bad times; details with hostile text round-trip", async () => {
        const s = (await open()).audit;
        await expect(s.append({ at: T(1), actor: "", action: "a", subject: "s" })).rejects.toMatchObject({
          code: "INPUT",
        });
        await expect(
          s.append({ at: new Date(Number.NaN), actor: "a", action: "a", subject: "s" }),
        ).rejects.toMatchObject({
          code: "INPUT",
        });
        const details = { __proto__x: "\u0000", nested: { quote: "'\"", deep: [[[]]] } };
        const e = await s.append({ at: T(1), actor: "a\u0000", action: "a", subject: "s", details });
        expect(await all(s)).toEqual([{ ...e, actor: "a\u0000", details }]);
        await expect(s.list({ after: "bad" })).rejects.toMatchObject({ code: "INPUT" });
      });
    });
  });
}
