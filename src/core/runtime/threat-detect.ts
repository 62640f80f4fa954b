/**
 * Threat-feed detection: a flow to or from a listed address, or a DNS lookup (Hubble's `l7.dns.query`, or the
 * `destination_names` a flow carries) of a listed domain, is an alert naming the workload, with the NetworkPolicy
 * that would block it.
 *
 * NetworkPolicies only allow; a pod selected by any policy of a direction is isolated in that direction and gets
 * the union of what those policies allow (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
 * The suggestion therefore allows everything except the listed range (`ipBlock.except`), keeping in-cluster
 * traffic (`namespaceSelector: {}`): applied alone it blocks only the listed range; it cannot take away what
 * another policy selecting the same pods allows, and the remediation says so. A domain cannot be named in a
 * NetworkPolicy: the suggestion blocks the address the flow reached, when there is one.
 */
import { type RuntimeAlert, workloadFieldsOf } from "./alerts.js";
import type { WorkloadRef } from "./attribution.js";
import type { EnrichedEvent, EnrichedSide, WorkloadFacts } from "./enrich.js";
import { workloadFactsKey } from "./enrich.js";
import type { FeedMatch, ThreatIndex } from "./feeds.js";
import { policyName, stableLabels } from "./policy-labels.js";

const cidrOf = (v: string) => (v.includes("/") ? v : v.includes(":") ? `${v}/128` : `${v}/32`);

/** The policy that blocks `cidr` for the workload in one direction. */
export function blockingPolicy(
  w: WorkloadRef,
  labels: Readonly<Record<string, string>>,
  direction: "egress" | "ingress",
  cidr: string,
  feed: string,
): Record<string, unknown> {
  const all = cidr.includes(":") ? "::/0" : "0.0.0.0/0";
  const peers = [{ ipBlock: { cidr: all, except: [cidr] } }, { namespaceSelector: {} }];
  const sel = stableLabels(labels);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: policyName("block", feed, w.name, direction),
      namespace: w.namespace,
      labels: { "app.kubernetes.io/managed-by": "palisade" },
    },
    spec: {
      podSelector: Object.keys(sel).length > 0 ? { matchLabels: sel } : {},
      policyTypes: [direction === "egress" ? "Egress" : "Ingress"],
      ...(direction === "egress" ? { egress: [{ to: peers }] } : { ingress: [{ from: peers }] }),
    },
  };
}

const REMEDIATION =
  "Investigate the workload (what made the connection, since when); apply the suggested NetworkPolicy. NetworkPolicies add up: it blocks the range only if no other policy selecting these pods allows it.";

const feedSlug = (m: FeedMatch) =>
  m.entry.feed
    .split("/")
    .pop()
    ?.replace(/\.[a-z]+$/i, "") ?? "feed";

export function detectThreats(
  e: EnrichedEvent,
  index: ThreatIndex,
  facts: ReadonlyMap<string, WorkloadFacts>,
): RuntimeAlert[] {
  const ev = e.event;
  if (ev.kind !== "flow" || !e.src || !e.dst) return [];
  const out: RuntimeAlert[] = [];
  const origin = { source: ev.source, file: ev.file, line: ev.line };
  const alert = (
    m: FeedMatch,
    inside: EnrichedSide,
    direction: "egress" | "ingress",
    ruleId: string,
    title: string,
    blockIp: string | undefined,
  ) => {
    const w = inside.workload;
    const labels = w ? (facts.get(workloadFactsKey(w))?.labels ?? {}) : {};
    const cidr = blockIp
      ? m.entry.value.includes("/") && ruleId === "PAL-RT-FEED-001"
        ? m.entry.value
        : cidrOf(blockIp)
      : undefined;
    const subject = w
      ? `${w.kind} ${w.namespace}/${w.name}`
      : inside.ip
        ? `${inside.kind} ${inside.ip}`
        : inside.kind;
    out.push({
      ruleId,
      title,
      severity: inside.exposed ? "critical" : "high",
      category: "threat-feed",
      time: ev.time,
      evidence: `${subject} ${direction === "egress" ? "->" : "<-"} ${m.matched} (listed in ${m.entry.feed}:${m.entry.line} as ${m.entry.value}): ${ev.evidence}`,
      origin,
      key: `${w ? workloadFactsKey(w) : (inside.ip ?? "?")}\u0000${direction}\u0000${m.entry.feed}\u0000${m.entry.value}`,
      ...workloadFieldsOf(inside),
      ...(w && cidr ? { suggestedPolicy: blockingPolicy(w, labels, direction, cidr, feedSlug(m)) } : {}),
      remediation: REMEDIATION,
    });
  };
  // Egress from a workload to a listed address; ingress to a workload from one.
  const toListed = index.matchAddress(ev.dst.ip);
  if (toListed)
    alert(toListed, e.src, "egress", "PAL-RT-FEED-001", "Connection to a threat-feed address", ev.dst.ip);
  const fromListed = index.matchAddress(ev.src.ip);
  if (fromListed)
    alert(
      fromListed,
      e.dst,
      "ingress",
      "PAL-RT-FEED-001",
      "Connection from a threat-feed address",
      ev.src.ip,
    );
  const names = [...(ev.dnsQuery ? [ev.dnsQuery] : []), ...(ev.dstNames ?? [])];
  for (const n of names) {
    const m = index.matchDomain(n);
    if (!m) continue;
    // A DNS query flow goes to the resolver: the address to block is not known from it.
    const reached = ev.dnsQuery === n ? undefined : ev.dst.ip;
    alert(m, e.src, "egress", "PAL-RT-FEED-002", "Lookup of or connection to a threat-feed domain", reached);
    break;
  }
  return out;
}
