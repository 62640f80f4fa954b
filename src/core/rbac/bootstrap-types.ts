/** Shapes of the generated bootstrap-policy data (bootstrap-data.ts). */

/** A rule: [verbs, apiGroups, resources, resourceNames, nonResourceURLs]. */
export type BootstrapRuleRow = readonly [
  readonly string[],
  readonly string[],
  readonly string[],
  readonly string[],
  readonly string[],
];

/** One distinct bootstrap object and the minor versions (inclusive [from, to] pairs) it exists in. */
export interface BootstrapEntry {
  readonly v: readonly number[];
  readonly kind: "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding";
  readonly namespace?: string;
  readonly name: string;
  /** Labels besides kubernetes.io/bootstrapping=rbac-defaults. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Indexes into bootstrapRules(), in upstream order. */
  readonly rules?: readonly number[];
  /** aggregationRule.clusterRoleSelectors, as matchLabels maps. */
  readonly aggregate?: readonly Readonly<Record<string, string>>[];
  /** [kind, name] */
  readonly roleRef?: readonly [string, string] | readonly string[];
  /** [kind, name] or [kind, name, namespace] */
  readonly subjects?: readonly (readonly string[])[];
}
