import { describe, expect, it } from "vitest";
import { formatImageRef, parseImageRef } from "./image-ref.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseImageRef: distribution reference grammar and Docker Hub normalisation", () => {
  it.each([
    ["nginx", { registry: "docker.io", repository: "library/nginx", name: "docker.io/library/nginx" }],
    [
      "nginx:1.25",
      { registry: "docker.io", repository: "library/nginx", name: "docker.io/library/nginx", tag: "1.25" },
    ],
    [
      "library/nginx",
      { registry: "docker.io", repository: "library/nginx", name: "docker.io/library/nginx" },
    ],
    [
      "docker.io/nginx",
      { registry: "docker.io", repository: "library/nginx", name: "docker.io/library/nginx" },
    ],
    [
      "index.docker.io/nginx",
      { registry: "docker.io", repository: "library/nginx", name: "docker.io/library/nginx" },
    ],
    ["acme/pay", { registry: "docker.io", repository: "acme/pay", name: "docker.io/acme/pay" }],
    [
      "localhost:5000/a/b:t",
      { registry: "localhost:5000", repository: "a/b", name: "localhost:5000/a/b", tag: "t" },
    ],
    ["localhost/a", { registry: "localhost", repository: "a", name: "localhost/a" }],
    [
      `ghcr.io/org/img@${D}`,
      { registry: "ghcr.io", repository: "org/img", name: "ghcr.io/org/img", digest: D },
    ],
    ["registry:5000/x", { registry: "registry:5000", repository: "x", name: "registry:5000/x" }],
    [
      `nginx:1.25@${D}`,
      {
        registry: "docker.io",
        repository: "library/nginx",
        name: "docker.io/library/nginx",
        tag: "1.25",
        digest: D,
      },
    ],
    // A first component with upper case is a domain (docker's splitDockerDomain), and domains may be upper case.
    ["Registry/x", { registry: "Registry", repository: "x", name: "Registry/x" }],
    ["[::1]:5000/x:y", { registry: "[::1]:5000", repository: "x", name: "[::1]:5000/x", tag: "y" }],
    [
      "a__b/c-d---e.f_g:v1_2.3-x",
      {
        registry: "docker.io",
        repository: "a__b/c-d---e.f_g",
        name: "docker.io/a__b/c-d---e.f_g",
        tag: "v1_2.3-x",
      },
    ],
    // "localhost:5000" alone is the image "localhost" with tag "5000", as in distribution.
    [
      "localhost:5000",
      {
        registry: "docker.io",
        repository: "library/localhost",
        name: "docker.io/library/localhost",
        tag: "5000",
      },
    ],
  ])("%s", (input, want) => {
    expect(parseImageRef(input)).toEqual({ ok: true, ref: { original: input, ...want } });
  });

  it.each([
    ["", "empty image reference"],
    ["Nginx", 'invalid repository component "Nginx"'],
    ["acme/Pay", 'invalid repository component "Pay"'],
    [" nginx", "image reference has leading or trailing whitespace"],
    ["nginx:", 'invalid tag ""'],
    [`nginx:${"t".repeat(129)}`, `invalid tag "${"t".repeat(129)}"`],
    ["nginx@sha256:abc", 'invalid digest "sha256:abc"'],
    [`nginx@sha256:${"A".repeat(64)}`, "invalid sha256 digest: expected 64 lower-case hex digits"],
    [`nginx@sha256:${"a".repeat(63)}`, "invalid sha256 digest: expected 64 lower-case hex digits"],
    [`nginx@md5:${"a".repeat(32)}`, 'unsupported digest algorithm "md5"'],
    [`nginx@constructor:${"a".repeat(32)}`, 'unsupported digest algorithm "constructor"'],
    [":tag", "missing repository name"],
    ["a//b", 'invalid repository component ""'],
    ["-x.io/a", 'invalid registry "-x.io"'],
    ["a/b_", 'invalid repository component "b_"'],
    [`${"a".repeat(256)}`, "repository name longer than 255 characters"],
  ])("rejects %j", (input, error) => {
    expect(parseImageRef(input)).toEqual({ ok: false, error });
  });

  it("formats the canonical reference", () => {
    const r = parseImageRef(`nginx:1.25@${D}`);
    expect(r.ok && formatImageRef(r.ref)).toBe(`docker.io/library/nginx:1.25@${D}`);
  });
});
