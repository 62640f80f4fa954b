import { cmp, type ResourceRef } from "../findings/index.js";
import { roleKey, subjectIndexKey, subjectNamespace } from "./build.js";
import { impersonatedUserInfo, SYSTEM_MASTERS, subjectKey, subjectUserInfo } from "./identity.js";
import { type RequestAttributes, ruleAllows } from "./match.js";
import type {
  Grant,
  PolicyRule,
  RbacBinding,
  RbacIndex,
  RbacRole,
  Subject,
  SubjectKind,
  UserInfo,
} from "./model.js";

/** A `can-i` question: who asks (kubectl `--as`/`--as-group`) and the request attributes. */
export interface CanIRequest {
  user: string;
  /** When empty or absent, the impersonation defaults apply (ServiceAccount groups, system:authenticated). */
  groups?: string[] | undefined;
  verb: string;
  resource?: string | undefined;
  subresource?: string | undefined;
  name?: string | undefined;
  /** Absent or empty: a cluster-wide request (only ClusterRoleBindings apply). */
  namespace?: string | undefined;
  apiGroup?: string | undefined;
  /** Set for a non-resource request (`/healthz`, `/logs/*`); resource fields are then ignored. */
  nonResourceURL?: string | undefined;
}

export interface Reason {
  binding: ResourceRef;
  role: ResourceRef;
  rule: PolicyRule;
}

export interface CanIResult {
  allowed: boolean;
  /** Every (binding, role, rule) that allows the request, in authorizer visiting order. */
  reasons: Reason[];
  /** Set when the request is allowed because the identity is in system:masters (no RBAC rule involved). */
  privilegedGroup?: string;
}

export function toAttributes(r: {
  verb: string;
  namespace?: string | undefined;
  apiGroup?: string | undefined;
  resource?: string | undefined;
  subresource?: string | undefined;
  name?: string | undefined;
  nonResourceURL?: string | undefined;
}): RequestAttributes {
  if (r.nonResourceURL !== undefined) return { verb: r.verb, nonResourceURL: r.nonResourceURL };
  return {
    verb: r.verb,
    namespace: r.namespace ?? "",
    apiGroup: r.apiGroup ?? "",
    resource: r.resource ?? "",
    subresource: r.subresource ?? "",
    name: r.name ?? "",
  };
}

/** Bindings whose subjects include this identity, for a request in `namespace` (CRBs first, as VisitRulesFor). */
export function bindingsFor(idx: RbacIndex, who: UserInfo, namespace: string): RbacBinding[] {
  const keys = [`u:${who.user}`, ...who.groups.map((g) => `g:${g}`)];
  const seen = new Set<RbacBinding>();
  const crb: RbacBinding[] = [];
  const rb: RbacBinding[] = [];
  for (const k of keys) {
    for (const b of idx.clusterBySubject.get(k) ?? [])
      if (!seen.has(b)) {
        seen.add(b);
        crb.push(b);
      }
    // RoleBindings are consulted only for namespaced requests (VisitRulesFor: `if len(namespace) > 0`), which is
    // also why nonResourceURLs can only be granted through a ClusterRoleBinding.
    if (namespace !== "")
      for (const b of idx.namespacedBySubject.get(`${namespace}\u0000${k}`) ?? [])
        if (!seen.has(b)) {
          seen.add(b);
          rb.push(b);
        }
  }
  const order = (a: RbacBinding, b: RbacBinding) =>
    cmp(a.namespace ?? "", b.namespace ?? "") || cmp(a.name, b.name);
  return [...crb.sort(order), ...rb.sort(order)];
}

const roleRef = (r: RbacRole): ResourceRef => r.ref;

/** Authorize one request against the index exactly as the RBAC authorizer would (plus system:masters). */
export function authorize(idx: RbacIndex, who: UserInfo, req: RequestAttributes): CanIResult {
  const reasons: Reason[] = [];
  const ns = req.nonResourceURL !== undefined ? "" : (req.namespace ?? "");
  for (const b of bindingsFor(idx, who, ns)) {
    if (!b.role) continue; // a binding to a missing role grants nothing
    for (const rule of b.role.rules)
      if (ruleAllows(req, rule)) reasons.push({ binding: b.ref, role: roleRef(b.role), rule });
  }
  const result: CanIResult = { allowed: reasons.length > 0, reasons };
  if (who.groups.includes(SYSTEM_MASTERS)) {
    // kube-apiserver puts a privileged-group authorizer for system:masters ahead of RBAC
    // (pkg/kubeapiserver/authorizer: authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)).
    result.allowed = true;
    result.privilegedGroup = SYSTEM_MASTERS;
  }
  return result;
}

/**
 * `kubectl auth can-i` against the inventory. The identity is `user` with `groups`, or the impersonation
 * defaults when no group is given (as `kubectl --as` does).
 */
export function canI(idx: RbacIndex, req: CanIRequest): CanIResult {
  return authorize(idx, impersonatedUserInfo(req.user, req.groups ?? []), toAttributes(req));
}

export interface WhoCanRequest {
  verb: string;
  resource?: string | undefined;
  subresource?: string | undefined;
  namespace?: string | undefined;
  apiGroup?: string | undefined;
  name?: string | undefined;
  nonResourceURL?: string | undefined;
}

export interface WhoCanSubject {
  kind: SubjectKind;
  name: string;
  namespace?: string;
  via: { binding: ResourceRef; role: ResourceRef }[];
}

/** Roles that may contain a rule allowing this request: indexed by resource token, never a full scan. */
function candidateRoles(idx: RbacIndex, req: RequestAttributes): RbacRole[] {
  if (req.nonResourceURL !== undefined) return idx.rolesWithNonResource;
  const sub = req.subresource ?? "";
  const combined = sub !== "" ? `${req.resource ?? ""}/${sub}` : (req.resource ?? "");
  const tokens = ["*", combined];
  if (sub !== "") tokens.push(`*/${sub}`);
  const out = new Set<RbacRole>();
  for (const t of tokens) for (const r of idx.rolesByResource.get(t) ?? []) out.add(r);
  return [...out];
}

/**
 * Every subject that a binding grants the request to (upstream `SubjectAccessEvaluator.AllowedSubjects`),
 * with the bindings that grant it. ServiceAccount subjects carry their resolved namespace. The group
 * system:masters is always included (via nothing), as upstream does.
 */
export function whoCan(idx: RbacIndex, req: WhoCanRequest): { subjects: WhoCanSubject[] } {
  const attrs = toAttributes(req);
  const ns = attrs.nonResourceURL !== undefined ? "" : (attrs.namespace ?? "");
  const bySubject = new Map<string, WhoCanSubject>();
  const masters: WhoCanSubject = { kind: "Group", name: SYSTEM_MASTERS, via: [] };
  bySubject.set(subjectKey(masters), masters);
  for (const role of candidateRoles(idx, attrs)) {
    if (!role.rules.some((r) => ruleAllows(attrs, r))) continue;
    const rk = roleKey(role.kind, role.namespace, role.name);
    const scoped = idx.bindingsByRoleScope.get(`${rk}\u0000`) ?? [];
    // RoleBindings count only for a namespaced request, and only those in that namespace.
    const inNs = ns !== "" ? (idx.bindingsByRoleScope.get(`${rk}\u0000${ns}`) ?? []) : [];
    for (const b of [...scoped, ...inNs]) {
      if (b.role !== role) continue;
      for (const s of b.subjects) {
        if (subjectIndexKey(s, b.namespace) === undefined) continue;
        const resolved: Subject = { kind: s.kind, name: s.name };
        const sns = subjectNamespace(s, b);
        if (sns !== undefined) resolved.namespace = sns;
        const k = subjectKey(resolved);
        let entry = bySubject.get(k);
        if (!entry) {
          entry = { kind: resolved.kind, name: resolved.name, via: [] };
          if (sns !== undefined) entry.namespace = sns;
          bySubject.set(k, entry);
        }
        if (!entry.via.some((v) => v.binding === b.ref)) entry.via.push({ binding: b.ref, role: role.ref });
      }
    }
  }
  const refOrder = (a: ResourceRef, b: ResourceRef) =>
    cmp(a.kind, b.kind) || cmp(a.namespace ?? "", b.namespace ?? "") || cmp(a.name, b.name);
  const subjects = [...bySubject.values()]
    .map((s) => ({ ...s, via: s.via.sort((a, b) => refOrder(a.binding, b.binding)) }))
    .sort((a, b) => cmp(a.kind, b.kind) || cmp(a.namespace ?? "", b.namespace ?? "") || cmp(a.name, b.name));
  return { subjects };
}

export interface EffectivePermissions {
  subject: Subject;
  identity: UserInfo;
  /** Every rule granted to the identity; `namespace` absent = cluster-wide. Sorted by binding. */
  grants: { namespace?: string; binding: ResourceRef; role: ResourceRef; rule: PolicyRule }[];
  /** Bindings naming the identity whose role does not exist (they grant nothing). */
  danglingBindings: ResourceRef[];
}

/**
 * The bindings naming an identity (as a user, ServiceAccount username or group) across every namespace, sorted by
 * kind, namespace and name.
 */
export function bindingsOf(idx: RbacIndex, who: UserInfo): RbacBinding[] {
  const keys = [`u:${who.user}`, ...who.groups.map((g) => `g:${g}`)];
  const seen = new Set<RbacBinding>();
  const list: RbacBinding[] = [];
  for (const k of keys) {
    for (const b of idx.clusterBySubject.get(k) ?? [])
      if (!seen.has(b)) {
        seen.add(b);
        list.push(b);
      }
    for (const b of idx.allNamespacedBySubject.get(k) ?? [])
      if (!seen.has(b)) {
        seen.add(b);
        list.push(b);
      }
  }
  return list.sort(
    (a, b) => cmp(a.kind, b.kind) || cmp(a.namespace ?? "", b.namespace ?? "") || cmp(a.name, b.name),
  );
}

/** Raw grants of an identity across every namespace. */
export function grantsFor(idx: RbacIndex, who: UserInfo): { grants: Grant[]; dangling: RbacBinding[] } {
  const list = bindingsOf(idx, who);
  const grants: Grant[] = [];
  const dangling: RbacBinding[] = [];
  for (const b of list) {
    if (!b.role) {
      dangling.push(b);
      continue;
    }
    for (const rule of b.role.rules) {
      const g: Grant = { binding: b, role: b.role, rule };
      if (b.namespace !== undefined) g.namespace = b.namespace;
      grants.push(g);
    }
  }
  return { grants, dangling };
}

/**
 * Effective permissions of a subject: every rule reaching it through any binding, with its scope. A
 * ServiceAccount includes its implicit groups and system:authenticated; a User includes system:authenticated
 * (other groups come from the identity provider and are not known); a Group is just that group.
 */
export function effectivePermissions(idx: RbacIndex, subject: Subject): EffectivePermissions {
  const identity = subjectUserInfo(subject);
  const { grants, dangling } = grantsFor(idx, identity);
  return {
    subject,
    identity,
    grants: grants.map((g) => {
      const out: EffectivePermissions["grants"][number] = {
        binding: g.binding.ref,
        role: g.role.ref,
        rule: g.rule,
      };
      if (g.namespace !== undefined) out.namespace = g.namespace;
      return out;
    }),
    danglingBindings: dangling.map((b) => b.ref),
  };
}

/** Does a set of grants allow the request? (Same scoping as the authorizer: namespaced grants need that namespace.) */
export function grantsAllow<G extends { namespace?: string; rule: PolicyRule }>(
  grants: readonly G[],
  req: RequestAttributes,
): G | undefined {
  const ns = req.nonResourceURL !== undefined ? "" : (req.namespace ?? "");
  for (const g of grants) {
    if (g.namespace !== undefined && g.namespace !== ns) continue;
    if (ruleAllows(req, g.rule)) return g;
  }
  return undefined;
}
