import type { CoverageEntry, ResourceRef } from "../findings/index.js";
import type { KObject, Labels } from "../inventory/index.js";
import type { Selector } from "../k8s/index.js";

/**
 * An RBAC PolicyRule (rbac.authorization.k8s.io/v1). Absent lists are normalised to `[]`, which is how the
 * authorizer treats them (`VerbMatches` over an empty list is false; `ResourceNameMatches` over an empty list
 * is true).
 */
export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

export type SubjectKind = "User" | "Group" | "ServiceAccount";

/** A binding subject after v1 defaulting (User/Group apiGroup defaults to rbac.authorization.k8s.io). */
export interface Subject {
  kind: SubjectKind;
  name: string;
  /** ServiceAccount only. In a RoleBinding an empty namespace means the binding's namespace (see `appliesToUser`). */
  namespace?: string;
}

/** A validated Role or ClusterRole. */
export interface RbacRole {
  kind: "Role" | "ClusterRole";
  ref: ResourceRef;
  /** Namespace of a Role; absent for a ClusterRole. */
  namespace?: string;
  name: string;
  labels: Labels;
  /** Effective rules: for an aggregated ClusterRole, the aggregation controller's result. */
  rules: PolicyRule[];
  /** Rules as written in the object (differs from `rules` for aggregated ClusterRoles). */
  declaredRules: PolicyRule[];
  aggregationRule?: Selector[];
  object: KObject;
  /** Not in the input: assumed from the API server's bootstrap policy (see bootstrap.ts). */
  builtin?: true;
}

/** A validated RoleBinding or ClusterRoleBinding. */
export interface RbacBinding {
  kind: "RoleBinding" | "ClusterRoleBinding";
  ref: ResourceRef;
  /** Namespace of a RoleBinding; absent for a ClusterRoleBinding. */
  namespace?: string;
  name: string;
  roleRef: { kind: "Role" | "ClusterRole"; name: string };
  subjects: Subject[];
  /** The referenced role, when it exists in the inventory. A binding to a missing role grants nothing. */
  role?: RbacRole;
  object: KObject;
  /** Not in the input: assumed from the API server's bootstrap policy (see bootstrap.ts). */
  builtin?: true;
}

/** An authenticated identity as the authorizer sees it (`user.Info`). */
export interface UserInfo {
  user: string;
  groups: string[];
}

/** One rule that applies to an identity, with where it came from. `namespace` absent = cluster-wide. */
export interface Grant {
  binding: RbacBinding;
  role: RbacRole;
  rule: PolicyRule;
  namespace?: string;
}

/** The effective-permission graph: validated objects plus the indexes that make queries sub-linear. */
export interface RbacIndex {
  roles: Map<string, RbacRole>;
  clusterRoles: Map<string, RbacRole>;
  /** Every valid binding, sorted (ClusterRoleBindings first, then by namespace and name). */
  bindings: RbacBinding[];
  /** ClusterRoleBindings by subject key (`u:NAME` for users and ServiceAccount usernames, `g:NAME` for groups). */
  clusterBySubject: Map<string, RbacBinding[]>;
  /** RoleBindings by `NAMESPACE\0subject key`. */
  namespacedBySubject: Map<string, RbacBinding[]>;
  /** RoleBindings by subject key over every namespace (effective permissions). */
  allNamespacedBySubject: Map<string, RbacBinding[]>;
  /** Bindings by the key of the role they reference (`Role/ns/name` or `ClusterRole/name`). */
  bindingsByRole: Map<string, RbacBinding[]>;
  /** Bindings by `role key\0binding namespace` ("" for ClusterRoleBindings): who-can reads only the scope asked. */
  bindingsByRoleScope: Map<string, RbacBinding[]>;
  /** Roles having a rule that names this resource token (`pods`, `pods/exec`, `*`, `*\/exec`). */
  rolesByResource: Map<string, RbacRole[]>;
  /** Roles with at least one nonResourceURLs rule. */
  rolesWithNonResource: RbacRole[];
  /** ServiceAccounts known from the inventory, as `ns/name`. */
  serviceAccounts: Set<string>;
  /** Namespaces known from the inventory and from bindings/roles/ServiceAccounts. */
  namespaces: string[];
  /** ServiceAccount token Secrets (`kubernetes.io/service-account-token`): reading one yields that identity. */
  tokenSecrets: { namespace: string; name: string; serviceAccount: string }[];
  /** ServiceAccounts that workloads in the inventory run as, by namespace (exec/attach/kubelet targets). */
  runningServiceAccounts: Map<string, Set<string>>;
  coverage: CoverageEntry[];
  /** The Kubernetes version (`v1.N`) whose bootstrap policy was assumed, when defaults were added. */
  assumedVersion?: string;
}

export const RBAC_GROUP = "rbac.authorization.k8s.io";
