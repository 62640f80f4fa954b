/**
 * Pod addresses and their relation to NetworkPolicy `ipBlock` peers.
 *
 * The concepts page (https://kubernetes.io/docs/concepts/services-networking/network-policies/, "ipBlock") says
 * ipBlock ranges "should be cluster-external IPs, since Pod IPs are ephemeral and unpredictable", and leaves open
 * whether an ipBlock matches traffic from or to pods. Plugins differ: Cilium applies CIDR rules to peers that are
 * not Cilium endpoints (https://docs.cilium.io/en/latest/security/policy/layer3/, "IP/CIDR based"), while plugins
 * that match on packet addresses apply the cidr to pod IPs too. This module gives the analysis what it needs to
 * answer the question both ways: which addresses a workload's pods may hold, and whether an ipBlock matches them.
 */
import type { CoverageEntry } from "../findings/index.js";
import type { KObject, Workload } from "../inventory/index.js";
import { isRecord } from "../util/index.js";
import { type Cidr, compareAddresses, type IpRange, parseCidr, parseIPv4, parseIPv6 } from "./cidr.js";

/** Options shared by the connectivity analysis and the findings about ipBlock peers and pod IPs. */
export interface IpBlockPodOptions {
  /**
   * Whether an ipBlock peer also matches pods whose IPs fall inside its cidr and outside its excepts. Default
   * false: ipBlocks match cluster-external addresses only (the model the concepts page recommends writing policies
   * for). True is the conservative choice for plugins that match pod IPs against ipBlocks: it never reports less
   * connectivity than the default.
   */
  ipBlockMatchesPods?: boolean;
  /**
   * Pod network CIDRs (cluster `--cluster-cidr`, both families for dual-stack). Every pod may hold any address in
   * them, in addition to the pod IPs seen in the inventory's pod status. Needed for manifests without pod status.
   */
  podCidrs?: readonly string[];
}

/** A parsed pod CIDR with its text as given. */
export interface PodCidr {
  cidr: Cidr;
  text: string;
}

/** The cidr and excepts of an ipBlock peer. */
export interface IpBlockLike {
  cidr: IpRange;
  except: readonly IpRange[];
}

/** Pod IPs read per workload at most; past it the rest are ignored and coverage says so. */
export const MAX_POD_ADDRESSES = 4096;

/** Parse pod CIDRs; invalid ones become coverage and are left out. */
export function parsePodCidrs(list: readonly string[] = []): { cidrs: PodCidr[]; coverage: CoverageEntry[] } {
  const cidrs: PodCidr[] = [];
  const coverage: CoverageEntry[] = [];
  for (const text of list) {
    const cidr = typeof text === "string" ? parseCidr(text) : undefined;
    if (cidr) cidrs.push({ cidr, text });
    else
      coverage.push({
        reason: "invalid",
        message: `pod CIDR ${JSON.stringify(text)} is not a valid CIDR and was ignored`,
        kind: "NetworkPolicy",
      });
  }
  return { cidrs, coverage };
}

function parseAddress(s: unknown): IpRange | undefined {
  if (typeof s !== "string" || s.length > 45) return undefined;
  const family = s.includes(":") ? 6 : 4;
  const v = family === 4 ? parseIPv4(s) : parseIPv6(s);
  return v === undefined ? undefined : { family, start: v, end: v };
}

/**
 * The pod IPs of a pod object's status: `status.podIPs[].ip` and `status.podIP` (the first of podIPs, kept for
 * older snapshots). Pods that have terminated (phase Succeeded or Failed) are skipped: their IP is released and may
 * belong to another pod now. Read defensively: anything that is not a valid address is ignored.
 */
function podStatusAddresses(pod: KObject, out: Map<string, IpRange>): void {
  const status = pod.raw.status;
  if (!isRecord(status)) return;
  if (status.phase === "Succeeded" || status.phase === "Failed") return;
  const add = (v: unknown): void => {
    const r = parseAddress(v);
    if (r) out.set(`${r.family}:${r.start}`, r);
  };
  add(status.podIP);
  if (Array.isArray(status.podIPs)) for (const p of status.podIPs.slice(0, 8)) if (isRecord(p)) add(p.ip);
}

const NO_ADDRESSES: readonly IpRange[] = Object.freeze([]);

/**
 * Addresses seen on a workload's running pods (a bare Pod is its own pod), sorted, at most
 * {@link MAX_POD_ADDRESSES}; `truncated` says the budget was hit.
 */
export function observedPodAddresses(w: Workload): { addresses: readonly IpRange[]; truncated: boolean } {
  const found = new Map<string, IpRange>();
  const pods = w.kind === "Pod" ? [w.object, ...w.pods] : w.pods;
  let truncated = false;
  for (const p of pods) {
    if (found.size >= MAX_POD_ADDRESSES) {
      truncated = true;
      break;
    }
    podStatusAddresses(p, found);
  }
  // Most workloads of a large snapshot have no pod status to read: one shared empty list for them all.
  if (found.size === 0) return { addresses: NO_ADDRESSES, truncated };
  const addresses = [...found.values()].sort(
    (a, b) => a.family - b.family || compareAddresses(a.start, b.start),
  );
  return { addresses: addresses.slice(0, MAX_POD_ADDRESSES), truncated };
}

// Math.max/min throw on bigints.
const bigMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const bigMin = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Whether the union of `covers` contains every address of `r` (covers in r's family only count). */
export function rangeCovered(r: IpRange, covers: readonly IpRange[]): boolean {
  const list = covers
    .filter((c) => c.family === r.family && c.end >= r.start && c.start <= r.end)
    .sort((a, b) => compareAddresses(a.start, b.start));
  let next = r.start;
  for (const c of list) {
    if (c.start > next) return false;
    if (c.end >= next) next = c.end + 1n;
    if (next > r.end) return true;
  }
  return next > r.end;
}

/**
 * Whether an ipBlock matches some address of a set: some address lies in the cidr and in no except. With a pod
 * CIDR in the set this is "the ipBlock overlaps the pod network once its excepts are carved out".
 */
export function ipBlockMatchesAny(block: IpBlockLike, addresses: readonly IpRange[]): boolean {
  for (const a of addresses) {
    if (a.family !== block.cidr.family) continue;
    const start = bigMax(a.start, block.cidr.start);
    const end = bigMin(a.end, block.cidr.end);
    if (start > end) continue;
    if (!rangeCovered({ family: a.family, start, end }, block.except)) return true;
  }
  return false;
}

/** Coverage for workloads whose pod addresses are unknown while ipBlock peers exist. */
export function unknownAddressCoverage(names: readonly string[], consequence: string): CoverageEntry {
  return {
    reason: "not-evaluated",
    message: `whether ipBlock peers match pods could not be evaluated for ${names.length} workload(s) with no known pod IP (no running pod with status.podIP in the input) and no pod CIDR given: ${consequence}: ${names.slice(0, 10).join(", ")}${names.length > 10 ? ", ..." : ""}`,
    kind: "NetworkPolicy",
  };
}

/** Coverage for workloads with more pod IPs than {@link MAX_POD_ADDRESSES}. */
export function truncatedAddressCoverage(names: readonly string[]): CoverageEntry {
  return {
    reason: "limit",
    message: `only the first ${MAX_POD_ADDRESSES} pod IPs were read for ${names.length} workload(s): ${names.slice(0, 10).join(", ")}${names.length > 10 ? ", ..." : ""}`,
    kind: "NetworkPolicy",
  };
}
