/** A small cluster over time for runtime tests: shop/web (exposed), shop/db, jobs/batch reusing web's address. */
import { buildInventory } from "../../../core/inventory/index.js";
import type { TimedInventory } from "../../../core/runtime/index.js";

export const T0 = Date.parse("2026-12-04T09:00:00Z");
export const MIN = 60_000;
export const DIGEST = {
  web: `sha256:${"a".repeat(64)}`,
  db: `sha256:${"d".repeat(64)}`,
  batch: `sha256:${"b".repeat(64)}`,
};

const ns = (name: string, labels: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } },
});

const deployment = (namespace: string, name: string, port: { name: string; containerPort: number }) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace, uid: `d-${name}` },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, "pod-template-hash": "7d9f" } },
      spec: { containers: [{ name, image: `registry.example/${name}:1`, ports: [port] }] },
    },
  },
});

const rs = (namespace: string, name: string) => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: `${name}-7d9f`,
    namespace,
    uid: `rs-${name}`,
    ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid: `d-${name}`, controller: true }],
  },
  spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `registry.example/${name}:1` }] } } },
});

export const pod = (namespace: string, owner: keyof typeof DIGEST, suffix: string, ip: string, start: number) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: `${owner}-7d9f-${suffix}`,
    namespace,
    uid: `u-${owner}-${suffix}`,
    labels: { app: owner, "pod-template-hash": "7d9f" },
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${owner}-7d9f`, uid: `rs-${owner}`, controller: true }],
  },
  spec: {
    nodeName: "n1",
    serviceAccountName: owner,
    containers: [{ name: owner, image: `registry.example/${owner}:1` }],
  },
  status: {
    phase: "Running",
    podIP: ip,
    podIPs: [{ ip }],
    startTime: new Date(start).toISOString(),
    containerStatuses: [{ name: owner, imageID: `registry.example/${owner}@${DIGEST[owner]}` }],
  },
});

const base = [
  ns("shop", { team: "payments" }),
  ns("jobs", { team: "data" }),
  deployment("shop", "web", { name: "http", containerPort: 8080 }),
  deployment("shop", "db", { name: "postgres", containerPort: 5432 }),
  deployment("jobs", "batch", { name: "metrics", containerPort: 9090 }),
  rs("shop", "web"),
  rs("shop", "db"),
  rs("jobs", "batch"),
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop" },
    spec: { type: "LoadBalancer", selector: { app: "web" }, clusterIP: "10.96.0.10", ports: [{ port: 80 }] },
  },
];

const inv = (objects: Record<string, unknown>[]) =>
  buildInventory(objects.map((object) => ({ object, origin: "snapshot" as const })));

/** At T0: web 10.1.0.7, db 10.1.0.9. At T0+10m: web gone, batch (started T0+5m) holds 10.1.0.7. */
export function clusterSnapshots(): TimedInventory[] {
  return [
    {
      at: T0,
      inventory: inv([...base, pod("shop", "web", "aaaaa", "10.1.0.7", T0 - 30 * MIN), pod("shop", "db", "ccccc", "10.1.0.9", T0 - 60 * MIN)]),
    },
    {
      at: T0 + 10 * MIN,
      inventory: inv([...base, pod("jobs", "batch", "bbbbb", "10.1.0.7", T0 + 5 * MIN), pod("shop", "db", "ccccc", "10.1.0.9", T0 - 60 * MIN)]),
    },
  ];
}

export const hubbleFlow = (at: number, src: string, dst: string, dport: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    flow: {
      time: new Date(at).toISOString(),
      verdict: "FORWARDED",
      IP: { source: src, destination: dst },
      l4: { TCP: { source_port: 40000, destination_port: dport } },
      ...extra,
    },
    node_name: "n1",
    time: new Date(at).toISOString(),
  });

export async function* linesOf(text: string): AsyncGenerator<string> {
  for (const l of text.split("\n")) yield l;
}
