import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deployment, inventory, policy } from "./__fixtures__/cluster.js";
import { analyzeConnectivity, diffConnectivity, type Edge } from "./connectivity.js";

const web = { namespace: "a", kind: "Deployment", name: "web" };
const A = deployment("a", "web", { app: "web" });

describe("diffConnectivity", () => {
  it("refines external ranges onto the common partition before comparing", () => {
    const before = analyzeConnectivity(inventory([A]));
    const after = analyzeConnectivity(
      inventory([
        A,
        policy("a", "p", {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 443 }] }],
        }),
      ]),
    );
    expect(diffConnectivity(before, after)).toEqual({
      added: [],
      removed: [
        { src: web, dst: web, connections: "all" },
        { src: web, dst: { ipRange: "0.0.0.0-9.255.255.255" }, connections: "all" },
        { src: web, dst: { ipRange: "11.0.0.0-255.255.255.255" }, connections: "all" },
        { src: web, dst: { ipRange: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }, connections: "all" },
      ],
      changed: [
        {
          src: web,
          dst: { ipRange: "10.0.0.0-10.255.255.255" },
          before: "all",
          after: [{ protocol: "TCP", ports: [[443, 443]] }],
        },
      ],
    });
  });
  it("is empty for identical inputs and symmetric otherwise", () => {
    const x = analyzeConnectivity(inventory([A, policy("a", "p", { podSelector: {} })]));
    const y = analyzeConnectivity(inventory([A]));
    expect(diffConnectivity(x, x)).toEqual({ added: [], removed: [], changed: [] });
    const d = diffConnectivity(x, y);
    const r = diffConnectivity(y, x);
    expect(r.added).toEqual(d.removed);
    expect(r.removed).toEqual(d.added);
    expect(r.changed).toEqual(d.changed.map((c) => ({ ...c, before: c.after, after: c.before })));
  });

  const edgeArb: fc.Arbitrary<Edge> = fc.record({
    src: fc.constantFrom(web, { namespace: "b", kind: "Pod", name: "p" }),
    dst: fc.constantFrom(
      { ipRange: "0.0.0.0-255.255.255.255" },
      { ipRange: "10.0.0.0-10.255.255.255" },
      web,
    ) as fc.Arbitrary<Edge["dst"]>,
    connections: fc.constantFrom<Edge["connections"]>("all", [{ protocol: "TCP", ports: [[80, 80]] }]),
  });
  it("property: every refined pair is classified exactly once", () => {
    fc.assert(
      fc.property(fc.array(edgeArb, { maxLength: 6 }), fc.array(edgeArb, { maxLength: 6 }), (b, a) => {
        const d = diffConnectivity({ edges: b }, { edges: a });
        const keys = [...d.added, ...d.removed, ...d.changed].map((e) => JSON.stringify([e.src, e.dst]));
        expect(new Set(keys).size).toBe(keys.length);
        expect(diffConnectivity({ edges: a }, { edges: a })).toEqual({ added: [], removed: [], changed: [] });
      }),
    );
  });
});
