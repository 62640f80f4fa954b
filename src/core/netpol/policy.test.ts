import { describe, expect, it } from "vitest";
import { inventory, policy } from "./__fixtures__/cluster.js";
import { isValidPortName, parseNetworkPolicy } from "./policy.js";

const parse = (spec: Record<string, unknown>) => {
  const inv = inventory([policy("app", "p", spec)]);
  const obj = inv.networkPolicies[0];
  if (!obj) throw new Error("no policy");
  return parseNetworkPolicy(obj);
};
const issues = (spec: Record<string, unknown>) => parse(spec).issues.map((i) => `${i.path}: ${i.message}`);

describe("policyTypes defaulting (networking/v1 SetDefaults_NetworkPolicy)", () => {
  it.each([
    [{}, { ingress: true, egress: false }],
    [{ ingress: [{}] }, { ingress: true, egress: false }],
    [{ egress: [{}] }, { ingress: true, egress: true }],
    // len(spec.egress) != 0 decides, so an empty egress list does not isolate egress.
    [{ egress: [] }, { ingress: true, egress: false }],
    [{ policyTypes: [] }, { ingress: true, egress: false }],
    [{ policyTypes: ["Egress"] }, { ingress: false, egress: true }],
    [
      { policyTypes: ["Egress"], ingress: [{}] },
      { ingress: false, egress: true },
    ],
    [{ policyTypes: ["Ingress", "Egress"] }, { ingress: true, egress: true }],
  ])("%j -> %j", (spec, isolates) => {
    expect(parse(spec).policy?.isolates).toEqual(isolates);
  });
  it("drops rules of a type not in policyTypes", () => {
    const p = parse({
      policyTypes: ["Egress"],
      ingress: [{}],
      egress: [{ ports: [{ port: 53, protocol: "UDP" }] }],
    });
    expect(p.policy?.ingress).toEqual([]);
    expect(p.policy?.egress).toEqual([
      {
        direction: "egress",
        index: 0,
        path: "spec.egress[0]",
        peers: "all",
        ports: [{ protocol: "UDP", port: 53, path: "spec.egress[0].ports[0]" }],
      },
    ]);
  });
  it("treats an absent podSelector as the empty selector", () => {
    expect(parse({}).policy?.podSelector.text).toBe("{}");
  });
});

describe("rules", () => {
  it("empty from/ports and absent from/ports mean all", () => {
    const p = parse({ ingress: [{ from: [], ports: [] }, {}] });
    expect(p.policy?.ingress.map((r) => [r.peers, r.ports])).toEqual([
      ["all", "all"],
      ["all", "all"],
    ]);
  });
  it("defaults protocol to TCP and keeps named ports and ranges", () => {
    const p = parse({
      ingress: [
        { ports: [{ port: "http" }, { port: 8000, endPort: 8080, protocol: "SCTP" }, { protocol: "UDP" }] },
      ],
    });
    expect(p.policy?.ingress[0]?.ports).toEqual([
      { protocol: "TCP", port: "http", path: "spec.ingress[0].ports[0]" },
      { protocol: "SCTP", port: 8000, endPort: 8080, path: "spec.ingress[0].ports[1]" },
      { protocol: "UDP", path: "spec.ingress[0].ports[2]" },
    ]);
  });
  it("keeps selector peers apart from ipBlock peers", () => {
    const p = parse({
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { a: "b" } }, namespaceSelector: {} },
            { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
          ],
        },
      ],
    });
    const peers = p.policy?.ingress[0]?.peers;
    expect(
      Array.isArray(peers) &&
        peers.map((x) => (x.kind === "pods" ? [x.podSelector?.text, x.namespaceSelector?.text] : x.text)),
    ).toEqual([["a=b", "{}"], "10.0.0.0/8 except 10.1.0.0/16"]);
  });
  it("validates port names like IsValidPortName", () => {
    expect(["http", "h2c", "web-1", "a".repeat(15)].map(isValidPortName)).toEqual([true, true, true, true]);
    expect(["80", "HTTP", "-web", "web-", "we--b", "a".repeat(16), ""].map(isValidPortName)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("pathological cases (invalid fields are named; the policy is rejected as the API server would)", () => {
  it.each([
    [
      { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }] },
      'spec.ingress[0].from[0].ipBlock.cidr: not a valid CIDR: "10.0.0.0/33"',
    ],
    [{ ingress: [{ from: [{ ipBlock: { cidr: "" } }] }] }, "spec.ingress[0].from[0].ipBlock.cidr: required"],
    [
      { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/24", except: ["192.168.0.0/24"] } }] }] },
      'spec.ingress[0].from[0].ipBlock.except[0]: "192.168.0.0/24" must be a strict subset of cidr "10.0.0.0/24"',
    ],
    [
      { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/24", except: ["10.0.0.0/24"] } }] }] },
      'spec.ingress[0].from[0].ipBlock.except[0]: "10.0.0.0/24" must be a strict subset of cidr "10.0.0.0/24"',
    ],
    [
      { egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["::/64"] } }] }] },
      'spec.egress[0].to[0].ipBlock.except[0]: "::/64" must be a strict subset of cidr "10.0.0.0/8"',
    ],
    [
      { ingress: [{ ports: [{ endPort: 90 }] }] },
      "spec.ingress[0].ports[0].endPort: may not be specified when `port` is not specified",
    ],
    [
      { ingress: [{ ports: [{ port: "http", endPort: 90 }] }] },
      "spec.ingress[0].ports[0].endPort: may not be specified when `port` is non-numeric",
    ],
    [
      { ingress: [{ ports: [{ port: 90, endPort: 80 }] }] },
      "spec.ingress[0].ports[0].endPort: must be greater than or equal to `port`",
    ],
    [
      { ingress: [{ ports: [{ port: 0 }] }] },
      "spec.ingress[0].ports[0].port: must be between 1 and 65535, inclusive: 0",
    ],
    [
      { ingress: [{ ports: [{ port: 70000 }] }] },
      "spec.ingress[0].ports[0].port: must be between 1 and 65535, inclusive: 70000",
    ],
    [{ ingress: [{ ports: [{ port: "80" }] }] }, 'spec.ingress[0].ports[0].port: invalid port name "80"'],
    [
      { ingress: [{ ports: [{ protocol: "ICMP" }] }] },
      'spec.ingress[0].ports[0].protocol: unsupported value "ICMP": must be TCP, UDP or SCTP',
    ],
    [
      { ingress: [{ ports: [{ protocol: "tcp" }] }] },
      'spec.ingress[0].ports[0].protocol: unsupported value "tcp": must be TCP, UDP or SCTP',
    ],
    [
      {
        ingress: [
          {
            from: [{ podSelector: { matchExpressions: [{ key: "a", operator: "Equals", values: ["x"] }] } }],
          },
        ],
      },
      'spec.ingress[0].from[0].podSelector.matchExpressions[0].operator: unsupported operator "Equals": must be In, NotIn, Exists or DoesNotExist',
    ],
    [{ ingress: [{ from: [{}] }] }, "spec.ingress[0].from[0]: must specify a peer"],
    [
      { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }] },
      "spec.ingress[0].from[0]: may not specify both ipBlock and another peer",
    ],
    [
      { policyTypes: ["Ingress", "Sideways"] },
      'spec.policyTypes[1]: unsupported value "Sideways": must be Ingress or Egress',
    ],
    [
      { policyTypes: ["Ingress", "Egress", "Ingress"] },
      "spec.policyTypes: may not specify more than two policyTypes",
    ],
    [{ ingress: {} }, "spec.ingress: must be a list"],
    [{ ingress: ["x"] }, "spec.ingress[0]: must be an object"],
    [
      { podSelector: { matchLabels: { a: ["x"] } } },
      'spec.podSelector.matchLabels["a"]: invalid label value ["x"]',
    ],
  ])("%j", (spec, message) => {
    expect(issues(spec)).toEqual([message]);
    expect(parse(spec).policy).toBeUndefined();
  });
  it("reports every invalid field of one policy", () => {
    expect(issues({ ingress: [{ ports: [{ port: 0 }, { protocol: "X" }] }] })).toEqual([
      "spec.ingress[0].ports[0].port: must be between 1 and 65535, inclusive: 0",
      'spec.ingress[0].ports[1].protocol: unsupported value "X": must be TCP, UDP or SCTP',
    ]);
  });
  it.each([
    [{ ingress: [{ from: [null] }] }, "spec.ingress[0].from[0]: must specify a peer"],
    [{ ingress: [{ from: ["x"] }] }, "spec.ingress[0].from[0]: must be an object"],
    [
      { ingress: [{ ports: [{ port: 80.5 }] }] },
      "spec.ingress[0].ports[0].port: must be between 1 and 65535, inclusive: 80.5",
    ],
    [
      { ingress: [{ ports: [{ port: 80, endPort: "90" }] }] },
      "spec.ingress[0].ports[0].endPort: must be between 1 and 65535, inclusive: 90",
    ],
    [
      { ingress: [{ ports: [{ port: true }] }] },
      "spec.ingress[0].ports[0].port: must be a number or a port name",
    ],
    [{ egress: [{ to: [{ ipBlock: "10.0.0.0/8" }] }] }, "spec.egress[0].to[0].ipBlock: must be an object"],
    [{ policyTypes: "Ingress" }, "spec.policyTypes: must be a list"],
  ])("hostile %j", (spec, message) => {
    expect(issues(spec)).toEqual([message]);
  });
  it("a null rule or port item is the zero value: all peers, all TCP ports", () => {
    const p = parse({ ingress: [null, { ports: [null] }] });
    expect(p.policy?.ingress.map((r) => [r.peers, r.ports])).toEqual([
      ["all", "all"],
      ["all", [{ protocol: "TCP", path: "spec.ingress[1].ports[0]" }]],
    ]);
  });
  it("rejects a non-object spec", () => {
    const inv = inventory([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "p", namespace: "a" },
        spec: [],
      },
    ]);
    expect(parseNetworkPolicy(inv.networkPolicies[0]!).issues.map((i) => i.message)).toEqual([
      "must be an object",
    ]);
  });
});
