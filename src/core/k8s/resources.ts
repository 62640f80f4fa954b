/**
 * Group/version/kind and resource names. `parseApiVersion` is `schema.ParseGroupVersion`; the resource table is the
 * built-in part of discovery (Kubernetes 1.30) that Palisade needs offline: kubectl-style resource arguments
 * (plural, singular and short names) and kind <-> resource plural. A resource's singular name is its kind in lower
 * case for every built-in resource.
 */

export interface GroupVersion {
  /** "" for the core group (`apiVersion: v1`). */
  group: string;
  version: string;
}

/**
 * `schema.ParseGroupVersion`: `""` is the empty GroupVersion, `v1` is the core group, `apps/v1` splits at the
 * slash, and more than one slash is an error (undefined here).
 */
export function parseApiVersion(apiVersion: string): GroupVersion | undefined {
  if (apiVersion === "") return { group: "", version: "" };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: apiVersion };
  if (parts.length === 2) return { group: parts[0] as string, version: parts[1] as string };
  return undefined;
}

/** A built-in resource: plural name, API group and kind. */
export interface ResourceInfo {
  resource: string;
  group: string;
  kind: string;
}

/** [plural, group, Kind, ...shortNames] */
const BUILTIN_RESOURCES: readonly (readonly string[])[] = [
  ["pods", "", "Pod", "po"],
  ["services", "", "Service", "svc"],
  ["endpoints", "", "Endpoints", "ep"],
  ["configmaps", "", "ConfigMap", "cm"],
  ["secrets", "", "Secret"],
  ["serviceaccounts", "", "ServiceAccount", "sa"],
  ["namespaces", "", "Namespace", "ns"],
  ["nodes", "", "Node", "no"],
  ["persistentvolumes", "", "PersistentVolume", "pv"],
  ["persistentvolumeclaims", "", "PersistentVolumeClaim", "pvc"],
  ["events", "", "Event", "ev"],
  ["limitranges", "", "LimitRange", "limits"],
  ["resourcequotas", "", "ResourceQuota", "quota"],
  ["replicationcontrollers", "", "ReplicationController", "rc"],
  ["podtemplates", "", "PodTemplate"],
  ["componentstatuses", "", "ComponentStatus", "cs"],
  ["deployments", "apps", "Deployment", "deploy"],
  ["replicasets", "apps", "ReplicaSet", "rs"],
  ["statefulsets", "apps", "StatefulSet", "sts"],
  ["daemonsets", "apps", "DaemonSet", "ds"],
  ["controllerrevisions", "apps", "ControllerRevision"],
  ["jobs", "batch", "Job"],
  ["cronjobs", "batch", "CronJob", "cj"],
  ["horizontalpodautoscalers", "autoscaling", "HorizontalPodAutoscaler", "hpa"],
  ["networkpolicies", "networking.k8s.io", "NetworkPolicy", "netpol"],
  ["ingresses", "networking.k8s.io", "Ingress", "ing"],
  ["ingressclasses", "networking.k8s.io", "IngressClass"],
  ["roles", "rbac.authorization.k8s.io", "Role"],
  ["rolebindings", "rbac.authorization.k8s.io", "RoleBinding"],
  ["clusterroles", "rbac.authorization.k8s.io", "ClusterRole"],
  ["clusterrolebindings", "rbac.authorization.k8s.io", "ClusterRoleBinding"],
  ["poddisruptionbudgets", "policy", "PodDisruptionBudget", "pdb"],
  ["storageclasses", "storage.k8s.io", "StorageClass", "sc"],
  ["csidrivers", "storage.k8s.io", "CSIDriver"],
  ["csinodes", "storage.k8s.io", "CSINode"],
  ["volumeattachments", "storage.k8s.io", "VolumeAttachment"],
  ["certificatesigningrequests", "certificates.k8s.io", "CertificateSigningRequest", "csr"],
  ["mutatingwebhookconfigurations", "admissionregistration.k8s.io", "MutatingWebhookConfiguration"],
  ["validatingwebhookconfigurations", "admissionregistration.k8s.io", "ValidatingWebhookConfiguration"],
  ["validatingadmissionpolicies", "admissionregistration.k8s.io", "ValidatingAdmissionPolicy"],
  ["validatingadmissionpolicybindings", "admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"],
  ["customresourcedefinitions", "apiextensions.k8s.io", "CustomResourceDefinition", "crd", "crds"],
  ["apiservices", "apiregistration.k8s.io", "APIService"],
  ["priorityclasses", "scheduling.k8s.io", "PriorityClass", "pc"],
  ["leases", "coordination.k8s.io", "Lease"],
  ["endpointslices", "discovery.k8s.io", "EndpointSlice"],
  ["runtimeclasses", "node.k8s.io", "RuntimeClass"],
  ["tokenreviews", "authentication.k8s.io", "TokenReview"],
  ["subjectaccessreviews", "authorization.k8s.io", "SubjectAccessReview"],
  ["selfsubjectaccessreviews", "authorization.k8s.io", "SelfSubjectAccessReview"],
  ["localsubjectaccessreviews", "authorization.k8s.io", "LocalSubjectAccessReview"],
  ["selfsubjectrulesreviews", "authorization.k8s.io", "SelfSubjectRulesReview"],
  ["flowschemas", "flowcontrol.apiserver.k8s.io", "FlowSchema"],
  ["prioritylevelconfigurations", "flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"],
];

const BY_NAME = new Map<string, ResourceInfo>();
const BY_KIND = new Map<string, ResourceInfo>();
for (const [resource, group, kind, ...short] of BUILTIN_RESOURCES) {
  const info: ResourceInfo = { resource: resource as string, group: group as string, kind: kind as string };
  for (const n of [info.resource, info.kind.toLowerCase(), ...short])
    if (!BY_NAME.has(n)) BY_NAME.set(n, info);
  BY_KIND.set(`${info.group}/${info.kind}`, info);
}

/** A built-in resource by its plural, singular or short name (lower case, as kubectl lowercases its argument). */
export function lookupResourceName(name: string): ResourceInfo | undefined {
  return BY_NAME.get(name);
}

/** The built-in resource of a kind in an API group ("" = core), e.g. `("apps", "Deployment")` -> deployments. */
export function resourceForKind(group: string, kind: string): ResourceInfo | undefined {
  return BY_KIND.get(`${group}/${kind}`);
}
