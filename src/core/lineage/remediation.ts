import { cmp, type ResourceRef, SEVERITY_RANK, type Severity } from "../findings/index.js";
import type { ImpactIndex } from "./impact.js";
import type { LineageNode, WorkloadUsage } from "./model.js";
import { releaseOrder } from "./release.js";
import { nodeLabel } from "./tree.js";
import { workloadKey } from "./usage.js";
import { vulnIdsOf } from "./vulns.js";

/**
 * Where a (vulnerability, image family) stands. Ordered: each state implies the conditions of the previous ones
 * were met or skipped.
 *  - open: running replicas carry it, no fixed version known;
 *  - fix-available: a fixed package version exists upstream;
 *  - patched-image: a known image of the family no longer carries it;
 *  - deployed: some replicas of an affected workload run a digest without it;
 *  - closed: no running replica carries it.
 */
export type RemediationState = "open" | "fix-available" | "patched-image" | "deployed" | "closed";
export const REMEDIATION_STATES: readonly RemediationState[] = [
  "open",
  "fix-available",
  "patched-image",
  "deployed",
  "closed",
];

/** Most workloads kept per record; totals stay exact beyond it. */
export const MAX_RECORD_WORKLOADS = 500;
/** Most history entries kept per record (oldest dropped first). */
export const MAX_RECORD_HISTORY = 100;

/** A workload affected by a (vulnerability, family) in one observation. */
export interface ObservedWorkload {
  key: string;
  ref: ResourceRef;
  cluster?: string | undefined;
  team?: string | undefined;
  replicas: number;
  vulnerableReplicas: number;
}

/** What one inventory shows for one (vulnerability, family). */
export interface ObservedRemediation {
  key: string;
  vulnerabilityId: string;
  aliases: string[];
  /** The fix node's repository (`registry/repository`), or its digest when it has no name. */
  family: string;
  severity: Severity;
  package: string;
  fixedVersions: string[];
  /** Image where the fix belongs. */
  fixImage: string;
  /** Known images of the family that no longer carry the vulnerability. */
  patchedImages: string[];
  workloads: ObservedWorkload[];
}

/**
 * Where an observation looked. `"all"`: the caller vouches that it saw every workload of every cluster it knows.
 * Otherwise the places read: a workload tracked by a record is observed only when its cluster, its namespace and
 * its kind are all in the scope; a workload outside it keeps what the last observation that covered it said.
 */
export type ObservationScope =
  | "all"
  | {
      /** Clusters read (`""` for objects with no cluster name). */
      clusters: string[];
      /** Namespaces read, as `cluster/namespace`. */
      namespaces: string[];
      /** Kinds read (workload kinds such as Deployment, and Pod). */
      kinds: string[];
    };

/** One observation of the fleet: affected (vulnerability, family) pairs plus current replicas of every workload. */
export interface RemediationObservation {
  remediations: ObservedRemediation[];
  /** Workload key -> current replicas, for every workload observed (affected or not). */
  replicas: Record<string, number>;
  /** Where it looked; absent means `"all"`. */
  scope?: ObservationScope | undefined;
}

/** Whether a workload of a record lies inside an observation's scope. */
export function inObservationScope(
  scope: ObservationScope | undefined,
  w: { ref: ResourceRef; cluster?: string | undefined },
): boolean {
  if (scope === undefined || scope === "all") return true;
  const cluster = w.cluster ?? "";
  return (
    scope.clusters.includes(cluster) &&
    scope.namespaces.includes(`${cluster}/${w.ref.namespace ?? ""}`) &&
    scope.kinds.includes(w.ref.kind)
  );
}

/** A workload tracked by a record: N of M replicas run a fixed digest. */
export interface RecordWorkload {
  key: string;
  ref: ResourceRef;
  cluster?: string | undefined;
  team?: string | undefined;
  replicas: number;
  vulnerableReplicas: number;
  fixedReplicas: number;
  /** False when the workload is absent from the latest observation (deleted, or outside the snapshot). */
  present: boolean;
}

/**
 * Where one cluster's part of a record stands: `vulnerable` (no replica runs a fixed digest yet), `rolling-out`
 * (some do, some still run the vulnerable one), `fixed` (none runs the vulnerable one).
 */
export type RolloutState = "vulnerable" | "rolling-out" | "fixed";

/** One cluster's rollout of a record's fix: N of M replicas of its affected workloads run a fixed digest. */
export interface ClusterRollout {
  /** The cluster; `""` for workloads of no named cluster (manifests or snapshots given to the CLI). */
  cluster: string;
  workloads: number;
  replicas: number;
  vulnerableReplicas: number;
  fixedReplicas: number;
  state: RolloutState;
}

/**
 * The rollout per cluster of a record's workloads, sorted by cluster. A record is one per (vulnerability, image
 * family) whatever the cluster: the same vulnerable digest running in three clusters is one record whose fix rolls
 * out three times.
 */
export function clusterRollouts(workloads: readonly RecordWorkload[]): ClusterRollout[] {
  const by = new Map<string, ClusterRollout>();
  for (const w of workloads) {
    const cluster = w.cluster ?? "";
    let r = by.get(cluster);
    if (!r) {
      r = { cluster, workloads: 0, replicas: 0, vulnerableReplicas: 0, fixedReplicas: 0, state: "fixed" };
      by.set(cluster, r);
    }
    r.workloads++;
    r.replicas += w.replicas;
    r.vulnerableReplicas += w.vulnerableReplicas;
    r.fixedReplicas += w.fixedReplicas;
  }
  const out = [...by.values()].sort((a, b) => cmp(a.cluster, b.cluster));
  for (const r of out)
    r.state = r.vulnerableReplicas === 0 ? "fixed" : r.fixedReplicas > 0 ? "rolling-out" : "vulnerable";
  return out;
}

/** The remediation record of one (vulnerability, image family). Times are ISO-8601 from the injected clock. */
export interface RemediationRecord {
  key: string;
  vulnerabilityId: string;
  aliases: string[];
  family: string;
  severity: Severity;
  package: string;
  fixedVersions: string[];
  fixImage: string;
  state: RemediationState;
  openedAt: string;
  updatedAt: string;
  stateSince: string;
  fixAvailableAt?: string | undefined;
  patchedAt?: string | undefined;
  deployedAt?: string | undefined;
  closedAt?: string | undefined;
  reopenedAt?: string | undefined;
  reopenCount: number;
  /** Seconds from opened to closed, set when closed. */
  timeToFixSeconds?: number | undefined;
  patchedImages: string[];
  /** Over every cluster (exact, even when `workloads` is cut at {@link MAX_RECORD_WORKLOADS}). */
  totals: { workloads: number; replicas: number; vulnerableReplicas: number; fixedReplicas: number };
  /** Per cluster, sorted by cluster (exact, as `totals`). */
  rollouts: ClusterRollout[];
  workloads: RecordWorkload[];
  history: { state: RemediationState; at: string }[];
}

export interface Transition {
  key: string;
  from?: RemediationState | undefined;
  to: RemediationState;
  at: string;
  reopened: boolean;
}

/** Record key of a (vulnerability, family). */
export function remediationKey(vulnerabilityId: string, family: string): string {
  return `${vulnerabilityId}|${family}`;
}

/**
 * Derive the observation from an impact index: per (vulnerability, family of its fix node), the workloads whose
 * running replicas carry it and the family's known images that no longer do.
 */
export function observeRemediation(index: ImpactIndex, scope?: ObservationScope): RemediationObservation {
  const { lineage, vulns } = index;
  const familyOf = (n: LineageNode): string => n.repositories[0] ?? n.id;
  const byRepo = new Map<string, string[]>();
  for (const id of lineage.order) {
    const n = lineage.nodes.get(id) as LineageNode;
    const l = byRepo.get(familyOf(n)) ?? [];
    l.push(id);
    byRepo.set(familyOf(n), l);
  }
  const vulnIdCache = new Map<string, Set<string>>();
  const idsOf = (n: string): Set<string> => {
    let s = vulnIdCache.get(n);
    if (!s) {
      s = vulnIdsOf(vulns, n);
      vulnIdCache.set(n, s);
    }
    return s;
  };
  const remediations: ObservedRemediation[] = [];
  for (const [id, occ] of [...index.occurrences].sort((a, b) => cmp(a[0], b[0]))) {
    const groups = new Map<string, { nodes: Set<string>; occ: typeof occ }>();
    for (const o of occ) {
      const fam = familyOf(lineage.nodes.get(o.vuln.fixNode) as LineageNode);
      const g = groups.get(fam) ?? { nodes: new Set<string>(), occ: [] };
      g.nodes.add(o.node);
      g.occ.push(o);
      groups.set(fam, g);
    }
    for (const [family, g] of [...groups].sort((a, b) => cmp(a[0], b[0]))) {
      const vulnerable = new Map<number, number>();
      for (const n of g.nodes)
        for (const u of index.nodeUses.get(n) ?? [])
          vulnerable.set(u.workload, (vulnerable.get(u.workload) ?? 0) + u.replicas);
      if (vulnerable.size === 0) continue; // carried by images nobody runs: visible in the tree and plan, no record
      const first = g.occ[0]?.vuln;
      if (!first) continue;
      const fixNode = lineage.nodes.get(first.fixNode) as LineageNode;
      let severity = first.severity;
      const fixed = new Set<string>();
      const aliases = new Set<string>();
      const packages = new Set<string>();
      for (const o of g.occ) {
        if (SEVERITY_RANK[o.vuln.severity] > SEVERITY_RANK[severity]) severity = o.vuln.severity;
        for (const v of o.vuln.fixedVersions) fixed.add(v);
        for (const a of o.vuln.aliases) aliases.add(a);
        packages.add(o.vuln.package);
      }
      // A patched image is a later release of the family (by tag scheme, else creation time) without the
      // vulnerability: an older tag or an unrelated variant that happens to lack it patches nothing.
      const patchedImages = (byRepo.get(family) ?? [])
        .filter(
          (n) =>
            !idsOf(n).has(id) &&
            (releaseOrder(lineage, fixNode, lineage.nodes.get(n) as LineageNode, family) ?? 0) > 0,
        )
        .map((n) => nodeLabel(lineage.nodes.get(n) as LineageNode))
        .sort(cmp);
      const workloads: ObservedWorkload[] = [...vulnerable]
        .sort((a, b) => a[0] - b[0])
        .map(([wi, vr]) => {
          const w = index.workloads[wi] as WorkloadUsage;
          const ow: ObservedWorkload = {
            key: workloadKey(w.ref, w.cluster),
            ref: w.ref,
            replicas: w.replicas,
            vulnerableReplicas: Math.min(vr, w.replicas),
          };
          if (w.cluster !== undefined) ow.cluster = w.cluster;
          if (w.team !== undefined) ow.team = w.team;
          return ow;
        });
      remediations.push({
        key: remediationKey(id, family),
        vulnerabilityId: id,
        aliases: [...aliases].sort(cmp),
        family,
        severity,
        package: [...packages].sort(cmp).join(", "),
        fixedVersions: [...fixed].sort(cmp),
        fixImage: nodeLabel(fixNode),
        patchedImages,
        workloads,
      });
    }
  }
  const replicas: Record<string, number> = {};
  for (const w of index.workloads) replicas[workloadKey(w.ref, w.cluster)] = w.replicas;
  return scope === undefined ? { remediations, replicas } : { remediations, replicas, scope };
}

/**
 * The state a record reaches. It closes only when no tracked workload still runs the vulnerability: a workload
 * outside the observation's scope keeps its earlier vulnerable replicas, so a snapshot of one namespace never
 * closes a record whose workloads live elsewhere.
 */
function deriveState(
  o: ObservedRemediation | undefined,
  prev: RemediationRecord | undefined,
  workloads: RecordWorkload[],
): RemediationState {
  const stillVulnerable =
    workloads.some((w) => w.vulnerableReplicas > 0) ||
    (o?.workloads ?? []).some((w) => w.vulnerableReplicas > 0);
  if (!stillVulnerable) return "closed";
  if (workloads.some((w) => w.fixedReplicas > 0)) return "deployed";
  if ((o?.patchedImages ?? prev?.patchedImages ?? []).length > 0) return "patched-image";
  if ((o?.fixedVersions ?? prev?.fixedVersions ?? []).length > 0) return "fix-available";
  return "open";
}

function mergeWorkloads(
  prev: readonly RecordWorkload[],
  o: ObservedRemediation | undefined,
  replicas: Readonly<Record<string, number>>,
  scope: ObservationScope | undefined,
): { list: RecordWorkload[]; totals: RemediationRecord["totals"]; rollouts: ClusterRollout[] } {
  const map = new Map<string, RecordWorkload>();
  // Workloads affected earlier stay tracked: their replicas now run a fixed digest, or they are gone. One the
  // observation did not look at (another namespace, cluster or kind) stays as last seen.
  for (const w of prev) {
    if (!Object.hasOwn(replicas, w.key) && !inObservationScope(scope, w)) {
      map.set(w.key, w);
      continue;
    }
    const present = Object.hasOwn(replicas, w.key);
    const r = present ? (replicas[w.key] as number) : 0;
    map.set(w.key, { ...w, replicas: r, vulnerableReplicas: 0, fixedReplicas: r, present });
  }
  for (const w of o?.workloads ?? []) {
    const rw: RecordWorkload = {
      key: w.key,
      ref: w.ref,
      replicas: w.replicas,
      vulnerableReplicas: w.vulnerableReplicas,
      fixedReplicas: Math.max(0, w.replicas - w.vulnerableReplicas),
      present: true,
    };
    if (w.cluster !== undefined) rw.cluster = w.cluster;
    if (w.team !== undefined) rw.team = w.team;
    map.set(w.key, rw);
  }
  const all = [...map.values()].sort((a, b) => cmp(a.key, b.key));
  const totals = { workloads: all.length, replicas: 0, vulnerableReplicas: 0, fixedReplicas: 0 };
  for (const w of all) {
    totals.replicas += w.replicas;
    totals.vulnerableReplicas += w.vulnerableReplicas;
    totals.fixedReplicas += w.fixedReplicas;
  }
  // Keep the still-vulnerable workloads first when truncating: they are what needs doing.
  const kept =
    all.length > MAX_RECORD_WORKLOADS
      ? [...all.filter((w) => w.vulnerableReplicas > 0), ...all.filter((w) => w.vulnerableReplicas === 0)]
          .slice(0, MAX_RECORD_WORKLOADS)
          .sort((a, b) => cmp(a.key, b.key))
      : all;
  return { list: kept, totals, rollouts: clusterRollouts(all) };
}

/**
 * The remediation reducer: fold one observation (one inventory at time `now`) into the records. Pure.
 * New (vulnerability, family) pairs open a record; a record whose pair no longer runs anywhere closes by itself;
 * a closed record whose vulnerability runs again reopens. Milestone times are set once, when first reached.
 */
export function advance(
  records: readonly RemediationRecord[],
  observation: RemediationObservation,
  now: Date,
): { records: RemediationRecord[]; transitions: Transition[] } {
  const at = now.toISOString();
  const observed = new Map(observation.remediations.map((o) => [o.key, o]));
  const prevByKey = new Map(records.map((r) => [r.key, r]));
  const keys = [...new Set([...prevByKey.keys(), ...observed.keys()])].sort(cmp);
  const out: RemediationRecord[] = [];
  const transitions: Transition[] = [];
  for (const key of keys) {
    const prev = prevByKey.get(key);
    const o = observed.get(key);
    if (!o && prev?.state === "closed") {
      out.push(prev);
      continue;
    }
    const { list, totals, rollouts } = mergeWorkloads(
      prev?.workloads ?? [],
      o,
      observation.replicas,
      observation.scope,
    );
    const state = deriveState(o, prev, list);
    const rec: RemediationRecord = prev
      ? { ...prev, workloads: list, totals, rollouts, history: [...prev.history] }
      : {
          key,
          vulnerabilityId: o?.vulnerabilityId ?? key,
          aliases: [],
          family: o?.family ?? "",
          severity: o?.severity ?? "info",
          package: o?.package ?? "",
          fixedVersions: [],
          fixImage: o?.fixImage ?? "",
          state,
          openedAt: at,
          updatedAt: at,
          stateSince: at,
          reopenCount: 0,
          patchedImages: [],
          totals,
          rollouts,
          workloads: list,
          history: [],
        };
    if (o) {
      rec.aliases = o.aliases;
      rec.severity = o.severity;
      rec.package = o.package;
      rec.fixedVersions = o.fixedVersions;
      rec.fixImage = o.fixImage;
      rec.patchedImages = o.patchedImages;
    }
    rec.updatedAt = at;
    const reopened = prev?.state === "closed" && state !== "closed";
    if (!prev || prev.state !== state) {
      rec.state = state;
      rec.stateSince = at;
      rec.history.push({ state, at });
      if (rec.history.length > MAX_RECORD_HISTORY)
        rec.history.splice(0, rec.history.length - MAX_RECORD_HISTORY);
      transitions.push({ key, ...(prev ? { from: prev.state } : {}), to: state, at, reopened });
    }
    if (reopened) {
      rec.reopenCount++;
      rec.reopenedAt = at;
      rec.closedAt = undefined;
      rec.timeToFixSeconds = undefined;
    }
    if (rec.fixAvailableAt === undefined && rec.fixedVersions.length > 0) rec.fixAvailableAt = at;
    if (rec.patchedAt === undefined && rec.patchedImages.length > 0) rec.patchedAt = at;
    if (
      rec.deployedAt === undefined &&
      (state === "deployed" || (state === "closed" && totals.fixedReplicas > 0))
    )
      rec.deployedAt = at;
    if (state === "closed" && rec.closedAt === undefined) {
      rec.closedAt = at;
      rec.timeToFixSeconds = Math.round((now.getTime() - Date.parse(rec.openedAt)) / 1000);
    }
    out.push(dropUndefined(rec));
  }
  return { records: out, transitions };
}

function dropUndefined(r: RemediationRecord): RemediationRecord {
  const o = { ...r } as Record<string, unknown>;
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o as unknown as RemediationRecord;
}
