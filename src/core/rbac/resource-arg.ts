/**
 * kubectl's `auth can-i VERB TYPE[/NAME]` argument, without a live discovery client. kubectl lowercases the
 * argument, splits off `/NAME`, then `schema.ParseResourceArg`: `resource.version.group` when there are two or
 * more dots and that resolves, otherwise `resource.group` split at the FIRST dot; the RESTMapper then resolves
 * plural/singular/short names through discovery. Offline we resolve the built-in resources from a static table
 * (Kubernetes 1.30 discovery); an unknown resource keeps the group it was written with (kubectl's own fallback
 * when the mapper fails).
 */

/** [plural, group, singular, ...shortNames] */
const BUILTIN: readonly (readonly string[])[] = [
  ["pods", "", "pod", "po"],
  ["services", "", "service", "svc"],
  ["endpoints", "", "endpoints", "ep"],
  ["configmaps", "", "configmap", "cm"],
  ["secrets", "", "secret"],
  ["serviceaccounts", "", "serviceaccount", "sa"],
  ["namespaces", "", "namespace", "ns"],
  ["nodes", "", "node", "no"],
  ["persistentvolumes", "", "persistentvolume", "pv"],
  ["persistentvolumeclaims", "", "persistentvolumeclaim", "pvc"],
  ["events", "", "event", "ev"],
  ["limitranges", "", "limitrange", "limits"],
  ["resourcequotas", "", "resourcequota", "quota"],
  ["replicationcontrollers", "", "replicationcontroller", "rc"],
  ["podtemplates", "", "podtemplate"],
  ["componentstatuses", "", "componentstatus", "cs"],
  ["deployments", "apps", "deployment", "deploy"],
  ["replicasets", "apps", "replicaset", "rs"],
  ["statefulsets", "apps", "statefulset", "sts"],
  ["daemonsets", "apps", "daemonset", "ds"],
  ["controllerrevisions", "apps", "controllerrevision"],
  ["jobs", "batch", "job"],
  ["cronjobs", "batch", "cronjob", "cj"],
  ["horizontalpodautoscalers", "autoscaling", "horizontalpodautoscaler", "hpa"],
  ["networkpolicies", "networking.k8s.io", "networkpolicy", "netpol"],
  ["ingresses", "networking.k8s.io", "ingress", "ing"],
  ["ingressclasses", "networking.k8s.io", "ingressclass"],
  ["roles", "rbac.authorization.k8s.io", "role"],
  ["rolebindings", "rbac.authorization.k8s.io", "rolebinding"],
  ["clusterroles", "rbac.authorization.k8s.io", "clusterrole"],
  ["clusterrolebindings", "rbac.authorization.k8s.io", "clusterrolebinding"],
  ["poddisruptionbudgets", "policy", "poddisruptionbudget", "pdb"],
  ["storageclasses", "storage.k8s.io", "storageclass", "sc"],
  ["csidrivers", "storage.k8s.io", "csidriver"],
  ["csinodes", "storage.k8s.io", "csinode"],
  ["volumeattachments", "storage.k8s.io", "volumeattachment"],
  ["certificatesigningrequests", "certificates.k8s.io", "certificatesigningrequest", "csr"],
  ["mutatingwebhookconfigurations", "admissionregistration.k8s.io", "mutatingwebhookconfiguration"],
  ["validatingwebhookconfigurations", "admissionregistration.k8s.io", "validatingwebhookconfiguration"],
  ["validatingadmissionpolicies", "admissionregistration.k8s.io", "validatingadmissionpolicy"],
  ["validatingadmissionpolicybindings", "admissionregistration.k8s.io", "validatingadmissionpolicybinding"],
  ["customresourcedefinitions", "apiextensions.k8s.io", "customresourcedefinition", "crd", "crds"],
  ["apiservices", "apiregistration.k8s.io", "apiservice"],
  ["priorityclasses", "scheduling.k8s.io", "priorityclass", "pc"],
  ["leases", "coordination.k8s.io", "lease"],
  ["endpointslices", "discovery.k8s.io", "endpointslice"],
  ["runtimeclasses", "node.k8s.io", "runtimeclass"],
  ["tokenreviews", "authentication.k8s.io", "tokenreview"],
  ["subjectaccessreviews", "authorization.k8s.io", "subjectaccessreview"],
  ["selfsubjectaccessreviews", "authorization.k8s.io", "selfsubjectaccessreview"],
  ["localsubjectaccessreviews", "authorization.k8s.io", "localsubjectaccessreview"],
  ["selfsubjectrulesreviews", "authorization.k8s.io", "selfsubjectrulesreview"],
  ["flowschemas", "flowcontrol.apiserver.k8s.io", "flowschema"],
  ["prioritylevelconfigurations", "flowcontrol.apiserver.k8s.io", "prioritylevelconfiguration"],
];

const BY_NAME = new Map<string, { resource: string; group: string }>();
for (const [plural, group, ...aliases] of BUILTIN) {
  const v = { resource: plural!, group: group! };
  for (const n of [plural!, ...aliases]) if (!BY_NAME.has(n)) BY_NAME.set(n, v);
}

const VERSION = /^v\d+((alpha|beta)\d+)?$/;

export interface ResourceArg {
  resource: string;
  apiGroup: string;
  name?: string;
}

/** Parse `TYPE[/NAME]` as kubectl does (see module comment). `*` stays `*` in the core group. */
export function parseResourceArg(arg: string): ResourceArg {
  const slash = arg.indexOf("/");
  const typ = slash >= 0 ? arg.slice(0, slash) : arg;
  const name = slash >= 0 ? arg.slice(slash + 1) : undefined;
  const withName = (x: { resource: string; apiGroup: string }): ResourceArg =>
    name !== undefined ? { ...x, name } : x;
  if (typ === "*") return withName({ resource: "*", apiGroup: "" });
  const lower = typ.toLowerCase();
  const parts = lower.split(".");
  if (parts.length >= 3) {
    const [res, ver] = parts as [string, string];
    const group = parts.slice(2).join(".");
    const known = BY_NAME.get(res);
    if (VERSION.test(ver) && known && known.group === group)
      return withName({ resource: known.resource, apiGroup: group });
  }
  const dot = lower.indexOf(".");
  if (dot >= 0) {
    const res = lower.slice(0, dot);
    const group = lower.slice(dot + 1);
    const known = BY_NAME.get(res);
    if (known && known.group === group) return withName({ resource: known.resource, apiGroup: group });
    return withName({ resource: res, apiGroup: group });
  }
  const known = BY_NAME.get(lower);
  if (known) return withName({ resource: known.resource, apiGroup: known.group });
  return withName({ resource: lower, apiGroup: "" });
}
