/**
 * The straightforward escalation-path evaluator that `escalationPaths` (escalation.ts) replaced: every permission
 * a step needs is asked of the identity's grants with the authorizer's `ruleAllows`, request by request, with no
 * per-rule tables. It is kept, unchanged in behaviour, as the reference of the differential test
 * (escalation-differential.test.ts): the indexed evaluator must give the same paths, steps and bindings. Test
 * support (a fixture): the analysis never uses it and the shipped bundle does not contain it.
 */
import { cmp, type ResourceRef } from "../../findings/index.js";
import { isPlatformObject } from "../bootstrap.js";
import { roleKey, subjectNamespace } from "../build.js";
import { adminEquivalentGrants } from "../equivalence.js";
import {
  type EscalationMechanism,
  type EscalationOptions,
  type EscalationPath,
  type EscalationStep,
  INTERESTING_VERBS,
  MECHANISM_REQUESTS,
  RBAC,
  WORKLOADS,
} from "../escalation.js";
import { SYSTEM_MASTERS, subjectKey, subjectUserInfo } from "../identity.js";
import { formatRule, type RequestAttributes, ruleAllows } from "../match.js";
import type { PolicyRule, RbacBinding, RbacIndex, RbacRole, Subject } from "../model.js";
import { grantsAllow, grantsFor } from "../query.js";

interface VGrant {
  namespace?: string;
  rule: PolicyRule;
  source: string;
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
}

interface Edge {
  to: string;
  mechanism: EscalationMechanism;
  detail: string;
}

/** Whether a rule allows one of the requests for some name (namespace ignored). */
function serves(rule: PolicyRule, reqs: readonly RequestAttributes[]): boolean {
  return reqs.some((q) => ruleAllows({ ...q, name: rule.resourceNames[0] ?? "" }, rule));
}

/** Grants whose rule allows one of the requests for some name (namespace ignored). */
function relevant(grants: readonly VGrant[], reqs: readonly RequestAttributes[]): VGrant[] {
  return grants.filter((g) => serves(g.rule, reqs));
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
  return adminEquivalentGrants(grants);
}

const formatGrantRules = (gs: readonly VGrant[]) => gs.map((g) => formatRule(g.rule)).join(" + ");

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

/** Which subjects can reach cluster-admin-equivalent power, and by which steps (shortest path each). */
export function referenceEscalationPaths(idx: RbacIndex, opts: EscalationOptions = {}): EscalationPath[] {
  const maxNodes = opts.maxNodes ?? 200_000;
  const nodes = new Map<string, Node>();
  const edges = new Map<string, Edge[]>();
  const queue: Node[] = [];
  let overBudget = false;

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
  const subjectNode = (s: Subject): Node => {
    const id = subjectKey(s);
    const existing = nodes.get(id);
    if (existing) return existing;
    const info = subjectUserInfo(s);
    const grants: VGrant[] = grantsFor(idx, info).grants.map((g) => {
      const v: VGrant = {
        rule: g.rule,
        role: g.role,
        binding: g.binding,
        source: `${g.binding.kind} ${g.binding.namespace ? `${g.binding.namespace}/` : ""}${g.binding.name} → ${g.role.kind} ${g.role.name}`,
      };
      if (g.namespace !== undefined) v.namespace = g.namespace;
      else v.clusterWide = true;
      return v;
    });
    const masters = s.kind === "Group" && s.name === SYSTEM_MASTERS;
    const ag = adminGrant(grants);
    const n: Node = { id, label: id, subject: s, grants, admin: masters || ag !== undefined };
    if (masters) n.adminDetail = "member of system:masters (privileged group authorizer, no RBAC needed)";
    else if (ag) n.adminDetail = `${ag[0]!.source} grants ${formatGrantRules(ag)} cluster-wide`;
    return addNode(n);
  };
  const roleNode = (role: RbacRole, namespace: string | undefined): Node => {
    const scope = namespace === undefined ? "cluster-wide" : `in namespace ${namespace}`;
    const id = `Role:${role.kind}/${role.namespace ? `${role.namespace}/` : ""}${role.name}@${namespace ?? "*"}`;
    const existing = nodes.get(id);
    if (existing) return existing;
    const grants: VGrant[] = role.rules.map((rule) => {
      const v: VGrant = { rule, role, source: `${role.kind} ${role.name} ${scope}` };
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
  const podsHub = (ns: string): Node => {
    const id = `hub:pods:${ns}`;
    const had = nodes.has(id);
    const h = hubNode(id, `any ServiceAccount in namespace ${ns}`);
    if (!had && nodes.has(id))
      edges.set(
        id,
        [...(saByNs.get(ns) ?? [])].sort(cmp).map((sa) => ({
          to: saNode(ns, sa).id,
          mechanism: "create-pod-as-sa" as const,
          detail: `run a pod with serviceAccountName ${sa}`,
        })),
      );
    return h;
  };
  const execHub = (ns: string): Node => {
    const id = `hub:exec:${ns}`;
    const had = nodes.has(id);
    const h = hubNode(id, `ServiceAccounts of running pods in namespace ${ns}`);
    if (!had && nodes.has(id))
      edges.set(
        id,
        [...(idx.runningServiceAccounts.get(ns) ?? [])].sort(cmp).map((sa) => ({
          to: saNode(ns, sa).id,
          mechanism: "exec-into-pod" as const,
          detail: `use the token mounted in a pod running as ${sa}`,
        })),
      );
    return h;
  };

  const potent = (role: RbacRole) => role.rules.some((r) => r.verbs.some((v) => INTERESTING_VERBS.has(v)));

  const computeEdges = (n: Node): Edge[] => {
    const out: Edge[] = [];
    if (n.hub || n.admin || n.grants.length === 0) return out;
    const verbs = new Set(n.grants.flatMap((g) => g.rule.verbs));
    const has = (v: string) => verbs.has("*") || verbs.has(v);
    const g = n.grants;
    // create pods / workloads
    const podNs = new Map<string, string>();
    for (const [group, resource] of WORKLOADS) {
      const verbList = resource === "pods" ? ["create"] : ["create", "update", "patch"];
      for (const verb of verbList) {
        if (!has(verb)) continue;
        for (const ns of namespacesAllowing(g, { verb, apiGroup: group, resource }, namespaces))
          if (!podNs.has(ns)) podNs.set(ns, `${verb} ${resource}${group ? `.${group}` : ""}`);
      }
    }
    for (const [ns, how] of podNs)
      out.push({ to: podsHub(ns).id, mechanism: "create-pod-as-sa", detail: `${how} in namespace ${ns}` });
    // exec / attach
    if (has("create") || has("get")) {
      const execNs = new Map<string, string>();
      for (const sub of ["exec", "attach"])
        for (const verb of ["create", "get"])
          for (const ns of namespacesAllowing(
            g,
            { verb, apiGroup: "", resource: "pods", subresource: sub },
            runningNamespaces,
          ))
            if (!execNs.has(ns)) execNs.set(ns, `${verb} pods/${sub}`);
      for (const [ns, how] of execNs)
        out.push({ to: execHub(ns).id, mechanism: "exec-into-pod", detail: `${how} in namespace ${ns}` });
      // nodes/proxy: the kubelet API runs commands in any pod on the node
      const np =
        grantsAllow(g, { verb: "create", apiGroup: "", resource: "nodes", subresource: "proxy" }) ??
        grantsAllow(g, { verb: "get", apiGroup: "", resource: "nodes", subresource: "proxy" });
      if (np)
        for (const ns of [...idx.runningServiceAccounts.keys()].sort(cmp))
          out.push({
            to: execHub(ns).id,
            mechanism: "nodes-proxy",
            detail: `nodes/proxy (kubelet exec) into pods in namespace ${ns}`,
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
    const tokenGrants = relevant(g, MECHANISM_REQUESTS["create-token"]);
    const tokenNs = grantNamespaces(tokenGrants);
    if (tokenGrants.length > 0)
      for (const [ns, set] of saByNs) {
        // A namespaced grant allows nothing in another namespace: skip them (10k bindings x 10k accounts).
        if (tokenNs !== undefined && !tokenNs.has(ns)) continue;
        for (const sa of set)
          if (grantsAllow(tokenGrants, { ...tokenReq, name: sa, namespace: ns }))
            out.push({
              to: saNode(ns, sa).id,
              mechanism: "create-token",
              detail: `create serviceaccounts/token for ${ns}/${sa}`,
            });
      }
    const secretGet: RequestAttributes = { verb: "get", apiGroup: "", resource: "secrets" };
    const secretList: RequestAttributes = { verb: "list", apiGroup: "", resource: "secrets" };
    const secretGrants = relevant(g, MECHANISM_REQUESTS["read-secret"]);
    const secretNs = grantNamespaces(secretGrants);
    if (secretGrants.length > 0)
      for (const t of idx.tokenSecrets) {
        if (secretNs !== undefined && !secretNs.has(t.namespace)) continue;
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
    // impersonation (impersonation filter: users/groups cluster-scoped, serviceaccounts namespaced)
    const imp = (resource: string): RequestAttributes => ({ verb: "impersonate", apiGroup: "", resource });
    const impGrants = relevant(g, MECHANISM_REQUESTS.impersonate);
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
          out.push({
            to: subjectNode({ kind: "User", name: u }).id,
            mechanism: "impersonate",
            detail: `impersonate user ${u}`,
          });
      for (const gr of sortedGroups)
        if (actsAsSomeone && grantsAllow(impGrants, { ...imp("groups"), name: gr }))
          out.push({
            to: subjectNode({ kind: "Group", name: gr }).id,
            mechanism: "impersonate",
            detail: `impersonate group ${gr}`,
          });
      const impNs = grantNamespaces(impGrants);
      for (const [ns, set] of saByNs) {
        if (impNs !== undefined && !impNs.has(ns)) continue;
        for (const sa of set)
          if (grantsAllow(impGrants, { ...imp("serviceaccounts"), name: sa, namespace: ns }))
            out.push({
              to: saNode(ns, sa).id,
              mechanism: "impersonate",
              detail: `impersonate serviceaccount ${ns}/${sa}`,
            });
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
      for (const role of idx.clusterRoles.values()) {
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
        for (const role of idx.roles.values())
          if (
            role.namespace === ns &&
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

  while (queue.length > 0) {
    const n = queue.shift()!;
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
  const reverse = new Map<string, { from: string; edge: Edge }[]>();
  for (const id of [...edges.keys()].sort(cmp))
    for (const e of edges.get(id) ?? []) {
      const l = reverse.get(e.to) ?? [];
      reverse.set(e.to, l);
      l.push({ from: id, edge: e });
    }
  const next = new Map<string, Edge | null>();
  let frontier = [...nodes.values()]
    .filter((n) => n.admin)
    .map((n) => n.id)
    .sort(cmp);
  for (const id of frontier) next.set(id, null);
  while (frontier.length > 0) {
    const nf: string[] = [];
    for (const id of frontier)
      for (const { from, edge } of reverse.get(id) ?? [])
        if (!next.has(from)) {
          next.set(from, edge);
          nf.push(from);
        }
    frontier = nf;
  }
  /** The binding behind a step taken from `from`: the first grant of a binding whose rule serves the mechanism. */
  const bindingBehind = (from: Node, mechanism: EscalationMechanism): ResourceRef | null => {
    const reqs = MECHANISM_REQUESTS[mechanism];
    const candidates = mechanism === "grant" ? (adminGrant(from.grants) ?? []) : from.grants;
    const ok = (x: VGrant) => mechanism === "grant" || serves(x.rule, reqs);
    const g =
      candidates.find((x) => x.binding && !x.binding.builtin && ok(x)) ??
      candidates.find((x) => x.binding && ok(x));
    return g?.binding?.ref ?? null;
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
              { mechanism: pending.mechanism, detail: pending.detail, to: node.label },
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
            { mechanism: pending.mechanism, detail: `${pending.detail}; ${e.detail}`, to: target.label },
            pendingFrom,
          ),
        );
        pending = undefined;
      } else steps.push(withBinding({ mechanism: e.mechanism, detail: e.detail, to: target.label }, node));
      cur = e.to;
    }
    const path: EscalationPath = { subject: s, steps };
    if (namedByBuiltin.has(id) && !namedByInput.has(id)) path.builtin = true;
    paths.push(path);
  }
  return paths;
}
