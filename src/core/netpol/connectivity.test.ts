import { describe, expect, it } from "vitest";
import { deployment, inventory, namespace, type Obj, policy } from "./__fixtures__/cluster.js";
import { referenceConnectivity } from "./__fixtures__/reference.js";
import { analyzeConnectivity, type Edge, type Endpoint } from "./connectivity.js";

const V4 = "0.0.0.0-255.255.255.255";
const V6 = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

const name = (e: Endpoint): string => ("ipRange" in e ? e.ipRange : `${e.namespace}/${e.name}`);

/** Edges as `src -> dst` => connections, for compact whole-object assertions. */
function edges(objects: Obj[]): Record<string, Edge["connections"]> {
  const inv = inventory(objects);
  const c = analyzeConnectivity(inv);
  // Every table case is also checked against the naive reference evaluator.
  expect(c.edges).toEqual(referenceConnectivity(inv));
  const out: Record<string, Edge["connections"]> = {};
  for (const e of c.edges) out[`${name(e.src)} -> ${name(e.dst)}`] = e.connections;
  return out;
}
const tcp = (...ports: ([number, number] | number)[]) => [
  { protocol: "TCP", ports: ports.map((p) => (typeof p === "number" ? [p, p] : p)) },
];

const A = deployment("a", "web", { app: "web" }, [{ name: "http", containerPort: 8080 }]);
const B = deployment("a", "db", { app: "db" }, [{ name: "pg", containerPort: 5432 }]);
const C = deployment("b", "client", { app: "client" });

describe("no policies: everything is allowed", () => {
  it("all pairs and both address families", () => {
    expect(edges([namespace("a"), A, C])).toEqual({
      "a/web -> a/web": "all",
      "a/web -> b/client": "all",
      "a/web -> 0.0.0.0-255.255.255.255": "all",
      "a/web -> ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": "all",
      "b/client -> a/web": "all",
      "b/client -> b/client": "all",
      "b/client -> 0.0.0.0-255.255.255.255": "all",
      "b/client -> ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": "all",
      "0.0.0.0-255.255.255.255 -> a/web": "all",
      "0.0.0.0-255.255.255.255 -> b/client": "all",
      "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff -> a/web": "all",
      "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff -> b/client": "all",
    });
  });
});

describe("isolation", () => {
  it("a policy with no rules and default policyTypes isolates ingress only", () => {
    const e = edges([A, C, policy("a", "deny", { podSelector: {} })]);
    expect(e).toEqual({
      "a/web -> b/client": "all",
      "a/web -> 0.0.0.0-255.255.255.255": "all",
      [`a/web -> ${V6}`]: "all",
      "b/client -> b/client": "all",
      [`b/client -> ${V4}`]: "all",
      [`b/client -> ${V6}`]: "all",
      [`${V4} -> b/client`]: "all",
      [`${V6} -> b/client`]: "all",
    });
  });
  it("egress: [] without policyTypes does not isolate egress (len(egress) != 0 decides)", () => {
    expect(edges([A, C, policy("a", "p", { podSelector: {}, egress: [] })])).toEqual(
      edges([A, C, policy("a", "p", { podSelector: {} })]),
    );
  });
  it("policyTypes [Egress] isolates egress only and ignores ingress rules", () => {
    const e = edges([
      A,
      C,
      policy("a", "p", { podSelector: {}, policyTypes: ["Egress"], ingress: [{ from: [] }] }),
    ]);
    expect(e).toEqual({
      "b/client -> a/web": "all",
      "b/client -> b/client": "all",
      [`b/client -> ${V4}`]: "all",
      [`b/client -> ${V6}`]: "all",
      [`${V4} -> a/web`]: "all",
      [`${V4} -> b/client`]: "all",
      [`${V6} -> a/web`]: "all",
      [`${V6} -> b/client`]: "all",
    });
  });
  it("a policy only selects pods in its own namespace", () => {
    const e = edges([A, C, policy("b", "deny", { podSelector: { matchLabels: { app: "web" } } })]);
    expect(e["b/client -> a/web"]).toBe("all");
  });
  it("a connection needs egress at the source AND ingress at the destination", () => {
    const e = edges([
      A,
      C,
      policy("b", "egress-80", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ ports: [{ port: 80 }, { port: 443 }] }],
      }),
      policy("a", "ingress-443", { podSelector: {}, ingress: [{ ports: [{ port: 443 }, { port: 8443 }] }] }),
    ]);
    expect(e["b/client -> a/web"]).toEqual(tcp(443));
    expect(e[`b/client -> ${V4}`]).toEqual(tcp(80, 443));
    expect(e[`${V4} -> a/web`]).toEqual(tcp(443, 8443));
  });
});

describe("rules and peers", () => {
  const deny = policy("a", "deny", { podSelector: { matchLabels: { app: "db" } } });
  const onlyTo = (e: Record<string, unknown>, dst: string) =>
    Object.fromEntries(Object.entries(e).filter(([k]) => k.endsWith(`-> ${dst}`)));

  it("ingress: [{}] allows everything, including external sources", () => {
    const e = edges([
      A,
      B,
      C,
      deny,
      policy("a", "all", { podSelector: { matchLabels: { app: "db" } }, ingress: [{}] }),
    ]);
    expect(onlyTo(e, "a/db")).toEqual({
      "a/db -> a/db": "all",
      "a/web -> a/db": "all",
      "b/client -> a/db": "all",
      [`${V4} -> a/db`]: "all",
      [`${V6} -> a/db`]: "all",
    });
  });
  it("from: [] matches all sources", () => {
    const e = edges([
      A,
      B,
      C,
      policy("a", "p", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [], ports: [{ port: 5432 }] }],
      }),
    ]);
    expect(onlyTo(e, "a/db")).toEqual({
      "a/db -> a/db": tcp(5432),
      "a/web -> a/db": tcp(5432),
      "b/client -> a/db": tcp(5432),
      [`${V4} -> a/db`]: tcp(5432),
      [`${V6} -> a/db`]: tcp(5432),
    });
  });
  it("podSelector alone selects pods in the policy's namespace only", () => {
    const C2 = deployment("b", "web", { app: "web" });
    const e = edges([
      A,
      B,
      C2,
      policy("a", "p", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }],
      }),
    ]);
    expect(onlyTo(e, "a/db")).toEqual({ "a/web -> a/db": "all" });
  });
  it("namespaceSelector alone selects every pod of matching namespaces", () => {
    const e = edges([
      namespace("b", { team: "x" }),
      A,
      B,
      C,
      policy("a", "p", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "x" } } }] }],
      }),
    ]);
    expect(onlyTo(e, "a/db")).toEqual({ "b/client -> a/db": "all" });
  });
  it("namespaceSelector and podSelector in one peer are ANDed; separate peers are ORed", () => {
    const D = deployment("b", "other", { app: "other" });
    const and = edges([
      namespace("b", { team: "x" }),
      B,
      C,
      D,
      policy("a", "p", {
        podSelector: {},
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: "x" } },
                podSelector: { matchLabels: { app: "client" } },
              },
            ],
          },
        ],
      }),
    ]);
    expect(onlyTo(and, "a/db")).toEqual({ "b/client -> a/db": "all" });
    const or = edges([
      namespace("b", { team: "x" }),
      B,
      C,
      D,
      policy("a", "p", {
        podSelector: {},
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { team: "x" } } },
              { podSelector: { matchLabels: { app: "client" } } },
            ],
          },
        ],
      }),
    ]);
    expect(onlyTo(or, "a/db")).toEqual({ "b/client -> a/db": "all", "b/other -> a/db": "all" });
  });
  it("an empty namespaceSelector matches all namespaces but no external address", () => {
    const e = edges([
      A,
      B,
      C,
      policy("a", "p", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [{ namespaceSelector: {} }] }],
      }),
    ]);
    expect(onlyTo(e, "a/db")).toEqual({
      "a/db -> a/db": "all",
      "a/web -> a/db": "all",
      "b/client -> a/db": "all",
    });
  });
  it("namespaces carry kubernetes.io/metadata.name even when the Namespace object does not list it", () => {
    const e = edges([
      B,
      C,
      policy("a", "p", {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "b" } } }] }],
      }),
    ]);
    expect(onlyTo(e, "a/db")).toEqual({ "b/client -> a/db": "all" });
  });
  it("matchExpressions select with In, NotIn, Exists, DoesNotExist", () => {
    const X = deployment("a", "x", { tier: "front" });
    const Y = deployment("a", "y", { tier: "back" });
    const Z = deployment("a", "z", {});
    const e = edges([
      B,
      X,
      Y,
      Z,
      policy("a", "p", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [
          {
            from: [
              { podSelector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["back"] }] } },
            ],
          },
        ],
      }),
    ]);
    // NotIn also matches pods without the key (a/db, a/z).
    expect(onlyTo(e, "a/db")).toEqual({ "a/db -> a/db": "all", "a/x -> a/db": "all", "a/z -> a/db": "all" });
  });
});

describe("ipBlock and external ranges", () => {
  it("external ranges are induced by cidr and except; ipBlock peers match only them", () => {
    const e = edges([
      A,
      policy("a", "p", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }] }],
        egress: [{ to: [{ ipBlock: { cidr: "2001:db8::/32" } }], ports: [{ port: 443 }] }],
      }),
    ]);
    expect(e).toEqual({
      "a/web -> 2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff": tcp(443),
      "10.0.0.0-10.0.255.255 -> a/web": "all",
      "10.2.0.0-10.255.255.255 -> a/web": "all",
    });
  });
  it("ipBlock 0.0.0.0/0 does not match pods (the common model: pod traffic is decided by selectors)", () => {
    const e = edges([
      A,
      C,
      policy("a", "p", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] }),
    ]);
    expect(e["b/client -> a/web"]).toBeUndefined();
    expect(e[`${V4} -> a/web`]).toBe("all");
    expect(e[`${V6} -> a/web`]).toBeUndefined();
  });
});

describe("ports", () => {
  const db = policy("a", "p", {
    podSelector: { matchLabels: { app: "db" } },
    ingress: [{ from: [{ podSelector: {} }], ports: [] as Obj[] }],
  });
  const withPorts = (ports: Obj[]) => {
    const p = structuredClone(db) as { spec: { ingress: { ports: Obj[] }[] } };
    (p.spec.ingress[0] as { ports: Obj[] }).ports = ports;
    return edges([A, B, p as unknown as Obj])["a/web -> a/db"];
  };
  it("protocol defaults to TCP; UDP and SCTP are kept apart", () => {
    expect(withPorts([{ port: 53 }, { port: 53, protocol: "UDP" }, { port: 9, protocol: "SCTP" }])).toEqual([
      { protocol: "TCP", ports: [[53, 53]] },
      { protocol: "UDP", ports: [[53, 53]] },
      { protocol: "SCTP", ports: [[9, 9]] },
    ]);
  });
  it("endPort gives a range; protocol without port gives the whole protocol", () => {
    expect(withPorts([{ port: 8000, endPort: 8080 }, { port: 8081 }, { protocol: "UDP" }])).toEqual([
      { protocol: "TCP", ports: [[8000, 8081]] },
      { protocol: "UDP", ports: [[1, 65535]] },
    ]);
  });
  it("a named port resolves against the destination pod's container ports (name and protocol)", () => {
    expect(withPorts([{ port: "pg" }])).toEqual(tcp(5432));
    expect(withPorts([{ port: "pg", protocol: "UDP" }])).toBeUndefined();
    expect(withPorts([{ port: "http" }])).toBeUndefined(); // the source's port name does not count
  });
  it("a named port in an egress rule resolves against the destination pod", () => {
    const e = edges([
      A,
      B,
      policy("a", "egress", {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Egress"],
        egress: [{ ports: [{ port: "pg" }, { port: "http" }] }],
      }),
    ]);
    expect(e["a/web -> a/db"]).toEqual(tcp(5432));
    expect(e["a/web -> a/web"]).toEqual(tcp(8080));
    expect(e[`a/web -> ${V4}`]).toBeUndefined(); // external destinations have no named ports
  });
  it("a name declared by two containers with different numbers resolves to both", () => {
    const two = deployment("a", "two", { app: "db" });
    const spec = (two as { spec: { template: { spec: { containers: Obj[] } } } }).spec.template.spec;
    spec.containers = [
      { name: "a", image: "x", ports: [{ name: "metrics", containerPort: 9090 }] },
      { name: "b", image: "x", ports: [{ name: "metrics", containerPort: 9100 }] },
    ];
    const e = edges([
      A,
      two,
      policy("a", "p", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ ports: [{ port: "metrics" }] }],
      }),
    ]);
    expect(e["a/web -> a/two"]).toEqual(tcp(9090, 9100));
  });
  it("union of rules across policies", () => {
    const e = edges([
      A,
      B,
      policy("a", "p1", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 1, endPort: 10 }] }],
      }),
      policy("a", "p2", {
        podSelector: {},
        ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 11 }, { port: 20, protocol: "UDP" }] }],
      }),
    ]);
    expect(e["a/web -> a/db"]).toEqual([
      { protocol: "TCP", ports: [[1, 11]] },
      { protocol: "UDP", ports: [[20, 20]] },
    ]);
  });
});

describe("coverage", () => {
  it("invalid policies are left out with a coverage entry naming them; the rest is analyzed", () => {
    const inv = inventory([
      A,
      C,
      policy("a", "bad", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/99" } }] }] }),
      policy("b", "good", { podSelector: {} }),
    ]);
    const c = analyzeConnectivity(inv);
    expect(c.coverage).toEqual([
      {
        reason: "invalid",
        message:
          'NetworkPolicy a/bad: spec.ingress[0].from[0].ipBlock.cidr: not a valid CIDR: "10.0.0.0/99"; the policy was left out of the analysis',
        subject: "NetworkPolicy a/bad",
        kind: "NetworkPolicy",
        namespace: "a",
      },
    ]);
    expect(c.edges.some((e) => name(e.dst) === "b/client")).toBe(false);
    expect(c.edges.some((e) => name(e.dst) === "a/web")).toBe(true);
  });
  it("hostNetwork workloads are left out and reported", () => {
    const h = deployment("kube-system", "proxy", { app: "proxy" }, [], { hostNetwork: true });
    const c = analyzeConnectivity(inventory([A, h]));
    expect(
      c.edges.some((e) => name(e.src) === "kube-system/proxy" || name(e.dst) === "kube-system/proxy"),
    ).toBe(false);
    expect(c.coverage).toEqual([
      {
        reason: "unsupported",
        message:
          "1 hostNetwork workload(s) left out of NetworkPolicy analysis (policies do not reliably apply to host-network pods): Deployment kube-system/proxy",
        kind: "NetworkPolicy",
      },
    ]);
  });
  it("output is deterministic whatever the input order", () => {
    const objs = [
      A,
      B,
      C,
      policy("a", "p", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] }),
    ];
    const x = analyzeConnectivity(inventory(objs));
    const y = analyzeConnectivity(inventory([...objs].reverse()));
    expect(JSON.stringify(y)).toBe(JSON.stringify(x));
  });
});

describe("edge budget", () => {
  it("stops at the budget in endpoint order and says so in coverage", () => {
    const objs = ["a", "b", "c"].map((n) => deployment("ns", n, { app: n }));
    const full = analyzeConnectivity(inventory(objs));
    const cut = analyzeConnectivity(inventory([...objs].reverse()), { maxEdges: 4 });
    // Source a alone has 5 edges (3 workloads, 2 external ranges): it is kept whole, the rest is skipped.
    expect(cut.edges).toEqual(full.edges.filter((e) => "name" in e.src && e.src.name === "a"));
    expect(cut.coverage).toEqual([
      {
        reason: "limit",
        message:
          "connectivity truncated at about 4 edges: edges from sources after Deployment ns/a were not computed (raise the edge budget)",
        kind: "NetworkPolicy",
      },
    ]);
  });
});
