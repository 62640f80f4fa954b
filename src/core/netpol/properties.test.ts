import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesSelector, parseLabelSelector } from "../k8s/index.js";
import { deployment, inventory, namespace, type Obj, pod, policy, running } from "./__fixtures__/cluster.js";
import { referenceConnectivity } from "./__fixtures__/reference.js";
import { analyzeConnectivity, type ConnectivityOptions, type Edge } from "./connectivity.js";
import { CONN_NONE, connEquals, connFromJson, connUnion } from "./ports.js";

/** Random small clusters: few label values so selectors collide often. */
const NAMESPACES = ["a", "b", "c"];
const labelsArb = fc.record(
  { app: fc.constantFrom("web", "db", "api"), tier: fc.constantFrom("front", "back") },
  { requiredKeys: [] },
);
const portsArb = fc.subarray([
  { name: "http", containerPort: 8080 },
  { name: "dns", containerPort: 53, protocol: "UDP" },
  { name: "metrics", containerPort: 9090 },
]);
/** Pod IPs inside, outside and in the excepts of the ipBlocks of CIDRS below, both families. */
const IPS = [
  "10.1.2.3",
  "10.2.3.4",
  "10.3.0.1",
  "192.168.1.7",
  "172.16.0.1",
  "2001:db8:1::5",
  "2001:db8::7",
  "fd00::1",
];
const workloadArb = fc.record({
  ns: fc.constantFrom(...NAMESPACES),
  labels: labelsArb,
  ports: portsArb,
  // Running pods' IPs (none: manifests without status).
  ips: fc.subarray(IPS, { maxLength: 2 }),
});
/** The ipBlockMatchesPods mode with a pod CIDR or none (then only observed pod IPs count). */
const modeArb: fc.Arbitrary<ConnectivityOptions> = fc
  .constantFrom(
    [],
    ["10.0.0.0/16"],
    ["10.1.0.0/16"],
    ["2001:db8::/48"],
    ["192.168.0.0/16", "2001:db8:1::/48"],
  )
  .map((podCidrs) => ({ ipBlockMatchesPods: true, podCidrs }));
const selectorArb: fc.Arbitrary<Obj> = fc.oneof(
  fc.constant({}),
  labelsArb.map((l) => ({ matchLabels: l })),
  fc
    .record({
      key: fc.constantFrom("app", "tier", "team"),
      operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist"),
      values: fc.subarray(["web", "db", "front", "x"], { minLength: 1 }),
    })
    .map((e) => ({
      matchExpressions: [
        e.operator === "In" || e.operator === "NotIn" ? e : { key: e.key, operator: e.operator },
      ],
    })),
);
const CIDRS = [
  { cidr: "10.0.0.0/8" },
  { cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "10.2.3.0/24"] },
  { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] },
  { cidr: "192.168.1.0/24" },
  { cidr: "::/0" },
  { cidr: "2001:db8::/32", except: ["2001:db8:1::/48"] },
];
const peerArb: fc.Arbitrary<Obj> = fc.oneof(
  selectorArb.map((s) => ({ podSelector: s })),
  selectorArb.map((s) => ({ namespaceSelector: s })),
  fc.tuple(selectorArb, selectorArb).map(([p, n]) => ({ podSelector: p, namespaceSelector: n })),
  fc.constantFrom(...CIDRS).map((b) => ({ ipBlock: b })),
);
const portArb: fc.Arbitrary<Obj> = fc.constantFrom(
  { port: 80 },
  { port: 53, protocol: "UDP" },
  { port: 8000, endPort: 9000 },
  { port: "http" },
  { port: "dns", protocol: "UDP" },
  { port: "metrics" },
  { port: "missing" },
  { protocol: "SCTP" },
);
const ruleArb = (field: "from" | "to"): fc.Arbitrary<Obj> =>
  fc.record(
    { [field]: fc.array(peerArb, { maxLength: 3 }), ports: fc.array(portArb, { maxLength: 3 }) },
    { requiredKeys: [] },
  );
const policyTypesArb = fc.option(fc.constantFrom(["Ingress"], ["Egress"], ["Ingress", "Egress"], []), {
  nil: undefined,
});
const policyArb = fc.record({
  ns: fc.constantFrom(...NAMESPACES),
  podSelector: selectorArb,
  policyTypes: policyTypesArb,
  ingress: fc.option(fc.array(ruleArb("from"), { maxLength: 3 }), { nil: undefined }),
  egress: fc.option(fc.array(ruleArb("to"), { maxLength: 3 }), { nil: undefined }),
});
type PolicyGen = typeof policyArb extends fc.Arbitrary<infer T> ? T : never;

function policyObj(p: PolicyGen, i: number): Obj {
  const spec: Obj = { podSelector: p.podSelector };
  if (p.policyTypes !== undefined) spec.policyTypes = p.policyTypes;
  if (p.ingress !== undefined) spec.ingress = p.ingress;
  if (p.egress !== undefined) spec.egress = p.egress;
  return policy(p.ns, `p${i}`, spec);
}
const clusterArb = fc.record({
  nsLabels: fc.array(fc.constantFrom("x", "y"), { minLength: 3, maxLength: 3 }),
  workloads: fc.array(workloadArb, { minLength: 1, maxLength: 6 }),
  policies: fc.array(policyArb, { maxLength: 5 }),
});
type ClusterGen = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * A policy in a namespace without workloads naming every ipBlock of the pool: it changes no connection but fixes
 * the external partition, so analyses of different policy sets have comparable range endpoints.
 */
const PARTITION = policy("zz", "partition", {
  podSelector: {},
  ingress: [{ from: CIDRS.map((b) => ({ ipBlock: b })) }],
});

function objects(c: ClusterGen, policies: Obj[] = c.policies.map(policyObj)): Obj[] {
  return [
    PARTITION,
    ...NAMESPACES.map((n, i) => namespace(n, { team: c.nsLabels[i] ?? "x" })),
    ...c.workloads.flatMap((w, i) => [
      deployment(w.ns, `w${i}`, w.labels, w.ports),
      ...(w.ips.length > 0
        ? [pod(w.ns, `w${i}-pod`, w.labels, running(...w.ips), { kind: "Deployment", name: `w${i}` })]
        : []),
    ]),
    ...policies,
  ];
}
const keyed = (edges: Edge[]) =>
  new Map(edges.map((e) => [JSON.stringify([e.src, e.dst]), connFromJson(e.connections)]));

describe("differential: fast analysis equals the naive reference evaluator", () => {
  it("property: same edges on random clusters", () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        const inv = inventory(objects(c));
        expect(analyzeConnectivity(inv).edges).toEqual(referenceConnectivity(inv));
      }),
      { numRuns: 300 },
    );
  });
  it("property: same edges in the ipBlockMatchesPods mode", () => {
    fc.assert(
      fc.property(clusterArb, modeArb, (c, mode) => {
        const inv = inventory(objects(c));
        expect(analyzeConnectivity(inv, mode).edges).toEqual(referenceConnectivity(inv, mode));
      }),
      { numRuns: 300 },
    );
  });
});

describe("properties of the ipBlockMatchesPods mode", () => {
  it("never removes or narrows a connection the default mode allows", () => {
    fc.assert(
      fc.property(clusterArb, modeArb, (c, mode) => {
        const inv = inventory(objects(c));
        const base = keyed(analyzeConnectivity(inv).edges);
        const wide = keyed(analyzeConnectivity(inv, mode).edges);
        for (const [k, conn] of base) {
          const w = wide.get(k) ?? CONN_NONE;
          expect(connEquals(connUnion(w, conn), w)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
  it("with no ipBlock in any policy the two modes give the same result", () => {
    const noIpBlocks = (rules: Obj[] | undefined, field: "from" | "to"): Obj[] | undefined =>
      rules?.map((r) => {
        const peers = r[field] as Obj[] | undefined;
        if (!peers) return r;
        // Replaced, not dropped: an emptied peer list would mean "all peers".
        return {
          ...r,
          [field]: peers.map((p) => ("ipBlock" in p ? { podSelector: { matchLabels: { app: "none" } } } : p)),
        };
      });
    fc.assert(
      fc.property(clusterArb, modeArb, (c, mode) => {
        const policies = c.policies.map((p, i) =>
          policyObj({ ...p, ingress: noIpBlocks(p.ingress, "from"), egress: noIpBlocks(p.egress, "to") }, i),
        );
        const objs = objects(c, policies).filter((o) => o !== PARTITION);
        expect(analyzeConnectivity(inventory(objs), mode)).toEqual(analyzeConnectivity(inventory(objs)));
      }),
      { numRuns: 200 },
    );
  });
});

describe("properties of the semantics", () => {
  it("union of rules is commutative: reordering policies and rules changes nothing", () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        const forward = c.policies.map(policyObj);
        const reversed = c.policies
          .map((p, i) => ({ p, i }))
          .reverse()
          .map(({ p, i }) =>
            policyObj(
              {
                ...p,
                ingress: p.ingress ? [...p.ingress].reverse() : undefined,
                egress: p.egress ? [...p.egress].reverse() : undefined,
              },
              i,
            ),
          );
        expect(analyzeConnectivity(inventory(objects(c, reversed))).edges).toEqual(
          analyzeConnectivity(inventory(objects(c, forward))).edges,
        );
      }),
      { numRuns: 150 },
    );
  });

  it("isolation monotonicity: an added ingress policy adds to a pod at most what it allows, and nothing elsewhere", () => {
    fc.assert(
      fc.property(clusterArb, policyArb, (c, extra) => {
        const p = policyObj({ ...extra, policyTypes: ["Ingress"], egress: undefined }, 99);
        const before = keyed(analyzeConnectivity(inventory(objects(c))).edges);
        const after = keyed(analyzeConnectivity(inventory([...objects(c), p])).edges);
        const onlyP = keyed(analyzeConnectivity(inventory(objects({ ...c, policies: [] }, [p]))).edges);
        for (const [k, conn] of after) {
          const bound = connUnion(before.get(k) ?? CONN_NONE, onlyP.get(k) ?? CONN_NONE);
          expect(connEquals(connUnion(conn, bound), bound)).toBe(true);
        }
        // Sources' egress is untouched by an ingress-only policy: edges into unselected pods are unchanged.
        for (const [k, conn] of before) {
          const dst = (JSON.parse(k) as unknown[])[1] as { name?: string };
          if (selects(c, extra, dst)) continue;
          expect(after.has(k) && connEquals(after.get(k) ?? CONN_NONE, conn)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** Whether the extra policy's podSelector selects the workload a `w<i>` endpoint names. */
function selects(c: ClusterGen, extra: PolicyGen, dst: { name?: string }): boolean {
  if (dst.name === undefined) return false;
  const w = c.workloads[Number(dst.name.slice(1))];
  if (!w || w.ns !== extra.ns) return false;
  const r = parseLabelSelector(extra.podSelector, "everything");
  return r.selector !== undefined && matchesSelector(r.selector, w.labels);
}
