import { type CoverageEntry, cmp, compareCoverage } from "../findings/index.js";
import {
  matchPackages,
  type OsvRecord,
  packageQueries,
  type SchemeResolver,
  type VulnFinding,
} from "../vuln/index.js";
import { sbomOfKnownImage } from "./known-image.js";
import type { Lineage, LineageNode, LineageVulns, NodeVuln } from "./model.js";

/** Advisory lookup keys needed to match every node of the tree (feed them to a VulnStore). */
export function lineageQueryKeys(lineage: Lineage): string[] {
  const keys = new Set<string>();
  for (const img of lineage.representative.values())
    for (const q of packageQueries(sbomOfKnownImage(img))) keys.add(q.key);
  return [...keys].sort(cmp);
}

/**
 * Match each node once (retags share a node) against the advisories. Findings are per node id; coverage from
 * matching is merged and de-duplicated.
 */
export function matchLineage(
  lineage: Lineage,
  byKey: ReadonlyMap<string, readonly OsvRecord[]>,
  resolver: SchemeResolver,
): { findings: Map<string, VulnFinding[]>; coverage: CoverageEntry[] } {
  const findings = new Map<string, VulnFinding[]>();
  const coverage = new Map<string, CoverageEntry>();
  for (const id of lineage.order) {
    const img = lineage.representative.get(id);
    if (!img) continue;
    const r = matchPackages(sbomOfKnownImage(img), byKey, { resolver });
    findings.set(id, r.findings);
    for (const c of r.coverage) coverage.set(`${c.reason}\u0000${c.subject ?? ""}\u0000${c.message}`, c);
  }
  return { findings, coverage: [...coverage.values()].sort(compareCoverage) };
}

/**
 * Attribute each (vulnerability, package) of each node to the node whose own layers introduced the package.
 *
 * Walk up from the node: across a layer edge, the parent holds the package when the package's layer index lies
 * inside the parent's chain (the child inherits those layers byte for byte); across an annotation edge (no shared
 * layers to prove it) the parent holds it when it carries the same package name and version. The highest node
 * that holds it is where the fix belongs: rebuilding it and its descendants clears it everywhere.
 */
export function attributeVulns(
  lineage: Lineage,
  findingsByNode: ReadonlyMap<string, readonly VulnFinding[]>,
): LineageVulns {
  const pkgSets = new Map<string, Set<string>>();
  const holds = (nodeId: string, name: string, version: string): boolean => {
    let s = pkgSets.get(nodeId);
    if (!s) {
      s = new Set(
        (lineage.representative.get(nodeId)?.packages ?? []).map((p) => `${p.name}\u0000${p.version}`),
      );
      pkgSets.set(nodeId, s);
    }
    return s.has(`${name}\u0000${version}`);
  };
  const byNode = new Map<string, NodeVuln[]>();
  const nodesByVuln = new Map<string, Set<string>>();
  const aliasToId = new Map<string, string>();
  for (const id of lineage.order) {
    const node = lineage.nodes.get(id) as LineageNode;
    const list: NodeVuln[] = [];
    const seen = new Set<string>();
    for (const f of findingsByNode.get(id) ?? []) {
      // One entry per (vulnerability, package, version): the same package found at two paths is one fix.
      const k = `${f.vulnerabilityId}\u0000${f.package.name}\u0000${f.installed}`;
      if (seen.has(k) || f.suppressed !== undefined) continue;
      seen.add(k);
      const li = f.layerDiffId !== undefined ? node.layers.indexOf(f.layerDiffId) : -1;
      let cur = node;
      for (let guard = 0; cur.parent !== undefined && guard <= lineage.nodes.size; guard++) {
        const p = lineage.nodes.get(cur.parent) as LineageNode;
        const inherited =
          cur.parentSource === "layers" && li >= 0
            ? li < p.layers.length
            : holds(p.id, f.package.name, f.installed);
        if (!inherited) break;
        cur = p;
      }
      const v: NodeVuln = {
        vulnerabilityId: f.vulnerabilityId,
        aliases: f.aliases,
        severity: f.severity,
        package: f.package.name,
        sourcePackage: f.package.lookupName,
        ecosystem: f.package.ecosystem,
        purl: f.package.purl,
        installed: f.installed,
        fixedVersions: f.fixedVersions,
        fixNode: cur.id,
      };
      if (li >= 0) v.layerIndex = li;
      list.push(v);
      const set = nodesByVuln.get(f.vulnerabilityId) ?? new Set<string>();
      set.add(id);
      nodesByVuln.set(f.vulnerabilityId, set);
      aliasToId.set(f.vulnerabilityId.toUpperCase(), f.vulnerabilityId);
      for (const a of f.aliases)
        if (!aliasToId.has(a.toUpperCase())) aliasToId.set(a.toUpperCase(), f.vulnerabilityId);
    }
    list.sort(compareNodeVulns);
    byNode.set(id, list);
  }
  const sortedNodes = new Map<string, string[]>();
  for (const [k, s] of nodesByVuln) sortedNodes.set(k, [...s].sort(cmp));
  return { byNode, nodesByVuln: sortedNodes, aliasToId };
}

export function compareNodeVulns(a: NodeVuln, b: NodeVuln): number {
  return (
    cmp(a.vulnerabilityId, b.vulnerabilityId) ||
    cmp(a.package, b.package) ||
    cmp(a.installed, b.installed) ||
    cmp(a.fixNode, b.fixNode)
  );
}

/** Distinct vulnerability ids a node carries. */
export function vulnIdsOf(vulns: LineageVulns, nodeId: string): Set<string> {
  return new Set((vulns.byNode.get(nodeId) ?? []).map((v) => v.vulnerabilityId));
}
