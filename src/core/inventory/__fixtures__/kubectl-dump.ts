/**
 * A `kubectl get pods,replicasets,jobs -A -o json` dump shaped as the API server returns it: pods carry
 * ownerReferences with uid/controller/blockOwnerDeletion, pod-template-hash and controller-revision-hash labels,
 * defaulted fields (the projected service account token volume, tolerations, nodeName) and a status with IPs and
 * container image IDs. The owners of most pods (ReplicaSet `web-7d9f8b6c5d`, DaemonSet `agent`, CronJob `nightly`,
 * Deployment `api`) are not in the dump; the ReplicaSet `api-5c6b7d8f9` and the Job `nightly-29412360` are.
 */

const NGINX = "nginx:1.25.3";
const NGINX_ID = "docker.io/library/nginx@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac";
const AGENT = "fluent/fluent-bit:2.2.0";
const AGENT_ID = "docker.io/fluent/fluent-bit@sha256:7cf7b10e0e0ae6b4b3d2c0a1bbf4f8e2d3b0b8e0b0f4c8b6fd1e3a1f8e9d7c6b";
const API = "registry.example/shop/api:3.1";
const API_ID = "registry.example/shop/api@sha256:1111111111111111111111111111111111111111111111111111111111111111";
const BUSYBOX = "busybox:1.36";
const BUSYBOX_ID = "docker.io/library/busybox@sha256:6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74";

type Json = Record<string, unknown>;

const tokenVolume = (suffix: string): Json => ({
  name: `kube-api-access-${suffix}`,
  projected: {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
      { configMap: { items: [{ key: "ca.crt", path: "ca.crt" }], name: "kube-root-ca.crt" } },
      {
        downwardAPI: {
          items: [{ fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" }, path: "namespace" }],
        },
      },
    ],
  },
});

const tolerations = [
  { effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists", tolerationSeconds: 300 },
  { effect: "NoExecute", key: "node.kubernetes.io/unreachable", operator: "Exists", tolerationSeconds: 300 },
];

interface PodOpts {
  ns: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
  image: string;
  imageID: string;
  node: string;
  ip: string;
  phase?: string;
  extraSpec?: Json;
  containerExtra?: Json;
}

function pod(o: PodOpts): Json {
  const metadata: Json = {
    creationTimestamp: "2026-11-30T08:14:03Z",
    labels: o.labels,
    name: o.name,
    namespace: o.ns,
    resourceVersion: "48213",
    uid: o.uid,
  };
  if (o.owner) {
    metadata.generateName = `${o.owner.name}-`;
    metadata.ownerReferences = [{ ...o.owner, blockOwnerDeletion: true, controller: true }];
  }
  const suffix = o.uid.slice(0, 5);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata,
    spec: {
      containers: [
        {
          image: o.image,
          imagePullPolicy: "IfNotPresent",
          name: "app",
          resources: {},
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          volumeMounts: [
            {
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
              name: `kube-api-access-${suffix}`,
              readOnly: true,
            },
          ],
          ...(o.containerExtra ?? {}),
        },
      ],
      dnsPolicy: "ClusterFirst",
      enableServiceLinks: true,
      nodeName: o.node,
      preemptionPolicy: "PreemptLowerPriority",
      priority: 0,
      restartPolicy: "Always",
      schedulerName: "default-scheduler",
      securityContext: {},
      serviceAccount: "default",
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
      tolerations,
      volumes: [tokenVolume(suffix)],
      ...(o.extraSpec ?? {}),
    },
    status: {
      conditions: [{ lastTransitionTime: "2026-11-30T08:14:05Z", status: "True", type: "Ready" }],
      containerStatuses: [
        {
          containerID: `containerd://${o.uid.replace(/-/g, "")}`,
          image: `docker.io/library/${o.image}`,
          imageID: o.imageID,
          lastState: {},
          name: "app",
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: "2026-11-30T08:14:05Z" } },
        },
      ],
      hostIP: "10.0.0.11",
      hostIPs: [{ ip: "10.0.0.11" }],
      phase: o.phase ?? "Running",
      podIP: o.ip,
      podIPs: [{ ip: o.ip }],
      qosClass: "BestEffort",
      startTime: "2026-11-30T08:14:03Z",
    },
  };
}

const RS_WEB = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d9f8b6c5d", uid: "5e0b1c2d-rs-web" };
const DS_AGENT = { apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "8a7b6c5d-ds-agent" };
const RS_API = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "api-5c6b7d8f9", uid: "3c4d5e6f-rs-api" };
const JOB = { apiVersion: "batch/v1", kind: "Job", name: "nightly-29412360", uid: "9f8e7d6c-job-nightly" };

const webLabels = { app: "web", "pod-template-hash": "7d9f8b6c5d" };
const agentLabels = {
  app: "agent",
  "controller-revision-hash": "6b9f7c8d5",
  "pod-template-generation": "1",
};
const agentSpec = (node: string): Json => ({
  hostNetwork: false,
  // The DaemonSet controller pins each pod to its node.
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] },
        ],
      },
    },
  },
});
const agentExtra: Json = { securityContext: { privileged: true } };

/** The dump as `kubectl get ... -o json` prints it (a v1 List). */
export function kubectlDump(): Json {
  return {
    apiVersion: "v1",
    kind: "List",
    metadata: { resourceVersion: "" },
    items: [
      pod({
        ns: "shop",
        name: "web-7d9f8b6c5d-x2kqp",
        uid: "a1b2c3d4-0001",
        labels: webLabels,
        owner: RS_WEB,
        image: NGINX,
        imageID: NGINX_ID,
        node: "node-1",
        ip: "10.244.1.17",
      }),
      pod({
        ns: "shop",
        name: "web-7d9f8b6c5d-8zt4w",
        uid: "a1b2c3d4-0002",
        labels: webLabels,
        owner: RS_WEB,
        image: NGINX,
        imageID: NGINX_ID,
        node: "node-2",
        ip: "10.244.2.9",
      }),
      pod({
        ns: "shop",
        name: "web-7d9f8b6c5d-m9vrc",
        uid: "a1b2c3d4-0003",
        labels: webLabels,
        owner: RS_WEB,
        image: NGINX,
        imageID: NGINX_ID,
        node: "node-3",
        ip: "10.244.3.4",
      }),
      pod({
        ns: "logging",
        name: "agent-5xk2n",
        uid: "b1b2c3d4-0001",
        labels: agentLabels,
        owner: DS_AGENT,
        image: AGENT,
        imageID: AGENT_ID,
        node: "node-1",
        ip: "10.244.1.3",
        extraSpec: agentSpec("node-1"),
        containerExtra: agentExtra,
      }),
      pod({
        ns: "logging",
        name: "agent-q8w7e",
        uid: "b1b2c3d4-0002",
        labels: agentLabels,
        owner: DS_AGENT,
        image: AGENT,
        imageID: AGENT_ID,
        node: "node-2",
        ip: "10.244.2.3",
        extraSpec: agentSpec("node-2"),
        containerExtra: agentExtra,
      }),
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          annotations: { "deployment.kubernetes.io/desired-replicas": "2", "deployment.kubernetes.io/revision": "4" },
          creationTimestamp: "2026-11-29T10:00:00Z",
          labels: { app: "api", "pod-template-hash": "5c6b7d8f9" },
          name: RS_API.name,
          namespace: "shop",
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              blockOwnerDeletion: true,
              controller: true,
              kind: "Deployment",
              name: "api",
              uid: "0d1e2f3a-deploy-api",
            },
          ],
          resourceVersion: "47001",
          uid: RS_API.uid,
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "api", "pod-template-hash": "5c6b7d8f9" } },
          template: {
            metadata: { labels: { app: "api", "pod-template-hash": "5c6b7d8f9" } },
            spec: { containers: [{ name: "app", image: API, ports: [{ containerPort: 8080, name: "http" }] }] },
          },
        },
        status: { availableReplicas: 2, readyReplicas: 2, replicas: 2 },
      },
      pod({
        ns: "shop",
        name: "api-5c6b7d8f9-hw2lk",
        uid: "c1b2c3d4-0001",
        labels: { app: "api", "pod-template-hash": "5c6b7d8f9" },
        owner: RS_API,
        image: API,
        imageID: API_ID,
        node: "node-1",
        ip: "10.244.1.30",
      }),
      pod({
        ns: "shop",
        name: "api-5c6b7d8f9-7tq9d",
        uid: "c1b2c3d4-0002",
        labels: { app: "api", "pod-template-hash": "5c6b7d8f9" },
        owner: RS_API,
        image: API,
        imageID: API_ID,
        node: "node-2",
        ip: "10.244.2.30",
      }),
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
          creationTimestamp: "2026-11-30T06:00:00Z",
          labels: { "batch.kubernetes.io/job-name": JOB.name },
          name: JOB.name,
          namespace: "batch",
          ownerReferences: [
            {
              apiVersion: "batch/v1",
              blockOwnerDeletion: true,
              controller: true,
              kind: "CronJob",
              name: "nightly",
              uid: "7e6d5c4b-cronjob-nightly",
            },
          ],
          resourceVersion: "48001",
          uid: JOB.uid,
        },
        spec: {
          backoffLimit: 6,
          completions: 1,
          parallelism: 1,
          template: {
            metadata: { labels: { "batch.kubernetes.io/job-name": JOB.name } },
            spec: { containers: [{ name: "app", image: BUSYBOX }], restartPolicy: "OnFailure" },
          },
        },
        status: { active: 1 },
      },
      pod({
        ns: "batch",
        name: `${JOB.name}-8k2lp`,
        uid: "d1b2c3d4-0001",
        labels: { "batch.kubernetes.io/job-name": JOB.name },
        owner: JOB,
        image: BUSYBOX,
        imageID: BUSYBOX_ID,
        node: "node-3",
        ip: "10.244.3.40",
      }),
      // A static pod: its mirror pod is owned by the Node, and stands alone.
      pod({
        ns: "kube-system",
        name: "kube-apiserver-node-1",
        uid: "e1b2c3d4-0001",
        labels: { component: "kube-apiserver", tier: "control-plane" },
        owner: { apiVersion: "v1", kind: "Node", name: "node-1", uid: "f0f0f0f0-node-1" },
        image: "registry.k8s.io/kube-apiserver:v1.31.2",
        imageID:
          "registry.k8s.io/kube-apiserver@sha256:9d12daaedff9677744993f247bfbe4950f3da8cfd38179b3c59ec66dc81dfbe0",
        node: "node-1",
        ip: "10.0.0.11",
      }),
      // A bare pod: no owner.
      pod({
        ns: "default",
        name: "debug",
        uid: "e1b2c3d4-0002",
        labels: { run: "debug" },
        image: BUSYBOX,
        imageID: BUSYBOX_ID,
        node: "node-2",
        ip: "10.244.2.50",
      }),
    ],
  };
}
