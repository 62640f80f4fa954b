/**
 * Workload facts for enrichment, from inventory snapshots (the latest snapshot showing a workload wins) and
 * remediation records (open vulnerabilities: a record not closed that counts the workload as vulnerable).
 */
import { cmp } from "../findings/index.js";
import type { RemediationRecord } from "../lineage/index.js";
import { workloadUsages } from "../lineage/index.js";
import type { WorkloadRef } from "./attribution.js";
import { type WorkloadFacts, workloadFactsKey } from "./enrich.js";
import type { TimedInventory } from "./snapshots.js";

export interface WorkloadDirectory {
  facts: Map<string, WorkloadFacts>;
  /** `namespace/name` of every pod seen -> its workload. */
  pods: Map<string, WorkloadRef>;
}

export function workloadDirectory(
  snapshots: readonly TimedInventory[],
  records: readonly RemediationRecord[] = [],
): WorkloadDirectory {
  const facts = new Map<string, WorkloadFacts>();
  const pods = new Map<string, WorkloadRef>();
  const vulns = new Map<string, Set<string>>();
  for (const r of records) {
    if (r.state === "closed") continue;
    for (const w of r.workloads) {
      if (!w.present || w.vulnerableReplicas === 0) continue;
      const key = workloadFactsKey({ kind: w.ref.kind, namespace: w.ref.namespace ?? "", name: w.ref.name });
      let set = vulns.get(key);
      if (!set) {
        set = new Set();
        vulns.set(key, set);
      }
      set.add(r.vulnerabilityId);
    }
  }
  for (const snap of [...snapshots].sort((a, b) => a.at - b.at)) {
    const inv = snap.inventory;
    const byKey = new Map(
      inv.workloads.map((w) => [
        workloadFactsKey({ kind: w.ref.kind, namespace: w.ref.namespace ?? "", name: w.ref.name }),
        w,
      ]),
    );
    for (const u of workloadUsages(inv)) {
      const ref: WorkloadRef = { kind: u.ref.kind, namespace: u.ref.namespace ?? "", name: u.ref.name };
      const key = workloadFactsKey(ref);
      const w = byKey.get(key);
      const images = new Set<string>();
      let running = false;
      for (const c of u.containers) {
        if (c.running.length === 0) images.add(c.image);
        for (const r of c.running) {
          images.add(r.digest);
          running = true;
        }
      }
      // A later snapshot without pods (scaled to zero, the pod gone) says nothing new about what ran: the digests
      // an earlier snapshot saw running are kept.
      const earlier = facts.get(key);
      if (!running && earlier && earlier.images.some((i) => i.startsWith("sha256:"))) {
        images.clear();
        for (const i of earlier.images) images.add(i);
      }
      facts.set(key, {
        ref,
        ...(u.cluster === undefined ? {} : { cluster: u.cluster }),
        ...(u.team === undefined ? {} : { team: u.team }),
        images: [...images].sort(cmp),
        vulns: [...(vulns.get(key) ?? [])].sort(cmp),
        exposed: u.exposed,
        labels: { ...(w?.podLabels ?? {}) },
        ...(w ? { serviceAccountName: w.serviceAccountName } : {}),
      });
      if (w) {
        for (const p of w.pods) pods.set(`${p.ref.namespace ?? ""}/${p.ref.name}`, ref);
        if (w.object.ref.kind === "Pod") pods.set(`${ref.namespace}/${ref.name}`, ref);
      }
    }
  }
  return { facts, pods };
}
