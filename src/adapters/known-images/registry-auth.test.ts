import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadRegistryAuthFile,
  parseRegistryAuthConfig,
  REGISTRY_AUTH_LIMITS,
  registryAuthFor,
  registryHostKey,
} from "./index.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const parse = (doc: unknown) => parseRegistryAuthConfig(JSON.stringify(doc), "auth.json");
const dir = mkdtempSync(join(tmpdir(), "palisade-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseRegistryAuthConfig", () => {
  it("reads auth, username/password and registrytoken entries; folds Docker Hub and scheme/path variants", () => {
    const r = parse({
      auths: {
        "https://index.docker.io/v1/": { auth: b64("hub:pw") },
        "127.0.0.1:5000": { auth: b64("alice:s3:cr:et") },
        "https://Registry.Example/v2/": { username: "bob", password: "pw" },
        "ghcr.io": { registrytoken: "tok" },
        "quay.io": { username: "carol" },
      },
    });
    expect(r).toEqual({
      auths: new Map([
        ["127.0.0.1:5000", { username: "alice", password: "s3:cr:et" }],
        ["ghcr.io", { token: "tok" }],
        ["quay.io", { username: "carol", password: "" }],
        ["registry.example", { username: "bob", password: "pw" }],
        ["docker.io", { username: "hub", password: "pw" }],
      ]),
      coverage: [],
    });
    expect(registryAuthFor(r, "docker.io")).toEqual({ username: "hub", password: "pw" });
    expect(registryAuthFor(r, "registry-1.docker.io")).toEqual({ username: "hub", password: "pw" });
    expect(registryAuthFor(r, "127.0.0.1:5000")).toEqual({ username: "alice", password: "s3:cr:et" });
    expect(registryAuthFor(r, "127.0.0.1:5001")).toBeUndefined();
    expect(registryAuthFor(undefined, "ghcr.io")).toBeUndefined();
  });

  it("an empty config and one without auths give no credentials", () => {
    expect(parse({})).toEqual({ auths: new Map(), coverage: [] });
    expect(parse({ auths: {} })).toEqual({ auths: new Map(), coverage: [] });
  });

  it("registryHostKey", () => {
    expect(
      ["localhost:5000", "HTTP://localhost:5000/v2/", "[::1]:5000", "docker.io", "a b", "", "https://"].map(
        registryHostKey,
      ),
    ).toEqual([
      "localhost:5000",
      "localhost:5000",
      "[::1]:5000",
      "docker.io",
      undefined,
      undefined,
      undefined,
    ]);
  });

  describe("pathological cases", () => {
    it("bad entries are skipped with a coverage entry naming the host, never the secret", () => {
      const r = parse({
        auths: {
          "bad-b64.example": { auth: "not base64!" },
          "no-colon.example": { auth: b64("nocolon") },
          "empty-user.example": { auth: b64(":pw") },
          "not-utf8.example": { auth: Buffer.from([0xff, 0xfe, 0x3a, 0x41]).toString("base64") },
          "unpadded.example": { auth: b64("ab:c").replace(/=+$/, "") },
          "number.example": { auth: 42 },
          "array.example": [],
          "identity.example": { identitytoken: "idtok-SECRET-1" },
          "nothing.example": {},
          "long.example": { password: "x".repeat(REGISTRY_AUTH_LIMITS.maxFieldChars + 1), username: "u" },
          "not a host": { auth: b64("u:p") },
          "ok.example": { auth: b64("u:p") },
          "https://OK.example/v1/": { auth: b64("v:q") },
        },
      });
      // Keys are read in code-unit order, so of two keys for one host the first in that order wins.
      expect(r.auths).toEqual(new Map([["ok.example", { username: "v", password: "q" }]]));
      expect(r.coverage.map((c) => [c.reason, c.subject, c.message])).toEqual([
        ["invalid", "array.example", "auth.json: array.example: not an object; entry skipped"],
        [
          "invalid",
          "bad-b64.example",
          'auth.json: bad-b64.example: "auth" is not base64 of "username:password"; entry skipped',
        ],
        [
          "invalid",
          "empty-user.example",
          'auth.json: empty-user.example: "auth" is not base64 of "username:password"; entry skipped',
        ],
        [
          "invalid",
          "identity.example",
          "auth.json: identity.example: identitytoken (OAuth2 refresh token) is not supported; entry skipped",
        ],
        [
          "invalid",
          "long.example",
          `auth.json: long.example: "password" is not a non-empty string of at most ${REGISTRY_AUTH_LIMITS.maxFieldChars} characters; entry skipped`,
        ],
        [
          "invalid",
          "no-colon.example",
          'auth.json: no-colon.example: "auth" is not base64 of "username:password"; entry skipped',
        ],
        ["invalid", '"not a host"', 'auth.json: "not a host": not a registry host; entry skipped'],
        [
          "invalid",
          "not-utf8.example",
          'auth.json: not-utf8.example: "auth" is not base64 of "username:password"; entry skipped',
        ],
        [
          "invalid",
          "nothing.example",
          "auth.json: nothing.example: no credentials (auth, username/password or registrytoken); entry skipped",
        ],
        [
          "invalid",
          "number.example",
          'auth.json: number.example: "auth" is not a non-empty string of at most 16384 characters; entry skipped',
        ],
        [
          "invalid",
          "ok.example",
          "auth.json: ok.example: a second entry for the same registry (keys differ only by scheme, path or case); entry skipped",
        ],
        [
          "invalid",
          "unpadded.example",
          'auth.json: unpadded.example: "auth" is not base64 of "username:password"; entry skipped',
        ],
      ]);
      const all = JSON.stringify(r.coverage);
      for (const secret of ["idtok-SECRET-1", b64("u:p"), b64("nocolon"), "nocolon"])
        expect(all).not.toContain(secret);
    });

    it("__proto__, constructor and prototype keys anywhere refuse the whole file (UNSAFE)", () => {
      for (const text of [
        '{"auths": {"__proto__": {"auth": "dTpw"}}}',
        '{"__proto__": {"auths": {}}}',
        '{"auths": {"a.example": {"constructor": {"prototype": 1}}}}',
        '{"auths": {"a.example": {"auth": "dTpw", "prototype": "x"}}}',
      ])
        expect(() => parseRegistryAuthConfig(text, "auth.json")).toThrow(
          expect.objectContaining({ code: "UNSAFE" }),
        );
      expect(Object.prototype).not.toHaveProperty("auth");
    });

    it("not JSON, not an object, auths not an object: INPUT, without echoing the content", () => {
      for (const text of [
        '{"auths": {"a": {"auth": "c2VjcmV0"',
        "[]",
        "null",
        '"x"',
        '{"auths": []}',
        '{"auths": "x"}',
      ])
        expect(() => parseRegistryAuthConfig(text, "auth.json")).toThrow(
          expect.objectContaining({ code: "INPUT" }),
        );
      try {
        parseRegistryAuthConfig('{"auths": {"a": {"auth": "c2VjcmV0"', "auth.json");
      } catch (e) {
        expect((e as Error).message).toBe("auth.json: not valid JSON");
      }
    });

    it("nesting deeper than the budget is LIMIT before parsing; brackets inside strings do not count", () => {
      const deep = `{"auths": {"a.example": ${"[".repeat(200_000)}${"]".repeat(200_000)}}}`;
      expect(() => parseRegistryAuthConfig(deep, "auth.json")).toThrow(
        expect.objectContaining({ code: "LIMIT" }),
      );
      const nested = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
      const max = REGISTRY_AUTH_LIMITS.maxDepth;
      expect(() => parseRegistryAuthConfig(`{"x": ${nested(max)}}`, "auth.json")).toThrow(
        expect.objectContaining({ code: "LIMIT" }),
      );
      expect(parseRegistryAuthConfig(`{"x": ${nested(max - 1)}}`, "auth.json")).toEqual({
        auths: new Map(),
        coverage: [],
      });
      expect(
        parseRegistryAuthConfig(
          JSON.stringify({ auths: { "a.example": { auth: b64("u:p") } }, x: '[[[[[[[[[[[[[[[[[[[[\\"' }),
          "auth.json",
        ),
      ).toEqual({ auths: new Map([["a.example", { username: "u", password: "p" }]]), coverage: [] });
    });

    it("more registries than the budget: LIMIT", () => {
      const auths: Record<string, unknown> = {};
      for (let i = 0; i <= REGISTRY_AUTH_LIMITS.maxEntries; i++)
        auths[`r${i}.example`] = { auth: b64("u:p") };
      expect(() => parse({ auths })).toThrow(expect.objectContaining({ code: "LIMIT" }));
    });

    it("a huge file is refused before it is read; a directory or missing file is a clear error", async () => {
      const huge = join(dir, "huge.json");
      writeFileSync(huge, `{"auths": {}, "pad": "${"x".repeat(REGISTRY_AUTH_LIMITS.maxBytes)}"}`);
      await expect(loadRegistryAuthFile(huge)).rejects.toMatchObject({ code: "LIMIT" });
      await expect(loadRegistryAuthFile(dir)).rejects.toMatchObject({ code: "INPUT" });
      await expect(loadRegistryAuthFile(join(dir, "missing.json"))).rejects.toMatchObject({ code: "IO" });
      const ok = join(dir, "ok.json");
      writeFileSync(
        ok,
        JSON.stringify({ auths: { "127.0.0.1:5000": { auth: b64("a:b") } }, credsStore: "desktop" }),
      );
      expect(await loadRegistryAuthFile(ok)).toEqual({
        auths: new Map([["127.0.0.1:5000", { username: "a", password: "b" }]]),
        coverage: [
          {
            reason: "unsupported",
            subject: ok,
            message: `${ok}: credsStore/credHelpers are not run; only inline "auths" credentials are used`,
          },
        ],
      });
    });
  });
});
