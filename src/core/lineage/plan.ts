import { cmp, type Severity, stableHash } from "../findings/index.js";
import { plural } from "../report/index.js";
import { DEFAULT_RESOLVER } from "../vuln/index.js";
import type { ImpactIndex } from "./impact.js";
import type { LineageNode, WorkloadUsage } from "./model.js";
import { releaseOrder } from "./release.js";
import { descendants, nodeLabel } from "./tree.js";
import { vulnIdsOf } from "./vulns.js";

/** Weight of one vulnerability by severity in a fix's score. */
export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = {
  critical: 10,
  high: 6,
  medium: 3,
  low: 1,
  info: 0,
};

/** An exposed workload (LoadBalancer/NodePort Service or Ingress) counts this many times an internal one. */
export const EXPOSURE_WEIGHT = 3;

/** Workloads without a resolved team are grouped under this name. */
export const NO_TEAM = "(no team)";

/** "move FROM X:a to X:b": another known tag of the same repository that no longer carries the vulnerabilities. */
export interface UpgradeAdvice {
  from: string;
  to: string;
  fromNode: string;
  toNode: string;
  /** Vulnerabilities of `from` that `to` no longer carries. */
  clears: number;
  /** Vulnerabilities `from` carries. */
  of: number;
  /** Vulnerabilities `to` carries that `from` does not. */
  introduces: number;
  images: number;
  workloads: number;
  teams: number;
  message: string;
}

/** One concrete fix: bump a package in the image that introduced it, then rebuild the children. */
export interface PlanItem {
  id: string;
  rank: number;
  score: number;
  fixNode: string;
  image: string;
  /** Source package (what advisories name). */
  package: string;
  /** Binary packages of it installed in the image. */
  binaries: string[];
  ecosystem: string;
  installed: string[];
  /** Version that clears every listed vulnerability; absent when one of them has no known fix. */
  targetVersion?: string | undefined;
  vulnerabilities: { id: string; severity: Severity; fixedVersions: string[] }[];
  /** Affected descendants to rebuild after the fix, in tree order. */
  rebuild: string[];
  images: number;
  workloads: number;
  replicas: number;
  exposedWorkloads: number;
  teams: string[];
  action: string;
  upgrade?: UpgradeAdvice | undefined;
}

export interface RemediationPlan {
  items: PlanItem[];
  byTeam: { team: string; items: string[] }[];
  /** Fixes per base image: per fix node that other known images are built on (leaves are not bases). */
  byBase: { node: string; image: string; items: string[] }[];
  upgrades: UpgradeAdvice[];
}

function maxVersion(ecosystem: string, versions: string[]): string | undefined {
  const scheme = DEFAULT_RESOLVER.forEcosystem(ecosystem);
  let best: string | undefined;
  for (const v of versions) {
    if (best === undefined) best = v;
    else if (scheme?.isValid(v) && scheme.isValid(best)) {
      if (scheme.compare(v, best) > 0) best = v;
    } else if (cmp(v, best) > 0) best = v;
  }
  return best;
}

interface Reach {
  workloads: Set<number>;
  replicas: number;
  exposed: number;
  teams: Set<string>;
}

function reachOf(index: ImpactIndex, nodes: Iterable<string>): Reach {
  const workloads = new Set<number>();
  let replicas = 0;
  for (const n of nodes)
    for (const u of index.nodeUses.get(n) ?? []) {
      workloads.add(u.workload);
      replicas += u.replicas;
    }
  let exposed = 0;
  const teams = new Set<string>();
  for (const wi of workloads) {
    const w = index.workloads[wi] as WorkloadUsage;
    if (w.exposed) exposed++;
    teams.add(w.team ?? NO_TEAM);
  }
  return { workloads, replicas, exposed, teams };
}

/**
 * For every node that is a fix location, the best other known tag of the same repository: the one that clears the
 * most of its vulnerabilities (then introduces the fewest, then by name). Only advice that clears something.
 */
export function upgradeAdvice(index: ImpactIndex): UpgradeAdvice[] {
  const { lineage, vulns } = index;
  const fixNodes = new Set<string>();
  for (const list of vulns.byNode.values()) for (const v of list) fixNodes.add(v.fixNode);
  const byRepo = new Map<string, string[]>();
  for (const id of lineage.order)
    for (const r of lineage.nodes.get(id)?.repositories ?? []) {
      const l = byRepo.get(r) ?? [];
      l.push(id);
      byRepo.set(r, l);
    }
  const out: UpgradeAdvice[] = [];
  for (const f of [...fixNodes].sort(cmp)) {
    const from = lineage.nodes.get(f) as LineageNode;
    const fromIds = vulnIdsOf(vulns, f);
    if (fromIds.size === 0) continue;
    let best: { g: LineageNode; repo: string; clears: Set<string>; introduces: number } | undefined;
    for (const repo of from.repositories)
      for (const gid of byRepo.get(repo) ?? []) {
        if (gid === f) continue;
        const g = lineage.nodes.get(gid) as LineageNode;
        if (g.platform !== from.platform) continue;
        // Never advice to move back to an older release (by tag scheme, else creation time).
        if ((releaseOrder(lineage, from, g, repo) ?? 1) < 0) continue;
        const gIds = vulnIdsOf(vulns, gid);
        const clears = new Set([...fromIds].filter((x) => !gIds.has(x)));
        const introduces = [...gIds].filter((x) => !fromIds.has(x)).length;
        if (
          !best ||
          clears.size > best.clears.size ||
          (clears.size === best.clears.size &&
            (introduces < best.introduces ||
              (introduces === best.introduces && cmp(nodeLabel(g), nodeLabel(best.g)) > 0)))
        )
          best = { g, repo, clears, introduces };
      }
    if (!best || best.clears.size === 0) continue;
    // Images that benefit: the fix node and its descendants that carry a cleared vulnerability.
    const affected = [f, ...descendants(lineage, f)].filter((n) => {
      const ids = vulnIdsOf(vulns, n);
      for (const c of best.clears) if (ids.has(c)) return true;
      return false;
    });
    const reach = reachOf(index, affected);
    const fromRef = from.refs.find((r) => r.startsWith(`${best.repo}:`)) ?? nodeLabel(from);
    const toRef = best.g.refs.find((r) => r.startsWith(`${best.repo}:`)) ?? nodeLabel(best.g);
    out.push({
      from: fromRef,
      to: toRef,
      fromNode: f,
      toNode: best.g.id,
      clears: best.clears.size,
      of: fromIds.size,
      introduces: best.introduces,
      images: affected.length,
      workloads: reach.workloads.size,
      teams: reach.teams.size,
      message: `move FROM ${fromRef} to ${toRef}: clears ${best.clears.size} of ${plural(fromIds.size, "vulnerability", "vulnerabilities")} in ${plural(affected.length, "image")} / ${plural(reach.workloads.size, "workload")} / ${plural(reach.teams.size, "team")}${best.introduces > 0 ? ` (introduces ${best.introduces})` : ""}`,
    });
  }
  return out.sort((a, b) => b.clears * b.workloads - a.clears * a.workloads || cmp(a.from, b.from));
}

/**
 * The prioritised remediation plan: one item per (fix node, package), scored by
 * sum(severity weight) x (workloads + EXPOSURE_WEIGHT-1 x exposed workloads), grouped by team and by base image.
 */
export function buildPlan(index: ImpactIndex): RemediationPlan {
  const { lineage } = index;
  const groups = new Map<
    string,
    {
      fixNode: string;
      package: string;
      binaries: Set<string>;
      ecosystem: string;
      installed: Set<string>;
      vulns: Map<string, { id: string; severity: Severity; fixedVersions: string[] }>;
      nodes: Set<string>;
    }
  >();
  for (const [id, occ] of index.occurrences)
    for (const { node, vuln } of occ) {
      // Binary packages built from one source (libssl3 and openssl) are one fix: bump the source.
      const k = `${vuln.fixNode}\u0000${vuln.sourcePackage}`;
      let g = groups.get(k);
      if (!g) {
        g = {
          fixNode: vuln.fixNode,
          package: vuln.sourcePackage,
          binaries: new Set(),
          ecosystem: vuln.ecosystem,
          installed: new Set(),
          vulns: new Map(),
          nodes: new Set(),
        };
        groups.set(k, g);
      }
      g.installed.add(vuln.installed);
      g.binaries.add(vuln.package);
      g.nodes.add(node);
      const prev = g.vulns.get(id);
      g.vulns.set(id, {
        id,
        severity: vuln.severity,
        fixedVersions: [...new Set([...(prev?.fixedVersions ?? []), ...vuln.fixedVersions])],
      });
    }
  const advice = upgradeAdvice(index);
  const adviceByNode = new Map(advice.map((a) => [a.fromNode, a]));
  const pos = new Map(lineage.order.map((id, i) => [id, i]));
  const items: PlanItem[] = [];
  for (const g of groups.values()) {
    const fixNode = lineage.nodes.get(g.fixNode) as LineageNode;
    const image = nodeLabel(fixNode);
    const vulnerabilities = [...g.vulns.values()].sort((a, b) => cmp(a.id, b.id));
    const fixable = vulnerabilities.every((v) => v.fixedVersions.length > 0);
    const targetVersion = fixable
      ? maxVersion(
          g.ecosystem,
          vulnerabilities.flatMap((v) => v.fixedVersions),
        )
      : undefined;
    const rebuild = [...g.nodes]
      .filter((n) => n !== g.fixNode)
      .sort((a, b) => (pos.get(a) ?? 0) - (pos.get(b) ?? 0) || cmp(a, b))
      .map((n) => nodeLabel(lineage.nodes.get(n) as LineageNode));
    const reach = reachOf(index, g.nodes);
    const weight = vulnerabilities.reduce((s, v) => s + SEVERITY_WEIGHT[v.severity], 0);
    const score = weight * (reach.workloads.size + (EXPOSURE_WEIGHT - 1) * reach.exposed);
    const binaries = [...g.binaries].sort(cmp);
    const what =
      binaries.length === 1 && binaries[0] === g.package
        ? g.package
        : `${g.package} (${binaries.join(", ")})`;
    const bump = targetVersion
      ? `bump ${what} to >= ${targetVersion} in image ${image}`
      : `no fixed version of ${what} is known for ${vulnerabilities
          .filter((v) => v.fixedVersions.length === 0)
          .map((v) => v.id)
          .join(", ")}: remove or replace ${g.package} in image ${image}`;
    const item: PlanItem = {
      id: stableHash(`${g.fixNode}\u0000${g.package}`),
      rank: 0,
      score,
      fixNode: g.fixNode,
      image,
      package: g.package,
      binaries,
      ecosystem: g.ecosystem,
      installed: [...g.installed].sort(cmp),
      vulnerabilities,
      rebuild,
      images: g.nodes.size,
      workloads: reach.workloads.size,
      replicas: reach.replicas,
      exposedWorkloads: reach.exposed,
      teams: [...reach.teams].sort(cmp),
      action: `${bump}${rebuild.length > 0 ? `; rebuild children ${rebuild.join(", ")}` : ""}`,
    };
    if (targetVersion !== undefined) item.targetVersion = targetVersion;
    const up = adviceByNode.get(g.fixNode);
    if (up) item.upgrade = up;
    items.push(item);
  }
  const weightOf = (i: PlanItem): number =>
    i.vulnerabilities.reduce((s, v) => s + SEVERITY_WEIGHT[v.severity], 0);
  items.sort(
    (a, b) =>
      b.score - a.score ||
      weightOf(b) - weightOf(a) ||
      b.images - a.images ||
      cmp(a.image, b.image) ||
      cmp(a.package, b.package),
  );
  items.forEach((it, i) => {
    it.rank = i + 1;
  });
  const teamMap = new Map<string, string[]>();
  const baseMap = new Map<string, string[]>();
  for (const it of items) {
    for (const t of it.teams) teamMap.set(t, [...(teamMap.get(t) ?? []), it.id]);
    // Base images only: a fix node that other known images are built on. A fix in a leaf (an application
    // image) is that team's own rebuild and is listed under its team.
    if ((lineage.nodes.get(it.fixNode)?.children.length ?? 0) > 0)
      baseMap.set(it.fixNode, [...(baseMap.get(it.fixNode) ?? []), it.id]);
  }
  return {
    items,
    byTeam: [...teamMap].sort((a, b) => cmp(a[0], b[0])).map(([team, ids]) => ({ team, items: ids })),
    byBase: [...baseMap]
      .map(([node, ids]) => ({ node, image: nodeLabel(lineage.nodes.get(node) as LineageNode), items: ids }))
      .sort((a, b) => cmp(a.image, b.image) || cmp(a.node, b.node)),
    upgrades: advice,
  };
}
