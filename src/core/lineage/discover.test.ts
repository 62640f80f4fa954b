import { describe, expect, it } from "vitest";
import { buildInventory, type RawObject } from "../inventory/index.js";
import { dg, img } from "./__fixtures__/images.js";
import {
  collectDiscoveryTargets,
  discoveryFailureReason,
  planDiscovery,
  type WorkloadUsage,
  workloadUsages,
} from "./index.js";

const R = "reg.example:5000";

/** A Deployment-like usage: containers as [image, running digests]. */
function usage(name: string, containers: [string, string[]][], namespace = "apps"): WorkloadUsage {
  return {
    ref: { apiVersion: "apps/v1", kind: "Deployment", namespace, name },
    replicas: 1,
    exposed: false,
    containers: containers.map(([image, running], i) => ({
      name: `c${i}`,
      image,
      running: running.map((digest) => ({ digest, replicas: 1 })),
    })),
  };
}

describe("collectDiscoveryTargets", () => {
  it("dedupes by digest, remembers a tag on its single running digest, pulls tags without a digest", () => {
    const r = collectDiscoveryTargets([
      usage("a", [[`${R}/team/app:1.0`, [dg(1)]]]),
      usage("b", [[`${R}/team/app:1.0`, [dg(1)]]]),
      // Pinned by digest in the spec, and the same digest pinned again under another name.
      usage("c", [[`${R}/base/runtime@${dg(2)}`, []]]),
      usage("d", [[`${R}/mirror/runtime:2@${dg(2)}`, [dg(2)]]]),
      // No digest known: pulled by tag; no tag at all means :latest.
      usage("e", [
        [`${R}/team/web:3`, []],
        ["busybox", []],
      ]),
    ]);
    expect(r).toEqual({
      targets: [
        {
          key: "docker.io/library/busybox:latest",
          pulls: ["docker.io/library/busybox:latest"],
          refs: ["docker.io/library/busybox:latest"],
          workloads: 1,
          example: "apps/Deployment/e",
        },
        {
          key: `${R}/team/web:3`,
          pulls: [`${R}/team/web:3`],
          refs: [`${R}/team/web:3`],
          workloads: 1,
          example: "apps/Deployment/e",
        },
        {
          key: dg(1),
          digest: dg(1),
          pulls: [`${R}/team/app@${dg(1)}`],
          refs: [`${R}/team/app:1.0`, `${R}/team/app@${dg(1)}`],
          workloads: 2,
          example: "apps/Deployment/a",
        },
        {
          key: dg(2),
          digest: dg(2),
          pulls: [`${R}/base/runtime@${dg(2)}`, `${R}/mirror/runtime@${dg(2)}`],
          refs: [`${R}/base/runtime@${dg(2)}`, `${R}/mirror/runtime:2`, `${R}/mirror/runtime@${dg(2)}`],
          workloads: 2,
          example: "apps/Deployment/c",
        },
      ],
      coverage: [],
    });
  });

  it("a tag running as several digests is remembered on none of them and pulled by itself", () => {
    const r = collectDiscoveryTargets([
      usage("old", [[`${R}/team/app:1`, [dg(1)]]]),
      usage("new", [[`${R}/team/app:1`, [dg(2)]]]),
    ]);
    expect(r.targets.map((t) => [t.key, t.pulls, t.refs])).toEqual([
      [`${R}/team/app:1`, [`${R}/team/app:1`], [`${R}/team/app:1`]],
      [dg(1), [`${R}/team/app@${dg(1)}`], [`${R}/team/app@${dg(1)}`]],
      [dg(2), [`${R}/team/app@${dg(2)}`], [`${R}/team/app@${dg(2)}`]],
    ]);
  });

  it("reads running digests from pod status through workloadUsages (containerd and docker-pullable forms)", () => {
    const labels = { app: "api" };
    const raws: RawObject[] = [
      {
        object: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "api", namespace: "prod", uid: "d1" },
          spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: "api", image: `${R}/team/api:7` }] },
            },
          },
        },
      },
      ...[`${R}/team/api@${dg(7)}`, `docker-pullable://${R}/team/api@${dg(7)}`].map((imageID, i) => ({
        object: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: `api-${i}`,
            namespace: "prod",
            labels,
            ownerReferences: [
              { apiVersion: "apps/v1", kind: "Deployment", name: "api", uid: "d1", controller: true },
            ],
          },
          spec: { containers: [{ name: "api", image: `${R}/team/api:7` }] },
          status: { phase: "Running", containerStatuses: [{ name: "api", imageID }] },
        },
      })),
    ];
    const r = collectDiscoveryTargets(workloadUsages(buildInventory(raws)));
    expect(r).toEqual({
      targets: [
        {
          key: dg(7),
          digest: dg(7),
          pulls: [`${R}/team/api@${dg(7)}`],
          refs: [`${R}/team/api:7`, `${R}/team/api@${dg(7)}`],
          workloads: 1,
          example: "prod/Deployment/api",
        },
      ],
      coverage: [],
    });
  });

  it("the order of workloads does not change the result", () => {
    const us = [
      usage("a", [[`${R}/x:1`, [dg(3)]]]),
      usage("b", [[`${R}/y:1`, [dg(3)]]]),
      usage("c", [[`${R}/z:1`, []]]),
    ];
    expect(collectDiscoveryTargets([...us].reverse())).toEqual(collectDiscoveryTargets(us));
  });

  describe("pathological cases", () => {
    it("invalid references are one coverage entry per image string, not targets", () => {
      const r = collectDiscoveryTargets([
        usage("a", [["UPPER/Case:1", []]]),
        usage("b", [["UPPER/Case:1", []]]),
        usage("c", [["", []]]),
      ]);
      expect(r).toEqual({
        targets: [],
        coverage: [
          {
            reason: "invalid",
            subject: "",
            message:
              'invalid image reference "" (empty image reference) in 1 workload(s), e.g. apps/Deployment/c; not discovered',
          },
          {
            reason: "invalid",
            subject: "UPPER/Case:1",
            message: expect.stringMatching(
              /^invalid image reference "UPPER\/Case:1" \(.+\) in 2 workload\(s\), e\.g\. apps\/Deployment\/a; not discovered$/,
            ),
          },
        ],
      });
    });
    it("a digest with an unregistered algorithm in a reference is invalid, not pulled", () => {
      const r = collectDiscoveryTargets([usage("a", [[`${R}/x@md5:${"0".repeat(32)}`, []]])]);
      expect(r.targets).toEqual([]);
      expect(r.coverage.map((c) => c.reason)).toEqual(["invalid"]);
    });
  });
});

describe("planDiscovery", () => {
  it("skips images known by digest, config digest, name@digest ref or tag; analyzes the rest", () => {
    const stored = [
      img(1, [`${R}/team/app:1.0`], ["a"]),
      img(2, [], ["b"], [], { configDigest: dg(20) }),
      // Stored by its platform manifest, remembered under the index digest it was pulled by.
      img(3, [`${R}/multi/app@${dg(30)}`], ["c"]),
      img(4, [`${R}/team/web:3`], ["d"]),
    ];
    const us = [
      usage("a", [[`${R}/team/app:1.0`, [dg(1)]]]),
      usage("b", [[`${R}/team/cfg:1`, [dg(20)]]]),
      usage("c", [[`${R}/multi/app:2`, [dg(30)]]]),
      usage("d", [[`${R}/team/web:3`, []]]),
      usage("e", [[`${R}/team/new:1`, [dg(5)]]]),
      usage("f", [[`${R}/team/new-tag:1`, []]]),
    ];
    const plan = planDiscovery(us, stored);
    // Keys sort by code unit: references ("reg...") before digests ("sha256:...").
    expect(plan.discovered.map((t) => t.key)).toEqual([
      `${R}/team/new-tag:1`,
      `${R}/team/web:3`,
      dg(1),
      dg(5),
      dg(20),
      dg(30),
    ]);
    expect(plan.known.map((k) => [k.target.key, k.image.digest])).toEqual([
      [`${R}/team/web:3`, dg(4)],
      [dg(1), dg(1)],
      [dg(20), dg(2)],
      [dg(30), dg(3)],
    ]);
    expect(plan.toAnalyze.map((t) => t.key)).toEqual([`${R}/team/new-tag:1`, dg(5)]);
    expect(plan.coverage).toEqual([]);
  });
});

describe("discoveryFailureReason", () => {
  it("maps each error code to a coverage reason", () => {
    const codes = [
      "IO",
      "REMOTE",
      "FORBIDDEN",
      "INPUT",
      "UNSUPPORTED",
      "LIMIT",
      "UNSAFE",
      "USAGE",
      "INTEGRITY",
      "INTERNAL",
    ];
    expect(Object.fromEntries(codes.map((c) => [c, discoveryFailureReason(c)]))).toEqual({
      IO: "unreachable",
      REMOTE: "unreachable",
      FORBIDDEN: "forbidden",
      INPUT: "missing",
      UNSUPPORTED: "unsupported",
      LIMIT: "limit",
      UNSAFE: "unsafe",
      USAGE: "unsafe",
      INTEGRITY: "invalid",
      INTERNAL: "invalid",
    });
  });
});

describe("node platforms of an index digest", () => {
  const onNodes = (digest: string, platforms: string[]): WorkloadUsage => ({
    ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "apps", name: "multi" },
    replicas: platforms.length,
    exposed: false,
    containers: [
      {
        name: "main",
        image: `${R}/team/multi@${digest}`,
        running: platforms.map((platform) => ({ digest, replicas: 1, platform })),
      },
    ],
  });
  it("pulls an index digest once per node platform, and only the platforms not known yet", () => {
    const idx = dg(7);
    const usage = onNodes(idx, ["linux/arm64", "linux/amd64"]);
    expect(collectDiscoveryTargets([usage]).targets.map((t) => [t.key, t.platforms])).toEqual([
      [idx, ["linux/amd64", "linux/arm64"]],
    ]);
    const amd = img(1, [`${R}/team/multi@${idx}`], ["a"], [], { index: idx });
    const plan = planDiscovery([usage], [amd]);
    expect(plan.known.map((k) => [k.target.platforms, k.image.digest])).toEqual([[["linux/amd64"], dg(1)]]);
    expect(plan.toAnalyze.map((t) => [t.key, t.platforms])).toEqual([[idx, ["linux/arm64"]]]);
  });
  it("a platform manifest digest is one image whatever node runs it", () => {
    const usage = onNodes(dg(1), ["linux/arm64"]);
    const plan = planDiscovery([usage], [img(1, [], ["a"])]);
    expect([plan.known.length, plan.toAnalyze.length]).toEqual([1, 0]);
  });
});
