import { type CoverageEntry, cmp } from "../findings/index.js";
import type { Inventory, Workload } from "../inventory/index.js";
import { compareAddresses, compareRanges, formatRange, type IpRange, parseRange } from "./cidr.js";
import { buildModel, type NetpolModel } from "./model.js";
import type { IpBlockPodOptions } from "./pod-addresses.js";
import {
  CONN_ALL,
  CONN_NONE,
  type ConnectionsJson,
  type ConnSet,
  connEquals,
  connFromJson,
  connIntersect,
  connIsEmpty,
  connToJson,
  connUnion,
} from "./ports.js";

/** A workload endpoint (pods grouped by their owning workload). */
export interface WorkloadEndpoint {
  namespace: string;
  kind: string;
  name: string;
}

/** A cluster-external address range, `start-end`. */
export interface RangeEndpoint {
  ipRange: string;
}

export type Endpoint = WorkloadEndpoint | RangeEndpoint;

/** One allowed connection. */
export interface Edge {
  src: Endpoint;
  dst: Endpoint;
  connections: ConnectionsJson;
}

/** The result of {@link analyzeConnectivity}. */
export interface Connectivity {
  edges: Edge[];
  /**
   * What could not be evaluated: invalid policies (left out), hostNetwork workloads, invalid pod CIDRs, and in the
   * ipBlockMatchesPods mode the workloads whose pod addresses are unknown.
   */
  coverage: CoverageEntry[];
}

export const isRangeEndpoint = (e: Endpoint): e is RangeEndpoint => "ipRange" in e;

function wlEndpoint(w: Workload): WorkloadEndpoint {
  return { namespace: w.ref.namespace ?? "default", kind: w.ref.kind, name: w.ref.name };
}

/** Deterministic endpoint order: workloads by namespace, kind, name; then ranges (IPv4, then IPv6, by address). */
export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const ra = isRangeEndpoint(a);
  const rb = isRangeEndpoint(b);
  if (ra !== rb) return ra ? 1 : -1;
  if (ra && rb) {
    const x = parseRange(a.ipRange);
    const y = parseRange(b.ipRange);
    if (x && y) return compareRanges(x, y);
    return cmp(a.ipRange, b.ipRange);
  }
  const wa = a as WorkloadEndpoint;
  const wb = b as WorkloadEndpoint;
  return cmp(wa.namespace, wb.namespace) || cmp(wa.kind, wb.kind) || cmp(wa.name, wb.name);
}

/**
 * Compute the allowed connections between workloads, and between workloads and external address ranges, exactly
 * as the NetworkPolicy API defines them: a connection src -> dst is allowed iff egress is allowed at src (src not
 * isolated for egress, or some egress rule of a policy selecting src matches dst and the port) AND ingress is
 * allowed at dst (likewise). External ranges have no policy of their own.
 *
 * Workload-to-itself edges mean traffic between pods of the same workload (replicas), which policies do govern.
 * Whether ipBlock peers also match pods is implementation-defined; see {@link ConnectivityOptions}.
 */
export function analyzeConnectivity(inv: Inventory, options: ConnectivityOptions = {}): Connectivity {
  const model = buildModel(inv, options);
  const max = options.maxEdges ?? DEFAULT_MAX_EDGES;
  const { edges, truncatedAfter } = computeEdges(model, max);
  const coverage = [...model.coverage];
  if (truncatedAfter !== undefined)
    coverage.push({
      reason: "limit",
      message: `connectivity truncated at about ${max} edges: edges from sources after ${truncatedAfter} were not computed (raise the edge budget)`,
      kind: "NetworkPolicy",
    });
  return { edges, coverage };
}

/**
 * Options of {@link analyzeConnectivity}. With `ipBlockMatchesPods`, an ipBlock peer also matches the workloads
 * whose pods may hold an address in its cidr and outside its excepts (observed pod IPs, plus any address of
 * `podCidrs`); workloads with neither are reported as coverage and match no ipBlock.
 */
export interface ConnectivityOptions extends IpBlockPodOptions {
  /**
   * Budget of workload-level edges. A cluster without policies has one edge per pair of workloads, so the output
   * is quadratic; past the budget the remaining sources are skipped (in endpoint order) and coverage says so.
   */
  maxEdges?: number;
}

/** Default edge budget of {@link analyzeConnectivity}. */
export const DEFAULT_MAX_EDGES = 2_000_000;

interface Side {
  /** Union of the ports of rules whose peers are "all" (every pod and every external address). */
  allConn: ConnSet;
  /** Rules naming explicit pod classes: membership is tested per source, so no per-pair table is built. */
  rules: { peers: ReadonlySet<number>; ports: ConnSet }[];
  byRange: Map<number, ConnSet>;
}

function computeEdges(m: NetpolModel, maxEdges: number): { edges: Edge[]; truncatedAfter?: string } {
  const n = m.classes.length;
  const R = m.ranges.length;
  // Peer sets are shared between rules with the same peers (resolvePeers caches them), and so are their Sets.
  const sets = new WeakMap<object, ReadonlySet<number>>();
  const setOf = (peers: { classes: readonly number[] }): ReadonlySet<number> => {
    let hit = sets.get(peers);
    if (!hit) {
      hit = new Set(peers.classes);
      sets.set(peers, hit);
    }
    return hit;
  };
  // Ingress side, per destination class (only for isolated classes).
  const ing: (Side | undefined)[] = new Array(n);
  for (let d = 0; d < n; d++) {
    if (!m.ingressIsolated[d]) continue;
    const side: Side = { allConn: CONN_NONE, rules: [], byRange: new Map() };
    for (const { rule, policy } of m.ingressRules[d] ?? []) {
      const ports = m.rulePorts(rule, d);
      if (connIsEmpty(ports)) continue;
      const peers = m.resolvePeers(rule, policy);
      if (peers.all) {
        side.allConn = connUnion(side.allConn, ports);
        continue;
      }
      if (peers.classes.length > 0) side.rules.push({ peers: setOf(peers), ports });
      for (const r of peers.ranges) side.byRange.set(r, connUnion(side.byRange.get(r) ?? CONN_NONE, ports));
    }
    ing[d] = side;
  }
  // Destinations open to any source: not isolated, or an isolated class with an all-sources rule.
  const openIngress: number[] = [];
  for (let d = 0; d < n; d++) {
    const side = ing[d];
    if (!side || !connIsEmpty(side.allConn)) openIngress.push(d);
  }
  // Reverse index (source -> isolated destinations naming it), needed only for sources whose egress is open.
  let reverse: number[][] | undefined;
  const reverseIngress = (s: number): readonly number[] => {
    if (!reverse) {
      const rev: number[][] = Array.from({ length: n }, () => []);
      for (let d = 0; d < n; d++)
        for (const r of ing[d]?.rules ?? []) for (const x of r.peers) rev[x]?.push(d);
      reverse = rev;
    }
    return reverse[s] ?? [];
  };
  const ingressConn = (s: number, d: number): ConnSet => {
    const side = ing[d];
    if (!side) return CONN_ALL;
    let c = side.allConn;
    for (const r of side.rules) if (r.peers.has(s)) c = connUnion(c, r.ports);
    return c;
  };

  const out: [number, number, ConnSet][] = [];
  const stamp = new Int32Array(n).fill(-1);
  // Workload-level edge count (a class edge expands to |src workloads| x |dst workloads|), for the budget.
  const size = (i: number): number => (i < n ? (m.classes[i]?.workloads.length ?? 0) : 1);
  let counted = 0;
  let truncatedAfter: string | undefined;
  const overBudget = (from: number, label: () => string): boolean => {
    for (let i = from; i < out.length; i++) {
      const e = out[i] as [number, number, ConnSet];
      counted += size(e[0]) * size(e[1]);
    }
    if (counted <= maxEdges) return false;
    truncatedAfter = label();
    return true;
  };
  const classLabel = (i: number): string => {
    const w = m.classes[i]?.workloads[0];
    return w ? `${w.ref.kind} ${w.ref.namespace ?? "default"}/${w.ref.name}` : `class ${i}`;
  };
  for (let s = 0; s < n; s++) {
    const mark = out.length;
    // Egress side of s.
    let egressOpen = !m.egressIsolated[s];
    const allRules: { rule: import("./policy.js").PolicyRule; policy: import("./policy.js").ParsedPolicy }[] =
      [];
    const toClass = new Map<number, ConnSet>();
    let toAllExternal: ConnSet = CONN_NONE;
    const toRange = new Map<number, ConnSet>();
    if (!egressOpen) {
      for (const rp of m.egressRules[s] ?? []) {
        const peers = m.resolvePeers(rp.rule, rp.policy);
        if (peers.all) {
          allRules.push(rp);
          toAllExternal = connUnion(toAllExternal, m.rulePorts(rp.rule, -1));
          continue;
        }
        for (const d of peers.classes) {
          const ports = m.rulePorts(rp.rule, d);
          if (connIsEmpty(ports)) continue;
          toClass.set(d, connUnion(toClass.get(d) ?? CONN_NONE, ports));
        }
        if (peers.ranges.length > 0) {
          const ports = m.rulePorts(rp.rule, -1);
          if (!connIsEmpty(ports))
            for (const r of peers.ranges) toRange.set(r, connUnion(toRange.get(r) ?? CONN_NONE, ports));
        }
      }
      egressOpen = allRules.length > 0;
    }
    const egressConn = (d: number): ConnSet => {
      if (!m.egressIsolated[s]) return CONN_ALL;
      let c = toClass.get(d) ?? CONN_NONE;
      for (const { rule } of allRules) c = connUnion(c, m.rulePorts(rule, d));
      return c;
    };
    const consider = (d: number): void => {
      if (stamp[d] === s) return;
      stamp[d] = s;
      const e = egressConn(d);
      if (connIsEmpty(e)) return;
      const c = connIntersect(e, ingressConn(s, d));
      if (!connIsEmpty(c)) out.push([s, d, c]);
    };
    if (egressOpen) {
      // Any destination may be reached as far as s is concerned: only destinations open to every source or
      // naming s in an ingress rule can accept.
      for (const d of openIngress) consider(d);
      for (const d of reverseIngress(s)) consider(d);
    } else {
      for (const d of toClass.keys()) consider(d);
    }
    // External destinations: no ingress policy applies outside the cluster.
    if (!m.egressIsolated[s]) for (let r = 0; r < R; r++) out.push([s, n + r, CONN_ALL]);
    else if (connIsEmpty(toAllExternal)) for (const [r, c] of toRange) out.push([s, n + r, c]);
    else
      for (let r = 0; r < R; r++) out.push([s, n + r, connUnion(toAllExternal, toRange.get(r) ?? CONN_NONE)]);
    if (overBudget(mark, () => classLabel(s))) break;
  }
  // External sources: no egress policy applies outside the cluster.
  for (let d = 0; d < n && truncatedAfter === undefined; d++) {
    const mark = out.length;
    const side = ing[d];
    if (!side) for (let r = 0; r < R; r++) out.push([n + r, d, CONN_ALL]);
    else if (connIsEmpty(side.allConn)) for (const [r, c] of side.byRange) out.push([n + r, d, c]);
    else
      for (let r = 0; r < R; r++)
        out.push([n + r, d, connUnion(side.allConn, side.byRange.get(r) ?? CONN_NONE)]);
    if (overBudget(mark, () => `external sources to ${classLabel(d)}`)) break;
  }
  const edges = expand(m, out);
  return truncatedAfter === undefined ? { edges } : { edges, truncatedAfter };
}

/** Expand class-level edges to workload-level edges in deterministic order. */
function expand(m: NetpolModel, classEdges: [number, number, ConnSet][]): Edge[] {
  const n = m.classes.length;
  // Endpoint order: every workload gets a rank; ranges follow in partition order (already sorted).
  const workloads: { w: Workload; cls: number }[] = [];
  for (const c of m.classes) for (const w of c.workloads) workloads.push({ w, cls: c.id });
  workloads.sort((a, b) => compareEndpoints(wlEndpoint(a.w), wlEndpoint(b.w)));
  const members: { rank: number; ep: Endpoint }[][] = Array.from({ length: n }, () => []);
  workloads.forEach((x, rank) => {
    members[x.cls]?.push({ rank, ep: wlEndpoint(x.w) });
  });
  const W = workloads.length;
  const rangeEp = (r: number): { rank: number; ep: Endpoint }[] => [
    { rank: W + r, ep: { ipRange: formatRange(m.ranges[r] as IpRange) } },
  ];
  const endpoints = (i: number): { rank: number; ep: Endpoint }[] =>
    i < n ? (members[i] ?? []) : rangeEp(i - n);
  // Bucket the edges by source rank (counting sort), then order each bucket by destination rank: no row object
  // per edge (10k x 10k: over 100k edges), and every (source, destination) pair occurs once, so the order is total.
  const buckets = new Int32Array(W + m.ranges.length + 1);
  for (const [s, d] of classEdges) {
    const dsts = endpoints(d).length;
    for (const x of endpoints(s)) buckets[x.rank + 1]! += dsts;
  }
  for (let a = 1; a < buckets.length; a++) buckets[a]! += buckets[a - 1]!;
  const total = buckets[buckets.length - 1]!;
  const edges: Edge[] = new Array(total);
  const dstRank = new Int32Array(total);
  const fill = buckets.slice(0, -1);
  for (const [s, d, c] of classEdges) {
    const json = connToJson(c);
    const dsts = endpoints(d);
    for (const x of endpoints(s))
      for (const y of dsts) {
        const at = fill[x.rank]!++;
        edges[at] = { src: x.ep, dst: y.ep, connections: json };
        dstRank[at] = y.rank;
      }
  }
  for (let a = 0; a + 1 < buckets.length; a++) sortSegment(edges, dstRank, buckets[a]!, buckets[a + 1]!);
  return edges;
}

/** Sort `edges[lo, hi)` by `keys[lo, hi)` (distinct), moving both. */
function sortSegment(edges: Edge[], keys: Int32Array, lo: number, hi: number): void {
  if (hi - lo < 2) return;
  let sorted = true;
  for (let i = lo + 1; i < hi && sorted; i++) if (keys[i - 1]! > keys[i]!) sorted = false;
  if (sorted) return;
  const order = Array.from({ length: hi - lo }, (_, i) => lo + i).sort((p, q) => keys[p]! - keys[q]!);
  const e = order.map((i) => edges[i]!);
  const k = order.map((i) => keys[i]!);
  for (let i = lo; i < hi; i++) {
    edges[i] = e[i - lo]!;
    keys[i] = k[i - lo]!;
  }
}

/** A connection whose allowed traffic differs between two analyses. */
export interface ChangedEdge {
  src: Endpoint;
  dst: Endpoint;
  before: ConnectionsJson;
  after: ConnectionsJson;
}

/** The result of {@link diffConnectivity}. */
export interface ConnectivityDiff {
  added: Edge[];
  removed: Edge[];
  changed: ChangedEdge[];
}

/**
 * Which connections a change adds, removes or changes. The two analyses may partition the external address space
 * differently (a new ipBlock splits ranges), so external endpoints are first refined onto the common partition.
 */
export function diffConnectivity(
  before: Pick<Connectivity, "edges">,
  after: Pick<Connectivity, "edges">,
): ConnectivityDiff {
  const bounds: IpRange[] = [];
  for (const e of [...before.edges, ...after.edges]) {
    for (const ep of [e.src, e.dst]) {
      if (isRangeEndpoint(ep)) {
        const r = parseRange(ep.ipRange);
        if (r) bounds.push(r);
      }
    }
  }
  const cuts = new Map<4 | 6, bigint[]>();
  for (const fam of [4, 6] as const) {
    const s = new Set<bigint>();
    for (const r of bounds) if (r.family === fam) s.add(r.start);
    cuts.set(fam, [...s].sort(compareAddresses));
  }
  const refine = (ep: Endpoint): Endpoint[] => {
    if (!isRangeEndpoint(ep)) return [ep];
    const r = parseRange(ep.ipRange);
    if (!r) return [ep];
    const starts = (cuts.get(r.family) ?? []).filter((x) => x > r.start && x <= r.end);
    const out: Endpoint[] = [];
    let cur = r.start;
    for (const x of starts) {
      out.push({ ipRange: formatRange({ family: r.family, start: cur, end: x - 1n }) });
      cur = x;
    }
    out.push({ ipRange: formatRange({ family: r.family, start: cur, end: r.end }) });
    return out;
  };
  const index = (edges: readonly Edge[]): Map<string, { src: Endpoint; dst: Endpoint; conn: ConnSet }> => {
    const m = new Map<string, { src: Endpoint; dst: Endpoint; conn: ConnSet }>();
    for (const e of edges) {
      const conn = connFromJson(e.connections);
      for (const src of refine(e.src))
        for (const dst of refine(e.dst)) {
          const key = `${JSON.stringify(src)}\u0000${JSON.stringify(dst)}`;
          const prev = m.get(key);
          m.set(key, { src, dst, conn: prev ? connUnion(prev.conn, conn) : conn });
        }
    }
    return m;
  };
  const b = index(before.edges);
  const a = index(after.edges);
  const added: Edge[] = [];
  const removed: Edge[] = [];
  const changed: ChangedEdge[] = [];
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) added.push({ src: x.src, dst: x.dst, connections: connToJson(x.conn) });
    else if (!connEquals(x.conn, y.conn))
      changed.push({ src: x.src, dst: x.dst, before: connToJson(y.conn), after: connToJson(x.conn) });
  }
  for (const [k, y] of b)
    if (!a.has(k)) removed.push({ src: y.src, dst: y.dst, connections: connToJson(y.conn) });
  const order = (p: { src: Endpoint; dst: Endpoint }, q: { src: Endpoint; dst: Endpoint }): number =>
    compareEndpoints(p.src, q.src) || compareEndpoints(p.dst, q.dst);
  added.sort(order);
  removed.sort(order);
  changed.sort(order);
  return { added, removed, changed };
}
