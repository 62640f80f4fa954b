import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { finding } from "../../../test/contracts/finding-store.contract.js";
import { snapshotList, TWO_TEAMS, TWO_TEAMS_PAY_FIXED } from "../../../test/contracts/server-api.contract.js";
import { decision } from "../../../test/contracts/store-revision.contract.js";
import { demoAdvisoryAs, importOsvPaths } from "../../../test/support/osv-import.js";
import { openStores, openVulnStore, type Stores } from "../../adapters/store/index.js";
import { issueToken, memoryTokenStore } from "./auth.js";
import { bundledDemoDir, loadDemo } from "./demo.js";
import { keptWhileUnchanged, ResponseCache, readAfterTurn, shareInFlight } from "./response-cache.js";
import { buildServer } from "./server.js";

// better-sqlite3 ships no type declarations: the one call used here, typed by hand.
const Database = createRequire(import.meta.url)("better-sqlite3") as new (
  file: string,
) => { prepare(sql: string): { run(...a: unknown[]): unknown }; close(): void };

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

describe("the store state read per request, kept by the store's change mark", () => {
  it("keptWhileUnchanged: loads once per mark, again after the mark moved or a load failed; without a mark, per call", async () => {
    let loads = 0;
    let fail = false;
    const kept = keptWhileUnchanged(async () => {
      loads++;
      if (fail) throw new Error("down");
      return loads;
    });
    expect([await kept("1"), await kept("1"), await kept("1")]).toEqual([1, 1, 1]);
    expect([await kept("2"), await kept("2")]).toEqual([2, 2]);
    fail = true;
    await expect(kept("3")).rejects.toThrow("down");
    fail = false;
    expect([await kept("3"), await kept("3")]).toEqual([4, 4]);
    let unmarked = 0;
    const each = keptWhileUnchanged(async () => ++unmarked);
    expect([await each(undefined), await each(undefined)]).toEqual([1, 2]);
  });

  it("readAfterTurn: the calls of one turn share one reading, taken after all of them; a later call waits for the next", async () => {
    let state = 0;
    let readings = 0;
    const mark = readAfterTurn(() => {
      readings++;
      if (state < 0) throw new Error("closed");
      return String(state);
    });
    const first = mark();
    // A commit after the first call of the turn (a request read later in the same turn, then another
    // connection's commit, or this connection's): the shared reading is taken after it, so it holds it.
    state = 1;
    const second = mark();
    expect(second).toBe(first);
    expect(readings).toBe(0);
    expect([await first, await second]).toEqual(["1", "1"]);
    expect(readings).toBe(1);
    state = 2;
    expect(await mark()).toBe("2");
    expect(readings).toBe(2);
    // A failed reading fails the calls that shared it, and the next turn reads again.
    state = -1;
    await expect(mark()).rejects.toThrow("closed");
    state = 3;
    expect(await mark()).toBe("3");
    expect(readings).toBe(4);
  });

  it("on SQLite a server reads the clusters' latest snapshots and the tokens once per change, and sees another process's token and findings at its next request", async () => {
    const file = join(dir, "kept.db");
    const at = new Date("2026-01-01T00:00:00.000Z");
    const stores = await openStores(file);
    const other = await openStores(file);
    const reads = { clusters: 0, tokens: 0 };
    const snapshots = stores.snapshots;
    const tokenStore = stores.tokens;
    const counted: Stores = {
      ...stores,
      close: () => stores.close(),
      snapshots: Object.assign(Object.create(snapshots) as typeof snapshots, {
        clusters: () => {
          reads.clusters++;
          return snapshots.clusters();
        },
      }),
      tokens: {
        put: (t) => tokenStore.put(t),
        list: () => {
          reads.tokens++;
          return tokenStore.list();
        },
      },
    };
    const admin = (await issueToken(counted.tokens, { role: "admin" }, at)).token;
    const app = buildServer({ stores: counted, now: () => at, auth: { tokens: counted.tokens } });
    try {
      const get = (token: string) =>
        app.inject({ url: "/api/v1/findings?limit=1000", headers: { authorization: `Bearer ${token}` } });
      expect((await get(admin)).statusCode).toBe(200);
      const first = { ...reads };
      for (let i = 0; i < 10; i++) expect((await get(admin)).statusCode).toBe(200);
      expect(reads).toEqual(first);
      // Written through another connection, as `palisade token create` in another process does.
      const late = (await issueToken(other.tokens, { role: "security" }, at)).token;
      expect((await get(late)).statusCode).toBe(200);
      expect(reads).toEqual({ clusters: first.clusters + 1, tokens: first.tokens + 1 });
      // A snapshot and its findings, written by another process's ingest: the next answer holds them.
      const before = (await get(admin)).json() as { items: unknown[] };
      await other.snapshots.putSnapshot("prod", at, "all", []);
      await other.findings.upsertEvaluation("prod", at, [finding("posture/privileged", "shop", "web")]);
      const after = (await get(admin)).json() as { items: unknown[] };
      expect([before.items.length, after.items.length]).toEqual([0, 1]);
      expect(reads.clusters).toBe(first.clusters + 2);
    } finally {
      await app.close();
      await stores.close();
      await other.close();
    }
  });
});

describe("a token deleted by another process", () => {
  it("on SQLite, fails at the token's next request, though the tokens were kept by the change mark", async () => {
    const file = join(dir, "revoked.db");
    const at = new Date("2026-01-01T00:00:00.000Z");
    const stores = await openStores(file);
    const issued = await issueToken(stores.tokens, { role: "admin" }, at);
    const app = buildServer({ stores, now: () => at, auth: { tokens: stores.tokens } });
    const db = new Database(file);
    try {
      const get = () =>
        app.inject({ url: "/api/v1/findings?limit=1", headers: { authorization: `Bearer ${issued.token}` } });
      expect([(await get()).statusCode, (await get()).statusCode]).toEqual([200, 200]);
      db.prepare("DELETE FROM api_tokens WHERE id = ?").run(issued.record.id);
      expect((await get()).statusCode).toBe(401);
    } finally {
      db.close();
      await app.close();
      await stores.close();
    }
  });
});

describe("a store without a change mark (PostgreSQL)", () => {
  it("a token deleted while another request's token read is in flight fails at the next request", async () => {
    const file = join(dir, "unmarked.db");
    const at = new Date("2026-01-01T00:00:00.000Z");
    const stores = await openStores(file);
    const tokenStore = stores.tokens;
    const g = gate();
    let hold = false;
    // No changeMark, as on PostgreSQL; a token read returns what the store held when it started, then waits
    // at the gate while held (a round trip still in flight).
    const { changeMark: _none, ...unmarked } = stores;
    const gated: Stores = {
      ...unmarked,
      close: () => stores.close(),
      tokens: {
        put: (t) => tokenStore.put(t),
        list: async () => {
          const rows = await tokenStore.list();
          if (hold) await g.wait();
          return rows;
        },
      },
    };
    const issued = await issueToken(gated.tokens, { role: "admin" }, at);
    const app = buildServer({ stores: gated, now: () => at, auth: { tokens: gated.tokens } });
    const db = new Database(file);
    try {
      await app.ready();
      const get = () =>
        app.inject({ url: "/api/v1/findings?limit=1", headers: { authorization: `Bearer ${issued.token}` } });
      hold = true;
      const inFlight = get();
      await settle();
      // Revoked (its row deleted, as an operator does) and answered; then the token's next request.
      db.prepare("DELETE FROM api_tokens WHERE id = ?").run(issued.record.id);
      hold = false;
      const next = get();
      await settle();
      g.open();
      expect([(await inFlight).statusCode, (await next).statusCode]).toEqual([200, 401]);
    } finally {
      db.close();
      await app.close();
      await stores.close();
    }
  });
});

describe("the change mark read once per turn", () => {
  it("on SQLite, requests read in one turn share one reading of the change mark, taken after them: a commit by another connection before it is in every answer", async () => {
    const file = join(dir, "turn.db");
    const at = new Date("2026-01-01T00:00:00.000Z");
    const stores = await openStores(file);
    const other = await openStores(file);
    let readings = 0;
    const counted: Stores = {
      ...stores,
      close: () => stores.close(),
      changeMark: () => {
        readings++;
        return stores.changeMark?.() ?? "";
      },
    };
    const admin = (await issueToken(counted.tokens, { role: "admin" }, at)).token;
    const app = buildServer({ stores: counted, now: () => at, auth: { tokens: counted.tokens } });
    try {
      await app.ready();
      const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${admin}` } });
      expect((await get("/api/v1/findings?limit=1000")).statusCode).toBe(200);
      readings = 0;
      // Twenty requests at once (a token check and a cache key each: forty readings when read per use), and,
      // in the same turn, after they were sent, another connection's snapshot and findings.
      const answers = Array.from({ length: 20 }, (_, i) => get(`/api/v1/findings?limit=${100 + i}`));
      await other.snapshots.putSnapshot("prod", at, "all", []);
      await other.findings.upsertEvaluation("prod", at, [finding("posture/privileged", "shop", "web")]);
      const items = (await Promise.all(answers)).map((r) => (r.json() as { items: unknown[] }).items.length);
      expect(items).toEqual(Array.from({ length: 20 }, () => 1));
      expect(readings).toBe(1);
      // A request after that turn takes a reading of its own.
      expect((await get("/api/v1/findings?limit=1000")).statusCode).toBe(200);
      expect(readings).toBe(2);
    } finally {
      await app.close();
      await stores.close();
      await other.close();
    }
  });
});

/** A gate released by hand: calls wait at it until the test opens it. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((done) => {
    open = done;
  });
  return { wait: () => opened, open };
}

/** Let every request already started run as far as it can (each step of an inject is a turn or a microtask). */
async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((done) => setImmediate(done));
}

describe("concurrent reads of one answer", () => {
  it("shareInFlight: calls while a load is in flight share the next load, started when it settles; a call after it settled loads again", async () => {
    let loads = 0;
    const g = gate();
    const shared = shareInFlight(async () => {
      loads++;
      await g.wait();
      return loads;
    });
    const first = [shared(), shared(), shared()];
    expect(loads).toBe(1);
    g.open();
    expect(await Promise.all(first)).toEqual([1, 2, 2]);
    expect(loads).toBe(2);
    expect(await shared()).toBe(3);
    const failing = shareInFlight(async () => {
      loads++;
      throw new Error("down");
    });
    await expect(Promise.all([failing(), failing()])).rejects.toThrow("down");
    expect(loads).toBe(5);
    await expect(failing()).rejects.toThrow("down");
    expect(loads).toBe(6);
  });

  it("shareInFlight: a call made after a commit never gets a load that started before it (a revoked token, PostgreSQL)", async () => {
    let state = "token";
    let loads = 0;
    const g = gate();
    const shared = shareInFlight(async () => {
      loads++;
      // A statement's snapshot is taken when it starts: what it returns is the state at that time.
      const seen = state;
      await g.wait();
      return seen;
    });
    const before = shared();
    // The token is deleted and the revocation answered while that read is in flight; the next request follows.
    state = "revoked";
    const after = [shared(), shared()];
    g.open();
    expect(await before).toBe("token");
    expect(await Promise.all(after)).toEqual(["revoked", "revoked"]);
    expect(loads).toBe(2);
  });

  async function gatedServer(file: string) {
    const at = new Date("2026-01-01T00:00:00.000Z");
    const tokens = memoryTokenStore();
    const admin = (await issueToken(tokens, { role: "admin" }, at)).token;
    const stores = await openStores(file);
    const calls = { list: 0 };
    let g = gate();
    let failNext = false;
    // The real store, its finding reads held at a gate the test opens: every request is in flight at once.
    const findings = stores.findings;
    const gated: Stores = {
      ...stores,
      close: () => stores.close(),
      findings: {
        upsertEvaluation: (...a) => findings.upsertEvaluation(...a),
        stats: (...a) => findings.stats(...a),
        list: async (q) => {
          calls.list++;
          await g.wait();
          if (failNext) {
            failNext = false;
            throw new Error("the store went away");
          }
          return findings.list(q);
        },
      },
    };
    const app = buildServer({ stores: gated, now: () => at, auth: { tokens } });
    g.open();
    const pushed = await app.inject({
      method: "POST",
      url: "/api/v1/clusters/prod/snapshots",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      payload: TWO_TEAMS,
    });
    expect(pushed.statusCode).toBe(200);
    return {
      calls,
      admin,
      get: (url: string) => app.inject({ url, headers: { authorization: `Bearer ${admin}` } }),
      hold: () => {
        g = gate();
        return g;
      },
      failNext: () => {
        failNext = true;
      },
      close: async () => {
        await app.close();
        await stores.close();
      },
    };
  }

  it("twenty clients asking for the same page at once cost one store read; every one gets the answer", async () => {
    const s = await gatedServer(join(dir, "burst.db"));
    try {
      const g = s.hold();
      const url = "/api/v1/findings?team=alpha&limit=5";
      const replies = Array.from({ length: 20 }, () => s.get(url));
      await settle();
      expect(s.calls.list).toBe(1);
      g.open();
      const done = await Promise.all(replies);
      expect(done.map((r) => r.statusCode)).toEqual(done.map(() => 200));
      expect(new Set(done.map((r) => r.body)).size).toBe(1);
      expect((JSON.parse(done[0]?.body ?? "{}") as { items?: unknown[] }).items?.length).toBe(5);
      expect(s.calls.list).toBe(1);
      // Another page is another answer: computed once more.
      expect((await s.get("/api/v1/findings?team=alpha&limit=6")).statusCode).toBe(200);
      expect(s.calls.list).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("when the request computing the answer fails, the ones waiting for it compute their own", async () => {
    const s = await gatedServer(join(dir, "burst-fail.db"));
    try {
      const g = s.hold();
      s.failNext();
      const url = "/api/v1/findings?team=beta&limit=5";
      const replies = Array.from({ length: 5 }, () => s.get(url));
      await settle();
      expect(s.calls.list).toBe(1);
      g.open();
      const done = await Promise.all(replies);
      expect(done.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 500]);
      const bodies = new Set(done.filter((r) => r.statusCode === 200).map((r) => r.body));
      expect(bodies.size).toBe(1);
      // Kept now: one more asker reads nothing.
      const calls = s.calls.list;
      expect((await s.get(url)).body).toBe([...bodies][0]);
      expect(s.calls.list).toBe(calls);
    } finally {
      await s.close();
    }
  });
});

describe("the store revision in the key", () => {
  it("on SQLite, an advisory `vuln db import` writes from another process is in the next answer; a decision `admission serve` records keeps every kept answer and the fleet view", async () => {
    const file = join(dir, "revision.db");
    const at = new Date("2026-01-01T00:00:00.000Z");
    const stores = await openStores(file);
    await loadDemo(stores, bundledDemoDir(), () => at);
    const reads = { builds: 0, findings: 0 };
    const { images, findings } = stores;
    const counted: Stores = {
      ...stores,
      close: () => stores.close(),
      images: Object.assign(Object.create(images) as typeof images, {
        listImages: () => {
          reads.builds++;
          return images.listImages();
        },
      }),
      findings: Object.assign(Object.create(findings) as typeof findings, {
        list: (q?: Parameters<typeof findings.list>[0]) => {
          reads.findings++;
          return findings.list(q);
        },
      }),
    };
    const tokens = memoryTokenStore();
    const admin = (await issueToken(tokens, { role: "admin" }, at)).token;
    const app = buildServer({ stores: counted, now: () => at, auth: { tokens } });
    const other = await openStores(file);
    try {
      const get = async (url: string) => {
        const r = await app.inject({ url, headers: { authorization: `Bearer ${admin}` } });
        expect(r.statusCode, r.body).toBe(200);
        return r.body;
      };
      const vulns = () => get("/api/v1/vulnerabilities?limit=1000");
      expect(await vulns()).not.toMatch(/CVE-2099-0777/);
      // As `palisade vuln db import osv.zip` does against the server's file: its own connection, one import.
      const path = join(dir, "DEBIAN-CVE-2099-0777.json");
      writeFileSync(path, JSON.stringify(demoAdvisoryAs("DEBIAN-CVE-2099-0777", "CVE-2099-0777")));
      const cli = await openVulnStore(file);
      try {
        await importOsvPaths(cli, [path], { now: () => at });
      } finally {
        await cli.close();
      }
      expect(await vulns()).toMatch(/CVE-2099-0777/);

      // Decisions recorded by another connection (the webhook's process) between two rounds of reads.
      const urls = ["/api/v1/findings?limit=1000", "/api/v1/vulnerabilities?limit=1000", "/api/v1/workloads"];
      const kept = [];
      for (const url of urls) kept.push(await get(url));
      const decisionsBefore = JSON.parse(await get("/api/v1/admission/decisions")) as { items: unknown[] };
      const before = { ...reads };
      await other.admissionDecisions.append([
        decision("u1", { at, allowed: false, rules: ["pss/privileged"] }),
      ]);
      const again = [];
      for (const url of urls) again.push(await get(url));
      expect(again).toEqual(kept);
      // Answered from the kept bytes: no findings read, no fleet view built again.
      expect(reads).toEqual(before);
      // The decisions route is not kept: it shows the new one.
      const decisionsAfter = JSON.parse(await get("/api/v1/admission/decisions")) as { items: unknown[] };
      expect([decisionsBefore.items.length, decisionsAfter.items.length]).toEqual([0, 1]);
    } finally {
      await app.close();
      await stores.close();
      await other.close();
    }
  });
});
