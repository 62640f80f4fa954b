/**
 * Service account, namespace, probe and resource rules (PAL-POD-034..038, PAL-RES-001..006).
 */
import type { KObject } from "../../inventory/index.js";
import { joinPath } from "../../inventory/index.js";
import { LONG_RUNNING_KINDS } from "../../k8s/index.js";
import { isRecord } from "../../util/index.js";
import { CIS, NSA } from "../compliance.js";
import type { ContainerRule, Env, Hit, InventoryRule, ObjectHit, PostureRule } from "../engine.js";

const WORKLOAD = "workload";
const RESOURCES = "resources";

const saKey = (cluster: string | undefined, namespace: string | undefined, name: string): string =>
  `${cluster ?? "\u0001"}\u0000${namespace ?? "\u0001"}\u0000${name}`;

/**
 * ServiceAccounts by cluster, namespace and name, built once per run (keyed on the run's Env, so an inventory
 * changed between runs is re-indexed). A linear search per workload made PAL-POD-035 quadratic: 10k workloads
 * x 12k ServiceAccounts took a second at 100k objects. The first object wins on duplicates, as `find` did.
 */
const SA_INDEX = new WeakMap<Env, Map<string, KObject>>();
function serviceAccountIndex(env: Env): Map<string, KObject> {
  let idx = SA_INDEX.get(env);
  if (!idx) {
    idx = new Map();
    for (const s of env.inv.serviceAccounts) {
      const k = saKey(s.cluster, s.ref.namespace, s.ref.name);
      if (!idx.has(k)) idx.set(k, s);
    }
    SA_INDEX.set(env, idx);
  }
  return idx;
}

/** Probes do not apply to run-to-completion workloads: a Job's pod is not a long-running server. */
const LONG_RUNNING = LONG_RUNNING_KINDS;

function probeRule(
  id: string,
  probe: "livenessProbe" | "readinessProbe",
  title: string,
  rationale: string,
): ContainerRule {
  return {
    meta: {
      id,
      title,
      severity: "low",
      category: "reliability",
      rationale,
      remediation: `Define ${probe} on every long-running container.`,
      compliance: [],
    },
    scope: "container",
    // Init containers run to completion and ephemeral containers may not have probes (API validation).
    types: ["container"],
    kinds: LONG_RUNNING,
    check(cv, wv) {
      if (wv.read.rec(cv.spec, probe, cv.path) !== undefined) return [];
      return [{ fieldPath: joinPath(cv.path, probe), message: `${cv.label} has no ${probe}` }];
    },
  };
}

function resourceRule(
  id: string,
  section: "requests" | "limits",
  resource: "cpu" | "memory",
  severity: "low" | "medium",
  rationale: string,
): ContainerRule {
  return {
    meta: {
      id,
      title: `${resource === "cpu" ? "CPU" : "Memory"} ${section === "requests" ? "request" : "limit"} not set`,
      severity,
      category: RESOURCES,
      rationale,
      remediation: `Set resources.${section}.${resource} on every container (or a LimitRange default in the namespace).`,
      compliance: [NSA.resourcePolicies],
    },
    scope: "container",
    // Ephemeral containers cannot declare resources (API validation rejects them).
    types: ["container", "initContainer"],
    check(cv, wv) {
      const resPath = joinPath(cv.path, "resources");
      const res = wv.read.rec(cv.spec, "resources", cv.path);
      const sec = wv.read.rec(res, section, resPath);
      const secPath = joinPath(resPath, section);
      const v = sec?.[resource];
      if (typeof v === "string" || typeof v === "number") return [];
      if (v !== undefined && v !== null) {
        wv.read.str(sec, resource, secPath); // reports the wrong type as coverage
        return [];
      }
      return [
        {
          fieldPath: joinPath(secPath, resource),
          message: `${cv.label} sets no ${resource} ${section.slice(0, -1)}`,
        },
      ];
    },
  };
}

/** Namespaces managed by the control plane itself: quota rules do not apply to them. */
const SYSTEM_NAMESPACES = new Set(["kube-system", "kube-public", "kube-node-lease"]);

function namespacePolicyRule(
  id: string,
  kind: "ResourceQuota" | "LimitRange",
  rationale: string,
): InventoryRule {
  return {
    meta: {
      id,
      title: `Namespace without a ${kind}`,
      severity: "low",
      category: RESOURCES,
      rationale,
      remediation: `Create a ${kind} in the namespace.`,
      compliance: [NSA.resourcePolicies],
    },
    scope: "inventory",
    check(env) {
      // Only namespaces declared in the input are judged: a manifest that merely references a namespace says
      // nothing about the quota objects that live there, and reporting it would be a guess.
      const have = new Set<string>();
      for (const o of env.inv.objects) {
        if (o.ref.kind === kind && o.ref.namespace !== undefined)
          have.add(`${o.cluster ?? ""}\u0000${o.ref.namespace}`);
      }
      const hits: ObjectHit[] = [];
      for (const ns of env.inv.namespaces.values()) {
        const obj: KObject | undefined = ns.object;
        if (!obj || SYSTEM_NAMESPACES.has(ns.name)) continue;
        if (have.has(`${obj.cluster ?? ""}\u0000${ns.name}`)) continue;
        hits.push({
          object: obj,
          fieldPath: "metadata.name",
          message: `namespace "${ns.name}" has no ${kind}`,
        });
      }
      return hits;
    },
  };
}

/**
 * Objects the control plane itself creates in the default namespace: they are there on every cluster and are not
 * the user's to move. The `kubernetes` Service (and its endpoints) is reconciled by the API server; the root CA
 * ConfigMap is published into every namespace by kube-controller-manager's root-ca-cert-publisher; the `default`
 * ServiceAccount is created in every namespace by the serviceaccount controller.
 */
const CONTROL_PLANE_DEFAULT_OBJECTS: ReadonlySet<string> = new Set([
  "Service\u0000kubernetes",
  "ConfigMap\u0000kube-root-ca.crt",
  "ServiceAccount\u0000default",
]);

/** Object kinds (beyond workloads, which PAL-POD-036 covers) that CIS 5.7.4 asks to keep out of `default`. */
const DEFAULT_NAMESPACE_KINDS = [
  "services",
  "configMaps",
  "secrets",
  "serviceAccounts",
  "roles",
  "roleBindings",
  "ingresses",
] as const;

/**
 * Whether a Secret is the legacy token the token controller generated for the `default` ServiceAccount
 * (clusters before 1.24, or with LegacyServiceAccountTokenNoAutoGeneration off): it follows that ServiceAccount.
 */
function isDefaultSaToken(o: KObject): boolean {
  return (
    o.raw.type === "kubernetes.io/service-account-token" &&
    o.annotations["kubernetes.io/service-account.name"] === "default" &&
    o.origin !== "manifest"
  );
}

const defaultNamespaceRule: InventoryRule = {
  meta: {
    id: "PAL-NS-001",
    title: "Object in the default namespace",
    severity: "low",
    category: WORKLOAD,
    rationale:
      "Services, ConfigMaps, Secrets, ServiceAccounts, Roles, RoleBindings and Ingresses in the default namespace share one RBAC, quota and NetworkPolicy scope with everything else put there by omission; whoever may read Secrets or ConfigMaps in default reads all of them. The objects the control plane puts there itself (the `kubernetes` Service, the `kube-root-ca.crt` ConfigMap, the `default` ServiceAccount) are not reported.",
    remediation:
      "Move the object, with the workloads that use it, into a dedicated namespace, and set metadata.namespace in the manifest.",
    compliance: [NSA.namespaces, CIS.defaultNamespace],
  },
  scope: "inventory",
  *check(env) {
    const team = env.inv.namespaces.get("default")?.team;
    for (const list of DEFAULT_NAMESPACE_KINDS)
      for (const o of env.inv[list]) {
        if (o.ref.namespace !== "default") continue;
        if (CONTROL_PLANE_DEFAULT_OBJECTS.has(`${o.ref.kind}\u0000${o.ref.name}`) || isDefaultSaToken(o))
          continue;
        // A manifest without metadata.namespace lands in the namespace of `kubectl apply` (default unless -n).
        const meta = o.raw.metadata;
        const written = isRecord(meta) && typeof meta.namespace === "string" && meta.namespace !== "";
        const hit: ObjectHit = {
          object: o,
          fieldPath: "metadata.namespace",
          message: written
            ? `${o.ref.kind} "${o.ref.name}" is in the default namespace`
            : `${o.ref.kind} "${o.ref.name}" names no namespace: applied without -n it lands in the default namespace`,
        };
        if (written) hit.evidence = "default";
        if (team !== undefined) hit.team = team;
        yield hit;
      }
  },
};

export const WORKLOAD_HYGIENE_RULES: readonly PostureRule[] = [
  {
    meta: {
      id: "PAL-POD-034",
      title: "Workload uses the default ServiceAccount",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "The default ServiceAccount is shared by every pod in the namespace that does not name one; any permission granted to it is granted to all of them.",
      remediation: "Create a dedicated ServiceAccount per workload and set serviceAccountName.",
      compliance: [CIS.defaultSA],
    },
    scope: "pod",
    check(wv) {
      const name =
        wv.read.str(wv.spec, "serviceAccountName", wv.specPath) ??
        wv.read.str(wv.spec, "serviceAccount", wv.specPath);
      if (name !== undefined && name !== "" && name !== "default") return [];
      const hit: Hit = {
        fieldPath: joinPath(wv.specPath, "serviceAccountName"),
        message: "pod runs as the namespace's default ServiceAccount",
      };
      if (name !== undefined) hit.evidence = name;
      return [hit];
    },
  },
  {
    meta: {
      id: "PAL-POD-035",
      title: "ServiceAccount token automatically mounted",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "Unless automountServiceAccountToken is false on the pod (which wins) or on its ServiceAccount, an API token is mounted into every container; a compromised container can then call the API server.",
      remediation:
        "Set automountServiceAccountToken: false on the pod or the ServiceAccount unless the workload calls the Kubernetes API.",
      compliance: [NSA.saTokens, CIS.saTokenMount],
    },
    scope: "pod",
    check(wv, env) {
      const path = joinPath(wv.specPath, "automountServiceAccountToken");
      const podValue = wv.read.bool(wv.spec, "automountServiceAccountToken", wv.specPath);
      if (podValue === false) return [];
      if (podValue === true)
        return [
          {
            fieldPath: path,
            evidence: "true",
            message: "pod mounts its ServiceAccount token (automountServiceAccountToken: true)",
          },
        ];
      // The pod field is unset: the ServiceAccount's own setting applies (ServiceAccount admission plugin).
      const saName = wv.w.serviceAccountName === "" ? "default" : wv.w.serviceAccountName;
      const sa = serviceAccountIndex(env).get(saKey(wv.w.object.cluster, wv.w.ref.namespace, saName));
      if (sa && env.reader(sa).bool(sa.raw, "automountServiceAccountToken", "") === false) return [];
      return [
        {
          fieldPath: path,
          message: `pod mounts the token of ServiceAccount "${saName}" (automountServiceAccountToken not false on pod${sa ? " or ServiceAccount" : ""})`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-036",
      title: "Workload in the default namespace",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "Objects in the default namespace share one RBAC, quota and NetworkPolicy scope; namespaces are the unit of isolation.",
      remediation: "Deploy the workload into a dedicated namespace.",
      compliance: [NSA.namespaces, CIS.defaultNamespace],
    },
    scope: "pod",
    check(wv) {
      if (wv.w.ref.namespace !== "default") return [];
      return [
        {
          fieldPath: "metadata.namespace",
          evidence: "default",
          message: "workload runs in the default namespace",
        },
      ];
    },
  },
  defaultNamespaceRule,
  probeRule(
    "PAL-POD-037",
    "livenessProbe",
    "Liveness probe not configured",
    "Without a liveness probe a hung process is never restarted, which turns a resource-exhaustion attack into a lasting outage.",
  ),
  probeRule(
    "PAL-POD-038",
    "readinessProbe",
    "Readiness probe not configured",
    "Without a readiness probe traffic is sent to the container before it can serve and while it is failing.",
  ),
  resourceRule(
    "PAL-RES-001",
    "requests",
    "cpu",
    "low",
    "Without a CPU request the scheduler cannot place the pod correctly and it is first to be starved under contention.",
  ),
  resourceRule(
    "PAL-RES-002",
    "limits",
    "cpu",
    "low",
    "Without a CPU limit one container can consume all CPU on the node and starve its neighbours.",
  ),
  resourceRule(
    "PAL-RES-003",
    "requests",
    "memory",
    "low",
    "Without a memory request the pod is BestEffort or Burstable and is evicted first under memory pressure.",
  ),
  resourceRule(
    "PAL-RES-004",
    "limits",
    "memory",
    "medium",
    "Without a memory limit a leak or an attack can exhaust the node's memory and trigger the OOM killer on other pods.",
  ),
  namespacePolicyRule(
    "PAL-RES-005",
    "ResourceQuota",
    "The NSA/CISA guide recommends a ResourceQuota per namespace so one tenant cannot exhaust cluster capacity (denial of service).",
  ),
  namespacePolicyRule(
    "PAL-RES-006",
    "LimitRange",
    "A LimitRange gives containers default requests and limits and caps them, so a pod without resources cannot claim a whole node.",
  ),
];
