/**
 * IP -> workload attribution over time.
 *
 * Pod IPs are ephemeral: when a pod ends, the CNI's IPAM may hand its address to the next pod scheduled on that node
 * within seconds (https://kubernetes.io/docs/concepts/cluster-administration/networking/: "every Pod in a cluster
 * gets its own unique cluster-wide IP address" — unique at an instant, not over time). A flow that says "10.2.3.4
 * talked to 10.9.8.7" therefore names workloads only together with its timestamp. This module turns address
 * observations with validity intervals into an index answering `attribute(ip, at)` with one map lookup and one
 * binary search.
 *
 * Times are milliseconds since the epoch, passed in by the caller (core reads no clock). Intervals are half-open
 * `[from, to)`; an open end is `Infinity`.
 */
import type { CoverageEntry } from "../findings/index.js";
import { parseCidr } from "../netpol/index.js";

/** The workload an address belongs to: the top of the pod's owner chain (Deployment, not ReplicaSet or Pod). */
export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Who holds an address. A hostNetwork pod shares its node's address (the pod spec's `hostNetwork: true` puts it in
 * the node's network namespace), so its address is attributed to the node, never to the pod: any hostNetwork pod
 * on that node, or the kubelet itself, may have sent the packet.
 */
export type AddressHolder =
  | {
      kind: "pod";
      cluster?: string;
      namespace: string;
      name: string;
      uid?: string;
      node?: string;
      serviceAccountName?: string;
      workload: WorkloadRef;
    }
  | { kind: "node"; cluster?: string; name: string }
  | { kind: "service"; cluster?: string; namespace: string; name: string };

/** One holder of one address over `[from, to)`. `lastSeen`, when set, is the last instant the holding was observed. */
export interface AddressObservation {
  ip: string;
  holder: AddressHolder;
  from: number;
  /** Exclusive end; `Infinity` (or absent) while still held. */
  to?: number;
  /**
   * The last instant the holding was seen. Between `lastSeen` and `to` the holding is inferred (the next snapshot
   * no longer shows it): that tail yields to a holder that starts inside it, so a pod that ended between two
   * snapshots and a pod that took its address are not reported as overlapping.
   */
  lastSeen?: number;
}

/** Why an address could not be attributed to exactly one holder. */
export type UnattributedReason = "invalid-address" | "no-holder" | "overlapping-holders";

export type Attribution =
  | { status: "attributed"; holder: AddressHolder; from: number; to: number }
  | { status: "ambiguous"; reason: "overlapping-holders"; holders: AddressHolder[]; from: number; to: number }
  | { status: "unknown"; reason: "invalid-address" | "no-holder" };

interface Segment {
  from: number;
  to: number;
  holders: AddressHolder[];
}

export interface AttributionIndexOptions {
  /** Intervals kept at most (bounded memory); observations past it are dropped and coverage says so. */
  maxIntervals?: number;
  /** Drop observations that ended before this instant (history horizon). */
  retainFrom?: number;
}

export const DEFAULT_MAX_INTERVALS = 2_000_000;

/** A built index. Lookups are O(1) on the address plus O(log n) over that address's history. */
export interface AttributionIndex {
  attribute(ip: string, at: number): Attribution;
  /** Number of stored segments across all addresses. */
  readonly size: number;
  readonly coverage: readonly CoverageEntry[];
}

/** A canonical key for an address (`4:<int>` or `6:<int>`), so `::ffff:0a00:0001`-style spellings of IPv6 agree. */
export function addressKey(ip: string): string | undefined {
  if (typeof ip !== "string" || ip.length === 0 || ip.length > 45 || ip.includes("/")) return undefined;
  const v4 = ipv4Value(ip);
  if (v4 !== undefined) return `4:${v4.toString(16)}`;
  const c = parseCidr(ip.includes(":") ? `${ip}/128` : `${ip}/32`);
  return c ? `${c.family}:${c.start.toString(16)}` : undefined;
}

/**
 * A dotted quad as a number, without the bigint path (the hot path of every lookup): four decimal parts of one to
 * three digits, each at most 255, as core/netpol's parser accepts them. Anything else is left to that parser.
 */
export function ipv4Value(s: string): number | undefined {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return undefined;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0 || part > 255) return undefined;
  return v * 256 + part;
}

/** A stable identity for a holder: the same pod seen in two snapshots is one holder. */
export function holderKey(h: AddressHolder): string {
  const c = h.cluster ?? "";
  switch (h.kind) {
    case "pod":
      return `pod\u0000${c}\u0000${h.namespace}\u0000${h.name}\u0000${h.uid ?? ""}`;
    case "node":
      return `node\u0000${c}\u0000${h.name}`;
    case "service":
      return `service\u0000${c}\u0000${h.namespace}\u0000${h.name}`;
  }
}

interface Pending {
  key: string;
  holder: AddressHolder;
  from: number;
  to: number;
  lastSeen: number;
}

/**
 * Build the index. Observations of the same holder and address that touch or overlap are merged; an inferred tail
 * (after `lastSeen`) is cut where another holder of the address starts; what still overlaps is ambiguous.
 */
export function buildAttributionIndex(
  observations: Iterable<AddressObservation>,
  options: AttributionIndexOptions = {},
): AttributionIndex {
  const maxIntervals = options.maxIntervals ?? DEFAULT_MAX_INTERVALS;
  const retainFrom = options.retainFrom ?? Number.NEGATIVE_INFINITY;
  const coverage: CoverageEntry[] = [];
  const byAddress = new Map<string, Pending[]>();
  let kept = 0;
  let dropped = 0;
  let invalid = 0;
  for (const o of observations) {
    const key = addressKey(o.ip);
    const to = o.to ?? Number.POSITIVE_INFINITY;
    if (key === undefined || !Number.isFinite(o.from) || Number.isNaN(to) || to <= o.from) {
      invalid++;
      continue;
    }
    if (to <= retainFrom) continue;
    if (kept >= maxIntervals) {
      dropped++;
      continue;
    }
    kept++;
    const lastSeen = Math.min(to, Math.max(o.from, o.lastSeen ?? to));
    let list = byAddress.get(key);
    if (!list) {
      list = [];
      byAddress.set(key, list);
    }
    list.push({ key: holderKey(o.holder), holder: o.holder, from: o.from, to, lastSeen });
  }
  if (invalid > 0)
    coverage.push({
      reason: "invalid",
      message: `${invalid} address observation(s) with an invalid address or interval were ignored`,
    });
  if (dropped > 0)
    coverage.push({
      reason: "limit",
      message: `${dropped} address observation(s) past the limit of ${maxIntervals} intervals were dropped; attribution is incomplete`,
    });

  const index = new Map<string, Segment[]>();
  let size = 0;
  for (const [addr, list] of byAddress) {
    const segments = segmentsOf(mergeSameHolder(list));
    size += segments.length;
    index.set(addr, segments);
  }

  return {
    size,
    coverage,
    attribute(ip: string, at: number): Attribution {
      const key = addressKey(ip);
      if (key === undefined || !Number.isFinite(at)) return { status: "unknown", reason: "invalid-address" };
      const segs = index.get(key);
      const s = segs ? findSegment(segs, at) : undefined;
      if (!s) return { status: "unknown", reason: "no-holder" };
      if (s.holders.length === 1)
        return { status: "attributed", holder: s.holders[0] as AddressHolder, from: s.from, to: s.to };
      return {
        status: "ambiguous",
        reason: "overlapping-holders",
        holders: s.holders,
        from: s.from,
        to: s.to,
      };
    },
  };
}

/**
 * Merge overlapping or touching intervals of one holder; then cut inferred tails at the next other holder.
 * O(n log n) in the intervals of one address: an address reused by thousands of pods over days is common (a
 * node's small pod CIDR recycles its addresses), so nothing here may compare every interval with every other.
 */
function mergeSameHolder(list: Pending[]): Pending[] {
  list.sort((a, b) => a.from - b.from || cmp(a.key, b.key));
  const byHolder = new Map<string, Pending[]>();
  for (const p of list) {
    const runs = byHolder.get(p.key);
    const last = runs?.[runs.length - 1];
    if (last && p.from <= last.to) {
      last.to = Math.max(last.to, p.to);
      last.lastSeen = Math.max(last.lastSeen, p.lastSeen);
    } else if (runs) runs.push({ ...p });
    else byHolder.set(p.key, [{ ...p }]);
  }
  const merged = [...byHolder.values()].flat().sort((a, b) => a.from - b.from || cmp(a.key, b.key));
  // An inferred tail [lastSeen, to) yields to the first other holder starting inside it: the address was
  // released before the next holder got it. Starts are sorted, so that holder is found by binary search; runs of
  // one holder never touch after merging, so the only same-holder start in the tail is the interval's own.
  const n = merged.length;
  const cuts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = merged[i] as Pending;
    cuts[i] = p.to;
    if (p.lastSeen >= p.to) continue;
    let j = firstFromAtOrAfter(merged, p.lastSeen);
    while (j < n && (merged[j] as Pending).key === p.key) j++;
    const q = merged[j];
    if (q && q.from < p.to) cuts[i] = q.from;
  }
  // Cuts are applied after all are found: a tail is cut by where the next holder starts, never by its cut end.
  const out: Pending[] = [];
  for (let i = 0; i < n; i++) {
    const p = merged[i] as Pending;
    p.to = Math.max(p.from, cuts[i] as number);
    if (p.to > p.from) out.push(p);
  }
  return out;
}

/** The first index whose `from` is at or after `t` (the list sorted by `from`). */
function firstFromAtOrAfter(list: readonly Pending[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as Pending).from < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sweep the intervals into disjoint segments, each with the holders active over it (sorted by key): starts and
 * ends sorted once, an active set updated at each boundary. O(n log n) plus the size of the output (which is
 * larger only when many holders overlap at once: each such segment lists them all).
 */
function segmentsOf(list: Pending[]): Segment[] {
  const starts = [...list].sort((a, b) => a.from - b.from);
  const ends = [...list].sort((a, b) => a.to - b.to);
  const active = new Set<Pending>();
  const out: Segment[] = [];
  let prevKeys: string[] = [];
  let i = 0;
  let j = 0;
  const INF = Number.POSITIVE_INFINITY;
  for (;;) {
    const b = Math.min(starts[i]?.from ?? INF, ends[j]?.to ?? INF);
    if (b === INF) break;
    while (j < ends.length && (ends[j] as Pending).to === b) active.delete(ends[j++] as Pending);
    while (i < starts.length && (starts[i] as Pending).from === b) active.add(starts[i++] as Pending);
    if (active.size === 0) continue;
    const next = Math.min(starts[i]?.from ?? INF, ends[j]?.to ?? INF);
    const now = [...active].sort((x, y) => cmp(x.key, y.key));
    const keys = now.map((p) => p.key);
    const prev = out[out.length - 1];
    if (prev && prev.to === b && keys.length === prevKeys.length && keys.every((k, n) => k === prevKeys[n])) {
      prev.to = next;
      continue;
    }
    out.push({ from: b, to: next, holders: now.map((p) => p.holder) });
    prevKeys = keys;
  }
  return out;
}

function findSegment(segs: readonly Segment[], at: number): Segment | undefined {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = segs[mid] as Segment;
    if (at < s.from) hi = mid - 1;
    else if (at >= s.to) lo = mid + 1;
    else return s;
  }
  return undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The ResourceRef-like text of a holder, for output: `Deployment shop/web (pod shop/web-1)`, `node n1`. */
export function describeHolder(h: AddressHolder): string {
  switch (h.kind) {
    case "pod":
      return `${h.workload.kind} ${h.workload.namespace}/${h.workload.name} (pod ${h.namespace}/${h.name})`;
    case "node":
      return `node ${h.name}`;
    case "service":
      return `Service ${h.namespace}/${h.name}`;
  }
}
