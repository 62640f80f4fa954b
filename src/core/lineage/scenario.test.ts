import { describe, expect, it } from "vitest";
import { buildInventory, type RawObject } from "../inventory/index.js";
import { DEFAULT_RESOLVER } from "../vuln/index.js";
import { byKey, deployment, dg, img, layer, osv, service } from "./__fixtures__/images.js";
import {
  advance,
  attributeVulns,
  buildImpactIndex,
  buildLineage,
  buildPlan,
  digestOfImageId,
  impact,
  type KnownImage,
  matchLineage,
  observationScope,
  observeRemediation,
  type RemediationRecord,
  workloadUsages,
} from "./index.js";

const DEB = "docker.io/library/debian:12";
const RT14 = "registry.example/company/base-runtime:1.4";
const RT15 = "registry.example/company/base-runtime:1.5";
const CO20 = "registry.example/team-a/checkout:2.0";
const CO21 = "registry.example/team-a/checkout:2.1";
const SE10 = "registry.example/team-b/search:1.0";

/** debian:12 -> base-runtime:1.4 -> {checkout:2.0, search:1.0}; base-runtime:1.5 (openssl fixed) -> checkout:2.1. */
const IMAGES: KnownImage[] = [
  img(1, [DEB], ["deb"], [["zlib1g", "1:1.2.13.dfsg-1", 0]]),
  img(
    2,
    [RT14],
    ["deb", "rt14"],
    [
      ["zlib1g", "1:1.2.13.dfsg-1", 0],
      ["openssl", "3.0.11-1~deb12u1", 1],
    ],
  ),
  img(
    3,
    [RT15],
    ["deb", "rt15"],
    [
      ["zlib1g", "1:1.2.13.dfsg-1", 0],
      ["openssl", "3.0.15-1~deb12u1", 1],
    ],
  ),
  img(
    4,
    [CO20],
    ["deb", "rt14", "co"],
    [
      ["zlib1g", "1:1.2.13.dfsg-1", 0],
      ["openssl", "3.0.11-1~deb12u1", 1],
      ["curl", "7.88.1-10+deb12u4", 2],
    ],
  ),
  img(
    5,
    [SE10],
    ["deb", "rt14", "se"],
    [
      ["zlib1g", "1:1.2.13.dfsg-1", 0],
      ["openssl", "3.0.11-1~deb12u1", 1],
    ],
  ),
  img(
    6,
    [CO21],
    ["deb", "rt15", "co21"],
    [
      ["zlib1g", "1:1.2.13.dfsg-1", 0],
      ["openssl", "3.0.15-1~deb12u1", 1],
      ["curl", "7.88.1-10+deb12u5", 2],
    ],
  ),
];

const ADVISORIES = byKey([
  osv("DEBIAN-CVE-2024-0001", "openssl", "3.0.13-1~deb12u1", undefined, [
    "CVE-2024-0001",
    "GHSA-aaaa-bbbb-cccc",
  ]),
  osv("DEBIAN-CVE-2024-0002", "zlib1g", undefined, "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N", [
    "CVE-2024-0002",
  ]),
  osv("DEBIAN-CVE-2024-0003", "curl", "7.88.1-10+deb12u5", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", [
    "CVE-2024-0003",
  ]),
]);

function setup(raws: RawObject[]) {
  const lineage = buildLineage(IMAGES);
  const m = matchLineage(lineage, ADVISORIES, DEFAULT_RESOLVER);
  const vulns = attributeVulns(lineage, m.findings);
  const inv = buildInventory(raws);
  return buildImpactIndex(lineage, vulns, workloadUsages(inv));
}

const BEFORE: RawObject[] = [
  ...deployment("shop", "checkout", CO20, { replicas: 3, team: "team-a", podDigests: [dg(4), dg(4), dg(4)] }),
  ...deployment("search", "search", SE10, { replicas: 2, team: "team-b" }),
  service("shop", "checkout", { app: "checkout" }, "LoadBalancer"),
];

describe("where to fix", () => {
  it("attributes each package to the node whose own layers introduced it", () => {
    const idx = setup(BEFORE);
    const fixOf = (node: number) =>
      (idx.vulns.byNode.get(dg(node)) ?? []).map((v) => [
        v.vulnerabilityId,
        v.package,
        v.layerIndex,
        v.fixNode,
      ]);
    expect(fixOf(4)).toEqual([
      ["CVE-2024-0001", "openssl", 1, dg(2)],
      ["CVE-2024-0002", "zlib1g", 0, dg(1)],
      ["CVE-2024-0003", "curl", 2, dg(4)],
    ]);
    expect(fixOf(6)).toEqual([["CVE-2024-0002", "zlib1g", 0, dg(1)]]);
    expect(idx.vulns.aliasToId.get("GHSA-AAAA-BBBB-CCCC")).toBe("CVE-2024-0001");
  });

  it("crosses an annotation edge only when the claimed base holds the same package version", () => {
    const lineage = buildLineage([
      IMAGES[1] as KnownImage,
      img(
        9,
        ["a/squashed:1"],
        ["squashed"],
        [
          ["openssl", "3.0.11-1~deb12u1", 0],
          ["curl", "7.88.1-10+deb12u4", 0],
        ],
        {
          annotations: { "org.opencontainers.image.base.digest": dg(2) },
        },
      ),
    ]);
    const vulns = attributeVulns(lineage, matchLineage(lineage, ADVISORIES, DEFAULT_RESOLVER).findings);
    expect((vulns.byNode.get(dg(9)) ?? []).map((v) => [v.package, v.fixNode])).toEqual([
      ["openssl", dg(2)],
      ["curl", dg(9)],
    ]);
  });
});

describe("impact", () => {
  it("answers images, workloads with replicas, namespaces, teams and the base to fix, by CVE or alias", () => {
    const idx = setup(BEFORE);
    const a = impact(idx, "ghsa-aaaa-bbbb-cccc");
    expect(a).toEqual({
      query: "ghsa-aaaa-bbbb-cccc",
      vulnerabilityId: "CVE-2024-0001",
      aliases: ["DEBIAN-CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"],
      severity: "critical",
      images: [
        { node: dg(2), image: RT14, refs: [RT14], workloads: 0, replicas: 0 },
        { node: dg(4), image: CO20, refs: [CO20], workloads: 1, replicas: 3 },
        { node: dg(5), image: SE10, refs: [SE10], workloads: 1, replicas: 2 },
      ],
      fixAt: [
        {
          node: dg(2),
          image: RT14,
          package: "openssl",
          installed: "3.0.11-1~deb12u1",
          fixedVersions: ["3.0.13-1~deb12u1"],
          images: 3,
        },
      ],
      workloads: [
        {
          ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "search", name: "search" },
          team: "team-b",
          replicas: 2,
          vulnerableReplicas: 2,
          exposed: false,
        },
        {
          ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "checkout" },
          team: "team-a",
          replicas: 3,
          vulnerableReplicas: 3,
          exposed: true,
        },
      ],
      namespaces: ["search", "shop"],
      clusters: [],
      teams: ["team-a", "team-b"],
      totals: { images: 3, workloads: 2, replicas: 5, namespaces: 2, clusters: 0, teams: 2 },
    });
    expect(impact(idx, "CVE-1999-0001")).toEqual({
      query: "CVE-1999-0001",
      aliases: [],
      images: [],
      fixAt: [],
      workloads: [],
      namespaces: [],
      clusters: [],
      teams: [],
      totals: { images: 0, workloads: 0, replicas: 0, namespaces: 0, clusters: 0, teams: 0 },
    });
    expect(idx.coverage).toEqual([]);
  });

  it("reports images never analyzed, digest-only references and other platforms as coverage, and indexes the rest", () => {
    const idx = setup([
      ...BEFORE,
      ...deployment("x", "unknown", "registry.example/other/app:1"),
      ...deployment("x", "pinned", `registry.example/other/app@${dg(77)}`),
      ...deployment("x", "rolled", CO20, { podDigests: [dg(88)] }),
    ]);
    const a = impact(idx, "CVE-2024-0003");
    expect(a.workloads.map((w) => [w.ref.name, w.vulnerableReplicas])).toEqual([
      ["checkout", 3],
      ["rolled", 1],
    ]);
    expect(idx.coverage).toEqual([
      {
        reason: "missing",
        subject: `registry.example/other/app:1`,
        message:
          "image registry.example/other/app:1 (1 workload(s), e.g. x/unknown): never analyzed (palisade images add registry.example/other/app:1)",
      },
      {
        reason: "missing",
        subject: `registry.example/other/app@${dg(77)}`,
        message: `image registry.example/other/app@${dg(77)} (1 workload(s), e.g. x/pinned): referenced by digest only and that digest was never analyzed (palisade images add registry.example/other/app@${dg(77)})`,
      },
      {
        reason: "missing",
        subject: `${CO20}@${dg(88)}`,
        message: `image ${CO20}@${dg(88)} (1 workload(s), e.g. x/rolled): running digest ${dg(88)} was never analyzed; counted by its tag ${CO20}`,
      },
    ]);
    const arm = buildImpactIndex(
      buildLineage([img(1, ["a/arm:1"], ["x"], [], { platform: "linux/arm64" })]),
      { byNode: new Map(), nodesByVuln: new Map(), aliasToId: new Map() },
      workloadUsages(buildInventory(deployment("x", "a", "a/arm:1"))),
    );
    expect(arm.coverage.map((c) => [c.reason, c.message])).toEqual([
      ["unsupported", "image a/arm:1 (1 workload(s), e.g. x/a): known only for linux/arm64, not linux/amd64"],
    ]);
  });
});

describe("plan", () => {
  it("ranks fixes by severity x workloads x exposure with concrete actions and upgrade advice", () => {
    const plan = buildPlan(setup(BEFORE));
    expect(plan.items.map((i) => [i.rank, i.score, i.action, i.teams, i.upgrade?.message])).toEqual([
      [
        1,
        40,
        `bump openssl to >= 3.0.13-1~deb12u1 in image ${RT14}; rebuild children ${CO20}, ${SE10}`,
        ["team-a", "team-b"],
        `move FROM ${RT14} to ${RT15}: clears 1 of 2 vulnerabilities in 3 images / 2 workloads / 2 teams`,
      ],
      [
        2,
        18,
        `bump curl to >= 7.88.1-10+deb12u5 in image ${CO20}`,
        ["team-a"],
        `move FROM ${CO20} to ${CO21}: clears 2 of 3 vulnerabilities in 1 image / 1 workload / 1 team`,
      ],
      [
        3,
        4,
        `no fixed version of zlib1g is known for CVE-2024-0002: remove or replace zlib1g in image ${DEB}; rebuild children ${RT14}, ${CO20}, ${SE10}, ${RT15}, ${CO21}`,
        ["team-a", "team-b"],
        undefined,
      ],
    ]);
    expect(plan.byTeam.map((t) => [t.team, t.items.length])).toEqual([
      ["team-a", 3],
      ["team-b", 2],
    ]);
    // Base images only: checkout:2.0 is an application image (no known image is built on it).
    expect(plan.byBase.map((b) => [b.image, b.items.length])).toEqual([
      [DEB, 1],
      [RT14, 1],
    ]);
  });
});

describe("remediation records", () => {
  const T0 = new Date("2025-01-01T00:00:00Z");
  const T1 = new Date("2025-01-02T00:00:00Z");
  const T2 = new Date("2025-01-03T00:00:00Z");
  const T3 = new Date("2025-01-04T00:00:00Z");
  const rollout = (digests: string[], image = CO21): RawObject[] => [
    ...deployment("shop", "checkout", image, { replicas: 3, team: "team-a", podDigests: digests }),
  ];
  const key = `CVE-2024-0001|registry.example/company/base-runtime`;
  const pick = (rs: RemediationRecord[]) => rs.find((r) => r.key === key);

  it("tracks a rollout under an owner that is absent from the input (a pods-only dump), as one workload", () => {
    // Pods of DaemonSet "checkout", without the DaemonSet: each rollout step replaces pods under new names.
    const podsOnly = (digests: string[], image = CO21): RawObject[] =>
      deployment("shop", "checkout", image, { replicas: 3, podDigests: digests })
        .slice(1)
        .map((r, i) => {
          const object = structuredClone(r.object) as { metadata: Record<string, unknown> };
          object.metadata.name = `checkout-${(digests[i] ?? "").slice(-5)}${i}`;
          object.metadata.ownerReferences = [
            {
              apiVersion: "apps/v1",
              kind: "DaemonSet",
              name: "checkout",
              uid: "uid-ds",
              controller: true,
              blockOwnerDeletion: true,
            },
          ];
          return { object } as RawObject;
        });
    let records: RemediationRecord[] = [];
    const step = (raws: RawObject[], now: Date) => {
      const idx = setup(raws);
      const r = advance(records, observeRemediation(idx), now);
      records = r.records;
      return { idx, to: r.transitions.filter((t) => t.key === key).map((t) => t.to) };
    };
    const first = step(podsOnly([dg(4), dg(4), dg(4)], CO20), T0);
    expect(first.to).toEqual(["patched-image"]);
    expect(impact(first.idx, "CVE-2024-0001").workloads.map((w) => [w.ref, w.replicas])).toEqual([
      [{ apiVersion: "apps/v1", kind: "DaemonSet", namespace: "shop", name: "checkout" }, 3],
    ]);
    expect(step(podsOnly([dg(6), dg(4), dg(4)]), T1).to).toEqual(["deployed"]);
    expect(pick(records)?.workloads).toEqual([
      {
        key: "/shop/DaemonSet/checkout",
        ref: { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "shop", name: "checkout" },
        replicas: 3,
        vulnerableReplicas: 2,
        fixedReplicas: 1,
        present: true,
      },
    ]);
    expect(step(podsOnly([dg(6), dg(6), dg(6)]), T2).to).toEqual(["closed"]);
  });

  it("opens, deploys N of M, closes by itself when the fixed digest runs everywhere, reopens when the old digest returns", () => {
    let records: RemediationRecord[] = [];
    const step = (raws: RawObject[], now: Date) => {
      const r = advance(records, observeRemediation(setup(raws)), now);
      records = r.records;
      return r.transitions.filter((t) => t.key === key);
    };
    expect(step(rollout([dg(4), dg(4), dg(4)], CO20), T0)).toEqual([
      { key, to: "patched-image", at: T0.toISOString(), reopened: false },
    ]);
    expect(pick(records)).toMatchObject({
      state: "patched-image",
      family: "registry.example/company/base-runtime",
      fixImage: RT14,
      patchedImages: [RT15],
      fixAvailableAt: T0.toISOString(),
      patchedAt: T0.toISOString(),
      totals: { workloads: 1, replicas: 3, vulnerableReplicas: 3, fixedReplicas: 0 },
    });
    expect(step(rollout([dg(6), dg(4), dg(4)]), T1)).toEqual([
      { key, from: "patched-image", to: "deployed", at: T1.toISOString(), reopened: false },
    ]);
    expect(pick(records)?.workloads).toEqual([
      {
        key: "/shop/Deployment/checkout",
        ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "checkout" },
        team: "team-a",
        replicas: 3,
        vulnerableReplicas: 2,
        fixedReplicas: 1,
        present: true,
      },
    ]);
    expect(step(rollout([dg(6), dg(6), dg(6)]), T2)).toEqual([
      { key, from: "deployed", to: "closed", at: T2.toISOString(), reopened: false },
    ]);
    expect(pick(records)).toMatchObject({
      state: "closed",
      closedAt: T2.toISOString(),
      timeToFixSeconds: 2 * 86400,
      totals: { workloads: 1, replicas: 3, vulnerableReplicas: 0, fixedReplicas: 3 },
    });
    // Nothing changes on a second identical observation.
    expect(step(rollout([dg(6), dg(6), dg(6)]), T2)).toEqual([]);
    expect(step(rollout([dg(6), dg(6), dg(4)]), T3)).toEqual([
      { key, from: "closed", to: "deployed", at: T3.toISOString(), reopened: true },
    ]);
    const r = pick(records);
    expect([r?.reopenCount, r?.reopenedAt, r?.closedAt, r?.timeToFixSeconds, r?.history]).toEqual([
      1,
      T3.toISOString(),
      undefined,
      undefined,
      [
        { state: "patched-image", at: T0.toISOString() },
        { state: "deployed", at: T1.toISOString() },
        { state: "closed", at: T2.toISOString() },
        { state: "deployed", at: T3.toISOString() },
      ],
    ]);
  });

  it("a vulnerability without a known fix stays open; one no longer running anywhere closes", () => {
    const first = advance([], observeRemediation(setup(rollout([dg(4)], CO20))), T0);
    expect(first.records.find((r) => r.vulnerabilityId === "CVE-2024-0002")?.state).toBe("open");
    const second = advance(first.records, observeRemediation(setup([])), T1);
    expect(
      second.records.map((r) => [r.vulnerabilityId, r.state, r.workloads.map((w) => w.present)]),
    ).toEqual([
      ["CVE-2024-0001", "closed", [false]],
      ["CVE-2024-0002", "closed", [false]],
      ["CVE-2024-0003", "closed", [false]],
    ]);
  });
});

describe("trusting the record: observations carry their scope", () => {
  const T0 = new Date("2025-01-01T00:00:00Z");
  const T1 = new Date("2025-01-02T00:00:00Z");
  const T2 = new Date("2025-01-03T00:00:00Z");
  const key = `CVE-2024-0001|registry.example/company/base-runtime`;
  const observe = (records: RemediationRecord[], raws: RawObject[], now: Date) => {
    const inv = buildInventory(raws);
    const lineage = buildLineage(IMAGES);
    const vulns = attributeVulns(lineage, matchLineage(lineage, ADVISORIES, DEFAULT_RESOLVER).findings);
    const idx = buildImpactIndex(lineage, vulns, workloadUsages(inv));
    return advance(records, observeRemediation(idx, observationScope(inv)), now).records;
  };
  const namespace = (name: string): RawObject => ({
    object: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
  const fixedShop = deployment("shop", "checkout", CO21, { replicas: 3, podDigests: [dg(6), dg(6), dg(6)] });
  const searchPods = deployment("search", "search", SE10, { replicas: 2, podDigests: [dg(5), dg(5)] });

  it("the scope of an inventory is its clusters, namespaces (objects' and Namespace objects') and kinds", () => {
    expect(observationScope(buildInventory([...fixedShop, namespace("search")]))).toEqual({
      clusters: [""],
      namespaces: ["/search", "/shop"],
      kinds: ["Deployment", "Namespace", "Pod"],
    });
    expect(observationScope(buildInventory([...fixedShop, namespace("search")]), "shop")).toMatchObject({
      namespaces: ["/shop"],
    });
  });

  it("a snapshot of one namespace does not close a record whose vulnerable workloads live in another", () => {
    let records = observe(
      [],
      [
        ...deployment("shop", "checkout", CO20, { replicas: 3, podDigests: [dg(4), dg(4), dg(4)] }),
        ...searchPods,
      ],
      T0,
    );
    expect(records.find((r) => r.key === key)?.totals).toEqual({
      workloads: 2,
      replicas: 5,
      vulnerableReplicas: 5,
      fixedReplicas: 0,
    });
    // Only namespace shop is read again: checkout now runs the fixed digest, search was not looked at.
    records = observe(records, fixedShop, T1);
    const partial = records.find((r) => r.key === key);
    expect([partial?.state, partial?.closedAt, partial?.totals]).toEqual([
      "deployed",
      undefined,
      { workloads: 2, replicas: 5, vulnerableReplicas: 2, fixedReplicas: 3 },
    ]);
    expect(partial?.workloads.map((w) => [w.key, w.vulnerableReplicas, w.present])).toEqual([
      ["/search/Deployment/search", 2, true],
      ["/shop/Deployment/checkout", 0, true],
    ]);
    // A sensor that missed Deployments and Pods does not close it either.
    records = observe(records, [namespace("search"), namespace("shop")], T1);
    expect(records.find((r) => r.key === key)?.state).toBe("deployed");
    // Every place that ran the vulnerable digest observed again without it: search's namespace was read and the
    // workload is gone, checkout runs the fix.
    records = observe(records, [...fixedShop, namespace("search")], T2);
    const done = records.find((r) => r.key === key);
    expect([done?.state, done?.closedAt]).toEqual(["closed", T2.toISOString()]);
    expect(done?.workloads.map((w) => [w.key, w.vulnerableReplicas, w.present])).toEqual([
      ["/search/Deployment/search", 0, false],
      ["/shop/Deployment/checkout", 0, true],
    ]);
  });
});

describe("pathological cases", () => {
  it("digestOfImageId accepts the runtime forms and refuses anything else", () => {
    const d = dg(5);
    expect(
      [
        `docker-pullable://nginx@${d}`,
        `docker://${d}`,
        `docker.io/library/nginx@${d}`,
        d,
        "sha256:abc",
        "",
        "nginx:1.25",
        `nginx@${d} `,
        `md5:${"a".repeat(32)}`,
      ].map(digestOfImageId),
    ).toEqual([d, d, d, d, undefined, undefined, undefined, d, undefined]);
  });

  it("pods that finished, pods without status and non-string imageIDs are not counted as running", () => {
    const raws = deployment("shop", "checkout", CO20, { replicas: 2, podDigests: [dg(4), dg(4)] });
    const pods = raws.filter((r) => r.object.kind === "Pod");
    (pods[0]?.object.status as Record<string, unknown>).phase = "Succeeded";
    (pods[1]?.object.status as Record<string, unknown>).containerStatuses = [{ name: "app", imageID: 42 }];
    expect(workloadUsages(buildInventory(raws)).map((u) => [u.replicas, u.containers])).toEqual([
      [2, [{ name: "app", image: CO20, running: [] }]],
    ]);
  });

  it("layer diff ids that do not appear in the chain fall back to package presence", () => {
    const lineage = buildLineage([
      IMAGES[1] as KnownImage,
      {
        ...(IMAGES[4] as KnownImage),
        packages: (IMAGES[4] as KnownImage).packages.map((p) => ({ ...p, layerDiffId: layer("elsewhere") })),
      },
    ]);
    const vulns = attributeVulns(lineage, matchLineage(lineage, ADVISORIES, DEFAULT_RESOLVER).findings);
    expect((vulns.byNode.get(dg(5)) ?? []).map((v) => [v.package, v.layerIndex, v.fixNode])).toEqual([
      ["openssl", undefined, dg(2)],
      ["zlib1g", undefined, dg(2)],
    ]);
  });
});
