/**
 * A snapshot whose workloads run the demo's vulnerable checkout:2.0 digest (openssl, CVE-2099-0001) in numbers the
 * demo alone does not reach, so the impact route's workloads span several pages: `count` Deployments with one pod
 * each, alternating between namespace `wide-a` (team-a) and `wide-b` (team-b), as `kubectl get -A -o json` lists
 * them. Load the demo's images and advisories first (`palisade serve --demo`, or `loadDemo`).
 */

/** The digest the demo's checkout:2.0 image runs as (examples/demo/images/checkout-2.0). */
export const CHECKOUT_20_IMAGE_ID =
  "registry.example/team-a/checkout@sha256:f8662f272b9448e17d5b47d5d2995b11698b4e5c6cbc239af7f062a5b8ddd0ea";

/** The namespaces of the snapshot and the team each belongs to. */
export const WIDE_NAMESPACES = { "wide-a": "team-a", "wide-b": "team-b" } as const;

export function wideImpactSnapshot(count: number): string {
  const items: Record<string, unknown>[] = Object.entries(WIDE_NAMESPACES).map(([name, team]) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, uid: `ns-${name}`, labels: { team } },
  }));
  for (let w = 0; w < count; w++) {
    const namespace = w % 2 === 0 ? "wide-a" : "wide-b";
    // Zero-padded names: the API's order (by workload) is then also the names' order, easy to read in a failure.
    const name = `svc-${String(w).padStart(4, "0")}`;
    const uid = `wide-${w}`;
    const image = "registry.example/team-a/checkout:2.0";
    items.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, uid, labels: { app: name } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } },
      },
    });
    items.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${name}-0`,
        namespace,
        uid: `${uid}-0`,
        labels: { app: name },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid, controller: true }],
      },
      spec: { containers: [{ name: "app", image }] },
      status: {
        phase: "Running",
        containerStatuses: [{ name: "app", image, imageID: CHECKOUT_20_IMAGE_ID, ready: true }],
      },
    });
  }
  return JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } });
}
