import { buildInventory, type Inventory } from "../../inventory/index.js";

const RBAC = "rbac.authorization.k8s.io/v1";
type Rule = { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };

/** `newRule("verbs", "groups", "resources")` in the shape of upstream rbac_test.go (comma-separated lists). */
export function rule(verbs: string, apiGroups: string, resources: string, resourceNames?: string): Rule {
  const r: Rule = { verbs: verbs.split(","), apiGroups: apiGroups.split(","), resources: resources.split(",") };
  if (resourceNames !== undefined) r.resourceNames = resourceNames.split(",");
  return r;
}
export function urlRule(verbs: string, urls: string): Rule {
  return { verbs: verbs.split(","), nonResourceURLs: urls.split(",") };
}

export function clusterRole(name: string, rules: Rule[], extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) {
  return { apiVersion: RBAC, kind: "ClusterRole", metadata: { name, labels }, rules, ...extra };
}
export function role(namespace: string, name: string, rules: Rule[]) {
  return { apiVersion: RBAC, kind: "Role", metadata: { name, namespace }, rules };
}

/** Subjects as "User:alice", "Group:devs", "ServiceAccount:ns/name" or "ServiceAccount:name" (no namespace). */
function subjects(list: string[]) {
  return list.map((s) => {
    const [kind, rest] = s.split(/:(.*)/s) as [string, string];
    if (kind === "ServiceAccount") {
      const [a, b] = rest.split("/");
      return b === undefined ? { kind, name: a } : { kind, namespace: a, name: b };
    }
    return { kind, apiGroup: "rbac.authorization.k8s.io", name: rest };
  });
}
export function clusterRoleBinding(name: string, roleName: string, subs: string[]) {
  return {
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects: subjects(subs),
  };
}
export function roleBinding(namespace: string, name: string, roleKind: "Role" | "ClusterRole", roleName: string, subs: string[]) {
  return {
    apiVersion: RBAC,
    kind: "RoleBinding",
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: roleName },
    subjects: subjects(subs),
  };
}
export function serviceAccount(namespace: string, name: string) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } };
}

export function inventory(objects: Record<string, unknown>[]): Inventory {
  return buildInventory(objects.map((object) => ({ object })));
}
