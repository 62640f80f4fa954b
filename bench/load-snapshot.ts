/**
 * Snapshot loading benchmark: generates a 100k-object `kubectl get -A -o json` List (a realistic mix of kinds and
 * sizes), writes it to a temp file, then times loadSnapshotFiles and buildInventory. Prints the figures.
 *
 *   npx tsx bench/load-snapshot.ts [objects=100000]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSnapshotFiles } from "../src/adapters/manifests/index.js";
import { buildInventory } from "../src/core/inventory/index.js";
import { prng as rng } from "../test/support/prng.js";

const N = Number(process.argv[2] ?? 100_000);

const rand = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const meta = (name: string, ns: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: ns,
  uid: `uid-${name}-${ns}`,
  resourceVersion: String(Math.floor(rand() * 1e9)),
  creationTimestamp: "2026-01-01T00:00:00Z",
  labels: { app: name, "app.kubernetes.io/part-of": "shop", team: pick(["a", "b", "c"]) },
  annotations: { "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(Math.floor(rand() * 800)) },
  managedFields: [
    {
      manager: "kubectl",
      operation: "Update",
      apiVersion: "v1",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:metadata": {} },
    },
  ],
  ...extra,
});

const container = (i: number) => ({
  name: `c${i}`,
  image: pick([
    "nginx:1.25",
    "ghcr.io/acme/api:2.3.1",
    "docker.io/library/redis:7",
    "quay.io/prometheus/node-exporter:v1.8.0",
  ]),
  ports: [{ containerPort: 8080, protocol: "TCP" }],
  env: Array.from({ length: Math.floor(rand() * 10) }, (_, k) => ({ name: `ENV_${k}`, value: `value-${k}` })),
  resources: { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
  securityContext: { runAsNonRoot: rand() < 0.7, allowPrivilegeEscalation: rand() < 0.3 },
});
const podSpec = () => ({
  serviceAccountName: "default",
  containers: Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, i) => container(i)),
  volumes: [{ name: "cfg", configMap: { name: "cfg" } }],
});

function item(i: number): Record<string, unknown> {
  const ns = `ns-${i % 200}`;
  const r = rand();
  if (r < 0.45)
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta(`pod-${i}`, ns),
      spec: podSpec(),
      status: { phase: "Running" },
    };
  if (r < 0.55)
    return {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: meta(`rs-${i}`, ns),
      spec: { replicas: 2, template: { metadata: { labels: { app: "x" } }, spec: podSpec() } },
    };
  if (r < 0.62)
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(`dep-${i}`, ns),
      spec: { replicas: 2, template: { metadata: { labels: { app: "x" } }, spec: podSpec() } },
    };
  if (r < 0.72)
    return {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(`cm-${i}`, ns),
      data: { "config.yaml": "k: v\n".repeat(Math.floor(rand() * 200)) },
    };
  if (r < 0.8)
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(`sec-${i}`, ns),
      type: "Opaque",
      data: { password: "c2VjcmV0".repeat(8) },
    };
  if (r < 0.88)
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(`svc-${i}`, ns),
      spec: { selector: { app: "x" }, ports: [{ port: 80, targetPort: 8080 }] },
    };
  if (r < 0.93) return { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(`sa-${i}`, ns) };
  if (r < 0.97)
    return {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(`rb-${i}`, ns),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "default", namespace: ns }],
    };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(`np-${i}`, ns),
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
}

const dir = mkdtempSync(join(tmpdir(), "palisade-bench-"));
try {
  const file = join(dir, "snapshot.json");
  const items = Array.from({ length: N }, (_, i) => item(i));
  writeFileSync(
    file,
    JSON.stringify({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items }, null, 4),
  );
  items.length = 0;
  const mb = statSync(file).size / 1024 / 1024;
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const r = await loadSnapshotFiles([file]);
  const t1 = performance.now();
  const inv = buildInventory(r.objects);
  const t2 = performance.now();
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(`snapshot: ${N} objects, ${mb.toFixed(1)} MiB JSON`);
  console.log(
    `loadSnapshotFiles: ${(t1 - t0).toFixed(0)} ms (${r.objects.length} objects, ${r.coverage.length} coverage entries)`,
  );
  console.log(`buildInventory:    ${(t2 - t1).toFixed(0)} ms (${inv.workloads.length} workloads)`);
  console.log(
    `peak RSS: ${peak.toFixed(0)} MiB (RSS before load ${(rssBefore / 1024 / 1024).toFixed(0)} MiB, includes generating the data)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
