import {
  type ComplianceRef,
  type CoverageEntry,
  cmp,
  compareCoverage,
  compareFindings,
  type Finding,
  type FindingInput,
  makeFinding,
  type ResourceRef,
  type RuleMeta,
  type SourceLocation,
} from "../findings/index.js";
import { type Inventory, type KObject, sourceLocation } from "../inventory/index.js";
import { isMatchAll } from "../k8s/index.js";
import { buildModel } from "./model.js";
import { type IpBlockPodOptions, ipBlockMatchesAny, unknownAddressCoverage } from "./pod-addresses.js";
import type { ParsedPolicy, Peer, PolicyRule } from "./policy.js";

const NSA: ComplianceRef = {
  framework: "nsa",
  id: "network-separation",
  title: "NSA/CISA Kubernetes Hardening Guidance: Network separation and hardening",
};
const CIS_532: ComplianceRef = {
  framework: "cis",
  id: "5.3.2",
  title: "Ensure that all Namespaces have Network Policies defined",
};

/** NetworkPolicy rule catalogue. Ids never change meaning once published. */
export const NETPOL_RULES: readonly RuleMeta[] = [
  {
    id: "PAL-NET-001",
    title: "Workload is not isolated for ingress",
    severity: "medium",
    category: "network",
    rationale:
      "No NetworkPolicy with Ingress in its policyTypes selects the workload's pods, so every pod in the cluster and every external address may connect to them.",
    remediation:
      "Add a default-deny ingress policy to the namespace (podSelector: {}, policyTypes: [Ingress]) and allow only the required sources.",
    compliance: [NSA, CIS_532],
  },
  {
    id: "PAL-NET-002",
    title: "Workload is not isolated for egress",
    severity: "low",
    category: "network",
    rationale:
      "No NetworkPolicy with Egress in its policyTypes selects the workload's pods, so a compromised pod can reach any pod and any external address.",
    remediation:
      "Add a default-deny egress policy to the namespace (podSelector: {}, policyTypes: [Egress]) and allow DNS and the required destinations.",
    compliance: [NSA],
  },
  {
    id: "PAL-NET-003",
    title: "Namespace has no NetworkPolicy",
    severity: "medium",
    category: "network",
    rationale: "Without any NetworkPolicy every pod in the namespace accepts and opens any connection.",
    remediation: "Define NetworkPolicies for the namespace, starting with default-deny ingress and egress.",
    compliance: [NSA, CIS_532],
  },
  {
    id: "PAL-NET-004",
    title: "Namespace has no default-deny ingress policy",
    severity: "low",
    category: "network",
    rationale:
      "No policy in the namespace selects all pods (podSelector: {}) for Ingress, so pods not named by a policy stay open, including pods added later.",
    remediation: "Add a policy with podSelector: {} and policyTypes: [Ingress] to the namespace.",
    compliance: [NSA, CIS_532],
  },
  {
    id: "PAL-NET-005",
    title: "Namespace has no default-deny egress policy",
    severity: "low",
    category: "network",
    rationale:
      "No policy in the namespace selects all pods (podSelector: {}) for Egress, so pods not named by a policy may connect anywhere.",
    remediation:
      "Add a policy with podSelector: {} and policyTypes: [Egress] to the namespace, allowing DNS.",
    compliance: [NSA, CIS_532],
  },
  {
    id: "PAL-NET-006",
    title: "Policy allows ingress from all namespaces",
    severity: "medium",
    category: "network",
    rationale:
      "An ingress peer with an empty namespaceSelector ({}) matches pods in every namespace, and a rule without `from` matches every source including external addresses: the isolation the policy creates is largely undone.",
    remediation:
      "Name the source namespaces with namespaceSelector labels (kubernetes.io/metadata.name) and pods with podSelector.",
    compliance: [NSA],
  },
  {
    id: "PAL-NET-007",
    title: "Policy allows ingress from any IP address",
    severity: "medium",
    category: "network",
    rationale: "An ingress ipBlock of 0.0.0.0/0 or ::/0 admits traffic from every external address.",
    remediation:
      "Restrict the ipBlock to the networks that need access (load balancer, office, partner ranges).",
    compliance: [NSA],
  },
  {
    id: "PAL-NET-008",
    title: "Policy allows egress to any IP address",
    severity: "low",
    category: "network",
    rationale:
      "An egress ipBlock of 0.0.0.0/0 or ::/0 lets the selected pods reach every external address, which eases data exfiltration and command-and-control.",
    remediation:
      "Restrict egress to the external ranges the workload needs, or route it through an egress gateway.",
    compliance: [NSA],
  },
  {
    id: "PAL-NET-009",
    title: "Policy selects no pods",
    severity: "low",
    category: "network",
    rationale:
      "The policy's podSelector names labels that no workload in its namespace carries: it has no effect, which usually means a label typo or a policy in the wrong namespace. An empty podSelector ({}, or none) selects every pod of the namespace, including pods created later, so it never fires this rule.",
    remediation: "Fix the podSelector labels or the policy's namespace, or delete the policy.",
    compliance: [NSA],
  },
  {
    id: "PAL-NET-010",
    title: "Named port resolves nowhere",
    severity: "medium",
    category: "network",
    rationale:
      "A named port in a rule matches no container port with that name and protocol on any destination pod, so the rule allows nothing on it.",
    remediation: "Use the container port's exact name and protocol, or a port number.",
    compliance: [NSA],
  },
  {
    id: "PAL-NET-011",
    title: "ipBlock overlaps the pod network",
    severity: "medium",
    category: "network",
    rationale:
      "The ipBlock (after its excepts) contains pod IPs seen in the cluster or part of the given pod CIDR. The Kubernetes documentation says ipBlock ranges should be cluster-external IPs, since pod IPs are ephemeral and unpredictable, and leaves it to the network plugin whether an ipBlock matches traffic from or to pods (https://kubernetes.io/docs/concepts/services-networking/network-policies/). Plugins that match packet addresses let such a rule admit or reach every pod in the range, in every namespace; others, such as Cilium for peers that are endpoints, do not. The policy therefore means different things on different clusters.",
    remediation:
      "Add the pod CIDR to the ipBlock's except list and allow pods with podSelector/namespaceSelector peers instead; analyse with `palisade netpol connectivity --ipblock-matches-pods` to see the connections a plugin that matches pod IPs would allow.",
    compliance: [NSA],
  },
];

const META = new Map(NETPOL_RULES.map((r) => [r.id, r]));

function locationOf(obj: KObject | undefined, fieldPath?: string): SourceLocation | undefined {
  return sourceLocation(obj, fieldPath);
}

function finding(
  id: string,
  resource: ResourceRef,
  message: string,
  extra: {
    obj?: KObject | undefined;
    fieldPath?: string;
    evidence?: string;
    workload?: ResourceRef;
    team?: string | undefined;
    discriminator?: string;
  } = {},
): Finding {
  const meta = META.get(id) as RuleMeta;
  const input: FindingInput = {
    ruleId: id,
    title: meta.title,
    severity: meta.severity,
    resource,
    message,
    remediation: meta.remediation,
    compliance: meta.compliance,
    category: meta.category,
  };
  const loc = locationOf(extra.obj, extra.fieldPath);
  if (loc) input.location = loc;
  if (extra.fieldPath !== undefined) input.fieldPath = extra.fieldPath;
  if (extra.evidence !== undefined) input.evidence = extra.evidence;
  if (extra.workload) input.workload = extra.workload;
  if (extra.team !== undefined) input.team = extra.team;
  if (extra.discriminator !== undefined) input.discriminator = extra.discriminator;
  return makeFinding(input);
}

const isAnyAddress = (prefix: number): boolean => prefix === 0;

/** Options of {@link netpolFindings}: `podCidrs` feeds PAL-NET-011; the mode changes which pods peers name. */
export type NetpolFindingsOptions = IpBlockPodOptions;

/**
 * NetworkPolicy findings over an inventory: isolation gaps per workload and namespace, over-broad rules, policies
 * with no effect, named ports that resolve nowhere, ipBlocks overlapping the pod network. Invalid policies are
 * reported as coverage and left out. Findings are sorted with compareFindings; with `emit`, each is handed over
 * as it is produced (equal findings in the order the sort keeps them) and none is kept (the returned list is
 * empty).
 */
export function netpolFindings(
  inv: Inventory,
  options: NetpolFindingsOptions = {},
  emit?: (f: Finding) => void,
): { findings: Finding[]; coverage: CoverageEntry[] } {
  const m = buildModel(inv, options);
  const findings: Finding[] = [];
  // With `emit`, findings go to the caller as produced and are not kept.
  const push = emit ?? ((f: Finding): void => void findings.push(f));
  const coverage = [...m.coverage];
  // PAL-NET-011 needs pod addresses; without them the question stays open, and coverage says so (the
  // ipBlockMatchesPods model already reports the same workloads).
  if (m.hasIpBlocks && m.unknownAddress.length > 0 && !m.ipBlockMatchesPods)
    coverage.push(
      unknownAddressCoverage(
        m.unknownAddress,
        "PAL-NET-011 (ipBlock overlaps the pod network) was not checked for them",
      ),
    );
  const overlapCache = new Map<string, string[]>();
  const withAddresses = [...m.observed];
  /** What of the pod network an ipBlock matches: pod CIDRs by their text, then workloads with matching pod IPs. */
  const podOverlap = (peer: Extract<Peer, { kind: "ipBlock" }>): string[] => {
    let hit = overlapCache.get(peer.text);
    if (!hit) {
      hit = [];
      for (const c of m.podCidrs) if (ipBlockMatchesAny(peer, [c.cidr])) hit.push(`pod CIDR ${c.text}`);
      const wls: string[] = [];
      for (const [w, addrs] of withAddresses)
        if (ipBlockMatchesAny(peer, addrs))
          wls.push(`${w.ref.kind} ${w.ref.namespace ?? "default"}/${w.ref.name}`);
      wls.sort(cmp);
      if (wls.length > 0)
        hit.push(
          `pod IPs of ${wls.length} workload(s): ${wls.slice(0, 5).join(", ")}${wls.length > 5 ? ", ..." : ""}`,
        );
      overlapCache.set(peer.text, hit);
    }
    return hit;
  };

  // Per workload isolation (hostNetwork workloads are outside NetworkPolicy and reported as coverage).
  for (const c of m.classes) {
    for (const w of c.workloads) {
      const ns = w.ref.namespace ?? "default";
      if (!m.ingressIsolated[c.id])
        push(
          finding(
            "PAL-NET-001",
            w.ref,
            `${w.ref.kind} ${ns}/${w.ref.name} is not selected by any NetworkPolicy with Ingress in its policyTypes: all ingress is allowed`,
            { obj: w.object, workload: w.ref, team: w.team },
          ),
        );
      if (!m.egressIsolated[c.id])
        push(
          finding(
            "PAL-NET-002",
            w.ref,
            `${w.ref.kind} ${ns}/${w.ref.name} is not selected by any NetworkPolicy with Egress in its policyTypes: all egress is allowed`,
            { obj: w.object, workload: w.ref, team: w.team },
          ),
        );
    }
  }

  // Per namespace: no policy at all, or no default deny per direction. Invalid policies do not count (the API
  // server would not have admitted them).
  const byNs = new Map<string, ParsedPolicy[]>();
  for (const p of m.policies) byNs.set(p.namespace, [...(byNs.get(p.namespace) ?? []), p]);
  // A namespace known only from the objects in it (no Namespace object in the input) is located at its first
  // object in input order, so that every finding (and SARIF result) names a file and line.
  const firstInNs = new Map<string, KObject>();
  for (const o of inv.objects)
    if (o.ref.namespace !== undefined && o.source && !firstInNs.has(o.ref.namespace))
      firstInNs.set(o.ref.namespace, o);
  for (const ns of [...inv.namespaces.values()].sort((a, b) => cmp(a.name, b.name))) {
    const ref: ResourceRef = { apiVersion: "v1", kind: "Namespace", name: ns.name };
    const list = byNs.get(ns.name) ?? [];
    if (list.length === 0) {
      push(
        finding("PAL-NET-003", ref, `Namespace ${ns.name} has no NetworkPolicy`, {
          obj: ns.object ?? firstInNs.get(ns.name),
          team: ns.team,
        }),
      );
      continue;
    }
    const denyAll = (dir: "ingress" | "egress"): boolean =>
      list.some((p) => p.isolates[dir] && isMatchAll(p.podSelector));
    if (!denyAll("ingress"))
      push(
        finding(
          "PAL-NET-004",
          ref,
          `Namespace ${ns.name} has no NetworkPolicy selecting all pods (podSelector: {}) for Ingress`,
          { obj: ns.object ?? firstInNs.get(ns.name), team: ns.team },
        ),
      );
    if (!denyAll("egress"))
      push(
        finding(
          "PAL-NET-005",
          ref,
          `Namespace ${ns.name} has no NetworkPolicy selecting all pods (podSelector: {}) for Egress`,
          { obj: ns.object ?? firstInNs.get(ns.name), team: ns.team },
        ),
      );
  }

  // Per policy.
  m.policies.forEach((p, pi) => {
    const label = `NetworkPolicy ${p.namespace}/${p.name}`;
    const selected = m.selected[pi] ?? [];
    // An empty podSelector selects every pod in the policy's namespace (NetworkPolicySpec.podSelector: "An empty
    // podSelector selects all pods in this namespace"): with no workload in the input it still applies to every
    // pod created there, the usual shape of a default-deny policy applied before the workloads. Not a typo.
    if (selected.length === 0 && !isMatchAll(p.podSelector))
      push(
        finding(
          "PAL-NET-009",
          p.ref,
          `${label} selects no pods: podSelector ${p.podSelector.text} matches no workload in namespace ${p.namespace}`,
          { obj: p.object, fieldPath: "spec.podSelector", evidence: p.podSelector.text },
        ),
      );
    for (const rule of p.ingress) {
      if (rule.peers === "all") {
        push(
          finding(
            "PAL-NET-006",
            p.ref,
            `${label} ${rule.path} has no \`from\`: it allows ingress from every pod in every namespace and every external address`,
            { obj: p.object, fieldPath: rule.path, evidence: "from: (all sources)" },
          ),
        );
        continue;
      }
      for (const peer of rule.peers) {
        if (peer.kind === "pods" && peer.namespaceSelector && isMatchAll(peer.namespaceSelector)) {
          const pods = peer.podSelector ? `pods matching ${peer.podSelector.text}` : "all pods";
          push(
            finding(
              "PAL-NET-006",
              p.ref,
              `${label} ${peer.path} allows ingress from ${pods} in all namespaces (empty namespaceSelector)`,
              {
                obj: p.object,
                fieldPath: `${peer.path}.namespaceSelector`,
                evidence: `namespaceSelector: {}${peer.podSelector ? `, podSelector: ${peer.podSelector.text}` : ""}`,
              },
            ),
          );
        } else if (peer.kind === "ipBlock" && isAnyAddress(peer.cidr.prefix)) {
          push(
            finding("PAL-NET-007", p.ref, `${label} ${peer.path} allows ingress from ${peer.text}`, {
              obj: p.object,
              fieldPath: `${peer.path}.ipBlock.cidr`,
              evidence: peer.text,
            }),
          );
        }
      }
    }
    for (const rule of p.egress) {
      if (rule.peers === "all") continue;
      for (const peer of rule.peers) {
        if (peer.kind === "ipBlock" && isAnyAddress(peer.cidr.prefix))
          push(
            finding("PAL-NET-008", p.ref, `${label} ${peer.path} allows egress to ${peer.text}`, {
              obj: p.object,
              fieldPath: `${peer.path}.ipBlock.cidr`,
              evidence: peer.text,
            }),
          );
      }
    }
    for (const rule of [...p.ingress, ...p.egress]) {
      if (rule.peers === "all") continue;
      for (const peer of rule.peers) {
        if (peer.kind !== "ipBlock") continue;
        const overlap = podOverlap(peer);
        if (overlap.length === 0) continue;
        const verb = rule.direction === "ingress" ? "admit traffic from" : "allow traffic to";
        push(
          finding(
            "PAL-NET-011",
            p.ref,
            `${label} ${peer.path} ipBlock ${peer.text} overlaps the pod network (${overlap.join("; ")}): on network plugins that match pod IPs against ipBlocks it may ${verb} those pods`,
            { obj: p.object, fieldPath: `${peer.path}.ipBlock`, evidence: peer.text },
          ),
        );
      }
    }
    // Named ports: an ingress rule's destinations are the selected pods; an egress rule's are its peers' pods
    // (external destinations have no container ports).
    const checkNamed = (rule: PolicyRule, destinations: readonly number[]): void => {
      if (rule.ports === "all") return;
      for (const port of rule.ports) {
        if (typeof port.port !== "string") continue;
        const key = `${port.protocol}/${port.port}`;
        if (destinations.some((d) => m.classes[d]?.namedPorts.has(key))) continue;
        push(
          finding(
            "PAL-NET-010",
            p.ref,
            `${label} ${port.path} names port "${port.port}" (${port.protocol}), which no destination pod declares`,
            { obj: p.object, fieldPath: `${port.path}.port`, evidence: `${port.protocol}/${port.port}` },
          ),
        );
      }
    };
    if (selected.length > 0) for (const rule of p.ingress) checkNamed(rule, selected);
    for (const rule of p.egress) {
      const peers = m.resolvePeers(rule, p);
      checkNamed(rule, peers.all ? m.classes.map((c) => c.id) : peers.classes);
    }
  });

  findings.sort(compareFindings);
  return { findings, coverage: coverage.sort(compareCoverage) };
}
