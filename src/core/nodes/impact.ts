/**
 * `vuln impact` for node components: which nodes and control planes run a vulnerable component, and through the
 * nodes every workload whose pods are scheduled there (`spec.nodeName`).
 */
import { cmp, type ResourceRef, SEVERITY_RANK, type Severity } from "../findings/index.js";
import type { Inventory } from "../inventory/index.js";
import { asString, isRecord } from "../util/index.js";
import type { InfraVulnFinding } from "./match.js";

export interface InfraImpact {
  /** Primary id of the vulnerability, when a node component carries it. */
  vulnerabilityId?: string | undefined;
  aliases: string[];
  severity?: Severity | undefined;
  nodes: {
    name: string;
    cluster?: string | undefined;
    pool?: string | undefined;
    component: string;
    fixedVersions: string[];
    remediation: string;
  }[];
  controlPlanes: { cluster: string; component: string; fixedVersions: string[] }[];
  /** Workloads with at least one pod on an affected node, and on which of them. */
  workloads: { ref: ResourceRef; cluster?: string | undefined; team?: string | undefined; nodes: string[] }[];
  totals: { nodes: number; controlPlanes: number; workloads: number; pods: number };
}

/** Nodes, control planes and workloads a vulnerability reaches through node components. */
export function infraImpact(
  findings: readonly InfraVulnFinding[],
  inv: Inventory,
  query: string,
): InfraImpact {
  const q = query.trim().toUpperCase();
  const hits = findings.filter(
    (f) =>
      !f.suppressed &&
      (f.vulnerabilityId.toUpperCase() === q || f.aliases.some((a) => a.toUpperCase() === q)),
  );
  const out: InfraImpact = {
    aliases: [],
    nodes: [],
    controlPlanes: [],
    workloads: [],
    totals: { nodes: 0, controlPlanes: 0, workloads: 0, pods: 0 },
  };
  if (hits.length === 0) return out;
  const first = hits[0] as InfraVulnFinding;
  out.vulnerabilityId = first.vulnerabilityId;
  const aliases = new Set<string>();
  let severity: Severity | undefined;
  const affected = new Set<string>();
  const key = (cluster: string | undefined, name: string) => `${cluster ?? ""}\u0000${name}`;
  for (const f of hits) {
    for (const a of f.aliases) aliases.add(a);
    if (severity === undefined || SEVERITY_RANK[f.severity] > SEVERITY_RANK[severity]) severity = f.severity;
    const component = `${f.component.name} ${f.component.version}`;
    if (f.resource.kind === "Node") {
      affected.add(key(f.cluster, f.resource.name));
      const n: InfraImpact["nodes"][number] = {
        name: f.resource.name,
        component,
        fixedVersions: f.fixedVersions,
        remediation: f.remediation,
      };
      if (f.cluster !== undefined) n.cluster = f.cluster;
      if (f.pool !== undefined) n.pool = f.pool;
      out.nodes.push(n);
    } else out.controlPlanes.push({ cluster: f.resource.name, component, fixedVersions: f.fixedVersions });
  }
  out.aliases = [...aliases].filter((a) => a !== out.vulnerabilityId).sort(cmp);
  out.severity = severity;
  out.nodes.sort(
    (a, b) => cmp(a.cluster ?? "", b.cluster ?? "") || cmp(a.name, b.name) || cmp(a.component, b.component),
  );
  out.controlPlanes.sort((a, b) => cmp(a.cluster, b.cluster));
  let pods = 0;
  for (const w of inv.workloads) {
    const on = new Set<string>();
    // A bare Pod is its own workload: its pod is the object itself.
    for (const p of w.kind === "Pod" && w.pods.length === 0 ? [w.object] : w.pods) {
      const spec = isRecord(p.raw.spec) ? p.raw.spec : {};
      const nodeName = asString(spec.nodeName);
      if (nodeName && affected.has(key(p.cluster, nodeName))) {
        on.add(nodeName);
        pods++;
      }
    }
    if (on.size === 0) continue;
    const e: InfraImpact["workloads"][number] = { ref: w.ref, nodes: [...on].sort(cmp) };
    if (w.object.cluster !== undefined) e.cluster = w.object.cluster;
    if (w.team !== undefined) e.team = w.team;
    out.workloads.push(e);
  }
  out.workloads.sort(
    (a, b) =>
      cmp(a.cluster ?? "", b.cluster ?? "") ||
      cmp(a.ref.namespace ?? "", b.ref.namespace ?? "") ||
      cmp(a.ref.kind, b.ref.kind) ||
      cmp(a.ref.name, b.ref.name),
  );
  out.totals = {
    nodes: new Set(out.nodes.map((n) => key(n.cluster, n.name))).size,
    controlPlanes: out.controlPlanes.length,
    workloads: out.workloads.length,
    pods,
  };
  return out;
}

/** Lines appended to `vuln impact`'s table. */
export function formatInfraImpact(i: InfraImpact): string {
  if (i.vulnerabilityId === undefined) return "";
  const out: string[] = [
    `Node components: ${i.totals.nodes} node(s), ${i.totals.controlPlanes} control plane(s), ${i.totals.workloads} workload(s) with ${i.totals.pods} pod(s) on those nodes`,
  ];
  for (const n of i.nodes)
    out.push(
      `  node ${n.cluster ? `${n.cluster}/` : ""}${n.name}${n.pool ? ` (pool ${n.pool})` : ""}: ${n.component}: ${n.remediation}`,
    );
  for (const c of i.controlPlanes) out.push(`  control plane ${c.cluster}: ${c.component}`);
  for (const w of i.workloads)
    out.push(
      `  workload ${w.cluster ? `${w.cluster}/` : ""}${w.ref.namespace ?? ""}/${w.ref.kind}/${w.ref.name}${w.team ? ` (team ${w.team})` : ""} on ${w.nodes.join(", ")}`,
    );
  return `${out.join("\n")}\n`;
}
