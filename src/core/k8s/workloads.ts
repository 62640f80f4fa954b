/**
 * The workload kinds Palisade resolves to a pod template, and where each kind keeps it. One table: the inventory
 * builds workloads from it, and a kind added here (with its paths) is a workload everywhere.
 */

export type WorkloadKind =
  | "Pod"
  | "Deployment"
  | "ReplicaSet"
  | "StatefulSet"
  | "DaemonSet"
  | "Job"
  | "CronJob"
  | "ReplicationController";

/** Dotted field paths of a kind's pod spec and pod metadata (the pod template's, or the Pod's own). */
export interface PodTemplatePaths {
  spec: string;
  meta: string;
}

const TEMPLATE: PodTemplatePaths = { spec: "spec.template.spec", meta: "spec.template.metadata" };

/** Pod spec location per workload kind. */
export const POD_TEMPLATE_PATHS: Readonly<Record<WorkloadKind, PodTemplatePaths>> = {
  Pod: { spec: "spec", meta: "metadata" },
  Deployment: TEMPLATE,
  ReplicaSet: TEMPLATE,
  StatefulSet: TEMPLATE,
  DaemonSet: TEMPLATE,
  Job: TEMPLATE,
  ReplicationController: TEMPLATE,
  CronJob: { spec: "spec.jobTemplate.spec.template.spec", meta: "spec.jobTemplate.spec.template.metadata" },
};

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  "Pod",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "ReplicationController",
];

const WORKLOAD_KIND_SET: ReadonlySet<string> = new Set(WORKLOAD_KINDS);

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return WORKLOAD_KIND_SET.has(kind);
}
