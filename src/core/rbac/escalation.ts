/**
 * Escalation paths: a graph whose nodes are identities (binding subjects, ServiceAccounts, and "an identity
 * holding role R in scope S") and whose edges are real Kubernetes mechanisms:
 *
 * - create-pod-as-sa: create pods, or any pod-template workload, in a namespace → run a pod with any
 *   ServiceAccount of that namespace and use its token (the ServiceAccount admission plugin does not check that
 *   the creator may act as the ServiceAccount).
 * - exec-into-pod: create/get pods/exec or pods/attach → act as the ServiceAccounts running pods there.
 * - nodes-proxy: nodes/proxy → the kubelet API (exec in any pod on any node), bypassing admission and audit.
 * - create-token: create serviceaccounts/token → mint a token for that ServiceAccount (TokenRequest).
 * - read-secret: get/list secrets → read a legacy `kubernetes.io/service-account-token` Secret.
 * - impersonate: impersonate users/groups/serviceaccounts (impersonation filter); impersonating the group
 *   system:masters is cluster-admin. A group needs impersonate on some user or ServiceAccount as well.
 * - bind: `bind` on a (cluster)role plus create (cluster)rolebindings → bind it to oneself
 *   (`pkg/registry/rbac/escalation_check.go` BindingAuthorized skips the escalation check).
 * - escalate: `escalate` plus update/patch on a role already bound to oneself → add any rule to it
 *   (RoleEscalationAuthorized skips ConfirmNoEscalation).
 * - csr-approve: create CSRs, update certificatesigningrequests/approval and `approve` on the
 *   kubernetes.io/kube-apiserver-client signer → a client certificate with organization system:masters.
 *
 * Limitation (stated, not hidden): permissions are not combined across identities; a step is taken only when one
 * identity holds every permission it needs.
 */
import { cmp, type ResourceRef } from "../findings/index.js";
import { appendAll } from "../util/index.js";
import { isPlatformObject } from "./bootstrap.js";
import { roleKey, subjectNamespace } from "./build.js";
import { adminEquivalentGrants, adminProbeMask } from "./equivalence.js";
import { SYSTEM_MASTERS, subjectKey, subjectUserInfo } from "./identity.js";
import {
  formatRule,
  listsAnyResource,
  type PreparedRequest,
  preparedAllows,
  prepareRequest,
  type RequestAttributes,
  resourceTokens,
  ruleAllows,
} from "./match.js";
import type { PolicyRule, RbacBinding, RbacIndex, RbacRole, Subject } from "./model.js";
import { bindingsOf, grantsAllow } from "./query.js";

export type EscalationMechanism =
  | "grant"
  | "create-pod-as-sa"
  | "exec-into-pod"
  | "nodes-proxy"
  | "create-token"
  | "read-secret"
  | "impersonate"
  | "bind"
  | "escalate"
  | "csr-approve";

export interface EscalationStep {
  mechanism: EscalationMechanism;
  detail: string;
  /** The identity this step yields (node label), absent on the final grant step. */
  to?: string;
  /**
   * The binding that gives the step's identity the permission it uses, when that identity is a binding subject
   * (the first step of every path, and steps from ServiceAccounts reached on the way). Input bindings are
   * preferred over assumed bootstrap ones.
   */
  binding?: ResourceRef;
}

export interface EscalationPath {
  subject: Subject;
  steps: EscalationStep[];
  /**
   * The subject is named only by the platform's bootstrap bindings, assumed or the input's unmodified copies (a
   * controller's ServiceAccount in kube-system, the system:* users): the platform's own power, the same in every
   * cluster of that version.
   */
  builtin?: true;
}

export interface EscalationOptions {
  to?: "cluster-admin";
  /** Node budget for the graph (virtual nodes included). Default 200 000. */
  maxNodes?: number;
}

interface VGrant {
  namespace?: string;
  rule: PolicyRule;
  /** The rule's answers to the fixed questions of the graph (shared by every grant of the rule). */
  facts: RuleFacts;
  role?: RbacRole;
  binding?: RbacBinding;
  clusterWide?: boolean;
}

interface Node {
  id: string;
  label: string;
  subject?: Subject;
  grants: VGrant[];
  /** Hubs stand for "can run code as any ServiceAccount of X" and have no grants of their own. */
  hub?: boolean;
  admin: boolean;
  adminDetail?: string;
  /**
   * The edges into this subject that are the same whoever takes them (minting its token, impersonating it), made
   * once and shared: identities allowed these on every ServiceAccount were most of a large graph's edges.
   */
  into?: Partial<Record<EscalationMechanism, Edge>>;
}

interface Edge {
  to: string;
  mechanism: EscalationMechanism;
  /** The edge's text, or its first words when {@link Edge.named} completes it. */
  detail: string;
  /** Set on the per-namespace edges (hundreds of thousands at 10k bindings): the detail ends "in namespace NS". */
  ns?: string;
  /**
   * Set on the edges into a subject (a ServiceAccount's token, impersonation, a hub's accounts): the detail ends
   * with the target subject's name ("name") or namespace/name ("namespaced"). Edges into every account of a
   * namespace are most of a large cluster's graph (issue: scale; 1M objects: hundreds of thousands of edges), and
   * only the few on a path are ever read: their texts are made then, not one string per edge.
   */
  named?: "name" | "namespaced";
}

/** The edge of `mechanism` into subject node `to` whose text is `detail` and the subject's name, shared. */
function intoSubject(
  to: Node,
  mechanism: EscalationMechanism,
  detail: string,
  named: "name" | "namespaced",
): Edge {
  to.into ??= {};
  let e = to.into[mechanism];
  if (e === undefined) {
    e = { to: to.id, mechanism, detail, named };
    to.into[mechanism] = e;
  }
  return e;
}

/** The text of an edge into `target`, built only for the edges on a path. */
const edgeDetail = (e: Edge, target: Node): string => {
  let text = e.detail;
  if (e.named !== undefined) {
    const s = target.subject as Subject;
    text += e.named === "name" ? ` ${s.name}` : ` ${s.namespace ?? ""}/${s.name}`;
  }
  return e.ns === undefined ? text : `${text} in namespace ${e.ns}`;
};

export const WORKLOADS: readonly [string, string][] = [
  ["", "pods"],
  ["apps", "deployments"],
  ["apps", "replicasets"],
  ["apps", "statefulsets"],
  ["apps", "daemonsets"],
  ["batch", "jobs"],
  ["batch", "cronjobs"],
  ["", "replicationcontrollers"],
];
const ALL: RequestAttributes = { verb: "*", apiGroup: "*", resource: "*", namespace: "" };
export const RBAC = "rbac.authorization.k8s.io";
export const INTERESTING_VERBS: ReadonlySet<string> = new Set([
  "*",
  "create",
  "update",
  "patch",
  "get",
  "list",
  "impersonate",
  "bind",
  "escalate",
  "approve",
]);

const req = (verb: string, apiGroup: string, resource: string, subresource = ""): RequestAttributes => ({
  verb,
  apiGroup,
  resource,
  subresource,
});
/** The permissions each mechanism uses (to name the binding behind a step). */
export const MECHANISM_REQUESTS: Readonly<Record<EscalationMechanism, readonly RequestAttributes[]>> = {
  grant: [ALL],
  "create-pod-as-sa": WORKLOADS.flatMap(([g, r]) => ["create", "update", "patch"].map((v) => req(v, g, r))),
  "exec-into-pod": ["create", "get"].flatMap((v) => [
    req(v, "", "pods", "exec"),
    req(v, "", "pods", "attach"),
  ]),
  "nodes-proxy": [req("get", "", "nodes", "proxy"), req("create", "", "nodes", "proxy")],
  "create-token": [req("create", "", "serviceaccounts", "token")],
  "read-secret": [req("get", "", "secrets"), req("list", "", "secrets")],
  impersonate: ["users", "groups", "serviceaccounts"].map((r) => req("impersonate", "", r)),
  bind: [req("bind", RBAC, "roles"), req("bind", RBAC, "clusterroles")],
  escalate: [req("escalate", RBAC, "roles"), req("escalate", RBAC, "clusterroles")],
  "csr-approve": [
    req("approve", "certificates.k8s.io", "signers"),
    req("update", "certificates.k8s.io", "certificatesigningrequests", "approval"),
  ],
};

/**
 * The requests without a name that the graph asks of every identity, in the order their answers are used: creating
 * pods and pod-template workloads (`WORKLOADS` x verbs), exec/attach, nodes/proxy. Bit i of `RuleFacts.exact` is
 * `ruleAllows(EXACT_REQUESTS[i], rule)`. Rules are shared by every binding of their role, so each rule is asked
 * once, not once per identity holding it per request (asking per identity was most of the time at 10k bindings).
 */
const WORKLOAD_REQUESTS: readonly { req: RequestAttributes; how: string }[] = WORKLOADS.flatMap(
  ([group, resource]) =>
    (resource === "pods" ? ["create"] : ["create", "update", "patch"]).map((verb) => ({
      req: { verb, apiGroup: group, resource },
      how: `${verb} ${resource}${group ? `.${group}` : ""}`,
    })),
);
const EXEC_REQUESTS: readonly { req: RequestAttributes; how: string }[] = ["exec", "attach"].flatMap((sub) =>
  ["create", "get"].map((verb) => ({
    req: { verb, apiGroup: "", resource: "pods", subresource: sub },
    how: `${verb} pods/${sub}`,
  })),
);
const NODES_PROXY_REQUESTS: readonly RequestAttributes[] = [
  { verb: "create", apiGroup: "", resource: "nodes", subresource: "proxy" },
  { verb: "get", apiGroup: "", resource: "nodes", subresource: "proxy" },
];
const EXACT_REQUESTS: readonly PreparedRequest[] = [
  ...WORKLOAD_REQUESTS.map((x) => x.req),
  ...EXEC_REQUESTS.map((x) => x.req),
  ...NODES_PROXY_REQUESTS,
].map(prepareRequest);
const EXEC_FIRST = WORKLOAD_REQUESTS.length;
const NODES_PROXY_BITS = 0b11 << (EXEC_FIRST + EXEC_REQUESTS.length);
const MECHANISMS = Object.keys(MECHANISM_REQUESTS) as EscalationMechanism[];
const MECHANISM_BIT = new Map(MECHANISMS.map((m, i) => [m, 1 << i]));
/** Verbs whose presence gates a mechanism (`*` stands for all of them). */
const GATE_VERBS = ["*", "create", "get", "update", "bind", "escalate", "approve"];
const ALL_PROBES = 0xff;

/** A rule's answers to the fixed questions of the graph. */
interface RuleFacts {
  /** Bit i: the rule allows `EXACT_REQUESTS[i]`. */
  exact: number;
  /** Bit of a mechanism (`MECHANISM_BIT`): the rule allows one of its requests for some name. */
  serves: number;
  /** Bit i: `GATE_VERBS[i]` is among the rule's verbs. */
  verbs: number;
  /** `adminProbeMask`: which standard verbs the rule allows on every resource of every group. */
  probes: number;
}

const PREPARED_MECHANISM_REQUESTS: readonly (readonly PreparedRequest[])[] = MECHANISMS.map((m) =>
  MECHANISM_REQUESTS[m].map(prepareRequest),
);

/** The resources a rule must list to allow any of the exact or mechanism requests. */
const FACT_TOKENS = resourceTokens([...EXACT_REQUESTS, ...PREPARED_MECHANISM_REQUESTS.flat()]);

function ruleFacts(rule: PolicyRule): RuleFacts {
  let exact = 0;
  let serves = 0;
  if (listsAnyResource(rule, FACT_TOKENS)) {
    for (let i = 0; i < EXACT_REQUESTS.length; i++)
      if (preparedAllows(EXACT_REQUESTS[i]!, rule)) exact |= 1 << i;
    for (let m = 0; m < MECHANISMS.length; m++)
      if (PREPARED_MECHANISM_REQUESTS[m]!.some((q) => preparedAllows(q, rule, true))) serves |= 1 << m;
  }
  let verbs = 0;
  for (let i = 0; i < GATE_VERBS.length; i++) if (rule.verbs.includes(GATE_VERBS[i]!)) verbs |= 1 << i;
  return { exact, serves, verbs, probes: adminProbeMask(rule) };
}

/** Grants whose rule allows one of the mechanism's requests for some name (namespace ignored). */
function relevant(grants: readonly VGrant[], mechanism: EscalationMechanism): VGrant[] {
  const bit = MECHANISM_BIT.get(mechanism)!;
  return grants.filter((g) => (g.facts.serves & bit) !== 0);
}

/** The namespaces the grants are limited to, or undefined when one of them is cluster-wide. */
function grantNamespaces(grants: readonly VGrant[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const g of grants) {
    if (g.namespace === undefined) return undefined;
    out.add(g.namespace);
  }
  return out;
}

/** Cluster-wide grants that together are cluster-admin in effect (not only a literal `*`), or undefined. */
function adminGrant(grants: readonly VGrant[]): VGrant[] | undefined {
  // Most identities lack some standard verb on `*`/`*` in every cluster-wide rule: answered from the facts.
  let probes = 0;
  for (const g of grants) if (g.namespace === undefined) probes |= g.facts.probes;
  return probes === ALL_PROBES ? adminEquivalentGrants(grants) : undefined;
}

const formatGrantRules = (gs: readonly VGrant[]) => gs.map((g) => formatRule(g.rule)).join(" + ");

/** Where a grant comes from, for the detail of a direct grant. */
function grantSource(g: VGrant): string {
  const role = g.role!;
  if (g.binding) {
    const b = g.binding;
    return `${b.kind} ${b.namespace ? `${b.namespace}/` : ""}${b.name} → ${role.kind} ${role.name}`;
  }
  return `${role.kind} ${role.name} ${g.namespace === undefined ? "cluster-wide" : `in namespace ${g.namespace}`}`;
}

/** Namespaces (of `all`) where the grants allow the request; namespace in `req` is ignored. */
function namespacesAllowing(
  grants: readonly VGrant[],
  req: RequestAttributes,
  all: readonly string[],
): readonly string[] {
  let out: Set<string> | undefined;
  for (const g of grants) {
    if (!ruleAllows(req, g.rule)) continue;
    if (g.namespace === undefined) return all; // a cluster-wide grant covers every namespace
    if (!out) out = new Set();
    out.add(g.namespace);
  }
  return out ? [...out].sort(cmp) : [];
}

/**
 * For each of `count` exact requests from bit `first`, the namespaces (of `all`) where the grants allow it: `all`
 * when a cluster-wide grant does, else the grants' namespaces, sorted. One pass over the grants for all requests.
 */
function namespacesAllowingEach(
  grants: readonly VGrant[],
  first: number,
  count: number,
  all: readonly string[],
): (readonly string[])[] {
  const clusterWide: boolean[] = new Array(count).fill(false);
  const sets: (Set<string> | undefined)[] = new Array(count);
  const mask = (1 << count) - 1;
  for (const g of grants) {
    let bits = (g.facts.exact >>> first) & mask;
    for (let k = 0; bits !== 0; k++, bits >>>= 1) {
      if ((bits & 1) === 0) continue;
      if (g.namespace === undefined) clusterWide[k] = true;
      else {
        let set = sets[k];
        if (set === undefined) {
          set = new Set();
          sets[k] = set;
        }
        set.add(g.namespace);
      }
    }
  }
  const out: (readonly string[])[] = [];
  for (let k = 0; k < count; k++) {
    const set = sets[k];
    out.push(clusterWide[k] ? all : set ? [...set].sort(cmp) : []);
  }
  return out;
}

/** Which subjects can reach cluster-admin-equivalent power, and by which steps (shortest path each). */
export function escalationPaths(idx: RbacIndex, opts: EscalationOptions = {}): EscalationPath[] {
  const maxNodes = opts.maxNodes ?? 200_000;
  const nodes = new Map<string, Node>();
  const edges = new Map<string, Edge[]>();
  const queue: Node[] = [];
  let overBudget = false;
  const factsByRule = new Map<PolicyRule, RuleFacts>();
  const factsOf = (rule: PolicyRule): RuleFacts => {
    let f = factsByRule.get(rule);
    if (f === undefined) {
      f = ruleFacts(rule);
      factsByRule.set(rule, f);
    }
    return f;
  };

  const addNode = (n: Node): Node => {
    const existing = nodes.get(n.id);
    if (existing) return existing;
    if (nodes.size >= maxNodes) {
      overBudget = true;
      return n;
    }
    nodes.set(n.id, n);
    queue.push(n);
    return n;
  };
  // A binding's grants are the same for every subject it names: made once per binding, shared by their nodes.
  const grantsByBinding = new Map<RbacBinding, readonly VGrant[]>();
  const bindingGrants = (b: RbacBinding): readonly VGrant[] => {
    let list = grantsByBinding.get(b);
    if (list === undefined) {
      const role = b.role;
      // A binding to a missing role grants nothing.
      list = (role?.rules ?? []).map((rule) => {
        const v: VGrant = { rule, facts: factsOf(rule), role: role!, binding: b };
        if (b.namespace !== undefined) v.namespace = b.namespace;
        else v.clusterWide = true;
        return v;
      });
      grantsByBinding.set(b, list);
    }
    return list;
  };
  const subjectNode = (s: Subject): Node => {
    const id = subjectKey(s);
    const existing = nodes.get(id);
    if (existing) return existing;
    const grants: VGrant[] = [];
    for (const b of bindingsOf(idx, subjectUserInfo(s))) appendAll(grants, bindingGrants(b));
    const masters = s.kind === "Group" && s.name === SYSTEM_MASTERS;
    const ag = adminGrant(grants);
    const n: Node = { id, label: id, subject: s, grants, admin: masters || ag !== undefined };
    if (masters) n.adminDetail = "member of system:masters (privileged group authorizer, no RBAC needed)";
    else if (ag) n.adminDetail = `${grantSource(ag[0]!)} grants ${formatGrantRules(ag)} cluster-wide`;
    return addNode(n);
  };
  const roleNode = (role: RbacRole, namespace: string | undefined): Node => {
    const scope = namespace === undefined ? "cluster-wide" : `in namespace ${namespace}`;
    const id = `Role:${role.kind}/${role.namespace ? `${role.namespace}/` : ""}${role.name}@${namespace ?? "*"}`;
    const existing = nodes.get(id);
    if (existing) return existing;
    const grants: VGrant[] = role.rules.map((rule) => {
      const v: VGrant = { rule, facts: factsOf(rule), role };
      if (namespace !== undefined) v.namespace = namespace;
      else v.clusterWide = true;
      return v;
    });
    const ag = adminGrant(grants);
    const n: Node = {
      id,
      label: `holder of ${role.kind} ${role.name} ${scope}`,
      grants,
      admin: ag !== undefined,
    };
    if (ag) n.adminDetail = `${role.kind} ${role.name} bound cluster-wide grants ${formatGrantRules(ag)}`;
    return addNode(n);
  };
  const hubNode = (id: string, label: string): Node =>
    addNode({ id, label, grants: [], hub: true, admin: false });
  const clusterAdminNode = (): Node =>
    addNode({
      id: "virtual:cluster-admin",
      label: "cluster-admin-equivalent",
      grants: [],
      admin: true,
      adminDetail: "a ClusterRole bound cluster-wide rewritten to allow everything",
    });
  const nsAdminNode = (ns: string): Node =>
    roleNode(
      {
        kind: "Role",
        ref: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", namespace: ns, name: "*" },
        namespace: ns,
        name: "(any rule)",
        labels: {},
        rules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"], resourceNames: [], nonResourceURLs: [] }],
        declaredRules: [],
        object: {
          ref: { apiVersion: "v1", kind: "Role", name: "*" },
          labels: {},
          annotations: {},
          raw: {},
          ownerReferences: [],
        },
      },
      ns,
    );

  // ServiceAccounts by namespace: from the inventory, from binding subjects, running workloads, and `default`.
  const saByNs = new Map<string, Set<string>>();
  const addSa = (ns: string, name: string) => {
    const s = saByNs.get(ns) ?? new Set<string>();
    saByNs.set(ns, s);
    s.add(name);
  };
  for (const k of idx.serviceAccounts) {
    const i = k.indexOf("/");
    addSa(k.slice(0, i), k.slice(i + 1));
  }
  for (const ns of idx.namespaces) addSa(ns, "default");
  for (const [ns, set] of idx.runningServiceAccounts) for (const n of set) addSa(ns, n);
  const users = new Set<string>();
  const groups = new Set<string>();
  const starts: Subject[] = [];
  const namedByInput = new Set<string>();
  const namedByBuiltin = new Set<string>();
  for (const b of idx.bindings) {
    for (const s of b.subjects) {
      if (s.kind === "ServiceAccount") {
        const ns = subjectNamespace(s, b);
        if (ns) addSa(ns, s.name);
        (isPlatformObject(b) ? namedByBuiltin : namedByInput).add(subjectKey({ ...s, namespace: ns ?? "" }));
      } else {
        if (s.kind === "User") users.add(s.name);
        else groups.add(s.name);
        (isPlatformObject(b) ? namedByBuiltin : namedByInput).add(subjectKey(s));
      }
    }
  }
  for (const u of [...users].sort(cmp)) starts.push({ kind: "User", name: u });
  for (const g of [...groups].sort(cmp)) starts.push({ kind: "Group", name: g });
  for (const ns of [...saByNs.keys()].sort(cmp))
    for (const n of [...(saByNs.get(ns) ?? [])].sort(cmp))
      starts.push({ kind: "ServiceAccount", name: n, namespace: ns });
  for (const s of starts) subjectNode(s);

  const namespaces = idx.namespaces;
  const sortedUsers = [...users].sort(cmp);
  const runningNamespaces = [...idx.runningServiceAccounts.keys()].sort(cmp);
  const sortedGroups = [...groups].sort(cmp);
  const saNode = (ns: string, name: string) => subjectNode({ kind: "ServiceAccount", name, namespace: ns });
  // Hubs by namespace once created: asked once per edge into them (hundreds of thousands at 10k bindings).
  const podsHubs = new Map<string, Node>();
  const execHubs = new Map<string, Node>();
  const podsHub = (ns: string): Node => {
    const known = podsHubs.get(ns);
    if (known !== undefined) return known;
    const id = `hub:pods:${ns}`;
    const had = nodes.has(id);
    const h = hubNode(id, `any ServiceAccount in namespace ${ns}`);
    if (!had && nodes.has(id))
      edges.set(
        id,
        [...(saByNs.get(ns) ?? [])].sort(cmp).map((sa) => ({
          to: saNode(ns, sa).id,
          mechanism: "create-pod-as-sa" as const,
          detail: "run a pod with serviceAccountName",
          named: "name" as const,
        })),
      );
    if (nodes.has(id)) podsHubs.set(ns, h);
    return h;
  };
  const execHub = (ns: string): Node => {
    const known = execHubs.get(ns);
    if (known !== undefined) return known;
    const id = `hub:exec:${ns}`;
    const had = nodes.has(id);
    const h = hubNode(id, `ServiceAccounts of running pods in namespace ${ns}`);
    if (!had && nodes.has(id))
      edges.set(
        id,
        [...(idx.runningServiceAccounts.get(ns) ?? [])].sort(cmp).map((sa) => ({
          to: saNode(ns, sa).id,
          mechanism: "exec-into-pod" as const,
          detail: "use the token mounted in a pod running as",
          named: "name" as const,
        })),
      );
    if (nodes.has(id)) execHubs.set(ns, h);
    return h;
  };

  // Whether a role has a verb worth binding or rewriting, once per role (asked per identity holding `bind`).
  const potentMemo = new Map<RbacRole, boolean>();
  const potent = (role: RbacRole): boolean => {
    let p = potentMemo.get(role);
    if (p === undefined) {
      p = role.rules.some((r) => r.verbs.some((v) => INTERESTING_VERBS.has(v)));
      potentMemo.set(role, p);
    }
    return p;
  };
  // Roles by namespace, in `idx.roles` order: `bind` on roles looks only at the namespaces it may bind in.
  const rolesByNs = new Map<string, RbacRole[]>();
  for (const role of idx.roles.values()) {
    const ns = role.namespace ?? "";
    const list = rolesByNs.get(ns);
    if (list) list.push(role);
    else rolesByNs.set(ns, [role]);
  }
  // Token Secrets by namespace (their positions in `idx.tokenSecrets`): a namespaced Secret grant reads only there.
  const tokenSecretsByNs = new Map<string, number[]>();
  idx.tokenSecrets.forEach((t, i) => {
    const list = tokenSecretsByNs.get(t.namespace);
    if (list) list.push(i);
    else tokenSecretsByNs.set(t.namespace, [i]);
  });
  // Edges into the pod hubs, by namespace and workload request: the same for every identity taking them, so made
  // once (most of the graph's edges at 10k bindings: every identity creating pods cluster-wide has one per namespace).
  const podEdge = sharedEdges((ns, k) => ({
    to: podsHub(ns).id,
    mechanism: "create-pod-as-sa",
    detail: WORKLOAD_REQUESTS[k]!.how,
    ns,
  }));
  const gate = (v: string) => (1 << GATE_VERBS.indexOf(v)) | 1;
  // Which namespaces the node being expanded already has a pod (or exec) edge into: a stamp per namespace (its
  // position in `namespaces`) instead of a Map per identity, which with thousands of identities creating pods in
  // every namespace was a large share of the run's allocation. A namespace outside `namespaces` (not expected:
  // grants come from bindings, whose namespaces the index lists) falls back to a Set.
  const nsIndex = new Map<string, number>();
  for (let i = 0; i < namespaces.length; i++) nsIndex.set(namespaces[i]!, i);
  const nsStamp = new Int32Array(namespaces.length);
  let stamp = 0;
  const firstVisit = (ns: string, outside: Set<string>): boolean => {
    const i = nsIndex.get(ns);
    if (i === undefined) {
      if (outside.has(ns)) return false;
      outside.add(ns);
      return true;
    }
    if (nsStamp[i] === stamp) return false;
    nsStamp[i] = stamp;
    return true;
  };
  // The ServiceAccounts by namespace and the ClusterRoles as arrays, made on first use (all are known by then):
  // iterating the Map and Sets again for every identity allocated an entry per namespace and account each time.
  let saList: { ns: string; names: string[] }[] | undefined;
  const serviceAccountsByNs = () => {
    saList ??= [...saByNs].map(([ns, set]) => ({ ns, names: [...set] }));
    return saList;
  };
  let clusterRoleList: RbacRole[] | undefined;
  const clusterRolesInOrder = () => {
    clusterRoleList ??= [...idx.clusterRoles.values()];
    return clusterRoleList;
  };
  const execEdge = sharedEdges((ns, k) => ({
    to: execHub(ns).id,
    mechanism: "exec-into-pod",
    detail: EXEC_REQUESTS[k]!.how,
    ns,
  }));

  const computeEdges = (n: Node): Edge[] => {
    const out: Edge[] = [];
    if (n.hub || n.admin || n.grants.length === 0) return out;
    const g = n.grants;
    let verbs = 0;
    let exact = 0;
    for (const x of g) {
      verbs |= x.facts.verbs;
      exact |= x.facts.exact;
    }
    const has = (v: string) => (verbs & gate(v)) !== 0;
    // create pods / workloads (a grant allowing one of these has its verb, so no verb gate is needed): one edge
    // per namespace, by the first request allowed there, in order of first appearance.
    if (exact & ((1 << EXEC_FIRST) - 1)) {
      const allowed = namespacesAllowingEach(g, 0, WORKLOAD_REQUESTS.length, namespaces);
      stamp++;
      const outside = new Set<string>();
      for (let k = 0; k < allowed.length; k++) {
        const list = allowed[k]!;
        for (let j = 0; j < list.length; j++) {
          const ns = list[j]!;
          if (firstVisit(ns, outside)) out.push(podEdge(ns, k));
        }
      }
    }
    // exec / attach
    if (has("create") || has("get")) {
      const allowed = namespacesAllowingEach(g, EXEC_FIRST, EXEC_REQUESTS.length, runningNamespaces);
      stamp++;
      const outside = new Set<string>();
      for (let k = 0; k < allowed.length; k++) {
        const list = allowed[k]!;
        for (let j = 0; j < list.length; j++) {
          const ns = list[j]!;
          if (firstVisit(ns, outside)) out.push(execEdge(ns, k));
        }
      }
      // nodes/proxy: the kubelet API runs commands in any pod on the node (a cluster-scoped resource: only
      // cluster-wide grants allow it)
      const np = g.some((x) => x.namespace === undefined && (x.facts.exact & NODES_PROXY_BITS) !== 0);
      if (np)
        for (const ns of runningNamespaces)
          out.push({
            to: execHub(ns).id,
            mechanism: "nodes-proxy",
            detail: "nodes/proxy (kubelet exec) into pods",
            ns,
          });
    }
    // TokenRequest and legacy token Secrets. Only grants that could match are scanned per candidate, so the cost
    // is proportional to the identities that actually hold these verbs.
    const tokenReq: RequestAttributes = {
      verb: "create",
      apiGroup: "",
      resource: "serviceaccounts",
      subresource: "token",
    };
    const tokenGrants = relevant(g, "create-token");
    const tokenNs = grantNamespaces(tokenGrants);
    if (tokenGrants.length > 0)
      for (const { ns, names } of serviceAccountsByNs()) {
        // A namespaced grant allows nothing in another namespace: skip them (10k bindings x 10k accounts).
        if (tokenNs !== undefined && !tokenNs.has(ns)) continue;
        for (const sa of names)
          if (grantsAllow(tokenGrants, { ...tokenReq, name: sa, namespace: ns }))
            out.push(
              intoSubject(saNode(ns, sa), "create-token", "create serviceaccounts/token for", "namespaced"),
            );
      }
    const secretGet: RequestAttributes = { verb: "get", apiGroup: "", resource: "secrets" };
    const secretList: RequestAttributes = { verb: "list", apiGroup: "", resource: "secrets" };
    const secretGrants = relevant(g, "read-secret");
    if (secretGrants.length > 0 && idx.tokenSecrets.length > 0) {
      const secretNs = grantNamespaces(secretGrants);
      const candidates =
        secretNs === undefined
          ? idx.tokenSecrets.keys()
          : [...secretNs].flatMap((ns) => tokenSecretsByNs.get(ns) ?? []).sort((a, b) => a - b);
      for (const i of candidates) {
        const t = idx.tokenSecrets[i]!;
        const ok =
          grantsAllow(secretGrants, { ...secretGet, name: t.name, namespace: t.namespace }) ??
          grantsAllow(secretGrants, { ...secretList, namespace: t.namespace });
        if (ok)
          out.push({
            to: saNode(t.namespace, t.serviceAccount).id,
            mechanism: "read-secret",
            detail: `read token Secret ${t.namespace}/${t.name}`,
          });
      }
    }
    // impersonation (impersonation filter: users/groups cluster-scoped, serviceaccounts namespaced)
    const imp = (resource: string): RequestAttributes => ({ verb: "impersonate", apiGroup: "", resource });
    const impGrants = relevant(g, "impersonate");
    // Groups are impersonated only together with a user or ServiceAccount: impersonation.go rejects groups
    // "without impersonating a user" (BadRequest) and authorizes that user request too. Users are cluster-scoped
    // (only cluster-wide grants); a ServiceAccount of any name in a namespace where a grant applies will do.
    const actsAsSomeone = impGrants.some((x) => {
      const anyName = { name: x.rule.resourceNames[0] ?? "" };
      return (
        (x.namespace === undefined && ruleAllows({ ...imp("users"), ...anyName }, x.rule)) ||
        ruleAllows({ ...imp("serviceaccounts"), ...anyName }, x.rule)
      );
    });
    if (impGrants.length > 0) {
      if (actsAsSomeone && grantsAllow(impGrants, { ...imp("groups"), name: SYSTEM_MASTERS }))
        out.push({
          to: subjectNode({ kind: "Group", name: SYSTEM_MASTERS }).id,
          mechanism: "impersonate",
          detail: "impersonate group system:masters",
        });
      for (const u of sortedUsers)
        if (grantsAllow(impGrants, { ...imp("users"), name: u }))
          out.push(
            intoSubject(subjectNode({ kind: "User", name: u }), "impersonate", "impersonate user", "name"),
          );
      for (const gr of sortedGroups)
        if (actsAsSomeone && grantsAllow(impGrants, { ...imp("groups"), name: gr }))
          out.push(
            intoSubject(subjectNode({ kind: "Group", name: gr }), "impersonate", "impersonate group", "name"),
          );
      const impNs = grantNamespaces(impGrants);
      for (const { ns, names } of serviceAccountsByNs()) {
        if (impNs !== undefined && !impNs.has(ns)) continue;
        for (const sa of names)
          if (grantsAllow(impGrants, { ...imp("serviceaccounts"), name: sa, namespace: ns }))
            out.push(intoSubject(saNode(ns, sa), "impersonate", "impersonate serviceaccount", "namespaced"));
      }
    }
    // bind: BindingAuthorized checks `bind` on the role in the binding's namespace ("" for a ClusterRoleBinding)
    if (has("bind") && has("create")) {
      const crbOk = grantsAllow(g, { verb: "create", apiGroup: RBAC, resource: "clusterrolebindings" });
      const rbNs = namespacesAllowing(
        g,
        { verb: "create", apiGroup: RBAC, resource: "rolebindings" },
        namespaces,
      );
      for (const role of clusterRolesInOrder()) {
        if (!potent(role)) continue;
        const req: RequestAttributes = {
          verb: "bind",
          apiGroup: RBAC,
          resource: "clusterroles",
          name: role.name,
        };
        if (crbOk && grantsAllow(g, { ...req, namespace: "" }))
          out.push({
            to: roleNode(role, undefined).id,
            mechanism: "bind",
            detail: `bind ClusterRole ${role.name} with a new ClusterRoleBinding`,
          });
        else
          for (const ns of rbNs)
            if (grantsAllow(g, { ...req, namespace: ns }))
              out.push({
                to: roleNode(role, ns).id,
                mechanism: "bind",
                detail: `bind ClusterRole ${role.name} with a new RoleBinding in ${ns}`,
              });
      }
      for (const ns of rbNs)
        for (const role of rolesByNs.get(ns) ?? [])
          if (
            potent(role) &&
            grantsAllow(g, {
              verb: "bind",
              apiGroup: RBAC,
              resource: "roles",
              name: role.name,
              namespace: ns,
            })
          )
            out.push({
              to: roleNode(role, ns).id,
              mechanism: "bind",
              detail: `bind Role ${ns}/${role.name} with a new RoleBinding`,
            });
    }
    // escalate: rewrite a role that is already bound to this identity
    if (has("escalate")) {
      const seen = new Set<string>();
      for (const gr of g) {
        const role = gr.role;
        if (!role) continue;
        const key = `${roleKey(role.kind, role.namespace, role.name)}@${gr.namespace ?? "*"}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const resource = role.kind === "Role" ? "roles" : "clusterroles";
        const ns = role.namespace ?? "";
        const base = { apiGroup: RBAC, resource, name: role.name, namespace: ns };
        const esc = grantsAllow(g, { ...base, verb: "escalate" });
        const upd = grantsAllow(g, { ...base, verb: "update" }) ?? grantsAllow(g, { ...base, verb: "patch" });
        if (!esc || !upd) continue;
        if (gr.namespace === undefined)
          out.push({
            to: clusterAdminNode().id,
            mechanism: "escalate",
            detail: `escalate + update ${role.kind} ${role.name}, bound cluster-wide, to allow everything`,
          });
        else
          out.push({
            to: nsAdminNode(gr.namespace).id,
            mechanism: "escalate",
            detail: `escalate + update ${role.kind} ${role.name}, bound in ${gr.namespace}, to allow everything there`,
          });
      }
    }
    // CSR approval (plugin/pkg/admission/certificates/approval: `approve` on signers/<signerName> or <domain>/*)
    if (has("approve") && has("create") && has("update")) {
      const csr = "certificates.k8s.io";
      const ok =
        grantsAllow(g, { verb: "create", apiGroup: csr, resource: "certificatesigningrequests" }) &&
        grantsAllow(g, {
          verb: "update",
          apiGroup: csr,
          resource: "certificatesigningrequests",
          subresource: "approval",
        }) &&
        (grantsAllow(g, {
          verb: "approve",
          apiGroup: csr,
          resource: "signers",
          name: "kubernetes.io/kube-apiserver-client",
        }) ??
          grantsAllow(g, { verb: "approve", apiGroup: csr, resource: "signers", name: "kubernetes.io/*" }));
      if (ok)
        out.push({
          to: subjectNode({ kind: "Group", name: SYSTEM_MASTERS }).id,
          mechanism: "csr-approve",
          detail: "create and approve a kube-apiserver-client CSR with O=system:masters",
        });
    }
    return out;
  };

  // A read index, not shift(): shifting a queue of tens of thousands of nodes moved it once per node.
  for (let head = 0; head < queue.length; head++) {
    const n = queue[head]!;
    if (edges.has(n.id)) continue;
    edges.set(n.id, computeEdges(n));
  }
  // Budget exhaustion is reported in the index's coverage (never a silent pass).
  if (overBudget)
    idx.coverage.push({
      reason: "limit",
      message: `escalation graph exceeded ${maxNodes} nodes; some paths may be missing`,
    });

  // Multi-source backward BFS from every admin-equivalent node: next-hop pointers give shortest paths.
  // Incoming edges as parallel lists (one entry per edge: hundreds of thousands at 10k bindings).
  const reverse = new Map<string, { from: string[]; edge: Edge[] }>();
  for (const id of [...edges.keys()].sort(cmp)) {
    const out = edges.get(id) ?? [];
    // An index loop over the edges (hundreds of thousands): for-of made an iterator result per edge.
    for (let i = 0; i < out.length; i++) {
      const e = out[i]!;
      let r = reverse.get(e.to);
      if (r === undefined) {
        r = { from: [], edge: [] };
        reverse.set(e.to, r);
      }
      r.from.push(id);
      r.edge.push(e);
    }
  }
  const next = new Map<string, Edge | null>();
  let frontier = [...nodes.values()]
    .filter((n) => n.admin)
    .map((n) => n.id)
    .sort(cmp);
  for (const id of frontier) next.set(id, null);
  while (frontier.length > 0) {
    const nf: string[] = [];
    for (const id of frontier) {
      const r = reverse.get(id);
      if (r === undefined) continue;
      for (let i = 0; i < r.from.length; i++) {
        const from = r.from[i]!;
        if (!next.has(from)) {
          next.set(from, r.edge[i]!);
          nf.push(from);
        }
      }
    }
    frontier = nf;
  }
  /** The binding behind a step taken from `from`: the first grant of a binding whose rule serves the mechanism. */
  // Paths share their tails (many subjects reach cluster-admin through the same accounts), so the binding behind
  // (node, mechanism) is computed once: filtering a node's grants per step made paths 3x slower at 10k bindings.
  const bindingMemo = new Map<Node, Map<EscalationMechanism, ResourceRef | null>>();
  const bindingBehind = (from: Node, mechanism: EscalationMechanism): ResourceRef | null => {
    let byMechanism = bindingMemo.get(from);
    if (byMechanism === undefined) {
      byMechanism = new Map();
      bindingMemo.set(from, byMechanism);
    }
    const known = byMechanism.get(mechanism);
    if (known !== undefined) return known;
    const candidates = mechanism === "grant" ? (adminGrant(from.grants) ?? []) : from.grants;
    const bit = MECHANISM_BIT.get(mechanism)!;
    const ok = (x: VGrant) => mechanism === "grant" || (x.facts.serves & bit) !== 0;
    const g =
      candidates.find((x) => x.binding && !x.binding.builtin && ok(x)) ??
      candidates.find((x) => x.binding && ok(x));
    const ref = g?.binding?.ref ?? null;
    byMechanism.set(mechanism, ref);
    return ref;
  };
  const withBinding = (step: EscalationStep, from: Node | undefined): EscalationStep => {
    if (!from?.subject) return step;
    const ref = bindingBehind(from, step.mechanism);
    if (ref !== null) step.binding = ref;
    return step;
  };
  const paths: EscalationPath[] = [];
  for (const s of starts) {
    const id = subjectKey(s);
    if (!next.has(id)) continue;
    const steps: EscalationStep[] = [];
    let cur = id;
    let pending: Edge | undefined;
    let pendingFrom: Node | undefined;
    for (let guard = 0; guard < 10_000; guard++) {
      const e = next.get(cur);
      const node = nodes.get(cur)!;
      if (e === null || e === undefined) {
        if (pending)
          steps.push(
            withBinding(
              { mechanism: pending.mechanism, detail: edgeDetail(pending, node), to: node.label },
              pendingFrom,
            ),
          );
        pending = undefined;
        steps.push(withBinding({ mechanism: "grant", detail: node.adminDetail ?? node.label }, node));
        break;
      }
      const target = nodes.get(e.to)!;
      if (target.hub) {
        pending = e;
        pendingFrom = node;
      } else if (pending) {
        steps.push(
          withBinding(
            {
              mechanism: pending.mechanism,
              detail: `${edgeDetail(pending, nodes.get(pending.to)!)}; ${edgeDetail(e, target)}`,
              to: target.label,
            },
            pendingFrom,
          ),
        );
        pending = undefined;
      } else
        steps.push(
          withBinding({ mechanism: e.mechanism, detail: edgeDetail(e, target), to: target.label }, node),
        );
      cur = e.to;
    }
    const path: EscalationPath = { subject: s, steps };
    if (namedByBuiltin.has(id) && !namedByInput.has(id)) path.builtin = true;
    paths.push(path);
  }
  return paths;
}

/**
 * Edges that are the same for every identity taking them (into a namespace's pod or exec hub, by request), made once
 * per namespace and request and shared: most of the graph's edges at 10k bindings.
 */
function sharedEdges(make: (ns: string, k: number) => Edge): (ns: string, k: number) => Edge {
  const byNs = new Map<string, Edge[]>();
  return (ns, k) => {
    let byRequest = byNs.get(ns);
    if (byRequest === undefined) {
      byRequest = [];
      byNs.set(ns, byRequest);
    }
    let e = byRequest[k];
    if (e === undefined) {
      e = make(ns, k);
      byRequest[k] = e;
    }
    return e;
  };
}
