import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { makeTestCerts } from "../../../test/support/tls.js";
import { openStores } from "../../adapters/store/index.js";
import { issueToken, memoryTokenStore } from "./auth.js";
import { oidcVerifier, parseGroupRoles } from "./oidc.js";
import { startServe } from "./serve.js";
import { buildServer } from "./server.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-security-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = new Date("2026-03-01T00:00:00.000Z");

async function server(opts: { authFailures?: { maxFailures: number; windowMs: number } } = {}) {
  const clock = { t: T0 };
  const tokens = memoryTokenStore();
  const admin = (await issueToken(tokens, { role: "admin" }, T0)).token;
  const stores = await openStores("memory:");
  const app = buildServer({ stores, now: () => clock.t, auth: { tokens }, authFailures: opts.authFailures });
  return { app, admin, clock, close: async () => (await app.close(), await stores.close()) };
}

describe("security at the HTTP edge", () => {
  it("sends the security headers (a same-origin CSP) on every answer and never a CORS header", async () => {
    const s = await server();
    try {
      for (const r of [
        await s.app.inject({ url: "/healthz", headers: { origin: "https://evil.example" } }),
        await s.app.inject({ url: "/api/v1/findings", headers: { origin: "https://evil.example" } }),
        await s.app.inject({
          method: "OPTIONS",
          url: "/api/v1/findings",
          headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
        }),
      ]) {
        expect(r.headers["content-security-policy"]).toBe(
          "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        );
        expect(r.headers["x-content-type-options"]).toBe("nosniff");
        expect(r.headers["x-frame-options"]).toBe("DENY");
        expect(r.headers["referrer-policy"]).toBe("no-referrer");
        expect(Object.keys(r.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
      }
    } finally {
      await s.close();
    }
  });

  it("limits failed authentications per client address: 429 with Retry-After, even for a good token, until the window ends", async () => {
    const s = await server({ authFailures: { maxFailures: 3, windowMs: 60_000 } });
    try {
      const get = (token: string, ip = "10.0.0.1") =>
        s.app.inject({
          url: "/api/v1/findings",
          remoteAddress: ip,
          headers: { authorization: `Bearer ${token}` },
        });
      for (let i = 0; i < 3; i++) expect((await get("pal_guess")).statusCode).toBe(401);
      const limited = await get("pal_guess");
      expect(limited.statusCode).toBe(429);
      expect(limited.headers["retry-after"]).toBe("60");
      expect((await get(s.admin)).statusCode).toBe(429);
      expect((await get(s.admin, "10.0.0.2")).statusCode).toBe(200);
      s.clock.t = new Date(T0.getTime() + 30_000);
      expect((await get(s.admin)).headers["retry-after"]).toBe("30");
      s.clock.t = new Date(T0.getTime() + 60_000);
      expect((await get(s.admin)).statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("caps small JSON bodies by route (a token request over 4 KiB is 413)", async () => {
    const s = await server();
    try {
      const r = await s.app.inject({
        method: "POST",
        url: "/api/v1/tokens",
        headers: { authorization: `Bearer ${s.admin}`, "content-type": "application/json" },
        payload: JSON.stringify({ role: "ingest", team: "x".repeat(5000) }),
      });
      expect(r.statusCode).toBe(413);
      const proto = await s.app.inject({
        method: "POST",
        url: "/api/v1/tokens",
        headers: { authorization: `Bearer ${s.admin}`, "content-type": "application/json" },
        payload: '{"role":"ingest","__proto__":{"admin":true}}',
      });
      expect(proto.statusCode).toBe(400);
    } finally {
      await s.close();
    }
  });
});

describe("OIDC bearer tokens (keys generated here, JWKS in a file)", async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const other = await generateKeyPair("ES256");
  const jwks = join(dir, "jwks.json");
  writeFileSync(
    jwks,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] }),
  );
  const ISSUER = "https://idp.example";
  const sign = (
    claims: Record<string, unknown>,
    o: { key?: Parameters<SignJWT["sign"]>[0]; aud?: string; iss?: string; exp?: number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(o.iss ?? ISSUER)
      .setAudience(o.aud ?? "palisade")
      .setSubject("alice")
      .setIssuedAt(Math.floor(T0.getTime() / 1000))
      .setExpirationTime(o.exp ?? Math.floor(T0.getTime() / 1000) + 3600)
      .sign(o.key ?? privateKey);

  it("maps groups to roles; a wrong key, issuer, audience, an expired or unmapped token is refused", async () => {
    const oidc = await oidcVerifier(
      {
        issuer: ISSUER,
        audience: "palisade",
        jwks,
        roles: parseGroupRoles("secops=security, shop-devs=team-viewer:shop"),
      },
      () => T0,
    );
    const stores = await openStores("memory:");
    const app = buildServer({ stores, now: () => T0, auth: { tokens: memoryTokenStore(), oidc } });
    try {
      const get = async (token: string, url = "/api/v1/findings") =>
        (await app.inject({ url, headers: { authorization: `Bearer ${token}` } })).statusCode;
      expect(await get(await sign({ groups: ["secops"] }))).toBe(200);
      expect(await get(await sign({ groups: ["shop-devs"] }))).toBe(200);
      expect(await get(await sign({ groups: ["shop-devs"] }), "/api/v1/findings?team=pay")).toBe(403);
      // security reads the audit log but may not issue tokens (admin only).
      expect(await get(await sign({ groups: ["secops"] }), "/api/v1/audit")).toBe(200);
      const issue = await app.inject({
        method: "POST",
        url: "/api/v1/tokens",
        headers: {
          authorization: `Bearer ${await sign({ groups: ["secops"] })}`,
          "content-type": "application/json",
        },
        payload: JSON.stringify({ role: "admin" }),
      });
      expect(issue.statusCode, issue.body).toBe(403);
      expect(await get(await sign({ groups: ["secops"] }, { key: other.privateKey }))).toBe(401);
      expect(await get(await sign({ groups: ["secops"] }, { iss: "https://other.example" }))).toBe(401);
      expect(await get(await sign({ groups: ["secops"] }, { aud: "someone-else" }))).toBe(401);
      expect(
        await get(await sign({ groups: ["secops"] }, { exp: Math.floor(T0.getTime() / 1000) - 3600 })),
      ).toBe(401);
      expect(await get(await sign({ groups: ["interns"] }))).toBe(401);
      // alg none is never accepted.
      const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: "palisade", groups: ["secops"] })).toString("base64url")}.x`;
      expect(await get(none)).toBe(401);
    } finally {
      await app.close();
      await stores.close();
    }
    expect(() => parseGroupRoles("x=root")).toThrow(/unknown role/);
    expect(() => parseGroupRoles("x=team-viewer")).toThrow(/needs --team/);
  });
});

/** GET over HTTPS trusting only `ca`: the status, or the error. */
function httpsStatus(url: string, ca: Buffer): Promise<number | string> {
  return new Promise((done) => {
    const req = request(url, { ca, agent: false }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on("error", (e) => done(String((e as { code?: string }).code ?? e.message)));
    req.end();
  });
}

describe("TLS certificate reload", () => {
  it("serves the new certificate once the files change, without a restart", async () => {
    const a = makeTestCerts(join(dir, "a"));
    const b = makeTestCerts(join(dir, "b"));
    const live = { cert: join(dir, "live.crt"), key: join(dir, "live.key") };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    let reloaded: () => void = () => {};
    const wasReloaded = new Promise<void>((done) => {
      reloaded = done;
    });
    const s = await startServe({
      listen: "127.0.0.1:0",
      db: "memory:",
      tlsCert: live.cert,
      tlsKey: live.key,
      tlsReloadIntervalMs: 50,
      onTlsReload: () => reloaded(),
      now: () => T0,
    });
    try {
      expect(await httpsStatus(`${s.url}/healthz`, readFileSync(a.ca))).toBe(200);
      copyFileSync(b.key, live.key);
      copyFileSync(b.cert, live.cert);
      // A later modification time, so the change is seen whatever the file system's time resolution.
      const later = new Date(Date.now() + 60_000);
      utimesSync(live.key, later, later);
      utimesSync(live.cert, later, later);
      await wasReloaded;
      // The key may have been read before the certificate was replaced: wait for the pair to match.
      let status: number | string = "";
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = await httpsStatus(`${s.url}/healthz`, readFileSync(b.ca));
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      expect(await httpsStatus(`${s.url}/healthz`, readFileSync(a.ca))).not.toBe(200);
    } finally {
      await s.close();
    }
  }, 180_000);
});
