import { describe, expect, it } from "vitest";
import { deployment, inventory, namespace, type Obj, pod, policy, running } from "./__fixtures__/cluster.js";
import { referenceConnectivity } from "./__fixtures__/reference.js";
import { analyzeConnectivity, type ConnectivityOptions, type Edge, type Endpoint } from "./connectivity.js";
import { netpolFindings } from "./findings.js";

const name = (e: Endpoint): string => ("ipRange" in e ? e.ipRange : `${e.namespace}/${e.name}`);

/** Workload-to-workload edges as `src -> dst` => connections, checked against the reference evaluator. */
function podEdges(objects: Obj[], options: ConnectivityOptions = {}): Record<string, Edge["connections"]> {
  const inv = inventory(objects);
  const c = analyzeConnectivity(inv, options);
  expect(c.edges).toEqual(referenceConnectivity(inv, options));
  const out: Record<string, Edge["connections"]> = {};
  for (const e of c.edges)
    if (!("ipRange" in e.src) && !("ipRange" in e.dst))
      out[`${name(e.src)} -> ${name(e.dst)}`] = e.connections;
  return out;
}
const coverageOf = (objects: Obj[], options: ConnectivityOptions) =>
  analyzeConnectivity(inventory(objects), options).coverage;

const MODE = { ipBlockMatchesPods: true } as const;
const tcp = (p: number) => [{ protocol: "TCP", ports: [[p, p]] }];

// a/web (pod 10.244.1.5) accepts only from ipBlocks; b/client (pod 10.244.2.7) sends anywhere.
const web = deployment("a", "web", { app: "web" }, [{ name: "https", containerPort: 8443 }]);
const webRs = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: "web-5d8f",
    namespace: "a",
    ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", controller: true }],
  },
  spec: {
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "x" }] } },
  },
};
const webPod = pod("a", "web-5d8f-x", { app: "web" }, running("10.244.1.5"), {
  kind: "ReplicaSet",
  name: "web-5d8f",
});
const client = deployment("b", "client", { app: "client" });
const clientPod = pod("b", "client-1", { app: "client" }, running("10.244.2.7"), {
  kind: "Deployment",
  name: "client",
});
const WORLD = [namespace("a"), namespace("b"), web, webRs, webPod, client, clientPod];
const onlyFrom = (cidr: string, except: string[] = [], ports: Obj[] = [{ port: "https" }]) =>
  policy("a", "from-ipblock", {
    podSelector: { matchLabels: { app: "web" } },
    ingress: [{ from: [{ ipBlock: except.length ? { cidr, except } : { cidr } }], ports }],
  });

describe("ipBlockMatchesPods: pod IPs from status", () => {
  it("default mode: an ipBlock covering pod IPs admits no pod", () => {
    expect(podEdges([...WORLD, onlyFrom("10.244.0.0/16")])).toEqual({
      "a/web -> b/client": "all",
      "b/client -> b/client": "all",
    });
  });
  it("mode: pods whose IPs are in the cidr are admitted, through named ports too", () => {
    expect(podEdges([...WORLD, onlyFrom("10.244.0.0/16")], MODE)).toEqual({
      "a/web -> a/web": tcp(8443),
      "a/web -> b/client": "all",
      "b/client -> a/web": tcp(8443),
      "b/client -> b/client": "all",
    });
  });
  it("mode: an except holding a pod's IP carves that pod out", () => {
    expect(podEdges([...WORLD, onlyFrom("10.244.0.0/16", ["10.244.1.0/24"])], MODE)).toEqual({
      "a/web -> b/client": "all",
      "b/client -> a/web": tcp(8443),
      "b/client -> b/client": "all",
    });
  });
  it("mode: workloads with the same labels but IPs on different sides of an ipBlock are told apart", () => {
    const twin = deployment("b", "twin", { app: "client" });
    const twinPod = pod("b", "twin-1", { app: "client" }, running("10.244.1.9"), {
      kind: "Deployment",
      name: "twin",
    });
    const e = podEdges([...WORLD, twin, twinPod, onlyFrom("10.244.0.0/16", ["10.244.1.0/24"])], MODE);
    expect(e["b/client -> a/web"]).toEqual(tcp(8443));
    expect(e["b/twin -> a/web"]).toBeUndefined();
  });
  it("mode: egress ipBlocks reach pods whose IPs they cover", () => {
    const egress = policy("b", "egress", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "10.244.1.0/24" } }], ports: [{ port: 8443 }] }],
    });
    expect(podEdges([...WORLD, egress])).toEqual({
      "a/web -> a/web": "all",
      "a/web -> b/client": "all",
    });
    expect(podEdges([...WORLD, egress], MODE)).toEqual({
      "a/web -> a/web": "all",
      "a/web -> b/client": "all",
      "b/client -> a/web": tcp(8443),
    });
  });
  it("mode: a bare Pod's own status counts", () => {
    const bare = pod("b", "debug", { run: "debug" }, running("10.244.9.9"));
    const e = podEdges([...WORLD, bare, onlyFrom("10.244.9.0/24")], MODE);
    expect(e["b/debug -> a/web"]).toEqual(tcp(8443));
    expect(e["b/client -> a/web"]).toBeUndefined();
  });
  it("IPv6 and dual-stack: each family is matched on its own", () => {
    const dual = pod("b", "client-1", { app: "client" }, running("10.244.2.7", "fd00:10:244::7"), {
      kind: "Deployment",
      name: "client",
    });
    const objs = [namespace("a"), namespace("b"), web, client, dual];
    expect(podEdges([...objs, onlyFrom("fd00:10:244::/64")], MODE)["b/client -> a/web"]).toEqual(tcp(8443));
    expect(podEdges([...objs, onlyFrom("::/0", ["fd00::/8"])], MODE)["b/client -> a/web"]).toBeUndefined();
    // The IPv4 pod IP is not inside an IPv6 block, whatever the prefix.
    expect(podEdges([...objs, onlyFrom("::ffff:0:0/96")], MODE)["b/client -> a/web"]).toBeUndefined();
  });
});

describe("ipBlockMatchesPods: pod CIDR (manifests without pod status)", () => {
  const NO_STATUS = [namespace("a"), namespace("b"), web, client];
  const cidr = (...podCidrs: string[]) => ({ ...MODE, podCidrs });
  it("a cidr covering the pod CIDR matches every pod", () => {
    expect(podEdges([...NO_STATUS, onlyFrom("0.0.0.0/0")], cidr("10.244.0.0/16"))).toEqual({
      "a/web -> a/web": tcp(8443),
      "a/web -> b/client": "all",
      "b/client -> a/web": tcp(8443),
      "b/client -> b/client": "all",
    });
  });
  it("a cidr overlapping part of the pod CIDR matches every pod (any pod may hold those addresses)", () => {
    const e = podEdges([...NO_STATUS, onlyFrom("10.244.128.0/17")], cidr("10.244.0.0/16"));
    expect(e["b/client -> a/web"]).toEqual(tcp(8443));
  });
  it("an except covering the whole pod CIDR excludes pods; a partial except does not", () => {
    expect(
      podEdges([...NO_STATUS, onlyFrom("0.0.0.0/0", ["10.0.0.0/8"])], cidr("10.244.0.0/16"))[
        "b/client -> a/web"
      ],
    ).toBeUndefined();
    // Two excepts that together cover the pod CIDR exclude it too.
    expect(
      podEdges(
        [...NO_STATUS, onlyFrom("10.0.0.0/8", ["10.244.0.0/17", "10.244.128.0/17"])],
        cidr("10.244.0.0/16"),
      )["b/client -> a/web"],
    ).toBeUndefined();
    expect(
      podEdges([...NO_STATUS, onlyFrom("0.0.0.0/0", ["10.244.0.0/17"])], cidr("10.244.0.0/16"))[
        "b/client -> a/web"
      ],
    ).toEqual(tcp(8443));
  });
  it("a cidr outside the pod CIDRs matches no pod", () => {
    expect(
      podEdges([...NO_STATUS, onlyFrom("192.168.0.0/16")], cidr("10.244.0.0/16", "fd00:10:244::/56"))[
        "b/client -> a/web"
      ],
    ).toBeUndefined();
  });
  it("observed pod IPs outside the pod CIDR still count", () => {
    const e = podEdges([...WORLD, onlyFrom("10.244.2.0/24")], cidr("10.96.0.0/16"));
    expect(e["b/client -> a/web"]).toEqual(tcp(8443));
  });
  it("an IPv6 pod CIDR matches an IPv6 ipBlock", () => {
    const e = podEdges([...NO_STATUS, onlyFrom("fd00:10:244::/48")], cidr("fd00:10:244::/56"));
    expect(e["b/client -> a/web"]).toEqual(tcp(8443));
  });
});

describe("ipBlockMatchesPods: what cannot be evaluated", () => {
  const NO_STATUS = [namespace("a"), namespace("b"), web, client];
  it("no pod IP and no pod CIDR: coverage names the workloads, and no pod is matched", () => {
    const objs = [...NO_STATUS, onlyFrom("0.0.0.0/0")];
    expect(podEdges(objs, MODE)).toEqual(podEdges(objs));
    expect(coverageOf(objs, MODE)).toEqual([
      {
        reason: "not-evaluated",
        message:
          "whether ipBlock peers match pods could not be evaluated for 2 workload(s) with no known pod IP (no running pod with status.podIP in the input) and no pod CIDR given: they are treated as matching no ipBlock, as in the default model: Deployment a/web, Deployment b/client",
        kind: "NetworkPolicy",
      },
    ]);
    // Without ipBlocks there is no question to answer, and the default mode does not ask it.
    expect(coverageOf(NO_STATUS, MODE)).toEqual([]);
    expect(coverageOf(objs, {})).toEqual([]);
  });
  it("an invalid pod CIDR is reported and ignored", () => {
    expect(coverageOf([...WORLD, onlyFrom("10.0.0.0/8")], { ...MODE, podCidrs: ["10.244.0.0/33"] })).toEqual([
      {
        reason: "invalid",
        message: 'pod CIDR "10.244.0.0/33" is not a valid CIDR and was ignored',
        kind: "NetworkPolicy",
      },
    ]);
  });
});

describe("pathological cases", () => {
  it("terminated pods, malformed status and non-addresses are ignored", () => {
    const pods = [
      pod(
        "b",
        "done",
        { app: "client" },
        { phase: "Succeeded", podIP: "10.244.2.8" },
        { kind: "Deployment", name: "client" },
      ),
      pod(
        "b",
        "failed",
        { app: "client" },
        { phase: "Failed", podIPs: [{ ip: "10.244.2.9" }] },
        { kind: "Deployment", name: "client" },
      ),
      pod(
        "b",
        "junk-1",
        { app: "client" },
        { podIP: 42, podIPs: "10.244.2.10" },
        { kind: "Deployment", name: "client" },
      ),
      pod(
        "b",
        "junk-2",
        { app: "client" },
        { podIPs: [null, { ip: "10.244.2.300" }, { ip: "fe80::1%eth0" }, "10.244.2.11"] },
        { kind: "Deployment", name: "client" },
      ),
      pod("b", "junk-3", { app: "client" }, "running" as unknown as Obj, {
        kind: "Deployment",
        name: "client",
      }),
    ];
    const objs = [namespace("a"), namespace("b"), web, client, ...pods, onlyFrom("10.244.2.0/24")];
    expect(podEdges(objs, MODE)["b/client -> a/web"]).toBeUndefined();
    expect(coverageOf(objs, MODE).map((c) => c.reason)).toEqual(["not-evaluated"]);
  });
  it("a pod still pending with an IP counts (phase absent or Pending)", () => {
    const pending = pod(
      "b",
      "p",
      { app: "client" },
      { phase: "Pending", podIP: "10.244.2.12" },
      {
        kind: "Deployment",
        name: "client",
      },
    );
    const e = podEdges(
      [namespace("a"), namespace("b"), web, client, pending, onlyFrom("10.244.2.12/32")],
      MODE,
    );
    expect(e["b/client -> a/web"]).toEqual(tcp(8443));
  });
});

describe("PAL-NET-011: ipBlock overlaps the pod network", () => {
  const ids = (objs: Obj[], options = {}) =>
    netpolFindings(inventory(objs), options)
      .findings.filter((f) => f.ruleId === "PAL-NET-011")
      .map((f) => `${f.resource.namespace}/${f.resource.name} ${f.fieldPath}: ${f.message}`);
  it("fires in the default mode on observed pod IPs", () => {
    expect(ids([...WORLD, onlyFrom("10.244.0.0/16", ["10.244.1.0/24"])])).toEqual([
      "a/from-ipblock spec.ingress[0].from[0].ipBlock: NetworkPolicy a/from-ipblock spec.ingress[0].from[0] ipBlock 10.244.0.0/16 except 10.244.1.0/24 overlaps the pod network (pod IPs of 1 workload(s): Deployment b/client): on network plugins that match pod IPs against ipBlocks it may admit traffic from those pods",
    ]);
  });
  it("fires on a pod CIDR, for egress too, and not when excepts carve the pod network out", () => {
    const objs = [
      namespace("a"),
      web,
      policy("a", "egress", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.244.0.0/16"] } }] },
        ],
      }),
    ];
    expect(ids(objs, { podCidrs: ["10.244.0.0/16"] })).toEqual([
      "a/egress spec.egress[0].to[0].ipBlock: NetworkPolicy a/egress spec.egress[0].to[0] ipBlock 0.0.0.0/0 overlaps the pod network (pod CIDR 10.244.0.0/16): on network plugins that match pod IPs against ipBlocks it may allow traffic to those pods",
    ]);
    expect(ids(objs, { podCidrs: ["10.244.0.0/16"], ipBlockMatchesPods: true })).toHaveLength(1);
  });
  it("without pod IPs or a pod CIDR the rule cannot be checked, and coverage says so", () => {
    const r = netpolFindings(inventory([namespace("a"), web, onlyFrom("0.0.0.0/0")]));
    expect(r.findings.filter((f) => f.ruleId === "PAL-NET-011")).toEqual([]);
    expect(r.coverage).toEqual([
      {
        reason: "not-evaluated",
        message:
          "whether ipBlock peers match pods could not be evaluated for 1 workload(s) with no known pod IP (no running pod with status.podIP in the input) and no pod CIDR given: PAL-NET-011 (ipBlock overlaps the pod network) was not checked for them: Deployment a/web",
        kind: "NetworkPolicy",
      },
    ]);
  });
  it("builds a whole finding", () => {
    const [f] = netpolFindings(inventory([...WORLD, onlyFrom("10.244.2.0/24")])).findings.filter(
      (x) => x.ruleId === "PAL-NET-011",
    );
    expect(f).toEqual({
      id: f?.id,
      ruleId: "PAL-NET-011",
      title: "ipBlock overlaps the pod network",
      severity: "medium",
      resource: {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        namespace: "a",
        name: "from-ipblock",
      },
      fieldPath: "spec.ingress[0].from[0].ipBlock",
      evidence: "10.244.2.0/24",
      message:
        "NetworkPolicy a/from-ipblock spec.ingress[0].from[0] ipBlock 10.244.2.0/24 overlaps the pod network (pod IPs of 1 workload(s): Deployment b/client): on network plugins that match pod IPs against ipBlocks it may admit traffic from those pods",
      remediation:
        "Add the pod CIDR to the ipBlock's except list and allow pods with podSelector/namespaceSelector peers instead; analyse with `palisade netpol connectivity --ipblock-matches-pods` to see the connections a plugin that matches pod IPs would allow.",
      compliance: [
        {
          framework: "nsa",
          id: "network-separation",
          title: "NSA/CISA Kubernetes Hardening Guidance: Network separation and hardening",
        },
      ],
      category: "network",
    });
  });
});
