/**
 * Benchmarks for the foundation issue:
 *  - full scan of 100k generated resources (a kubectl-style snapshot with a realistic mix of kinds and sizes):
 *    wall time and peak RSS of the whole `palisade scan` process (target < 5 s, < 1.5 GiB);
 *  - scan of one manifest file including process start (target < 300 ms).
 * Run: npm run build && npx tsx bench/scan.ts [count]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "bench", "out");
const CLI = join(ROOT, "dist", "cli", "palisade.js");
const N = Number(process.argv[2] ?? 100_000);

let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

type Obj = Record<string, unknown>;

function container(i: number, hardened: boolean): Obj {
  const c: Obj = {
    name: `app-${i % 3}`,
    image: pick([
      `registry.acme.internal/team-${i % 40}/svc-${i % 300}:1.${i % 20}.0`,
      "docker.io/library/nginx:latest",
      "redis:7",
      `ghcr.io/org/tool@sha256:${"ab".repeat(32)}`,
    ]),
    ports: [{ containerPort: 8080, name: "http" }],
    env: Array.from({ length: 1 + (i % 8) }, (_, k) => ({ name: `VAR_${k}`, value: `value-${i}-${k}` })),
  };
  if (hardened) {
    c.securityContext = {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    };
    c.resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
    c.readinessProbe = { httpGet: { path: "/healthz", port: 8080 } };
  } else if (rand() < 0.1) {
    c.securityContext = { privileged: true };
  }
  return c;
}

function podSpec(i: number): Obj {
  const hardened = rand() < 0.6;
  const spec: Obj = {
    containers: Array.from({ length: 1 + (i % 3 === 0 ? 1 : 0) }, (_, k) => container(i + k, hardened)),
  };
  if (rand() < 0.05) spec.hostNetwork = true;
  if (rand() < 0.05) spec.volumes = [{ name: "h", hostPath: { path: "/var/run/docker.sock" } }];
  if (hardened) spec.serviceAccountName = `sa-${i % 50}`;
  return spec;
}

function meta(kind: string, i: number, ns: string, extra: Obj = {}): Obj {
  return {
    name: `${kind.toLowerCase()}-${i}`,
    namespace: ns,
    uid: `uid-${kind}-${i}`,
    labels: { app: `svc-${i % 300}`, team: `team-${i % 40}`, "app.kubernetes.io/version": `1.${i % 20}.0` },
    annotations: { "deployment.kubernetes.io/revision": String(i % 7), description: "x".repeat(i % 200) },
    ...extra,
  };
}

function generate(n: number): Obj {
  const items: Obj[] = [];
  const namespaces = 500;
  for (let k = 0; k < namespaces; k++) {
    items.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: `ns-${k}`, labels: { team: `team-${k % 40}` } },
    });
  }
  let i = 0;
  while (items.length < n) {
    i++;
    const ns = `ns-${i % namespaces}`;
    const r = rand();
    if (r < 0.08) {
      // Deployment + ReplicaSet + 2 pods: the owner chain resolution path.
      const d = `deployment-${i}`;
      const tmpl = { metadata: { labels: { app: `svc-${i % 300}` } }, spec: podSpec(i) };
      items.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: meta("Deployment", i, ns),
        spec: { replicas: 2, selector: { matchLabels: { app: `svc-${i % 300}` } }, template: tmpl },
      });
      items.push({
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: meta("ReplicaSet", i, ns, {
          ownerReferences: [{ kind: "Deployment", name: d, uid: `uid-Deployment-${i}`, controller: true }],
        }),
        spec: { replicas: 2, template: tmpl },
      });
      for (let p = 0; p < 2; p++) {
        items.push({
          apiVersion: "v1",
          kind: "Pod",
          metadata: meta("Pod", i * 10 + p, ns, {
            ownerReferences: [
              { kind: "ReplicaSet", name: `replicaset-${i}`, uid: `uid-ReplicaSet-${i}`, controller: true },
            ],
          }),
          spec: tmpl.spec,
          status: { podIP: `10.${i % 250}.${p}.${i % 200}` },
        });
      }
    } else if (r < 0.1) {
      items.push({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: meta("StatefulSet", i, ns),
        spec: { replicas: 3, template: { metadata: { labels: { app: `db-${i % 30}` } }, spec: podSpec(i) } },
      });
    } else if (r < 0.11) {
      items.push({
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: meta("DaemonSet", i, ns),
        spec: { template: { metadata: { labels: { app: `agent-${i % 5}` } }, spec: podSpec(i) } },
      });
    } else if (r < 0.13) {
      items.push({
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: meta("CronJob", i, ns),
        spec: { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: podSpec(i) } } } },
      });
    } else if (r < 0.25) {
      items.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: meta("Service", i, ns),
        spec: {
          type: pick(["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"]),
          selector: { app: `svc-${i % 300}` },
          ports: [{ port: 80, targetPort: 8080 }],
        },
      });
    } else if (r < 0.45) {
      const data: Obj = {};
      for (let k = 0; k < 1 + (i % 20); k++) data[`key-${k}`] = `value ${"y".repeat((i * k) % 500)}`;
      items.push({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("ConfigMap", i, ns), data });
    } else if (r < 0.6) {
      items.push({
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta("Secret", i, ns),
        type: "Opaque",
        data: { password: "c2VjcmV0", token: "dG9rZW4=" },
      });
    } else if (r < 0.72) {
      items.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: meta("ServiceAccount", i, ns) });
    } else if (r < 0.8) {
      items.push({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta("Role", i, ns),
        rules: [
          {
            apiGroups: [""],
            resources: pick([["pods"], ["secrets"], ["configmaps", "services"], ["*"]]),
            verbs: pick([["get", "list"], ["*"], ["create"]]),
          },
        ],
      });
    } else if (r < 0.88) {
      items.push({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta("RoleBinding", i, ns),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `role-${i - 1}` },
        subjects: [{ kind: "ServiceAccount", name: `sa-${i % 50}`, namespace: ns }],
      });
    } else if (r < 0.94) {
      items.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta("NetworkPolicy", i, ns),
        spec: {
          podSelector: rand() < 0.3 ? {} : { matchLabels: { app: `svc-${i % 300}` } },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { team: `team-${i % 40}` } } }],
              ports: [{ port: 8080 }],
            },
          ],
        },
      });
    } else if (r < 0.97) {
      items.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: meta("Ingress", i, ns),
        spec: {
          rules: [
            {
              host: `h${i}.example.com`,
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: `service-${i}`, port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      });
    } else {
      items.push({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: meta("ServiceMonitor", i, ns),
        spec: { endpoints: [{ port: "http" }] },
      });
    }
  }
  return { apiVersion: "v1", kind: "List", items: items.slice(0, n) };
}

function timeRun(args: string[]): { wall: number; rssMiB: number; code: number | null } {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, CLI, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const last = r.stderr.trim().split("\n").pop() ?? "";
  const [wall, kb] = last.split(" ").map(Number);
  return { wall: wall ?? Number.NaN, rssMiB: (kb ?? Number.NaN) / 1024, code: r.status };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

mkdirSync(OUT, { recursive: true });
const file = join(OUT, `snapshot-${N}.json`);
const doc = generate(N);
writeFileSync(file, JSON.stringify(doc));
console.log(`generated ${N} resources -> ${file}`);

const runs = Array.from({ length: 3 }, () =>
  timeRun(["scan", "--snapshot", file, "-o", "json", "--fail-on", "critical"]),
);
if (runs.some((r) => r.code !== 0 && r.code !== 1)) {
  console.error("scan failed", runs);
  process.exit(2);
}
console.log(
  `scan ${N} resources: median wall ${median(runs.map((r) => r.wall)).toFixed(2)} s, peak RSS ${Math.max(...runs.map((r) => r.rssMiB)).toFixed(0)} MiB (3 runs)`,
);

const one = join(ROOT, "examples", "demo", "manifests", "payments", "helm-rendered.yaml");
const walls: number[] = [];
for (let k = 0; k < 10; k++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, "scan", one, "-o", "json"], { encoding: "utf8" });
  walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(2);
  }
}
console.log(
  `scan one manifest file incl. process start: median ${median(walls).toFixed(0)} ms, min ${Math.min(...walls).toFixed(0)} ms (10 runs)`,
);
