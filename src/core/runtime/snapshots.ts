/**
 * Address observations from inventory snapshots taken at different times.
 *
 * A snapshot shows which pod held which address at the instant it was taken. Across a sequence of snapshots a
 * holding runs from the pod's `status.startTime` (or the first snapshot showing it, if later or unknown) to the
 * first later snapshot that no longer shows it; the part after the last snapshot showing it is inferred (see
 * `AddressObservation.lastSeen`). Sources read:
 * - Pods: `status.podIPs[].ip` (dual-stack: one per family) and `status.podIP`; pods in phase Succeeded or Failed
 *   have released their address and are skipped. A `hostNetwork: true` pod's address is its node's
 *   (https://kubernetes.io/docs/concepts/workloads/pods/#pod-networking): it is attributed to the node.
 * - Nodes: `status.addresses` of type InternalIP and ExternalIP.
 * - Services: `spec.clusterIPs` / `spec.clusterIP` (not "None", headless).
 */
import type { CoverageEntry } from "../findings/index.js";
import type { Inventory, KObject } from "../inventory/index.js";
import { appendAll, isRecord } from "../util/index.js";
import type { AddressHolder, AddressObservation, WorkloadRef } from "./attribution.js";
import { holderKey } from "./attribution.js";

/** One inventory and the instant (ms since the epoch) it was taken. */
export interface TimedInventory {
  at: number;
  inventory: Inventory;
  /** Where it came from, for coverage messages. */
  label?: string;
}

interface Held {
  ip: string;
  holder: AddressHolder;
  start?: number;
}

/** Every address held in one inventory, with its holder. */
export function addressesOf(inv: Inventory): { held: Held[]; coverage: CoverageEntry[] } {
  const held: Held[] = [];
  const coverage: CoverageEntry[] = [];
  const workloadOf = new Map<KObject, WorkloadRef>();
  for (const w of inv.workloads) {
    const ref: WorkloadRef = { kind: w.ref.kind, namespace: w.ref.namespace ?? "", name: w.ref.name };
    for (const p of w.pods) workloadOf.set(p, ref);
    if (w.object.ref.kind === "Pod") workloadOf.set(w.object, ref);
  }
  for (const o of inv.objects) {
    if (o.ref.kind !== "Pod") continue;
    const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
    const status = isRecord(o.raw.status) ? o.raw.status : {};
    if (status.phase === "Succeeded" || status.phase === "Failed") continue;
    const ips = podIPs(status);
    if (ips.length === 0) continue;
    const node = typeof spec.nodeName === "string" ? spec.nodeName : undefined;
    const start = typeof status.startTime === "string" ? Date.parse(status.startTime) : Number.NaN;
    const cluster = o.cluster === undefined ? {} : { cluster: o.cluster };
    let holder: AddressHolder;
    if (spec.hostNetwork === true) {
      if (!node) {
        coverage.push({
          reason: "invalid",
          message: `hostNetwork pod ${o.ref.namespace}/${o.ref.name} has no spec.nodeName; its address is not attributed`,
          kind: "Pod",
          namespace: o.ref.namespace,
        });
        continue;
      }
      holder = { kind: "node", ...cluster, name: node };
    } else {
      const ns = o.ref.namespace ?? "";
      const sa = typeof spec.serviceAccountName === "string" ? spec.serviceAccountName : "default";
      holder = {
        kind: "pod",
        ...cluster,
        namespace: ns,
        name: o.ref.name,
        ...(o.uid ? { uid: o.uid } : {}),
        ...(node ? { node } : {}),
        serviceAccountName: sa,
        workload: workloadOf.get(o) ?? { kind: "Pod", namespace: ns, name: o.ref.name },
      };
    }
    for (const ip of ips) held.push({ ip, holder, ...(Number.isFinite(start) ? { start } : {}) });
  }
  for (const n of inv.nodes) {
    const status = isRecord(n.raw.status) ? n.raw.status : {};
    const addrs = Array.isArray(status.addresses) ? status.addresses : [];
    for (const a of addrs)
      if (
        isRecord(a) &&
        (a.type === "InternalIP" || a.type === "ExternalIP") &&
        typeof a.address === "string"
      )
        held.push({
          ip: a.address,
          holder: {
            kind: "node",
            ...(n.cluster === undefined ? {} : { cluster: n.cluster }),
            name: n.ref.name,
          },
        });
  }
  for (const s of inv.services) {
    const spec = isRecord(s.raw.spec) ? s.raw.spec : {};
    const ips = new Set<string>();
    if (Array.isArray(spec.clusterIPs))
      for (const ip of spec.clusterIPs) if (typeof ip === "string") ips.add(ip);
    if (typeof spec.clusterIP === "string") ips.add(spec.clusterIP);
    ips.delete("None");
    ips.delete("");
    const holder: AddressHolder = {
      kind: "service",
      ...(s.cluster === undefined ? {} : { cluster: s.cluster }),
      namespace: s.ref.namespace ?? "",
      name: s.ref.name,
    };
    for (const ip of [...ips].sort()) held.push({ ip, holder });
  }
  return { held, coverage };
}

function podIPs(status: Record<string, unknown>): string[] {
  const out = new Set<string>();
  if (Array.isArray(status.podIPs))
    for (const p of status.podIPs) if (isRecord(p) && typeof p.ip === "string") out.add(p.ip);
  if (typeof status.podIP === "string" && status.podIP !== "") out.add(status.podIP);
  return [...out];
}

/**
 * Observations from snapshots in any order (sorted by time here). A holding seen in snapshots i..j runs from the
 * pod's start time (when it is not after snapshot i) or snapshot i's time, to snapshot j+1's time (exclusive), or
 * stays open when j is the last snapshot; its `lastSeen` is snapshot j's time.
 */
export function observationsFromSnapshots(snapshots: readonly TimedInventory[]): {
  observations: AddressObservation[];
  coverage: CoverageEntry[];
} {
  const sorted = [...snapshots].sort((a, b) => a.at - b.at);
  const coverage: CoverageEntry[] = [];
  const observations: AddressObservation[] = [];
  // open runs: key ip+holder -> observation being extended
  let open = new Map<string, AddressObservation>();
  for (const snap of sorted) {
    const { held, coverage: c } = addressesOf(snap.inventory);
    appendAll(coverage, c);
    const next = new Map<string, AddressObservation>();
    for (const h of held) {
      const key = `${h.ip}\u0000${holderKey(h.holder)}`;
      if (next.has(key)) continue;
      const run = open.get(key);
      if (run) {
        run.lastSeen = snap.at;
        next.set(key, run);
        open.delete(key);
      } else {
        const from = h.start !== undefined && h.start <= snap.at ? h.start : snap.at;
        const o: AddressObservation = { ip: h.ip, holder: h.holder, from, lastSeen: snap.at };
        observations.push(o);
        next.set(key, o);
      }
    }
    // Runs not seen in this snapshot ended before it.
    for (const run of open.values()) run.to = snap.at;
    open = next;
  }
  return { observations, coverage };
}
