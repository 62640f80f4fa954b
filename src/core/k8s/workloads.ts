/**
 * The workload kinds Palisade resolves to a pod template, and where each kind keeps it. One table: the inventory
 * builds workloads from it, the owner-chain grouping and the posture rules for long-running pods read it, and a
 * kind added here (with its paths) is a workload everywhere.
 */
import { parseApiVersion } from "./resources.js";

export type WorkloadKind =
  | "Pod"
  | "Deployment"
  | "ReplicaSet"
  | "StatefulSet"
  | "DaemonSet"
  | "Job"
  | "CronJob"
  | "ReplicationController"
  | "DeploymentConfig"
  | "Rollout";

/** Dotted field paths of a kind's pod spec and pod metadata (the pod template's, or the Pod's own). */
export interface PodTemplatePaths {
  spec: string;
  meta: string;
}

/** How a workload kind is read. */
export interface WorkloadKindSpec extends PodTemplatePaths {
  kind: WorkloadKind;
  /**
   * API groups the kind is served from. Absent for the built-in kinds, recognised by kind alone (a manifest may
   * still say `extensions/v1beta1`). A custom-resource kind needs its group: another CRD may be called `Rollout`.
   */
  groups?: readonly string[];
  /** apiVersion of an owner known only from an ownerReference that names none. */
  apiVersion: string;
  /** Field path of the desired pod count; absent: one (a Pod, a CronJob's next Job, a DaemonSet per node). */
  replicas?: string;
  /** Runs until deleted (probes apply); false for run-to-completion kinds. */
  longRunning: boolean;
}

const TEMPLATE: PodTemplatePaths = { spec: "spec.template.spec", meta: "spec.template.metadata" };

export const WORKLOAD_KIND_SPECS: readonly WorkloadKindSpec[] = [
  { kind: "Pod", apiVersion: "v1", spec: "spec", meta: "metadata", longRunning: true },
  { kind: "Deployment", apiVersion: "apps/v1", ...TEMPLATE, replicas: "spec.replicas", longRunning: true },
  { kind: "ReplicaSet", apiVersion: "apps/v1", ...TEMPLATE, replicas: "spec.replicas", longRunning: true },
  { kind: "StatefulSet", apiVersion: "apps/v1", ...TEMPLATE, replicas: "spec.replicas", longRunning: true },
  { kind: "DaemonSet", apiVersion: "apps/v1", ...TEMPLATE, longRunning: true },
  { kind: "Job", apiVersion: "batch/v1", ...TEMPLATE, replicas: "spec.parallelism", longRunning: false },
  {
    kind: "CronJob",
    apiVersion: "batch/v1",
    spec: "spec.jobTemplate.spec.template.spec",
    meta: "spec.jobTemplate.spec.template.metadata",
    longRunning: false,
  },
  {
    kind: "ReplicationController",
    apiVersion: "v1",
    ...TEMPLATE,
    replicas: "spec.replicas",
    longRunning: true,
  },
  // OpenShift DeploymentConfig (apps.openshift.io/v1): its deployer creates one ReplicationController per
  // revision, owned by the DeploymentConfig.
  {
    kind: "DeploymentConfig",
    groups: ["apps.openshift.io"],
    apiVersion: "apps.openshift.io/v1",
    ...TEMPLATE,
    replicas: "spec.replicas",
    longRunning: true,
  },
  // Argo Rollouts (argoproj.io/v1alpha1): ReplicaSets owned by the Rollout. The template is spec.template, or the
  // template of the Deployment named by spec.workloadRef (resolved by the inventory).
  {
    kind: "Rollout",
    groups: ["argoproj.io"],
    apiVersion: "argoproj.io/v1alpha1",
    ...TEMPLATE,
    replicas: "spec.replicas",
    longRunning: true,
  },
];

export const WORKLOAD_KINDS: readonly WorkloadKind[] = WORKLOAD_KIND_SPECS.map((s) => s.kind);

const BY_KIND: ReadonlyMap<string, WorkloadKindSpec> = new Map(WORKLOAD_KIND_SPECS.map((s) => [s.kind, s]));

/** Pod spec location per workload kind. */
export const POD_TEMPLATE_PATHS: Readonly<Record<WorkloadKind, PodTemplatePaths>> = Object.fromEntries(
  WORKLOAD_KIND_SPECS.map((s) => [s.kind, { spec: s.spec, meta: s.meta }]),
) as Record<WorkloadKind, PodTemplatePaths>;

/** Whether a kind NAME is a workload kind in some API group; use {@link workloadKindOf} for an object. */
export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return BY_KIND.has(kind);
}

/** The spec of a workload kind (total over {@link WorkloadKind}). */
export function workloadKindSpec(kind: WorkloadKind): WorkloadKindSpec {
  return BY_KIND.get(kind) as WorkloadKindSpec;
}

/**
 * The workload kind of an object or an ownerReference, or undefined when it carries no pod template. A custom
 * kind is recognised only in its own API group; a reference without apiVersion is taken by kind.
 */
export function workloadKindOf(apiVersion: string | undefined, kind: string): WorkloadKind | undefined {
  const s = BY_KIND.get(kind);
  if (!s) return undefined;
  if (s.groups === undefined || apiVersion === undefined) return s.kind;
  const gv = parseApiVersion(apiVersion);
  return gv !== undefined && s.groups.includes(gv.group) ? s.kind : undefined;
}

/** Kinds whose pods run until deleted (probes apply). */
export const LONG_RUNNING_KINDS: readonly WorkloadKind[] = WORKLOAD_KIND_SPECS.filter(
  (s) => s.longRunning,
).map((s) => s.kind);
