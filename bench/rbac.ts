/**
 * RBAC at scale: a generated cluster with 3k roles (ClusterRoles incl. aggregated ones and namespaced Roles)
 * and 10k bindings (RoleBindings to Roles and ClusterRoles, ClusterRoleBindings) over users, groups and
 * ServiceAccounts. Measures the effective-permission graph build (time, heap and RSS delta), who-can and
 * can-i latency (p50/p99 over random requests), findings and escalation paths.
 *
 *   npx tsx bench/rbac.ts [bindings=10000] [roles=3000]
 *   DEFAULT_ROLES=1 npx tsx bench/rbac.ts   # with the API server's bootstrap policy assumed, as scan does
 * Targets (issue 5): build < 2 s and < 200 MB; who-can < 50 ms.
 */
import { buildInventory, type RawObject } from "../src/core/inventory/index.js";
import { buildRbacIndex, canI, escalationPaths, rbacFindings, whoCan } from "../src/core/rbac/index.js";

const B = Number(process.argv[2] ?? 10_000);
const R = Number(process.argv[3] ?? 3_000);
const NS = 200;
const RB = "rbac.authorization.k8s.io";

let seed = 7;
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];
const RES: [string, string][] = [
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
const ns = (i: number) => `team-${i}`;
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
for (let i = 0; i < NS; i++) objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns(i) } });
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
const inv = buildInventory(objects.map((object): RawObject => ({ object })));

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const rss0 = process.memoryUsage().rss;
let t0 = performance.now();
const idx = buildRbacIndex(inv, process.env.DEFAULT_ROLES ? { defaultRoles: {} } : {});
const buildMs = performance.now() - t0;
const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
const rssMb = (process.memoryUsage().rss - rss0) / 1e6;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const Q = 2000;
const whoTimes: number[] = [];
let subjectsSeen = 0;
for (let i = 0; i < Q; i++) {
  const [g, res] = pick(RES);
  const [resource, subresource] = res.split("/") as [string, string | undefined];
  const req = {
    verb: pick(VERBS),
    apiGroup: g,
    resource,
    subresource,
    namespace: i % 4 === 0 ? "" : ns(Math.floor(rand() * NS)),
  };
  t0 = performance.now();
  subjectsSeen += whoCan(idx, req).subjects.length;
  whoTimes.push(performance.now() - t0);
}
const canTimes: number[] = [];
for (let i = 0; i < Q; i++) {
  const [g, res] = pick(RES);
  const [resource, subresource] = res.split("/") as [string, string | undefined];
  const user =
    rand() < 0.5
      ? pick(users)
      : `system:serviceaccount:${ns(Math.floor(rand() * NS))}:sa-${Math.floor(rand() * 20)}`;
  t0 = performance.now();
  canI(idx, {
    user,
    groups: [pick(groups), "system:authenticated"],
    verb: pick(VERBS),
    apiGroup: g,
    resource,
    subresource,
    namespace: ns(Math.floor(rand() * NS)),
  });
  canTimes.push(performance.now() - t0);
}
t0 = performance.now();
const paths = escalationPaths(idx);
const pathsMs = performance.now() - t0;
t0 = performance.now();
const f = rbacFindings(inv, idx);
const findingsMs = performance.now() - t0;

console.log(
  `rbac bench: ${B} bindings, ${R} roles (${clusterRoleCount} ClusterRoles), ${NS} namespaces; node ${process.version}`,
);
console.log(
  `build effective-permission graph: ${buildMs.toFixed(0)} ms, heap +${heapMb.toFixed(1)} MB, rss +${rssMb.toFixed(1)} MB`,
);
console.log(
  `who-can (${Q} random requests, avg ${(subjectsSeen / Q).toFixed(1)} subjects): p50 ${pct(whoTimes, 50).toFixed(3)} ms, p99 ${pct(whoTimes, 99).toFixed(3)} ms, max ${pct(whoTimes, 100).toFixed(3)} ms`,
);
console.log(
  `can-i (${Q} random requests): p50 ${pct(canTimes, 50).toFixed(3)} ms, p99 ${pct(canTimes, 99).toFixed(3)} ms`,
);
console.log(`escalation paths: ${paths.length} subjects reach cluster-admin, ${pathsMs.toFixed(0)} ms`);
console.log(`findings (incl. escalation): ${f.findings.length} findings, ${findingsMs.toFixed(0)} ms`);

// The whole commands, as users run them (process start, loading the file, analysis, output): RBAC findings and
// escalation paths in `scan`, and `rbac paths`. Needs `npm run build`.
{
  const { BUNDLE, compare, writeList } = await import("./cli-run.js");
  const { file, cleanup } = writeList(objects);
  try {
    compare(`whole commands, ${B} bindings / ${R} roles`, [
      ["node -e 0", ["-e", "0"]],
      ["palisade scan cluster.json -o json", [BUNDLE, "scan", file, "-o", "json"]],
      ["palisade rbac paths --snapshot cluster.json", [BUNDLE, "rbac", "paths", "--snapshot", file]],
    ]);
  } finally {
    cleanup();
  }
}
