import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { snapshotList, TWO_TEAMS, TWO_TEAMS_PAY_FIXED } from "../../../test/contracts/server-api.contract.js";
import { openStores } from "../../adapters/store/index.js";
import { issueToken, memoryTokenStore } from "./auth.js";
import { ResponseCache } from "./response-cache.js";
import { buildServer } from "./server.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ResponseCache", () => {
  it("drops the least recently used answers past the entry and size caps; an oversized answer is not kept", () => {
    const c = new ResponseCache({ maxEntries: 2, maxBytes: 80 });
    c.set("a", { type: "t", body: "1".repeat(10) });
    c.set("b", { type: "t", body: "2".repeat(10) });
    expect(c.get("a")?.body).toBe("1".repeat(10));
    c.set("c", { type: "t", body: "3".repeat(10) });
    expect([c.get("a")?.body[0], c.get("b"), c.get("c")?.body[0]]).toEqual(["1", undefined, "3"]);
    c.set("d", { type: "t", body: "4".repeat(11) });
    expect(c.get("d")).toBeUndefined();
    c.set("e", { type: "t", body: "5".repeat(10) });
    c.set("f", { type: "t", body: "6".repeat(10) });
    expect(c.size).toBe(2);
  });
});

describe("read answers kept per store state", () => {
  it("never crosses scopes, and a snapshot written through another connection to the same file (as by another process) is seen at once", async () => {
    const file = join(dir, "two.db");
    const at = new Date("2026-01-01T00:00:00.000Z");
    const tokens = memoryTokenStore();
    const admin = (await issueToken(tokens, { role: "admin" }, at)).token;
    const alpha = (await issueToken(tokens, { role: "team-viewer", team: "alpha" }, at)).token;
    const clock = { t: at };
    const [sa, sb] = [await openStores(file), await openStores(file)];
    const a = buildServer({ stores: sa, now: () => clock.t, auth: { tokens } });
    const b = buildServer({ stores: sb, now: () => clock.t, auth: { tokens } });
    try {
      const push = (body: string) =>
        a.inject({
          method: "POST",
          url: "/api/v1/clusters/prod/snapshots",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          payload: body,
        });
      const open = async (token: string) =>
        (
          (
            await b.inject({
              url: "/api/v1/findings?open=true&limit=1000",
              headers: { authorization: `Bearer ${token}` },
            })
          ).json() as { items: { finding: { team?: string; resource: { namespace?: string } } }[] }
        ).items;
      expect((await push(TWO_TEAMS)).statusCode).toBe(200);
      const all = await open(admin);
      const teams = new Set(all.map((f) => f.finding.team));
      expect([teams.has("alpha"), teams.has("beta")]).toEqual([true, true]);
      // The same URL for a team-viewer: its team only, not the admin's kept answer.
      const mine = await open(alpha);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((f) => f.finding.team === "alpha")).toBe(true);
      expect(await open(admin)).toEqual(all);

      clock.t = new Date("2026-01-02T00:00:00.000Z");
      expect((await push(TWO_TEAMS_PAY_FIXED)).statusCode).toBe(200);
      const after = await open(admin);
      expect(after.length).toBeLessThan(all.length);
      clock.t = new Date("2026-01-03T00:00:00.000Z");
      expect(await push(snapshotList([])).then((r) => r.statusCode)).toBe(200);
      expect(await open(admin)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await sa.close();
      await sb.close();
    }
  });
});
