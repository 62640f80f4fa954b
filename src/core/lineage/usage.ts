import { cmp, type ResourceRef } from "../findings/index.js";
import type { Inventory, KObject, Labels, Workload } from "../inventory/index.js";
import { matchesServiceSelector } from "../k8s/index.js";
import { asArray, asString, isRecord } from "../util/index.js";
import { isDigest } from "./known-image.js";
import type { ContainerUsage, WorkloadUsage } from "./model.js";
import type { ObservationScope } from "./remediation.js";

/**
 * The digest in a container status `imageID`. The kubelet reports what the runtime resolved: with containerd and
 * CRI-O a repo digest `docker.io/library/nginx@sha256:...`; with dockershim `docker-pullable://nginx@sha256:...`
 * or `docker://sha256:...` (the image/config id) for images without a repo digest.
 * (k8s.io/api core/v1 ContainerStatus.imageID: "The image ID of the container's image.")
 */
export function digestOfImageId(imageID: string): string | undefined {
  let s = imageID.trim();
  for (const scheme of ["docker-pullable://", "docker://", "containerd://", "cri-o://"])
    if (s.startsWith(scheme)) s = s.slice(scheme.length);
  const at = s.lastIndexOf("@");
  if (at >= 0) s = s.slice(at + 1);
  return isDigest(s) ? s : undefined;
}

/** Stable key of a workload across snapshots: cluster/namespace/kind/name. */
export function workloadKey(ref: ResourceRef, cluster?: string): string {
  return `${cluster ?? ""}/${ref.namespace ?? ""}/${ref.kind}/${ref.name}`;
}

function serviceSelector(svc: KObject): Labels {
  const spec = isRecord(svc.raw.spec) ? svc.raw.spec : {};
  const sel = isRecord(spec.selector) ? spec.selector : {};
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(sel)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Service names an Ingress routes to (networking.k8s.io/v1 `backend.service.name`, v1beta1 `serviceName`). */
function ingressServices(ing: KObject): string[] {
  const spec = isRecord(ing.raw.spec) ? ing.raw.spec : {};
  const names: string[] = [];
  const backend = (b: unknown): void => {
    if (!isRecord(b)) return;
    const n = isRecord(b.service) ? asString(b.service.name) : asString(b.serviceName);
    if (n !== undefined) names.push(n);
  };
  backend(spec.defaultBackend);
  backend(spec.backend);
  for (const rule of asArray(spec.rules)) {
    if (!isRecord(rule) || !isRecord(rule.http)) continue;
    for (const p of asArray(rule.http.paths)) if (isRecord(p)) backend(p.backend);
  }
  return names;
}

/**
 * Workloads exposed outside the cluster: selected by a Service of type LoadBalancer or NodePort, or by any Service
 * an Ingress routes to (same cluster and namespace). Returns workload keys.
 */
export function exposedWorkloads(inv: Inventory): Set<string> {
  const out = new Set<string>();
  const exposedServices: KObject[] = [];
  const byName = new Map<string, KObject>();
  for (const svc of inv.services) {
    byName.set(`${svc.cluster ?? ""}/${svc.ref.namespace ?? ""}/${svc.ref.name}`, svc);
    const type = isRecord(svc.raw.spec) ? asString(svc.raw.spec.type) : undefined;
    if (type === "LoadBalancer" || type === "NodePort") exposedServices.push(svc);
  }
  for (const ing of inv.ingresses)
    for (const n of ingressServices(ing)) {
      const svc = byName.get(`${ing.cluster ?? ""}/${ing.ref.namespace ?? ""}/${n}`);
      if (svc) exposedServices.push(svc);
    }
  if (exposedServices.length === 0) return out;
  // A Service selects pods in its own namespace only (core/v1 ServiceSpec.selector), and only pods carrying every
  // label of its selector: each exposed Service is compared with the workloads of its cluster and namespace that
  // carry its selector's first label, found through an index (label key -> value -> workloads, in inventory
  // order), not with every workload. Maps are keyed by the values themselves (an unset cluster or namespace
  // included), so no key text two places could share.
  const byPlace = new Map<
    string | undefined,
    Map<string | undefined, Map<string, Map<string, Workload[]>>>
  >();
  for (const w of inv.workloads) {
    const index = innerMap(innerMap(byPlace, w.object.cluster), w.ref.namespace);
    for (const k of Object.keys(w.podLabels)) {
      const v = w.podLabels[k] as string;
      const values = innerMap(index, k);
      const list = values.get(v);
      if (list === undefined) values.set(v, [w]);
      else list.push(w);
    }
  }
  for (const svc of exposedServices) {
    const sel = serviceSelector(svc);
    const first = Object.keys(sel)[0];
    // An empty selector selects nothing here (the Service's endpoints are managed by hand).
    if (first === undefined) continue;
    const candidates = byPlace
      .get(svc.cluster)
      ?.get(svc.ref.namespace)
      ?.get(first)
      ?.get(sel[first] as string);
    for (const w of candidates ?? [])
      if (matchesServiceSelector(sel, w.podLabels)) out.add(workloadKey(w.ref, w.object.cluster));
  }
  return out;
}

/**
 * `os/arch[/variant]` of each node (cluster/name): core/v1 NodeSystemInfo `operatingSystem` and `architecture`,
 * else the well-known labels `kubernetes.io/os` and `kubernetes.io/arch`.
 */
function nodePlatforms(inv: Inventory): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of inv.nodes) {
    const status = isRecord(n.raw.status) ? n.raw.status : {};
    const info = isRecord(status.nodeInfo) ? status.nodeInfo : {};
    const os = asString(info.operatingSystem) ?? n.labels["kubernetes.io/os"];
    const arch = asString(info.architecture) ?? n.labels["kubernetes.io/arch"];
    if (os !== undefined && arch !== undefined) out.set(`${n.cluster ?? ""}/${n.ref.name}`, `${os}/${arch}`);
  }
  return out;
}

function runningDigests(w: Workload, platforms: Map<string, string>): Map<string, Map<string, number>> {
  // container name -> digest NUL platform -> replicas
  const out = new Map<string, Map<string, number>>();
  for (const pod of w.pods) {
    const spec = isRecord(pod.raw.spec) ? pod.raw.spec : {};
    const nodeName = asString(spec.nodeName);
    const platform = nodeName !== undefined ? platforms.get(`${pod.cluster ?? ""}/${nodeName}`) : undefined;
    const status = isRecord(pod.raw.status) ? pod.raw.status : undefined;
    if (!status) continue;
    const phase = asString(status.phase);
    // Finished pods no longer run anything (core/v1 PodPhase).
    if (phase === "Succeeded" || phase === "Failed") continue;
    for (const field of ["initContainerStatuses", "containerStatuses"]) {
      for (const cs of asArray(status[field])) {
        if (!isRecord(cs)) continue;
        const name = asString(cs.name);
        const id = asString(cs.imageID);
        const digest = id !== undefined ? digestOfImageId(id) : undefined;
        if (name === undefined || digest === undefined) continue;
        const m = out.get(name) ?? new Map<string, number>();
        const k = `${digest}\u0000${platform ?? ""}`;
        m.set(k, (m.get(k) ?? 0) + 1);
        out.set(name, m);
      }
    }
  }
  return out;
}

/**
 * How each workload uses images. Running digests come from its pods' `status.containerStatuses[].imageID` (and
 * init containers); a workload without pod status is counted at its desired replicas on its spec images.
 * Pods owned by a workload are read from the inventory's own pod list; nothing is added to the inventory model.
 */
export function workloadUsages(inv: Inventory): WorkloadUsage[] {
  const exposed = exposedWorkloads(inv);
  const platforms = nodePlatforms(inv);
  const out: WorkloadUsage[] = [];
  for (const w of inv.workloads) {
    // A bare Pod is its own single replica: its own status is its running state.
    const pods = w.kind === "Pod" ? [w.object] : w.pods;
    const running = runningDigests({ ...w, pods }, platforms);
    const containers: ContainerUsage[] = w.containers
      .filter((c) => c.type !== "ephemeralContainer")
      .map((c) => ({
        name: c.name,
        image: c.imageString,
        running: [...(running.get(c.name) ?? new Map<string, number>())]
          .sort((a, b) => cmp(a[0], b[0]))
          .map(([k, replicas]) => {
            const [digest, platform] = k.split("\u0000") as [string, string];
            return platform === "" ? { digest, replicas } : { digest, replicas, platform };
          }),
      }));
    const podsRunning = pods.filter((p) => {
      const phase = isRecord(p.raw.status) ? asString(p.raw.status.phase) : undefined;
      return phase !== "Succeeded" && phase !== "Failed";
    }).length;
    const u: WorkloadUsage = {
      ref: w.ref,
      replicas: pods.length > 0 && containers.some((c) => c.running.length > 0) ? podsRunning : w.replicas,
      exposed: exposed.has(workloadKey(w.ref, w.object.cluster)),
      containers,
    };
    if (w.object.cluster !== undefined) u.cluster = w.object.cluster;
    if (w.team !== undefined) u.team = w.team;
    out.push(u);
  }
  return out.sort(
    (a, b) =>
      cmp(a.cluster ?? "", b.cluster ?? "") ||
      cmp(a.ref.namespace ?? "", b.ref.namespace ?? "") ||
      cmp(a.ref.kind, b.ref.kind) ||
      cmp(a.ref.name, b.ref.name),
  );
}

/**
 * Where an inventory looked, read from what it holds: the clusters and namespaces its objects live in (a
 * Namespace object counts its namespace as read), and the kinds it holds (its objects' and its workloads',
 * a workload known only through its pods' ownerReferences included). A snapshot of one namespace, or a sensor
 * that missed a kind, thus says nothing about workloads elsewhere. `onlyNamespace` narrows it to the one
 * namespace a live read was limited to.
 */
export function observationScope(inv: Inventory, onlyNamespace?: string): ObservationScope {
  const clusters = new Set<string>();
  const namespaces = new Set<string>();
  const kinds = new Set<string>();
  const place = (cluster: string | undefined, ns: string | undefined): void => {
    const c = cluster ?? "";
    clusters.add(c);
    if (ns === undefined) return;
    if (onlyNamespace !== undefined && ns !== onlyNamespace) return;
    namespaces.add(`${c}/${ns}`);
  };
  for (const o of inv.objects) {
    kinds.add(o.ref.kind);
    if (o.ref.kind === "Namespace" && o.ref.namespace === undefined) place(o.cluster, o.ref.name);
    else place(o.cluster, o.ref.namespace);
  }
  for (const w of inv.workloads) {
    kinds.add(w.ref.kind);
    place(w.object.cluster, w.ref.namespace);
  }
  return {
    clusters: [...clusters].sort(cmp),
    namespaces: [...namespaces].sort(cmp),
    kinds: [...kinds].sort(cmp),
  };
}

/** The map `outer` holds under `key`, made (empty) and put there when it holds none. */
function innerMap<K, K2, V>(outer: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = outer.get(key);
  if (inner === undefined) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}
