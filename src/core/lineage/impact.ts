import {
  type CoverageEntry,
  cmp,
  type ResourceRef,
  SEVERITY_RANK,
  type Severity,
} from "../findings/index.js";
import { parseImageRef } from "../inventory/index.js";
import { canonicalRef } from "./known-image.js";
import type { Lineage, LineageVulns, NodeVuln, WorkloadUsage } from "./model.js";
import { nodeLabel } from "./tree.js";

/** Platform workloads are assumed to run when a tag is known for several platforms. */
export const DEFAULT_TARGET_PLATFORM = "linux/amd64";

export interface ImpactIndexOptions {
  /** `os/arch[/variant]` used to pick among images known for several platforms under one tag. */
  platform?: string | undefined;
}

/** Replicas of one workload running one node. */
export interface NodeUse {
  /** Index into {@link ImpactIndex.workloads}. */
  workload: number;
  replicas: number;
}

/** The index behind `vuln impact`, `vuln plan` and remediation observations. */
export interface ImpactIndex {
  lineage: Lineage;
  vulns: LineageVulns;
  /** Sorted by cluster, namespace, kind, name: iterating indexes in order gives sorted output without sorting. */
  workloads: WorkloadUsage[];
  /** Node id -> workloads running it (one entry per workload). */
  nodeUses: Map<string, NodeUse[]>;
  /** Per workload: node id -> replicas running it. */
  workloadNodes: Map<string, number>[];
  /** Primary vulnerability id -> (node, entry) occurrences. */
  occurrences: Map<string, { node: string; vuln: NodeVuln }[]>;
  coverage: CoverageEntry[];
}

/**
 * Resolve how a container's image maps onto the tree: by the running digest first (exact), then by the digest in
 * the reference, then by the tag (for the target platform).
 */
function resolver(lineage: Lineage, platform: string) {
  return (
    image: string,
  ): { node?: string; problem?: { reason: CoverageEntry["reason"]; message: string } } => {
    const parsed = parseImageRef(image);
    if (!parsed.ok)
      return { problem: { reason: "invalid", message: `invalid image reference: ${parsed.error}` } };
    if (parsed.ref.digest !== undefined) {
      const id = lineage.byDigest.get(parsed.ref.digest);
      if (id !== undefined) return { node: id };
      if (parsed.ref.tag === undefined)
        return {
          problem: {
            reason: "missing",
            message: `referenced by digest only and that digest was never analyzed (palisade images add ${image})`,
          },
        };
    }
    const c = canonicalRef(image) as string;
    const ids = lineage.byRef.get(c.replace(/@.*$/, ""));
    if (!ids || ids.length === 0)
      return { problem: { reason: "missing", message: `never analyzed (palisade images add ${image})` } };
    const id = ids.find((i) => (lineage.nodes.get(i)?.platform ?? platform) === platform);
    if (id === undefined)
      return {
        problem: {
          reason: "unsupported",
          message: `known only for ${[...new Set(ids.map((i) => lineage.nodes.get(i)?.platform ?? "?"))].join(", ")}, not ${platform}`,
        },
      };
    return { node: id };
  };
}

/**
 * Build the impact index. Unresolvable images are aggregated into one coverage entry per image string (with a
 * workload count), so a 100k-workload snapshot of unknown images stays readable; the rest is indexed.
 */
export function buildImpactIndex(
  lineage: Lineage,
  vulns: LineageVulns,
  usages: readonly WorkloadUsage[],
  opts: ImpactIndexOptions = {},
): ImpactIndex {
  const platform = opts.platform ?? DEFAULT_TARGET_PLATFORM;
  const resolve = resolver(lineage, platform);
  const cache = new Map<string, ReturnType<typeof resolve>>();
  const problems = new Map<
    string,
    { reason: CoverageEntry["reason"]; message: string; workloads: number; example: string }
  >();
  const problem = (
    subject: string,
    p: { reason: CoverageEntry["reason"]; message: string },
    w: WorkloadUsage,
  ): void => {
    const key = `${subject}\u0000${p.message}`;
    const e = problems.get(key);
    if (e) e.workloads++;
    else
      problems.set(key, {
        ...p,
        workloads: 1,
        example: `${w.cluster !== undefined ? `${w.cluster}/` : ""}${w.ref.namespace ?? ""}/${w.ref.name}`,
      });
  };
  const workloads = [...usages];
  const nodeUses = new Map<string, NodeUse[]>();
  const workloadNodes: Map<string, number>[] = [];
  workloads.forEach((w, wi) => {
    const perNode = new Map<string, number>();
    const add = (node: string, replicas: number): void => {
      // Two containers of one pod on the same image are still one replica running it.
      perNode.set(node, Math.max(perNode.get(node) ?? 0, replicas));
    };
    for (const c of w.containers) {
      let r = cache.get(c.image);
      if (!r) {
        r = resolve(c.image);
        cache.set(c.image, r);
      }
      if (c.running.length === 0) {
        if (r.node !== undefined) add(r.node, w.replicas);
        else if (r.problem) problem(c.image, r.problem, w);
        continue;
      }
      for (const run of c.running) {
        // An index (multi-platform) digest resolves to the platform manifest the pod's node runs.
        const id =
          lineage.byDigest.get(run.digest) ?? lineage.byIndex.get(run.digest)?.get(run.platform ?? platform);
        if (id !== undefined) add(id, run.replicas);
        else if (r.node !== undefined) {
          // The pod runs a digest never analyzed (often a multi-platform index digest): fall back to the tag.
          add(r.node, run.replicas);
          problem(
            `${c.image}@${run.digest}`,
            {
              reason: "missing",
              message: `running digest ${run.digest} was never analyzed; counted by its tag ${c.image}`,
            },
            w,
          );
        } else if (r.problem) problem(c.image, r.problem, w);
      }
    }
    workloadNodes.push(perNode);
    for (const [node, replicas] of perNode) {
      const list = nodeUses.get(node) ?? [];
      list.push({ workload: wi, replicas });
      nodeUses.set(node, list);
    }
  });
  const occurrences = new Map<string, { node: string; vuln: NodeVuln }[]>();
  for (const id of lineage.order)
    for (const v of vulns.byNode.get(id) ?? []) {
      const list = occurrences.get(v.vulnerabilityId) ?? [];
      list.push({ node: id, vuln: v });
      occurrences.set(v.vulnerabilityId, list);
    }
  const coverage: CoverageEntry[] = [...problems.entries()]
    .map(([key, p]) => ({
      reason: p.reason,
      subject: key.split("\u0000")[0] as string,
      message: `image ${key.split("\u0000")[0]} (${p.workloads} workload(s), e.g. ${p.example}): ${p.message}`,
    }))
    .sort((a, b) => cmp(a.subject, b.subject) || cmp(a.message, b.message));
  return { lineage, vulns, workloads, nodeUses, workloadNodes, occurrences, coverage };
}

/** A workload in an impact answer. */
export interface ImpactWorkload {
  ref: ResourceRef;
  cluster?: string | undefined;
  team?: string | undefined;
  replicas: number;
  /** Replicas running an image that carries the vulnerability. */
  vulnerableReplicas: number;
  exposed: boolean;
}

/** Where to fix: the node that introduced the package, and what fixes it. */
export interface FixLocation {
  node: string;
  image: string;
  package: string;
  installed: string;
  fixedVersions: string[];
  /** Affected images (nodes) that inherit from this fix location, including itself. */
  images: number;
}

/** Answer of `vuln impact`. */
export interface ImpactAnswer {
  query: string;
  /** Primary id, absent when no known image carries the vulnerability. */
  vulnerabilityId?: string | undefined;
  aliases: string[];
  severity?: Severity | undefined;
  images: { node: string; image: string; refs: string[]; workloads: number; replicas: number }[];
  fixAt: FixLocation[];
  workloads: ImpactWorkload[];
  namespaces: string[];
  clusters: string[];
  teams: string[];
  totals: {
    images: number;
    workloads: number;
    replicas: number;
    namespaces: number;
    clusters: number;
    teams: number;
  };
}

/** One cluster's share of an impact answer. */
export interface ClusterImpact {
  /** The cluster; `""` for workloads of no named cluster. */
  cluster: string;
  workloads: number;
  replicas: number;
  vulnerableReplicas: number;
  exposedWorkloads: number;
  namespaces: string[];
  teams: string[];
}

/**
 * An impact answer's workloads per cluster, sorted by cluster: the same vulnerable digest in three clusters is one
 * vulnerability with three shares.
 */
export function impactByCluster(workloads: readonly ImpactWorkload[]): ClusterImpact[] {
  const by = new Map<string, { c: ClusterImpact; ns: Set<string>; teams: Set<string> }>();
  for (const w of workloads) {
    const cluster = w.cluster ?? "";
    let e = by.get(cluster);
    if (!e) {
      e = {
        c: {
          cluster,
          workloads: 0,
          replicas: 0,
          vulnerableReplicas: 0,
          exposedWorkloads: 0,
          namespaces: [],
          teams: [],
        },
        ns: new Set(),
        teams: new Set(),
      };
      by.set(cluster, e);
    }
    e.c.workloads++;
    e.c.replicas += w.replicas;
    e.c.vulnerableReplicas += w.vulnerableReplicas;
    if (w.exposed) e.c.exposedWorkloads++;
    if (w.ref.namespace !== undefined) e.ns.add(w.ref.namespace);
    if (w.team !== undefined) e.teams.add(w.team);
  }
  return [...by.values()]
    .map((e) => ({ ...e.c, namespaces: [...e.ns].sort(cmp), teams: [...e.teams].sort(cmp) }))
    .sort((a, b) => cmp(a.cluster, b.cluster));
}

/**
 * Answer "who runs this vulnerability": an alias lookup, then a walk over the index lists of the nodes that carry
 * it. Cost is linear in the answer (nodes and workload uses), never in the inventory.
 */
export function impact(index: ImpactIndex, query: string): ImpactAnswer {
  const id = index.vulns.aliasToId.get(query.trim().toUpperCase());
  const empty: ImpactAnswer = {
    query,
    aliases: [],
    images: [],
    fixAt: [],
    workloads: [],
    namespaces: [],
    clusters: [],
    teams: [],
    totals: { images: 0, workloads: 0, replicas: 0, namespaces: 0, clusters: 0, teams: 0 },
  };
  if (id === undefined) return empty;
  const occ = index.occurrences.get(id) ?? [];
  let severity: Severity | undefined;
  const aliases = new Set<string>();
  const fix = new Map<string, FixLocation>();
  const vulnerable = new Map<number, number>();
  const images: ImpactAnswer["images"] = [];
  const seenNodes = new Set<string>();
  for (const { node, vuln } of occ) {
    if (severity === undefined || SEVERITY_RANK[vuln.severity] > SEVERITY_RANK[severity])
      severity = vuln.severity;
    for (const a of vuln.aliases) aliases.add(a);
    const fk = `${vuln.fixNode}\u0000${vuln.package}\u0000${vuln.installed}`;
    const f = fix.get(fk);
    if (f) f.images++;
    else {
      const fn = index.lineage.nodes.get(vuln.fixNode);
      fix.set(fk, {
        node: vuln.fixNode,
        image: fn ? nodeLabel(fn) : vuln.fixNode,
        package: vuln.package,
        installed: vuln.installed,
        fixedVersions: vuln.fixedVersions,
        images: 1,
      });
    }
    if (seenNodes.has(node)) continue;
    seenNodes.add(node);
    const uses = index.nodeUses.get(node) ?? [];
    let replicas = 0;
    for (const u of uses) {
      replicas += u.replicas;
      vulnerable.set(u.workload, (vulnerable.get(u.workload) ?? 0) + u.replicas);
    }
    const n = index.lineage.nodes.get(node);
    images.push({
      node,
      image: n ? nodeLabel(n) : node,
      refs: n?.refs ?? [],
      workloads: uses.length,
      replicas,
    });
  }
  images.sort((a, b) => cmp(a.image, b.image) || cmp(a.node, b.node));
  const order = Int32Array.from(vulnerable.keys()).sort();
  const workloads: ImpactWorkload[] = [];
  const namespaces = new Set<string>();
  const clusters = new Set<string>();
  const teams = new Set<string>();
  let replicaTotal = 0;
  for (const wi of order) {
    const w = index.workloads[wi] as WorkloadUsage;
    // A pod whose two containers both carry it is still one vulnerable replica.
    const vr = Math.min(vulnerable.get(wi) ?? 0, w.replicas);
    replicaTotal += vr;
    const iw: ImpactWorkload = {
      ref: w.ref,
      replicas: w.replicas,
      vulnerableReplicas: vr,
      exposed: w.exposed,
    };
    if (w.cluster !== undefined) {
      iw.cluster = w.cluster;
      clusters.add(w.cluster);
    }
    if (w.team !== undefined) {
      iw.team = w.team;
      teams.add(w.team);
    }
    if (w.ref.namespace !== undefined)
      namespaces.add(w.cluster !== undefined ? `${w.cluster}/${w.ref.namespace}` : w.ref.namespace);
    workloads.push(iw);
  }
  const fixAt = [...fix.values()].sort(
    (a, b) => cmp(a.image, b.image) || cmp(a.package, b.package) || cmp(a.installed, b.installed),
  );
  const ns = [...namespaces].sort(cmp);
  const cl = [...clusters].sort(cmp);
  const tm = [...teams].sort(cmp);
  return {
    query,
    vulnerabilityId: id,
    aliases: [...aliases].filter((a) => a !== id).sort(cmp),
    severity,
    images,
    fixAt,
    workloads,
    namespaces: ns,
    clusters: cl,
    teams: tm,
    totals: {
      images: images.length,
      workloads: workloads.length,
      replicas: replicaTotal,
      namespaces: ns.length,
      clusters: cl.length,
      teams: tm.length,
    },
  };
}
