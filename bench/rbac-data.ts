/**
 * The generated cluster of the RBAC benchmarks (bench/rbac.ts): 3k roles (ClusterRoles incl. aggregated ones
 * and namespaced Roles) and 10k bindings (RoleBindings to Roles and ClusterRoles, ClusterRoleBindings) over
 * users, groups and ServiceAccounts, from a fixed seed so every run measures the same data.
 *
 *   npx tsx bench/rbac-data.ts OUT.json [bindings=10000] [roles=3000]   # write it as a `kubectl get -o json` List
 */
import { writeFileSync } from "node:fs";
import { pickWith, prng } from "../test/support/prng.js";

export const NS = 200;
const RB = "rbac.authorization.k8s.io";

export const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];
export const RES: [string, string][] = [
  ["", "pods"],
  ["", "pods/log"],
  ["", "pods/exec"],
  ["", "services"],
  ["", "configmaps"],
  ["", "secrets"],
  ["", "serviceaccounts"],
  ["apps", "deployments"],
  ["apps", "statefulsets"],
  ["apps", "daemonsets"],
  ["batch", "jobs"],
  ["batch", "cronjobs"],
  ["networking.k8s.io", "ingresses"],
  ["networking.k8s.io", "networkpolicies"],
  ["autoscaling", "horizontalpodautoscalers"],
  ["policy", "poddisruptionbudgets"],
  ["example.com", "widgets"],
];
export const ns = (i: number) => `team-${i}`;

export interface RbacCluster {
  objects: Record<string, unknown>[];
  clusterRoleCount: number;
  users: string[];
  groups: string[];
  /** The generator's random stream, continued (the benchmark draws its requests from it). */
  rand: () => number;
  pick: <T>(xs: readonly T[]) => T;
}

/** The cluster for `bindings` bindings and `roles` roles (30% ClusterRoles), 200 namespaces. */
export function generateRbacCluster(B = 10_000, R = 3_000): RbacCluster {
  const rand = prng(7);
  const pick = pickWith(rand);

  const ruleGen = () => {
    const n = 1 + Math.floor(rand() * 3);
    const picked = Array.from({ length: n }, () => pick(RES));
    return {
      apiGroups: [...new Set(picked.map((p) => p[0]))],
      resources: [...new Set(picked.map((p) => p[1]))],
      verbs: [...new Set(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(VERBS)))],
      ...(rand() < 0.1 ? { resourceNames: [`obj-${Math.floor(rand() * 50)}`] } : {}),
    };
  };

  const objects: Record<string, unknown>[] = [];
  for (let i = 0; i < NS; i++)
    objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns(i) } });
  const clusterRoleCount = Math.round(R * 0.3);
  const clusterRoles: string[] = [];
  for (let i = 0; i < clusterRoleCount; i++) {
    const name = `cr-${i}`;
    clusterRoles.push(name);
    const labels: Record<string, string> = {};
    if (i % 20 === 0) labels[`agg-${i % 7}`] = "true";
    const obj: Record<string, unknown> = {
      apiVersion: `${RB}/v1`,
      kind: "ClusterRole",
      metadata: { name, labels },
      rules: Array.from({ length: 2 + Math.floor(rand() * 6) }, ruleGen),
    };
    if (i > 0 && i % 100 === 0)
      obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`agg-${i % 7}`]: "true" } }] };
    objects.push(obj);
  }
  objects.push({
    apiVersion: `${RB}/v1`,
    kind: "ClusterRole",
    metadata: { name: "cluster-admin" },
    rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
  });
  const roles: { ns: string; name: string }[] = [];
  for (let i = 0; i < R - clusterRoleCount; i++) {
    const r = { ns: ns(i % NS), name: `role-${i}` };
    roles.push(r);
    objects.push({
      apiVersion: `${RB}/v1`,
      kind: "Role",
      metadata: { name: r.name, namespace: r.ns },
      rules: Array.from({ length: 2 + Math.floor(rand() * 5) }, ruleGen),
    });
  }
  const users = Array.from({ length: 2000 }, (_, i) => `user-${i}@example.com`);
  const groups = Array.from({ length: 200 }, (_, i) => `group-${i}`);
  const subject = () => {
    const x = rand();
    if (x < 0.4) return { kind: "User", apiGroup: RB, name: pick(users) };
    if (x < 0.6) return { kind: "Group", apiGroup: RB, name: pick(groups) };
    return {
      kind: "ServiceAccount",
      name: `sa-${Math.floor(rand() * 20)}`,
      namespace: ns(Math.floor(rand() * NS)),
    };
  };
  for (let i = 0; i < B; i++) {
    const subjects = Array.from({ length: 1 + Math.floor(rand() * 3) }, subject);
    if (i % 10 === 0) {
      objects.push({
        apiVersion: `${RB}/v1`,
        kind: "ClusterRoleBinding",
        metadata: { name: `crb-${i}` },
        roleRef: {
          apiGroup: RB,
          kind: "ClusterRole",
          name: i % 1000 === 0 ? "cluster-admin" : pick(clusterRoles),
        },
        subjects,
      });
    } else if (rand() < 0.5) {
      const r = pick(roles);
      objects.push({
        apiVersion: `${RB}/v1`,
        kind: "RoleBinding",
        metadata: { name: `rb-${i}`, namespace: r.ns },
        roleRef: { apiGroup: RB, kind: "Role", name: r.name },
        subjects,
      });
    } else {
      objects.push({
        apiVersion: `${RB}/v1`,
        kind: "RoleBinding",
        metadata: { name: `rb-${i}`, namespace: ns(Math.floor(rand() * NS)) },
        roleRef: { apiGroup: RB, kind: "ClusterRole", name: pick(clusterRoles) },
        subjects,
      });
    }
  }
  return { objects, clusterRoleCount, users, groups, rand, pick };
}

if (process.argv[1] === import.meta.filename) {
  const [out, b, r] = process.argv.slice(2);
  if (!out) throw new Error("usage: npx tsx bench/rbac-data.ts OUT.json [bindings] [roles]");
  const { objects } = generateRbacCluster(Number(b ?? 10_000), Number(r ?? 3_000));
  writeFileSync(out, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}
