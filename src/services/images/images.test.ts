import { describe, expect, it } from "vitest";
import { openStores } from "../../adapters/store/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { deployment, dg, img } from "../../core/lineage/__fixtures__/images.js";
import { sbomOfKnownImage } from "../../core/lineage/index.js";
import { addImages, discoverImages, listKnownImages, rememberImages } from "./index.js";

const T0 = new Date("2026-03-01T00:00:00.000Z");
const WEB = "registry.example/shop/web";
const API = "registry.example/shop/api";
const GONE = "registry.example/shop/gone";

const web = img(1, [`${WEB}:1.0`], ["base", "web"], [["curl", "7.88.1-10+deb12u4", 1]]);
const api = img(2, [], ["base", "api"], [["openssl", "3.0.11-1~deb12u1", 1]]);

const inventory = [
  ...deployment("shop", "web", `${WEB}:1.0`, { podDigests: [dg(1)] }),
  ...deployment("shop", "api", `${API}:2.0`, { podDigests: [dg(2)] }),
  ...deployment("shop", "gone", `${GONE}:3.0`),
];

describe("discoverImages (images service)", () => {
  it("plans against the store, analyzes the rest through the analyzer it is given, and stores each", async () => {
    const stores = await openStores("memory:");
    await stores.images.putImages([web], T0);
    const pulled: string[] = [];
    // The registry is a stand-in here (the registry adapter and a real registry: test/integration/images-discover).
    const analyze = async (pull: string) => {
      pulled.push(pull);
      if (pull.startsWith(API)) return { sbom: sbomOfKnownImage(api), coverage: [] };
      throw new PalisadeError("INPUT", `${pull}: manifest unknown`);
    };
    const report = await discoverImages(
      { sources: { snapshots: ["cluster.json"] }, concurrency: 2 },
      {
        readers: { snapshots: async () => ({ objects: structuredClone(inventory), coverage: [], files: 1 }) },
        images: stores.images,
        analyze,
        now: () => T0,
        coverage: [{ reason: "invalid", subject: "auth.json", message: "skipped credentials" }],
      },
    );
    expect(pulled.sort()).toEqual([`${API}@${dg(2)}`, `${GONE}:3.0`]);
    expect({
      ...report,
      outcomes: report.outcomes.map((o) => [o.target.key, o.status, o.pulled, o.image?.digest, o.error]),
    }).toEqual({
      discovered: 3,
      alreadyKnown: 1,
      analyzed: 1,
      failed: 1,
      outcomes: [
        [
          `${GONE}:3.0`,
          "failed",
          undefined,
          undefined,
          { code: "INPUT", reason: "missing", message: `${GONE}:3.0: manifest unknown` },
        ],
        [dg(1), "known", undefined, dg(1), undefined],
        [dg(2), "analyzed", `${API}@${dg(2)}`, dg(2), undefined],
      ],
      failures: [
        {
          reason: "missing",
          subject: `${GONE}:3.0`,
          message: `cannot analyze ${GONE}:3.0 (used by 1 workload, e.g. shop/Deployment/gone): ${GONE}:3.0: manifest unknown`,
        },
      ],
      coverage: [{ reason: "invalid", subject: "auth.json", message: "skipped credentials" }],
    });
    // The known image learned the by-digest reference seen now; the analyzed one is stored with both.
    expect(
      (await stores.images.listImages()).images.map((i) => [i.image.digest, i.image.refs, i.lastSeen]),
    ).toEqual([
      [dg(1), [`${WEB}:1.0`, `${WEB}@${dg(1)}`], T0.toISOString()],
      [dg(2), [`${API}:2.0`, `${API}@${dg(2)}`], T0.toISOString()],
    ]);
    await stores.close();
  });
});

describe("listKnownImages (images service)", () => {
  it("lists every known image by digest with its layer chain and package count, and when it was seen", async () => {
    const stores = await openStores("memory:");
    const T1 = new Date("2026-03-02T00:00:00.000Z");
    await rememberImages([web, api], { images: stores.images, now: () => T0 });
    await rememberImages([web], { images: stores.images, now: () => T1 });
    expect(await listKnownImages({ images: stores.images })).toEqual({
      images: [
        {
          digest: dg(1),
          refs: [`${WEB}:1.0`],
          platform: web.platform,
          layers: web.layers,
          packages: 1,
          firstSeen: T0.toISOString(),
          lastSeen: T1.toISOString(),
        },
        {
          digest: dg(2),
          refs: [],
          platform: api.platform,
          layers: api.layers,
          packages: 1,
          firstSeen: T0.toISOString(),
          lastSeen: T0.toISOString(),
        },
      ],
      coverage: [],
    });
  });
});

describe("addImages (images service)", () => {
  it("names images by the refs given and the registry reference, says when one has no name, remembers all", async () => {
    const stores = await openStores("memory:");
    const seen: string[] = [];
    const unnamed = { ...web, refs: [] };
    const added = await addImages(
      { targets: ["oci:/images/web", `${API}:2.0`] },
      {
        images: stores.images,
        now: () => T0,
        // Image sources are stand-ins here (the image adapter has its own contract suite).
        analyze: async (t) =>
          t.startsWith("oci:")
            ? { sbom: sbomOfKnownImage(unnamed), coverage: [] }
            : {
                sbom: sbomOfKnownImage(api),
                coverage: [{ reason: "unsupported", subject: t, message: "one layer unreadable" }],
                registryRef: `${API}:2.0`,
              },
        onAdded: (a) => seen.push(`${a.target} ${a.image.refs.join(",")}`),
      },
    );
    expect([seen, added.map((a) => a.coverage)]).toEqual([
      ["oci:/images/web ", `${API}:2.0 ${API}:2.0`],
      [
        [
          {
            reason: "missing",
            message: `oci:/images/web has no repository name or tag: it is known by digest ${dg(1)} only (name it with --ref)`,
          },
        ],
        [{ reason: "unsupported", subject: `${API}:2.0`, message: "one layer unreadable" }],
      ],
    ]);
    expect(
      (await stores.images.listImages()).images.map((i) => [i.image.digest, i.image.refs, i.firstSeen]),
    ).toEqual([
      [dg(1), [], T0.toISOString()],
      [dg(2), [`${API}:2.0`], T0.toISOString()],
    ]);
  });

  it("the refs given name the image", async () => {
    const stores = await openStores("memory:");
    const [one] = await addImages(
      { targets: ["oci:/images/web"], refs: [`${WEB}:1.1`] },
      {
        images: stores.images,
        now: () => T0,
        analyze: async () => ({ sbom: sbomOfKnownImage({ ...web, refs: [] }), coverage: [] }),
      },
    );
    expect([one?.image.refs, one?.coverage]).toEqual([[`${WEB}:1.1`], []]);
  });
});
