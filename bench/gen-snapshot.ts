/**
 * A realistic `kubectl get <kinds> -A -o json` snapshot of N objects, written as a stream (never built in memory):
 * the shapes a real cluster returns (managedFields, last-applied annotations, pod status with conditions and
 * container statuses, projected service-account volumes), about 4 KB per object on average in kubectl's 4-space
 * indentation. The mix follows a real fleet: most objects are pods owned by ReplicaSets of Deployments (ten old
 * ReplicaSets kept per Deployment, as revisionHistoryLimit does), then ConfigMaps, Secrets, Services, service
 * accounts, RBAC, NetworkPolicies, Jobs, StatefulSets, DaemonSets, namespaces and nodes.
 *
 *   npx tsx bench/gen-snapshot.ts OUT.json [objects=100000]
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { prng as rng } from "../test/support/prng.js";

type Obj = Record<string, unknown>;

export interface SnapshotStats {
  objects: number;
  bytes: number;
  kinds: Record<string, number>;
}

/** Write the snapshot; resolves with what was written. */
export async function writeSnapshot(file: string, n: number, seed = 42): Promise<SnapshotStats> {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const hex = (len: number) => {
    let s = "";
    while (s.length < len)
      s += Math.floor(rand() * 0x100000000)
        .toString(16)
        .padStart(8, "0");
    return s.slice(0, len);
  };
  const uid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const ts = "2026-11-30T10:00:00Z";
  const namespaces = Math.max(10, Math.round(n / 1000));
  const nodes = Math.max(3, Math.round(n / 2000));
  const images = Array.from({ length: 400 }, (_, i) =>
    pick([
      `registry.acme.internal/team-${i % 40}/svc-${i}:1.${i % 20}.${i % 7}`,
      `ghcr.io/acme/svc-${i}@sha256:${hex(64)}`,
      `docker.io/library/${pick(["nginx", "redis", "postgres", "busybox"])}:${pick(["latest", "1.25", "7", "16"])}`,
    ]),
  );
  const managed = (manager: string, fields: Obj): Obj[] => [
    {
      manager,
      operation: "Update",
      apiVersion: "apps/v1",
      time: ts,
      fieldsType: "FieldsV1",
      fieldsV1: fields,
    },
  ];
  const meta = (name: string, ns: string | undefined, extra: Obj = {}): Obj => ({
    name,
    ...(ns ? { namespace: ns } : {}),
    uid: uid(),
    resourceVersion: String(Math.floor(rand() * 1e9)),
    creationTimestamp: ts,
    ...extra,
  });
  const container = (app: string, i: number): Obj => {
    const hardened = rand() < 0.6;
    const c: Obj = {
      name: `${app}-${i}`,
      image: pick(images),
      ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      env: Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, k) => ({
        name: `APP_SETTING_${k}`,
        value: `value-${hex(6)}`,
      })),
      resources: { limits: { cpu: "500m", memory: "512Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
      volumeMounts: [{ name: "config", mountPath: "/etc/app" }],
      livenessProbe: { httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" }, periodSeconds: 10 },
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "File",
      imagePullPolicy: "IfNotPresent",
    };
    c.securityContext = hardened
      ? {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        }
      : rand() < 0.1
        ? { privileged: true }
        : {};
    return c;
  };
  const podSpec = (app: string, sa: string): Obj => ({
    volumes: [{ name: "config", configMap: { name: `${app}-config`, defaultMode: 420 } }],
    containers: Array.from({ length: rand() < 0.2 ? 2 : 1 }, (_, i) => container(app, i)),
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    dnsPolicy: "ClusterFirst",
    serviceAccountName: sa,
    serviceAccount: sa,
    securityContext: {},
    schedulerName: "default-scheduler",
    ...(rand() < 0.03 ? { hostNetwork: true } : {}),
  });
  const labels = (app: string, team: string, extra: Obj = {}): Obj => ({
    app,
    "app.kubernetes.io/name": app,
    "app.kubernetes.io/part-of": `product-${team}`,
    team,
    ...extra,
  });

  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let count = 0;
  const kinds: Record<string, number> = {};
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, "drain");
  };
  const emit = async (o: Obj) => {
    if (count >= n) return;
    const body = JSON.stringify(o, null, 4).replace(/\n/g, "\n        ");
    await write(`${count === 0 ? "" : ","}\n        ${body}`);
    count++;
    const k = o.kind as string;
    kinds[k] = (kinds[k] ?? 0) + 1;
  };

  await write('{\n    "apiVersion": "v1",\n    "items": [');
  for (let k = 0; k < namespaces && count < n; k++)
    await emit({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: meta(`ns-${k}`, undefined, {
        labels: { "kubernetes.io/metadata.name": `ns-${k}`, team: `team-${k % 40}` },
      }),
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  for (let k = 0; k < nodes && count < n; k++)
    await emit({
      apiVersion: "v1",
      kind: "Node",
      metadata: meta(`node-${k}`, undefined, { labels: { "kubernetes.io/hostname": `node-${k}` } }),
      spec: { podCIDR: `10.${k % 250}.0.0/24` },
      status: {
        nodeInfo: { kubeletVersion: "v1.31.4", containerRuntimeVersion: "containerd://1.7.22" },
        addresses: [{ type: "InternalIP", address: `10.0.${k % 250}.${k % 200}` }],
      },
    });
  let i = 0;
  while (count < n) {
    i++;
    const nsIndex = i % namespaces;
    const ns = `ns-${nsIndex}`;
    const team = `team-${nsIndex % 40}`;
    const app = `svc-${i}`;
    const sa = rand() < 0.5 ? "default" : `${app}-sa`;
    const r = rand();
    if (r < 0.25) {
      // A Deployment, its ReplicaSets (current + history) and the current one's pods.
      const spec = podSpec(app, sa);
      const tmpl = { metadata: { labels: labels(app, team, { "pod-template-hash": hex(10) }) }, spec };
      const d = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: meta(app, ns, {
          generation: 4,
          labels: labels(app, team),
          annotations: {
            "deployment.kubernetes.io/revision": "4",
            ...(rand() < 0.3
              ? {
                  "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    metadata: { name: app, namespace: ns, labels: labels(app, team) },
                    spec: { replicas: 3, template: tmpl },
                  }),
                }
              : {}),
          },
          managedFields: managed("kubectl-client-side-apply", {
            "f:metadata": { "f:labels": { ".": {}, "f:app": {}, "f:team": {} } },
            "f:spec": { "f:replicas": {}, "f:template": { "f:spec": { "f:containers": {} } } },
          }),
        }),
        spec: {
          replicas: 3,
          selector: { matchLabels: { app } },
          template: tmpl,
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
        },
        status: {
          observedGeneration: 4,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 3,
          availableReplicas: 3,
        },
      };
      await emit(d);
      const dUid = (d.metadata as Obj).uid;
      const history = 1 + Math.floor(rand() * 2);
      for (let h = 0; h < history; h++) {
        const rsName = `${app}-${hex(10)}`;
        const current = h === history - 1;
        const rs = {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: meta(rsName, ns, {
            labels: labels(app, team),
            annotations: { "deployment.kubernetes.io/revision": String(h + 1) },
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "Deployment",
                name: app,
                uid: dUid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
            managedFields: managed("kube-controller-manager", { "f:spec": { "f:replicas": {} } }),
          }),
          spec: { replicas: current ? 3 : 0, selector: { matchLabels: { app } }, template: tmpl },
          status: { replicas: current ? 3 : 0, observedGeneration: 2 },
        };
        await emit(rs);
        if (!current) continue;
        const rsUid = (rs.metadata as Obj).uid;
        const pods = 1 + Math.floor(rand() * 3);
        for (let p = 0; p < pods; p++) {
          const podIp = `10.${(i >> 8) % 250}.${i % 250}.${p + 2}`;
          await emit({
            apiVersion: "v1",
            kind: "Pod",
            metadata: meta(`${rsName}-${hex(5)}`, ns, {
              generateName: `${rsName}-`,
              labels: (tmpl.metadata as Obj).labels,
              ownerReferences: [
                {
                  apiVersion: "apps/v1",
                  kind: "ReplicaSet",
                  name: rsName,
                  uid: rsUid,
                  controller: true,
                  blockOwnerDeletion: true,
                },
              ],
              managedFields: managed("kubelet", {
                "f:status": { "f:conditions": {}, "f:containerStatuses": {}, "f:podIP": {}, "f:podIPs": {} },
              }),
            }),
            spec: { ...spec, nodeName: `node-${i % nodes}` },
            status: {
              phase: "Running",
              conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
                type,
                status: "True",
                lastProbeTime: null,
                lastTransitionTime: ts,
              })),
              hostIP: `10.0.${i % 250}.${i % 200}`,
              podIP: podIp,
              podIPs: [{ ip: podIp }],
              startTime: ts,
              containerStatuses: (spec.containers as Obj[]).map((c) => ({
                name: c.name,
                state: { running: { startedAt: ts } },
                lastState: {},
                ready: true,
                restartCount: 0,
                image: c.image,
                imageID: `${String(c.image).split(/[:@]/)[0]}@sha256:${hex(64)}`,
                containerID: `containerd://${hex(16)}`,
                started: true,
              })),
              qosClass: "Burstable",
            },
          });
        }
      }
    } else if (r < 0.5) {
      const data: Obj = {};
      for (let k = 0; k < 2 + Math.floor(rand() * 6); k++) data[`setting-${k}.yaml`] = `key: ${hex(200)}\n`;
      await emit({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: meta(`${app}-config`, ns, { labels: labels(app, team) }),
        data,
      });
    } else if (r < 0.68) {
      await emit({
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta(`${app}-secret`, ns, {
          labels: labels(app, team),
          managedFields: managed("helm", { "f:data": { ".": {}, "f:password": {}, "f:token": {} } }),
        }),
        type: "Opaque",
        data: {
          password: Buffer.from(hex(24)).toString("base64"),
          token: Buffer.from(hex(600)).toString("base64"),
        },
      });
    } else if (r < 0.8) {
      await emit({
        apiVersion: "v1",
        kind: "Service",
        metadata: meta(app, ns, { labels: labels(app, team) }),
        spec: {
          type: pick(["ClusterIP", "ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"]),
          selector: { app },
          ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
          clusterIP: `10.96.${i % 250}.${i % 200}`,
          sessionAffinity: "None",
        },
        status: { loadBalancer: {} },
      });
    } else if (r < 0.9) {
      await emit({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: meta(`${app}-sa`, ns, { labels: labels(app, team) }),
      });
    } else if (r < 0.93) {
      await emit({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta(`${app}-role`, ns),
        rules: [
          {
            apiGroups: [""],
            resources: pick([["pods"], ["secrets"], ["configmaps", "services"], ["*"]]),
            verbs: pick([["get", "list", "watch"], ["*"], ["create", "update"]]),
          },
        ],
      });
    } else if (r < 0.97) {
      await emit({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta(`${app}-rb`, ns),
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: pick(["Role", "ClusterRole"]),
          name: pick([`${app}-role`, "view", "edit"]),
        },
        subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
      });
    } else if (r < 0.99) {
      await emit({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(`${app}-np`, ns),
        spec: {
          podSelector: rand() < 0.3 ? {} : { matchLabels: { app } },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { team } } }],
              ports: [{ port: 8080, protocol: "TCP" }],
            },
          ],
        },
      });
    } else if (r < 0.995) {
      await emit({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: meta(app, ns, { labels: labels(app, team) }),
        spec: {
          replicas: 3,
          serviceName: app,
          selector: { matchLabels: { app } },
          template: { metadata: { labels: { app } }, spec: podSpec(app, sa) },
        },
      });
    } else if (r < 0.998) {
      await emit({
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: meta(app, ns, { labels: labels(app, team) }),
        spec: {
          schedule: "0 * * * *",
          jobTemplate: { spec: { template: { spec: { ...podSpec(app, sa), restartPolicy: "OnFailure" } } } },
        },
      });
    } else {
      await emit({
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: meta(app, ns, { labels: labels(app, team) }),
        spec: {
          selector: { matchLabels: { app } },
          template: { metadata: { labels: { app } }, spec: podSpec(app, sa) },
        },
        status: { desiredNumberScheduled: nodes },
      });
    }
  }
  await write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
  out.end();
  await once(out, "finish");
  return { objects: count, bytes, kinds };
}

// Run as a script only when it is this file (bundled into another bench, every module shares the bundle's URL).
if (
  import.meta.url === `file://${process.argv[1]}` &&
  /gen-snapshot\.[cm]?[jt]s$/.test(process.argv[1] ?? "")
) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: gen-snapshot.ts OUT.json [objects]");
  const s = await writeSnapshot(file, Number(process.argv[3] ?? 100_000));
  console.log(
    `${s.objects} objects, ${(s.bytes / 1024 / 1024).toFixed(1)} MiB (${(s.bytes / s.objects / 1024).toFixed(2)} KiB/object): ${JSON.stringify(s.kinds)}`,
  );
}
