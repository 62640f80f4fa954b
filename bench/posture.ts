/**
 * Posture benchmark: evaluatePosture over a generated inventory of mixed workloads, Services and ConfigMaps.
 *
 *   npx tsx bench/posture.ts [workloads=5000]
 *
 * Prints workloads/s and findings/s (median of 5 runs after 1 warm-up). Bounded: at most 50 000 workloads.
 */
import { buildInventory, type RawObject } from "../src/core/inventory/index.js";
import { evaluatePosture } from "../src/core/posture/index.js";
import { scanTextForSecrets } from "../src/core/secrets/index.js";

const n = Math.min(50_000, Number(process.argv[2] ?? 5000) || 5000);

function workload(i: number): Record<string, unknown> {
  const hardened = i % 3 === 0;
  const container = (name: string) => ({
    name,
    image: i % 5 === 0 ? "nginx" : `registry.example.com/team-${i % 20}/app-${i}:1.${i % 9}`,
    env: [
      { name: "MODE", value: "prod" },
      { name: "DB_PASSWORD", value: i % 7 === 0 ? `pw-${i}-secret` : "$(FROM_SECRET)" },
      { name: "TOKEN", valueFrom: { secretKeyRef: { name: "tok", key: "t" } } },
    ],
    args: ["--port=8080", "--log-level=info"],
    securityContext: hardened
      ? { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }
      : { privileged: i % 11 === 0, capabilities: { add: ["NET_ADMIN"] } },
    ports: [{ containerPort: 8080 }],
    resources: hardened ? { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } } : {},
  });
  return {
    apiVersion: "apps/v1",
    kind: i % 4 === 0 ? "StatefulSet" : "Deployment",
    metadata: { name: `app-${i}`, namespace: `ns-${i % 50}`, labels: { team: `team-${i % 20}` } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: `app-${i}` } },
      template: {
        metadata: { labels: { app: `app-${i}` } },
        spec: {
          securityContext: hardened ? { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } : {},
          hostNetwork: i % 13 === 0,
          volumes: i % 17 === 0 ? [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }] : [],
          containers: [container("app"), container("sidecar")],
        },
      },
    },
  };
}

const raws: RawObject[] = [];
for (let i = 0; i < n; i++) {
  raws.push({ object: workload(i) });
  raws.push({
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${i}`, namespace: `ns-${i % 50}` },
      spec: {
        type: i % 10 === 0 ? "NodePort" : "ClusterIP",
        selector: { app: `app-${i % 2 === 0 ? i : i + n}` },
      },
    },
  });
  if (i % 5 === 0)
    raws.push({
      object: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `cm-${i}`, namespace: `ns-${i % 50}` },
        data: { "app.properties": `url=jdbc:x\nuser=app\npassword=pw${i}long\n`.repeat(5), LEVEL: "debug" },
      },
    });
}
const inv = buildInventory(raws);

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

let findings = 0;
evaluatePosture(inv); // warm-up
const runs: number[] = [];
for (let r = 0; r < 5; r++) runs.push(time(() => (findings = evaluatePosture(inv).findings.length)));
runs.sort((a, b) => a - b);
const ms = runs[2] ?? 0;
console.log(
  `posture: ${n} workloads (${inv.objects.length} objects) in ${ms.toFixed(0)} ms median = ${Math.round((n / ms) * 1000)} workloads/s, ${findings} findings (${Math.round((findings / ms) * 1000)} findings/s)`,
);

// Secret scanning throughput over 8 MiB of config-like text.
const line = "key.name = some-value-that-is-not-secret # comment\n";
const text = line.repeat(Math.ceil((8 * 1024 * 1024) / line.length));
const sms = time(() => scanTextForSecrets(text, { maxBytes: text.length }));
console.log(
  `secrets: ${(text.length / 1024 / 1024).toFixed(1)} MiB scanned in ${sms.toFixed(0)} ms = ${((text.length / 1024 / 1024 / sms) * 1000).toFixed(1)} MiB/s`,
);
