/** Links from a workload to what the dashboard knows about it: its findings and its images. */
import { query, type ResourceRef } from "../api";
import { Link } from "../router";

/** The findings page narrowed to one workload (its cluster and namespace, and `Kind/name` as the text filter, which matches the finding's resource or
 * owning workload). */
export function workloadFindingsHref(cluster: string | undefined, ref: ResourceRef): string {
  return `/findings${query({ cluster, namespace: ref.namespace, q: `${ref.kind}/${ref.name}` })}`;
}

/** The images page narrowed to one image reference. */
export function imageHref(image: string): string {
  return `/images${query({ q: image })}`;
}

export function WorkloadFindingsLink({
  cluster,
  workload,
}: {
  cluster?: string | undefined;
  workload: ResourceRef;
}) {
  return (
    <Link
      href={workloadFindingsHref(cluster, workload)}
      aria-label={`Findings of ${workload.kind} ${workload.name}`}
    >
      findings
    </Link>
  );
}
