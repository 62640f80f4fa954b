/**
 * Effective permissions of one subject, grouped for presentation: cluster-wide grants (ClusterRoleBindings), then
 * per namespace (RoleBindings), each binding with the rules of its role, plus the bindings that name the subject
 * but reference a missing role. Pure and deterministic: the same index gives the same report.
 */
import { cmp, type ResourceRef } from "../findings/index.js";
import { SYSTEM_MASTERS, subjectUserInfo } from "./identity.js";
import type { PolicyRule, RbacBinding, RbacIndex, Subject, UserInfo } from "./model.js";
import { isValidNamespaceName, isValidServiceAccountName } from "./parse.js";
import { grantsFor } from "./query.js";

/** One binding reaching the subject and the rules its role grants through it. */
export interface BindingGrants {
  binding: ResourceRef;
  role: ResourceRef;
  /** The role's effective rules (aggregation resolved), in the role's order. */
  rules: PolicyRule[];
  /**
   * Rules of the role that this binding cannot grant: nonResourceURLs rules reached through a RoleBinding. The
   * authorizer consults RoleBindings only for namespaced requests and a non-resource request has no namespace
   * (`VisitRulesFor` in plugin/pkg/auth/authorizer/rbac/rbac.go), so these rules are inert. Present only when
   * non-empty.
   */
  inertRules?: PolicyRule[];
}

/** The grouped effective permissions of a subject (see module comment). */
export interface PermissionsReport {
  subject: Subject;
  /** The identity evaluated: for a ServiceAccount its username, implicit groups and system:authenticated. */
  identity: UserInfo;
  /** Set when the report is limited to one namespace (cluster-wide grants apply there too and are kept). */
  namespace?: string;
  /** Set when the identity is in system:masters: allowed everything by the privileged-group authorizer. */
  privilegedGroup?: string;
  clusterWide: BindingGrants[];
  namespaces: { namespace: string; bindings: BindingGrants[] }[];
  /** Bindings naming the subject whose role does not exist: they grant nothing (a hygiene finding). */
  danglingBindings: { binding: ResourceRef; roleRef: { kind: "Role" | "ClusterRole"; name: string } }[];
}

const bindingOrder = (a: RbacBinding, b: RbacBinding): number =>
  cmp(a.kind, b.kind) || cmp(a.namespace ?? "", b.namespace ?? "") || cmp(a.name, b.name);

/**
 * Every grant reaching `subject`, grouped by scope and binding. With `namespace`, only what applies in that
 * namespace: cluster-wide grants plus the RoleBindings of that namespace.
 */
export function permissionsReport(
  idx: RbacIndex,
  subject: Subject,
  opts: { namespace?: string | undefined } = {},
): PermissionsReport {
  const identity = subjectUserInfo(subject);
  const { grants, dangling } = grantsFor(idx, identity);
  const inScope = (b: RbacBinding) =>
    opts.namespace === undefined || b.namespace === undefined || b.namespace === opts.namespace;
  const byBinding = new Map<RbacBinding, BindingGrants>();
  for (const g of grants) {
    if (!inScope(g.binding)) continue;
    let entry = byBinding.get(g.binding);
    if (!entry) {
      entry = { binding: g.binding.ref, role: g.role.ref, rules: [] };
      byBinding.set(g.binding, entry);
    }
    if (g.binding.kind === "RoleBinding" && g.rule.nonResourceURLs.length > 0) {
      entry.inertRules = [...(entry.inertRules ?? []), g.rule];
    } else entry.rules.push(g.rule);
  }
  const clusterWide: BindingGrants[] = [];
  const perNs = new Map<string, BindingGrants[]>();
  for (const b of [...byBinding.keys()].sort(bindingOrder)) {
    const entry = byBinding.get(b) as BindingGrants;
    if (b.namespace === undefined) clusterWide.push(entry);
    else {
      const list = perNs.get(b.namespace) ?? [];
      list.push(entry);
      perNs.set(b.namespace, list);
    }
  }
  const report: PermissionsReport = {
    subject,
    identity,
    clusterWide: [],
    namespaces: [],
    danglingBindings: [],
  };
  if (opts.namespace !== undefined) report.namespace = opts.namespace;
  // kube-apiserver's privileged-group authorizer allows system:masters before RBAC is consulted.
  if (identity.groups.includes(SYSTEM_MASTERS)) report.privilegedGroup = SYSTEM_MASTERS;
  report.clusterWide = clusterWide;
  report.namespaces = [...perNs.keys()].sort(cmp).map((namespace) => ({
    namespace,
    bindings: perNs.get(namespace) ?? [],
  }));
  report.danglingBindings = dangling
    .filter(inScope)
    .sort(bindingOrder)
    .map((b) => ({ binding: b.ref, roleRef: { ...b.roleRef } }));
  return report;
}

/**
 * Parse a subject argument `KIND:[NS/]NAME`: `ServiceAccount:payments/api`, `User:alice`, `Group:devs`. The kind
 * is case-insensitive. A User or Group name is taken verbatim after the first `:` (names such as
 * `system:serviceaccounts:ci` or `oidc:https://issuer/#alice` contain `:` and `/`); a ServiceAccount needs its
 * namespace (a subject outside any binding has no namespace to default to) and both parts must be valid names.
 */
export function parseSubjectArg(arg: string): { subject: Subject } | { error: string } {
  const colon = arg.indexOf(":");
  const usage = `expected KIND:[NS/]NAME with KIND User, Group or ServiceAccount, got ${JSON.stringify(arg)}`;
  if (colon <= 0) return { error: usage };
  const kind = arg.slice(0, colon).toLowerCase();
  const rest = arg.slice(colon + 1);
  if (kind === "user" || kind === "group") {
    if (rest === "") return { error: `${usage}: the name is empty` };
    return { subject: { kind: kind === "user" ? "User" : "Group", name: rest } };
  }
  if (kind !== "serviceaccount") return { error: usage };
  const slash = rest.indexOf("/");
  if (slash < 0)
    return {
      error: `a ServiceAccount subject needs its namespace: ServiceAccount:NAMESPACE/NAME, got ${JSON.stringify(arg)}`,
    };
  const namespace = rest.slice(0, slash);
  const name = rest.slice(slash + 1);
  if (!isValidNamespaceName(namespace))
    return { error: `${JSON.stringify(namespace)} is not a valid namespace name (DNS-1123 label)` };
  if (!isValidServiceAccountName(name))
    return { error: `${JSON.stringify(name)} is not a valid ServiceAccount name (DNS-1123 subdomain)` };
  return { subject: { kind: "ServiceAccount", namespace, name } };
}
