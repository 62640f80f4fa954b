/**
 * Generates examples/demo: a realistic multi-team cluster as manifests, deterministic (seeded), so the
 * README's main command shows a meaningful report. Run: npx tsx scripts/gen-demo.ts
 * The output is committed; this script documents how it was made and regenerates it after changes.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

const OUT = join(import.meta.dirname, "..", "examples", "demo");

let seed = 20261123;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

// Manifests are built as loose JSON trees; `any` keeps the generator readable (it is not shipped code).
// biome-ignore lint/suspicious/noExplicitAny: see above
type Obj = Record<string, any>;
type Posture = "hardened" | "typical" | "sloppy" | "dangerous";
interface App {
  name: string;
  kind: "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob" | "Job";
  image: string;
  port?: number;
  replicas?: number;
  public?: "tls" | "plain";
  posture: Posture;
  extra?: (pod: Obj, c: Obj) => void;
}
interface Ns {
  name: string;
  team?: string; // label on the namespace (others come from the owners file)
  pss?: string;
  netpol: "strict" | "default-deny-only" | "none";
  apps: App[];
}

const reg = "registry.acme.internal";
const NAMESPACES: Ns[] = [
  {
    name: "payments",
    team: "payments",
    pss: "restricted",
    netpol: "strict",
    apps: [
      {
        name: "payments-api",
        kind: "Deployment",
        image: `${reg}/payments/api@sha256:${"a1".repeat(32)}`,
        port: 8080,
        replicas: 4,
        public: "tls",
        posture: "hardened",
      },
      {
        name: "ledger",
        kind: "Deployment",
        image: `${reg}/payments/ledger:2.14.1`,
        port: 8080,
        replicas: 3,
        posture: "hardened",
      },
      {
        name: "fraud-scorer",
        kind: "Deployment",
        image: `${reg}/payments/fraud-scorer:1.9.0`,
        port: 9000,
        replicas: 2,
        posture: "typical",
      },
      {
        name: "payments-db",
        kind: "StatefulSet",
        image: "docker.io/library/postgres:16.4",
        port: 5432,
        replicas: 3,
        posture: "typical",
      },
      {
        name: "settlement",
        kind: "CronJob",
        image: `${reg}/payments/settlement:2.14.1`,
        posture: "hardened",
      },
      {
        name: "reconciler",
        kind: "Deployment",
        image: `${reg}/payments/reconciler:0.8.2`,
        port: 8080,
        replicas: 2,
        posture: "hardened",
      },
    ],
  },
  {
    name: "payments-staging",
    netpol: "default-deny-only",
    apps: [
      {
        name: "payments-api",
        kind: "Deployment",
        image: `${reg}/payments/api:latest`,
        port: 8080,
        replicas: 1,
        public: "plain",
        posture: "sloppy",
      },
      {
        name: "ledger",
        kind: "Deployment",
        image: `${reg}/payments/ledger:2.15.0-rc1`,
        port: 8080,
        replicas: 1,
        posture: "typical",
      },
      {
        name: "payments-db",
        kind: "StatefulSet",
        image: "docker.io/library/postgres:16.4",
        port: 5432,
        replicas: 1,
        posture: "typical",
      },
    ],
  },
  {
    name: "checkout",
    team: "checkout",
    pss: "baseline",
    netpol: "strict",
    apps: [
      {
        name: "checkout-web",
        kind: "Deployment",
        image: `${reg}/checkout/web:3.2.0`,
        port: 3000,
        replicas: 6,
        public: "tls",
        posture: "typical",
      },
      {
        name: "cart",
        kind: "Deployment",
        image: `${reg}/checkout/cart:3.2.0`,
        port: 8080,
        replicas: 4,
        posture: "typical",
      },
      {
        name: "pricing",
        kind: "Deployment",
        image: `${reg}/checkout/pricing:1.4.7`,
        port: 8080,
        replicas: 3,
        posture: "hardened",
      },
      {
        name: "cart-redis",
        kind: "StatefulSet",
        image: "docker.io/library/redis:7.2",
        port: 6379,
        replicas: 3,
        posture: "sloppy",
      },
      { name: "promo-sync", kind: "CronJob", image: `${reg}/checkout/promo-sync:1.0.3`, posture: "typical" },
      {
        name: "abandoned-cart-mailer",
        kind: "Deployment",
        image: `${reg}/checkout/mailer:0.3.1`,
        port: 8080,
        replicas: 1,
        posture: "sloppy",
      },
    ],
  },
  {
    name: "catalog",
    team: "catalog",
    netpol: "strict",
    apps: [
      {
        name: "catalog-api",
        kind: "Deployment",
        image: `${reg}/catalog/api:5.0.2`,
        port: 8080,
        replicas: 4,
        public: "tls",
        posture: "typical",
      },
      {
        name: "image-resizer",
        kind: "Deployment",
        image: "docker.io/acme/imgproxy:v3",
        port: 8081,
        replicas: 2,
        posture: "sloppy",
      },
      {
        name: "catalog-indexer",
        kind: "Deployment",
        image: `${reg}/catalog/indexer:5.0.2`,
        replicas: 1,
        posture: "typical",
      },
      {
        name: "catalog-db",
        kind: "StatefulSet",
        image: "docker.io/library/mysql:8.0",
        port: 3306,
        replicas: 2,
        posture: "sloppy",
      },
      { name: "feed-import", kind: "CronJob", image: `${reg}/catalog/feed-import:5.0.2`, posture: "typical" },
      { name: "reindex-2026-11", kind: "Job", image: `${reg}/catalog/indexer:5.0.2`, posture: "typical" },
    ],
  },
  {
    name: "search",
    team: "search",
    netpol: "none",
    apps: [
      {
        name: "search-api",
        kind: "Deployment",
        image: `${reg}/search/api:2.3.0`,
        port: 8080,
        replicas: 3,
        public: "tls",
        posture: "typical",
      },
      {
        name: "opensearch",
        kind: "StatefulSet",
        image: "docker.io/opensearchproject/opensearch:2.17.0",
        port: 9200,
        replicas: 3,
        posture: "dangerous",
        extra: (pod) => {
          pod.initContainers = [
            {
              name: "sysctl",
              image: "docker.io/library/busybox:1.36",
              command: ["sysctl", "-w", "vm.max_map_count=262144"],
              securityContext: { privileged: true },
            },
          ];
        },
      },
      {
        name: "query-suggest",
        kind: "Deployment",
        image: `${reg}/search/suggest:0.9.4`,
        port: 8080,
        replicas: 2,
        posture: "typical",
      },
      {
        name: "search-ranker",
        kind: "Deployment",
        image: `${reg}/search/ranker:1.1.0`,
        port: 8080,
        replicas: 2,
        posture: "hardened",
      },
    ],
  },
  {
    name: "identity",
    team: "identity",
    pss: "restricted",
    netpol: "strict",
    apps: [
      {
        name: "auth-server",
        kind: "Deployment",
        image: `${reg}/identity/auth@sha256:${"b2".repeat(32)}`,
        port: 8443,
        replicas: 3,
        public: "tls",
        posture: "hardened",
      },
      {
        name: "user-profile",
        kind: "Deployment",
        image: `${reg}/identity/profile:4.1.0`,
        port: 8080,
        replicas: 3,
        posture: "hardened",
      },
      {
        name: "session-store",
        kind: "StatefulSet",
        image: "docker.io/library/redis:7.2",
        port: 6379,
        replicas: 3,
        posture: "typical",
      },
      { name: "token-rotator", kind: "CronJob", image: `${reg}/identity/rotator:1.2.0`, posture: "hardened" },
      {
        name: "scim-bridge",
        kind: "Deployment",
        image: `${reg}/identity/scim:0.4.0`,
        port: 8080,
        replicas: 1,
        posture: "typical",
      },
    ],
  },
  {
    name: "notifications",
    team: "messaging",
    netpol: "default-deny-only",
    apps: [
      {
        name: "notifier",
        kind: "Deployment",
        image: `${reg}/messaging/notifier:1.7.3`,
        port: 8080,
        replicas: 3,
        posture: "typical",
      },
      {
        name: "email-worker",
        kind: "Deployment",
        image: `${reg}/messaging/email-worker:1.7.3`,
        replicas: 2,
        posture: "typical",
        extra: (_pod, c) => {
          c.env = [
            { name: "SMTP_HOST", value: "smtp.acme.example" },
            { name: "SMTP_PASSWORD", value: "Sup3rS3cretSmtp!" },
          ];
        },
      },
      {
        name: "sms-worker",
        kind: "Deployment",
        image: `${reg}/messaging/sms-worker:1.7.3`,
        replicas: 2,
        posture: "typical",
        extra: (_pod, c) => {
          c.env = [{ name: "TWILIO_TOKEN", valueFrom: { secretKeyRef: { name: "twilio", key: "token" } } }];
        },
      },
      {
        name: "push-gateway",
        kind: "Deployment",
        image: `${reg}/messaging/push:0.12.0`,
        port: 8080,
        replicas: 2,
        public: "plain",
        posture: "sloppy",
      },
      {
        name: "rabbitmq",
        kind: "StatefulSet",
        image: "docker.io/library/rabbitmq:3.13-management",
        port: 5672,
        replicas: 3,
        posture: "typical",
      },
    ],
  },
  {
    name: "data-pipeline",
    team: "data",
    netpol: "none",
    apps: [
      {
        name: "ingest",
        kind: "Deployment",
        image: `${reg}/data/ingest:2024.11.3`,
        port: 8080,
        replicas: 4,
        posture: "typical",
      },
      {
        name: "spark-operator",
        kind: "Deployment",
        image: "ghcr.io/kubeflow/spark-operator:2.0.2",
        replicas: 1,
        posture: "sloppy",
      },
      {
        name: "kafka",
        kind: "StatefulSet",
        image: "docker.io/bitnami/kafka:3.8",
        port: 9092,
        replicas: 3,
        posture: "typical",
      },
      {
        name: "zookeeper",
        kind: "StatefulSet",
        image: "docker.io/bitnami/zookeeper:3.9",
        port: 2181,
        replicas: 3,
        posture: "typical",
      },
      {
        name: "nightly-etl",
        kind: "CronJob",
        image: `${reg}/data/etl:2024.11.3`,
        posture: "sloppy",
        extra: (_pod, c) => {
          c.env = [
            { name: "AWS_ACCESS_KEY_ID", value: "AKIAIOSFODNN7EXAMPLE" },
            { name: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
          ];
        },
      },
      { name: "backfill-2026-q3", kind: "Job", image: `${reg}/data/etl:2024.11.3`, posture: "typical" },
    ],
  },
  {
    name: "analytics",
    team: "data",
    netpol: "default-deny-only",
    apps: [
      {
        name: "metabase",
        kind: "Deployment",
        image: "docker.io/metabase/metabase:v0.50.20",
        port: 3000,
        replicas: 1,
        public: "plain",
        posture: "sloppy",
      },
      {
        name: "clickhouse",
        kind: "StatefulSet",
        image: "docker.io/clickhouse/clickhouse-server:24.8",
        port: 8123,
        replicas: 2,
        posture: "typical",
      },
      { name: "report-builder", kind: "CronJob", image: `${reg}/data/reports:1.3.0`, posture: "typical" },
      {
        name: "dashboard-api",
        kind: "Deployment",
        image: `${reg}/data/dashboard-api:1.3.0`,
        port: 8080,
        replicas: 2,
        posture: "hardened",
      },
    ],
  },
  {
    name: "ml-serving",
    netpol: "none",
    apps: [
      {
        name: "model-server",
        kind: "Deployment",
        image: "docker.io/pytorch/torchserve:0.12.0-gpu",
        port: 8080,
        replicas: 2,
        posture: "sloppy",
      },
      {
        name: "feature-store",
        kind: "Deployment",
        image: `${reg}/ml/feast:0.40.1`,
        port: 6566,
        replicas: 2,
        posture: "typical",
      },
      {
        name: "gpu-device-plugin",
        kind: "DaemonSet",
        image: "nvcr.io/nvidia/k8s-device-plugin:v0.16.2",
        posture: "dangerous",
        extra: (pod, c) => {
          c.securityContext = { privileged: true };
          pod.volumes = [{ name: "device-plugin", hostPath: { path: "/var/lib/kubelet/device-plugins" } }];
          c.volumeMounts = [{ name: "device-plugin", mountPath: "/var/lib/kubelet/device-plugins" }];
        },
      },
      { name: "retrain", kind: "CronJob", image: `${reg}/ml/trainer:latest`, posture: "sloppy" },
    ],
  },
  {
    name: "ingress-nginx",
    team: "platform",
    netpol: "strict",
    apps: [
      {
        name: "ingress-nginx-controller",
        kind: "Deployment",
        image: "registry.k8s.io/ingress-nginx/controller:v1.11.3",
        port: 443,
        replicas: 3,
        posture: "typical",
        extra: (_pod, c) => {
          c.securityContext = {
            ...c.securityContext,
            capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
            allowPrivilegeEscalation: true,
            runAsUser: 101,
          };
        },
      },
      {
        name: "default-backend",
        kind: "Deployment",
        image: "registry.k8s.io/defaultbackend-amd64:1.5",
        port: 8080,
        replicas: 1,
        posture: "hardened",
      },
    ],
  },
  {
    name: "monitoring",
    team: "platform",
    netpol: "default-deny-only",
    apps: [
      {
        name: "prometheus",
        kind: "StatefulSet",
        image: "quay.io/prometheus/prometheus:v2.54.1",
        port: 9090,
        replicas: 2,
        posture: "typical",
      },
      {
        name: "alertmanager",
        kind: "StatefulSet",
        image: "quay.io/prometheus/alertmanager:v0.27.0",
        port: 9093,
        replicas: 2,
        posture: "typical",
      },
      {
        name: "grafana",
        kind: "Deployment",
        image: "docker.io/grafana/grafana:11.2.0",
        port: 3000,
        replicas: 1,
        public: "tls",
        posture: "typical",
      },
      {
        name: "node-exporter",
        kind: "DaemonSet",
        image: "quay.io/prometheus/node-exporter:v1.8.2",
        port: 9100,
        posture: "dangerous",
        extra: (pod, c) => {
          pod.hostNetwork = true;
          pod.hostPID = true;
          c.ports = [{ containerPort: 9100, hostPort: 9100, name: "metrics" }];
          pod.volumes = [{ name: "root", hostPath: { path: "/" } }];
          c.volumeMounts = [{ name: "root", mountPath: "/host", readOnly: true }];
        },
      },
      {
        name: "kube-state-metrics",
        kind: "Deployment",
        image: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
        port: 8080,
        replicas: 1,
        posture: "hardened",
      },
    ],
  },
  {
    name: "logging",
    team: "platform",
    netpol: "none",
    apps: [
      {
        name: "fluent-bit",
        kind: "DaemonSet",
        image: "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
        posture: "dangerous",
        extra: (pod, c) => {
          pod.volumes = [
            { name: "varlog", hostPath: { path: "/var/log" } },
            { name: "containers", hostPath: { path: "/var/lib/docker/containers" } },
          ];
          c.volumeMounts = [
            { name: "varlog", mountPath: "/var/log" },
            { name: "containers", mountPath: "/var/lib/docker/containers", readOnly: true },
          ];
        },
      },
      {
        name: "loki",
        kind: "StatefulSet",
        image: "docker.io/grafana/loki:3.2.0",
        port: 3100,
        replicas: 3,
        posture: "typical",
      },
      {
        name: "log-archiver",
        kind: "CronJob",
        image: `${reg}/platform/log-archiver:0.2.0`,
        posture: "typical",
      },
    ],
  },
  {
    name: "security-tools",
    team: "security",
    pss: "privileged",
    netpol: "default-deny-only",
    apps: [
      {
        name: "falco",
        kind: "DaemonSet",
        image: "docker.io/falcosecurity/falco:0.39.1",
        posture: "dangerous",
        extra: (pod, c) => {
          c.securityContext = { privileged: true };
          pod.hostPID = true;
          pod.volumes = [
            { name: "containerd-sock", hostPath: { path: "/run/containerd/containerd.sock" } },
            { name: "proc", hostPath: { path: "/proc" } },
          ];
          c.volumeMounts = [
            { name: "containerd-sock", mountPath: "/host/run/containerd/containerd.sock" },
            { name: "proc", mountPath: "/host/proc", readOnly: true },
          ];
        },
      },
      {
        name: "trivy-operator",
        kind: "Deployment",
        image: "ghcr.io/aquasecurity/trivy-operator:0.22.0",
        replicas: 1,
        posture: "typical",
      },
      {
        name: "vault-agent-injector",
        kind: "Deployment",
        image: "docker.io/hashicorp/vault-k8s:1.4.2",
        port: 8080,
        replicas: 2,
        posture: "hardened",
      },
    ],
  },
  {
    name: "legacy-billing",
    netpol: "none",
    apps: [
      {
        name: "billing-monolith",
        kind: "Deployment",
        image: "billing/monolith",
        port: 8080,
        replicas: 2,
        public: "plain",
        posture: "dangerous",
        extra: (pod, c) => {
          c.securityContext = { privileged: true, runAsUser: 0 };
          pod.volumes = [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }];
          c.volumeMounts = [{ name: "docker", mountPath: "/var/run/docker.sock" }];
          c.env = [{ name: "DB_PASSWORD", value: "billing2019" }];
        },
      },
      {
        name: "invoice-pdf",
        kind: "Deployment",
        image: "docker.io/acme/wkhtmltopdf:0.12",
        port: 8080,
        replicas: 1,
        posture: "sloppy",
      },
      {
        name: "ftp-drop",
        kind: "Deployment",
        image: "docker.io/stilliard/pure-ftpd:latest",
        port: 21,
        replicas: 1,
        posture: "dangerous",
        extra: (pod, c) => {
          pod.hostNetwork = true;
          c.securityContext = { capabilities: { add: ["NET_ADMIN", "SYS_ADMIN"] } };
        },
      },
      { name: "month-end", kind: "CronJob", image: "billing/monolith", posture: "sloppy" },
    ],
  },
  {
    name: "batch-jobs",
    team: "data",
    netpol: "none",
    apps: [
      { name: "gdpr-export", kind: "CronJob", image: `${reg}/data/gdpr-export:1.0.0`, posture: "hardened" },
      { name: "image-gc", kind: "CronJob", image: `${reg}/platform/image-gc:0.5.1`, posture: "typical" },
      {
        name: "db-backup",
        kind: "CronJob",
        image: `${reg}/platform/pg-backup:16`,
        posture: "typical",
        extra: (_pod, c) => {
          c.envFrom = [{ secretRef: { name: "backup-credentials" } }];
        },
      },
      { name: "migrate-2026-11-20", kind: "Job", image: `${reg}/payments/ledger:2.14.1`, posture: "typical" },
    ],
  },
  {
    name: "dev-sandbox",
    netpol: "none",
    apps: [
      {
        name: "jupyter",
        kind: "Deployment",
        image: "docker.io/jupyter/datascience-notebook",
        port: 8888,
        replicas: 1,
        public: "plain",
        posture: "dangerous",
        extra: (_pod, c) => {
          c.securityContext = {
            runAsUser: 0,
            allowPrivilegeEscalation: true,
            capabilities: { add: ["SYS_PTRACE"] },
          };
        },
      },
      {
        name: "debug-shell",
        kind: "Deployment",
        image: "docker.io/nicolaka/netshoot:latest",
        replicas: 1,
        posture: "dangerous",
        extra: (pod, c) => {
          pod.hostNetwork = true;
          pod.hostIPC = true;
          c.securityContext = { privileged: true };
        },
      },
      {
        name: "mock-bank",
        kind: "Deployment",
        image: `${reg}/payments/mock-bank:0.1.0`,
        port: 8080,
        replicas: 1,
        posture: "sloppy",
      },
    ],
  },
];

/** Product teams with many similar microservices: the bulk of a real cluster. */
function microservices(team: string, names: string[], netpol: Ns["netpol"], pss?: string): Ns {
  const postures: Posture[] = ["hardened", "typical", "typical", "typical", "sloppy"];
  const ns: Ns = {
    name: team,
    team,
    netpol,
    apps: names.map((n, i) => ({
      name: n,
      kind: i === names.length - 1 ? "CronJob" : "Deployment",
      image: `${reg}/${team}/${n}:${1 + (i % 3)}.${i}.${(i * 7) % 10}`,
      port: 8080,
      replicas: 1 + (i % 4),
      posture: postures[i % postures.length] as Posture,
    })),
  };
  if (pss) ns.pss = pss;
  return ns;
}

NAMESPACES.push(
  microservices(
    "shipping",
    [
      "rates",
      "labels",
      "tracking",
      "carrier-gateway",
      "address-validator",
      "returns",
      "pickup-scheduler",
      "customs-docs",
      "manifest-close",
    ],
    "strict",
    "baseline",
  ),
  microservices(
    "recommendations",
    [
      "recs-api",
      "candidate-gen",
      "ranker",
      "embeddings",
      "feedback-collector",
      "ab-assign",
      "trending",
      "model-refresh",
    ],
    "default-deny-only",
  ),
  microservices(
    "customer-support",
    [
      "tickets",
      "chat-gateway",
      "kb-search",
      "agent-console",
      "sla-monitor",
      "macros",
      "email-ingest",
      "survey",
      "escalations",
      "transcripts-purge",
    ],
    "none",
  ),
);

function securityContext(p: Posture): { pod: Obj; container: Obj } {
  switch (p) {
    case "hardened":
      return {
        pod: {
          runAsNonRoot: true,
          runAsUser: 10001,
          runAsGroup: 10001,
          fsGroup: 10001,
          seccompProfile: { type: "RuntimeDefault" },
        },
        container: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
      };
    case "typical":
      return { pod: { runAsNonRoot: true }, container: { allowPrivilegeEscalation: false } };
    default:
      return { pod: {}, container: {} };
  }
}

function podSpec(ns: Ns, app: App): { meta: Obj; spec: Obj } {
  const sc = securityContext(app.posture);
  const c: Obj = { name: app.name.split("-")[0], image: app.image };
  if (app.port) c.ports = [{ containerPort: app.port, name: app.port === 5432 ? "postgres" : "http" }];
  if (Object.keys(sc.container).length) c.securityContext = sc.container;
  if (app.posture === "hardened" || app.posture === "typical") {
    c.resources = {
      requests: { cpu: pick(["100m", "250m", "500m"]), memory: pick(["128Mi", "256Mi", "512Mi"]) },
      limits: { memory: pick(["256Mi", "512Mi", "1Gi"]) },
    };
    if (app.posture === "hardened") c.resources.limits.cpu = "1";
  } else if (app.posture === "sloppy" && rand() < 0.5) {
    c.resources = { requests: { cpu: "100m" } };
  }
  const isBatch = app.kind === "CronJob" || app.kind === "Job";
  if (app.port && !isBatch && app.posture !== "dangerous" && rand() < 0.8) {
    c.readinessProbe = { httpGet: { path: "/healthz", port: app.port }, periodSeconds: 10 };
    if (app.posture === "hardened" || rand() < 0.5)
      c.livenessProbe = { httpGet: { path: "/livez", port: app.port }, periodSeconds: 20 };
  }
  const pod: Obj = { containers: [c] };
  if (Object.keys(sc.pod).length) pod.securityContext = sc.pod;
  if (app.posture !== "sloppy" && app.posture !== "dangerous") {
    pod.serviceAccountName = app.name;
    if (app.posture === "hardened") pod.automountServiceAccountToken = false;
  }
  if (isBatch) pod.restartPolicy = "OnFailure";
  app.extra?.(pod, c);
  const labels: Record<string, string> = {
    app: app.name,
    "app.kubernetes.io/name": app.name,
    "app.kubernetes.io/part-of": ns.name,
  };
  return { meta: { labels }, spec: pod };
}

function workload(ns: Ns, app: App): Obj {
  const { meta, spec } = podSpec(ns, app);
  const metadata = { name: app.name, namespace: ns.name, labels: { ...meta.labels } };
  const template = { metadata: meta, spec };
  switch (app.kind) {
    case "Deployment":
      return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata,
        spec: { replicas: app.replicas ?? 1, selector: { matchLabels: { app: app.name } }, template },
      };
    case "StatefulSet":
      return {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata,
        spec: {
          serviceName: app.name,
          replicas: app.replicas ?? 1,
          selector: { matchLabels: { app: app.name } },
          template,
        },
      };
    case "DaemonSet":
      return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata,
        spec: { selector: { matchLabels: { app: app.name } }, template },
      };
    case "Job":
      return { apiVersion: "batch/v1", kind: "Job", metadata, spec: { backoffLimit: 2, template } };
    case "CronJob":
      return {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata,
        spec: {
          schedule: pick(["0 2 * * *", "*/15 * * * *", "30 4 * * 1"]),
          jobTemplate: { spec: { template } },
        },
      };
  }
}

function service(ns: Ns, app: App): Obj | undefined {
  if (!app.port || app.kind === "CronJob" || app.kind === "Job") return undefined;
  const type =
    app.name === "ftp-drop"
      ? "NodePort"
      : app.name === "ingress-nginx-controller"
        ? "LoadBalancer"
        : "ClusterIP";
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: app.name, namespace: ns.name },
    spec: {
      type,
      selector: { app: app.name },
      ports: [{ name: "http", port: app.port, targetPort: app.port }],
    },
  };
}

function ingress(ns: Ns, app: App): Obj | undefined {
  if (!app.public) return undefined;
  const host = `${app.name}.${ns.name.replace(/-/g, "")}.acme.example`;
  const spec: Obj = {
    ingressClassName: "nginx",
    rules: [
      {
        host,
        http: {
          paths: [
            {
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: app.name, port: { number: app.port } } },
            },
          ],
        },
      },
    ],
  };
  if (app.public === "tls") spec.tls = [{ hosts: [host], secretName: `${app.name}-tls` }];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: app.name, namespace: ns.name },
    spec,
  };
}

function networkPolicies(ns: Ns): Obj[] {
  if (ns.netpol === "none") return [];
  const out: Obj[] = [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", namespace: ns.name },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-dns", namespace: ns.name },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
              },
            ],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      },
    },
  ];
  if (ns.netpol === "strict") {
    for (const app of ns.apps) {
      if (!app.port || app.kind === "CronJob" || app.kind === "Job") continue;
      const from = app.public
        ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }]
        : [{ podSelector: {} }];
      out.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: `allow-${app.name}`, namespace: ns.name },
        spec: {
          podSelector: { matchLabels: { app: app.name } },
          policyTypes: ["Ingress"],
          ingress: [{ from, ports: [{ protocol: "TCP", port: app.port }] }],
        },
      });
    }
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-egress-in-namespace", namespace: ns.name },
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }] }] },
    });
  }
  if (ns.name === "ingress-nginx") {
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-internet-and-backends", namespace: ns.name },
      spec: {
        podSelector: { matchLabels: { app: "ingress-nginx-controller" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443 }, { port: 80 }] }],
        egress: [{ to: [{ namespaceSelector: {} }] }],
      },
    });
  }
  if (ns.name === "monitoring") {
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-scrape-all", namespace: ns.name },
      spec: {
        podSelector: { matchLabels: { app: "prometheus" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: {} }] }],
      },
    });
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-thanos-sidecar", namespace: ns.name },
      spec: {
        podSelector: { matchLabels: { app: "thanos-sidecar" } },
        ingress: [{ ports: [{ port: "grpc" }] }],
      },
    });
  }
  return out;
}

function rbac(ns: Ns): Obj[] {
  const out: Obj[] = [];
  for (const app of ns.apps) {
    if (app.posture === "sloppy" || app.posture === "dangerous") continue;
    out.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: app.name, namespace: ns.name } });
  }
  out.push({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "app-config-reader", namespace: ns.name },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
  });
  out.push({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "apps-read-config", namespace: ns.name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "app-config-reader" },
    subjects: ns.apps
      .filter((a) => a.posture === "hardened" || a.posture === "typical")
      .slice(0, 3)
      .map((a) => ({ kind: "ServiceAccount", name: a.name, namespace: ns.name })),
  });
  if (ns.team) {
    out.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${ns.team}-developers-edit`, namespace: ns.name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [
        { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: `acme:${ns.team}-developers` },
      ],
    });
  }
  return out;
}

const CLUSTER_RBAC: Obj[] = [
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "cluster-admin" },
    rules: [
      { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
      { nonResourceURLs: ["*"], verbs: ["*"] },
    ],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "edit", labels: { "rbac.authorization.k8s.io/aggregate-to-admin": "true" } },
    aggregationRule: {
      clusterRoleSelectors: [{ matchLabels: { "rbac.authorization.k8s.io/aggregate-to-edit": "true" } }],
    },
    rules: [],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: {
      name: "acme-edit-workloads",
      labels: { "rbac.authorization.k8s.io/aggregate-to-edit": "true" },
    },
    rules: [
      {
        apiGroups: ["", "apps", "batch"],
        resources: ["pods", "deployments", "statefulsets", "jobs", "cronjobs", "services", "configmaps"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      },
      { apiGroups: [""], resources: ["pods/exec", "pods/log"], verbs: ["get", "create"] },
    ],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "view" },
    rules: [
      {
        apiGroups: ["", "apps", "batch"],
        resources: ["pods", "deployments", "services", "configmaps", "jobs", "cronjobs"],
        verbs: ["get", "list", "watch"],
      },
    ],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "prometheus" },
    rules: [
      {
        apiGroups: [""],
        resources: ["nodes", "nodes/metrics", "services", "endpoints", "pods"],
        verbs: ["get", "list", "watch"],
      },
      { nonResourceURLs: ["/metrics"], verbs: ["get"] },
    ],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "prometheus" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "prometheus" },
    subjects: [{ kind: "ServiceAccount", name: "prometheus", namespace: "monitoring" }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "fluent-bit-read" },
    rules: [
      { apiGroups: [""], resources: ["pods", "namespaces", "secrets"], verbs: ["get", "list", "watch"] },
    ],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "fluent-bit-read" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "fluent-bit-read" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: "logging" }],
  },
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ci-deployer", namespace: "platform-ci" } },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "ci-deployer-admin" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ kind: "ServiceAccount", name: "ci-deployer", namespace: "platform-ci" }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "oncall-sre-admin" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "acme:sre-oncall" }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "legacy-everything", namespace: "legacy-billing" },
    rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "legacy-default-everything", namespace: "legacy-billing" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "legacy-everything" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: "legacy-billing" }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "support-impersonator" },
    rules: [{ apiGroups: [""], resources: ["users", "groups", "serviceaccounts"], verbs: ["impersonate"] }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "support-impersonator" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "support-impersonator" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "support-bot@acme.example" }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "stale-binding", namespace: "checkout" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "deleted-role" },
    subjects: [{ kind: "ServiceAccount", name: "cart", namespace: "checkout" }],
  },
];

function dump(docs: Obj[], header?: string): string {
  const body = docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
  return (header ? `${header}\n` : "") + body;
}

function main(): void {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, "manifests"), { recursive: true });
  let workloads = 0;
  for (const ns of NAMESPACES) {
    const dir = join(OUT, "manifests", ns.name);
    mkdirSync(dir, { recursive: true });
    const nsLabels: Record<string, string> = { "kubernetes.io/metadata.name": ns.name };
    if (ns.team) nsLabels.team = ns.team;
    if (ns.pss) {
      nsLabels["pod-security.kubernetes.io/enforce"] = ns.pss;
      nsLabels["pod-security.kubernetes.io/enforce-version"] = "latest";
      nsLabels["pod-security.kubernetes.io/warn"] = "restricted";
    }
    writeFileSync(
      join(dir, "namespace.yaml"),
      dump([{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: nsLabels } }]),
    );
    const docs = ns.apps.flatMap((a) =>
      [workload(ns, a), service(ns, a), ingress(ns, a)].filter((x): x is Obj => x !== undefined),
    );
    workloads += ns.apps.length;
    // payments ships as Helm output, catalog as a kubectl List, the rest as plain multi-document YAML.
    if (ns.name === "payments") {
      const helm = docs
        .map(
          (d) =>
            `# Source: payments/templates/${d.kind.toLowerCase()}-${d.metadata.name}.yaml\n${stringify(d, { lineWidth: 0 })}`,
        )
        .join("---\n");
      writeFileSync(join(dir, "helm-rendered.yaml"), `---\n${helm}`);
    } else if (ns.name === "catalog") {
      writeFileSync(
        join(dir, "workloads.json"),
        `${JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }, null, 2)}\n`,
      );
    } else {
      writeFileSync(join(dir, "workloads.yaml"), dump(docs));
    }
    const np = networkPolicies(ns);
    if (np.length) writeFileSync(join(dir, "network-policies.yaml"), dump(np));
    writeFileSync(join(dir, "rbac.yaml"), dump(rbac(ns)));
    const cfg: Obj[] = [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${ns.name}-settings`, namespace: ns.name },
        data: { LOG_LEVEL: "info", FEATURE_FLAGS: "new-checkout,fast-search" },
      },
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${ns.name}-db`, namespace: ns.name },
        type: "Opaque",
        data: { username: "YXBw", password: "bm90LWEtcmVhbC1wYXNzd29yZA==" },
      },
    ];
    if (ns.name === "data-pipeline") {
      cfg.push({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "etl-config", namespace: ns.name },
        data: {
          "warehouse.properties":
            "warehouse.url=jdbc:postgresql://dw:5432/dw\nwarehouse.user=etl\nwarehouse.password=etl-pass-2024\n",
          GITHUB_TOKEN: "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        },
      });
    }
    if (ns.name === "monitoring") {
      cfg.push({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: "apps", namespace: ns.name },
        spec: { selector: {}, namespaceSelector: { any: true }, endpoints: [{ port: "http" }] },
      });
    }
    writeFileSync(join(dir, "config.yaml"), dump(cfg));
  }
  mkdirSync(join(OUT, "manifests", "cluster"), { recursive: true });
  writeFileSync(join(OUT, "manifests", "cluster", "rbac.yaml"), dump(CLUSTER_RBAC));
  writeFileSync(
    join(OUT, "manifests", "cluster", "namespaces.yaml"),
    dump([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "kube-system", labels: { "kubernetes.io/metadata.name": "kube-system" } },
      },
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "platform-ci",
          labels: { "kubernetes.io/metadata.name": "platform-ci", team: "platform" },
        },
      },
    ]),
  );
  writeFileSync(
    join(OUT, "owners.yaml"),
    dump([
      {
        keys: ["team", "owner"],
        namespaces: {
          "payments-*": "payments",
          "legacy-*": "billing",
          "ml-*": "ml-platform",
          "dev-sandbox": "developer-experience",
        },
        images: { "registry.acme.internal/payments/*": "payments" },
      },
    ]),
  );
  writeFileSync(
    join(OUT, "exceptions.yaml"),
    dump([
      {
        apiVersion: "palisade.dev/v1",
        kind: "Exceptions",
        exceptions: [
          {
            id: "node-agents-need-host-access",
            namespaces: ["monitoring", "logging", "security-tools"],
            workloads: ["node-exporter", "fluent-bit", "falco"],
            rules: ["PAL-POD-00*", "PAL-POD-01*"],
            reason:
              "Node agents read host metrics, logs and syscalls by design; reviewed by security on 2026-10-02.",
            owner: "platform",
            expires: "2027-04-01",
          },
          {
            id: "opensearch-sysctl-init",
            namespaces: ["search"],
            workloads: ["opensearch"],
            reason: "Init container sets vm.max_map_count; tracked in SEARCH-412 to move to node tuning.",
            owner: "search",
            expires: "2026-09-30",
          },
          {
            id: "legacy-ftp-temporary",
            namespaces: ["legacy-billing"],
            workloads: ["ftp-upload"],
            reason: "FTP drop kept for one bank partner until migration.",
            owner: "billing",
          },
        ],
      },
    ]),
  );
  console.log(`wrote ${NAMESPACES.length + 2} namespaces, ${workloads} workloads to ${OUT}`);
}

main();
