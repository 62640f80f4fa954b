import { describe, expect, it } from "vitest";
import {
  annotatedBase,
  type ImageMeta,
  inTotoStatement,
  isArtifactTag,
  isProperPrefix,
  newerTags,
  prefixCandidates,
  provenanceImages,
  tagRefOf,
} from "./bases.js";
import { BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION } from "./model.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

describe("isProperPrefix", () => {
  it("is true only for a shorter, element-wise equal chain", () => {
    expect(isProperPrefix(["a"], ["a", "b"])).toBe(true);
    expect(isProperPrefix(["a", "b"], ["a", "b"])).toBe(false);
    expect(isProperPrefix(["b"], ["a", "b"])).toBe(false);
    expect(isProperPrefix([], ["a"])).toBe(false);
  });
});

describe("annotatedBase", () => {
  it("pins the digest and keeps the tag beside it", () => {
    expect(annotatedBase({ [BASE_NAME_ANNOTATION]: "debian:12", [BASE_DIGEST_ANNOTATION]: D("a") })).toBe(
      `docker.io/library/debian:12@${D("a")}`,
    );
    expect(annotatedBase({ [BASE_NAME_ANNOTATION]: "reg.example/os" })).toBe("reg.example/os:latest");
  });
  it("gives nothing to pull for a digest without a name, or an invalid name", () => {
    expect(annotatedBase({ [BASE_DIGEST_ANNOTATION]: D("a") })).toBeUndefined();
    expect(annotatedBase({ [BASE_NAME_ANNOTATION]: "Not A Ref" })).toBeUndefined();
  });
});

describe("provenance", () => {
  const statement = {
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType: "https://slsa.dev/provenance/v0.2",
    predicate: {
      materials: [
        { uri: "git+https://github.com/x/y@refs/heads/main", digest: { sha1: "0".repeat(40) } },
        { uri: "pkg:docker/alpine@3.19?platform=linux%2Famd64", digest: { sha256: "b".repeat(64) } },
        { uri: "pkg:docker/reg.example:5000/team/runtime@3.11", digest: { sha256: "c".repeat(64) } },
        { uri: "pkg:docker/node@20?repository_url=ghcr.io/acme" },
        { uri: "docker://quay.io/org/img:1" },
      ],
    },
  };
  it("reads image materials from SLSA v0.2 and v1, skipping sources that are not images", () => {
    expect(provenanceImages(statement)).toEqual([
      `docker.io/library/alpine:3.19@sha256:${"b".repeat(64)}`,
      "ghcr.io/acme/node:20",
      "quay.io/org/img:1",
      `reg.example:5000/team/runtime:3.11@sha256:${"c".repeat(64)}`,
    ]);
    const v1 = {
      _type: "https://in-toto.io/Statement/v1",
      predicate: {
        buildDefinition: {
          resolvedDependencies: [{ uri: "pkg:docker/debian@12", digest: { sha256: "d".repeat(64) } }],
        },
      },
    };
    expect(provenanceImages(v1)).toEqual([`docker.io/library/debian:12@sha256:${"d".repeat(64)}`]);
  });
  it("opens a DSSE envelope and refuses what is not an in-toto statement", () => {
    const env = { payloadType: "application/vnd.in-toto+json", payload: b64(JSON.stringify(statement)) };
    expect(inTotoStatement(env, unb64)).toEqual(statement);
    expect(inTotoStatement(statement, unb64)).toEqual(statement);
    expect(
      inTotoStatement({ payloadType: "application/vnd.in-toto+json", payload: b64("{") }, unb64),
    ).toBeUndefined();
    expect(inTotoStatement({ _type: "something else" }, unb64)).toBeUndefined();
    expect(inTotoStatement("text", unb64)).toBeUndefined();
  });

  describe("pathological cases", () => {
    it("ignores malformed materials and caps their number", () => {
      const many = Array.from({ length: 5_000 }, (_, i) => ({ uri: `docker://reg.example/img${i}:1` }));
      const st = {
        _type: "https://in-toto.io/Statement/v1",
        predicate: { materials: [null, 7, { uri: 3 }, { uri: "pkg:docker/%zz" }, ...many] },
      };
      expect(provenanceImages(st).length).toBeLessThanOrEqual(1_000);
      expect(provenanceImages({ predicate: "x" })).toEqual([]);
    });
  });
});

describe("candidates and releases", () => {
  const meta = (repository: string, tag: string, layers: string[], platform = "linux/amd64"): ImageMeta => ({
    repository,
    tag,
    digest: D(layers.join("").slice(0, 1) + String(layers.length)),
    layers,
    platform,
    annotations: {},
  });
  it("keeps the images whose chain the subject extends on its platform, root first", () => {
    const os = meta("r/os", "1", ["a"]);
    const rt = meta("r/rt", "1", ["a", "b"]);
    const other = meta("r/x", "1", ["z"]);
    const arm = meta("r/os", "1", ["a"], "linux/arm64");
    const self = meta("r/app", "1", ["a", "b", "c"]);
    expect(prefixCandidates(["a", "b", "c"], "linux/amd64", [self, other, rt, arm, os])).toEqual([os, rt]);
  });
  it("finds later tags of the same variant, highest first", () => {
    const tags = ["12.1", "12.2", "12.10", "11.9", "12.2-slim", "latest", "13.0"];
    expect(newerTags("12.1", tags, 8)).toEqual(["13.0", "12.10", "12.2"]);
    expect(newerTags("12.1", tags, 1)).toEqual(["13.0"]);
    expect(newerTags("latest", tags, 8)).toEqual([]);
    expect(newerTags("12.1-slim", tags, 8)).toEqual(["12.2-slim"]);
  });
  it("names the tag of a reference", () => {
    expect(tagRefOf(`reg.example/os:12@${D("a")}`)).toBe("reg.example/os:12");
    expect(tagRefOf(`reg.example/os@${D("a")}`)).toBeUndefined();
  });
});

describe("isArtifactTag", () => {
  it("knows cosign and referrers tags from image tags", () => {
    const hex = "a".repeat(64);
    expect(
      [`sha256-${hex}`, `sha256-${hex}.att`, `sha256-${hex}.sig`, "12.1", "sha256-x", "latest"].map(
        isArtifactTag,
      ),
    ).toEqual([true, true, true, false, false, false]);
  });
});
