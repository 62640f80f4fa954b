import { describe, expect, it } from "vitest";
import { inventory, type Obj, policy } from "./__fixtures__/cluster.js";
import { analyzeConnectivity } from "./connectivity.js";
import { connFromJson, connIntersect, connIsEmpty, connOf, type Protocol } from "./ports.js";

/**
 * Truth-table cases in the style of the upstream NetworkPolicy e2e suite (kubernetes test/e2e/network/netpol):
 * namespaces x, y, z labelled ns=<name>; pods a, b, c labelled pod=<name>, each serving ports 80 and 81 on TCP, UDP
 * and SCTP with names like serve-80-tcp. Each case states a policy and the expected 9x9 reachability for one
 * protocol/port. The diagonal (a pod to itself) is left out, as upstream does with AllowLoopback: implementations
 * do not police a pod talking to itself.
 */
const NS = ["x", "y", "z"] as const;
const PODS = ["a", "b", "c"] as const;
type PeerName = `${(typeof NS)[number]}/${(typeof PODS)[number]}`;
const ALL_PEERS: PeerName[] = NS.flatMap((n) => PODS.map((p) => `${n}/${p}` as PeerName));

function model(): Obj[] {
  const out: Obj[] = NS.map((n) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: n, labels: { ns: n } },
  }));
  for (const n of NS)
    for (const p of PODS)
      out.push({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: p, namespace: n, labels: { pod: p } },
        spec: {
          containers: [80, 81].flatMap((port) =>
            (["TCP", "UDP", "SCTP"] as const).map((proto) => ({
              name: `cont-${port}-${proto.toLowerCase()}`,
              image: "registry.example/agnhost:2.43",
              ports: [{ name: `serve-${port}-${proto.toLowerCase()}`, containerPort: port, protocol: proto }],
            })),
          ),
        },
      });
  return out;
}

/** Render reachability as upstream prints it: rows are sources, columns destinations, X = blocked. */
function grid(f: (src: PeerName, dst: PeerName) => boolean): string {
  const rows = [`    ${ALL_PEERS.join(" ")}`];
  for (const s of ALL_PEERS)
    rows.push(`${s} ${ALL_PEERS.map((d) => (s === d ? " - " : f(s, d) ? " . " : " X ")).join(" ")}`);
  return rows.join("\n");
}

function probe(policies: Obj[], protocol: Protocol, port: number): string {
  const c = analyzeConnectivity(inventory([...model(), ...policies]));
  const allowed = new Set<string>();
  const want = connOf(protocol, [[port, port]]);
  for (const e of c.edges) {
    if ("ipRange" in e.src || "ipRange" in e.dst) continue;
    if (!connIsEmpty(connIntersect(connFromJson(e.connections), want)))
      allowed.add(`${e.src.namespace}/${e.src.name} ${e.dst.namespace}/${e.dst.name}`);
  }
  return grid((s, d) => allowed.has(`${s} ${d}`));
}

const ns = (p: PeerName) => p.split("/")[0];
const podSel = (pod: string) => ({ matchLabels: { pod } });

describe("upstream-style truth tables", () => {
  it("default-deny-ingress", () => {
    const pol = policy("x", "deny-ingress", { podSelector: {}, ingress: [] });
    expect(probe([pol], "TCP", 80)).toBe(grid((_s, d) => ns(d) !== "x"));
  });
  it("default-deny-all (ingress and egress)", () => {
    const pol = policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => ns(s) !== "x" && ns(d) !== "x"));
  });
  it("allow-all ingress on top of default deny", () => {
    const pols = [
      policy("x", "deny-ingress", { podSelector: {} }),
      policy("x", "allow-all", { podSelector: {}, ingress: [{}] }),
    ];
    expect(probe(pols, "TCP", 80)).toBe(grid(() => true));
  });
  it("ingress from pods within the server namespace based on podSelector", () => {
    const pol = policy("x", "x-a-from-b", {
      podSelector: podSel("a"),
      ingress: [{ from: [{ podSelector: podSel("b") }] }],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => d !== "x/a" || s === "x/b"));
  });
  it("namespaceSelector with matchExpressions", () => {
    const pol = policy("x", "x-a-from-y", {
      podSelector: podSel("a"),
      ingress: [
        {
          from: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "In", values: ["y"] }] } }],
        },
      ],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => d !== "x/a" || ns(s) === "y"));
  });
  it("namespaceSelector with matchLabels using the default kubernetes.io/metadata.name label", () => {
    const pol = policy("x", "x-a-from-y", {
      podSelector: podSel("a"),
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "y" } } }] }],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => d !== "x/a" || ns(s) === "y"));
  });
  it("podSelector OR namespaceSelector (two peers)", () => {
    const pol = policy("x", "or", {
      podSelector: podSel("a"),
      ingress: [
        {
          from: [
            { namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x"] }] } },
            { podSelector: podSel("b") },
          ],
        },
      ],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => d !== "x/a" || ns(s) !== "x" || s === "x/b"));
  });
  it("podSelector AND namespaceSelector (one peer)", () => {
    const pol = policy("x", "and", {
      podSelector: podSel("a"),
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x"] }] },
              podSelector: podSel("b"),
            },
          ],
        },
      ],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => d !== "x/a" || s === "y/b" || s === "z/b"));
  });
  it("ports: allow 81 from namespace y blocks 80 for everyone", () => {
    const pol = policy("x", "ports", {
      podSelector: podSel("a"),
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }],
          ports: [{ port: 81, protocol: "TCP" }],
        },
      ],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((_s, d) => d !== "x/a"));
    expect(probe([pol], "TCP", 81)).toBe(grid((s, d) => d !== "x/a" || ns(s) === "y"));
  });
  it("multiple stacked policies with overlapping podSelectors add up", () => {
    const mk = (name: string, port: number) =>
      policy("x", name, {
        podSelector: podSel("a"),
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port, protocol: "TCP" }] },
        ],
      });
    const pols = [mk("p80", 80), mk("p81", 81)];
    for (const port of [80, 81])
      expect(probe(pols, "TCP", port)).toBe(grid((s, d) => d !== "x/a" || ns(s) === "y"));
  });
  it("ingress on one named port", () => {
    const pol = policy("x", "named", {
      podSelector: podSel("a"),
      ingress: [{ ports: [{ port: "serve-81-tcp" }] }],
    });
    expect(probe([pol], "TCP", 81)).toBe(grid(() => true));
    expect(probe([pol], "TCP", 80)).toBe(grid((_s, d) => d !== "x/a"));
  });
  it("ingress from a namespace on one named port", () => {
    const pol = policy("x", "named-ns", {
      podSelector: {},
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: "serve-80-tcp" }] },
      ],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => ns(d) !== "x" || ns(s) === "y"));
    expect(probe([pol], "TCP", 81)).toBe(grid((_s, d) => ns(d) !== "x"));
  });
  it("egress on one named port (resolved against the destination pods)", () => {
    const pol = policy("x", "egress-named", {
      podSelector: podSel("a"),
      policyTypes: ["Egress"],
      egress: [{ ports: [{ port: "serve-80-tcp" }] }],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid(() => true));
    expect(probe([pol], "TCP", 81)).toBe(grid((s) => s !== "x/a"));
  });
  it("a policy allowing only UDP does not allow TCP", () => {
    const pol = policy("x", "udp", {
      podSelector: podSel("a"),
      ingress: [{ ports: [{ port: 81, protocol: "UDP" }] }],
    });
    expect(probe([pol], "TCP", 81)).toBe(grid((_s, d) => d !== "x/a"));
    expect(probe([pol], "UDP", 81)).toBe(grid(() => true));
  });
  it("SCTP is not treated as TCP", () => {
    const pol = policy("x", "sctp", {
      podSelector: podSel("a"),
      ingress: [{ ports: [{ port: 80, protocol: "SCTP" }] }],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((_s, d) => d !== "x/a"));
    expect(probe([pol], "SCTP", 80)).toBe(grid(() => true));
  });
  it("ingress allowing any port on a specific protocol", () => {
    const pol = policy("x", "tcp-any", {
      podSelector: podSel("a"),
      ingress: [{ ports: [{ protocol: "TCP" }] }],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid(() => true));
    expect(probe([pol], "TCP", 81)).toBe(grid(() => true));
    expect(probe([pol], "UDP", 80)).toBe(grid((_s, d) => d !== "x/a"));
  });
  it("endPort ranges", () => {
    const pol = policy("x", "range", {
      podSelector: podSel("a"),
      ingress: [{ ports: [{ port: 79, endPort: 80 }] }],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid(() => true));
    expect(probe([pol], "TCP", 81)).toBe(grid((_s, d) => d !== "x/a"));
  });
  it("egress denied at the client even when the server allows the traffic", () => {
    const pols = [
      policy("x", "deny-egress-a", { podSelector: podSel("a"), policyTypes: ["Egress"] }),
      policy("y", "allow-from-x-a", {
        podSelector: podSel("b"),
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "x" } }, podSelector: podSel("a") }] }],
      }),
    ];
    expect(probe(pols, "TCP", 80)).toBe(grid((s, d) => s !== "x/a" && d !== "y/b"));
  });
  it("egress to a pod in a different namespace by podSelector AND namespaceSelector", () => {
    const pol = policy("x", "egress-y-a", {
      podSelector: podSel("a"),
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: podSel("a") }] }],
    });
    expect(probe([pol], "TCP", 80)).toBe(grid((s, d) => s !== "x/a" || d === "y/a"));
  });
  it("ingress and egress controlled independently", () => {
    const pols = [
      policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      policy("x", "a-egress-to-b", {
        podSelector: podSel("a"),
        policyTypes: ["Egress"],
        egress: [{ to: [{ podSelector: podSel("b") }] }],
      }),
      policy("x", "b-ingress-from-a", {
        podSelector: podSel("b"),
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: podSel("a") }] }],
      }),
    ];
    expect(probe(pols, "TCP", 80)).toBe(
      grid((s, d) => (s === "x/a" && d === "x/b") || (ns(s) !== "x" && ns(d) !== "x")),
    );
  });
  it("a policy stops applying once deleted (analysis of the remaining policies)", () => {
    expect(probe([], "TCP", 80)).toBe(grid(() => true));
  });
});
