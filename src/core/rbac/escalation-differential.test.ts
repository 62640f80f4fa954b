/**
 * Differential tests of the escalation graph: the indexed evaluator (`escalationPaths`: per-rule answers asked
 * once, namespaces of every request gathered in one pass, lazily written edge details) must give exactly the paths
 * of the straightforward one it replaced (escalation-reference.ts), steps, details and bindings included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pickWith, prng } from "../../../test/support/prng.js";
import { referenceEscalationPaths } from "./__fixtures__/escalation-reference.js";
import { inventory } from "./__fixtures__/helpers.js";
import { buildRbacIndex, type RbacBuildOptions } from "./build.js";
import { escalationPaths } from "./escalation.js";

const RB = "rbac.authorization.k8s.io";
const NAMESPACES = ["n1", "n2", "n3"];
const VERBS = ["create", "get", "list", "update", "patch", "impersonate", "bind", "escalate", "approve", "*"];
const GROUPS = ["", "apps", "batch", RB, "certificates.k8s.io", "*"];
const RESOURCES = [
  "pods",
  "pods/exec",
  "pods/attach",
  "*/exec",
  "deployments",
  "cronjobs",
  "serviceaccounts/token",
  "secrets",
  "users",
  "groups",
  "serviceaccounts",
  "roles",
  "clusterroles",
  "rolebindings",
  "clusterrolebindings",
  "nodes/proxy",
  "certificatesigningrequests",
  "certificatesigningrequests/approval",
  "signers",
  "*",
];
const NAMES = [
  "sa1",
  "default",
  "u1",
  "g1",
  "system:masters",
  "cr0",
  "cr1",
  "r0",
  "tok-sa1",
  "kubernetes.io/kube-apiserver-client",
  "kubernetes.io/*",
];
const SUBJECTS = [
  { kind: "User", apiGroup: RB, name: "u1" },
  { kind: "User", apiGroup: RB, name: "u2" },
  { kind: "Group", apiGroup: RB, name: "g1" },
  { kind: "Group", apiGroup: RB, name: "g2" },
  { kind: "Group", apiGroup: RB, name: "system:masters" },
  { kind: "Group", apiGroup: RB, name: "system:serviceaccounts:n1" },
  { kind: "ServiceAccount", name: "sa1", namespace: "n1" },
  { kind: "ServiceAccount", name: "default", namespace: "n2" },
  { kind: "ServiceAccount", name: "sa2", namespace: "n3" },
  { kind: "ServiceAccount", name: "sa1" },
];

const arbRule = fc.record({
  verbs: fc.uniqueArray(fc.constantFrom(...VERBS), { minLength: 1, maxLength: 3 }),
  apiGroups: fc.uniqueArray(fc.constantFrom(...GROUPS), { minLength: 1, maxLength: 2 }),
  resources: fc.uniqueArray(fc.constantFrom(...RESOURCES), { minLength: 1, maxLength: 3 }),
  resourceNames: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 1 }),
});
const arbSubjects = fc.uniqueArray(fc.constantFrom(...SUBJECTS), { minLength: 1, maxLength: 3 });

/** A random world where every mechanism can occur: roles, bindings, accounts, running workloads, token Secrets. */
const arbWorld = fc
  .record({
    clusterRoles: fc.array(fc.array(arbRule, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
    roles: fc.array(
      fc.record({
        ns: fc.constantFrom(...NAMESPACES),
        rules: fc.array(arbRule, { minLength: 1, maxLength: 3 }),
      }),
      { maxLength: 4 },
    ),
    crbs: fc.array(fc.record({ role: fc.nat(4), subjects: arbSubjects }), { maxLength: 5 }),
    rbs: fc.array(
      fc.record({
        ns: fc.constantFrom(...NAMESPACES),
        cluster: fc.boolean(),
        role: fc.nat(4),
        subjects: arbSubjects,
      }),
      { maxLength: 6 },
    ),
    adminFor: fc.constantFrom("sa1", "sa2", "default", "none"),
    running: fc.uniqueArray(fc.constantFrom("n1/sa1", "n2/default", "n3/sa2", "n3/other"), { maxLength: 3 }),
    tokens: fc.uniqueArray(fc.constantFrom("n1/sa1", "n2/default", "n3/sa2"), { maxLength: 2 }),
  })
  .map((w) => {
    const objs: Record<string, unknown>[] = [];
    for (const ns of NAMESPACES) objs.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    objs.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa1", namespace: "n1" } });
    for (const [i, rules] of w.clusterRoles.entries())
      objs.push({ apiVersion: `${RB}/v1`, kind: "ClusterRole", metadata: { name: `cr${i}` }, rules });
    objs.push({
      apiVersion: `${RB}/v1`,
      kind: "ClusterRole",
      metadata: { name: "root" },
      rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
    });
    if (w.adminFor !== "none")
      objs.push({
        apiVersion: `${RB}/v1`,
        kind: "ClusterRoleBinding",
        metadata: { name: "root" },
        roleRef: { apiGroup: RB, kind: "ClusterRole", name: "root" },
        subjects: [SUBJECTS.find((s) => s.name === w.adminFor)],
      });
    for (const [i, r] of w.roles.entries())
      objs.push({
        apiVersion: `${RB}/v1`,
        kind: "Role",
        metadata: { name: `r${i}`, namespace: r.ns },
        rules: r.rules,
      });
    for (const [i, b] of w.crbs.entries())
      objs.push({
        apiVersion: `${RB}/v1`,
        kind: "ClusterRoleBinding",
        metadata: { name: `crb${i}` },
        roleRef: { apiGroup: RB, kind: "ClusterRole", name: `cr${b.role}` },
        subjects: b.subjects.filter((s) => s.kind !== "ServiceAccount" || s.namespace !== undefined),
      });
    for (const [i, b] of w.rbs.entries())
      objs.push({
        apiVersion: `${RB}/v1`,
        kind: "RoleBinding",
        metadata: { name: `rb${i}`, namespace: b.ns },
        roleRef: {
          apiGroup: RB,
          kind: b.cluster ? "ClusterRole" : "Role",
          name: `${b.cluster ? "cr" : "r"}${b.role}`,
        },
        subjects: b.subjects,
      });
    for (const r of w.running) {
      const [ns, sa] = r.split("/") as [string, string];
      objs.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: `run-${sa}`, namespace: ns },
        spec: { template: { spec: { serviceAccountName: sa, containers: [{ name: "c", image: "x:1" }] } } },
      });
    }
    for (const t of w.tokens) {
      const [ns, sa] = t.split("/") as [string, string];
      objs.push({
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/service-account-token",
        metadata: {
          name: `tok-${sa}`,
          namespace: ns,
          annotations: { "kubernetes.io/service-account.name": sa },
        },
      });
    }
    return objs;
  });

const both = (objs: Record<string, unknown>[], build: RbacBuildOptions = {}, maxNodes?: number) => {
  const opts = maxNodes === undefined ? {} : { maxNodes };
  const idxA = buildRbacIndex(inventory(objs), build);
  const idxB = buildRbacIndex(inventory(objs), build);
  return {
    got: { paths: escalationPaths(idxA, opts), coverage: idxA.coverage },
    want: { paths: referenceEscalationPaths(idxB, opts), coverage: idxB.coverage },
  };
};

/** A larger cluster from a fixed seed, shaped like bench/rbac.ts: many overlapping grants per identity. */
function generated(bindings: number, roles: number): Record<string, unknown>[] {
  const rand = prng(11);
  const pick = pickWith(rand);
  const ns = (i: number) => `team-${i}`;
  const NS = 20;
  const rule = () => ({
    apiGroups: [pick(GROUPS)],
    resources: [...new Set([pick(RESOURCES), pick(RESOURCES)])],
    verbs: [...new Set([pick(VERBS), pick(VERBS)])],
    ...(rand() < 0.15 ? { resourceNames: [pick(NAMES)] } : {}),
  });
  const objs: Record<string, unknown>[] = [];
  for (let i = 0; i < NS; i++) objs.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns(i) } });
  const clusterRoles = Math.round(roles * 0.3);
  for (let i = 0; i < clusterRoles; i++)
    objs.push({
      apiVersion: `${RB}/v1`,
      kind: "ClusterRole",
      metadata: { name: `cr${i}` },
      rules: Array.from({ length: 1 + Math.floor(rand() * 4) }, rule),
    });
  for (let i = clusterRoles; i < roles; i++)
    objs.push({
      apiVersion: `${RB}/v1`,
      kind: "Role",
      metadata: { name: `r${i}`, namespace: ns(i % NS) },
      rules: Array.from({ length: 1 + Math.floor(rand() * 4) }, rule),
    });
  const subject = () => {
    const x = rand();
    if (x < 0.35) return { kind: "User", apiGroup: RB, name: `user-${Math.floor(rand() * 100)}` };
    if (x < 0.5) return { kind: "Group", apiGroup: RB, name: `group-${Math.floor(rand() * 10)}` };
    return {
      kind: "ServiceAccount",
      name: `sa-${Math.floor(rand() * 5)}`,
      namespace: ns(Math.floor(rand() * NS)),
    };
  };
  for (let i = 0; i < bindings; i++) {
    const subjects = Array.from({ length: 1 + Math.floor(rand() * 3) }, subject);
    if (i % 10 === 0)
      objs.push({
        apiVersion: `${RB}/v1`,
        kind: "ClusterRoleBinding",
        metadata: { name: `crb-${i}` },
        roleRef: {
          apiGroup: RB,
          kind: "ClusterRole",
          name: i % 200 === 0 ? "cluster-admin" : `cr${Math.floor(rand() * clusterRoles)}`,
        },
        subjects,
      });
    else {
      const cluster = rand() < 0.5;
      const r = clusterRoles + Math.floor(rand() * (roles - clusterRoles));
      objs.push({
        apiVersion: `${RB}/v1`,
        kind: "RoleBinding",
        metadata: { name: `rb-${i}`, namespace: cluster ? ns(Math.floor(rand() * NS)) : ns(r % NS) },
        roleRef: {
          apiGroup: RB,
          kind: cluster ? "ClusterRole" : "Role",
          name: cluster ? `cr${Math.floor(rand() * clusterRoles)}` : `r${r}`,
        },
        subjects,
      });
    }
  }
  for (let i = 0; i < NS; i++) {
    objs.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "app", namespace: ns(i) },
      spec: {
        template: { spec: { serviceAccountName: `sa-${i % 5}`, containers: [{ name: "c", image: "x:1" }] } },
      },
    });
    if (i % 3 === 0)
      objs.push({
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/service-account-token",
        metadata: {
          name: "tok-sa1",
          namespace: ns(i),
          annotations: { "kubernetes.io/service-account.name": "sa-1" },
        },
      });
  }
  return objs;
}

describe("escalation paths: indexed evaluator against the reference", () => {
  it("random worlds exercising every mechanism", () => {
    fc.assert(
      fc.property(arbWorld, (objs) => {
        const { got, want } = both(objs);
        expect(got).toEqual(want);
      }),
      { numRuns: 600 },
    );
  });

  it("random worlds with the bootstrap policy assumed", () => {
    fc.assert(
      fc.property(arbWorld, (objs) => {
        const { got, want } = both(objs, { defaultRoles: {} });
        expect(got).toEqual(want);
      }),
      { numRuns: 40 },
    );
  });

  it("random worlds over a small node budget (same nodes kept, same coverage)", () => {
    fc.assert(
      fc.property(arbWorld, fc.integer({ min: 1, max: 30 }), (objs, maxNodes) => {
        const { got, want } = both(objs, {}, maxNodes);
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it("a generated cluster of 600 bindings and 150 roles, bootstrap policy assumed", () => {
    const { got, want } = both(generated(600, 150), { defaultRoles: {} });
    expect(got.paths.length).toBeGreaterThan(100);
    expect(new Set(got.paths.flatMap((p) => p.steps.map((s) => s.mechanism))).size).toBeGreaterThan(5);
    expect(got).toEqual(want);
  });
});
