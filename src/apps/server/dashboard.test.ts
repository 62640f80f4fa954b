import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { openStores } from "../../adapters/store/index.js";
import { memoryTokenStore } from "./auth.js";
import { findDashboard } from "./dashboard.js";
import { buildServer } from "./server.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-dashboard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A built dashboard as Vite lays it out: index.html naming hashed assets. */
function fakeBuild(): string {
  const root = join(dir, "pkg", "dist", "web");
  mkdirSync(join(root, "assets"), { recursive: true });
  writeFileSync(
    join(root, "index.html"),
    '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
  );
  writeFileSync(join(root, "assets", "app-1a2b.js"), `console.log(${JSON.stringify("x".repeat(5000))});`);
  writeFileSync(join(root, "favicon.svg"), "<svg/>");
  return root;
}

async function server(root: string | undefined) {
  const stores = await openStores("memory:");
  const app = buildServer({
    stores,
    now: () => new Date(0),
    auth: { tokens: memoryTokenStore() },
    dashboard: { root },
  });
  const close = async () => {
    await app.close();
    await stores.close();
  };
  return { app, close };
}

describe("the dashboard's static files", () => {
  it("serves index.html for every app path (no-cache), hashed assets as immutable (gzip when accepted)", async () => {
    const { app, close } = await server(fakeBuild());
    try {
      for (const url of [
        "/",
        "/findings?severity=critical",
        "/vulnerabilities/CVE-2099-0001",
        "/index.html",
      ]) {
        const r = await app.inject({ url });
        expect([url, r.statusCode, r.headers["content-type"], r.headers["cache-control"]]).toEqual([
          url,
          200,
          "text/html; charset=utf-8",
          "no-cache",
        ]);
        expect(r.body).toContain("/assets/app-1a2b.js");
      }
      const js = await app.inject({ url: "/assets/app-1a2b.js", headers: { "accept-encoding": "gzip, br" } });
      expect(js.statusCode).toBe(200);
      expect(js.headers).toMatchObject({
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "public, max-age=31536000, immutable",
        "content-encoding": "gzip",
      });
      expect(gunzipSync(js.rawPayload).toString()).toContain("console.log");
      const plain = await app.inject({ url: "/assets/app-1a2b.js" });
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.body).toContain("console.log");
      expect((await app.inject({ url: "/favicon.svg" })).headers["content-type"]).toBe("image/svg+xml");
    } finally {
      await close();
    }
  });

  it("answers 404 in JSON for a missing asset and an unknown API path, and still requires a token for the API", async () => {
    const { app, close } = await server(fakeBuild());
    try {
      const missing = await app.inject({ url: "/assets/gone-0000.js" });
      expect([missing.statusCode, missing.json().error.code]).toEqual([404, "NOT_FOUND"]);
      const api = await app.inject({ url: "/api/v1/nothing-here" });
      expect([api.statusCode, api.json().error.code]).toEqual([404, "NOT_FOUND"]);
      expect((await app.inject({ url: "/api/v1/findings" })).statusCode).toBe(401);
      expect((await app.inject({ url: "/metrics" })).statusCode).toBe(401);
    } finally {
      await close();
    }
  });

  it("says the dashboard is not built when there is no build", async () => {
    const { app, close } = await server(undefined);
    try {
      const r = await app.inject({ url: "/findings" });
      expect(r.statusCode).toBe(200);
      expect(r.body).toContain("npm run build");
    } finally {
      await close();
    }
  });

  it("finds dist/web from the checkout's sources and from the bundle's chunk directory", () => {
    const root = fakeBuild();
    const pkg = join(dir, "pkg");
    mkdirSync(join(pkg, "src", "apps", "cli", "commands"), { recursive: true });
    mkdirSync(join(pkg, "dist", "cli", "chunks"), { recursive: true });
    expect(findDashboard(join(pkg, "src", "apps", "cli", "commands"))).toBe(root);
    expect(findDashboard(join(pkg, "dist", "cli", "chunks"))).toBe(root);
    expect(findDashboard(join(tmpdir(), "palisade-no-such-dir", "a"))).toBeUndefined();
  });
});
