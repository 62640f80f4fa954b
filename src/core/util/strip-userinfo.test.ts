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
      "no at sign",
    ])
      expect(stripUserinfo(s)).toBe(s);
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
