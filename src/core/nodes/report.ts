/** The node report (`palisade vuln nodes`) and its table. Pure. */
import {
  type CoverageEntry,
  cmp,
  compareCoverage,
  compareFindings,
  type Finding,
  SEVERITIES,
  SEVERITY_RANK,
  type Severity,
} from "../findings/index.js";
import type { Inventory } from "../inventory/index.js";
import { appendAll, maxOf, stableStringify } from "../util/index.js";
import type { OsvRecord } from "../vuln/index.js";
import { type HostAccessLink, hostAccessLinks, kubeletConfigFindings, osEolFindings } from "./hardening.js";
import { buildInfraInventory } from "./inventory.js";
import { type InfraVulnFinding, matchInfra } from "./match.js";
import type { ControlPlane, NodeInventory } from "./model.js";
import { buildUpgradePlan, type UpgradeStep } from "./plan.js";
import { osLifecycle } from "./tables.js";

export const NODES_REPORT_SCHEMA = "palisade.dev/nodes-report/v1";

/** One node in the report: its inventory and a digest of its findings. */
export interface NodeReportEntry extends NodeInventory {
  /** End of security support of the node's OS, when the table knows it. */
  osEndOfLife?: string | undefined;
  vulnerabilities: { id: string; component: string; severity: Severity; fixedVersions: string[] }[];
  /** Privileged DaemonSets with host mounts whose pods run on the node. */
  privilegedDaemonSets: string[];
}

export interface NodesReport {
  schemaVersion: typeof NODES_REPORT_SCHEMA;
  tool: { name: "palisade"; version: string };
  database?:
    | {
        advisories: number;
        newestModified?: string | undefined;
        importedAt?: string | undefined;
        stale: boolean;
      }
    | undefined;
  summary: {
    nodes: number;
    controlPlanes: number;
    /** Nodes with at least one active vulnerability finding. */
    vulnerableNodes: number;
    findings: number;
    bySeverity: Record<Severity, number>;
  };
  nodes: NodeReportEntry[];
  controlPlanes: (ControlPlane & {
    vulnerabilities: { id: string; severity: Severity; fixedVersions: string[] }[];
  })[];
  /** Vulnerability findings (InfraVulnFinding) and host findings (PAL-NODE-*), sorted. */
  findings: Finding[];
  plan: UpgradeStep[];
  hostAccess: HostAccessLink[];
  coverage: CoverageEntry[];
}

export interface NodesReportOptions {
  version: string;
  now: Date;
  /** Advisories by store key; undefined when no database is used (only host findings are reported). */
  advisories?: ReadonlyMap<string, readonly OsvRecord[]> | undefined;
  database?: NodesReport["database"];
  /** Posture findings of the same inventory (for the DaemonSet links). */
  posture?: readonly Finding[] | undefined;
}

/** Everything the node analysis finds in an inventory. */
export function analyzeNodes(
  inv: Inventory,
  opts: Omit<NodesReportOptions, "version" | "database">,
): {
  findings: Finding[];
  vulns: InfraVulnFinding[];
  plan: UpgradeStep[];
  hostAccess: HostAccessLink[];
  coverage: CoverageEntry[];
  report: Omit<NodesReport, "schemaVersion" | "tool" | "database">;
} {
  const built = buildInfraInventory(inv);
  const coverage = [...built.coverage];
  let vulns: InfraVulnFinding[] = [];
  if (opts.advisories) {
    const m = matchInfra(built.infra, opts.advisories);
    vulns = m.findings;
    appendAll(coverage, m.coverage);
    if (built.infra.nodes.some((n) => n.components.some((c) => c.role === "runc")))
      coverage.push({
        reason: "assumed",
        evaluated: true,
        subject: "runc",
        message:
          "runc versions are those containerd's release builds bundle (docs/node-components.md); a node whose OS packages runc separately may run another one",
      });
  } else if (inv.nodes.length > 0)
    coverage.push({
      reason: "not-evaluated",
      subject: "node components",
      message:
        "no vulnerability database: node and control-plane components were not matched against advisories",
    });
  const kubelet = kubeletConfigFindings(inv);
  appendAll(coverage, kubelet.coverage);
  const host = [...osEolFindings(built.infra.nodes, opts.now), ...kubelet.findings];
  const hostAccess = hostAccessLinks(inv, opts.posture ?? []);
  const findings: Finding[] = [...vulns, ...host].sort(compareFindings);
  const plan = buildUpgradePlan(vulns);
  const byNode = new Map<string, InfraVulnFinding[]>();
  const nodeKey = (cluster: string | undefined, name: string) => `${cluster ?? ""}\u0000${name}`;
  for (const f of vulns) {
    const k = `${f.resource.kind}\u0000${nodeKey(f.cluster, f.resource.name)}`;
    const l = byNode.get(k);
    if (l) l.push(f);
    else byNode.set(k, [f]);
  }
  const daemonSetsOn = new Map<string, string[]>();
  for (const l of hostAccess)
    for (const n of l.nodes) {
      const k = nodeKey(l.cluster, n);
      const list = daemonSetsOn.get(k) ?? [];
      list.push(`${l.daemonSet.namespace ?? ""}/${l.daemonSet.name}`);
      daemonSetsOn.set(k, list);
    }
  const digest = (fs: readonly InfraVulnFinding[]) =>
    fs
      .filter((f) => !f.suppressed)
      .map((f) => ({
        id: f.vulnerabilityId,
        component: `${f.component.name} ${f.component.version}`,
        severity: f.severity,
        fixedVersions: f.fixedVersions,
      }));
  const nodes: NodeReportEntry[] = built.infra.nodes.map((n) => {
    const e: NodeReportEntry = {
      ...n,
      vulnerabilities: digest(byNode.get(`Node\u0000${nodeKey(n.cluster, n.ref.name)}`) ?? []),
      privilegedDaemonSets: (daemonSetsOn.get(nodeKey(n.cluster, n.ref.name)) ?? []).sort(cmp),
    };
    const lc = osLifecycle(n.os);
    if (lc) e.osEndOfLife = lc.eol;
    return e;
  });
  const controlPlanes = built.infra.controlPlanes.map((cp) => ({
    ...cp,
    vulnerabilities: digest(byNode.get(`Cluster\u0000${nodeKey(cp.cluster, cp.ref.name)}`) ?? []).map(
      ({ component: _c, ...rest }) => rest,
    ),
  }));
  const bySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  let active = 0;
  for (const f of findings) {
    if (f.suppressed) continue;
    active++;
    bySeverity[f.severity]++;
  }
  const sortedCoverage = coverage.sort(compareCoverage);
  return {
    findings,
    vulns,
    plan,
    hostAccess,
    coverage: sortedCoverage,
    report: {
      summary: {
        nodes: nodes.length,
        controlPlanes: controlPlanes.length,
        vulnerableNodes: nodes.filter((n) => n.vulnerabilities.length > 0).length,
        findings: active,
        bySeverity,
      },
      nodes,
      controlPlanes,
      findings,
      plan,
      hostAccess,
      coverage: sortedCoverage,
    },
  };
}

/** The node report of an inventory. */
export function buildNodesReport(inv: Inventory, opts: NodesReportOptions): NodesReport {
  const a = analyzeNodes(inv, opts);
  const r: NodesReport = {
    schemaVersion: NODES_REPORT_SCHEMA,
    tool: { name: "palisade", version: opts.version },
    ...a.report,
  };
  if (opts.database) r.database = opts.database;
  return r;
}

export function formatNodesJson(r: NodesReport): string {
  return `${stableStringify(r)}\n`;
}

/** Whether an active finding is at or above `threshold`. */
export function nodesFailAt(r: NodesReport, threshold: Severity): boolean {
  return r.findings.some((f) => !f.suppressed && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]);
}

/** Human table: the upgrade plan first, then one line per node, host findings, and what was not evaluated. */
export function formatNodesTable(r: NodesReport): string {
  const out: string[] = [];
  const s = r.summary;
  out.push(
    `Palisade node components: ${s.nodes} node(s), ${s.controlPlanes} control plane(s); ${s.vulnerableNodes} node(s) vulnerable; ${s.findings} finding(s) (${SEVERITIES.map((v) => `${v} ${s.bySeverity[v]}`).join(", ")})`,
  );
  if (r.plan.length > 0) {
    out.push("", "Upgrade plan:");
    r.plan.forEach((p, i) => {
      out.push(`  ${i + 1}. [${p.severity.toUpperCase()}] ${p.text}`);
    });
  }
  if (r.controlPlanes.length > 0) {
    out.push("", "Control planes:");
    for (const cp of r.controlPlanes)
      out.push(
        `  ${cp.cluster ?? cp.ref.name}: Kubernetes ${cp.component.raw} (${cp.source})${cp.vulnerabilities.length ? `, ${cp.vulnerabilities.length} vulnerabilities` : ""}`,
      );
  }
  if (r.nodes.length > 0) {
    out.push("", "Nodes:");
    const rows = r.nodes.map((n) => {
      const comp = (role: string) => n.components.find((c) => c.role === role);
      const worst = n.vulnerabilities.reduce<Severity | undefined>(
        (w, v) => (w === undefined || SEVERITY_RANK[v.severity] > SEVERITY_RANK[w] ? v.severity : w),
        undefined,
      );
      return [
        n.ref.name,
        n.pool ? `${n.pool.provider}/${n.pool.name}` : "-",
        comp("kubelet")?.raw ?? "-",
        comp("container-runtime")?.raw ?? "-",
        comp("runc")?.version ?? "-",
        n.os.osImage || "-",
        n.kernelVersion ?? "-",
        n.vulnerabilities.length ? `${n.vulnerabilities.length} (${worst})` : "0",
      ];
    });
    const head = ["NODE", "POOL", "KUBELET", "RUNTIME", "RUNC", "OS", "KERNEL", "VULNS"];
    const widths = head.map((h, i) =>
      Math.min(
        40,
        maxOf(
          h.length,
          rows.map((c) => (c[i] ?? "").length),
        ),
      ),
    );
    const line = (c: string[]) =>
      c
        .map((x, i) => x.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd();
    out.push(`  ${line(head)}`);
    for (const row of rows) out.push(`  ${line(row)}`);
  }
  const host = r.findings.filter((f) => f.ruleId.startsWith("PAL-NODE-"));
  if (host.length > 0) {
    out.push("", "Host findings:");
    for (const f of host) out.push(`  [${f.severity.toUpperCase()}] ${f.ruleId} ${f.message}`);
  }
  if (r.hostAccess.length > 0) {
    out.push("", "Privileged DaemonSets with host mounts:");
    for (const l of r.hostAccess)
      out.push(
        `  ${l.daemonSet.namespace ?? ""}/${l.daemonSet.name} (${l.rules.join(", ")}): ${l.nodes.length ? `on ${l.nodes.join(", ")}` : "no pods in the input"}`,
      );
  }
  if (r.coverage.length > 0) {
    out.push("", `Not evaluated (${r.coverage.length}):`);
    for (const c of r.coverage) out.push(`  ${c.reason}: ${c.subject ? `${c.subject}: ` : ""}${c.message}`);
  }
  return `${out.join("\n")}\n`;
}

/**
 * A node finding in the one Finding shape every scan report holds (docs/schema/scan-report.v1.schema.json): the
 * vulnerability fields (package, fixed versions, component) stay in the node report; the fix is in `remediation`.
 */
export function asScanFinding(f: Finding): Finding {
  const out: Finding = {
    id: f.id,
    ruleId: f.ruleId,
    title: f.title,
    severity: f.severity,
    resource: f.resource,
    message: f.message,
    remediation: f.remediation,
    compliance: f.compliance,
    category: f.category,
  };
  if (f.workload !== undefined) out.workload = f.workload;
  if (f.team !== undefined) out.team = f.team;
  if (f.location !== undefined) out.location = f.location;
  if (f.fieldPath !== undefined) out.fieldPath = f.fieldPath;
  if (f.evidence !== undefined) out.evidence = f.evidence;
  if (f.suppressed !== undefined) out.suppressed = f.suppressed;
  return out;
}
