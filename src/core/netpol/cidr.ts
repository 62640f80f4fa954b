/**
 * IP address and CIDR algebra over bigints, for NetworkPolicy `ipBlock` peers.
 *
 * Parsing follows Go's `net.ParseCIDR` as used by Kubernetes' `ValidateIPBlock` (pkg/apis/networking/validation):
 * host bits after the prefix are allowed and masked away, IPv4 octets may carry leading zeros and are read as
 * decimal ("sloppy" parsing, k8s.io/utils/net ParseCIDRSloppy), and IPv4 and IPv6 are separate address families
 * (an IPv4-mapped IPv6 CIDR is IPv6).
 */

/** Address family. */
export type IpFamily = 4 | 6;

/** An inclusive address range inside one family. */
export interface IpRange {
  family: IpFamily;
  start: bigint;
  end: bigint;
}

/** A parsed CIDR: its network range and prefix length. */
export interface Cidr extends IpRange {
  prefix: number;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

/** Largest address of a family. */
export function maxAddress(family: IpFamily): bigint {
  return (1n << BigInt(BITS[family])) - 1n;
}

/** Parse a dotted-quad IPv4 address; undefined when invalid. */
export function parseIPv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Decimal digits only: Go rejects hex/octal forms; leading zeros are read as decimal by the sloppy parser.
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

/** Parse an IPv6 address (with `::` compression and an optional trailing dotted IPv4); no zone ids. */
export function parseIPv6(s: string): bigint | undefined {
  if (s.length === 0 || s.length > 45 || s.includes("%")) return undefined;
  let head = s;
  let tailV4: bigint | undefined;
  const lastColon = s.lastIndexOf(":");
  if (s.indexOf(".", lastColon) !== -1) {
    tailV4 = parseIPv4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    // The dotted tail stands for the last two 16-bit groups.
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.indexOf("::");
  if (dbl !== -1 && head.indexOf("::", dbl + 1) !== -1) return undefined;
  const parseGroups = (t: string): number[] | undefined => {
    if (t === "") return [];
    const out: number[] = [];
    for (const g of t.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl === -1) {
    const g = parseGroups(head);
    if (g?.length !== 8) return undefined;
    groups = g;
  } else {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right || left.length + right.length > 7) return undefined;
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/** Parse `addr/prefix`. Host bits are masked, as Go's ParseCIDR returns the network. */
export function parseCidr(s: string): Cidr | undefined {
  if (typeof s !== "string") return undefined;
  const slash = s.indexOf("/");
  if (slash === -1 || s.indexOf("/", slash + 1) !== -1) return undefined;
  const addr = s.slice(0, slash);
  const pfx = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(pfx)) return undefined;
  const prefix = Number(pfx);
  const family: IpFamily = addr.includes(":") ? 6 : 4;
  const v = family === 4 ? parseIPv4(addr) : parseIPv6(addr);
  if (v === undefined || prefix > BITS[family]) return undefined;
  const hostBits = BigInt(BITS[family] - prefix);
  const start = (v >> hostBits) << hostBits;
  const end = start + (1n << hostBits) - 1n;
  return { family, start, end, prefix };
}

/** Format an address: dotted quad, or RFC 5952 canonical IPv6 (lower case, longest zero run compressed). */
export function formatAddress(family: IpFamily, v: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 4.2.2: a single zero group is not compressed.
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** `start-end` text of a range, as used in connectivity output. */
export function formatRange(r: IpRange): string {
  return `${formatAddress(r.family, r.start)}-${formatAddress(r.family, r.end)}`;
}

/** Parse `start-end` back into a range (both ends in one family, start <= end). */
export function parseRange(s: string): IpRange | undefined {
  const dash = s.indexOf("-");
  if (dash === -1) return undefined;
  const a = s.slice(0, dash);
  const b = s.slice(dash + 1);
  const family: IpFamily = a.includes(":") ? 6 : 4;
  const parse = family === 4 ? parseIPv4 : parseIPv6;
  const start = parse(a);
  const end = parse(b);
  if (start === undefined || end === undefined || b.includes(":") !== (family === 6) || start > end)
    return undefined;
  return { family, start, end };
}

/** Whether `inner` lies entirely inside `outer`. */
export function rangeContains(outer: IpRange, inner: IpRange): boolean {
  return outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
}

/** Numeric order of addresses (bigints: subtraction would not give a number). */
export function compareAddresses(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compare ranges: IPv4 before IPv6, then by start, then by end. */
export function compareRanges(a: IpRange, b: IpRange): number {
  return a.family - b.family || compareAddresses(a.start, b.start) || compareAddresses(a.end, b.end);
}

/**
 * The disjoint ranges induced by a set of boundary ranges: every address of both families is in exactly one
 * output range, and every input range is a union of output ranges. Sorted by {@link compareRanges}.
 */
export function partitionAddressSpace(ranges: Iterable<IpRange>): IpRange[] {
  const cuts: Record<IpFamily, Set<bigint>> = { 4: new Set([0n]), 6: new Set([0n]) };
  for (const r of ranges) {
    cuts[r.family].add(r.start);
    if (r.end < maxAddress(r.family)) cuts[r.family].add(r.end + 1n);
  }
  const out: IpRange[] = [];
  for (const family of [4, 6] as const) {
    const sorted = [...cuts[family]].sort(compareAddresses);
    for (let i = 0; i < sorted.length; i++) {
      const start = sorted[i] as bigint;
      const next = sorted[i + 1];
      out.push({ family, start, end: next === undefined ? maxAddress(family) : next - 1n });
    }
  }
  return out;
}

/**
 * Indices `[first, last]` of the partition ranges covered by `r`, found by binary search. `r` must be a union of
 * partition ranges (true for every range that contributed boundaries).
 */
export function coveredSpan(partition: readonly IpRange[], r: IpRange): [number, number] {
  return [indexOfAddress(partition, r.family, r.start), indexOfAddress(partition, r.family, r.end)];
}

/** Index of the partition range holding an address, by binary search; -1 if none. */
export function indexOfAddress(partition: readonly IpRange[], family: IpFamily, addr: bigint): number {
  let lo = 0;
  let hi = partition.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = partition[mid] as IpRange;
    if (p.family < family || (p.family === family && p.end < addr)) lo = mid + 1;
    else if (p.family > family || p.start > addr) hi = mid - 1;
    else return mid;
  }
  return -1;
}
