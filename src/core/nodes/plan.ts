/**
 * The upgrade plan: node findings grouped by (cluster, pool, component, version), each group one step
 * ("12 nodes in pool gke/gpu-a run containerd 1.6.18: upgrade containerd to >= 1.6.26, fixes 3 vulnerabilities
 * (1 critical, 2 high); critical: CVE-...").
 */
import { cmp, SEVERITIES, SEVERITY_RANK, type Severity } from "../findings/index.js";
import { DEFAULT_RESOLVER, type SchemeResolver } from "../vuln/index.js";
import { type InfraVulnFinding, upgradeAdvice } from "./match.js";
import type { ComponentRole } from "./model.js";
import { containerdBundling } from "./tables.js";
import { compareUpstream, minorOf } from "./versions.js";

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
  /** A component the step's release bundles and fixes with it (runc in containerd's release builds). */
  bundled?: { name: string; version: string; upgradeTo: string } | undefined;
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
    // A bundled runc is grouped by the containerd release it came with: that release is what gets upgraded.
    const k = [
      f.cluster ?? "",
      f.pool ?? "",
      f.component.role,
      f.component.name,
      f.component.version,
      f.component.derivedFrom ?? "",
    ].join("\u0000");
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
  return mergeBundledRunc(steps).sort(
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

/**
 * A runc that containerd's release builds bundle is fixed by upgrading containerd: its step joins the containerd
 * step of the same nodes (or becomes one), "upgrade containerd to >= 1.6.28 (bundles runc >= 1.1.12)", so the
 * plan says once what to do on those nodes and counts every vulnerability it fixes.
 */
function mergeBundledRunc(steps: UpgradeStep[]): UpgradeStep[] {
  const out: UpgradeStep[] = [];
  const containerdSteps = new Map<string, UpgradeStep>();
  const key = (s: UpgradeStep, version: string) =>
    [s.cluster ?? "", s.pool ?? "", version, s.targets.join(",")].join("\u0000");
  for (const s of steps)
    if (s.component.role === "container-runtime" && s.component.name === "containerd")
      containerdSteps.set(key(s, s.component.version), s);
  for (const s of steps) {
    const from =
      s.component.role === "runc"
        ? /containerd (\S+) release/.exec(s.component.derivedFrom ?? "")?.[1]
        : undefined;
    const release = from && s.upgradeTo ? containerdBundling(minorOf(from), s.upgradeTo) : undefined;
    if (!from || !release || !s.upgradeTo) {
      out.push(s);
      continue;
    }
    const c = containerdSteps.get(key(s, from));
    const upgradeTo =
      c?.upgradeTo !== undefined && compareUpstream(c.upgradeTo, release) > 0 ? c.upgradeTo : release;
    const merged: UpgradeStep = {
      component: { role: "container-runtime", name: "containerd", version: from },
      targets: s.targets,
      upgradeTo,
      advice: `upgrade containerd to >= ${upgradeTo} (its release builds bundle runc >= ${s.upgradeTo}, fixing runc ${s.component.version})`,
      fixes: {
        vulnerabilities: [...(c?.fixes.vulnerabilities ?? []), ...s.fixes.vulnerabilities].sort(cmp),
        bySeverity: Object.fromEntries(
          SEVERITIES.map((v) => [v, (c?.fixes.bySeverity[v] ?? 0) + s.fixes.bySeverity[v]]),
        ) as Record<Severity, number>,
      },
      unfixed: [...(c?.unfixed ?? []), ...s.unfixed].sort(cmp),
      critical: [...(c?.critical ?? []), ...s.critical],
      severity: c && SEVERITY_RANK[c.severity] > SEVERITY_RANK[s.severity] ? c.severity : s.severity,
      bundled: { name: "runc", version: s.component.version, upgradeTo: s.upgradeTo },
      text: "",
    };
    if (s.cluster !== undefined) merged.cluster = s.cluster;
    if (s.pool !== undefined) merged.pool = s.pool;
    merged.text = stepText(merged, true);
    if (c) c.text = ""; // replaced by the merged step
    out.push(merged);
  }
  return out.filter((s) => s.text !== "");
}
