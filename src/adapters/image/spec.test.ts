import { describe, expect, it } from "vitest";
import { parseImageManifest, parseIndex, parseJsonDocument, selectPlatform } from "./manifest.js";
import { isLoopbackHost, parseChallenge } from "./registry.js";
import { IMAGE_SOURCES } from "./sources.js";
import { parseSourceSpec } from "./spec.js";

const d = (n: string) => `sha256:${n.repeat(64)}`;

describe("parseSourceSpec", () => {
  it("parses every transport", () => {
    expect([
      parseSourceSpec("oci:/a/b:t"),
      parseSourceSpec("oci:./x"),
      parseSourceSpec("docker-archive:/tmp/i.tar"),
      parseSourceSpec("dir:/"),
      parseSourceSpec("registry:127.0.0.1:5000/x/y:1"),
      parseSourceSpec("alpine"),
    ]).toEqual([
      { transport: "oci", dir: "/a/b", tag: "t" },
      { transport: "oci", dir: "./x" },
      { transport: "docker-archive", file: "/tmp/i.tar" },
      { transport: "dir", path: "/" },
      {
        transport: "registry",
        registry: "127.0.0.1:5000",
        repository: "x/y",
        reference: "1",
        display: "127.0.0.1:5000/x/y:1",
      },
      {
        transport: "registry",
        registry: "registry-1.docker.io",
        repository: "library/alpine",
        reference: "latest",
        display: "docker.io/library/alpine",
      },
    ]);
  });
  it("dispatches through the registered sources: docker:// is the registry, the spec is trimmed", () => {
    expect([parseSourceSpec("docker://quay.io/a/b@" + d("a")), parseSourceSpec("  dir:/x  ")]).toEqual([
      {
        transport: "registry",
        registry: "quay.io",
        repository: "a/b",
        reference: d("a"),
        display: `quay.io/a/b@${d("a")}`,
      },
      { transport: "dir", path: "/x" },
    ]);
    expect(IMAGE_SOURCES.filter((s) => s.fallback).map((s) => s.transport)).toEqual(["registry"]);
  });
  describe("pathological cases", () => {
    it("rejects empty paths and invalid references with USAGE", () => {
      for (const s of ["oci:", "docker-archive:", "dir:", "UPPER//bad::ref"])
        expect(() => parseSourceSpec(s)).toThrow(expect.objectContaining({ code: "USAGE" }));
    });
  });
});

describe("registry helpers", () => {
  it("parses bearer and basic challenges", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: Object.assign(Object.create(null), {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/alpine:pull",
      }),
    });
    expect(parseChallenge('Basic realm="x"')?.scheme).toBe("basic");
    expect(parseChallenge("")).toBeUndefined();
  });
  it("knows loopback hosts", () => {
    expect(
      [
        "localhost:5000",
        "127.0.0.1",
        "127.1.2.3:80",
        "[::1]:5000",
        "10.0.0.1:5000",
        "localhost.evil.com",
      ].map(isLoopbackHost),
    ).toEqual([true, true, true, true, false, false]);
  });
});

describe("manifests", () => {
  const index = parseIndex({
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: d("a"),
        size: 1,
        platform: { os: "linux", architecture: "arm64", variant: "v8" },
      },
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: d("b"),
        size: 1,
        platform: { os: "linux", architecture: "amd64" },
      },
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: d("c"),
        size: 1,
        platform: { os: "linux", architecture: "arm", variant: "v7" },
      },
    ],
  });
  it("selects platforms (arm64 defaults to v8)", () => {
    expect(selectPlatform(index, { os: "linux", architecture: "amd64" }).digest).toBe(d("b"));
    expect(selectPlatform(index, { os: "linux", architecture: "arm64" }).digest).toBe(d("a"));
    expect(selectPlatform(index, { os: "linux", architecture: "arm", variant: "v7" }).digest).toBe(d("c"));
    expect(() => selectPlatform(index, { os: "windows", architecture: "amd64" })).toThrow(
      /no manifest for platform windows\/amd64/,
    );
  });
  describe("pathological cases", () => {
    it("malformed manifests are typed errors", () => {
      expect(() => parseJsonDocument(new TextEncoder().encode("{"), "m")).toThrow(
        expect.objectContaining({ code: "INPUT" }),
      );
      expect(() => parseJsonDocument(new TextEncoder().encode('{"__proto__":{}}'), "m")).toThrow(
        expect.objectContaining({ code: "UNSAFE" }),
      );
      expect(() => parseImageManifest({ schemaVersion: 1 })).toThrow(
        expect.objectContaining({ code: "UNSUPPORTED" }),
      );
      expect(() =>
        parseImageManifest({ schemaVersion: 2, config: { digest: "sha256:zz", size: 1 }, layers: [] }),
      ).toThrow(/invalid digest/);
      expect(() =>
        parseImageManifest({ schemaVersion: 2, config: { digest: d("a"), size: -1 }, layers: [] }),
      ).toThrow(/invalid size/);
      expect(() =>
        parseImageManifest({
          schemaVersion: 2,
          config: { digest: d("a"), size: 1 },
          layers: new Array(300).fill({ digest: d("a"), size: 1 }),
        }),
      ).toThrow(expect.objectContaining({ code: "LIMIT" }));
    });
  });
});
