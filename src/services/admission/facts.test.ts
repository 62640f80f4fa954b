import { describe, expect, it } from "vitest";
import type { RemediationRecord } from "../../core/lineage/index.js";
import { CachedImageFacts, imageFactsIndex, resolveDigest } from "./index.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const record = (over: Partial<RemediationRecord>): RemediationRecord =>
  ({
    key: "CVE-1|registry.acme.internal/api",
    vulnerabilityId: "CVE-1",
    family: "registry.acme.internal/api",
    state: "closed",
    patchedImages: [D("2")],
    ...over,
  }) as RemediationRecord;

const index = () =>
  imageFactsIndex({
    images: [
      { image: { digest: D("1"), refs: ["registry.acme.internal/api:1.0"] } },
      { image: { digest: D("2"), refs: ["registry.acme.internal/api:1.1"] } },
    ],
    lineage: {
      byDigest: new Map([
        [D("1"), "n1"],
        [D("2"), "n2"],
      ]),
    },
    vulns: {
      byNode: new Map([
        [
          "n1",
          [
            {
              vulnerabilityId: "CVE-1",
              aliases: ["GHSA-1"],
              severity: "critical" as const,
              package: "openssl",
              sourcePackage: "openssl",
              ecosystem: "Debian:12",
              purl: "pkg:deb/debian/openssl",
              installed: "3.0.1",
              fixedVersions: ["3.0.2"],
              fixNode: "n1",
            },
          ],
        ],
      ]),
      nodesByVuln: new Map([["CVE-1", ["n1"]]]),
    },
    records: [record({}), record({ key: "open", state: "open", vulnerabilityId: "CVE-9" })],
  });

describe("image facts from the store", () => {
  it("knows digests, their vulnerabilities, tags they were seen under and digests a closed record replaced", () => {
    const ix = index();
    expect(resolveDigest(ix, "registry.acme.internal/api:1.0")).toBe(D("1"));
    expect(resolveDigest(ix, `registry.acme.internal/api@${D("2")}`)).toBe(D("2"));
    expect(resolveDigest(ix, "registry.acme.internal/api:9")).toBeUndefined();
    expect(ix.byDigest.get(D("1"))).toEqual({
      digest: D("1"),
      analysed: true,
      vulnerabilities: [{ id: "CVE-1", aliases: ["GHSA-1"], severity: "critical", fixAvailable: true }],
      remediated: { record: "CVE-1|registry.acme.internal/api", fixedDigest: D("2") },
    });
    expect(ix.byDigest.get(D("2"))).toEqual({ digest: D("2"), analysed: true, vulnerabilities: [] });
  });

  it("caches per image with a TTL and a bound, loading the index once per TTL", async () => {
    let t = 0;
    let loads = 0;
    const cache = new CachedImageFacts({
      load: async () => {
        loads++;
        return index();
      },
      ttlMs: 1000,
      maxEntries: 2,
      clock: () => t,
    });
    const a = "registry.acme.internal/api:1.0";
    const first = cache.get([a, "unknown:1"]);
    expect(first).toBeInstanceOf(Promise);
    expect([...(await first).keys()]).toEqual([a]);
    // Every image cached: the answer is at hand, not a promise (the review is decided without waiting).
    const cached = cache.get([a, "unknown:1"]);
    expect(cached).toBeInstanceOf(Map);
    expect([...(await cached).keys()]).toEqual([a]);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 2 });
    await cache.get(["x:1", "y:1", "z:1"]);
    expect(cache.size).toBe(2);
    expect(loads).toBe(1);
    t = 1500;
    // Stale: answered from the old index while one reload runs.
    expect((await cache.get([a])).get(a)?.digest).toBe(D("1"));
    await new Promise((r) => setImmediate(r));
    expect(loads).toBe(2);
  });
});
