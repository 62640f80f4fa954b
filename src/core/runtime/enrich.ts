/**
 * Enrichment: every flow, process and alert event gets the workload behind it at the event's time, with the facts
 * an operator triages by: team, running image digests, open vulnerabilities, and whether the workload is exposed.
 *
 * Flows are attributed by address and time (the attribution index); process and alert events name their pod, and
 * the pod is resolved to its workload through the snapshots. An address nobody in the snapshots held is
 * `external` when it is outside the cluster's ranges (the configured cluster CIDRs, else the private ranges of RFC
 * 1918 / RFC 4193 / RFC 6598) and `unknown` inside them; both carry the name of the user-configured network
 * (`--network NAME=CIDR`) containing it, when one does.
 *
 * Clock skew: a node's clock may run ahead of or behind the API server's, so an event stamped a second before the
 * pod's start time is still that pod's. With `skewMs`, an address without a holder at `t` is looked up at
 * `t - skew` and `t + skew`; a single holder found is used and the side is marked `skewed`.
 */
import { parseCidr } from "../netpol/index.js";
import type { AddressHolder, Attribution, AttributionIndex, WorkloadRef } from "./attribution.js";
import type { EventPod, RuntimeEvent } from "./events.js";

/** What is known about a workload, from the snapshots and the remediation records. */
export interface WorkloadFacts {
  ref: WorkloadRef;
  cluster?: string;
  team?: string;
  /** Running image digests (container status imageID), else the spec images. */
  images: string[];
  /** Open vulnerability ids (records not closed that count this workload as vulnerable). */
  vulns: string[];
  exposed: boolean;
  /** Pod template labels (stable across pods; used by policy recommendations). */
  labels: Record<string, string>;
  serviceAccountName?: string;
}

/** A user-named network (`corp=10.20.0.0/16`): external and unknown addresses inside it carry its name. */
export interface NamedNetwork {
  name: string;
  cidr: string;
}

export interface EnrichOptions {
  /** Facts by {@link workloadFactsKey}. */
  facts: ReadonlyMap<string, WorkloadFacts>;
  /** Pods by `namespace/name` -> their workload, for events that name a pod. */
  pods: ReadonlyMap<string, WorkloadRef>;
  networks?: readonly NamedNetwork[];
  /** The cluster's own ranges (pod and service CIDRs); an unheld address outside them is external. */
  clusterCidrs?: readonly string[];
  skewMs?: number;
}

export type SideKind = "workload" | "node" | "service" | "external" | "unknown" | "ambiguous";

/** One side of a flow (or the subject of a process event) after enrichment. */
export interface EnrichedSide {
  ip?: string;
  port?: number;
  kind: SideKind;
  workload?: WorkloadRef;
  pod?: string;
  node?: string;
  service?: string;
  serviceAccountName?: string;
  team?: string;
  images?: string[];
  vulns?: string[];
  exposed?: boolean;
  /** The configured network containing an external or unknown address. */
  network?: string;
  /** Attributed only within the clock-skew tolerance. */
  skewed?: true;
  /** Ambiguous: the holders overlapping at that time. */
  candidates?: string[];
}

export interface EnrichedEvent {
  event: RuntimeEvent;
  src?: EnrichedSide;
  dst?: EnrichedSide;
  /** Process and alert events: the workload of the pod they name. */
  subject?: EnrichedSide;
}

export const workloadFactsKey = (w: WorkloadRef) => `${w.namespace}/${w.kind}/${w.name}`;

/** RFC 1918, RFC 6598 (CGNAT, used by some CNIs), link-local, loopback, RFC 4193 ULA, IPv6 link-local. */
const PRIVATE = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "169.254.0.0/16",
  "127.0.0.0/8",
  "fc00::/7",
  "fe80::/10",
  "::1/128",
];

interface Range {
  family: number;
  start: bigint;
  end: bigint;
  name: string;
}

function ranges(list: readonly NamedNetwork[]): Range[] {
  const out: Range[] = [];
  for (const n of list) {
    const c = parseCidr(n.cidr);
    if (c) out.push({ family: c.family, start: c.start, end: c.end, name: n.name });
  }
  // Most specific first: the smallest range containing an address names it.
  return out.sort((a, b) =>
    a.end - a.start < b.end - b.start ? -1 : a.end - a.start > b.end - b.start ? 1 : 0,
  );
}

function addressValue(ip: string): { family: number; v: bigint } | undefined {
  const c = parseCidr(ip.includes(":") ? `${ip}/128` : `${ip}/32`);
  return c ? { family: c.family, v: c.start } : undefined;
}

const within = (rs: readonly Range[], a: { family: number; v: bigint }) =>
  rs.find((r) => r.family === a.family && a.v >= r.start && a.v <= r.end);

/** An enricher bound to one index and one set of facts. */
export interface Enricher {
  enrich(event: RuntimeEvent): EnrichedEvent;
  /** Attribute one address at one time (also used by detections). */
  side(ip: string, port: number | undefined, at: number): EnrichedSide;
  /** The workload of a pod named by an event. */
  podSide(pod: EventPod): EnrichedSide;
}

export function createEnricher(index: AttributionIndex, options: EnrichOptions): Enricher {
  const networks = ranges(options.networks ?? []);
  const cluster = ranges(
    (options.clusterCidrs?.length ? options.clusterCidrs : PRIVATE).map((cidr) => ({
      name: "cluster",
      cidr,
    })),
  );
  const skew = options.skewMs ?? 0;

  // Sides are built by assignment on one object: enrichment runs for every event, and spreading a new object per
  // step made garbage collection the largest cost of ingest.
  const withFacts = (side: EnrichedSide, w: WorkloadRef): EnrichedSide => {
    const f = options.facts.get(workloadFactsKey(w));
    if (!f) return side;
    if (f.team) side.team = f.team;
    side.images = f.images;
    side.vulns = f.vulns;
    side.exposed = f.exposed;
    return side;
  };

  const fromHolder = (h: AddressHolder, side: EnrichedSide): EnrichedSide => {
    switch (h.kind) {
      case "pod":
        side.kind = "workload";
        side.workload = h.workload;
        side.pod = `${h.namespace}/${h.name}`;
        if (h.node) side.node = h.node;
        if (h.serviceAccountName) side.serviceAccountName = h.serviceAccountName;
        return withFacts(side, h.workload);
      case "node":
        side.kind = "node";
        side.node = h.name;
        return side;
      case "service":
        side.kind = "service";
        side.service = `${h.namespace}/${h.name}`;
        return side;
    }
  };

  const holderText = (h: AddressHolder) =>
    h.kind === "pod"
      ? `pod ${h.namespace}/${h.name}`
      : h.kind === "node"
        ? `node ${h.name}`
        : `service ${h.namespace}/${h.name}`;

  const fromAttribution = (a: Attribution, side: EnrichedSide, ip: string): EnrichedSide => {
    if (a.status === "attributed") return fromHolder(a.holder, side);
    if (a.status === "ambiguous") {
      side.kind = "ambiguous";
      side.candidates = a.holders.map(holderText);
      return side;
    }
    const addr = a.reason === "invalid-address" ? undefined : addressValue(ip);
    if (!addr) return side;
    const net = within(networks, addr);
    if (within(cluster, addr) === undefined) side.kind = "external";
    if (net) side.network = net.name;
    return side;
  };

  const side = (ip: string, port: number | undefined, at: number): EnrichedSide => {
    const base: EnrichedSide = port === undefined ? { ip, kind: "unknown" } : { ip, port, kind: "unknown" };
    const a = index.attribute(ip, at);
    if (a.status === "unknown" && a.reason === "no-holder" && skew > 0) {
      const before = index.attribute(ip, at - skew);
      const after = index.attribute(ip, at + skew);
      const found = [before, after].filter((x) => x.status === "attributed");
      const first = found[0];
      if (
        first?.status === "attributed" &&
        found.every((x) => x.status === "attributed" && x.holder === first.holder)
      ) {
        const side = fromHolder(first.holder, base);
        side.skewed = true;
        return side;
      }
    }
    return fromAttribution(a, base, ip);
  };

  const podSide = (pod: EventPod): EnrichedSide => {
    const w = options.pods.get(`${pod.namespace}/${pod.name}`);
    const base: EnrichedSide = { kind: w ? "workload" : "unknown", pod: `${pod.namespace}/${pod.name}` };
    return w ? withFacts({ ...base, workload: w }, w) : base;
  };

  return {
    side,
    podSide,
    enrich(event: RuntimeEvent): EnrichedEvent {
      switch (event.kind) {
        case "flow": {
          const src = event.src.pod
            ? preferPod(side(event.src.ip, event.src.port, event.time), podSide(event.src.pod))
            : side(event.src.ip, event.src.port, event.time);
          const dst = event.dst.pod
            ? preferPod(side(event.dst.ip, event.dst.port, event.time), podSide(event.dst.pod))
            : side(event.dst.ip, event.dst.port, event.time);
          return { event, src, dst };
        }
        case "process":
        case "alert":
          return event.pod ? { event, subject: podSide(event.pod) } : { event };
        case "audit":
          return { event };
      }
    },
  };
}

/**
 * A flow whose sensor named the pod (Hubble knows its endpoints) keeps the address attribution when it found a
 * workload; when the address was not attributed, the pod the sensor named is used.
 */
function preferPod(byAddress: EnrichedSide, byPod: EnrichedSide): EnrichedSide {
  if (byAddress.kind === "workload" || byPod.kind !== "workload") return byAddress;
  return {
    ...byPod,
    ...(byAddress.ip === undefined ? {} : { ip: byAddress.ip }),
    ...(byAddress.port === undefined ? {} : { port: byAddress.port }),
  };
}
