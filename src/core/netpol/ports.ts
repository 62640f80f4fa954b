/**
 * Port interval sets and connection sets.
 *
 * A connection set says which traffic is allowed between two endpoints: either every protocol and port ("all",
 * which includes protocols without ports such as ICMP: a NetworkPolicy rule without `ports` matches all traffic),
 * or per protocol (TCP, UDP, SCTP — the protocols NetworkPolicyPort accepts) a set of port intervals.
 */

/** Protocols a NetworkPolicyPort may name (networking/v1 ValidateNetworkPolicyPort). */
export type Protocol = "TCP" | "UDP" | "SCTP";
export const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

/** Lowest and highest valid port numbers (validation.IsValidPortNum: 1..65535). */
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** Sorted, disjoint, non-adjacent inclusive intervals. */
export type IntervalSet = readonly (readonly [number, number])[];

/** Normalise any list of intervals into canonical form (sorted, merged when overlapping or adjacent). */
export function normalizeIntervals(list: Iterable<readonly [number, number]>): IntervalSet {
  const sorted = [...list].filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function unionIntervals(a: IntervalSet, b: IntervalSet): IntervalSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return normalizeIntervals([...a, ...b]);
}

export function intersectIntervals(a: IntervalSet, b: IntervalSet): IntervalSet {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as readonly [number, number];
    const y = b[j] as readonly [number, number];
    const lo = Math.max(x[0], y[0]);
    const hi = Math.min(x[1], y[1]);
    if (lo <= hi) out.push([lo, hi]);
    if (x[1] < y[1]) i++;
    else j++;
  }
  return out;
}

export function intervalsEqual(a: IntervalSet, b: IntervalSet): boolean {
  return a.length === b.length && a.every((x, i) => x[0] === b[i]?.[0] && x[1] === b[i]?.[1]);
}

/** Allowed traffic between two endpoints. */
export type ConnSet =
  | { readonly all: true }
  | { readonly all: false; readonly ports: Readonly<Record<Protocol, IntervalSet>> };

export const CONN_ALL: ConnSet = { all: true };
export const CONN_NONE: ConnSet = { all: false, ports: { TCP: [], UDP: [], SCTP: [] } };

/** A connection set allowing the given intervals on one protocol. */
export function connOf(protocol: Protocol, intervals: IntervalSet): ConnSet {
  const ports: Record<Protocol, IntervalSet> = { TCP: [], UDP: [], SCTP: [] };
  ports[protocol] = normalizeIntervals(intervals);
  return { all: false, ports };
}

export function connIsEmpty(c: ConnSet): boolean {
  return !c.all && PROTOCOLS.every((p) => c.ports[p].length === 0);
}

export function connUnion(a: ConnSet, b: ConnSet): ConnSet {
  if (a.all) return a;
  if (b.all) return b;
  if (connIsEmpty(a)) return b;
  if (connIsEmpty(b)) return a;
  return {
    all: false,
    ports: {
      TCP: unionIntervals(a.ports.TCP, b.ports.TCP),
      UDP: unionIntervals(a.ports.UDP, b.ports.UDP),
      SCTP: unionIntervals(a.ports.SCTP, b.ports.SCTP),
    },
  };
}

export function connIntersect(a: ConnSet, b: ConnSet): ConnSet {
  if (a.all) return b;
  if (b.all) return a;
  return {
    all: false,
    ports: {
      TCP: intersectIntervals(a.ports.TCP, b.ports.TCP),
      UDP: intersectIntervals(a.ports.UDP, b.ports.UDP),
      SCTP: intersectIntervals(a.ports.SCTP, b.ports.SCTP),
    },
  };
}

export function connEquals(a: ConnSet, b: ConnSet): boolean {
  if (a.all || b.all) return a.all === b.all;
  return PROTOCOLS.every((p) => intervalsEqual(a.ports[p], b.ports[p]));
}

/** JSON form: "all", or per non-empty protocol (TCP, UDP, SCTP order) its port intervals. */
export type ConnectionsJson = "all" | { protocol: Protocol; ports: [number, number][] }[];

export function connToJson(c: ConnSet): ConnectionsJson {
  if (c.all) return "all";
  const out: { protocol: Protocol; ports: [number, number][] }[] = [];
  for (const p of PROTOCOLS) {
    const iv = c.ports[p];
    if (iv.length > 0) out.push({ protocol: p, ports: iv.map(([a, b]) => [a, b]) });
  }
  return out;
}

/** Inverse of {@link connToJson} (used by diff over serialised results). */
export function connFromJson(j: ConnectionsJson): ConnSet {
  if (j === "all") return CONN_ALL;
  let out: ConnSet = CONN_NONE;
  for (const e of j) out = connUnion(out, connOf(e.protocol, e.ports));
  return out;
}

/** Short text: `all`, or `TCP:80,8000-8080 UDP:53`. */
export function formatConn(c: ConnSet): string {
  if (c.all) return "all";
  const parts: string[] = [];
  for (const p of PROTOCOLS) {
    const iv = c.ports[p];
    if (iv.length === 0) continue;
    parts.push(`${p}:${iv.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",")}`);
  }
  return parts.length === 0 ? "none" : parts.join(" ");
}
