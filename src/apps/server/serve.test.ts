import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TWO_TEAMS } from "../../../test/contracts/server-api.contract.js";
import { runCli } from "../../../test/support/cli.js";
import { makeTestCerts } from "../../../test/support/tls.js";
import { openStores } from "../../adapters/store/index.js";
import { parseListen, startServe } from "./serve.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const now = () => new Date("2026-03-01T00:00:00.000Z");
const ADMIN = "admin-token-for-tests-0123456789";

/** One HTTPS request trusting only `ca`. */
function httpsGet(
  url: string,
  ca: Buffer | string,
  headers: Record<string, string> = {},
  method = "GET",
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { ca, headers, method }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

describe("palisade serve", () => {
  it("parses --listen", () => {
    expect(parseListen("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(() => parseListen("8080")).toThrow(/HOST:PORT/);
    expect(() => parseListen("h:99999")).toThrow(/HOST:PORT/);
  });

  it("serves over real HTTPS with a throwaway CA; the seeded admin token works and its seeding is audited", async () => {
    const certs = makeTestCerts(join(dir, "tls"));
    const { readFileSync } = await import("node:fs");
    const db = join(dir, "https.db");
    const s = await startServe({
      listen: "127.0.0.1:0",
      db,
      tlsCert: certs.cert,
      tlsKey: certs.key,
      adminToken: ADMIN,
      now,
    });
    try {
      expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(certs.ca);
      expect(await httpsGet(`${s.url}/healthz`, ca)).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect((await httpsGet(`${s.url}/api/v1/findings`, ca)).status).toBe(401);
      const pushed = await httpsGet(
        `${s.url}/api/v1/clusters/prod/snapshots`,
        ca,
        { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        "POST",
        TWO_TEAMS,
      );
      expect(pushed.status, pushed.body).toBe(200);
      const listed = await httpsGet(`${s.url}/api/v1/findings`, ca, { authorization: `Bearer ${ADMIN}` });
      expect(listed.status).toBe(200);
      expect(JSON.parse(listed.body).items.length).toBeGreaterThan(0);
      // A client trusting another CA refuses the server.
      await expect(httpsGet(`${s.url}/healthz`, readFileSync(certs.wrongCa))).rejects.toThrow();
    } finally {
      await s.close();
    }
    const stores = await openStores(db);
    try {
      const audit = await stores.audit.list();
      expect(audit.items.map((e) => [e.actor, e.action, e.details])).toEqual([
        ["palisade", "token.seed", { role: "admin", source: "PALISADE_ADMIN_TOKEN" }],
      ]);
      // The token itself is stored nowhere.
      expect(JSON.stringify(audit)).not.toContain(ADMIN);
    } finally {
      await stores.close();
    }
  });

  it("refuses a short admin token and half a TLS pair", async () => {
    await expect(
      startServe({ listen: "127.0.0.1:0", db: "memory:", adminToken: "short", now }),
    ).rejects.toThrow(/at least 16/);
    await expect(startServe({ listen: "127.0.0.1:0", db: "memory:", tlsCert: "x", now })).rejects.toThrow(
      /both --tls-cert and --tls-key/,
    );
  });

  it("the CLI serves until SIGTERM, then finishes and exits 0", async () => {
    const cli = resolve("src/apps/cli/main.ts");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "serve", "--listen", "127.0.0.1:0", "--db", join(dir, "cli.db")],
      {
        env: { PATH: process.env.PATH, HOME: dir, PALISADE_ADMIN_TOKEN: ADMIN, PALISADE_LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8");
    const url = await new Promise<string>((done, fail) => {
      child.stderr.on("data", (c: string) => {
        stderr += c;
        const m = /serving on (http:\/\/\S+)/.exec(stderr);
        if (m?.[1]) done(m[1]);
      });
      child.once("exit", () => fail(new Error(`exited early: ${stderr}`)));
    });
    const r = await fetch(`${url}/api/v1/findings`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(r.status).toBe(200);
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("palisade: stopped");
  }, 60_000);

  it("palisade token create prints a token once, stores its digest only, audits it, and the server accepts it", async () => {
    const db = join(dir, "tokens.db");
    const r = await runCli(["token", "create", "--role", "team-viewer", "--team", "alpha", "--db", db]);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^pal_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toMatch(/created tok_[0-9a-f]{16} \(team-viewer, team alpha\)/);
    expect((await runCli(["token", "create", "--role", "team-viewer", "--db", db])).code).toBe(2);
    expect((await runCli(["token", "create", "--role", "root", "--db", db])).code).toBe(2);
    const stores = await openStores(db);
    try {
      const stored = await stores.tokens.list();
      expect(stored.map((t) => [t.role, t.team])).toEqual([["team-viewer", "alpha"]]);
      expect(JSON.stringify(stored)).not.toContain(token);
      const audit = await stores.audit.list();
      expect(audit.items.map((e) => [e.actor, e.action, e.subject, e.details])).toEqual([
        ["cli", "token.create", stored[0]?.id, { role: "team-viewer", team: "alpha" }],
      ]);
    } finally {
      await stores.close();
    }
    const s = await startServe({ listen: "127.0.0.1:0", db, now });
    try {
      const auth = { authorization: `Bearer ${token}` };
      expect((await fetch(`${s.url}/api/v1/findings`, { headers: auth })).status).toBe(200);
      const push = await fetch(`${s.url}/api/v1/clusters/prod/snapshots`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: TWO_TEAMS,
      });
      expect(push.status).toBe(403);
    } finally {
      await s.close();
    }
  });

  it("palisade serve --demo serves the bundled demo from a throwaway database, with tokens for each role", async () => {
    const cli = resolve("src/apps/cli/main.ts");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "serve", "--demo", "--listen", "127.0.0.1:0"],
      {
        env: { PATH: process.env.PATH, HOME: dir, PALISADE_LOG_LEVEL: "warn", TMPDIR: dir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8");
    const url = await new Promise<string>((done, fail) => {
      child.stderr.on("data", (c: string) => {
        stderr += c;
        const m = /serving on (http:\/\/\S+)/.exec(stderr);
        if (m?.[1]) done(m[1]);
      });
      child.once("exit", () => fail(new Error(`exited early: ${stderr}`)));
    });
    try {
      expect(stderr).toMatch(/demo loaded: 3 advisories, 7 images, cluster demo/);
      const token = (who: string) => {
        const m = new RegExp(`demo token ${who}: (pal_\\S+)`).exec(stderr);
        if (!m?.[1]) throw new Error(`no ${who} token in ${stderr}`);
        return m[1];
      };
      const get = async (t: string) =>
        (await (
          await fetch(`${url}/api/v1/findings?limit=1000`, { headers: { authorization: `Bearer ${t}` } })
        ).json()) as {
          items: { cluster: string; finding: { team?: string } }[];
        };
      const all = await get(token("admin"));
      expect(all.items.length).toBeGreaterThan(0);
      expect(new Set(all.items.map((f) => f.cluster))).toEqual(new Set(["demo"]));
      // security reads every team's findings, like admin.
      expect((await get(token("security"))).items.length).toBe(all.items.length);
      const a = await get(token("team-viewer team-a"));
      expect(a.items.length).toBeGreaterThan(0);
      expect(a.items.every((f) => f.finding.team === "team-a")).toBe(true);
    } finally {
      const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    // The throwaway database is gone.
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(dir).filter((f) => f.startsWith("palisade-demo-"))).toEqual([]);
  }, 60_000);
});
