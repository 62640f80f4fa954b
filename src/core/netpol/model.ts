import { type CoverageEntry, cmp } from "../findings/index.js";
import type { Inventory, Labels, Workload } from "../inventory/index.js";
import { isMatchAll, matchesSelector, type Selector } from "../k8s/index.js";
import { appendAll, isRecord } from "../util/index.js";
import { coveredSpan, type IpRange, partitionAddressSpace } from "./cidr.js";
import {
  type IpBlockPodOptions,
  ipBlockMatchesAny,
  observedPodAddresses,
  type PodCidr,
  parsePodCidrs,
  truncatedAddressCoverage,
  unknownAddressCoverage,
} from "./pod-addresses.js";
import { type ParsedPolicy, type Peer, type PolicyRule, parseNetworkPolicy } from "./policy.js";
import {
  CONN_ALL,
  CONN_NONE,
  type ConnSet,
  connOf,
  connUnion,
  type IntervalSet,
  MAX_PORT,
  type Protocol,
} from "./ports.js";

/**
 * The label every namespace carries since Kubernetes 1.22 (KEP-2161, NamespaceDefaultLabelName): policies commonly
 * select namespaces by name with it, so it is added even when the inventory's Namespace object lacks it.
 */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * An equivalence class of workloads: same namespace, same pod labels and same named container ports. Every
 * NetworkPolicy decision depends only on these, so the analysis runs per class and expands to workloads at the end.
 */
export interface PodClass {
  id: number;
  namespace: string;
  labels: Labels;
  /** `PROTOCOL/name` -> container port numbers (a name may resolve to several ports across containers). */
  namedPorts: ReadonlyMap<string, readonly number[]>;
  workloads: Workload[];
}

/** A peer set: either everything (all pods and all external ranges) or explicit classes and ranges. */
export type PeerSet = { all: true } | { all: false; classes: readonly number[]; ranges: readonly number[] };

/** A rule of a policy, as it applies to the classes the policy selects. */
export interface RuleOf {
  rule: PolicyRule;
  policy: ParsedPolicy;
}

/**
 * The model of a large cluster is built for every scan and held through the NetworkPolicy phase (issue: scale: at
 * 1M objects it was a few hundred MiB on top of the inventory): what most classes have none of (named ports, rules,
 * pod addresses) is one shared empty value, not one per class or workload.
 */
const NO_NAMED_PORTS: ReadonlyMap<string, readonly number[]> = new Map();
const NO_RULES: readonly RuleOf[] = Object.freeze([]);

/** The analysis model shared by connectivity and findings. */
export interface NetpolModel {
  classes: PodClass[];
  classesByNamespace: ReadonlyMap<string, readonly PodClass[]>;
  namespaceLabels: ReadonlyMap<string, Labels>;
  policies: ParsedPolicy[];
  /** Class ids selected by each policy (same order as `policies`). */
  selected: readonly (readonly number[])[];
  /** Per class: whether some policy isolates it for ingress / egress, and the rules that apply. */
  ingressIsolated: boolean[];
  egressIsolated: boolean[];
  ingressRules: readonly (readonly RuleOf[])[];
  egressRules: readonly (readonly RuleOf[])[];
  /** Disjoint external address ranges induced by every ipBlock cidr and except (both families, full cover). */
  ranges: IpRange[];
  /** Workloads left out (hostNetwork), with coverage entries. */
  coverage: CoverageEntry[];
  /** Whether ipBlock peers also match pods (see {@link IpBlockPodOptions}). */
  ipBlockMatchesPods: boolean;
  /** Valid pod CIDRs of the options. */
  podCidrs: readonly PodCidr[];
  /**
   * Pod IPs seen in the inventory, per analysed workload that has any (hostNetwork workloads are not analysed; most
   * workloads of a large snapshot have no pod status, and the map is held through the NetworkPolicy phase).
   */
  observed: ReadonlyMap<Workload, readonly IpRange[]>;
  /** Analysed workloads with no known pod address (no observed pod IP and no pod CIDR), as `Kind ns/name`. */
  unknownAddress: readonly string[];
  /** Whether some effective rule has an ipBlock peer. */
  hasIpBlocks: boolean;
  resolvePeers(rule: PolicyRule, policy: ParsedPolicy): PeerSet;
  /** Allowed ports of a rule towards a destination class (named ports resolved), or an external range (-1). */
  rulePorts(rule: PolicyRule, dstClass: number): ConnSet;
}

function isHostNetwork(w: Workload): boolean {
  return isRecord(w.podSpec) && (w.podSpec as Record<string, unknown>).hostNetwork === true;
}

/** Named ports of a workload's pods: regular containers and restartable init containers (native sidecars). */
function namedPortsOf(w: Workload): ReadonlyMap<string, readonly number[]> {
  let out: Map<string, number[]> | undefined;
  for (const c of w.containers) {
    const spec = c.spec as unknown as Record<string, unknown>;
    if (c.type === "ephemeralContainer") continue; // ephemeral containers may not declare ports
    if (c.type === "initContainer" && spec.restartPolicy !== "Always") continue;
    const ports = Array.isArray(spec.ports) ? spec.ports : [];
    for (const p of ports) {
      if (!isRecord(p) || typeof p.name !== "string" || typeof p.containerPort !== "number") continue;
      const proto = typeof p.protocol === "string" ? p.protocol : "TCP";
      const key = `${proto}/${p.name}`;
      out ??= new Map();
      const list = out.get(key) ?? [];
      if (!list.includes(p.containerPort)) list.push(p.containerPort);
      out.set(key, list);
    }
  }
  if (out === undefined) return NO_NAMED_PORTS;
  for (const l of out.values()) l.sort((a, b) => a - b);
  return out;
}

function labelsKey(l: Labels): string {
  return JSON.stringify(
    Object.keys(l)
      .sort(cmp)
      .map((k) => [k, l[k]]),
  );
}

function policyLabel(p: { namespace?: string | undefined; name: string }): string {
  return `NetworkPolicy ${p.namespace ?? "default"}/${p.name}`;
}

/** Build the model: parse policies (invalid ones become coverage), group workloads, index selection. */
export function buildModel(inv: Inventory, options: IpBlockPodOptions = {}): NetpolModel {
  const coverage: CoverageEntry[] = [];
  const matchPods = options.ipBlockMatchesPods === true;
  const pod = parsePodCidrs(options.podCidrs);
  appendAll(coverage, pod.coverage);
  // Policies first: in ipBlockMatchesPods mode the classes are split by which ipBlocks their pods' addresses match.
  const policies: ParsedPolicy[] = [];
  for (const obj of inv.networkPolicies) {
    const r = parseNetworkPolicy(obj);
    if (r.policy) policies.push(r.policy);
    for (const i of r.issues) {
      const e: CoverageEntry = {
        reason: "invalid",
        message: `${policyLabel(i.ref)}: ${i.path}: ${i.message}; the policy was left out of the analysis`,
        subject: policyLabel(i.ref),
        kind: "NetworkPolicy",
      };
      if (i.ref.namespace !== undefined) e.namespace = i.ref.namespace;
      if (i.location) e.location = i.location;
      coverage.push(e);
    }
  }
  // Distinct ipBlock peers of the effective rules, by cidr and excepts.
  const blockIndex = new Map<string, number>();
  const blockList: IpBlockPeer[] = [];
  for (const p of policies)
    for (const rule of [...p.ingress, ...p.egress]) {
      if (rule.peers === "all") continue;
      for (const peer of rule.peers) {
        if (peer.kind !== "ipBlock") continue;
        const k = ipBlockKey(peer);
        if (!blockIndex.has(k)) {
          blockIndex.set(k, blockList.length);
          blockList.push(peer);
        }
      }
    }
  const podCidrRanges: IpRange[] = pod.cidrs.map((c) => c.cidr);
  const observed = new Map<Workload, readonly IpRange[]>();
  const unknownAddress: string[] = [];
  const truncatedAddress: string[] = [];
  // Signature of a workload in ipBlockMatchesPods mode: the ipBlocks its pods' possible addresses match. Cached by
  // address set, so workloads known only through the pod CIDRs share one computation.
  const sigCache = new Map<string, { sig: string; blocks: number[] }>();
  const signatureOf = (addrs: readonly IpRange[]): { sig: string; blocks: number[] } => {
    const key = addrs.map((a) => `${a.family}:${a.start}-${a.end}`).join(",");
    let hit = sigCache.get(key);
    if (!hit) {
      const blocks: number[] = [];
      blockList.forEach((b, i) => {
        if (ipBlockMatchesAny(b, addrs)) blocks.push(i);
      });
      hit = { sig: blocks.join(","), blocks };
      sigCache.set(key, hit);
    }
    return hit;
  };
  const classBlocks = new Map<number, number[]>();
  // Namespaces and their labels, with the automatic name label.
  const namespaceLabels = new Map<string, Labels>();
  for (const ns of inv.namespaces.values()) {
    namespaceLabels.set(ns.name, { ...ns.labels, [NAMESPACE_NAME_LABEL]: ns.name });
  }
  // Equivalence classes.
  const classes: PodClass[] = [];
  const classByKey = new Map<string, PodClass>();
  const classesByNamespace = new Map<string, PodClass[]>();
  const hostNet: string[] = [];
  // Classes are numbered in endpoint order (namespace, kind, name), so any truncation is deterministic.
  const ordered = [...inv.workloads].sort(
    (a, b) =>
      cmp(a.ref.namespace ?? "default", b.ref.namespace ?? "default") ||
      cmp(a.ref.kind, b.ref.kind) ||
      cmp(a.ref.name, b.ref.name),
  );
  for (const w of ordered) {
    const ns = w.ref.namespace ?? "default";
    if (isHostNetwork(w)) {
      // NetworkPolicy does not apply to hostNetwork pods (behaviour is implementation-defined: "NetworkPolicy ...
      // hostNetwork pods" in the concepts page), so they are left out of the graph rather than guessed.
      hostNet.push(`${w.ref.kind} ${ns}/${w.ref.name}`);
      continue;
    }
    if (!namespaceLabels.has(ns)) namespaceLabels.set(ns, { [NAMESPACE_NAME_LABEL]: ns });
    const seen = observedPodAddresses(w);
    if (seen.addresses.length > 0) observed.set(w, seen.addresses);
    if (seen.truncated) truncatedAddress.push(`${w.ref.kind} ${ns}/${w.ref.name}`);
    if (seen.addresses.length === 0 && podCidrRanges.length === 0)
      unknownAddress.push(`${w.ref.kind} ${ns}/${w.ref.name}`);
    const np = namedPortsOf(w);
    let key = `${ns}\u0000${labelsKey(w.podLabels)}\u0000${JSON.stringify([...np.entries()].sort((a, b) => cmp(a[0], b[0])))}`;
    // A pod CIDR stands for every pod, so a workload may hold any of its addresses besides those observed.
    const sig =
      matchPods && blockList.length > 0 ? signatureOf([...seen.addresses, ...podCidrRanges]) : undefined;
    if (sig) key += `\u0000${sig.sig}`;
    let c = classByKey.get(key);
    if (!c) {
      c = { id: classes.length, namespace: ns, labels: w.podLabels, namedPorts: np, workloads: [] };
      classes.push(c);
      classByKey.set(key, c);
      if (sig) classBlocks.set(c.id, sig.blocks);
      const list = classesByNamespace.get(ns) ?? [];
      list.push(c);
      classesByNamespace.set(ns, list);
    }
    c.workloads.push(w);
  }
  if (hostNet.length > 0) {
    coverage.push({
      reason: "unsupported",
      message: `${hostNet.length} hostNetwork workload(s) left out of NetworkPolicy analysis (policies do not reliably apply to host-network pods): ${hostNet.slice(0, 10).join(", ")}${hostNet.length > 10 ? ", ..." : ""}`,
      kind: "NetworkPolicy",
    });
  }
  if (truncatedAddress.length > 0) coverage.push(truncatedAddressCoverage(truncatedAddress));
  if (matchPods && blockList.length > 0 && unknownAddress.length > 0)
    coverage.push(
      unknownAddressCoverage(
        unknownAddress,
        "they are treated as matching no ipBlock, as in the default model",
      ),
    );
  // Per ipBlock (in ipBlockMatchesPods mode): the classes whose pods may hold an address it matches.
  const blockClassIds: number[][] = blockList.map(() => []);
  for (const [id, blocks] of classBlocks) for (const b of blocks) blockClassIds[b]?.push(id);
  // Selection, cached per (namespace, selector) and narrowed by an inverted index of `key=value` labels per
  // namespace: a matchLabels requirement can only match classes carrying that exact label.
  // Only the label keys some policy's pod selector requires are indexed: a large cluster's pods carry many labels
  // no policy names (pod-template-hash, chart, version), and the index is held through the whole NetworkPolicy
  // phase (issue: scale: it was the largest part of the model).
  const selectorKeys = new Set<string>();
  const addKeys = (sel: Selector | undefined): void => {
    if (sel) for (const [k] of sel.matchLabels) selectorKeys.add(k);
  };
  for (const p of policies) {
    addKeys(p.podSelector);
    for (const rules of [p.ingress, p.egress])
      for (const rule of rules)
        if (rule.peers !== "all")
          for (const peer of rule.peers) if (peer.kind === "pods") addKeys(peer.podSelector);
  }
  const labelIndex = new Map<string, PodClass[]>();
  for (const c of classes)
    for (const [k, v] of Object.entries(c.labels)) {
      if (!selectorKeys.has(k)) continue;
      const key = `${c.namespace}\u0000${k}=${v}`;
      const list = labelIndex.get(key);
      if (list) list.push(c);
      else labelIndex.set(key, [c]);
    }
  const selCache = new Map<string, number[]>();
  const selectIn = (ns: string, sel: Selector): number[] => {
    const key = `${ns}\u0000${sel.text}`;
    let hit = selCache.get(key);
    if (!hit) {
      let list: readonly PodClass[] = classesByNamespace.get(ns) ?? [];
      for (const [k, v] of sel.matchLabels) {
        if (!selectorKeys.has(k)) continue;
        const narrowed = labelIndex.get(`${ns}\u0000${k}=${v}`) ?? [];
        if (narrowed.length < list.length) list = narrowed;
      }
      hit = (isMatchAll(sel) ? list : list.filter((c) => matchesSelector(sel, c.labels))).map((c) => c.id);
      selCache.set(key, hit);
    }
    return hit;
  };
  const n = classes.length;
  const ingressIsolated = new Array<boolean>(n).fill(false);
  const egressIsolated = new Array<boolean>(n).fill(false);
  // Per class, the rules of the policies selecting it: a class no policy selects shares one empty list, and a
  // policy's rules are made into RuleOf once, shared by every class it selects.
  const ingressRules = new Array<readonly RuleOf[]>(n).fill(NO_RULES);
  const egressRules = new Array<readonly RuleOf[]>(n).fill(NO_RULES);
  // A class selected by one policy holds that policy's list itself; a second policy gives it a list of its own.
  const ownList = new Uint8Array(2 * n);
  const addRules = (
    lists: (readonly RuleOf[])[],
    id: number,
    rules: readonly RuleOf[],
    own: number,
  ): void => {
    if (rules.length === 0) return;
    const list = lists[id] ?? NO_RULES;
    if (list === NO_RULES) lists[id] = rules;
    else if (ownList[own] === 0) {
      lists[id] = [...list, ...rules];
      ownList[own] = 1;
    } else appendAll(list as RuleOf[], rules);
  };
  const selected: number[][] = [];
  for (const p of policies) {
    // A policy selects pods in ITS OWN namespace only (NetworkPolicySpec.podSelector).
    const ids = selectIn(p.namespace, p.podSelector);
    selected.push(ids);
    const ingress: readonly RuleOf[] = p.isolates.ingress
      ? p.ingress.map((rule) => ({ rule, policy: p }))
      : [];
    const egress: readonly RuleOf[] = p.isolates.egress ? p.egress.map((rule) => ({ rule, policy: p })) : [];
    for (const id of ids) {
      // "A pod is isolated for ingress if there is any NetworkPolicy that both selects the pod and has Ingress in
      // its policyTypes" (concepts: The Two Sorts of Pod Isolation); allowed traffic is the union of the rules.
      if (p.isolates.ingress) {
        ingressIsolated[id] = true;
        addRules(ingressRules, id, ingress, 2 * id);
      }
      if (p.isolates.egress) {
        egressIsolated[id] = true;
        addRules(egressRules, id, egress, 2 * id + 1);
      }
    }
  }
  // External ranges: the disjoint ranges induced by every ipBlock cidr and except of the effective rules.
  const blocks: IpRange[] = [];
  for (const obj of policies) {
    for (const rule of [...obj.ingress, ...obj.egress]) {
      if (rule.peers === "all") continue;
      for (const peer of rule.peers) {
        if (peer.kind !== "ipBlock") continue;
        appendAll(blocks, [peer.cidr], peer.except);
      }
    }
  }
  const ranges = partitionAddressSpace(blocks);
  // Namespace selection, cached.
  const nsCache = new Map<string, string[]>();
  const namespacesMatching = (sel: Selector): string[] => {
    let hit = nsCache.get(sel.text);
    if (!hit) {
      hit = [...namespaceLabels.entries()]
        .filter(([, l]) => matchesSelector(sel, l))
        .map(([name]) => name)
        .sort(cmp);
      nsCache.set(sel.text, hit);
    }
    return hit;
  };
  const peerCache = new Map<string, PeerSet>();
  const ALL: PeerSet = { all: true };
  const resolvePeers = (rule: PolicyRule, policy: ParsedPolicy): PeerSet => {
    if (rule.peers === "all") return ALL;
    const key = `${policy.namespace}\u0000${rule.peers.map(peerKey).join("\u0001")}`;
    let hit = peerCache.get(key);
    if (hit) return hit;
    const cls = new Set<number>();
    const rng = new Set<number>();
    for (const peer of rule.peers) {
      if (peer.kind === "ipBlock") {
        // By default ipBlock peers match cluster-external addresses only (the concepts page: ipBlocks "should be
        // cluster-external IPs"; whether they match pod IPs is up to the plugin). In ipBlockMatchesPods mode they
        // also match the classes whose pods may hold an address inside the cidr and outside the excepts.
        if (matchPods)
          for (const id of blockClassIds[blockIndex.get(ipBlockKey(peer)) ?? -1] ?? []) cls.add(id);
        const [a, b] = coveredSpan(ranges, peer.cidr);
        const excluded = new Set<number>();
        for (const e of peer.except) {
          const [x, y] = coveredSpan(ranges, e);
          for (let i = x; i <= y; i++) excluded.add(i);
        }
        for (let i = a; i <= b; i++) if (!excluded.has(i)) rng.add(i);
        continue;
      }
      // namespaceSelector alone: all pods in matching namespaces; podSelector alone: pods in the policy's
      // namespace; both in one peer: pods matching podSelector in namespaces matching namespaceSelector (AND).
      const nss = peer.namespaceSelector ? namespacesMatching(peer.namespaceSelector) : [policy.namespace];
      const ps = peer.podSelector;
      for (const ns of nss) {
        for (const id of ps
          ? selectIn(ns, ps)
          : selectIn(ns, { matchLabels: [], matchExpressions: [], text: "{}" }))
          cls.add(id);
      }
    }
    hit = {
      all: false,
      classes: [...cls].sort((x, y) => x - y),
      ranges: [...rng].sort((x, y) => x - y),
    };
    peerCache.set(key, hit);
    return hit;
  };
  const numericCache = new WeakMap<PolicyRule, { base: ConnSet; named: boolean }>();
  const namedCache = new WeakMap<PolicyRule, Map<number, ConnSet>>();
  const rulePorts = (rule: PolicyRule, dst: number): ConnSet => {
    if (rule.ports === "all") return CONN_ALL;
    let pre = numericCache.get(rule);
    if (!pre) {
      let base = CONN_NONE;
      let named = false;
      for (const p of rule.ports) {
        if (typeof p.port === "string") named = true;
        else base = connUnion(base, connOf(p.protocol, portInterval(p.port, p.endPort)));
      }
      pre = { base, named };
      numericCache.set(rule, pre);
    }
    if (!pre.named || dst < 0) return pre.base; // external destinations have no named ports
    let m = namedCache.get(rule);
    if (!m) {
      m = new Map();
      namedCache.set(rule, m);
    }
    let hit = m.get(dst);
    if (!hit) {
      hit = pre.base;
      const cls = classes[dst];
      for (const p of rule.ports) {
        if (typeof p.port !== "string" || !cls) continue;
        // A named port resolves against the destination pod's container ports with that name and protocol
        // (NetworkPolicyPort.port: "a named port on a pod"); for egress rules the destination is the peer pod.
        const nums = cls.namedPorts.get(`${p.protocol}/${p.port}`) ?? [];
        for (const num of nums) hit = connUnion(hit, connOf(p.protocol as Protocol, [[num, num]]));
      }
      m.set(dst, hit);
    }
    return hit;
  };
  return {
    classes,
    classesByNamespace,
    namespaceLabels,
    policies,
    selected,
    ingressIsolated,
    egressIsolated,
    ingressRules,
    egressRules,
    ranges,
    coverage,
    ipBlockMatchesPods: matchPods,
    podCidrs: pod.cidrs,
    observed,
    unknownAddress,
    hasIpBlocks: blockList.length > 0,
    resolvePeers,
    rulePorts,
  };
}

function portInterval(port: number | undefined, endPort: number | undefined): IntervalSet {
  // No port: every port of the protocol (NetworkPolicyPort.port: "If this field is not provided, this matches all
  // port names and numbers").
  if (port === undefined) return [[1, MAX_PORT]];
  return [[port, endPort ?? port]];
}

type IpBlockPeer = Extract<Peer, { kind: "ipBlock" }>;

/** Identity of an ipBlock by its parsed cidr and excepts (host bits and text spelling do not matter). */
function ipBlockKey(p: IpBlockPeer): string {
  const r = (x: IpRange): string => `${x.family}:${x.start}-${x.end}`;
  return [r(p.cidr), ...p.except.map(r).sort(cmp)].join(",");
}

function peerKey(p: Peer): string {
  if (p.kind === "ipBlock") return `ip:${ipBlockKey(p)}`;
  return `pods:${p.namespaceSelector?.text ?? "-"}|${p.podSelector?.text ?? "-"}`;
}
