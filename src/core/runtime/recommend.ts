/**
 * NetworkPolicy recommendation from observed, attributed flows, and its replay through the exact evaluator
 * (core/netpol `analyzeConnectivity`).
 *
 * Flows are aggregated into tuples (source peer, destination peer, protocol, destination port) with a count and
 * first/last seen: the evaluator's decision depends on nothing else, so replaying the tuples is replaying every
 * recorded flow, in memory bounded by the number of distinct tuples.
 *
 * Per workload the proposal is one ingress and one egress policy: pods selected by the workload's stable labels
 * (core/runtime policy-labels), peers by namespace (`kubernetes.io/metadata.name`, which the API server sets on
 * every namespace) and the peer's stable labels, a Service peer by its namespace and `spec.selector`, external
 * peers by `/32` (`/128`) ipBlocks, ports by name where the destination's containers name them. Tuples seen fewer
 * than `minCount` times are left out, so the replay shows what tightening would drop.
 */
import { cmp } from "../findings/index.js";
import { buildInventory, type Inventory, type RawObject } from "../inventory/index.js";
import { analyzeConnectivity, type Edge, isRangeEndpoint, parseCidr, parseRange } from "../netpol/index.js";
import { isRecord } from "../util/index.js";
import type { WorkloadRef } from "./attribution.js";
import type { EnrichedEvent, EnrichedSide } from "./enrich.js";
import { workloadFactsKey } from "./enrich.js";
import { policyName, stableLabels } from "./policy-labels.js";

type PolicyProtocol = "TCP" | "UDP" | "SCTP";
const PROTOCOLS: ReadonlySet<string> = new Set(["TCP", "UDP", "SCTP"]);

export type FlowPeer =
  | { kind: "workload"; workload: WorkloadRef }
  | { kind: "service"; namespace: string; name: string }
  | { kind: "external"; ip: string };

export interface FlowTuple {
  src: FlowPeer;
  dst: FlowPeer;
  protocol: PolicyProtocol;
  port: number;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

const peerKey = (p: FlowPeer) =>
  p.kind === "workload"
    ? `w:${workloadFactsKey(p.workload)}`
    : p.kind === "service"
      ? `s:${p.namespace}/${p.name}`
      : `e:${p.ip}`;

export const peerText = (p: FlowPeer) =>
  p.kind === "workload"
    ? `${p.workload.namespace}/${p.workload.name}`
    : p.kind === "service"
      ? `Service ${p.namespace}/${p.name}`
      : p.ip;

function peerOf(s: EnrichedSide): FlowPeer | undefined {
  if (s.kind === "workload" && s.workload) return { kind: "workload", workload: s.workload };
  if (s.kind === "service" && s.service) {
    const [namespace, name] = s.service.split("/");
    return namespace && name ? { kind: "service", namespace, name } : undefined;
  }
  if (s.kind === "external" && s.ip) return { kind: "external", ip: s.ip };
  return undefined;
}

/** Why a flow was not aggregated, counted. */
export interface FlowSkips {
  "not-a-flow": number;
  "unattributed-peer": number;
  "no-workload": number;
  "protocol-not-in-policies": number;
  "no-port": number;
  "tuple-limit": number;
}

/** Aggregates flows into tuples (bounded by `maxTuples` distinct tuples; past it, flows are counted as skipped). */
export class FlowAggregator {
  private readonly tuples = new Map<string, FlowTuple>();
  readonly skipped: FlowSkips = {
    "not-a-flow": 0,
    "unattributed-peer": 0,
    "no-workload": 0,
    "protocol-not-in-policies": 0,
    "no-port": 0,
    "tuple-limit": 0,
  };
  constructor(private readonly maxTuples = 200_000) {}

  add(e: EnrichedEvent): void {
    const ev = e.event;
    if (ev.kind !== "flow" || !e.src || !e.dst) {
      this.skipped["not-a-flow"]++;
      return;
    }
    // Denied flows were not allowed before either; a recommendation allows what did flow.
    if (/^(DROPPED|DENIED|REJECT|DENY|DROP|ERROR)$/.test(ev.verdict)) {
      this.skipped["not-a-flow"]++;
      return;
    }
    const src = peerOf(e.src);
    const dst = peerOf(e.dst);
    if (!src || !dst) {
      this.skipped["unattributed-peer"]++;
      return;
    }
    if (src.kind !== "workload" && dst.kind !== "workload") {
      this.skipped["no-workload"]++;
      return;
    }
    if (!PROTOCOLS.has(ev.protocol)) {
      this.skipped["protocol-not-in-policies"]++;
      return;
    }
    if (ev.dst.port === undefined || ev.dst.port === 0) {
      this.skipped["no-port"]++;
      return;
    }
    const key = `${peerKey(src)}\u0000${peerKey(dst)}\u0000${ev.protocol}\u0000${ev.dst.port}`;
    const t = this.tuples.get(key);
    if (t) {
      t.count++;
      if (ev.time < t.firstSeen) t.firstSeen = ev.time;
      if (ev.time > t.lastSeen) t.lastSeen = ev.time;
      return;
    }
    if (this.tuples.size >= this.maxTuples) {
      this.skipped["tuple-limit"]++;
      return;
    }
    this.tuples.set(key, {
      src,
      dst,
      protocol: ev.protocol as PolicyProtocol,
      port: ev.dst.port,
      count: 1,
      firstSeen: ev.time,
      lastSeen: ev.time,
    });
  }

  list(): FlowTuple[] {
    return [...this.tuples.entries()].sort(([a], [b]) => cmp(a, b)).map(([, t]) => t);
  }
}

export interface RecommendOptions {
  /** Tuples seen fewer times are not allowed by the proposal. Default 1. */
  minCount?: number;
  /** Only tuples first seen in [from, until) teach the proposal (the replay covers all). */
  learnFrom?: number;
  learnUntil?: number;
}

export interface Recommendation {
  policies: Record<string, unknown>[];
  /** Flows the current policies allow and the proposal (with them) denies, grouped by tuple. */
  wouldDrop: FlowTuple[];
  /** Flows the current policies already deny (the proposal changes nothing for them). */
  alreadyDenied: FlowTuple[];
  replayed: { tuples: number; flows: number };
  notes: string[];
}

const NS_LABEL = "kubernetes.io/metadata.name";

function workloadLabels(inv: Inventory, w: WorkloadRef): Record<string, string> | undefined {
  const hit = inv.workloads.find(
    (x) => x.ref.kind === w.kind && (x.ref.namespace ?? "") === w.namespace && x.ref.name === w.name,
  );
  return hit ? stableLabels(hit.podLabels) : undefined;
}

/** The name a destination workload's containers give `port`/`protocol`, when exactly one name maps to it. */
function portName(inv: Inventory, w: WorkloadRef, protocol: string, port: number): string | undefined {
  const hit = inv.workloads.find(
    (x) => x.ref.kind === w.kind && (x.ref.namespace ?? "") === w.namespace && x.ref.name === w.name,
  );
  const names = new Set<string>();
  for (const c of hit?.containers ?? []) {
    if (c.type === "ephemeralContainer") continue;
    for (const p of c.spec.ports ?? [])
      if (p.containerPort === port && typeof p.name === "string" && (p.protocol ?? "TCP") === protocol)
        names.add(p.name);
  }
  return names.size === 1 ? [...names][0] : undefined;
}

function serviceSelector(inv: Inventory, ns: string, name: string): Record<string, string> | undefined {
  const s = inv.services.find((x) => (x.ref.namespace ?? "") === ns && x.ref.name === name);
  const spec = s && isRecord(s.raw.spec) ? s.raw.spec : undefined;
  if (!spec || !isRecord(spec.selector)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.selector)) if (typeof v === "string") out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

function peerSelector(inv: Inventory, p: FlowPeer): Record<string, unknown> | undefined {
  if (p.kind === "external") return { ipBlock: { cidr: p.ip.includes(":") ? `${p.ip}/128` : `${p.ip}/32` } };
  const ns = p.kind === "workload" ? p.workload.namespace : p.namespace;
  const labels =
    p.kind === "workload" ? workloadLabels(inv, p.workload) : serviceSelector(inv, p.namespace, p.name);
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return { namespaceSelector: { matchLabels: { [NS_LABEL]: ns } }, podSelector: { matchLabels: labels } };
}

/** Propose policies from tuples and replay every tuple through the evaluator, before and after. */
export function recommendPolicies(
  tuples: readonly FlowTuple[],
  base: Inventory,
  options: RecommendOptions = {},
): Recommendation {
  const minCount = options.minCount ?? 1;
  const learn = tuples.filter(
    (t) =>
      t.count >= minCount &&
      (options.learnFrom === undefined || t.lastSeen >= options.learnFrom) &&
      (options.learnUntil === undefined || t.firstSeen < options.learnUntil),
  );
  const notes: string[] = [];
  // workload key -> direction -> rule key -> { peers, ports }
  type Rule = { peers: Map<string, Record<string, unknown>>; ports: Map<string, Record<string, unknown>> };
  const per = new Map<string, { w: WorkloadRef; ingress: Map<string, Rule>; egress: Map<string, Rule> }>();
  const entry = (w: WorkloadRef) => {
    const k = workloadFactsKey(w);
    let e = per.get(k);
    if (!e) {
      e = { w, ingress: new Map(), egress: new Map() };
      per.set(k, e);
    }
    return e;
  };
  const addRule = (
    rules: Map<string, Rule>,
    peer: Record<string, unknown>,
    port: Record<string, unknown>,
  ) => {
    // One rule per peer, its ports the union seen for it.
    const pk = JSON.stringify(peer);
    let r = rules.get(pk);
    if (!r) {
      r = { peers: new Map([[pk, peer]]), ports: new Map() };
      rules.set(pk, r);
    }
    r.ports.set(JSON.stringify(port), port);
  };
  for (const t of learn) {
    const dstW = t.dst.kind === "workload" ? t.dst.workload : undefined;
    const named = dstW ? portName(base, dstW, t.protocol, t.port) : undefined;
    const port = { protocol: t.protocol, port: named ?? t.port };
    if (t.src.kind === "workload") {
      const sel = peerSelector(base, t.dst);
      if (sel)
        addRule(
          entry(t.src.workload).egress,
          sel,
          t.dst.kind === "service" ? { protocol: t.protocol, port: t.port } : port,
        );
      else
        notes.push(
          `egress of ${peerText(t.src)} to ${peerText(t.dst)}: the peer has no stable labels; not allowed`,
        );
    }
    if (dstW) {
      const sel = peerSelector(base, t.src);
      if (sel) addRule(entry(dstW).ingress, sel, port);
      else
        notes.push(
          `ingress of ${peerText(t.dst)} from ${peerText(t.src)}: the peer has no stable labels; not allowed`,
        );
    }
  }
  const policies: Record<string, unknown>[] = [];
  for (const [, e] of [...per.entries()].sort(([a], [b]) => cmp(a, b))) {
    const labels = workloadLabels(base, e.w);
    if (!labels || Object.keys(labels).length === 0) {
      notes.push(
        `${e.w.kind} ${e.w.namespace}/${e.w.name}: no stable pod labels to select it; no policy proposed`,
      );
      continue;
    }
    for (const dir of ["ingress", "egress"] as const) {
      const rules = [...e[dir].values()].map((r) => ({
        [dir === "ingress" ? "from" : "to"]: [...r.peers.values()],
        ports: [...r.ports.entries()].sort(([a], [b]) => cmp(a, b)).map(([, p]) => p),
      }));
      if (rules.length === 0) continue;
      rules.sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b)));
      policies.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: {
          name: policyName(e.w.name, dir),
          namespace: e.w.namespace,
          labels: { "app.kubernetes.io/managed-by": "palisade" },
        },
        spec: {
          podSelector: { matchLabels: labels },
          policyTypes: [dir === "ingress" ? "Ingress" : "Egress"],
          [dir]: rules,
        },
      });
    }
  }
  const before = edgeIndex(analyzeConnectivity(base).edges);
  const withProposal = buildInventory([
    ...base.objects.map((o): RawObject => ({ object: o.raw, ...(o.origin ? { origin: o.origin } : {}) })),
    ...policies.map((p): RawObject => ({ object: p, origin: "manifest" })),
  ]);
  const after = edgeIndex(analyzeConnectivity(withProposal).edges);
  const wouldDrop: FlowTuple[] = [];
  const alreadyDenied: FlowTuple[] = [];
  let flows = 0;
  for (const t of tuples) {
    flows += t.count;
    const now = allowed(before, base, t);
    if (now === undefined) continue;
    if (!now) alreadyDenied.push(t);
    else if (allowed(after, withProposal, t) === false) wouldDrop.push(t);
  }
  return {
    policies,
    wouldDrop,
    alreadyDenied,
    replayed: { tuples: tuples.length, flows },
    notes: [...new Set(notes)].sort(cmp),
  };
}

type EdgeIndex = {
  byPair: Map<string, Edge["connections"]>;
  ranges: Map<string, { range: NonNullable<ReturnType<typeof parseRange>>; conn: Edge["connections"] }[]>;
};

const epKey = (e: Edge["src"]) =>
  isRangeEndpoint(e) ? `r:${e.ipRange}` : `w:${e.namespace}/${e.kind}/${e.name}`;

function edgeIndex(edges: readonly Edge[]): EdgeIndex {
  const byPair = new Map<string, Edge["connections"]>();
  const ranges: EdgeIndex["ranges"] = new Map();
  for (const e of edges) {
    byPair.set(`${epKey(e.src)}|${epKey(e.dst)}`, e.connections);
    // Range edges, by the workload side, for external addresses.
    const wSide = isRangeEndpoint(e.src) ? e.dst : e.src;
    const rSide = isRangeEndpoint(e.src) ? e.src : isRangeEndpoint(e.dst) ? e.dst : undefined;
    if (!rSide || isRangeEndpoint(wSide)) continue;
    const r = parseRange(rSide.ipRange);
    if (!r) continue;
    const k = `${isRangeEndpoint(e.src) ? "in" : "out"}|${epKey(wSide)}`;
    let list = ranges.get(k);
    if (!list) {
      list = [];
      ranges.set(k, list);
    }
    list.push({ range: r, conn: e.connections });
  }
  return { byPair, ranges };
}

function connAllows(c: Edge["connections"] | undefined, protocol: string, port: number): boolean {
  if (c === undefined) return false;
  if (c === "all") return true;
  return c.some((x) => x.protocol === protocol && x.ports.some(([a, b]) => port >= a && port <= b));
}

/** The workloads a Service selects, as endpoint keys. */
function serviceTargets(inv: Inventory, ns: string, name: string): string[] {
  const sel = serviceSelector(inv, ns, name);
  if (!sel) return [];
  return inv.workloads
    .filter(
      (w) => (w.ref.namespace ?? "") === ns && Object.entries(sel).every(([k, v]) => w.podLabels[k] === v),
    )
    .map((w) => `w:${ns}/${w.ref.kind}/${w.ref.name}`);
}

/** Whether the evaluator allows a tuple; undefined when it cannot be judged (a peer absent from the inventory). */
function allowed(idx: EdgeIndex, inv: Inventory, t: FlowTuple): boolean | undefined {
  const wKey = (w: WorkloadRef) => `w:${w.namespace}/${w.kind}/${w.name}`;
  if (t.src.kind === "workload" && t.dst.kind === "external") {
    const addr = parseCidr(t.dst.ip.includes(":") ? `${t.dst.ip}/128` : `${t.dst.ip}/32`);
    const list = idx.ranges.get(`out|${wKey(t.src.workload)}`) ?? [];
    const hit =
      addr &&
      list.find(
        (x) => x.range.family === addr.family && addr.start >= x.range.start && addr.start <= x.range.end,
      );
    return connAllows(hit ? hit.conn : undefined, t.protocol, t.port);
  }
  if (t.src.kind === "external" && t.dst.kind === "workload") {
    const addr = parseCidr(t.src.ip.includes(":") ? `${t.src.ip}/128` : `${t.src.ip}/32`);
    const list = idx.ranges.get(`in|${wKey(t.dst.workload)}`) ?? [];
    const hit =
      addr &&
      list.find(
        (x) => x.range.family === addr.family && addr.start >= x.range.start && addr.start <= x.range.end,
      );
    return connAllows(hit ? hit.conn : undefined, t.protocol, t.port);
  }
  const srcs =
    t.src.kind === "workload"
      ? [wKey(t.src.workload)]
      : t.src.kind === "service"
        ? serviceTargets(inv, t.src.namespace, t.src.name)
        : [];
  const dsts =
    t.dst.kind === "workload"
      ? [wKey(t.dst.workload)]
      : t.dst.kind === "service"
        ? serviceTargets(inv, t.dst.namespace, t.dst.name)
        : [];
  if (srcs.length === 0 || dsts.length === 0) return undefined;
  // Through a Service, the flow reaches one of its backends: allowed when some backend is reachable.
  return srcs.some((s) => dsts.some((d) => connAllows(idx.byPair.get(`${s}|${d}`), t.protocol, t.port)));
}
