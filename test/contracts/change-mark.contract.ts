import { describe, expect, it } from "vitest";
import type { Stores } from "../../src/adapters/store/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

/**
 * Stores.changeMark: present where the backend has a cheap one (`expected`); then equal across calls while only
 * reads happen, and moved by every kind of write through the bundle. A backend without one is read by the server
 * per request, which needs nothing of it.
 */
export function describeChangeMarkContract(name: string, make: MakeStores, expected: boolean): void {
  describe(`Stores.changeMark (${name})`, () => {
    const open = storesOpener(make);

    it(
      expected ? "stays while only reads happen; every write through the bundle moves it" : "is absent",
      async () => {
        const s: Stores = await open();
        expect(typeof s.changeMark).toBe(expected ? "function" : "undefined");
        const mark = s.changeMark?.bind(s);
        if (mark === undefined) return; // asserted absent above: nothing more to hold
        const seen = [mark()];
        await s.tokens.list();
        await s.snapshots.clusters();
        await s.findings.list({ limit: 1 });
        expect(mark()).toBe(seen[0]);
        const writes: (() => Promise<unknown>)[] = [
          () =>
            s.tokens.put({
              id: "tok_a",
              digest: "a".repeat(64),
              role: "admin",
              createdAt: "2026-01-01T00:00:00.000Z",
            }),
          () => s.snapshots.putSnapshot("prod", new Date("2026-01-01T00:00:00.000Z"), "all", []),
          () =>
            s.audit.append({
              at: new Date("2026-01-01T00:00:00.000Z"),
              actor: "alice",
              action: "token.create",
              subject: "tok_a",
              details: {},
            }),
        ];
        for (const write of writes) {
          await write();
          const m = mark();
          expect(seen).not.toContain(m);
          seen.push(m);
          expect(mark()).toBe(m);
        }
      },
    );
  });
}
