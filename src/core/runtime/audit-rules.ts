/**
 * Kubernetes audit-log detections, equivalent to Falco's k8s_audit rules
 * (https://github.com/falcosecurity/plugins/blob/main/plugins/k8saudit/rules/k8s_audit_rules.yaml): each rule is
 * one entry of a list with an id, a severity and a predicate over one parsed audit event that answers the
 * evidence, or nothing. Request objects were reduced to facts at parse time (core/runtime events.ts), so no rule
 * can see, and no alert can print, a Secret's or ConfigMap's value.
 *
 * Only the final stage of a request is judged (ResponseComplete, or Panic, or events without a stage): the audit
 * backend logs RequestReceived and ResponseStarted for the same request, which would double every alert. Object
 * creations count only when they succeeded (no response code, or below 400): a forbidden create changed nothing.
 */
import type { Severity } from "../findings/index.js";
import type { AlertCategory, RuntimeAlert } from "./alerts.js";
import type { AuditObject, RuntimeEvent } from "./events.js";

type AuditEvent = Extract<RuntimeEvent, { kind: "audit" }>;

export interface AuditRule {
  id: string;
  title: string;
  severity: Severity;
  /** Falco rule this one is equivalent to, when there is one. */
  falco?: string;
  remediation: string;
  /** The evidence when the event matches. */
  match(e: AuditEvent): string | undefined;
}

const WORKLOAD_RESOURCES = new Set([
  "pods",
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "jobs",
  "cronjobs",
  "replicationcontrollers",
]);

/** Host paths whose mount gives a container the node (Falco's sensitive_vol_mount list, plus runtime sockets). */
export const SENSITIVE_HOST_PATHS: readonly string[] = [
  "/",
  "/proc",
  "/etc",
  "/root",
  "/var/run",
  "/var/run/docker.sock",
  "/run/containerd/containerd.sock",
  "/var/run/crio/crio.sock",
  "/var/lib/kubelet",
  "/var/lib/kubelet/pki",
  "/etc/kubernetes",
  "/etc/kubernetes/manifests",
  "/dev",
  "/sys",
  "/boot",
  "/home/admin",
];

const isCreateLike = (e: AuditEvent) => e.verb === "create" || e.verb === "update" || e.verb === "patch";
const succeeded = (e: AuditEvent) => e.code === undefined || e.code < 400;
const base = (e: AuditEvent) => e.resource.split("/")[0] ?? "";
const isSystemUser = (u: string) => u.startsWith("system:");
const target = (e: AuditEvent) => `${e.resource} ${e.namespace ? `${e.namespace}/` : ""}${e.name ?? "?"}`;

function podFacts(e: AuditEvent): Extract<AuditObject, { type: "pod-spec" }> | undefined {
  if (!isCreateLike(e) || !succeeded(e) || !WORKLOAD_RESOURCES.has(base(e))) return undefined;
  return e.object?.type === "pod-spec" ? e.object : undefined;
}

function rules(e: AuditEvent, resource: string) {
  if (!isCreateLike(e) || !succeeded(e) || base(e) !== resource) return undefined;
  return e.object?.type === "rules" ? e.object.rules : undefined;
}

/** The rules, one entry each; adding a rule is adding an entry. Sorted by id. */
export const AUDIT_RULES: readonly AuditRule[] = [
  {
    id: "PAL-RT-AUDIT-001",
    title: "Privileged pod created",
    severity: "high",
    falco: "Create Privileged Pod",
    remediation:
      "Run the containers unprivileged; admit only images allowed to be privileged (Pod Security baseline).",
    match(e) {
      const f = podFacts(e);
      return f && f.privileged.length > 0
        ? `${e.user} ${e.verb} ${target(e)} with privileged container(s) ${f.privileged.join(", ")}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-002",
    title: "Pod sharing a host namespace created",
    severity: "high",
    falco: "Create HostNetwork Pod",
    remediation: "Drop hostNetwork, hostPID and hostIPC unless the workload is a node agent that needs them.",
    match(e) {
      const f = podFacts(e);
      if (!f) return undefined;
      const host = [f.hostNetwork && "hostNetwork", f.hostPID && "hostPID", f.hostIPC && "hostIPC"].filter(
        Boolean,
      );
      return host.length > 0 ? `${e.user} ${e.verb} ${target(e)} with ${host.join(", ")}` : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-003",
    title: "Pod mounting a sensitive host path created",
    severity: "high",
    falco: "Create Sensitive Mount Pod",
    remediation: "Remove the hostPath volume; use a CSI driver or a projected volume for what the pod needs.",
    match(e) {
      const f = podFacts(e);
      const hits = f?.hostPaths.filter((p) => SENSITIVE_HOST_PATHS.includes(p.replace(/\/+$/, "") || "/"));
      return hits && hits.length > 0
        ? `${e.user} ${e.verb} ${target(e)} mounting ${hits.join(", ")}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-004",
    title: "Exec or attach into a pod",
    severity: "medium",
    falco: "Attach/Exec Pod",
    remediation:
      "Debug with ephemeral containers under an audited role; remove pods/exec from roles that do not need it.",
    match(e) {
      return (e.resource === "pods/exec" || e.resource === "pods/attach") &&
        (e.verb === "create" || e.verb === "get") &&
        succeeded(e)
        ? `${e.user} ${e.resource.slice(5)} into ${e.namespace ?? "?"}/${e.name ?? "?"}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-005",
    title: "ClusterRole with wildcards created",
    severity: "medium",
    falco: "ClusterRole With Wildcard Created",
    remediation: "List the resources and verbs the role needs instead of *.",
    match(e) {
      const r = rules(e, "clusterroles");
      const wild = r?.filter((x) => x.resources.includes("*") || x.verbs.includes("*"));
      return wild && wild.length > 0
        ? `${e.user} ${e.verb} clusterrole ${e.name ?? "?"}: ${wild
            .map((x) => `${x.verbs.join(",")} on ${x.resources.join(",")}`)
            .join("; ")}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-006",
    title: "ClusterRole allowing pod exec created",
    severity: "medium",
    falco: "ClusterRole With Pod Exec Created",
    remediation: "Grant pods/exec in a namespaced Role to the few who debug, not cluster-wide.",
    match(e) {
      const r = rules(e, "clusterroles");
      return r?.some((x) => x.resources.includes("pods/exec") || x.resources.includes("pods/attach"))
        ? `${e.user} ${e.verb} clusterrole ${e.name ?? "?"} granting pods/exec`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-007",
    title: "cluster-admin bound",
    severity: "critical",
    falco: "Attach to cluster-admin Role",
    remediation: "Bind a narrower role; cluster-admin is for break-glass accounts only.",
    match(e) {
      const b = base(e);
      if ((b !== "clusterrolebindings" && b !== "rolebindings") || !isCreateLike(e) || !succeeded(e))
        return undefined;
      const o = e.object;
      return o?.type === "binding" && o.roleRef.kind === "ClusterRole" && o.roleRef.name === "cluster-admin"
        ? `${e.user} ${e.verb} ${b.slice(0, -1)} ${e.namespace ? `${e.namespace}/` : ""}${e.name ?? "?"} binding cluster-admin to ${o.subjects.join(", ") || "no subjects"}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-008",
    title: "ConfigMap with credentials created",
    severity: "high",
    falco: "Create/Modify Configmap With Private Credentials",
    remediation:
      "Move the credential into a Secret (or an external secret store) and rotate it: it was stored in clear.",
    match(e) {
      if (base(e) !== "configmaps" || !isCreateLike(e) || !succeeded(e) || e.object?.type !== "data")
        return undefined;
      const c = e.object.credentials;
      return c.length > 0
        ? `${e.user} ${e.verb} ${target(e)} with credential-like key(s): ${c.map((x) => `${x.key} (${x.kind})`).join(", ")}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-009",
    title: "Secret created or changed by a user",
    severity: "low",
    falco: "K8s Secret Created",
    remediation:
      "Confirm the change was expected; secrets should come from a pipeline or a secret operator, not a person.",
    match(e) {
      if (base(e) !== "secrets" || !isCreateLike(e) || !succeeded(e) || isSystemUser(e.user))
        return undefined;
      const keys = e.object?.type === "data" ? e.object.keys : [];
      return `${e.user} ${e.verb} ${target(e)}${keys.length > 0 ? ` (keys: ${keys.join(", ")})` : ""}`;
    },
  },
  {
    id: "PAL-RT-AUDIT-010",
    title: "Anonymous request allowed",
    severity: "high",
    falco: "Anonymous Request Allowed",
    remediation:
      "Disable anonymous auth (--anonymous-auth=false) or remove bindings to system:anonymous / system:unauthenticated.",
    match(e) {
      const allowed =
        e.decision === "allow" || (e.decision === undefined && e.code !== undefined && e.code < 400);
      return e.user === "system:anonymous" && allowed && !isHealthProbe(e)
        ? `anonymous ${e.verb} ${e.resource ? target(e) : "(non-resource)"} from ${e.sourceIPs.join(", ") || "?"}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-011",
    title: "Impersonated request",
    severity: "medium",
    remediation:
      "Review who holds the impersonate verb; impersonation hides the real actor from most tooling.",
    match(e) {
      return e.impersonatedUser && succeeded(e)
        ? `${e.user} acting as ${e.impersonatedUser}: ${e.verb} ${e.resource ? target(e) : "(non-resource)"}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-012",
    title: "Pod created in a system namespace by a user",
    severity: "medium",
    falco: "Pod Created in Kube Namespace",
    remediation:
      "Deploy workloads outside kube-system and kube-public; those namespaces hold the control plane's pods.",
    match(e) {
      return base(e) === "pods" &&
        e.resource === "pods" &&
        e.verb === "create" &&
        succeeded(e) &&
        (e.namespace === "kube-system" || e.namespace === "kube-public") &&
        !isSystemUser(e.user)
        ? `${e.user} created pod ${e.namespace}/${e.name ?? "?"}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-013",
    title: "ServiceAccount created in a system namespace by a user",
    severity: "low",
    falco: "Service Account Created in Kube Namespace",
    remediation: "Create service accounts in the namespace of the workload that uses them.",
    match(e) {
      return e.resource === "serviceaccounts" &&
        e.verb === "create" &&
        succeeded(e) &&
        (e.namespace === "kube-system" || e.namespace === "kube-public") &&
        !isSystemUser(e.user)
        ? `${e.user} created serviceaccount ${e.namespace}/${e.name ?? "?"}`
        : undefined;
    },
  },
  {
    id: "PAL-RT-AUDIT-014",
    title: "System ClusterRole modified or deleted",
    severity: "high",
    falco: "System ClusterRole Modified/Deleted",
    remediation: "Leave system: roles to the API server (it reconciles them); bind a custom role instead.",
    match(e) {
      return (e.resource === "clusterroles" || e.resource === "clusterrolebindings") &&
        (e.verb === "update" || e.verb === "patch" || e.verb === "delete") &&
        succeeded(e) &&
        e.name?.startsWith("system:") &&
        !isSystemUser(e.user)
        ? `${e.user} ${e.verb} ${e.resource.slice(0, -1)} ${e.name}`
        : undefined;
    },
  },
];

/** `/healthz`, `/livez`, `/readyz`, `/version`: anonymous access to them is the default and not an alert. */
function isHealthProbe(e: AuditEvent): boolean {
  return e.resource === "" && /^\/(healthz|livez|readyz|version)(\/|$)/.test(e.path ?? "");
}

const FINAL_STAGES = new Set(["ResponseComplete", "Panic"]);

/** Every rule that fires on one event, as alerts. */
export function detectAudit(
  event: RuntimeEvent,
  rulesList: readonly AuditRule[] = AUDIT_RULES,
): RuntimeAlert[] {
  if (event.kind !== "audit") return [];
  if (event.stage !== undefined && !FINAL_STAGES.has(event.stage)) return [];
  const out: RuntimeAlert[] = [];
  for (const r of rulesList) {
    const evidence = r.match(event);
    if (evidence === undefined) continue;
    const category: AlertCategory = "audit";
    out.push({
      ruleId: r.id,
      title: r.title,
      severity: r.severity,
      category,
      time: event.time,
      evidence,
      origin: { source: event.source, file: event.file, line: event.line },
      key: `${event.user}\u0000${event.resource}\u0000${event.namespace ?? ""}\u0000${event.name ?? ""}`,
      user: event.user,
      resource: {
        resource: event.resource,
        ...(event.namespace ? { namespace: event.namespace } : {}),
        ...(event.name ? { name: event.name } : {}),
      },
      remediation: r.remediation,
    });
  }
  return out;
}
