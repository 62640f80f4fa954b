/**
 * Labels that identify a workload's pods across rollouts. Controllers stamp per-revision or per-pod labels on
 * pods (`pod-template-hash` by the Deployment controller, `controller-revision-hash` by StatefulSet and DaemonSet,
 * `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index`, and the Job controller's `controller-uid`,
 * `job-name` and `batch.kubernetes.io/*`): a selector on them would stop matching at the next rollout.
 * (https://kubernetes.io/docs/reference/labels-annotations-taints/)
 */
const UNSTABLE = new Set([
  "pod-template-hash",
  "controller-revision-hash",
  "statefulset.kubernetes.io/pod-name",
  "apps.kubernetes.io/pod-index",
  "controller-uid",
  "job-name",
]);

export function stableLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort())
    if (!UNSTABLE.has(k) && !k.startsWith("batch.kubernetes.io/")) out[k] = labels[k] as string;
  return out;
}

/** A DNS-1123 name from parts: lower case, `-` for anything else, at most 63 characters. */
export function policyName(...parts: string[]): string {
  const s = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return (s.length > 63 ? s.slice(0, 63) : s).replace(/-$/, "") || "policy";
}
