import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseImageRef } from "../inventory/index.js";
import { stripUserinfo } from "./index.js";

describe("stripUserinfo", () => {
  it("drops user:password@ before a registry host in references, URLs and purl qualifiers", () => {
    expect(stripUserinfo("deploy:secret@registry.example/team/app:1")).toBe("registry.example/team/app:1");
    expect(stripUserinfo("image deploy:secret@localhost:5000/app failed")).toBe(
      "image localhost:5000/app failed",
    );
    expect(stripUserinfo('"https://u:p@registry.example/v2/"')).toBe('"https://registry.example/v2/"');
    expect(stripUserinfo("pkg:oci/app@1?repository_url=u:p@registry.example/app")).toBe(
      "pkg:oci/app@1?repository_url=registry.example/app",
    );
    expect(stripUserinfo("pkg:oci/app@1?repository_url=u%3Ap%40registry.example%2Fapp")).toBe(
      "pkg:oci/app@1?repository_url=registry.example%2Fapp",
    );
  });
  it("keeps digests, purl versions and plain text", () => {
    for (const s of [
      `nginx@sha256:${"a".repeat(64)}`,
      `registry.example/app@sha256:${"a".repeat(64)}`,
      "pkg:npm/%40scope/name@1.0.0",
      "mail admin@example.com about it",
      '{"subject": "user-1@example.com", "to": "user-2@example.com:8080"}',
      "no at sign",
    ])
      expect(stripUserinfo(s)).toBe(s);
  });
  it("equals both replacements applied unconditionally (the cheap pre-scans skip only texts they cannot change)", () => {
    const USERINFO = /(^|[\s"'=(,[]|:\/\/)[^\s"'=(,[\]/@]+@(?=[A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?\/)/g;
    const USERINFO_ENCODED = /(=)[^\s"'=&/@]*%40(?=[A-Za-z0-9][A-Za-z0-9.-]*(?:(?::|%3A)\d+)?(?:\/|%2F))/gi;
    const piece = fc.constantFrom(
      "@",
      "%40",
      "%4",
      "0",
      "%3A",
      "%2F",
      ":",
      "/",
      "=",
      '"',
      " ",
      "u",
      "p",
      "h.x",
      "5000",
      "-",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const s = pieces.join("");
        expect(stripUserinfo(s)).toBe(s.replace(USERINFO, "$1").replace(USERINFO_ENCODED, "$1"));
      }),
      { numRuns: 5000 },
    );
  });
  it("parseImageRef never keeps the credentials", () => {
    const r = parseImageRef("deploy:secret@registry.example/team/app:1");
    expect(r).toEqual({
      ok: true,
      ref: {
        original: "registry.example/team/app:1",
        registry: "registry.example",
        repository: "team/app",
        name: "registry.example/team/app",
        tag: "1",
      },
    });
  });
});
