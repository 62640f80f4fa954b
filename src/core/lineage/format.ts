import { type CoverageEntry, refToString, SEVERITIES, type Severity } from "../findings/index.js";
import { plural } from "../report/index.js";
import { appendAll, maxOf } from "../util/index.js";
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

/** What "exposed" means wherever a table says it. */
export const EXPOSED_LEGEND =
  "exposed: reachable from outside the cluster (a LoadBalancer or NodePort Service, or an Ingress, routes to it)";

/**
 * The advisory as the user named it first, then its other names: asked for DEBIAN-CVE-2099-0001, the header reads
 * `DEBIAN-CVE-2099-0001 (CVE-2099-0001, ...)`; asked for the CVE, the CVE comes first.
 */
function advisoryNames(a: ImpactAnswer): string {
  const id = a.vulnerabilityId as string;
  const all = [id, ...a.aliases];
  const asked = all.find((n) => n.toUpperCase() === a.query.toUpperCase()) ?? id;
  const others = all.filter((n) => n !== asked);
  return `${asked}${others.length ? ` (${others.join(", ")})` : ""}`;
}

/** Human table for an impact answer; at most `limit` workloads listed. */
export function formatImpactTable(a: ImpactAnswer, limit = 50): string {
  if (a.vulnerabilityId === undefined) return `${a.query}: no known image carries this vulnerability\n`;
  const l: string[] = [];
  l.push(`${advisoryNames(a)}  severity ${a.severity}`);
  const t = a.totals;
  l.push(
    // Snapshots and manifests carry no cluster name: "0 clusters" would read as "not deployed anywhere".
    `${plural(t.images, "image")}, ${plural(t.workloads, "workload")} (${plural(t.replicas, "replica")}), ${plural(t.namespaces, "namespace")}, ${t.clusters > 0 ? `${plural(t.clusters, "cluster")}, ` : ""}${plural(t.teams, "team")}`,
  );
  l.push("", "FIX AT");
  for (const f of a.fixAt)
    l.push(
      `  ${f.image}: ${f.package} ${f.installed} -> ${f.fixedVersions.length ? `>= ${f.fixedVersions[f.fixedVersions.length - 1]}` : "no fix known"} (${f.images} affected ${f.images === 1 ? "image inherits" : "images inherit"} it)`,
    );
  l.push("", "IMAGES");
  for (const i of a.images)
    l.push(`  ${i.image}  ${plural(i.workloads, "workload")}, ${plural(i.replicas, "replica")}`);
  l.push("", "WORKLOADS");
  for (const w of a.workloads.slice(0, limit))
    l.push(
      `  ${w.cluster !== undefined ? `${w.cluster}:` : ""}${refToString(w.ref)}  ${w.vulnerableReplicas}/${plural(w.replicas, "replica")}  team ${w.team ?? "-"}${w.exposed ? "  exposed" : ""}`,
    );
  if (a.workloads.length > limit) l.push(`  ... ${a.workloads.length - limit} more (-o json for all)`);
  l.push("", `TEAMS       ${a.teams.join(", ") || "-"}`, `NAMESPACES  ${a.namespaces.join(", ") || "-"}`);
  if (a.clusters.length) l.push(`CLUSTERS    ${a.clusters.join(", ")}`);
  if (a.workloads.some((w) => w.exposed)) l.push("", EXPOSED_LEGEND);
  return `${l.join("\n")}\n`;
}

/**
 * Human view of the plan: top items, then per team (every fix the team's count counts, up to `perGroup`, then
 * how many more) and per base image (images other known images are built on).
 */
export function formatPlanTable(p: RemediationPlan, limit = 20, perGroup = 10): string {
  const l: string[] = [];
  if (p.items.length === 0) return "nothing to fix: no known image carries a known vulnerability\n";
  l.push("TOP FIXES");
  for (const it of p.items.slice(0, limit)) {
    l.push(
      `${String(it.rank).padStart(3)}. [score ${it.score}] ${it.action}`,
      `     clears ${it.vulnerabilities.map((v) => `${v.id} (${v.severity})`).join(", ")}; ${plural(it.images, "image")}, ${plural(it.workloads, "workload")} (${it.exposedWorkloads} exposed), ${it.teams.length === 1 ? "team" : "teams"} ${it.teams.join(", ") || "-"}`,
    );
    if (it.upgrade) l.push(`     or ${it.upgrade.message}`);
  }
  if (p.items.length > limit) l.push(`  ... ${p.items.length - limit} more (-o json for all)`);
  const byId = new Map(p.items.map((i) => [i.id, i]));
  const group = (ids: readonly string[]): string[] => [
    ...ids.slice(0, perGroup).map((id) => {
      const it = byId.get(id);
      return `    ${it ? `${String(it.rank).padStart(3)}. ${it.action}` : id}`;
    }),
    ...(ids.length > perGroup ? [`    ... ${ids.length - perGroup} more (-o json for all)`] : []),
  ];
  l.push("", "BY TEAM");
  for (const t of p.byTeam)
    appendAll(l, [`  ${t.team}: ${plural(t.items.length, "fix", "fixes")}`], group(t.items));
  if (p.byBase.length) {
    l.push("", "BY BASE IMAGE (fixes in images that other known images are built on)");
    for (const b of p.byBase)
      appendAll(l, [`  ${b.image}: ${plural(b.items.length, "fix", "fixes")}`], group(b.items));
  }
  if (p.upgrades.length) {
    l.push("", "UPGRADES");
    for (const u of p.upgrades) l.push(`  ${u.message}`);
  }
  if (p.items.some((i) => i.exposedWorkloads > 0)) l.push("", EXPOSED_LEGEND);
  return `${l.join("\n")}\n`;
}

/** Human view of remediation records. */
export function formatStatusTable(records: readonly RemediationRecord[]): string {
  if (records.length === 0)
    return "no remediation records yet (observe a snapshot: palisade vuln status --snapshot FILE)\n";
  // FIX IN: the image where the fix is made (the vulnerable one); FIXED IMAGE: the image that carries the fix,
  // once one is known ("-" until then).
  const rows = [["STATE", "VULNERABILITY", "FIX IN", "FIXED IMAGE", "REPLICAS FIXED", "OPENED / CLOSED"]];
  for (const r of records) {
    const ttf =
      r.timeToFixSeconds !== undefined ? ` (time to fix ${formatDuration(r.timeToFixSeconds)})` : "";
    rows.push([
      r.state,
      r.vulnerabilityId,
      r.fixImage,
      r.patchedImages.length ? r.patchedImages.join(", ") : "-",
      `${r.totals.fixedReplicas}/${r.totals.replicas}`,
      `${r.openedAt}${r.closedAt ? ` -> ${r.closedAt}${ttf}` : ""}${r.reopenCount ? ` reopened x${r.reopenCount}` : ""}`,
    ]);
  }
  const widths =
    rows[0]?.map((_, i) =>
      maxOf(
        0,
        rows.map((row) => row[i]?.length ?? 0),
      ),
    ) ?? [];
  return `${rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")).join("\n")}\n`;
}

/** `3d 8h 30m` from seconds (days, hours, minutes; seconds only under a minute). */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : ""].filter(Boolean).join(" ") || "0m";
}
