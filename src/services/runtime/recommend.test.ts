import { describe, expect, it } from "vitest";
import { buildInventory } from "../../core/inventory/index.js";
import { analyzeConnectivity } from "../../core/netpol/index.js";
import { clusterSnapshots, hubbleFlow, linesOf, MIN, T0 } from "./__fixtures__/cluster.js";
import { recommendFromEvents } from "./index.js";

const run = (text: string, opts: Parameters<typeof recommendFromEvents>[1] | object = {}) =>
  recommendFromEvents([{ name: "flows.jsonl", lines: linesOf(text) }], {
    snapshots: clusterSnapshots(),
    ...opts,
  });

describe("recommendFromEvents", () => {
  const history = [
    hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432), // web -> db:5432 (named postgres)
    hubbleFlow(T0 + 2 * MIN, "10.1.0.7", "10.1.0.9", 5432),
    hubbleFlow(T0 + 3 * MIN, "10.1.0.9", "203.0.113.10", 443), // db -> external
    hubbleFlow(T0 + 8 * MIN, "10.1.0.7", "10.1.0.9", 5432), // batch (reused address) -> db:5432, after learning
    hubbleFlow(T0 + 9 * MIN, "10.1.0.7", "10.1.0.9", 5432),
    hubbleFlow(T0 + 9 * MIN, "10.1.0.7", "10.1.0.9", 5432),
  ].join("\n");

  it("proposes per-workload policies by stable labels, namespace labels and named ports", async () => {
    const { recommendation } = await run(history);
    const byName = Object.fromEntries(
      recommendation.policies.map((p) => [(p.metadata as { name: string }).name, p]),
    );
    expect(Object.keys(byName).sort()).toEqual(["batch-egress", "db-egress", "db-ingress", "web-egress"]);
    expect(byName["db-ingress"]).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: "db-ingress",
        namespace: "shop",
        labels: { "app.kubernetes.io/managed-by": "palisade" },
      },
      spec: {
        podSelector: { matchLabels: { app: "db" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "jobs" } },
                podSelector: { matchLabels: { app: "batch" } },
              },
            ],
            ports: [{ protocol: "TCP", port: "postgres" }],
          },
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } },
                podSelector: { matchLabels: { app: "web" } },
              },
            ],
            ports: [{ protocol: "TCP", port: "postgres" }],
          },
        ],
      },
    });
    expect(byName["db-egress"]).toMatchObject({
      spec: {
        egress: [{ to: [{ ipBlock: { cidr: "203.0.113.10/32" } }], ports: [{ protocol: "TCP", port: 443 }] }],
      },
    });
    // Learned from everything: replaying the same history drops nothing.
    expect(recommendation.wouldDrop).toEqual([]);
    expect(recommendation.replayed).toEqual({ tuples: 3, flows: 6 });
  });

  it("replays the history: flows outside the learning window that the proposal would deny, checked against the evaluator", async () => {
    const { recommendation } = await run(history, { learnUntil: T0 + 5 * MIN });
    expect(recommendation.wouldDrop).toEqual([
      {
        src: { kind: "workload", workload: { kind: "Deployment", namespace: "jobs", name: "batch" } },
        dst: { kind: "workload", workload: { kind: "Deployment", namespace: "shop", name: "db" } },
        protocol: "TCP",
        port: 5432,
        count: 3,
        firstSeen: T0 + 8 * MIN,
        lastSeen: T0 + 9 * MIN,
      },
    ]);
    // The evaluator, asked directly about the snapshot plus the proposal, agrees: web reaches db:5432, batch does not.
    const latest = clusterSnapshots()[1]?.inventory;
    const inv = buildInventory([
      ...(latest?.objects ?? []).map((o) => ({ object: o.raw })),
      ...recommendation.policies.map((object) => ({ object })),
    ]);
    const edges = analyzeConnectivity(inv).edges;
    const edge = (src: string, dst: string) =>
      edges.find((e) => "name" in e.src && "name" in e.dst && e.src.name === src && e.dst.name === dst);
    expect(edge("web", "db")?.connections).toEqual([{ protocol: "TCP", ports: [[5432, 5432]] }]);
    expect(edge("batch", "db")).toBeUndefined();
  });

  it("leaves rare flows out with --min-count and says which would be dropped", async () => {
    // web -> db was seen twice, batch -> db three times; db -> external once (db gets no egress policy, so that
    // flow stays allowed: a workload no policy isolates for a direction is not restricted in it).
    const { recommendation } = await run(history, { minCount: 3 });
    expect(
      recommendation.wouldDrop.map((t) => [
        t.src.kind === "workload" && t.src.workload.name,
        t.port,
        t.count,
      ]),
    ).toEqual([["web", 5432, 2]]);
  });

  it("counts flows it could not use, by reason", async () => {
    const { skipped } = await run(
      [
        hubbleFlow(T0 + MIN, "10.9.9.9", "10.1.0.9", 5432),
        JSON.stringify({
          flow: {
            time: new Date(T0).toISOString(),
            verdict: "DROPPED",
            IP: { source: "10.1.0.7", destination: "10.1.0.9" },
            l4: { TCP: { destination_port: 1 } },
          },
        }),
      ].join("\n"),
    );
    expect(skipped).toMatchObject({ "unattributed-peer": 1, "not-a-flow": 1 });
  });
});

describe("identityFromEvents", () => {
  it("counts, per destination namespace, flows covered by a policy and flows mutually authenticated", async () => {
    const snaps = clusterSnapshots();
    const latest = snaps[1];
    if (!latest) throw new Error("fixture");
    const policy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "db", namespace: "shop" },
      spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"] },
    };
    const withPolicy = [
      snaps[0] as (typeof snaps)[number],
      {
        at: latest.at,
        inventory: buildInventory([
          ...latest.inventory.objects.map((o) => ({ object: o.raw })),
          { object: policy },
        ]),
      },
    ];
    const { identityFromEvents } = await import("./index.js");
    const text = [
      hubbleFlow(T0 + 8 * MIN, "10.1.0.7", "10.1.0.9", 5432, { auth_type: "SPIRE" }), // batch -> db: covered + authenticated
      hubbleFlow(T0 + 8 * MIN, "10.1.0.9", "10.1.0.7", 9090, { auth_type: "DISABLED" }), // db -> batch: neither
      hubbleFlow(T0 + 8 * MIN, "10.1.0.9", "10.1.0.7", 9090), // neither
      hubbleFlow(T0 + 8 * MIN, "10.1.0.9", "203.0.113.1", 443), // not workload-to-workload
    ].join("\n");
    const r = await identityFromEvents([{ name: "f", lines: linesOf(text) }], { snapshots: withPolicy });
    expect(r.namespaces).toEqual([
      {
        namespace: "jobs",
        flows: 2,
        covered: 0,
        authenticated: 0,
        exposedFlows: 2,
        exposedShare: 1,
        authenticatedBy: { hubble: 0, istio: 0, linkerd: 0 },
        meshRequired: 0,
      },
      {
        namespace: "shop",
        flows: 1,
        covered: 1,
        authenticated: 1,
        exposedFlows: 0,
        exposedShare: 0,
        authenticatedBy: { hubble: 1, istio: 0, linkerd: 0 },
        meshRequired: 0,
      },
    ]);
    expect(r.unattributed).toBe(1);
  });
});
