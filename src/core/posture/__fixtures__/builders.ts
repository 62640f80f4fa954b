/** Manifest builders for posture tests: a fully hardened Deployment that passes every rule, and mutations of it. */
import type { RawObject } from "../../inventory/index.js";

export type Json = Record<string, unknown>;

export const DIGEST = `sha256:${"a".repeat(64)}`;

/** A container that passes every posture rule. */
export function safeContainer(name = "app"): Json {
  return {
    name,
    image: `registry.example.com/shop/${name}:1.4.2@${DIGEST}`,
    imagePullPolicy: "Always",
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } },
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
  };
}

/** A pod spec that passes every posture rule. */
export function safePodSpec(): Json {
  return {
    serviceAccountName: "web",
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 20000,
      runAsGroup: 20000,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [safeContainer()],
  };
}

export interface DeployOptions {
  name?: string;
  namespace?: string;
  kind?: "Deployment" | "Job" | "CronJob" | "Pod" | "DaemonSet" | "StatefulSet";
  labels?: Record<string, string>;
  podLabels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
}

/**
 * A workload built from the hardened pod spec after `mutate(spec, firstContainer)`. The pod template carries
 * `app: <name>` so the matching Service from {@link service} selects it.
 */
export function workload(mutate: (spec: Json, c: Json) => void = () => {}, o: DeployOptions = {}): Json {
  const name = o.name ?? "web";
  const spec = safePodSpec();
  mutate(spec, (spec.containers as Json[])[0] ?? {});
  const podMeta: Json = { labels: o.podLabels ?? { app: name } };
  if (o.podAnnotations) podMeta.annotations = o.podAnnotations;
  const metadata: Json = { name, namespace: o.namespace ?? "shop" };
  if (o.labels) metadata.labels = o.labels;
  const kind = o.kind ?? "Deployment";
  const apiVersion = kind === "Pod" ? "v1" : kind === "Job" || kind === "CronJob" ? "batch/v1" : "apps/v1";
  if (kind === "Pod") return { apiVersion, kind, metadata: { ...metadata, ...podMeta }, spec };
  const template = { metadata: podMeta, spec };
  if (kind === "CronJob")
    return { apiVersion, kind, metadata, spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } };
  return { apiVersion, kind, metadata, spec: { selector: { matchLabels: podMeta.labels }, template } };
}

export function service(spec: Json, name = "web", metadata: Json = {}): Json {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop", ...metadata },
    spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}

export function configMap(data: Record<string, unknown>, name = "cfg"): Json {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "shop" }, data };
}

export function ingress(spec: Json, name = "web"): Json {
  return { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name, namespace: "shop" }, spec };
}

export function namespace(name: string): Json {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

/** Objects as loaded from manifest files. */
export function raws(...objects: Json[]): RawObject[] {
  return objects.map((object) => ({ object, origin: "manifest" }));
}

/** The first container of a mutated spec, typed for terse mutations. */
export function sc(c: Json): Json {
  c.securityContext ??= {};
  return c.securityContext as Json;
}

export function podSc(spec: Json): Json {
  spec.securityContext ??= {};
  return spec.securityContext as Json;
}
