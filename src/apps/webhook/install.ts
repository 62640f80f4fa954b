/**
 * The manifests that install the webhook: Validating (and, with mutation, Mutating) WebhookConfiguration with an
 * explicit failurePolicy and timeoutSeconds, the webhook's own namespace and kube-system excluded by
 * namespaceSelector, matchConditions, sideEffects None and the CA bundle; a Deployment of two replicas spread over
 * nodes, its Service and a PodDisruptionBudget, so that a node drain never leaves the API server without a
 * webhook (with failurePolicy Fail that would block every pod).
 */

export interface InstallOptions {
  namespace: string;
  name: string;
  image: string;
  /** Base64 of the PEM that signed (or is) the serving certificate. */
  caBundle: string;
  tlsSecret: string;
  failurePolicy: "Fail" | "Ignore";
  timeoutSeconds: number;
  mutate: boolean;
  /** Mount a ConfigMap `<name>-policy` with key policy.yaml and pass --policy. */
  policyFile: boolean;
  /** The cluster's fleet name, passed as --cluster (recorded on every decision); "" or absent: none. */
  cluster?: string | undefined;
}

/** Pods and every workload kind that carries a pod template, CREATE and UPDATE. */
const RULES = [
  {
    apiGroups: [""],
    apiVersions: ["v1"],
    operations: ["CREATE", "UPDATE"],
    resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"],
    scope: "Namespaced",
  },
  {
    apiGroups: ["apps"],
    apiVersions: ["v1"],
    operations: ["CREATE", "UPDATE"],
    resources: ["deployments", "replicasets", "statefulsets", "daemonsets"],
    scope: "Namespaced",
  },
  {
    apiGroups: ["batch"],
    apiVersions: ["v1"],
    operations: ["CREATE", "UPDATE"],
    resources: ["jobs", "cronjobs"],
    scope: "Namespaced",
  },
];

export function admissionInstallManifests(o: InstallOptions): Record<string, unknown>[] {
  const labels = { "app.kubernetes.io/name": o.name, "app.kubernetes.io/part-of": "palisade" };
  const serviceAccount = `system:serviceaccount:${o.namespace}:${o.name}`;
  const webhook = (path: string, suffix: string) => ({
    name: `${suffix}.${o.name}.palisade.dev`,
    admissionReviewVersions: ["v1"],
    clientConfig: {
      service: { namespace: o.namespace, name: o.name, path, port: 443 },
      caBundle: o.caBundle,
    },
    failurePolicy: o.failurePolicy,
    timeoutSeconds: o.timeoutSeconds,
    sideEffects: "None",
    matchPolicy: "Equivalent",
    rules: RULES,
    namespaceSelector: {
      matchExpressions: [
        { key: "kubernetes.io/metadata.name", operator: "NotIn", values: [o.namespace, "kube-system"] },
      ],
    },
    matchConditions: [
      // The webhook's own rollouts never wait on the webhook.
      { name: "not-palisade-itself", expression: `request.userInfo.username != "${serviceAccount}"` },
      // Node status updates of mirror pods are not workload changes.
      { name: "not-kubelets", expression: '!("system:nodes" in request.userInfo.groups)' },
    ],
  });
  // The webhook answers by its failure policy a little before the API server gives up on it.
  const deadlineMs = Math.max(500, o.timeoutSeconds * 1000 - 1000);
  const args = [
    "admission",
    "serve",
    "--listen=0.0.0.0:8443",
    "--tls-cert=/etc/palisade/tls/tls.crt",
    "--tls-key=/etc/palisade/tls/tls.key",
    "--kubeconfig=in-cluster",
    `--deadline=${deadlineMs}ms`,
    ...(o.policyFile ? ["--policy=/etc/palisade/policy/policy.yaml"] : []),
    ...(o.cluster ? [`--cluster=${o.cluster}`] : []),
  ];
  const docs: Record<string, unknown>[] = [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: o.name, labels },
      webhooks: [webhook("/validate", "validate")],
    },
  ];
  if (o.mutate)
    docs.push({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: o.name, labels },
      webhooks: [{ ...webhook("/mutate", "mutate"), reinvocationPolicy: "Never" }],
    });
  docs.push(
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: o.name, namespace: o.namespace, labels } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: o.name, labels },
      // Namespace labels only: the webhook watches them instead of reading one per review.
      rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: o.name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: o.name },
      subjects: [{ kind: "ServiceAccount", name: o.name, namespace: o.namespace }],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: o.name, namespace: o.namespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: o.name,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: labels },
              },
            ],
            containers: [
              {
                name: "webhook",
                image: o.image,
                args,
                ports: [{ name: "https", containerPort: 8443 }],
                readinessProbe: { httpGet: { path: "/readyz", port: "https", scheme: "HTTPS" } },
                livenessProbe: { httpGet: { path: "/healthz", port: "https", scheme: "HTTPS" } },
                resources: {
                  requests: { cpu: "250m", memory: "256Mi" },
                  limits: { cpu: "1", memory: "512Mi" },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
                volumeMounts: [
                  { name: "tls", mountPath: "/etc/palisade/tls", readOnly: true },
                  ...(o.policyFile
                    ? [{ name: "policy", mountPath: "/etc/palisade/policy", readOnly: true }]
                    : []),
                ],
              },
            ],
            volumes: [
              { name: "tls", secret: { secretName: o.tlsSecret } },
              ...(o.policyFile ? [{ name: "policy", configMap: { name: `${o.name}-policy` } }] : []),
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: o.name, namespace: o.namespace, labels },
      spec: { selector: labels, ports: [{ name: "https", port: 443, targetPort: "https" }] },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: o.name, namespace: o.namespace, labels },
      spec: { minAvailable: 1, selector: { matchLabels: labels } },
    },
  );
  return docs;
}
