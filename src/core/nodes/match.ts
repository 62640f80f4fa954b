/**
 * Match node and control-plane components against OSV advisories through the vulnerability matcher
 * (core/vuln `matchPackages`): each distinct component version is one single-package SBOM, matched once however
 * many nodes run it.
 */
import {
  type CoverageEntry,
  cmp,
  compareCoverage,
  findingId,
  type ResourceRef,
  refToString,
} from "../findings/index.js";
import type { Package, Sbom } from "../sbom/index.js";
import {
  advisoryKey,
  DEFAULT_RESOLVER,
  matchPackages,
  type OsvAffected,
  type OsvRecord,
  type SchemeResolver,
  splitEcosystem,
  type VulnFinding,
} from "../vuln/index.js";
import { KUBERNETES_COMPONENT_ROLES } from "./inventory.js";
import type { ComponentRole, InfraInventory, NodeComponent, NodeInventory } from "./model.js";
import { containerdBundling } from "./tables.js";
import { minorOf } from "./versions.js";

/** A vulnerability of a node or control-plane component: the matcher's finding, placed on the Node/Cluster. */
export interface InfraVulnFinding extends VulnFinding {
  component: {
    role: ComponentRole;
    name: string;
    raw: string;
    version: string;
    derivedFrom?: string | undefined;
    vendorSuffix?: string | undefined;
  };
  /** `provider/name` of the node's managed pool. */
  pool?: string | undefined;
  cluster?: string | undefined;
}

export interface InfraMatchResult {
  findings: InfraVulnFinding[];
  coverage: CoverageEntry[];
}

/** Every store key the inventory's components need (plus the component-named Kubernetes packages). */
export function infraQueryKeys(infra: InfraInventory): string[] {
  const keys = new Set<string>();
  const add = (c: NodeComponent) => {
    for (const p of c.packages) keys.add(advisoryKey(p.ecosystem, p.name));
  };
  for (const n of infra.nodes) for (const c of n.components) add(c);
  for (const cp of infra.controlPlanes) add(cp.component);
  for (const name of Object.keys(KUBERNETES_COMPONENT_ROLES)) keys.add(advisoryKey("kubernetes", name));
  return [...keys].sort(cmp);
}

interface Subject {
  ref: ResourceRef;
  cluster?: string | undefined;
  pool?: string | undefined;
  os?: NodeInventory["os"] | undefined;
  /** `status.nodeInfo.operatingSystem` (linux, windows). */
  operatingSystem?: string | undefined;
  component: NodeComponent;
}

/**
 * Match every component against the records `byKey` holds (keyed by `advisoryKey`). Findings are sorted by
 * resource, component and vulnerability.
 */
export function matchInfra(
  infra: InfraInventory,
  byKey: ReadonlyMap<string, readonly OsvRecord[]>,
  resolver: SchemeResolver = DEFAULT_RESOLVER,
): InfraMatchResult {
  const coverage = new Map<string, CoverageEntry>();
  const addCoverage = (c: CoverageEntry) => {
    const k = `${c.reason}\u0000${c.subject ?? ""}\u0000${c.message}`;
    if (!coverage.has(k)) coverage.set(k, c);
  };
  const rolesById = componentRoles(byKey);
  const subjects: Subject[] = [];
  for (const n of infra.nodes)
    for (const c of n.components)
      subjects.push({
        ref: n.ref,
        cluster: n.cluster,
        pool: n.pool ? `${n.pool.provider}/${n.pool.name}` : undefined,
        os: n.os,
        operatingSystem: n.operatingSystem,
        component: c,
      });
  for (const cp of infra.controlPlanes)
    subjects.push({ ref: cp.ref, cluster: cp.cluster, component: cp.component });
  const cache = new Map<string, { findings: VulnFinding[]; coverage: CoverageEntry[] }>();
  const findings: InfraVulnFinding[] = [];
  for (const s of subjects) {
    const c = s.component;
    const cacheKey = [
      c.role,
      c.name,
      c.version,
      c.versionUpperBound ?? "",
      s.os?.id ?? "",
      s.os?.versionId ?? "",
      s.operatingSystem ?? "",
    ].join("\u0000");
    let m = cache.get(cacheKey);
    if (!m) {
      m = matchComponent(c, s.os, byKey, resolver, rolesById, s.operatingSystem);
      cache.set(cacheKey, m);
    }
    for (const cv of m.coverage)
      addCoverage({ ...cv, subject: `${refToString(s.ref)} ${c.name}: ${cv.subject ?? ""}`.trim() });
    for (const f of m.findings) findings.push(place(f, s));
  }
  findings.sort(
    (a, b) =>
      cmp(a.cluster ?? "", b.cluster ?? "") ||
      cmp(a.resource.kind, b.resource.kind) ||
      cmp(a.resource.name, b.resource.name) ||
      cmp(a.component.role, b.component.role) ||
      cmp(a.vulnerabilityId, b.vulnerabilityId),
  );
  return { findings, coverage: [...coverage.values()].sort(compareCoverage) };
}

/** Vulnerability id or alias -> the roles component-named records of it affect. */
function componentRoles(byKey: ReadonlyMap<string, readonly OsvRecord[]>): Map<string, Set<ComponentRole>> {
  const out = new Map<string, Set<ComponentRole>>();
  for (const name of Object.keys(KUBERNETES_COMPONENT_ROLES)) {
    for (const r of byKey.get(advisoryKey("kubernetes", name)) ?? []) {
      const roles = new Set<ComponentRole>();
      for (const a of r.affected)
        if (splitEcosystem(a.package.ecosystem).base === "kubernetes")
          for (const role of KUBERNETES_COMPONENT_ROLES[a.package.name] ?? []) roles.add(role);
      for (const id of [r.id, ...r.aliases]) {
        const set = out.get(id) ?? new Set<ComponentRole>();
        for (const role of roles) set.add(role);
        out.set(id, set);
      }
    }
  }
  return out;
}

const WINDOWS_ONLY = /\bon Windows (?:worker )?nodes\b|\baffecting Windows nodes\b/i;

const KUBERNETES_ROLES: ReadonlySet<ComponentRole> = new Set(["kubelet", "kube-proxy", "control-plane"]);

function matchComponent(
  c: NodeComponent,
  os: NodeInventory["os"] | undefined,
  byKey: ReadonlyMap<string, readonly OsvRecord[]>,
  resolver: SchemeResolver,
  rolesById: Map<string, Set<ComponentRole>>,
  operatingSystem: string | undefined,
): { findings: VulnFinding[]; coverage: CoverageEntry[] } {
  const canonical = c.packages[0];
  if (!canonical) return { findings: [], coverage: [] };
  const canonicalKey = advisoryKey(canonical.ecosystem, canonical.name);
  const aliasKeys = new Set(c.packages.map((p) => advisoryKey(p.ecosystem, p.name)));
  // Records found under any of the component's packages, their entries for those packages renamed to the
  // canonical one, so the matcher sees one package: one finding per vulnerability, not one per feed.
  const records = new Map<string, OsvRecord>();
  for (const key of aliasKeys)
    for (const r of byKey.get(key) ?? []) {
      if (records.has(r.id)) continue;
      records.set(r.id, key === canonicalKey ? r : renamed(r, aliasKeys, canonical));
    }
  const merged = new Map<string, OsvRecord[]>([[canonicalKey, [...records.values()]]]);
  const run = (version: string) => matchPackages(sbomOf(c, canonical, version, os), merged, { resolver });
  const low = run(c.version);
  let found = low.findings;
  const coverage = [...low.coverage];
  if (c.versionUpperBound !== undefined) {
    const high = new Set(run(c.versionUpperBound).findings.map((f) => f.vulnerabilityId));
    found = [];
    for (const f of low.findings) {
      if (high.has(f.vulnerabilityId)) found.push(f);
      else
        coverage.push({
          reason: "not-evaluated",
          subject: f.vulnerabilityId,
          message: `fixed in ${f.fixedVersions.join(", ") || "a later upload"}, inside the running ABI ${c.version}: whether this node has the fix cannot be told from kernelVersion`,
        });
    }
  }
  // Kubernetes announces Windows-only kubelet vulnerabilities as such ("... on Windows nodes"), and neither OSV nor
  // the feed has a field for it: a node that reports another operating system is not affected.
  if (c.role === "kubelet" && operatingSystem !== undefined && operatingSystem !== "windows")
    found = found.filter((f) => !WINDOWS_ONLY.test(f.summary ?? ""));
  if (KUBERNETES_ROLES.has(c.role))
    found = found.filter((f) => {
      const roles = new Set<ComponentRole>();
      for (const id of [f.vulnerabilityId, ...f.aliases])
        for (const r of rolesById.get(id) ?? []) roles.add(r);
      return roles.size === 0 || roles.has(c.role);
    });
  return { findings: found, coverage };
}

function renamed(
  r: OsvRecord,
  keys: ReadonlySet<string>,
  to: { ecosystem: string; name: string },
): OsvRecord {
  const affected: OsvAffected[] = r.affected.map((a) =>
    keys.has(advisoryKey(a.package.ecosystem, a.package.name))
      ? { ...a, package: { ecosystem: to.ecosystem, name: to.name } }
      : a,
  );
  return { ...r, affected };
}

function sbomOf(
  c: NodeComponent,
  pkg: { ecosystem: string; name: string },
  version: string,
  os: NodeInventory["os"] | undefined,
): Sbom {
  const base = splitEcosystem(pkg.ecosystem).base;
  let p: Package;
  const sbom: Sbom = { subject: { kind: "sbom", name: c.name }, layers: [], packages: [] };
  if (base === "Ubuntu" && os?.versionId !== undefined) {
    p = {
      type: "deb",
      name: pkg.name,
      sourceName: pkg.name,
      version,
      purl: `pkg:deb/ubuntu/${pkg.name}@${encodeURIComponent(version)}?distro=ubuntu-${os.versionId}`,
      locations: [c.fieldPath],
    };
    sbom.os = { id: "ubuntu", versionId: os.versionId };
  } else {
    p = {
      type: "golang",
      name: pkg.name,
      version,
      purl: `pkg:golang/${pkg.name}@v${version}`,
      locations: [c.fieldPath],
    };
  }
  sbom.packages.push(p);
  return sbom;
}

/** The matcher's finding placed on its Node or Cluster, with the remediation said for the component. */
function place(f: VulnFinding, s: Subject): InfraVulnFinding {
  const c = s.component;
  const target = f.fixedVersions[f.fixedVersions.length - 1];
  const where = refToString(s.ref);
  const what = `${c.name} ${c.version}${c.vendorSuffix ? ` (reported ${c.raw})` : ""}`;
  const remediation = target ? upgradeAdvice(c, target) : "no fix available";
  const caveats: string[] = [];
  if (c.derivedFrom) caveats.push(c.derivedFrom);
  if (c.vendorSuffix)
    caveats.push(
      `a vendor build (${c.vendorSuffix}) may carry the fix backported: check the vendor's bulletin`,
    );
  const out: InfraVulnFinding = {
    ...f,
    id: findingId(f.vulnerabilityId, s.ref, c.fieldPath, `${c.role}\u0000${c.name}`),
    resource: s.ref,
    fieldPath: c.fieldPath,
    evidence: c.raw,
    message: `${where}: ${what} is affected by ${f.vulnerabilityId}${f.aliases.length ? ` (${f.aliases.join(", ")})` : ""}${f.summary ? `: ${f.summary}` : ""}${caveats.length ? ` [${caveats.join("; ")}]` : ""}`,
    remediation,
    category: "vulnerability",
    component: { role: c.role, name: c.name, raw: c.raw, version: c.version },
  };
  if (c.derivedFrom) out.component.derivedFrom = c.derivedFrom;
  if (c.vendorSuffix) out.component.vendorSuffix = c.vendorSuffix;
  if (s.pool !== undefined) out.pool = s.pool;
  if (s.cluster !== undefined) out.cluster = s.cluster;
  return out;
}

/** What to upgrade: the component itself, or for a bundled runc the containerd release that bundles the fix. */
export function upgradeAdvice(c: NodeComponent, target: string): string {
  if (c.role === "runc" && c.derivedFrom?.includes("containerd")) {
    const containerd = /containerd (\S+) release/.exec(c.derivedFrom)?.[1];
    const release = containerd ? containerdBundling(minorOf(containerd), target) : undefined;
    return release
      ? `upgrade runc to >= ${target}: containerd >= ${release} bundles it`
      : `upgrade runc to >= ${target} (a containerd release bundling it, or the host's runc package)`;
  }
  if (c.role === "kernel") return `upgrade ${c.name} to >= ${target} (a newer node image or kernel package)`;
  if (c.role === "control-plane") return `upgrade the control plane to >= ${target}`;
  return `upgrade ${c.name} to >= ${target}`;
}
