import { describe, expect, it } from "vitest";
import type { StoredException, StoredToken } from "../../src/adapters/store/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const tok = (id: string, digest: string, extra: Partial<StoredToken> = {}): StoredToken => ({
  id,
  digest,
  role: "admin",
  createdAt: "2026-01-01T00:00:00.000Z",
  ...extra,
});

/** The ExceptionStore port: exceptions kept as given, listed by id, duplicates refused. */
export function describeExceptionStoreContract(name: string, make: MakeStores): void {
  describe(`ExceptionStore (${name})`, () => {
    const open = storesOpener(make);
    const exc = (id: string, extra: Partial<StoredException> = {}): StoredException => ({
      id,
      exception: { id, namespaces: ["shop"], reason: "accepted until the migration", expires: "2027-01-01" },
      createdBy: "tok_0123456789abcdef",
      createdAt: "2026-01-01T00:00:00.000Z",
      ...extra,
    });
    it("is empty, lists what was put by id, and refuses a duplicate id", async () => {
      const s = await open();
      expect(await s.exceptions.list()).toEqual([]);
      await s.exceptions.put(exc("exc_b", { clusters: ["prod"] }));
      await s.exceptions.put(exc("exc_a"));
      await expect(s.exceptions.put(exc("exc_a", { createdBy: "x" }))).rejects.toMatchObject({
        code: "INPUT",
      });
      expect(await s.exceptions.list()).toEqual([exc("exc_a"), exc("exc_b", { clusters: ["prod"] })]);
    });

    it("revokes once: the revocation is kept with the exception, a second is refused, an unknown id is undefined", async () => {
      const s = await open();
      await s.exceptions.put(exc("exc_a"));
      await s.exceptions.put(exc("exc_b"));
      const revoked = {
        at: "2026-02-01T00:00:00.000Z",
        by: "tok_fedcba9876543210",
        reason: "migration done",
      };
      expect(await s.exceptions.revoke("exc_a", revoked)).toEqual(exc("exc_a", { revoked }));
      await expect(
        s.exceptions.revoke("exc_a", { at: "2026-03-01T00:00:00.000Z", by: "someone else" }),
      ).rejects.toMatchObject({ code: "INPUT" });
      expect(await s.exceptions.revoke("exc_zz", revoked)).toBeUndefined();
      expect(await s.exceptions.list()).toEqual([exc("exc_a", { revoked }), exc("exc_b")]);
    });
  });
}

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
