/**
 * The admission benches' inputs: the policy (every Pod Security check at restricted, every posture rule, the image
 * rules), the namespaces' labels, and four AdmissionReview bodies (a hardened and a privileged Pod in an enforcing
 * namespace, a hardened and a bare Deployment in a warning one). Shared by bench/admission.ts (over HTTPS) and
 * bench/admission-path.ts (in-process), so both measure the same reviews.
 */
export const policy = `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
failurePolicy: Ignore
defaultMode: warn
namespaces:
  - {namespaces: [shop], mode: enforce}
podSecurity:
  - {namespaces: ["*"], level: restricted, version: latest}
posture: {severity: info}
vulnerabilities: {severity: high, advisories: [CVE-2024-3094], remediated: true, unanalysed: warn}
images:
  registries: [registry.acme.internal, "ghcr.io/acme/*"]
  forbiddenTags: [latest]
  requireDigest: false
`;
export const namespaces = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.30}}
---
apiVersion: v1
kind: Namespace
metadata: {name: tools}
`;

export const HARDENED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  seccompProfile: { type: "RuntimeDefault" },
};
function review(
  i: number,
  ns: string,
  kind: "Pod" | "Deployment",
  sc: Record<string, unknown>,
  image: string,
) {
  const podSpec = {
    containers: [
      {
        name: "app",
        image,
        securityContext: sc,
        resources: { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
      },
      { name: "sidecar", image: "registry.acme.internal/proxy:1.4", securityContext: HARDENED },
    ],
  };
  const object =
    kind === "Pod"
      ? {
          apiVersion: "v1",
          kind,
          metadata: { name: `web-${i}`, namespace: ns, labels: { app: "web" } },
          spec: podSpec,
        }
      : {
          apiVersion: "apps/v1",
          kind,
          metadata: { name: `web-${i}`, namespace: ns },
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: "web" } },
            template: { metadata: { labels: { app: "web" } }, spec: podSpec },
          },
        };
  const [group, version] = kind === "Pod" ? ["", "v1"] : ["apps", "v1"];
  const resource = kind === "Pod" ? "pods" : "deployments";
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `bench-${i}`,
      kind: { group, version, kind },
      resource: { group, version, resource },
      name: `web-${i}`,
      namespace: ns,
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:ci:deployer", groups: ["system:authenticated"] },
      object,
      oldObject: null,
      dryRun: false,
    },
  });
}
export const bodies = [
  review(1, "shop", "Pod", HARDENED, "registry.acme.internal/web:2.1"),
  review(2, "shop", "Pod", { privileged: true }, "nginx:latest"),
  review(3, "tools", "Deployment", HARDENED, "ghcr.io/acme/api:7"),
  review(4, "tools", "Deployment", {}, "docker.io/library/redis:7"),
];

/** The namespaces' labels as the namespaces file gives them. */
export const NAMESPACE_LABELS: Record<string, Record<string, string>> = {
  shop: {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/enforce-version": "v1.30",
  },
  tools: {},
};
