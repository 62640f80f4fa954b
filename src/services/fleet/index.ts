/**
 * Use cases of the server's read API over what the stores hold: the current state of every cluster (the object
 * versions valid now, from the inventory history), joined with the known images and advisories. Each answer is
 * narrowed to a scope (cluster, namespace, team), so a team's view is computed from its own workloads and never
 * carries another team's. The stores and the clock are the caller's; answers are values the caller pages and
 * formats.
 */
import type { ObjectVersion, Stores } from "../../adapters/store/ports.js";
import type { Budget } from "../../core/budget/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import {
  type CoverageEntry,
  cmp,
  type ResourceRef,
  SEVERITY_RANK,
  type Severity,
} from "../../core/findings/index.js";
import { buildInventory, type Inventory, type RawObject } from "../../core/inventory/index.js";
import {
  buildImpactIndex,
  buildPlan,
  type ClusterImpact,
  clusterRollouts,
  type ImpactAnswer,
  type ImpactIndex,
  impact,
  impactByCluster,
  type NodeCounts,
  nodeLabel,
  type RemediationPlan,
  type RemediationRecord,
  type TreeJson,
  treeJson,
  type WorkloadUsage,
  workloadUsages,
} from "../../core/lineage/index.js";
import type { Connectivity, Endpoint } from "../../core/netpol/index.js";
import type { EscalationPath } from "../../core/rbac/index.js";
import { appendAll } from "../../core/util/index.js";
import { type InventoryReaders, loadInventory } from "../inventory/index.js";
import { type LineageState, loadLineageState } from "../lineage/index.js";
import { netpolConnectivity } from "../netpol/index.js";
import { assumedRbacDefaults, rbacEscalationPaths } from "../rbac/index.js";

export type FleetStores = Pick<Stores, "location" | "images" | "vulns" | "snapshots" | "remediation">;

/** Who and what an answer is narrowed to; absent fields do not narrow. */
export interface FleetScope {
  cluster?: string | undefined;
  namespace?: string | undefined;
  team?: string | undefined;
}

/** Source names of stored clusters, as the inventory service sees them. */
const SOURCE_PREFIX = "stored-cluster:";

/**
 * A snapshots reader over the inventory history: source `stored-cluster:NAME` reads the object versions of
 * cluster NAME valid at `at`, marked with their cluster, charged to the run's object budget. `"by-key"`: every
 * version read, then returned sorted by key. `"as-read"`: each handed to the inventory's sink as the store reads
 * it, in no particular order, so no more than the inventory keeps of them is held at once; for callers whose
 * answer does not depend on the input order.
 */
export function storedSnapshotReader(
  snapshots: FleetStores["snapshots"],
  at: Date,
  order: "by-key" | "as-read" = "by-key",
): NonNullable<InventoryReaders["snapshots"]> {
  return async (files, budget: Budget, sink) => {
    const objects: RawObject[] = [];
    const put = sink !== undefined && order === "as-read" ? sink : (o: RawObject) => objects.push(o);
    for (const f of files) {
      if (!f.startsWith(SOURCE_PREFIX)) throw new PalisadeError("INTERNAL", `not a stored cluster: ${f}`);
      const cluster = f.slice(SOURCE_PREFIX.length);
      const take = (v: ObjectVersion) => {
        budget.charge("objects", 1);
        if (v.object !== null && typeof v.object === "object")
          put({ object: v.object as Record<string, unknown>, cluster });
      };
      if (order === "as-read") await snapshots.eachObjectAt(cluster, at, take);
      else for (const v of await snapshots.objectsAt(cluster, at)) take(v);
    }
    return { objects, coverage: [], files: files.length };
  };
}

/**
 * The current state of the clusters asked for, with the image tree and the impact index over all of them. The
 * inventory it was built from is not kept: every answer reads the index (workloads with their replicas and running
 * digests) and the lineage state, and the inventory of a 1M-pod fleet is about 2.5 GiB of heap that every major
 * collection of the server would mark again (100s of ms per pause, measured: bench/server-api.ts fleet).
 */
export interface FleetView {
  clusters: string[];
  state: LineageState;
  index: ImpactIndex;
  coverage: CoverageEntry[];
}

/** Load the current objects of `clusters` (every stored cluster when absent) and index them. */
export async function loadFleetView(
  deps: { stores: FleetStores; now: () => Date },
  clusters?: readonly string[],
): Promise<FleetView> {
  const at = deps.now();
  const names = clusters ?? (await deps.stores.snapshots.clusters()).map((c) => c.cluster);
  const state = await loadLineageState(deps.stores);
  // Streamed into the inventory with the members of workloads (pods, ReplicaSets) compacted as they arrive: the
  // usages read a member's status and node name, never its pod spec (its workload's template stands for it). The
  // answer does not depend on the order objects come in (usages are sorted; the member that stands for an absent
  // owner is chosen by a total order), and the store gives the same objects when read again, which compaction at
  // load may ask for.
  const loaded =
    names.length === 0
      ? { inventory: buildInventory([]), coverage: [], files: 0 }
      : await loadInventory(
          { snapshots: names.map((n) => `${SOURCE_PREFIX}${n}`) },
          { snapshots: storedSnapshotReader(deps.stores.snapshots, at, "as-read"), rereadable: true },
          { compactMembers: true },
        );
  const index = buildImpactIndex(state.lineage, state.vulns, workloadUsages(loaded.inventory));
  return {
    clusters: [...names],
    state,
    index,
    coverage: [...state.coverage, ...loaded.coverage, ...index.coverage],
  };
}

/** Whether a place is in the scope. */
export function inScope(
  scope: FleetScope,
  at: { cluster?: string | undefined; namespace?: string | undefined; team?: string | undefined },
): boolean {
  return (
    (scope.cluster === undefined || at.cluster === scope.cluster) &&
    (scope.namespace === undefined || at.namespace === scope.namespace) &&
    (scope.team === undefined || at.team === scope.team)
  );
}

const scoped = (s: FleetScope): boolean =>
  s.cluster !== undefined || s.namespace !== undefined || s.team !== undefined;

const usageIn = (scope: FleetScope) => (w: WorkloadUsage) =>
  inScope(scope, { cluster: w.cluster, namespace: w.ref.namespace, team: w.team });

/** Indexes into `index.workloads` of the workloads in scope. */
function workloadsIn(index: ImpactIndex, scope: FleetScope): number[] {
  const keep = usageIn(scope);
  const out: number[] = [];
  index.workloads.forEach((w, i) => {
    if (keep(w)) out.push(i);
  });
  return out;
}

/** Node ids run by the workloads given, with every ancestor (a team sees the bases of its images). */
function nodesRunBy(index: ImpactIndex, workloads: readonly number[], ancestors: boolean): Set<string> {
  const out = new Set<string>();
  for (const i of workloads)
    for (const node of index.workloadNodes[i]?.keys() ?? []) {
      let id: string | undefined = node;
      while (id !== undefined && !out.has(id)) {
        out.add(id);
        id = ancestors ? index.lineage.nodes.get(id)?.parent : undefined;
      }
    }
  return out;
}

// -------------------------------------------------------------------------------------------------------------
// Clusters

/** One cluster of the fleet as the scope sees it. */
export interface ClusterSummary {
  cluster: string;
  /** When its latest snapshot was stored (ISO). */
  latestSnapshot: string;
  /** Workloads of the scope in it, their replicas, and the namespaces they live in. */
  workloads: number;
  replicas: number;
  namespaces: number;
}

/**
 * The clusters with a stored snapshot, sorted by name. Narrowed to a namespace or team, only the clusters where
 * the scope has a workload (a team does not learn the names of clusters it has nothing in), counted over its own.
 */
export function listClusters(
  view: FleetView,
  stored: readonly { cluster: string; latest: string }[],
  scope: FleetScope,
): ClusterSummary[] {
  const by = new Map<string, { workloads: number; replicas: number; namespaces: Set<string> }>();
  for (const i of workloadsIn(view.index, scope)) {
    const w = view.index.workloads[i] as WorkloadUsage;
    const c = w.cluster ?? "";
    const e = by.get(c) ?? { workloads: 0, replicas: 0, namespaces: new Set<string>() };
    e.workloads++;
    e.replicas += w.replicas;
    if (w.ref.namespace !== undefined) e.namespaces.add(w.ref.namespace);
    by.set(c, e);
  }
  const narrowed = scope.namespace !== undefined || scope.team !== undefined;
  const out: ClusterSummary[] = [];
  for (const { cluster, latest } of stored) {
    if (scope.cluster !== undefined && cluster !== scope.cluster) continue;
    const e = by.get(cluster);
    if (narrowed && e === undefined) continue;
    out.push({
      cluster,
      latestSnapshot: latest,
      workloads: e?.workloads ?? 0,
      replicas: e?.replicas ?? 0,
      namespaces: e?.namespaces.size ?? 0,
    });
  }
  return out.sort((a, b) => cmp(a.cluster, b.cluster));
}

// -------------------------------------------------------------------------------------------------------------
// Vulnerabilities

/** One vulnerability carried by images the scope runs (every known image when unscoped). */
export interface VulnerabilitySummary {
  id: string;
  aliases: string[];
  severity?: Severity | undefined;
  images: number;
  workloads: number;
  replicas: number;
  vulnerableReplicas: number;
  exposedWorkloads: number;
  teams: string[];
  namespaces: string[];
  clusters: string[];
  /** Where to fix it: the image (node) and package, with the fixed versions. */
  fixAt: ImpactAnswer["fixAt"];
}

/** An impact answer with its workloads per cluster. */
export interface FleetImpact extends ImpactAnswer {
  byCluster: ClusterImpact[];
}

/**
 * Impact of `id` across every cluster of the scope: the answer narrowed to the scope, with each cluster's share
 * (workloads, replicas on the vulnerable digest, namespaces, teams).
 */
export function fleetImpact(index: ImpactIndex, id: string, scope: FleetScope): FleetImpact {
  const a = scopedImpact(index, id, scope);
  return { ...a, byCluster: impactByCluster(a.workloads) };
}

/** Impact of `id` narrowed to the scope: only its workloads, the images they run and where those are fixed. */
export function scopedImpact(index: ImpactIndex, id: string, scope: FleetScope): ImpactAnswer {
  const a = impact(index, id);
  if (!scoped(scope)) return a;
  const keep = new Set(workloadsIn(index, scope));
  const keyOf = (ref: ResourceRef, cluster: string | undefined) =>
    `${cluster ?? ""}/${ref.namespace ?? ""}/${ref.kind}/${ref.name}`;
  const keptKeys = new Set(
    [...keep].map((i) => keyOf(index.workloads[i]?.ref as ResourceRef, index.workloads[i]?.cluster)),
  );
  const workloads = a.workloads.filter((w) => keptKeys.has(keyOf(w.ref, w.cluster)));
  const nodes = nodesRunBy(index, [...keep], false);
  const images = a.images.filter((i) => nodes.has(i.node));
  const ancestors = nodesRunBy(index, [...keep], true);
  const fixAt = a.fixAt.filter((f) => ancestors.has(f.node));
  const uniq = (xs: (string | undefined)[]) =>
    [...new Set(xs.filter((x): x is string => x !== undefined))].sort(cmp);
  const namespaces = uniq(
    workloads.map((w) =>
      w.ref.namespace === undefined ? undefined : `${w.cluster ? `${w.cluster}/` : ""}${w.ref.namespace}`,
    ),
  );
  const clusters = uniq(workloads.map((w) => w.cluster));
  const teams = uniq(workloads.map((w) => w.team));
  if (images.length === 0 && workloads.length === 0)
    return {
      query: a.query,
      aliases: [],
      images: [],
      fixAt: [],
      workloads: [],
      namespaces: [],
      clusters: [],
      teams: [],
      totals: { images: 0, workloads: 0, replicas: 0, namespaces: 0, clusters: 0, teams: 0 },
    };
  return {
    ...a,
    images,
    fixAt,
    workloads,
    namespaces,
    clusters,
    teams,
    totals: {
      images: images.length,
      workloads: workloads.length,
      replicas: workloads.reduce((n, w) => n + w.replicas, 0),
      namespaces: namespaces.length,
      clusters: clusters.length,
      teams: teams.length,
    },
  };
}

/**
 * Every vulnerability of the scope, most severe first, then by workloads affected, then by id. `image` (a digest
 * or tree node id) keeps those that image carries, its bases' included; a scoped caller gets none for an image
 * outside its scope (neither its images nor their bases), so the filter cannot probe other teams' images.
 */
export function listVulnerabilities(
  index: ImpactIndex,
  scope: FleetScope,
  severities?: readonly Severity[],
  image?: string,
): VulnerabilitySummary[] {
  let carried: Set<string> | undefined;
  if (image !== undefined) {
    const node = index.lineage.byDigest.get(image) ?? image;
    if (scoped(scope) && !nodesRunBy(index, workloadsIn(index, scope), true).has(node)) return [];
    carried = new Set((index.vulns.byNode.get(node) ?? []).map((v) => v.vulnerabilityId));
  }
  const out: VulnerabilitySummary[] = [];
  for (const id of [...index.occurrences.keys()].sort(cmp)) {
    const a = scopedImpact(index, id, scope);
    if (a.vulnerabilityId === undefined) continue;
    if (carried !== undefined && !carried.has(a.vulnerabilityId)) continue;
    if (scoped(scope) && a.workloads.length === 0) continue;
    if (severities !== undefined && (a.severity === undefined || !severities.includes(a.severity))) continue;
    out.push({
      id: a.vulnerabilityId,
      aliases: a.aliases,
      severity: a.severity,
      images: a.images.length,
      workloads: a.workloads.length,
      replicas: a.totals.replicas,
      vulnerableReplicas: a.workloads.reduce((n, w) => n + w.vulnerableReplicas, 0),
      exposedWorkloads: a.workloads.filter((w) => w.exposed).length,
      teams: a.teams,
      namespaces: a.namespaces,
      clusters: a.clusters,
      fixAt: a.fixAt,
    });
  }
  const rank = (s: Severity | undefined) => (s === undefined ? -1 : SEVERITY_RANK[s]);
  return out.sort(
    (x, y) => rank(y.severity) - rank(x.severity) || y.workloads - x.workloads || cmp(x.id, y.id),
  );
}

// -------------------------------------------------------------------------------------------------------------
// Images

export interface ImageSummary {
  digest: string;
  refs: string[];
  platform?: string | undefined;
  /** The tree node the image belongs to. */
  node?: string | undefined;
  packages: number;
  firstSeen: string;
  lastSeen: string;
  workloads: number;
  replicas: number;
  vulnerabilities?: NodeCounts | undefined;
}

/** Known images (only those the scope runs, when scoped), by digest. */
export function listImages(view: FleetView, scope: FleetScope): ImageSummary[] {
  const { index } = view;
  const tree = treeJson(index.lineage, index.vulns);
  const counts = new Map(tree.nodes.map((n) => [n.id, n.vulnerabilities]));
  const mine = workloadsIn(index, scope);
  const nodes = nodesRunBy(index, mine, false);
  const inScopeUses = new Set(mine);
  const out: ImageSummary[] = [];
  for (const s of view.state.images) {
    const node = index.lineage.byDigest.get(s.image.digest);
    if (scoped(scope) && (node === undefined || !nodes.has(node))) continue;
    const uses = (node === undefined ? [] : (index.nodeUses.get(node) ?? [])).filter(
      (u) => !scoped(scope) || inScopeUses.has(u.workload),
    );
    out.push({
      digest: s.image.digest,
      refs: s.image.refs,
      platform: s.image.platform,
      node,
      packages: s.image.packages.length,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      workloads: uses.length,
      replicas: uses.reduce((n, u) => n + u.replicas, 0),
      vulnerabilities: node === undefined ? undefined : counts.get(node),
    });
  }
  return out.sort((a, b) => cmp(a.digest, b.digest));
}

/** The image tree (only the images the scope runs and their bases, when scoped). */
export function imageTree(view: FleetView, scope: FleetScope): TreeJson {
  const tree = treeJson(view.index.lineage, view.index.vulns);
  if (!scoped(scope)) return tree;
  const keep = nodesRunBy(view.index, workloadsIn(view.index, scope), true);
  return {
    nodes: tree.nodes
      .filter((n) => keep.has(n.id))
      .map((n) => ({ ...n, children: n.children.filter((c) => keep.has(c)) })),
    roots: tree.roots.filter((r) => keep.has(r)),
    coverage: [],
  };
}

// -------------------------------------------------------------------------------------------------------------
// Workloads, plan, remediations

export interface WorkloadSummary {
  cluster?: string | undefined;
  ref: ResourceRef;
  team?: string | undefined;
  replicas: number;
  exposed: boolean;
  images: string[];
  /** Distinct vulnerabilities of the images it runs, by severity. */
  vulnerabilities: Partial<Record<Severity, number>>;
}

/** Vulnerability ids (distinct) per severity of the nodes a workload runs. */
function workloadVulns(index: ImpactIndex, i: number): Map<string, Severity> {
  const seen = new Map<string, Severity>();
  for (const node of index.workloadNodes[i]?.keys() ?? [])
    for (const v of index.vulns.byNode.get(node) ?? []) seen.set(v.vulnerabilityId, v.severity);
  return seen;
}

export function listWorkloads(index: ImpactIndex, scope: FleetScope): WorkloadSummary[] {
  return workloadsIn(index, scope).map((i) => {
    const w = index.workloads[i] as WorkloadUsage;
    const bySeverity: Partial<Record<Severity, number>> = {};
    for (const s of workloadVulns(index, i).values()) bySeverity[s] = (bySeverity[s] ?? 0) + 1;
    return {
      cluster: w.cluster,
      ref: w.ref,
      team: w.team,
      replicas: w.replicas,
      exposed: w.exposed,
      images: [...new Set(w.containers.map((c) => c.image))].sort(cmp),
      vulnerabilities: bySeverity,
    };
  });
}

/**
 * The prioritised fixes of the scope's workloads only: items that reach them, images to rebuild and upgrade
 * advice limited to the images they run and their bases (another team's images are not named).
 */
export function scopedPlan(view: FleetView, scope: FleetScope): RemediationPlan {
  if (!scoped(scope)) return buildPlan(view.index);
  const usages = view.index.workloads.filter(usageIn(scope));
  const index = buildImpactIndex(view.state.lineage, view.state.vulns, usages);
  const all = index.workloads.map((_, i) => i);
  const keep = nodesRunBy(index, all, true);
  // `rebuild` names images by label.
  const labels = new Set(
    [...keep].flatMap((id) => {
      const n = index.lineage.nodes.get(id);
      return n === undefined ? [] : [nodeLabel(n)];
    }),
  );
  const plan = buildPlan(index);
  const items = plan.items
    .filter((i) => i.workloads > 0 && keep.has(i.fixNode))
    .map((i) => {
      const rebuild = i.rebuild.filter((l) => labels.has(l));
      return {
        ...i,
        rebuild,
        action: i.action.replace(
          /; rebuild children .*$/s,
          rebuild.length > 0 ? `; rebuild children ${rebuild.join(", ")}` : "",
        ),
        ...(i.upgrade !== undefined && !keep.has(i.upgrade.fromNode) ? { upgrade: undefined } : {}),
      };
    });
  const ids = new Set(items.map((i) => i.id));
  return {
    items,
    byTeam: plan.byTeam
      .filter((t) => scope.team === undefined || t.team === scope.team)
      .map((t) => ({ ...t, items: t.items.filter((i) => ids.has(i)) })),
    byBase: plan.byBase
      .filter((b) => keep.has(b.node))
      .map((b) => ({ ...b, items: b.items.filter((i) => ids.has(i)) }))
      .filter((b) => b.items.length > 0),
    upgrades: plan.upgrades.filter((u) => keep.has(u.fromNode) && u.workloads > 0),
  };
}

/**
 * Records with a workload in the scope, each narrowed to its workloads in the scope. A record spans clusters (one
 * per vulnerability and image family, with a rollout per cluster): narrowed to a cluster, its totals are that
 * cluster's rollout; narrowed to a namespace or team, they are counted from the workloads kept.
 */
export function scopedRemediations(
  records: readonly RemediationRecord[],
  scope: FleetScope,
  states?: readonly string[],
): RemediationRecord[] {
  const out: RemediationRecord[] = [];
  for (const r of records) {
    if (states !== undefined && !states.includes(r.state)) continue;
    if (!scoped(scope)) {
      out.push(r);
      continue;
    }
    const workloads = r.workloads.filter((w) =>
      inScope(scope, { cluster: w.cluster, namespace: w.ref.namespace, team: w.team }),
    );
    if (scope.namespace === undefined && scope.team === undefined) {
      // By cluster only: the stored rollout is exact even when the workload list was cut.
      const rollout = r.rollouts.find((x) => x.cluster === scope.cluster);
      if (rollout === undefined) continue;
      out.push({
        ...r,
        workloads,
        rollouts: [rollout],
        totals: {
          workloads: rollout.workloads,
          replicas: rollout.replicas,
          vulnerableReplicas: rollout.vulnerableReplicas,
          fixedReplicas: rollout.fixedReplicas,
        },
      });
      continue;
    }
    if (workloads.length === 0) continue;
    out.push({
      ...r,
      workloads,
      rollouts: clusterRollouts(workloads),
      totals: {
        workloads: workloads.length,
        replicas: workloads.reduce((n, w) => n + w.replicas, 0),
        vulnerableReplicas: workloads.reduce((n, w) => n + w.vulnerableReplicas, 0),
        fixedReplicas: workloads.reduce((n, w) => n + w.fixedReplicas, 0),
      },
    });
  }
  return out;
}

// -------------------------------------------------------------------------------------------------------------
// RBAC and NetworkPolicy, per cluster

/** The team of each namespace of the view (`cluster/namespace` -> team). */
function namespaceTeams(inv: Inventory): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const o of inv.objects)
    if (o.ref.kind === "Namespace" && o.ref.namespace === undefined)
      out.set(`${o.cluster ?? ""}/${o.ref.name}`, inv.namespaces.get(o.ref.name)?.team);
  return out;
}

export interface ClusterPath extends EscalationPath {
  cluster: string;
}

/**
 * Escalation paths to cluster-admin in each cluster of the scope. Scoped by namespace or team, only the paths of
 * ServiceAccounts in those namespaces (users and groups belong to no team).
 */
export async function rbacPaths(
  deps: { stores: FleetStores; now: () => Date },
  clusters: readonly string[],
  scope: FleetScope,
): Promise<{ paths: ClusterPath[]; coverage: CoverageEntry[] }> {
  const paths: ClusterPath[] = [];
  const coverage: CoverageEntry[] = [];
  const readers = { snapshots: storedSnapshotReader(deps.stores.snapshots, deps.now()) };
  for (const cluster of clusters) {
    if (scope.cluster !== undefined && scope.cluster !== cluster) continue;
    let teams: Map<string, string | undefined> | undefined;
    const r = await rbacEscalationPaths(
      {
        sources: { snapshots: [`${SOURCE_PREFIX}${cluster}`] },
        // A stored cluster is a pushed snapshot: the same bootstrap policy as `palisade rbac paths` assumes.
        build: assumedRbacDefaults(),
        to: "cluster-admin",
      },
      { readers },
      {
        loaded: (l) => {
          teams = namespaceTeams(l.inventory);
        },
      },
    );
    appendAll(coverage, r.coverage);
    for (const p of r.answer) {
      if (scope.namespace !== undefined || scope.team !== undefined) {
        const ns = p.subject.kind === "ServiceAccount" ? p.subject.namespace : undefined;
        if (ns === undefined) continue;
        if (!inScope(scope, { cluster, namespace: ns, team: teams?.get(`${cluster}/${ns}`) })) continue;
      }
      paths.push({ cluster, ...p });
    }
  }
  return { paths, coverage: scoped(scope) ? [] : coverage };
}

export interface ClusterEdge {
  cluster: string;
  src: Endpoint;
  dst: Endpoint;
  [k: string]: unknown;
}

/**
 * Allowed connections in each cluster of the scope. Scoped by namespace or team, only the connections whose
 * workload ends are all in the scope (an address range is no one's): a team sees its own traffic, not whom
 * another team's workloads talk to.
 */
export async function netpolEdges(
  deps: { stores: FleetStores; now: () => Date },
  clusters: readonly string[],
  scope: FleetScope,
): Promise<{ edges: ClusterEdge[]; coverage: CoverageEntry[] }> {
  const edges: ClusterEdge[] = [];
  const coverage: CoverageEntry[] = [];
  const readers = { snapshots: storedSnapshotReader(deps.stores.snapshots, deps.now()) };
  for (const cluster of clusters) {
    if (scope.cluster !== undefined && scope.cluster !== cluster) continue;
    let teams: Map<string, string | undefined> | undefined;
    const r = await netpolConnectivity(
      { sources: { snapshots: [`${SOURCE_PREFIX}${cluster}`] }, options: {} },
      { readers },
      {
        loaded: (l) => {
          teams = namespaceTeams(l.inventory);
        },
      },
    );
    appendAll(coverage, r.coverage);
    const ok = (e: Endpoint): boolean =>
      "ipRange" in e ||
      inScope(scope, { cluster, namespace: e.namespace, team: teams?.get(`${cluster}/${e.namespace}`) });
    const c: Connectivity = r.connectivity;
    for (const e of c.edges)
      if ((scope.namespace === undefined && scope.team === undefined) || (ok(e.src) && ok(e.dst)))
        edges.push({ cluster, ...e });
  }
  return { edges, coverage: scoped(scope) ? [] : coverage };
}

// -------------------------------------------------------------------------------------------------------------
// Risk

/** One entry of the risk queue: a workload, its score and why. */
export interface RiskEntry {
  cluster?: string | undefined;
  ref: ResourceRef;
  team?: string | undefined;
  score: number;
  exposed: boolean;
  replicas: number;
  /** Distinct vulnerabilities of its images by severity. */
  vulnerabilities: Partial<Record<Severity, number>>;
  /** Open posture findings on the workload that grant privilege (critical or high), by rule. */
  privilege: string[];
  reasons: string[];
}

/** Vulnerability weight by severity: a critical outweighs any number of lows in one workload. */
const VULN_WEIGHT: Record<Severity, number> = { critical: 100, high: 20, medium: 4, low: 1, info: 0 };

/**
 * One ranked queue across vulnerabilities, exposure and privilege: per workload, the weight of its images'
 * vulnerabilities plus its critical/high posture findings, doubled when it is exposed (a LoadBalancer/NodePort
 * Service or an Ingress reaches it). Runtime signals are not scored yet. Highest first, then by place.
 */
export function riskQueue(
  index: ImpactIndex,
  scope: FleetScope,
  findings: readonly { cluster: string; ref: ResourceRef; ruleId: string; severity: Severity }[],
): RiskEntry[] {
  const key = (cluster: string | undefined, r: ResourceRef) =>
    `${cluster ?? ""}/${r.namespace ?? ""}/${r.kind}/${r.name}`;
  const priv = new Map<string, Set<string>>();
  for (const f of findings) {
    if (f.severity !== "critical" && f.severity !== "high") continue;
    const k = key(f.cluster, f.ref);
    const s = priv.get(k) ?? new Set<string>();
    s.add(f.ruleId);
    priv.set(k, s);
  }
  const out: RiskEntry[] = [];
  for (const i of workloadsIn(index, scope)) {
    const w = index.workloads[i] as WorkloadUsage;
    const bySeverity: Partial<Record<Severity, number>> = {};
    let score = 0;
    for (const s of workloadVulns(index, i).values()) {
      bySeverity[s] = (bySeverity[s] ?? 0) + 1;
      score += VULN_WEIGHT[s];
    }
    const privilege = [...(priv.get(key(w.cluster, w.ref)) ?? [])].sort(cmp);
    score += privilege.length * 20;
    if (w.exposed) score *= 2;
    if (score === 0) continue;
    const reasons: string[] = [];
    const vulnText = (["critical", "high", "medium", "low"] as const)
      .filter((s) => bySeverity[s])
      .map((s) => `${bySeverity[s]} ${s}`);
    if (vulnText.length) reasons.push(`vulnerabilities: ${vulnText.join(", ")}`);
    if (privilege.length) reasons.push(`privilege: ${privilege.join(", ")}`);
    if (w.exposed) reasons.push("exposed outside the cluster");
    out.push({
      cluster: w.cluster,
      ref: w.ref,
      team: w.team,
      score,
      exposed: w.exposed,
      replicas: w.replicas,
      vulnerabilities: bySeverity,
      privilege,
      reasons,
    });
  }
  return out.sort((a, b) => b.score - a.score || cmp(key(a.cluster, a.ref), key(b.cluster, b.ref)));
}
