import { describe, expect, it } from "vitest";
import { dg, img, layer } from "./__fixtures__/images.js";
import {
  ancestors,
  buildLineage,
  canonicalRef,
  descendants,
  knownImageFromSbom,
  parseKnownImage,
} from "./index.js";
import { BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION } from "./model.js";

const DEB = "docker.io/library/debian:12";
const RT14 = "registry.example/company/base-runtime:1.4";
const RT15 = "registry.example/company/base-runtime:1.5";

/** Projection of the tree: label -> parent label (and how), own layer start, depth. */
function shape(images: Parameters<typeof buildLineage>[0]) {
  const l = buildLineage(images);
  const label = (id: string | undefined) => (id === undefined ? undefined : (l.nodes.get(id)?.refs[0] ?? id));
  return {
    order: l.order.map(label),
    edges: l.order.map((id) => {
      const n = l.nodes.get(id);
      return [label(id), label(n?.parent), n?.parentSource, n?.ownLayerStart, n?.depth];
    }),
    coverage: l.coverage,
  };
}

describe("buildLineage", () => {
  it("builds a multi-level tree from layer-chain prefixes, longest prefix wins", () => {
    const l = buildLineage([
      img(4, ["registry.example/team-a/checkout:2.0"], ["deb", "rt14", "co1", "co2"]),
      img(1, [DEB], ["deb"]),
      img(2, [RT14], ["deb", "rt14"]),
      img(3, [RT15], ["deb", "rt15"]),
      img(5, ["registry.example/team-b/search:1.0"], ["deb", "rt14", "se"]),
    ]);
    expect(l.nodes.get(dg(2))).toEqual({
      id: dg(2),
      digests: [dg(2)],
      refs: [RT14],
      repositories: ["registry.example/company/base-runtime"],
      layers: [layer("deb"), layer("rt14")],
      platform: "linux/amd64",
      parent: dg(1),
      parentSource: "layers",
      ownLayerStart: 1,
      children: [dg(4), dg(5)],
      depth: 1,
    });
    expect(l.order).toEqual([dg(1), dg(2), dg(4), dg(5), dg(3)]);
    expect(l.roots).toEqual([dg(1)]);
    expect(l.nodes.get(dg(4))?.ownLayerStart).toBe(2);
    expect(descendants(l, dg(1))).toEqual([dg(2), dg(4), dg(5), dg(3)]);
    expect(ancestors(l, dg(4))).toEqual([dg(2), dg(1)]);
    expect(l.coverage).toEqual([]);
  });

  it("skips a level when the intermediate image is unknown (grandparent becomes parent)", () => {
    expect(shape([img(1, [DEB], ["deb"]), img(4, ["x/app:1"], ["deb", "rt14", "app"])]).edges).toEqual([
      [DEB, undefined, undefined, 0, 0],
      ["docker.io/x/app:1", DEB, "layers", 1, 1],
    ]);
  });

  it("compares ordered chains, not sets: the same layers in another order are unrelated", () => {
    expect(shape([img(1, ["a/base:1"], ["x", "y"]), img(2, ["a/other:1"], ["y", "x", "z"])]).edges).toEqual([
      ["docker.io/a/base:1", undefined, undefined, 0, 0],
      ["docker.io/a/other:1", undefined, undefined, 0, 0],
    ]);
  });

  it("merges retags and identical chains into one node with several refs and digests", () => {
    const l = buildLineage([
      img(7, ["a/base:1", "a/base:latest"], ["x"]),
      img(3, ["a/base:stable"], ["x"]),
      img(7, ["a/base:one"], ["x"]),
    ]);
    expect([...l.nodes.values()].map((n) => [n.id, n.digests, n.refs])).toEqual([
      [
        dg(3),
        [dg(3), dg(7)],
        ["docker.io/a/base:1", "docker.io/a/base:latest", "docker.io/a/base:one", "docker.io/a/base:stable"],
      ],
    ]);
    expect(l.byDigest.get(dg(7))).toBe(dg(3));
  });

  it("uses base annotations for an image with no layer prefix (squashed) and reports disagreements", () => {
    const r = shape([
      img(1, [DEB], ["deb"]),
      img(2, [RT14], ["deb", "rt14"]),
      img(3, ["a/squashed:1"], ["sq"], [], { annotations: { [BASE_DIGEST_ANNOTATION]: dg(2) } }),
      img(4, ["a/agrees:1"], ["deb", "rt14", "x"], [], {
        annotations: { [BASE_NAME_ANNOTATION]: "debian:12" },
      }),
      img(5, ["a/disagrees:1"], ["deb", "y"], [], { annotations: { [BASE_NAME_ANNOTATION]: RT14 } }),
    ]);
    expect(r.edges).toEqual([
      [DEB, undefined, undefined, 0, 0],
      ["docker.io/a/disagrees:1", DEB, "layers", 1, 1],
      [RT14, DEB, "layers", 1, 1],
      ["docker.io/a/agrees:1", RT14, "layers", 2, 2],
      ["docker.io/a/squashed:1", RT14, "annotation", 0, 2],
    ]);
    expect(r.coverage).toEqual([
      {
        reason: "invalid",
        subject: "docker.io/a/disagrees:1",
        message: `docker.io/a/disagrees:1: annotation claims base ${RT14} but the layer chain shows ${DEB}; using the layer chain`,
      },
    ]);
  });

  it("canonicalises references (Docker Hub defaults, implicit latest)", () => {
    expect([
      canonicalRef("nginx"),
      canonicalRef("debian:12"),
      canonicalRef(`ghcr.io/a/b@${dg(1)}`),
      canonicalRef("Bad Ref"),
    ]).toEqual(["docker.io/library/nginx:latest", DEB, `ghcr.io/a/b@${dg(1)}`, undefined]);
  });
});

describe("pathological cases", () => {
  it("a cycle in claimed base annotations is a coverage entry, never a loop", () => {
    const r = shape([
      img(1, ["a/one:1"], ["l1"], [], { annotations: { [BASE_DIGEST_ANNOTATION]: dg(2) } }),
      img(2, ["a/two:1"], ["l2"], [], { annotations: { [BASE_DIGEST_ANNOTATION]: dg(3) } }),
      img(3, ["a/three:1"], ["l3"], [], { annotations: { [BASE_DIGEST_ANNOTATION]: dg(1) } }),
    ]);
    expect(r.edges).toEqual([
      ["docker.io/a/three:1", undefined, undefined, 0, 0],
      ["docker.io/a/two:1", "docker.io/a/three:1", "annotation", 0, 1],
      ["docker.io/a/one:1", "docker.io/a/two:1", "annotation", 0, 2],
    ]);
    expect(r.coverage).toEqual([
      {
        reason: "invalid",
        subject: "docker.io/a/three:1",
        message:
          "base image annotations form a cycle (docker.io/a/three:1 -> docker.io/a/one:1 -> docker.io/a/two:1 -> docker.io/a/three:1); the edge docker.io/a/three:1 -> docker.io/a/one:1 is ignored",
      },
    ]);
  });

  it("self references, dangling claims, malformed digests and cross-platform claims are coverage", () => {
    const r = shape([
      img(1, ["a/self:1"], ["l1"], [], { annotations: { [BASE_DIGEST_ANNOTATION]: dg(1) } }),
      img(2, ["a/dangling:1"], ["l2"], [], { annotations: { [BASE_NAME_ANNOTATION]: "debian:11" } }),
      img(3, ["a/baddigest:1"], ["l3"], [], { annotations: { [BASE_DIGEST_ANNOTATION]: "sha256:xyz" } }),
      img(4, ["a/arm:1"], ["l4"], [], { platform: "linux/arm64" }),
      img(5, ["a/amd:1"], ["l5"], [], { annotations: { [BASE_DIGEST_ANNOTATION]: dg(4) } }),
    ]);
    expect(r.edges.every((e) => e[1] === undefined)).toBe(true);
    expect(r.coverage).toEqual([
      {
        reason: "invalid",
        subject: "docker.io/a/self:1",
        message: "docker.io/a/self:1: base image annotation names the image itself; ignored",
      },
      {
        reason: "missing",
        subject: "docker.io/a/dangling:1",
        message:
          "docker.io/a/dangling:1: claimed base image debian:11 was never analyzed (palisade images add it to place docker.io/a/dangling:1 under it)",
      },
      {
        reason: "invalid",
        subject: "docker.io/a/baddigest:1",
        message:
          'docker.io/a/baddigest:1: annotation org.opencontainers.image.base.digest "sha256:xyz" is not a digest; ignored',
      },
      {
        reason: "unsupported",
        subject: "docker.io/a/amd:1",
        message: "docker.io/a/amd:1 (linux/amd64): claimed base docker.io/a/arm:1 is linux/arm64; not linked",
      },
    ]);
  });

  it("identical chains of other platforms are separate nodes; layer parents never cross platforms", () => {
    const r = buildLineage([
      img(1, ["a/base:1"], ["x"]),
      img(2, ["a/base:1"], ["x"], [], { platform: "linux/arm64" }),
      img(3, ["a/app:1"], ["x", "y"], [], { platform: "linux/arm64" }),
    ]);
    expect([...r.nodes.values()].map((n) => [n.id, n.platform, n.parent])).toEqual([
      [dg(1), "linux/amd64", undefined],
      [dg(2), "linux/arm64", undefined],
      [dg(3), "linux/arm64", dg(2)],
    ]);
    expect(r.byRef.get("docker.io/a/base:1")).toEqual([dg(1), dg(2)]);
    expect(r.coverage).toEqual([]);
  });

  it("an image without layers is left out with a coverage entry; digests without tags keep their digest as label", () => {
    const r = buildLineage([img(1, [], []), img(2, [], ["x"])]);
    expect([...r.nodes.keys()]).toEqual([dg(2)]);
    expect(r.coverage).toEqual([
      {
        reason: "invalid",
        subject: dg(1),
        message: `image ${dg(1)} has no layers; left out of the image tree`,
      },
    ]);
  });

  it("a deep chain of 500 single-layer children builds without recursion limits", () => {
    const names = Array.from({ length: 500 }, (_, i) => `l${i}`);
    const imgs = names.map((_, i) => img(i + 1, [`a/level:${i}`], names.slice(0, i + 1)));
    const l = buildLineage(imgs.reverse());
    expect(l.nodes.get(dg(500))?.depth).toBe(499);
    expect(ancestors(l, dg(500)).length).toBe(499);
  });

  it("parseKnownImage refuses prototype keys and bad shapes, and round-trips a valid image", () => {
    const good = img(1, ["a/b:1"], ["x"], [["openssl", "3.0.11-1~deb12u1", 0]]);
    expect(parseKnownImage(JSON.parse(JSON.stringify(good)))).toEqual(good);
    expect(() => parseKnownImage(JSON.parse('{"__proto__": {}, "digest": "x"}'))).toThrow(/__proto__/);
    expect(() => parseKnownImage({ ...good, digest: "sha256:1" })).toThrow(/digest/);
    expect(() => parseKnownImage({ ...good, layers: "x" })).toThrow(/layers/);
    expect(() => parseKnownImage({ ...good, packages: [{ name: 1 }] })).toThrow(/package/);
  });

  it("knownImageFromSbom needs an image digest and keeps only base annotations", () => {
    expect(() =>
      knownImageFromSbom({ subject: { kind: "directory", name: "/x" }, layers: [], packages: [] }),
    ).toThrow(/not an image/);
    expect(
      knownImageFromSbom(
        {
          subject: { kind: "image", name: "oci:/x", digest: dg(9) },
          layers: [{ diffId: layer("a") }],
          packages: [],
          image: {
            manifestDigest: dg(9),
            configDigest: dg(8),
            platform: "linux/amd64",
            annotations: { [BASE_NAME_ANNOTATION]: "debian:12", "org.opencontainers.image.title": "x" },
            repoTags: ["a/b:1"],
          },
        },
        ["a/b:latest", "not a ref"],
      ),
    ).toEqual({
      digest: dg(9),
      configDigest: dg(8),
      refs: ["docker.io/a/b:1", "docker.io/a/b:latest"],
      layers: [layer("a")],
      platform: "linux/amd64",
      annotations: { [BASE_NAME_ANNOTATION]: "debian:12" },
      packages: [],
    });
  });
});
