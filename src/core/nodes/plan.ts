/**
 * The upgrade plan: node findings grouped by (cluster, pool, component, version), each group one step
 * ("12 nodes in pool gke/gpu-a run containerd 1.6.18: upgrade containerd to >= 1.6.26, fixes 3 vulnerabilities
 * (1 critical, 2 high); critical: CVE-...").
 */
import { cmp, SEVERITIES, SEVERITY_RANK, type Severity } from "../findings/index.js";
import { DEFAULT_RESOLVER, type SchemeResolver } from "../vuln/index.js";
import { type InfraVulnFinding, upgradeAdvice } from "./match.js";
import type { ComponentRole } from "./model.js";

export interface UpgradeStep {
  cluster?: string | undefined;
  /** `provider/name`, absent for nodes in no recognised pool (and for control planes). */
  pool?: string | undefined;
  component: { role: ComponentRole; name: string; version: string; derivedFrom?: string | undefined };
  /** Node names (or the cluster, for a control plane), sorted. */
  targets: string[];
  /** The version that fixes every fixable vulnerability of the group; absent when none is fixable. */
  upgradeTo?: string | undefined;
  advice: string;
  fixes: { vulnerabilities: string[]; bySeverity: Record<Severity, number> };
  /** Vulnerabilities no release fixes yet. */
  unfixed: string[];
  /** Critical vulnerabilities fixed by the step, with their summary. */
  critical: { id: string; summary?: string | undefined }[];
  severity: Severity;
  text: string;
}

const emptyCounts = (): Record<Severity, number> => ({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });

/** Group active findings into upgrade steps, most severe and widest first. */
export function buildUpgradePlan(
  findings: readonly InfraVulnFinding[],
  resolver: SchemeResolver = DEFAULT_RESOLVER,
): UpgradeStep[] {
  const groups = new Map<string, InfraVulnFinding[]>();
  for (const f of findings) {
    if (f.suppressed) continue;
    const k = [f.cluster ?? "", f.pool ?? "", f.component.role, f.component.name, f.component.version].join(
      "\u0000",
    );
    const g = groups.get(k);
    if (g) g.push(f);
    else groups.set(k, [f]);
  }
  const steps: UpgradeStep[] = [];
  for (const g of groups.values()) {
    const first = g[0] as InfraVulnFinding;
    const scheme = resolver.forEcosystem(first.package.ecosystem);
    const newer = (a: string, b: string): boolean => {
      if (scheme?.isValid(a) && scheme.isValid(b)) return scheme.compare(a, b) > 0;
      return cmp(a, b) > 0;
    };
    const targets = new Set<string>();
    const perVuln = new Map<string, InfraVulnFinding>();
    for (const f of g) {
      targets.add(f.resource.name);
      if (!perVuln.has(f.vulnerabilityId)) perVuln.set(f.vulnerabilityId, f);
    }
    let upgradeTo: string | undefined;
    const fixed: string[] = [];
    const unfixed: string[] = [];
    const bySeverity = emptyCounts();
    const critical: UpgradeStep["critical"] = [];
    let severity: Severity = "info";
    for (const [id, f] of [...perVuln].sort((a, b) => cmp(a[0], b[0]))) {
      const t = f.fixedVersions[f.fixedVersions.length - 1];
      if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[severity]) severity = f.severity;
      if (t === undefined) {
        unfixed.push(id);
        continue;
      }
      fixed.push(id);
      bySeverity[f.severity]++;
      if (f.severity === "critical") critical.push(f.summary ? { id, summary: f.summary } : { id });
      if (upgradeTo === undefined || newer(t, upgradeTo)) upgradeTo = t;
    }
    const component: UpgradeStep["component"] = {
      role: first.component.role,
      name: first.component.name,
      version: first.component.version,
    };
    if (first.component.derivedFrom) component.derivedFrom = first.component.derivedFrom;
    const advice = upgradeTo
      ? upgradeAdvice(
          { ...first.component, fieldPath: "", packages: [], derivedFrom: first.component.derivedFrom },
          upgradeTo,
        )
      : "no fix available yet";
    const step: UpgradeStep = {
      component,
      targets: [...targets].sort(cmp),
      advice,
      fixes: { vulnerabilities: fixed, bySeverity },
      unfixed,
      critical,
      severity,
      text: "",
    };
    if (first.cluster !== undefined) step.cluster = first.cluster;
    if (first.pool !== undefined) step.pool = first.pool;
    if (upgradeTo !== undefined) step.upgradeTo = upgradeTo;
    step.text = stepText(step, first.resource.kind === "Node");
    steps.push(step);
  }
  return steps.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      b.targets.length - a.targets.length ||
      cmp(a.cluster ?? "", b.cluster ?? "") ||
      cmp(a.pool ?? "", b.pool ?? "") ||
      cmp(a.component.name, b.component.name) ||
      cmp(a.component.version, b.component.version),
  );
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function stepText(s: UpgradeStep, onNodes: boolean): string {
  const where = onNodes
    ? `${plural(s.targets.length, "node", "nodes")}${s.pool ? ` in pool ${s.pool}` : ""}${s.cluster ? ` of cluster ${s.cluster}` : ""} ${s.targets.length === 1 ? "runs" : "run"}`
    : `the control plane of cluster ${s.cluster ?? s.targets[0] ?? ""} runs`;
  const n = s.fixes.vulnerabilities.length;
  const counts = SEVERITIES.filter((v) => s.fixes.bySeverity[v] > 0)
    .map((v) => `${s.fixes.bySeverity[v]} ${v}`)
    .join(", ");
  const parts = [`${where} ${s.component.name} ${s.component.version}: ${s.advice}`];
  if (n > 0) parts.push(`fixes ${plural(n, "vulnerability", "vulnerabilities")} (${counts})`);
  let text = parts.join(", ");
  if (s.critical.length > 0)
    text += `; critical: ${s.critical.map((c) => (c.summary ? `${c.id} (${c.summary})` : c.id)).join("; ")}`;
  if (s.unfixed.length > 0) text += `; no fix yet for ${s.unfixed.join(", ")}`;
  return text;
}
