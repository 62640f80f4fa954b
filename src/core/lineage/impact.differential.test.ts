import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RESOLVER } from "../vuln/index.js";
import { byKey, dg, img, osv } from "./__fixtures__/images.js";
import {
  attributeVulns,
  buildImpactIndex,
  buildLineage,
  impact,
  type KnownImage,
  matchLineage,
  type WorkloadUsage,
} from "./index.js";

const PKGS = ["p0", "p1", "p2", "p3", "p4", "p5"];

/**
 * Random forests of images (each image extends a random earlier one by one layer and maybe one package),
 * workloads running random digests. The reference answer scans everything naively: an image carries vulnerability
 * Vk iff it has package pk (every advisory affects all installed versions); a workload's vulnerable replicas are
 * the replicas running such an image, capped at its replicas.
 */
const scenario = fc
  .record({
    parents: fc.array(fc.nat(), { minLength: 1, maxLength: 25 }),
    newPkg: fc.array(fc.option(fc.nat({ max: PKGS.length - 1 }), { nil: undefined }), {
      minLength: 25,
      maxLength: 25,
    }),
    workloads: fc.array(
      fc.record({
        runs: fc.array(fc.record({ image: fc.nat(), replicas: fc.integer({ min: 1, max: 5 }) }), {
          maxLength: 3,
        }),
        replicas: fc.integer({ min: 1, max: 10 }),
      }),
      { maxLength: 30 },
    ),
  })
  .map(({ parents, newPkg, workloads }) => {
    const images: KnownImage[] = [];
    parents.forEach((p, i) => {
      const parent = i === 0 || p % (i + 1) === i ? undefined : images[p % i];
      const chain = [...(parent ? (chainOf.get(parent) ?? []) : []), `n${i}`];
      const pkgs: [string, string, number][] = parent
        ? parent.packages.map((q) => [q.name, q.version, q.layerIndex ?? 0])
        : [];
      const np = newPkg[i];
      if (np !== undefined && !pkgs.some((q) => q[0] === PKGS[np]))
        pkgs.push([PKGS[np] as string, "1.0-1", chain.length - 1]);
      const im = img(i + 1, [`a/img${i}:1`], chain, pkgs);
      chainOf.set(im, chain);
      images.push(im);
    });
    const usages: WorkloadUsage[] = workloads.map((w, wi) => {
      const running = new Map<string, number>();
      for (const r of w.runs) {
        const d = (images[r.image % images.length] as KnownImage).digest;
        running.set(d, (running.get(d) ?? 0) + r.replicas);
      }
      return {
        ref: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          namespace: "ns",
          name: `w${String(wi).padStart(3, "0")}`,
        },
        replicas: w.runs.length ? [...running.values()].reduce((a, b) => a + b, 0) : w.replicas,
        exposed: false,
        containers: [
          {
            name: "app",
            image: `a/img${(w.runs[0]?.image ?? wi) % images.length}:1`,
            running: [...running]
              .sort((a, b) => (a[0] < b[0] ? -1 : 1))
              .map(([digest, replicas]) => ({ digest, replicas })),
          },
        ],
      };
    });
    return { images, usages };
  });
/** Layer names of each generated image (its parent's chain plus one own layer). */
const chainOf = new Map<KnownImage, string[]>();

const ADVISORIES = byKey(
  PKGS.map((p, k) => osv(`DEBIAN-CVE-2099-000${k}`, p, "1.0-2", undefined, [`CVE-2099-000${k}`])),
);

describe("impact index: differential against a naive scan", () => {
  it("gives the same workloads, replicas and images as scanning every workload and image", () => {
    fc.assert(
      fc.property(scenario, ({ images, usages }) => {
        const lineage = buildLineage(images);
        const vulns = attributeVulns(lineage, matchLineage(lineage, ADVISORIES, DEFAULT_RESOLVER).findings);
        const index = buildImpactIndex(lineage, vulns, usages);
        PKGS.forEach((p, k) => {
          const id = `CVE-2099-000${k}`;
          const carries = (digest: string) =>
            images.find((i) => i.digest === digest)?.packages.some((q) => q.name === p) ?? false;
          const expected = usages
            .map((u) => {
              const running = u.containers[0]?.running ?? [];
              const vr = running.length
                ? running.filter((r) => carries(r.digest)).reduce((s, r) => s + r.replicas, 0)
                : carries(dg(Number(u.containers[0]?.image.replace(/^a\/img(\d+):1$/, "$1")) + 1))
                  ? u.replicas
                  : 0;
              return [u.ref.name, Math.min(vr, u.replicas)] as const;
            })
            .filter(([, vr]) => vr > 0);
          const a = impact(index, id);
          expect(a.workloads.map((w) => [w.ref.name, w.vulnerableReplicas])).toEqual(expected);
          expect(a.images.map((i) => i.node).sort()).toEqual(
            images
              .filter((i) => carries(i.digest))
              .map((i) => lineage.byDigest.get(i.digest))
              .sort(),
          );
          // Where to fix: every fix location holds the package itself and its parent does not.
          for (const f of a.fixAt) {
            const node = lineage.nodes.get(f.node);
            expect(carries(f.node)).toBe(true);
            if (node?.parent !== undefined) expect(carries(node.parent)).toBe(false);
          }
        });
      }),
      { numRuns: 150 },
    );
  });
});
