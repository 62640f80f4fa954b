import { describe, expect, it } from "vitest";
import type { StoredToken } from "../../src/adapters/store/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const tok = (id: string, digest: string, extra: Partial<StoredToken> = {}): StoredToken => ({
  id,
  digest,
  role: "admin",
  createdAt: "2026-01-01T00:00:00.000Z",
  ...extra,
});

/** The TokenStore port: digests kept as given, listed by id, duplicates refused. */
export function describeTokenStoreContract(name: string, make: MakeStores): void {
  describe(`TokenStore (${name})`, () => {
    const open = storesOpener(make);

    it("is empty, then lists what was put, ordered by id", async () => {
      const s = await open();
      expect(await s.tokens.list()).toEqual([]);
      await s.tokens.put(tok("tok_b", "b".repeat(64), { role: "team-viewer", team: "payments" }));
      await s.tokens.put(tok("tok_a", "a".repeat(64)));
      expect(await s.tokens.list()).toEqual([
        tok("tok_a", "a".repeat(64)),
        tok("tok_b", "b".repeat(64), { role: "team-viewer", team: "payments" }),
      ]);
    });

    it("refuses a second token with the same id or the same digest, and keeps the first", async () => {
      const s = await open();
      await s.tokens.put(tok("tok_a", "a".repeat(64)));
      await expect(s.tokens.put(tok("tok_a", "c".repeat(64)))).rejects.toMatchObject({ code: "INPUT" });
      await expect(s.tokens.put(tok("tok_z", "a".repeat(64)))).rejects.toMatchObject({ code: "INPUT" });
      expect(await s.tokens.list()).toEqual([tok("tok_a", "a".repeat(64))]);
    });
  });
}
