import { type CoverageEntry, refToString, SEVERITIES, type Severity } from "../findings/index.js";
import { appendAll } from "../util/index.js";
import type { ImpactAnswer } from "./impact.js";
import type { Lineage, LineageNode, LineageVulns } from "./model.js";
import type { RemediationPlan } from "./plan.js";
import type { RemediationRecord } from "./remediation.js";
import { nodeLabel } from "./tree.js";

/** Vulnerability counts of one node. */
export interface NodeCounts {
  /** Distinct vulnerability ids the image carries. */
  total: number;
  bySeverity: Partial<Record<Severity, number>>;
  /** Of those, how many must be fixed in this node (introduced by its own layers). */
  fixHere: number;
}

/** JSON view of the tree. */
export interface TreeJson {
  nodes: {
    id: string;
    image: string;
    refs: string[];
    digests: string[];
    platform?: string | undefined;
    parent?: string | undefined;
    parentSource?: string | undefined;
    depth: number;
    layers: number;
    ownLayers: number;
    children: string[];
    vulnerabilities: NodeCounts;
  }[];
  roots: string[];
  coverage: CoverageEntry[];
}

/** Count vulnerabilities per node (distinct ids; fixHere counts ids whose fix node is this node). */
export function nodeCounts(lineage: Lineage, vulns: LineageVulns | undefined): Map<string, NodeCounts> {
  const out = new Map<string, NodeCounts>();
  for (const id of lineage.order) {
    const seen = new Map<string, Severity>();
    const here = new Set<string>();
    for (const v of vulns?.byNode.get(id) ?? []) {
      seen.set(v.vulnerabilityId, v.severity);
      if (v.fixNode === id) here.add(v.vulnerabilityId);
    }
    const bySeverity: Partial<Record<Severity, number>> = {};
    for (const s of seen.values()) bySeverity[s] = (bySeverity[s] ?? 0) + 1;
    out.set(id, { total: seen.size, bySeverity, fixHere: here.size });
  }
  return out;
}

export function treeJson(lineage: Lineage, vulns: LineageVulns | undefined): TreeJson {
  const counts = nodeCounts(lineage, vulns);
  return {
    nodes: lineage.order.map((id) => {
      const n = lineage.nodes.get(id) as LineageNode;
      return {
        id,
        image: nodeLabel(n),
        refs: n.refs,
        digests: n.digests,
        platform: n.platform,
        parent: n.parent,
        parentSource: n.parentSource,
        depth: n.depth,
        layers: n.layers.length,
        ownLayers: n.layers.length - n.ownLayerStart,
        children: n.children,
        vulnerabilities: counts.get(id) as NodeCounts,
      };
    }),
    roots: lineage.roots,
    coverage: lineage.coverage,
  };
}

function countText(c: NodeCounts): string {
  if (c.total === 0) return "no known vulnerabilities";
  const sev = SEVERITIES.filter((s) => c.bySeverity[s]).map((s) => `${c.bySeverity[s]} ${s}`);
  return `${c.total} ${c.total === 1 ? "vulnerability" : "vulnerabilities"} (${sev.join(", ")}); ${c.fixHere} to fix here`;
}

/** The tree as indented text with box-drawing branches. */
export function formatTreeText(lineage: Lineage, vulns: LineageVulns | undefined): string {
  const counts = nodeCounts(lineage, vulns);
  const lines: string[] = [];
  const walk = (id: string, prefix: string, last: boolean, root: boolean): void => {
    const n = lineage.nodes.get(id) as LineageNode;
    const extra = n.refs.length > 1 ? ` (also ${n.refs.slice(1).join(", ")})` : "";
    const how = n.parentSource === "annotation" ? " [base by annotation]" : "";
    const head = root ? "" : `${prefix}${last ? "└─ " : "├─ "}`;
    lines.push(
      `${head}${nodeLabel(n)}${extra}${how}  ${n.id.slice(0, 19)}  ${countText(counts.get(id) as NodeCounts)}`,
    );
    const childPrefix = root ? "" : `${prefix}${last ? "   " : "│  "}`;
    n.children.forEach((c, i) => {
      walk(c, childPrefix, i === n.children.length - 1, false);
    });
  };
  for (const r of lineage.roots) walk(r, "", true, true);
  if (lineage.roots.length === 0) lines.push("no known images (palisade images add IMAGE...)");
  return `${lines.join("\n")}\n`;
}

const dotEscape = (s: string): string => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

/** Graphviz DOT: one box per node, solid edges by layers, dashed edges by annotation. */
export function formatTreeDot(lineage: Lineage, vulns: LineageVulns | undefined): string {
  const counts = nodeCounts(lineage, vulns);
  const lines = ["digraph lineage {", "  rankdir=TB;", '  node [shape=box, fontname="monospace"];'];
  for (const id of lineage.order) {
    const n = lineage.nodes.get(id) as LineageNode;
    const c = counts.get(id) as NodeCounts;
    const color = c.fixHere > 0 ? ", color=red" : "";
    lines.push(
      `  "${dotEscape(id)}" [label="${dotEscape(`${nodeLabel(n)}\n${c.total} vulns, ${c.fixHere} fix here`)}"${color}];`,
    );
  }
  for (const id of lineage.order) {
    const n = lineage.nodes.get(id) as LineageNode;
    if (n.parent !== undefined)
      lines.push(
        `  "${dotEscape(n.parent)}" -> "${dotEscape(id)}"${n.parentSource === "annotation" ? " [style=dashed]" : ""};`,
      );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Human table for an impact answer; at most `limit` workloads listed. */
export function formatImpactTable(a: ImpactAnswer, limit = 50): string {
  if (a.vulnerabilityId === undefined) return `${a.query}: no known image carries this vulnerability\n`;
  const l: string[] = [];
  l.push(
    `${a.vulnerabilityId}${a.aliases.length ? ` (${a.aliases.join(", ")})` : ""}  severity ${a.severity}`,
  );
  l.push(
    // Snapshots and manifests carry no cluster name: "0 clusters" would read as "not deployed anywhere".
    `${a.totals.images} images, ${a.totals.workloads} workloads (${a.totals.replicas} replicas), ${a.totals.namespaces} namespaces, ${a.totals.clusters > 0 ? `${a.totals.clusters} clusters, ` : ""}${a.totals.teams} teams`,
  );
  l.push("", "FIX AT");
  for (const f of a.fixAt)
    l.push(
      `  ${f.image}: ${f.package} ${f.installed} -> ${f.fixedVersions.length ? `>= ${f.fixedVersions[f.fixedVersions.length - 1]}` : "no fix known"} (${f.images} affected images inherit it)`,
    );
  l.push("", "IMAGES");
  for (const i of a.images) l.push(`  ${i.image}  ${i.workloads} workloads, ${i.replicas} replicas`);
  l.push("", "WORKLOADS");
  for (const w of a.workloads.slice(0, limit))
    l.push(
      `  ${w.cluster !== undefined ? `${w.cluster}:` : ""}${refToString(w.ref)}  ${w.vulnerableReplicas}/${w.replicas} replicas  team ${w.team ?? "-"}${w.exposed ? "  exposed" : ""}`,
    );
  if (a.workloads.length > limit) l.push(`  ... ${a.workloads.length - limit} more (-o json for all)`);
  l.push("", `TEAMS       ${a.teams.join(", ") || "-"}`, `NAMESPACES  ${a.namespaces.join(", ") || "-"}`);
  if (a.clusters.length) l.push(`CLUSTERS    ${a.clusters.join(", ")}`);
  return `${l.join("\n")}\n`;
}

/** Human view of the plan: top items, then per team and per base image. */
export function formatPlanTable(p: RemediationPlan, limit = 20): string {
  const l: string[] = [];
  if (p.items.length === 0) return "nothing to fix: no known image carries a known vulnerability\n";
  l.push("TOP FIXES");
  for (const it of p.items.slice(0, limit)) {
    l.push(
      `${String(it.rank).padStart(3)}. [score ${it.score}] ${it.action}`,
      `     clears ${it.vulnerabilities.map((v) => `${v.id} (${v.severity})`).join(", ")}; ${it.images} images, ${it.workloads} workloads (${it.exposedWorkloads} exposed), teams ${it.teams.join(", ") || "-"}`,
    );
    if (it.upgrade) l.push(`     or ${it.upgrade.message}`);
  }
  if (p.items.length > limit) l.push(`  ... ${p.items.length - limit} more (-o json for all)`);
  const byId = new Map(p.items.map((i) => [i.id, i]));
  l.push("", "BY TEAM");
  for (const t of p.byTeam) {
    const top = t.items.slice(0, 3).map((id) => byId.get(id)?.action ?? id);
    appendAll(
      l,
      [`  ${t.team}: ${t.items.length} fixes`],
      top.map((a) => `    - ${a}`),
    );
  }
  l.push("", "BY BASE IMAGE");
  for (const b of p.byBase) l.push(`  ${b.image}: ${b.items.length} fixes`);
  if (p.upgrades.length) {
    l.push("", "UPGRADES");
    for (const u of p.upgrades) l.push(`  ${u.message}`);
  }
  return `${l.join("\n")}\n`;
}

/** Human view of remediation records. */
export function formatStatusTable(records: readonly RemediationRecord[]): string {
  if (records.length === 0)
    return "no remediation records yet (observe a snapshot: palisade vuln status --snapshot FILE)\n";
  const l = [
    "STATE          VULNERABILITY        FAMILY / FIX IMAGE                          REPLICAS FIXED  OPENED / CLOSED",
  ];
  for (const r of records) {
    const ttf =
      r.timeToFixSeconds !== undefined ? ` (time to fix ${formatDuration(r.timeToFixSeconds)})` : "";
    l.push(
      `${r.state.padEnd(14)} ${r.vulnerabilityId.padEnd(20)} ${r.fixImage.padEnd(43)} ${`${r.totals.fixedReplicas}/${r.totals.replicas}`.padEnd(14)} ${r.openedAt}${r.closedAt ? ` -> ${r.closedAt}${ttf}` : ""}${r.reopenCount ? ` reopened x${r.reopenCount}` : ""}`,
    );
  }
  return `${l.join("\n")}\n`;
}

/** `3d 8h 30m` from seconds (days, hours, minutes; seconds only under a minute). */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : ""].filter(Boolean).join(" ") || "0m";
}
