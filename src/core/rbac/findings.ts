import {
  type ComplianceRef,
  type CoverageEntry,
  cmp,
  type Finding,
  makeFinding,
  type ResourceRef,
  type RuleMeta,
  refToString,
  type Severity,
} from "../findings/index.js";
import { type Inventory, type KObject, sourceLocation } from "../inventory/index.js";
import { matchesSelector } from "../k8s/index.js";
import { isPlatformObject as isBootstrap } from "./bootstrap.js";
import { buildRbacIndex, roleKey, subjectNamespace } from "./build.js";
import { adminEquivalentRules } from "./equivalence.js";
import { type EscalationPath, escalationPaths } from "./escalation.js";
import { SYSTEM_MASTERS } from "./identity.js";
import {
  formatRule,
  listsAnyResource,
  type PreparedRequest,
  preparedAllows,
  prepareRequest,
  resourceTokens,
} from "./match.js";
import type { PolicyRule, RbacBinding, RbacIndex, RbacRole, Subject } from "./model.js";

const cis = (id: string, title: string): ComplianceRef => ({ framework: "cis", id, title });
const NSA: ComplianceRef = {
  framework: "nsa",
  id: "Role-based access control",
  title: "Authentication and authorization",
};
const CATEGORY = "rbac";

function meta(
  id: string,
  title: string,
  severity: Severity,
  rationale: string,
  remediation: string,
  compliance: ComplianceRef[],
): RuleMeta {
  return { id, title, severity, category: CATEGORY, rationale, remediation, compliance };
}

/** The RBAC rule catalogue. Ids never change meaning once published. */
export const RBAC_RULES: readonly RuleMeta[] = [
  meta(
    "PAL-RBAC-001",
    "Subject bound to cluster-admin-equivalent power",
    "critical",
    "A ClusterRoleBinding grants a role allowing every verb on every resource in every API group, cluster-wide: `*` verbs, or every standard verb (get, list, watch, create, update, patch, delete, deletecollection) on `*` resources in `*` groups, in one rule or several.",
    "Bind a narrower role, or a RoleBinding in the namespaces that need it.",
    [cis("5.1.1", "Ensure that the cluster-admin role is only used where required"), NSA],
  ),
  meta(
    "PAL-RBAC-002",
    "Read access to Secrets cluster-wide",
    "high",
    "get/list/watch on secrets through a ClusterRoleBinding reads every Secret, including ServiceAccount tokens.",
    "Grant Secret access per namespace and, where possible, per resourceName.",
    [cis("5.1.2", "Minimize access to secrets"), NSA],
  ),
  meta(
    "PAL-RBAC-003",
    "Wildcard in a role rule",
    "medium",
    "`*` in verbs, apiGroups or resources grants today's and every future verb or resource.",
    "List the verbs, API groups and resources explicitly.",
    [cis("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"), NSA],
  ),
  meta(
    "PAL-RBAC-004",
    "Can create or modify pods or workloads",
    "high",
    "Whoever can create pods (or pod-template workloads) in a namespace can run them as any ServiceAccount of that namespace and use its token.",
    "Restrict workload creation to deployment pipelines; keep powerful ServiceAccounts out of namespaces where others deploy.",
    [cis("5.1.4", "Minimize access to create pods"), NSA],
  ),
  meta(
    "PAL-RBAC-005",
    "Default ServiceAccount has role bindings",
    "medium",
    "Every pod that does not name a ServiceAccount runs as `default`, so its grants reach every such pod.",
    "Create a dedicated ServiceAccount for the workload that needs the permissions and bind that instead.",
    [cis("5.1.5", "Ensure that default service accounts are not actively used"), NSA],
  ),
  meta(
    "PAL-RBAC-006",
    "Can exec or attach into pods",
    "high",
    "pods/exec and pods/attach run commands in containers, with their ServiceAccount tokens and mounted secrets.",
    "Remove exec/attach from routine roles; use a break-glass role with audit.",
    [NSA],
  ),
  meta(
    "PAL-RBAC-007",
    "Can escalate, bind or impersonate",
    "high",
    "`escalate` and `bind` skip RBAC's privilege-escalation check; `impersonate` acts as other users, groups or ServiceAccounts.",
    "Remove these verbs, or restrict them with resourceNames to the exact roles and identities needed.",
    [
      cis("5.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"),
      NSA,
    ],
  ),
  meta(
    "PAL-RBAC-008",
    "Access to nodes/proxy",
    "high",
    "nodes/proxy reaches the kubelet API directly (exec into any pod on the node), bypassing admission control and audit.",
    "Remove nodes/proxy from all roles except monitoring components that strictly need it.",
    [cis("5.1.10", "Minimize access to the proxy sub-resource of nodes"), NSA],
  ),
  meta(
    "PAL-RBAC-009",
    "Can approve certificate signing requests",
    "high",
    "Approving CSRs for the kube-apiserver-client signer mints client certificates for any user or group, including system:masters.",
    "Limit certificatesigningrequests/approval and `approve` on signers to the controllers that need them.",
    [
      cis("5.1.11", "Minimize access to the approval sub-resource of certificatesigningrequests objects"),
      NSA,
    ],
  ),
  meta(
    "PAL-RBAC-010",
    "Can change admission webhook configurations",
    "high",
    "Mutating and validating webhook configurations see and can alter every admitted object, or disable admission policy.",
    "Restrict webhook configuration changes to cluster administrators.",
    [cis("5.1.12", "Minimize access to webhook configuration objects"), NSA],
  ),
  meta(
    "PAL-RBAC-011",
    "Rule allows every verb on every resource",
    "critical",
    "A rule with `*` verbs on `*` resources is full control of its scope.",
    "Replace the rule with the specific verbs and resources needed.",
    [cis("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"), NSA],
  ),
  meta(
    "PAL-RBAC-012",
    "Binding to the system:masters group",
    "high",
    "Members of system:masters bypass RBAC entirely (privileged group authorizer) and cannot be revoked by RBAC.",
    "Do not bind or issue credentials for system:masters; use a cluster-admin binding for a named group instead.",
    [cis("5.1.7", "Avoid use of system:masters group"), NSA],
  ),
  meta(
    "PAL-RBAC-013",
    "Can create ServiceAccount tokens",
    "medium",
    "create on serviceaccounts/token mints tokens for ServiceAccounts, acting with their permissions.",
    "Restrict serviceaccounts/token creation, with resourceNames where possible.",
    [cis("5.1.13", "Minimize access to the service account token creation"), NSA],
  ),
  meta(
    "PAL-RBAC-014",
    "Can create PersistentVolumes",
    "medium",
    "A PersistentVolume can be a hostPath volume, giving access to the node's file system.",
    "Let users claim storage through PersistentVolumeClaims; restrict PersistentVolume creation to administrators.",
    [cis("5.1.9", "Minimize access to create persistent volumes"), NSA],
  ),
  meta(
    "PAL-RBAC-015",
    "Read access to every Secret in a namespace",
    "high",
    "get, list or watch on secrets without resourceNames (directly or through `*`) reads every Secret of the namespace: credentials, TLS keys and ServiceAccount tokens, whose holders' permissions the reader then has.",
    "Grant Secret access per resourceName, or mount the Secrets the workload needs instead of reading them through the API.",
    [cis("5.1.2", "Minimize access to secrets"), NSA],
  ),
  meta(
    "PAL-RBAC-020",
    "Binding references a role that does not exist",
    "low",
    "A binding to a missing role grants nothing today, but whoever creates a role of that name later grants it to these subjects.",
    "Delete the binding or create the intended role.",
    [],
  ),
  meta(
    "PAL-RBAC-021",
    "Binding references a ServiceAccount that does not exist",
    "low",
    "The grant takes effect for whoever later creates a ServiceAccount of that name.",
    "Delete the subject or create the intended ServiceAccount.",
    [],
  ),
  meta(
    "PAL-RBAC-022",
    "Role is not bound by any binding",
    "info",
    "Unused roles accumulate permissions nobody reviews and are easy to bind by mistake.",
    "Delete the role if it is no longer needed.",
    [],
  ),
  meta(
    "PAL-RBAC-023",
    "Subject can escalate to cluster-admin",
    "high",
    "Through real Kubernetes mechanisms (creating pods as other ServiceAccounts, impersonation, bind/escalate, token access) the subject can reach cluster-admin-equivalent power.",
    "Break the path: remove the first step's permission or move the powerful ServiceAccount out of reach.",
    [cis("5.1.1", "Ensure that the cluster-admin role is only used where required"), NSA],
  ),
  meta(
    "PAL-RBAC-024",
    "Dangerous role bound to nobody",
    "low",
    "A Role or ClusterRole that grants exec/attach, pod creation, Secret reads, escalate, bind or impersonate but that no binding uses grants nothing today; one binding, by anyone allowed to create bindings, makes it live.",
    "Delete the role, or narrow it to what its intended binding needs before binding it.",
    [
      cis("5.1.2", "Minimize access to secrets"),
      cis("5.1.4", "Minimize access to create pods"),
      cis("5.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"),
      NSA,
    ],
  ),
];

const RULE = new Map(RBAC_RULES.map((r) => [r.id, r]));

/**
 * Every `ns` for which some `ns/name` key exists, i.e. every prefix of a key that ends before a "/" (so a
 * lookup answers exactly what `key.startsWith(ns + "/")` over all keys did). Built once per run: copying and
 * scanning the ServiceAccount set per binding subject was quadratic (8k bindings x 12k ServiceAccounts took
 * ~150 ms at 100k objects).
 */
function namespacesWithServiceAccounts(keys: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const k of keys)
    for (let p = k.indexOf("/"); p >= 0; p = k.indexOf("/", p + 1)) out.add(k.slice(0, p));
  return out;
}

/** Does the rule allow the request for some name? (resourceNames restrict, they do not remove the risk.) */
function allowsSomeName(rule: PolicyRule, req: PreparedRequest): boolean {
  return preparedAllows(req, rule, true);
}

interface GrantCheck {
  ruleId: string;
  /** Only meaningful through a ClusterRoleBinding (cluster-scoped resources, or "cluster-wide" by definition). */
  clusterOnly?: boolean;
  /** Only through a RoleBinding (the cluster-wide case is another rule). */
  namespacedOnly?: boolean;
  /** The rule must allow the request for every name (no resourceNames): "every Secret", not some. */
  allNames?: boolean;
  what: string;
  requests: PreparedRequest[];
}

const r = (verb: string, apiGroup: string, resource: string, subresource = ""): PreparedRequest =>
  prepareRequest({ verb, apiGroup, resource, subresource });
const RBAC = "rbac.authorization.k8s.io";
const WORKLOAD_REQUESTS: PreparedRequest[] = [
  r("create", "", "pods"),
  ...[
    ["apps", "deployments"],
    ["apps", "replicasets"],
    ["apps", "statefulsets"],
    ["apps", "daemonsets"],
    ["batch", "jobs"],
    ["batch", "cronjobs"],
    ["", "replicationcontrollers"],
  ].flatMap(([g, res]) => ["create", "update", "patch"].map((v) => r(v, g!, res!))),
];

/** Risky grants: small mapper objects in a list, so adding one is adding an entry. */
const GRANT_CHECKS: GrantCheck[] = [
  {
    ruleId: "PAL-RBAC-002",
    clusterOnly: true,
    what: "read Secrets in every namespace",
    requests: ["get", "list", "watch"].map((v) => r(v, "", "secrets")),
  },
  {
    ruleId: "PAL-RBAC-015",
    namespacedOnly: true,
    allNames: true,
    what: "read every Secret",
    requests: ["get", "list", "watch"].map((v) => r(v, "", "secrets")),
  },
  { ruleId: "PAL-RBAC-004", what: "create or modify pods or workloads", requests: WORKLOAD_REQUESTS },
  {
    ruleId: "PAL-RBAC-006",
    what: "exec or attach into pods",
    requests: ["create", "get"].flatMap((v) => [r(v, "", "pods", "exec"), r(v, "", "pods", "attach")]),
  },
  {
    ruleId: "PAL-RBAC-007",
    what: "escalate, bind or impersonate",
    requests: [
      r("escalate", RBAC, "roles"),
      r("escalate", RBAC, "clusterroles"),
      r("bind", RBAC, "roles"),
      r("bind", RBAC, "clusterroles"),
      r("impersonate", "", "users"),
      r("impersonate", "", "groups"),
      r("impersonate", "", "serviceaccounts"),
      r("impersonate", "authentication.k8s.io", "userextras"),
      r("impersonate", "authentication.k8s.io", "uids"),
    ],
  },
  {
    ruleId: "PAL-RBAC-008",
    clusterOnly: true,
    what: "reach the kubelet API through nodes/proxy",
    requests: [r("get", "", "nodes", "proxy"), r("create", "", "nodes", "proxy")],
  },
  {
    ruleId: "PAL-RBAC-009",
    clusterOnly: true,
    what: "approve certificate signing requests",
    requests: [
      r("update", "certificates.k8s.io", "certificatesigningrequests", "approval"),
      r("patch", "certificates.k8s.io", "certificatesigningrequests", "approval"),
      r("approve", "certificates.k8s.io", "signers"),
    ],
  },
  {
    ruleId: "PAL-RBAC-010",
    clusterOnly: true,
    what: "change admission webhook configurations",
    requests: ["create", "update", "patch", "delete"].flatMap((v) => [
      r(v, "admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
      r(v, "admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ]),
  },
  {
    ruleId: "PAL-RBAC-013",
    what: "create ServiceAccount tokens",
    requests: [r("create", "", "serviceaccounts", "token")],
  },
  {
    ruleId: "PAL-RBAC-014",
    clusterOnly: true,
    what: "create PersistentVolumes",
    requests: [r("create", "", "persistentvolumes")],
  },
];

/** Per grant check, the resources a rule must list to fire it (most rules are passed over after one look). */
const GRANT_CHECK_TOKENS = GRANT_CHECKS.map((c) => resourceTokens(c.requests));

function location(o: KObject, fieldPath?: string) {
  return sourceLocation(o, fieldPath);
}

function subjectText(s: Subject, b: RbacBinding): string {
  return s.kind === "ServiceAccount"
    ? `ServiceAccount ${subjectNamespace(s, b) ?? ""}/${s.name}`
    : `${s.kind} ${s.name}`;
}

function bindingFinding(
  ruleId: string,
  b: RbacBinding,
  message: string,
  extra: { evidence?: string; severity?: Severity; fieldPath?: string; discriminator?: string } = {},
): Finding {
  const m = RULE.get(ruleId)!;
  return makeFinding({
    ruleId,
    title: m.title,
    severity: extra.severity ?? m.severity,
    resource: b.ref,
    location: location(b.object, extra.fieldPath),
    fieldPath: extra.fieldPath,
    evidence: extra.evidence,
    message,
    remediation: m.remediation,
    compliance: m.compliance,
    category: CATEGORY,
    discriminator: extra.discriminator,
  });
}

function roleFinding(
  ruleId: string,
  role: RbacRole,
  message: string,
  fieldPath?: string,
  evidence?: string,
): Finding {
  const m = RULE.get(ruleId)!;
  return makeFinding({
    ruleId,
    title: m.title,
    severity: m.severity,
    resource: role.ref,
    location: location(role.object, fieldPath),
    fieldPath,
    evidence,
    message,
    remediation: m.remediation,
    compliance: m.compliance,
    category: CATEGORY,
  });
}

const describeBinding = (b: RbacBinding) =>
  `${b.kind} ${b.namespace ? `${b.namespace}/` : ""}${b.name} (${b.roleRef.kind} ${b.roleRef.name})`;

function subjectRef(s: Subject): ResourceRef {
  if (s.kind === "ServiceAccount")
    return { apiVersion: "v1", kind: "ServiceAccount", namespace: s.namespace ?? "", name: s.name };
  return { apiVersion: `${RBAC}/v1`, kind: s.kind, name: s.name };
}

/**
 * Where an escalation finding points: the ServiceAccount's own object when the input has it; otherwise (a User
 * or Group has no object, a ServiceAccount may be created elsewhere) the first input binding on the path, so
 * that every SARIF result has a file and line.
 */
function pathLocation(
  p: EscalationPath,
  saObjects: ReadonlyMap<string, KObject>,
  bindingByRef: ReadonlyMap<string, RbacBinding>,
) {
  const s = p.subject;
  if (s.kind === "ServiceAccount") {
    const sa = saObjects.get(`${s.namespace ?? ""}/${s.name}`);
    const at = sa ? location(sa) : undefined;
    if (at) return at;
  }
  for (const step of p.steps) {
    const b = step.binding ? bindingByRef.get(refToString(step.binding)) : undefined;
    const at = b && !b.builtin ? location(b.object) : undefined;
    if (at) return at;
  }
  return undefined;
}

/** What PAL-RBAC-024 looks for in a role nobody is bound to: the grants that are findings once bound. */
const LATENT_CHECKS = GRANT_CHECKS.filter((c) =>
  ["PAL-RBAC-002", "PAL-RBAC-004", "PAL-RBAC-006", "PAL-RBAC-007"].includes(c.ruleId),
).map((c) =>
  c.ruleId === "PAL-RBAC-002"
    ? { ...c, what: "read Secrets" }
    : c.ruleId === "PAL-RBAC-004"
      ? { ...c, what: "create pods", requests: [r("create", "", "pods")] }
      : c,
);

/**
 * Roles that some subject holds in effect: referenced by a binding with at least one subject (a ClusterRole
 * referenced only by RoleBindings counts), or selected by the aggregationRule of a live ClusterRole (the
 * aggregation controller copies its rules there), or of a platform ClusterRole (`admin`, `edit`, `view`:
 * tenants bind those per namespace by design, usually outside the scanned manifests).
 */
function liveRoles(idx: RbacIndex): Set<RbacRole> {
  const live = new Set<RbacRole>();
  for (const b of idx.bindings) if (b.role && b.subjects.length > 0) live.add(b.role);
  const aggregators = [...idx.clusterRoles.values()].filter((x) => x.aggregationRule);
  for (const a of aggregators) if (isBootstrap(a)) live.add(a);
  // Aggregation may nest (an aggregated role selected by another aggregator): iterate to a fixpoint.
  for (let changed = true; changed; ) {
    changed = false;
    for (const a of aggregators) {
      if (!live.has(a)) continue;
      for (const role of idx.clusterRoles.values())
        if (
          !live.has(role) &&
          role !== a &&
          (a.aggregationRule ?? []).some((sel) => matchesSelector(sel, role.labels))
        ) {
          live.add(role);
          changed = true;
        }
    }
  }
  return live;
}

/** PAL-RBAC-024 for a role that no subject holds, when its rules grant something dangerous. */
function latentDanger(role: RbacRole): Finding | undefined {
  const what: string[] = [];
  let first: number | undefined;
  for (const c of LATENT_CHECKS) {
    const i = role.rules.findIndex((rule) => c.requests.some((q) => allowsSomeName(rule, q)));
    if (i < 0) continue;
    what.push(c.what);
    if (first === undefined || i < first) first = i;
  }
  if (first === undefined) return undefined;
  const name = `${role.kind} ${role.namespace ? `${role.namespace}/` : ""}${role.name}`;
  return roleFinding(
    "PAL-RBAC-024",
    role,
    `${name} can ${what.join(", ")} but is bound to nobody; one binding makes it live`,
    // An aggregated ClusterRole's effective rules are not the ones written in the object.
    role.aggregationRule ? undefined : `rules[${first}]`,
    formatRule(role.rules[first]!),
  );
}

/**
 * RBAC findings: cluster-admin-equivalent bindings, wildcard rules, risky grants, system:masters, default
 * ServiceAccounts with grants, escalation paths, and hygiene (missing roles or ServiceAccounts, unused roles).
 * Coverage carries every object that failed validation. Findings are sorted by id; with `emit`, each is handed
 * over as it is produced (findings of one id in the order the sort keeps them) and none is kept (the returned list
 * is empty).
 */
export function rbacFindings(
  inv: Inventory,
  idx: RbacIndex = buildRbacIndex(inv),
  emit?: (f: Finding) => void,
): { findings: Finding[]; coverage: CoverageEntry[] } {
  const findings: Finding[] = [];
  // With `emit`, findings go to the caller as produced and are not kept (escalation paths carry long texts).
  const push = emit ?? ((f: Finding): void => void findings.push(f));
  // The first rule of a role that each grant check fires on, once per role: roles are shared by their bindings
  // (asking per binding was most of the findings' time at 10k bindings).
  const checkMemo = new Map<RbacRole, number[]>();
  const grantCheckRules = (role: RbacRole): number[] => {
    let firsts = checkMemo.get(role);
    if (firsts === undefined) {
      firsts = GRANT_CHECKS.map((c, k) =>
        role.rules.findIndex(
          (rule) =>
            listsAnyResource(rule, GRANT_CHECK_TOKENS[k]) &&
            // A request without a name is matched only by a rule without resourceNames (ResourceNameMatches).
            c.requests.some((q) => preparedAllows(q, rule, !c.allNames)),
        ),
      );
      checkMemo.set(role, firsts);
    }
    return firsts;
  };
  const saNamespaces = namespacesWithServiceAccounts(idx.serviceAccounts);
  for (const b of idx.bindings) {
    // Assumed bootstrap objects are the platform's own policy, identical in every cluster of that version: a
    // finding on them (system:masters bound to cluster-admin, controller ServiceAccounts that "do not exist",
    // cluster-admin's `*`) would appear on every scan and say nothing about the user's objects. They still take
    // part in everything else: a user's binding TO cluster-admin is judged by cluster-admin's rules, and paths
    // may pass through the controllers' ServiceAccounts.
    if (b.builtin) continue;
    const subjects = b.subjects.map((s) => subjectText(s, b));
    const who = subjects.length ? subjects.join(", ") : "no subjects";
    if (!b.role) {
      push(
        bindingFinding(
          "PAL-RBAC-020",
          b,
          `${describeBinding(b)} references a ${b.roleRef.kind} that does not exist; it grants nothing to ${who}`,
          { fieldPath: "roleRef.name", evidence: b.roleRef.name },
        ),
      );
    }
    b.subjects.forEach((s, i) => {
      if (s.kind !== "ServiceAccount") return;
      const ns = subjectNamespace(s, b) ?? "";
      const nsHasSas = saNamespaces.has(ns);
      if (s.name !== "default" && nsHasSas && !idx.serviceAccounts.has(`${ns}/${s.name}`))
        push(
          bindingFinding(
            "PAL-RBAC-021",
            b,
            `${describeBinding(b)} names ServiceAccount ${ns}/${s.name}, which does not exist`,
            { fieldPath: `subjects[${i}]`, evidence: `${ns}/${s.name}`, discriminator: String(i) },
          ),
        );
    });
    if (isBootstrap(b)) continue;
    b.subjects.forEach((s, i) => {
      if (s.kind === "Group" && s.name === SYSTEM_MASTERS)
        push(
          bindingFinding("PAL-RBAC-012", b, `${describeBinding(b)} binds the group system:masters`, {
            fieldPath: `subjects[${i}]`,
            evidence: SYSTEM_MASTERS,
          }),
        );
      if (s.kind === "ServiceAccount" && s.name === "default" && b.role && b.role.rules.length > 0)
        push(
          bindingFinding(
            "PAL-RBAC-005",
            b,
            `${describeBinding(b)} grants permissions to the default ServiceAccount of ${subjectNamespace(s, b) ?? ""}`,
            { fieldPath: `subjects[${i}]`, evidence: subjectText(s, b), discriminator: String(i) },
          ),
        );
    });
    if (!b.role || b.subjects.length === 0) continue;
    const cluster = b.kind === "ClusterRoleBinding";
    const scope = cluster ? "cluster-wide" : `in namespace ${b.namespace}`;
    // Effective permission, not the literal `*` verb: every standard verb on `*`/`*` is cluster-admin too.
    const admin = cluster ? adminEquivalentRules(b.role.rules) : undefined;
    if (admin) {
      const role = b.role;
      push(
        bindingFinding(
          "PAL-RBAC-001",
          b,
          `${describeBinding(b)} gives ${who} every permission cluster-wide`,
          { evidence: admin.map((i) => formatRule(role.rules[i]!)).join(" + ") },
        ),
      );
      continue; // the specific risky grants below are all implied
    }
    const firstRules = grantCheckRules(b.role);
    // An index loop: entries() made two objects per check and binding (hundreds of thousands at 10k bindings).
    for (let k = 0; k < GRANT_CHECKS.length; k++) {
      const c = GRANT_CHECKS[k]!;
      if ((c.clusterOnly && !cluster) || (c.namespacedOnly && cluster)) continue;
      const i = firstRules[k]!;
      if (i < 0) continue;
      const rule = b.role.rules[i]!;
      const severity: Severity | undefined = c.ruleId === "PAL-RBAC-004" && !cluster ? "medium" : undefined;
      const extra: Parameters<typeof bindingFinding>[3] = {
        evidence: `${b.role.kind} ${b.role.name} rules[${i}] ${formatRule(rule)}`,
      };
      if (severity) extra.severity = severity;
      push(bindingFinding(c.ruleId, b, `${describeBinding(b)} lets ${who} ${c.what} ${scope}`, extra));
    }
  }

  // Role-level: wildcards. Aggregated ClusterRoles are skipped (their rules are reported on the member roles).
  const selectedByAggregation = new Set<RbacRole>();
  const aggregators = [...idx.clusterRoles.values()].filter((x) => x.aggregationRule);
  for (const role of idx.clusterRoles.values())
    if (
      aggregators.some(
        (a) => a !== role && (a.aggregationRule ?? []).some((s) => matchesSelector(s, role.labels)),
      )
    )
      selectedByAggregation.add(role);
  const live = liveRoles(idx);
  for (const role of [...idx.roles.values(), ...idx.clusterRoles.values()]) {
    if (isBootstrap(role)) continue;
    if (!role.aggregationRule)
      role.rules.forEach((rule, i) => {
        const full =
          rule.verbs.includes("*") &&
          (rule.resources.includes("*") || rule.nonResourceURLs.includes("*")) &&
          (rule.nonResourceURLs.length > 0 || rule.apiGroups.includes("*"));
        const any =
          rule.verbs.includes("*") ||
          rule.apiGroups.includes("*") ||
          rule.resources.includes("*") ||
          rule.nonResourceURLs.includes("*");
        if (full)
          push(
            roleFinding(
              "PAL-RBAC-011",
              role,
              `${role.kind} ${role.name} rules[${i}] allows every verb on every resource`,
              `rules[${i}]`,
              formatRule(rule),
            ),
          );
        else if (any)
          push(
            roleFinding(
              "PAL-RBAC-003",
              role,
              `${role.kind} ${role.name} rules[${i}] uses a wildcard`,
              `rules[${i}]`,
              formatRule(rule),
            ),
          );
      });
    const used = (idx.bindingsByRole.get(roleKey(role.kind, role.namespace, role.name)) ?? []).length > 0;
    const danger = live.has(role) ? undefined : latentDanger(role);
    if (danger) push(danger);
    else if (!used && !selectedByAggregation.has(role) && !role.name.startsWith("system:"))
      push(
        roleFinding(
          "PAL-RBAC-022",
          role,
          `${role.kind} ${role.namespace ? `${role.namespace}/` : ""}${role.name} is not referenced by any binding`,
        ),
      );
  }

  // Escalation paths of more than one step (a direct grant is PAL-RBAC-001). Kubernetes' own `system:`
  // identities are skipped: their power is by design. So are subjects named only by assumed bootstrap bindings
  // (the controllers' ServiceAccounts in kube-system): their paths are the same in every cluster.
  const bindingByRef = new Map(idx.bindings.map((b) => [refToString(b.ref), b]));
  const saObjects = new Map(inv.serviceAccounts.map((o) => [`${o.ref.namespace ?? ""}/${o.ref.name}`, o]));
  for (const p of escalationPaths(idx)) {
    const s = p.subject;
    if (p.steps.length < 2 || s.name.startsWith("system:")) continue;
    if (p.builtin) continue;
    const m = RULE.get("PAL-RBAC-023")!;
    const text = p.steps
      .map((st, i) => `${i + 1}. [${st.mechanism}] ${st.detail}${st.to ? ` → ${st.to}` : ""}`)
      .join(" ");
    push(
      makeFinding({
        ruleId: m.id,
        title: m.title,
        severity: m.severity,
        resource: subjectRef(s),
        location: pathLocation(p, saObjects, bindingByRef),
        evidence: text,
        message: `${s.kind} ${s.namespace ? `${s.namespace}/` : ""}${s.name} can reach cluster-admin in ${p.steps.length - 1} step(s): ${text}`,
        remediation: m.remediation,
        compliance: m.compliance,
        category: CATEGORY,
      }),
    );
  }
  findings.sort((a, b) => cmp(a.id, b.id));
  return { findings, coverage: [...idx.coverage] };
}
