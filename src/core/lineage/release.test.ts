import { describe, expect, it } from "vitest";
import { buildInventory } from "../inventory/index.js";
import { DEFAULT_RESOLVER } from "../vuln/index.js";
import { byKey, deployment, dg, img, osv } from "./__fixtures__/images.js";
import {
  attributeVulns,
  buildImpactIndex,
  buildLineage,
  buildPlan,
  compareTags,
  type KnownImage,
  matchLineage,
  observeRemediation,
  tagRelease,
  workloadUsages,
} from "./index.js";

describe("tag order by the tag's scheme", () => {
  it("orders versions of one variant, and nothing else", () => {
    const pairs: [string, string][] = [
      ["1.4", "1.5"],
      ["1.9", "1.10"],
      ["v2.0.1", "v2.0.10"],
      ["3.12-slim", "3.13-slim"],
      ["1.2.3-1~deb12u1", "1.2.3-1~deb12u2"],
      ["20240101", "20240201"],
      ["3.12-slim", "3.13-alpine"],
      ["1.0", "latest"],
      ["stable", "latest"],
      ["1.0.0", "1.0.0-rc.1"],
    ];
    expect(pairs.map(([a, b]) => compareTags(a, b))).toEqual([
      -1,
      -1,
      -1,
      -1,
      -1,
      -1,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect([tagRelease("v1.2-slim"), tagRelease("latest")]).toEqual([
      { version: "1.2-slim", variant: "-slim" },
      undefined,
    ]);
  });
});

describe("a patched image is a later release", () => {
  const RT = "registry.example/company/base-runtime";
  const ADVISORIES = byKey([
    osv("DEBIAN-CVE-2024-0001", "openssl", "3.0.13-1~deb12u1", undefined, ["CVE-2024-0001"]),
  ]);
  const observe = (images: KnownImage[]) => {
    const lineage = buildLineage(images);
    const vulns = attributeVulns(lineage, matchLineage(lineage, ADVISORIES, DEFAULT_RESOLVER).findings);
    const raws = deployment("shop", "checkout", "registry.example/team-a/checkout:2.0", {
      replicas: 1,
      podDigests: [dg(4)],
    });
    const idx = buildImpactIndex(lineage, vulns, workloadUsages(buildInventory(raws)));
    const r = observeRemediation(idx).remediations.find((o) => o.vulnerabilityId === "CVE-2024-0001");
    return { patched: r?.patchedImages, upgrades: buildPlan(idx).upgrades.map((u) => u.message) };
  };
  const vulnerable = (n: number, ref: string, extra: Partial<KnownImage> = {}) =>
    img(n, [ref], ["deb", `rt${n}`], [["openssl", "3.0.11-1~deb12u1", 1]], extra);
  const clean = (n: number, ref: string, extra: Partial<KnownImage> = {}) =>
    img(n, [ref], ["deb", `rt${n}`], [["openssl", "3.0.15-1~deb12u1", 1]], extra);
  const app = img(
    4,
    ["registry.example/team-a/checkout:2.0"],
    ["deb", "rt2", "co"],
    [["openssl", "3.0.11-1~deb12u1", 1]],
  );

  it("an older tag without the vulnerability is neither a patched image nor upgrade advice", () => {
    expect(observe([clean(1, `${RT}:1.3`), vulnerable(2, `${RT}:1.4`), app])).toEqual({
      patched: [],
      upgrades: [],
    });
    expect(observe([clean(1, `${RT}:1.3`), vulnerable(2, `${RT}:1.4`), clean(3, `${RT}:1.10`), app])).toEqual(
      {
        patched: [`${RT}:1.10`],
        upgrades: [
          `move FROM ${RT}:1.4 to ${RT}:1.10: clears 1 of 1 vulnerability in 2 images / 1 workload / 1 team`,
        ],
      },
    );
  });

  it("tags that do not order fall back to the images' creation time; unordered images patch nothing", () => {
    const t = (d: string) => ({ created: `2024-0${d}-01T00:00:00.000Z` });
    expect(
      observe([clean(1, `${RT}:edge`, t("1")), vulnerable(2, `${RT}:stable`, t("2")), app]).patched,
    ).toEqual([]);
    expect(
      observe([clean(1, `${RT}:edge`, t("3")), vulnerable(2, `${RT}:stable`, t("2")), app]).patched,
    ).toEqual([`${RT}:edge`]);
    expect(observe([clean(1, `${RT}:edge`), vulnerable(2, `${RT}:stable`), app]).patched).toEqual([]);
  });
});

describe("pathological cases", () => {
  it("a stored image with a creation time that is not a time keeps none", async () => {
    const { parseKnownImage } = await import("./known-image.js");
    const base = { digest: dg(1), refs: [], layers: [], annotations: {}, packages: [] };
    expect(parseKnownImage({ ...base, created: "yesterday" }).created).toBeUndefined();
    expect(parseKnownImage({ ...base, created: "2024-01-01T00:00:00.000Z" }).created).toBe(
      "2024-01-01T00:00:00.000Z",
    );
  });
});

describe("pods reporting an index digest", () => {
  it("resolve to the platform manifest their node runs, not to the tag", () => {
    const IDX = dg(99);
    const ref = "registry.example/team-a/checkout:2.0";
    const amd = img(1, [ref], ["a"], [], { index: IDX });
    const arm = img(2, [ref], ["b"], [], { index: IDX, platform: "linux/arm64" });
    const lineage = buildLineage([amd, arm]);
    expect([...(lineage.byIndex.get(IDX) ?? [])]).toEqual([
      ["linux/amd64", dg(1)],
      ["linux/arm64", dg(2)],
    ]);
    const raws = deployment("shop", "checkout", ref, { replicas: 2, podDigests: [IDX, IDX] });
    const pods = raws.filter((r) => r.object.kind === "Pod");
    pods.forEach((p, i) => {
      (p.object.spec as Record<string, unknown>).nodeName = `node-${i}`;
    });
    const node = (name: string, arch: string) => ({
      object: {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name },
        status: { nodeInfo: { operatingSystem: "linux", architecture: arch } },
      },
    });
    const usages = workloadUsages(
      buildInventory([...raws, node("node-0", "arm64"), node("node-1", "amd64")]),
    );
    expect(usages[0]?.containers[0]?.running).toEqual([
      { digest: IDX, replicas: 1, platform: "linux/amd64" },
      { digest: IDX, replicas: 1, platform: "linux/arm64" },
    ]);
    const idx = buildImpactIndex(lineage, attributeVulns(lineage, new Map()), usages);
    expect([idx.coverage, [...(idx.workloadNodes[0] ?? [])]]).toEqual([
      [],
      [
        [dg(1), 1],
        [dg(2), 1],
      ],
    ]);
  });
});
