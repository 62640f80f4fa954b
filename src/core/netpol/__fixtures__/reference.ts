import type { Inventory, KObject, Labels, Workload } from "../../inventory/index.js";
import { matchesSelector } from "../../k8s/index.js";
import { appendAll, isRecord } from "../../util/index.js";
import {
  compareRanges,
  formatRange,
  type IpRange,
  parseCidr,
  parseIPv4,
  parseIPv6,
  partitionAddressSpace,
  rangeContains,
} from "../cidr.js";
import { compareEndpoints, type Edge, type Endpoint } from "../connectivity.js";
import { type ParsedPolicy, type Peer, type PolicyRule, parseNetworkPolicy } from "../policy.js";
import {
  CONN_ALL,
  CONN_NONE,
  type ConnSet,
  connIntersect,
  connIsEmpty,
  connOf,
  connToJson,
  connUnion,
  MAX_PORT,
} from "../ports.js";

/**
 * A deliberately naive evaluator of the NetworkPolicy semantics: every (source, destination) pair is decided
 * directly from the policies, with no equivalence classes, indexes or caches. It exists for the differential tests
 * of {@link analyzeConnectivity} (test support, a fixture: never shipped).
 *
 * With `ipBlockMatchesPods`, an ipBlock peer matches a workload when some address its pods may hold (pod IPs of
 * running pods, or any address of a pod CIDR) lies in the cidr and in no except, decided point by point.
 */
export function referenceConnectivity(
  inv: Inventory,
  options: { ipBlockMatchesPods?: boolean; podCidrs?: readonly string[] } = {},
): Edge[] {
  const podCidrs: IpRange[] = [];
  for (const t of options.podCidrs ?? []) {
    const c = parseCidr(t);
    if (c) podCidrs.push(c);
  }
  const podIps = (pod: KObject): IpRange[] => {
    const st = pod.raw.status;
    if (!isRecord(st) || st.phase === "Succeeded" || st.phase === "Failed") return [];
    const texts = [
      st.podIP,
      ...(Array.isArray(st.podIPs) ? st.podIPs.map((x) => (isRecord(x) ? x.ip : undefined)) : []),
    ];
    const out: IpRange[] = [];
    for (const t of texts) {
      if (typeof t !== "string") continue;
      const v6 = t.includes(":");
      const v = v6 ? parseIPv6(t) : parseIPv4(t);
      if (v !== undefined) out.push({ family: v6 ? 6 : 4, start: v, end: v });
    }
    return out;
  };
  const addressesOf = (w: Workload): IpRange[] => [
    ...(w.kind === "Pod" ? [w.object, ...w.pods] : w.pods).flatMap(podIps),
    ...podCidrs,
  ];
  /** Some address of `a` in the cidr and in no except: the first candidate points of the difference are checked. */
  const blockHits = (peer: Extract<Peer, { kind: "ipBlock" }>, a: IpRange): boolean => {
    if (a.family !== peer.cidr.family) return false;
    let lo = a.start;
    if (peer.cidr.start > lo) lo = peer.cidr.start;
    let hi = a.end;
    if (peer.cidr.end < hi) hi = peer.cidr.end;
    const candidates = [lo, ...peer.except.map((e) => e.end + 1n)];
    return candidates.some((x) => x >= lo && x <= hi && !peer.except.some((e) => e.start <= x && x <= e.end));
  };
  const policies: ParsedPolicy[] = [];
  for (const o of inv.networkPolicies) {
    const r = parseNetworkPolicy(o);
    if (r.policy) policies.push(r.policy);
  }
  const workloads = inv.workloads.filter(
    (w) => !(isRecord(w.podSpec) && (w.podSpec as Record<string, unknown>).hostNetwork === true),
  );
  const nsLabels = (ns: string): Labels => ({
    ...(inv.namespaces.get(ns)?.labels ?? {}),
    "kubernetes.io/metadata.name": ns,
  });
  const blocks: IpRange[] = [];
  for (const p of policies)
    for (const r of [...p.ingress, ...p.egress])
      if (r.peers !== "all")
        for (const x of r.peers) if (x.kind === "ipBlock") appendAll(blocks, [x.cidr], x.except);
  const ranges = partitionAddressSpace(blocks).sort(compareRanges);
  type Ep = { w: Workload } | { r: IpRange };
  const nsOf = (w: Workload): string => w.ref.namespace ?? "default";

  const peerMatches = (peer: Peer, policyNs: string, ep: Ep): boolean => {
    if ("r" in ep) {
      if (peer.kind !== "ipBlock") return false;
      return rangeContains(peer.cidr, ep.r) && !peer.except.some((e) => rangeContains(e, ep.r));
    }
    if (peer.kind === "ipBlock")
      return options.ipBlockMatchesPods === true && addressesOf(ep.w).some((a) => blockHits(peer, a));
    const ns = nsOf(ep.w);
    const nsOk = peer.namespaceSelector
      ? matchesSelector(peer.namespaceSelector, nsLabels(ns))
      : ns === policyNs;
    return nsOk && (peer.podSelector ? matchesSelector(peer.podSelector, ep.w.podLabels) : true);
  };
  const containerPorts = (w: Workload, name: string, protocol: string): number[] => {
    const out: number[] = [];
    for (const c of w.containers) {
      const spec = c.spec as unknown as Record<string, unknown>;
      const sidecar = c.type === "initContainer" && spec.restartPolicy === "Always";
      if (c.type !== "container" && !sidecar) continue;
      for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
        if (
          isRecord(p) &&
          p.name === name &&
          (p.protocol ?? "TCP") === protocol &&
          typeof p.containerPort === "number"
        )
          out.push(p.containerPort);
      }
    }
    return out;
  };
  const portsOf = (rule: PolicyRule, dst: Ep): ConnSet => {
    if (rule.ports === "all") return CONN_ALL;
    let c = CONN_NONE;
    for (const p of rule.ports) {
      if (p.port === undefined) c = connUnion(c, connOf(p.protocol, [[1, MAX_PORT]]));
      else if (typeof p.port === "number")
        c = connUnion(c, connOf(p.protocol, [[p.port, p.endPort ?? p.port]]));
      else if ("w" in dst)
        for (const n of containerPorts(dst.w, p.port, p.protocol))
          c = connUnion(c, connOf(p.protocol, [[n, n]]));
    }
    return c;
  };
  const allowed = (dir: "ingress" | "egress", self: Workload, peer: Ep, dst: Ep): ConnSet => {
    const selecting = policies.filter(
      (p) => p.namespace === nsOf(self) && p.isolates[dir] && matchesSelector(p.podSelector, self.podLabels),
    );
    if (selecting.length === 0) return CONN_ALL;
    let c = CONN_NONE;
    for (const p of selecting)
      for (const rule of p[dir])
        if (rule.peers === "all" || rule.peers.some((x) => peerMatches(x, p.namespace, peer)))
          c = connUnion(c, portsOf(rule, dst));
    return c;
  };
  const endpoint = (ep: Ep): Endpoint =>
    "w" in ep
      ? { namespace: nsOf(ep.w), kind: ep.w.ref.kind, name: ep.w.ref.name }
      : { ipRange: formatRange(ep.r) };
  const eps: Ep[] = [...workloads.map((w) => ({ w })), ...ranges.map((r) => ({ r }))];
  const edges: Edge[] = [];
  for (const s of eps)
    for (const d of eps) {
      if ("r" in s && "r" in d) continue;
      const e = "w" in s ? allowed("egress", s.w, d, d) : CONN_ALL;
      const i = "w" in d ? allowed("ingress", d.w, s, d) : CONN_ALL;
      const c = connIntersect(e, i);
      if (!connIsEmpty(c)) edges.push({ src: endpoint(s), dst: endpoint(d), connections: connToJson(c) });
    }
  edges.sort((a, b) => compareEndpoints(a.src, b.src) || compareEndpoints(a.dst, b.dst));
  return edges;
}
