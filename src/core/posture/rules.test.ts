import { describe, expect, it } from "vitest";
import { buildInventory } from "../inventory/index.js";
import {
  configMap,
  DIGEST,
  ingress,
  type Json,
  namespace,
  podSc,
  raws,
  safeContainer,
  sc,
  service,
  workload,
} from "./__fixtures__/builders.js";
import { evaluatePosture, POSTURE_RULES } from "./index.js";

/** A table row: the rule must fire on `fail` and stay silent on `pass` (the closest compliant variant). */
interface Case {
  rule: string;
  name: string;
  fail: Json[];
  pass: Json[];
  allowedRegistries?: string[];
}

const hostPath = (path: string, readOnly?: boolean) => (spec: Json, c: Json) => {
  spec.volumes = [{ name: "h", hostPath: { path } }];
  c.volumeMounts = [{ name: "h", mountPath: "/h", ...(readOnly === undefined ? {} : { readOnly }) }];
};
const addCaps =
  (...caps: string[]) =>
  (_: Json, c: Json) => {
    sc(c).capabilities = { drop: ["ALL"], add: caps };
  };

const CASES: Case[] = [
  {
    rule: "PAL-POD-001",
    name: "privileged: true",
    fail: [
      workload((_, c) => {
        sc(c).privileged = true;
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).privileged = false;
      }),
    ],
  },
  {
    rule: "PAL-POD-001",
    name: "privileged init container",
    fail: [
      workload((s) => {
        s.initContainers = [{ ...safeContainer("init"), securityContext: { privileged: true } }];
      }),
    ],
    pass: [
      workload((s) => {
        s.initContainers = [safeContainer("init")];
      }),
    ],
  },
  {
    rule: "PAL-POD-002",
    name: "hostPID",
    fail: [
      workload((s) => {
        s.hostPID = true;
      }),
    ],
    pass: [
      workload((s) => {
        s.hostPID = false;
      }),
    ],
  },
  {
    rule: "PAL-POD-003",
    name: "hostIPC",
    fail: [
      workload((s) => {
        s.hostIPC = true;
      }),
    ],
    pass: [
      workload((s) => {
        s.hostIPC = false;
      }),
    ],
  },
  {
    rule: "PAL-POD-004",
    name: "hostNetwork",
    fail: [
      workload((s) => {
        s.hostNetwork = true;
      }),
    ],
    pass: [
      workload((s) => {
        s.hostNetwork = false;
      }),
    ],
  },
  {
    rule: "PAL-POD-005",
    name: "hostPort",
    fail: [
      workload((_, c) => {
        c.ports = [{ containerPort: 80, hostPort: 8080 }];
      }),
    ],
    pass: [
      workload((_, c) => {
        c.ports = [{ containerPort: 80, hostPort: 0 }];
      }),
    ],
  },
  {
    rule: "PAL-POD-006",
    name: "hostPath volume",
    fail: [workload(hostPath("/data", true))],
    pass: [
      workload((s) => {
        s.volumes = [{ name: "h", emptyDir: {} }];
      }),
    ],
  },
  {
    rule: "PAL-POD-007",
    name: "docker.sock",
    fail: [workload(hostPath("/var/run/docker.sock", true))],
    pass: [workload(hostPath("/data", true))],
  },
  {
    rule: "PAL-POD-007",
    name: "containerd directory",
    fail: [workload(hostPath("/run/containerd/", true))],
    pass: [workload(hostPath("/run/containerd-data", true))],
  },
  {
    rule: "PAL-POD-007",
    name: "/var/run and crio socket via ..",
    fail: [workload(hostPath("/var/lib/../run/crio/crio.sock", true))],
    pass: [workload(hostPath("/var/lib/app", true))],
  },
  {
    rule: "PAL-POD-008",
    name: "/etc",
    fail: [workload(hostPath("/etc/kubernetes", true))],
    pass: [workload(hostPath("/srv/cache", true))],
  },
  {
    rule: "PAL-POD-009",
    name: "writable hostPath mount",
    fail: [workload(hostPath("/data"))],
    pass: [workload(hostPath("/data", true))],
  },
  {
    rule: "PAL-POD-039",
    name: "node root filesystem, even read-only",
    fail: [workload(hostPath("/", true))],
    pass: [workload(hostPath("/srv", true))],
  },
  {
    rule: "PAL-SEC-007",
    name: "Secret manifest with a data value",
    fail: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "db" }, data: { password: "aHVudGVy" } }],
    pass: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "db" }, data: { password: "" } }],
  },
  {
    rule: "PAL-POD-010",
    name: "add ALL",
    fail: [workload(addCaps("ALL"))],
    pass: [workload(addCaps("NET_BIND_SERVICE"))],
  },
  {
    rule: "PAL-POD-011",
    name: "add CAP_SYS_ADMIN (prefixed, lower case)",
    fail: [workload(addCaps("cap_sys_admin"))],
    pass: [workload(addCaps("CHOWN"))],
  },
  {
    rule: "PAL-POD-012",
    name: "add NET_ADMIN",
    fail: [workload(addCaps("NET_ADMIN"))],
    pass: [workload(addCaps("NET_BIND_SERVICE"))],
  },
  {
    rule: "PAL-POD-013",
    name: "NET_RAW not dropped",
    fail: [
      workload((_, c) => {
        sc(c).capabilities = { drop: ["SYS_ADMIN"] };
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).capabilities = { drop: ["NET_RAW"] };
      }),
    ],
  },
  {
    rule: "PAL-POD-013",
    name: "NET_RAW added back",
    fail: [workload(addCaps("NET_RAW"))],
    pass: [workload(addCaps("KILL"))],
  },
  {
    rule: "PAL-POD-014",
    name: "add SYS_NICE (outside baseline)",
    fail: [workload(addCaps("SYS_NICE"))],
    pass: [workload(addCaps("SETUID"))],
  },
  {
    rule: "PAL-POD-015",
    name: "drop ALL missing",
    fail: [
      workload((_, c) => {
        sc(c).capabilities = { drop: ["NET_RAW"] };
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).capabilities = { drop: ["all"] };
      }),
    ],
  },
  {
    rule: "PAL-POD-016",
    name: "allowPrivilegeEscalation unset",
    fail: [
      workload((_, c) => {
        delete sc(c).allowPrivilegeEscalation;
      }),
    ],
    pass: [workload()],
  },
  {
    rule: "PAL-POD-016",
    name: "allowPrivilegeEscalation true",
    fail: [
      workload((_, c) => {
        sc(c).allowPrivilegeEscalation = true;
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).allowPrivilegeEscalation = false;
      }),
    ],
  },
  {
    rule: "PAL-POD-017",
    name: "runAsNonRoot unset",
    fail: [
      workload((s) => {
        delete podSc(s).runAsNonRoot;
      }),
    ],
    pass: [
      workload((s, c) => {
        delete podSc(s).runAsNonRoot;
        sc(c).runAsNonRoot = true;
      }),
    ],
  },
  {
    rule: "PAL-POD-017",
    name: "container runAsNonRoot false overrides pod true",
    fail: [
      workload((_, c) => {
        sc(c).runAsNonRoot = false;
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).runAsNonRoot = true;
      }),
    ],
  },
  {
    rule: "PAL-POD-018",
    name: "runAsUser 0 at container level",
    fail: [
      workload((_, c) => {
        sc(c).runAsUser = 0;
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).runAsUser = 20001;
      }),
    ],
  },
  {
    rule: "PAL-POD-018",
    name: "pod runAsUser 0 overridden by container",
    fail: [
      workload((s) => {
        podSc(s).runAsUser = 0;
      }),
    ],
    pass: [
      workload((s, c) => {
        podSc(s).runAsUser = 0;
        sc(c).runAsUser = 20001;
      }),
    ],
  },
  {
    rule: "PAL-POD-019",
    name: "runAsGroup 0",
    fail: [
      workload((s) => {
        podSc(s).runAsGroup = 0;
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).runAsGroup = 30000;
      }),
    ],
  },
  {
    rule: "PAL-POD-020",
    name: "fsGroup 0",
    fail: [
      workload((s) => {
        podSc(s).fsGroup = 0;
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).fsGroup = 20000;
      }),
    ],
  },
  {
    rule: "PAL-POD-020",
    name: "supplementalGroups contains 0",
    fail: [
      workload((s) => {
        podSc(s).supplementalGroups = [1000, 0];
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).supplementalGroups = [1000];
      }),
    ],
  },
  {
    rule: "PAL-POD-021",
    name: "readOnlyRootFilesystem false",
    fail: [
      workload((_, c) => {
        sc(c).readOnlyRootFilesystem = false;
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).readOnlyRootFilesystem = true;
      }),
    ],
  },
  {
    rule: "PAL-POD-022",
    name: "seccomp unset",
    fail: [
      workload((s) => {
        delete podSc(s).seccompProfile;
      }),
    ],
    pass: [
      workload((s, c) => {
        delete podSc(s).seccompProfile;
        sc(c).seccompProfile = { type: "Localhost", localhostProfile: "p.json" };
      }),
    ],
  },
  {
    rule: "PAL-POD-023",
    name: "seccomp Unconfined at pod level",
    fail: [
      workload((s) => {
        podSc(s).seccompProfile = { type: "Unconfined" };
      }),
    ],
    pass: [
      workload((s, c) => {
        podSc(s).seccompProfile = { type: "Unconfined" };
        sc(c).seccompProfile = { type: "RuntimeDefault" };
      }),
    ],
  },
  {
    rule: "PAL-POD-024",
    name: "appArmorProfile Unconfined",
    fail: [
      workload((_, c) => {
        sc(c).appArmorProfile = { type: "Unconfined" };
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).appArmorProfile = { type: "RuntimeDefault" };
      }),
    ],
  },
  {
    rule: "PAL-POD-024",
    name: "AppArmor annotation unconfined",
    fail: [
      workload(undefined, {
        podAnnotations: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" },
      }),
    ],
    pass: [
      workload(undefined, {
        podAnnotations: { "container.apparmor.security.beta.kubernetes.io/app": "runtime/default" },
      }),
    ],
  },
  {
    rule: "PAL-POD-025",
    name: "SELinux custom type",
    fail: [
      workload((_, c) => {
        sc(c).seLinuxOptions = { type: "spc_t" };
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).seLinuxOptions = { type: "container_init_t", level: "s0:c1,c2" };
      }),
    ],
  },
  {
    rule: "PAL-POD-025",
    name: "SELinux user at pod level",
    fail: [
      workload((s) => {
        podSc(s).seLinuxOptions = { user: "system_u" };
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).seLinuxOptions = { level: "s0" };
      }),
    ],
  },
  {
    rule: "PAL-POD-026",
    name: "unsafe sysctl",
    fail: [
      workload((s) => {
        podSc(s).sysctls = [{ name: "kernel.msgmax", value: "65536" }];
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).sysctls = [{ name: "net.ipv4.tcp_syncookies", value: "1" }];
      }),
    ],
  },
  {
    rule: "PAL-POD-027",
    name: "procMount Unmasked",
    fail: [
      workload((_, c) => {
        sc(c).procMount = "Unmasked";
      }),
    ],
    pass: [
      workload((_, c) => {
        sc(c).procMount = "Default";
      }),
    ],
  },
  {
    rule: "PAL-POD-028",
    name: "Windows hostProcess",
    fail: [
      workload((s) => {
        podSc(s).windowsOptions = { hostProcess: true };
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).windowsOptions = { hostProcess: false };
      }),
    ],
  },
  {
    rule: "PAL-POD-029",
    name: "shareProcessNamespace",
    fail: [
      workload((s) => {
        s.shareProcessNamespace = true;
      }),
    ],
    pass: [
      workload((s) => {
        s.shareProcessNamespace = false;
      }),
    ],
  },
  {
    rule: "PAL-POD-030",
    name: "low UID",
    fail: [
      workload((s) => {
        podSc(s).runAsUser = 1000;
      }),
    ],
    pass: [
      workload((s) => {
        podSc(s).runAsUser = 10001;
      }),
    ],
  },
  {
    rule: "PAL-POD-031",
    name: "no securityContext anywhere",
    fail: [
      workload((s, c) => {
        delete s.securityContext;
        delete c.securityContext;
      }),
    ],
    pass: [
      workload((s) => {
        delete s.securityContext;
      }),
    ],
  },
  {
    rule: "PAL-POD-032",
    name: "nfs volume",
    fail: [
      workload((s) => {
        s.volumes = [{ name: "n", nfs: { server: "nfs", path: "/x" } }];
      }),
    ],
    pass: [
      workload((s) => {
        s.volumes = [{ name: "n", persistentVolumeClaim: { claimName: "data" } }];
      }),
    ],
  },
  {
    rule: "PAL-POD-033",
    name: "probe host",
    fail: [
      workload((_, c) => {
        c.livenessProbe = { httpGet: { host: "169.254.169.254", path: "/", port: 80 } };
      }),
    ],
    pass: [
      workload((_, c) => {
        c.livenessProbe = { httpGet: { path: "/", port: 80 } };
      }),
    ],
  },
  {
    rule: "PAL-POD-033",
    name: "preStop tcpSocket host",
    fail: [
      workload((_, c) => {
        c.lifecycle = { preStop: { tcpSocket: { host: "10.0.0.1", port: 22 } } };
      }),
    ],
    pass: [
      workload((_, c) => {
        c.lifecycle = { preStop: { exec: { command: ["sleep", "5"] } } };
      }),
    ],
  },
  {
    rule: "PAL-POD-034",
    name: "default ServiceAccount",
    fail: [
      workload((s) => {
        delete s.serviceAccountName;
      }),
    ],
    pass: [
      workload((s) => {
        s.serviceAccountName = "web";
      }),
    ],
  },
  {
    rule: "PAL-POD-035",
    name: "automount not disabled on pod or ServiceAccount",
    fail: [
      workload((s) => {
        delete s.automountServiceAccountToken;
      }),
    ],
    pass: [
      workload((s) => {
        delete s.automountServiceAccountToken;
      }),
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "web", namespace: "shop" },
        automountServiceAccountToken: false,
      },
    ],
  },
  {
    rule: "PAL-POD-035",
    name: "pod true overrides ServiceAccount false",
    fail: [
      workload((s) => {
        s.automountServiceAccountToken = true;
      }),
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "web", namespace: "shop" },
        automountServiceAccountToken: false,
      },
    ],
    pass: [
      workload((s) => {
        s.automountServiceAccountToken = false;
      }),
    ],
  },
  {
    rule: "PAL-POD-036",
    name: "default namespace",
    fail: [workload(undefined, { namespace: "default" })],
    pass: [workload(undefined, { namespace: "shop" })],
  },
  {
    rule: "PAL-NS-001",
    name: "ConfigMap in the default namespace (kube-root-ca.crt is the controller's)",
    fail: [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "default" }, data: {} },
    ],
    pass: [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "kube-root-ca.crt", namespace: "default" },
        data: {},
      },
    ],
  },
  {
    rule: "PAL-POD-037",
    name: "liveness missing",
    fail: [
      workload((_, c) => {
        delete c.livenessProbe;
      }),
    ],
    pass: [
      workload(
        (_, c) => {
          delete c.livenessProbe;
        },
        { kind: "Job" },
      ),
    ],
  },
  {
    rule: "PAL-POD-038",
    name: "readiness missing",
    fail: [
      workload(
        (_, c) => {
          delete c.readinessProbe;
        },
        { kind: "StatefulSet" },
      ),
    ],
    pass: [
      workload(
        (_, c) => {
          delete c.readinessProbe;
        },
        { kind: "CronJob" },
      ),
    ],
  },
  {
    rule: "PAL-POD-038",
    name: "init containers need no probes",
    fail: [
      workload((_, c) => {
        delete c.readinessProbe;
      }),
    ],
    pass: [
      workload((s) => {
        s.initContainers = [{ ...safeContainer("init"), readinessProbe: undefined }];
      }),
    ],
  },
  {
    rule: "PAL-RES-001",
    name: "cpu request",
    fail: [
      workload((_, c) => {
        delete (c.resources as { requests: Json }).requests.cpu;
      }),
    ],
    pass: [
      workload((_, c) => {
        (c.resources as { requests: Json }).requests.cpu = 0.5;
      }),
    ],
  },
  {
    rule: "PAL-RES-002",
    name: "cpu limit",
    fail: [
      workload((_, c) => {
        delete (c.resources as { limits: Json }).limits.cpu;
      }),
    ],
    pass: [workload()],
  },
  {
    rule: "PAL-RES-003",
    name: "memory request",
    fail: [
      workload((_, c) => {
        delete (c.resources as { requests: Json }).requests.memory;
      }),
    ],
    pass: [workload()],
  },
  {
    rule: "PAL-RES-004",
    name: "memory limit (no resources at all)",
    fail: [
      workload((_, c) => {
        delete c.resources;
      }),
    ],
    pass: [workload()],
  },
  {
    rule: "PAL-RES-005",
    name: "declared namespace without ResourceQuota",
    fail: [namespace("shop"), workload()],
    pass: [
      namespace("shop"),
      workload(),
      { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: "shop" }, spec: {} },
    ],
  },
  {
    rule: "PAL-RES-006",
    name: "declared namespace without LimitRange",
    fail: [namespace("shop")],
    pass: [
      namespace("shop"),
      { apiVersion: "v1", kind: "LimitRange", metadata: { name: "l", namespace: "shop" } },
    ],
  },
  {
    rule: "PAL-IMG-001",
    name: "latest tag",
    fail: [
      workload((_, c) => {
        c.image = "nginx:latest";
      }),
    ],
    pass: [
      workload((_, c) => {
        c.image = `nginx:latest@${DIGEST}`;
      }),
    ],
  },
  {
    rule: "PAL-IMG-001",
    name: "no tag",
    fail: [
      workload((_, c) => {
        c.image = "registry.example.com:5000/team/app";
      }),
    ],
    pass: [
      workload((_, c) => {
        c.image = "registry.example.com:5000/team/app:2.0";
      }),
    ],
  },
  {
    rule: "PAL-IMG-002",
    name: "no digest",
    fail: [
      workload((_, c) => {
        c.image = "nginx:1.27";
      }),
    ],
    pass: [workload()],
  },
  {
    rule: "PAL-IMG-003",
    name: "registry outside allow-list",
    allowedRegistries: ["registry.example.com", "ghcr.io/acme/*"],
    fail: [
      workload((_, c) => {
        c.image = `ghcr.io/evil/app:1@${DIGEST}`;
      }),
    ],
    pass: [
      workload((_, c) => {
        c.image = `ghcr.io/acme/app:1@${DIGEST}`;
      }),
    ],
  },
  {
    rule: "PAL-IMG-004",
    name: "IfNotPresent for a mutable tag",
    fail: [
      workload((_, c) => {
        c.image = "nginx:1.27";
        delete c.imagePullPolicy;
      }),
    ],
    pass: [
      workload((_, c) => {
        c.image = "nginx:1.27";
        c.imagePullPolicy = "Always";
      }),
    ],
  },
  {
    rule: "PAL-SEC-001",
    name: "secretKeyRef",
    fail: [
      workload((_, c) => {
        c.env = [{ name: "DB", valueFrom: { secretKeyRef: { name: "db", key: "pw" } } }];
      }),
    ],
    pass: [
      workload((_, c) => {
        c.env = [{ name: "DB", valueFrom: { configMapKeyRef: { name: "db", key: "host" } } }];
      }),
    ],
  },
  {
    rule: "PAL-SEC-002",
    name: "envFrom secretRef",
    fail: [
      workload((_, c) => {
        c.envFrom = [{ secretRef: { name: "db" } }];
      }),
    ],
    pass: [
      workload((_, c) => {
        c.envFrom = [{ configMapRef: { name: "db" } }];
      }),
    ],
  },
  {
    rule: "PAL-SEC-003",
    name: "password literal in env",
    fail: [
      workload((_, c) => {
        c.env = [{ name: "DB_PASSWORD", value: "hunter2-correct-horse" }];
      }),
    ],
    pass: [
      workload((_, c) => {
        c.env = [{ name: "DB_PASSWORD_FILE", value: "/run/secrets/db" }];
      }),
    ],
  },
  {
    rule: "PAL-SEC-004",
    name: "private key in ConfigMap",
    fail: [
      configMap({ "tls.key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n" }),
    ],
    pass: [configMap({ "tls.crt": "-----BEGIN CERTIFICATE-----\nMIIE\n-----END CERTIFICATE-----\n" })],
  },
  {
    rule: "PAL-SEC-005",
    name: "password flag in args",
    fail: [
      workload((_, c) => {
        c.args = ["--db-password", "s3cr3t-value!"];
      }),
    ],
    pass: [
      workload((_, c) => {
        c.args = ["--db-password-file", "/run/secrets/db"];
      }),
    ],
  },
  {
    rule: "PAL-SEC-006",
    name: "last-applied Secret",
    fail: [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "db",
          namespace: "shop",
          annotations: {
            "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
              data: { pw: "aHVudGVyMg==" },
            }),
          },
        },
        data: { pw: "aHVudGVyMg==" },
      },
    ],
    pass: [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db", namespace: "shop" },
        data: { pw: "aHVudGVyMg==" },
      },
    ],
  },
  {
    rule: "PAL-SVC-001",
    name: "NodePort",
    fail: [workload(), service({ type: "NodePort" })],
    pass: [workload(), service({ type: "ClusterIP" })],
  },
  {
    rule: "PAL-SVC-002",
    name: "LoadBalancer",
    fail: [workload(), service({ type: "LoadBalancer", loadBalancerSourceRanges: ["10.0.0.0/8"] })],
    pass: [workload(), service({})],
  },
  {
    rule: "PAL-SVC-003",
    name: "LoadBalancer open to the world",
    fail: [workload(), service({ type: "LoadBalancer" })],
    pass: [
      workload(),
      service({ type: "LoadBalancer" }, "web", {
        annotations: { "networking.gke.io/load-balancer-type": "Internal" },
      }),
    ],
  },
  {
    rule: "PAL-SVC-004",
    name: "selector matches nothing (label value differs)",
    fail: [workload(), service({ selector: { app: "web", tier: "front" } })],
    pass: [
      workload(undefined, { podLabels: { app: "web", tier: "front", extra: "x" } }),
      service({ selector: { app: "web", tier: "front" } }),
    ],
  },
  {
    rule: "PAL-SVC-004",
    name: "selector matches a pod in another namespace only",
    fail: [workload(undefined, { namespace: "other" }), service({})],
    pass: [workload(), service({})],
  },
  {
    rule: "PAL-SVC-005",
    name: "externalIPs",
    fail: [workload(), service({ externalIPs: ["1.2.3.4"] })],
    pass: [workload(), service({ externalIPs: [] })],
  },
  {
    rule: "PAL-SVC-006",
    name: "Ingress without TLS",
    fail: [ingress({ rules: [{ host: "shop.example.com" }] })],
    pass: [
      ingress({
        tls: [{ hosts: ["shop.example.com"], secretName: "tls" }],
        rules: [{ host: "shop.example.com" }],
      }),
    ],
  },
  {
    rule: "PAL-SVC-007",
    name: "host outside TLS hosts (wildcard covers one label only)",
    fail: [ingress({ tls: [{ hosts: ["*.example.com"] }], rules: [{ host: "a.b.example.com" }] })],
    pass: [ingress({ tls: [{ hosts: ["*.example.com"] }], rules: [{ host: "shop.example.com" }] })],
  },
];

function fired(objects: Json[], rule: string, allowedRegistries?: string[]) {
  const inv = buildInventory(raws(...objects));
  const opts = allowedRegistries ? { allowedRegistries } : {};
  return evaluatePosture(inv, opts).findings.filter((f) => f.ruleId === rule);
}

describe("posture rules: one failing and one passing manifest per rule", () => {
  it.each(CASES.map((c) => [c.rule, c.name, c] as const))("%s %s", (_rule, _name, c) => {
    expect(fired(c.fail, c.rule, c.allowedRegistries).length).toBeGreaterThan(0);
    expect(fired(c.pass, c.rule, c.allowedRegistries)).toEqual([]);
  });

  it("covers every rule in the catalogue", () => {
    const tested = new Set(CASES.map((c) => c.rule));
    expect(POSTURE_RULES.map((r) => r.id).filter((id) => !tested.has(id))).toEqual([]);
  });

  it("the hardened workload behind a matching ClusterIP Service triggers no rule", () => {
    const inv = buildInventory(raws(workload(), service({})));
    expect(evaluatePosture(inv, { allowedRegistries: ["registry.example.com"] })).toEqual({
      findings: [],
      coverage: [],
    });
  });
});
