/**
 * The infrastructure inventory: what each Node runs (`status.nodeInfo`), its pool, OS and kernel, and the control
 * plane's version. Pure: the inventory's objects in, components and coverage out.
 */
import type { CoverageEntry } from "../findings/index.js";
import { cmp } from "../findings/index.js";
import type { Inventory, KObject } from "../inventory/index.js";
import { asString, isRecord } from "../util/index.js";
import { kernelComponent } from "./kernel.js";
import type {
  AdvisoryPackage,
  ComponentRole,
  ControlPlane,
  InfraInventory,
  NodeComponent,
  NodeInventory,
  NodePool,
} from "./model.js";
import { bundledRunc, INSTANCE_TYPE_LABELS, POOL_LABELS, parseOsImage, providerOf } from "./tables.js";
import { parseComponentVersion, splitRuntimeVersion } from "./versions.js";

/** The object a live read (or a snapshot) carries the API server's `/version` answer in. */
export const CLUSTER_VERSION_KIND = { apiVersion: "palisade.dev/v1", kind: "ClusterVersion" } as const;

/**
 * Advisory packages per component. Go-ecosystem records (the Go vulnerability database, GHSA) name modules;
 * the Kubernetes project's own feed (and kubernetes-sigs/cve-feed-osv) uses the ecosystem "kubernetes" with one
 * package per component (k8s.io/kubelet, k8s.io/apiserver, ...). Go records for k8s.io/kubernetes name the whole
 * repository, not a component: they are matched against every component built from it, unless a component-named
 * record of the same vulnerability says which components it affects (see match.ts).
 */
export const COMPONENT_PACKAGES: Readonly<Record<string, readonly AdvisoryPackage[]>> = {
  kubelet: [
    { ecosystem: "Go", name: "k8s.io/kubernetes" },
    { ecosystem: "kubernetes", name: "k8s.io/kubelet" },
    { ecosystem: "kubernetes", name: "k8s.io/kubernetes" },
  ],
  "kube-proxy": [
    { ecosystem: "Go", name: "k8s.io/kubernetes" },
    { ecosystem: "kubernetes", name: "k8s.io/kube-proxy" },
    { ecosystem: "kubernetes", name: "k8s.io/kubernetes" },
  ],
  kubernetes: [
    { ecosystem: "Go", name: "k8s.io/kubernetes" },
    { ecosystem: "kubernetes", name: "k8s.io/apiserver" },
    { ecosystem: "kubernetes", name: "k8s.io/controller-manager" },
    { ecosystem: "kubernetes", name: "k8s.io/kube-scheduler" },
    { ecosystem: "kubernetes", name: "k8s.io/kubernetes" },
  ],
  containerd: [{ ecosystem: "Go", name: "github.com/containerd/containerd" }],
  "containerd/v2": [{ ecosystem: "Go", name: "github.com/containerd/containerd/v2" }],
  "cri-o": [{ ecosystem: "Go", name: "github.com/cri-o/cri-o" }],
  docker: [{ ecosystem: "Go", name: "github.com/docker/docker" }],
  runc: [{ ecosystem: "Go", name: "github.com/opencontainers/runc" }],
};

/** Component-named packages of the "kubernetes" ecosystem, by the role they describe. */
export const KUBERNETES_COMPONENT_ROLES: Readonly<Record<string, readonly ComponentRole[]>> = {
  "k8s.io/kubelet": ["kubelet"],
  "k8s.io/kube-proxy": ["kube-proxy"],
  "k8s.io/apiserver": ["control-plane"],
  "k8s.io/controller-manager": ["control-plane"],
  "k8s.io/kube-scheduler": ["control-plane"],
};

/** Build the infrastructure inventory; what cannot be told is coverage. */
export function buildInfraInventory(inv: Inventory): { infra: InfraInventory; coverage: CoverageEntry[] } {
  const coverage: CoverageEntry[] = [];
  const nodes = inv.nodes.map((n) => nodeInventory(n, coverage));
  nodes.sort((a, b) => cmp(a.cluster ?? "", b.cluster ?? "") || cmp(a.ref.name, b.ref.name));
  const controlPlanes = controlPlaneVersions(inv, coverage);
  return { infra: { nodes, controlPlanes }, coverage };
}

function nodeInfo(n: KObject): Record<string, unknown> {
  const status = n.raw.status;
  return isRecord(status) && isRecord(status.nodeInfo) ? status.nodeInfo : {};
}

function nodeInventory(n: KObject, coverage: CoverageEntry[]): NodeInventory {
  const info = nodeInfo(n);
  const subject = `Node/${n.ref.name}`;
  const out: NodeInventory = {
    ref: n.ref,
    os: parseOsImage(asString(info.osImage) ?? ""),
    components: [],
  };
  if (n.cluster !== undefined) out.cluster = n.cluster;
  const pool = poolOf(n);
  if (pool) out.pool = pool;
  const spec = isRecord(n.raw.spec) ? n.raw.spec : {};
  const provider = providerOf(asString(spec.providerID));
  if (provider) out.provider = provider;
  for (const l of INSTANCE_TYPE_LABELS) {
    const t = n.labels[l];
    if (t) {
      out.instanceType = t;
      break;
    }
  }
  const kernelVersion = asString(info.kernelVersion);
  if (kernelVersion) out.kernelVersion = kernelVersion;
  const arch = asString(info.architecture);
  if (arch) out.architecture = arch;
  const osName = asString(info.operatingSystem);
  if (osName) out.operatingSystem = osName;
  if (Object.keys(info).length === 0) {
    coverage.push({
      reason: "missing",
      subject,
      message:
        "the Node has no status.nodeInfo (a manifest, or a snapshot without status): its components are unknown",
    });
    return out;
  }
  const kube = (
    role: "kubelet" | "kube-proxy",
    field: "kubeletVersion" | "kubeProxyVersion",
  ): NodeComponent | undefined => {
    const raw = asString(info[field]);
    if (!raw) return undefined;
    const v = parseComponentVersion(raw);
    if (!v.upstream) {
      coverage.push({
        reason: "not-evaluated",
        subject,
        message: `status.nodeInfo.${field} ${JSON.stringify(raw.slice(0, 80))} is not a Kubernetes version: ${role} not matched`,
      });
      return undefined;
    }
    return component(role, role, raw, v.upstream, `status.nodeInfo.${field}`, v.vendorSuffix, role);
  };
  const kubelet = kube("kubelet", "kubeletVersion");
  if (kubelet) out.components.push(kubelet);
  else if (!asString(info.kubeletVersion))
    coverage.push({
      reason: "missing",
      subject,
      message: "status.nodeInfo.kubeletVersion is empty or not a string",
    });
  // kubeProxyVersion is deprecated (KEP-4004) and set to the kubelet's version by older kubelets: a separate
  // component only when it says something else.
  const proxyRaw = asString(info.kubeProxyVersion);
  if (proxyRaw && proxyRaw !== asString(info.kubeletVersion)) {
    const proxy = kube("kube-proxy", "kubeProxyVersion");
    if (proxy) out.components.push(proxy);
  }
  runtimeComponents(asString(info.containerRuntimeVersion), subject, out, coverage);
  if (kernelVersion) {
    const k = kernelComponent(kernelVersion, out.os);
    if (k.component) out.components.push(k.component);
    else
      coverage.push({
        reason: "not-evaluated",
        subject,
        message: `kernel ${kernelVersion.slice(0, 80)} on ${out.os.osImage || "an unknown OS"}: ${k.why}`,
      });
  }
  return out;
}

function component(
  role: ComponentRole,
  name: string,
  raw: string,
  version: string,
  fieldPath: string,
  vendorSuffix: string | undefined,
  packagesOf: string,
): NodeComponent {
  const c: NodeComponent = {
    role,
    name,
    raw,
    version,
    fieldPath,
    packages: [...(COMPONENT_PACKAGES[packagesOf] ?? [])],
  };
  if (vendorSuffix !== undefined) c.vendorSuffix = vendorSuffix;
  return c;
}

const RUNTIME_FIELD = "status.nodeInfo.containerRuntimeVersion";
const KNOWN_RUNTIMES: ReadonlySet<string> = new Set(["containerd", "cri-o", "docker"]);

function runtimeComponents(
  raw: string | undefined,
  subject: string,
  out: NodeInventory,
  coverage: CoverageEntry[],
): void {
  if (!raw) {
    coverage.push({ reason: "missing", subject, message: `${RUNTIME_FIELD} is empty or not a string` });
    return;
  }
  const split = splitRuntimeVersion(raw);
  if (split && !KNOWN_RUNTIMES.has(split.runtime)) {
    coverage.push({
      reason: "unsupported",
      subject,
      message: `container runtime ${JSON.stringify(raw.slice(0, 80))}: no advisory source is known for it; not matched`,
    });
    return;
  }
  const v = split ? parseComponentVersion(split.version) : undefined;
  if (!split || !v?.upstream) {
    coverage.push({
      reason: "not-evaluated",
      subject,
      message: `${RUNTIME_FIELD} ${JSON.stringify(raw.slice(0, 80))} is not runtime://version: the container runtime is not matched`,
    });
    return;
  }
  const version = v.upstream;
  switch (split.runtime) {
    case "containerd": {
      const major2 = !version.startsWith("0.") && !version.startsWith("1.");
      out.components.push(
        component(
          "container-runtime",
          "containerd",
          raw,
          version,
          RUNTIME_FIELD,
          v.vendorSuffix,
          major2 ? "containerd/v2" : "containerd",
        ),
      );
      // Windows nodes run containers through hcsshim, not runc.
      if (out.operatingSystem === "windows") return;
      // Distribution and vendor builds (`1.6.20-0ubuntu1~22.04.1`, `1.6.21+azure-3`) package runc separately:
      // only containerd's own release version says which runc came with it.
      if (v.vendorSuffix !== undefined) {
        coverage.push({
          reason: "not-evaluated",
          subject,
          message: `runc: containerd ${split.version} is a distribution or vendor build, whose runc is packaged separately; runc not matched`,
        });
        return;
      }
      const runc = bundledRunc(version);
      if (runc) {
        const c = component("runc", "runc", raw, runc.runc, RUNTIME_FIELD, undefined, "runc");
        c.derivedFrom = `${runc.exact ? "bundled" : "at least the runc bundled"} with containerd ${version} release builds (table: docs/node-components.md)`;
        out.components.push(c);
      } else
        coverage.push({
          reason: "not-evaluated",
          subject,
          message: `runc: containerd ${version} is not in the table of runc versions its release builds bundle; runc not matched`,
        });
      return;
    }
    case "cri-o":
      out.components.push(
        component("container-runtime", "cri-o", raw, version, RUNTIME_FIELD, v.vendorSuffix, "cri-o"),
      );
      coverage.push({
        reason: "not-evaluated",
        subject,
        message: `runc/crun: CRI-O ${version} uses the OCI runtime the host installs; its version is not reported, not matched`,
      });
      return;
    case "docker":
      out.components.push(
        component("container-runtime", "docker", raw, version, RUNTIME_FIELD, v.vendorSuffix, "docker"),
      );
      coverage.push({
        reason: "not-evaluated",
        subject,
        message: `runc: Docker ${version} runs the runc of the separately versioned containerd.io package; runc not matched`,
      });
      return;
    default:
      coverage.push({
        reason: "unsupported",
        subject,
        message: `container runtime ${split.runtime} ${version}: no advisory source is known for it; not matched`,
      });
  }
}

function poolOf(n: KObject): NodePool | undefined {
  for (const p of POOL_LABELS) {
    const name = n.labels[p.label];
    if (name) return { provider: p.provider, name, label: p.label };
  }
  return undefined;
}

/**
 * The control plane's version per cluster: the API server's `/version` (live reads and snapshots that carry a
 * ClusterVersion object), else the tag of a kube-apiserver static pod's image (self-managed control planes run
 * one per control-plane node; managed ones show none).
 */
function controlPlaneVersions(inv: Inventory, coverage: CoverageEntry[]): ControlPlane[] {
  const byCluster = new Map<string, ControlPlane>();
  for (const o of inv.objects) {
    if (o.ref.kind !== CLUSTER_VERSION_KIND.kind || o.ref.apiVersion !== CLUSTER_VERSION_KIND.apiVersion)
      continue;
    const sv = o.raw.serverVersion;
    const git = isRecord(sv) ? asString(sv.gitVersion) : undefined;
    const v = git ? parseComponentVersion(git) : undefined;
    const key = o.cluster ?? "";
    if (!v?.upstream) {
      coverage.push({
        reason: "invalid",
        subject: `${o.ref.kind}/${o.ref.name}`,
        message: "serverVersion.gitVersion is not a Kubernetes version: control plane not matched",
      });
      continue;
    }
    const cp: ControlPlane = {
      ref: { apiVersion: CLUSTER_VERSION_KIND.apiVersion, kind: "Cluster", name: o.cluster ?? o.ref.name },
      source: o.origin === "cluster" ? "live" : "snapshot",
      component: component(
        "control-plane",
        "kubernetes",
        git as string,
        v.upstream,
        "serverVersion.gitVersion",
        v.vendorSuffix,
        "kubernetes",
      ),
    };
    if (o.cluster !== undefined) cp.cluster = o.cluster;
    byCluster.set(key, cp);
  }
  for (const w of inv.workloads) {
    if (w.ref.namespace !== "kube-system") continue;
    const key = w.object.cluster ?? "";
    if (byCluster.has(key)) continue;
    for (const c of w.containers) {
      const repo = c.image?.repository ?? "";
      if (repo !== "kube-apiserver" && !repo.endsWith("/kube-apiserver")) continue;
      const tag = c.image?.tag;
      const v = tag ? parseComponentVersion(tag) : undefined;
      if (!v?.upstream) continue;
      const cp: ControlPlane = {
        ref: {
          apiVersion: CLUSTER_VERSION_KIND.apiVersion,
          kind: "Cluster",
          name: w.object.cluster ?? "cluster",
        },
        source: "static-pod",
        component: component(
          "control-plane",
          "kubernetes",
          tag as string,
          v.upstream,
          `${c.path}.image`,
          v.vendorSuffix,
          "kubernetes",
        ),
      };
      if (w.object.cluster !== undefined) cp.cluster = w.object.cluster;
      byCluster.set(key, cp);
      break;
    }
  }
  if (byCluster.size === 0 && inv.nodes.length > 0)
    coverage.push({
      reason: "missing",
      subject: "control plane",
      message:
        "the control plane's version is unknown (no live /version, no ClusterVersion object, no kube-apiserver pod): control-plane advisories not matched",
    });
  return [...byCluster.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, cp]) => cp);
}
