import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inventory } from "./__fixtures__/helpers.js";
import { buildRbacIndex } from "./build.js";
import { type RequestAttributes, ruleAllows } from "./match.js";
import type { PolicyRule } from "./model.js";
import { authorize, canI, whoCan } from "./query.js";

const RB = "rbac.authorization.k8s.io";
const VERBS = ["get", "list", "create", "delete", "*"];
const GROUPS = ["", "apps", "*"];
const RESOURCES = ["pods", "pods/exec", "*/exec", "secrets", "deployments", "*"];
const NAMES = ["a", "b"];
const NAMESPACES = ["n1", "n2"];
const USERS = ["u1", "u2", "system:serviceaccount:n1:sa1", "system:serviceaccount:n2:sa1"];
const USER_GROUPS = [
  "g1",
  "system:serviceaccounts",
  "system:serviceaccounts:n1",
  "system:authenticated",
  "system:masters",
];

const arbRule = fc.record({
  verbs: fc.uniqueArray(fc.constantFrom(...VERBS), { minLength: 1, maxLength: 2 }),
  apiGroups: fc.uniqueArray(fc.constantFrom(...GROUPS), { minLength: 1, maxLength: 2 }),
  resources: fc.uniqueArray(fc.constantFrom(...RESOURCES), { minLength: 1, maxLength: 2 }),
  resourceNames: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 1 }),
});
const arbUrlRule = fc.record({
  verbs: fc.uniqueArray(fc.constantFrom("get", "*"), { minLength: 1, maxLength: 2 }),
  nonResourceURLs: fc.uniqueArray(fc.constantFrom("/healthz", "/logs/*", "*"), {
    minLength: 1,
    maxLength: 2,
  }),
});
const arbSubject = fc.oneof(
  fc
    .constantFrom(...USERS.filter((u) => !u.startsWith("system:")))
    .map((name) => ({ kind: "User", apiGroup: RB, name })),
  fc.constantFrom(...USER_GROUPS).map((name) => ({ kind: "Group", apiGroup: RB, name })),
  fc.record({
    kind: fc.constant("ServiceAccount"),
    name: fc.constant("sa1"),
    namespace: fc.constantFrom(...NAMESPACES),
  }),
  fc.constant({ kind: "ServiceAccount", name: "sa1" }),
);

/** A random but valid RBAC world: 3 ClusterRoles, 2 Roles per namespace, some bindings. */
const arbWorld = fc
  .record({
    clusterRules: fc.array(fc.array(fc.oneof(arbRule, arbUrlRule), { minLength: 1, maxLength: 3 }), {
      minLength: 3,
      maxLength: 3,
    }),
    roleRules: fc.array(fc.array(arbRule, { minLength: 1, maxLength: 3 }), { minLength: 4, maxLength: 4 }),
    crbs: fc.array(
      fc.record({ role: fc.nat(3), subjects: fc.array(arbSubject, { minLength: 1, maxLength: 3 }) }),
      { maxLength: 4 },
    ),
    rbs: fc.array(
      fc.record({
        ns: fc.constantFrom(...NAMESPACES),
        cluster: fc.boolean(),
        role: fc.nat(2),
        subjects: fc.array(arbSubject, { minLength: 1, maxLength: 3 }),
      }),
      { maxLength: 5 },
    ),
  })
  .map((w) => {
    const objs: Record<string, unknown>[] = [];
    for (const [i, rules] of w.clusterRules.entries())
      objs.push({ apiVersion: `${RB}/v1`, kind: "ClusterRole", metadata: { name: `cr${i}` }, rules });
    w.roleRules.forEach(
      (rules, i) =>
        void objs.push({
          apiVersion: `${RB}/v1`,
          kind: "Role",
          metadata: { name: `r${i % 2}`, namespace: NAMESPACES[Math.floor(i / 2)] },
          rules,
        }),
    );
    w.crbs.forEach(
      (b, i) =>
        void objs.push({
          apiVersion: `${RB}/v1`,
          kind: "ClusterRoleBinding",
          metadata: { name: `crb${i}` },
          roleRef: { apiGroup: RB, kind: "ClusterRole", name: `cr${b.role}` }, // cr3 does not exist: a dangling binding
          subjects: b.subjects.filter((s) => s.kind !== "ServiceAccount" || "namespace" in s),
        }),
    );
    w.rbs.forEach(
      (b, i) =>
        void objs.push({
          apiVersion: `${RB}/v1`,
          kind: "RoleBinding",
          metadata: { name: `rb${i}`, namespace: b.ns },
          roleRef: {
            apiGroup: RB,
            kind: b.cluster ? "ClusterRole" : "Role",
            name: b.cluster ? `cr${b.role}` : `r${b.role}`,
          },
          subjects: b.subjects,
        }),
    );
    return objs;
  });

const arbRequest = fc.oneof(
  fc.record({
    verb: fc.constantFrom("get", "list", "create", "delete", "watch"),
    apiGroup: fc.constantFrom("", "apps", "batch"),
    resource: fc.constantFrom("pods", "secrets", "deployments", "configmaps"),
    subresource: fc.constantFrom("", "", "exec", "status"),
    name: fc.constantFrom("", "a", "b", "c"),
    namespace: fc.constantFrom("", ...NAMESPACES, ...NAMESPACES, "n3"),
  }),
  fc.record({
    verb: fc.constantFrom("get", "post"),
    nonResourceURL: fc.constantFrom("/healthz", "/logs/x", "/logs", "/metrics"),
  }),
);
const arbUser = fc.record({
  user: fc.constantFrom(...USERS),
  groups: fc.uniqueArray(fc.constantFrom(...USER_GROUPS.filter((g) => g !== "system:masters")), {
    maxLength: 3,
  }),
});

// biome-ignore lint/suspicious/noExplicitAny: the reference oracle reads raw, untyped test objects
type Obj = Record<string, any>;

/** Reference authorizer: a literal port of DefaultRuleResolver.VisitRulesFor + appliesToUser over plain lists. */
function reference(objs: Obj[], user: { user: string; groups: string[] }, req: RequestAttributes): boolean {
  const ns = req.nonResourceURL !== undefined ? "" : (req.namespace ?? "");
  const applies = (s: Obj, bindingNs: string) => {
    if (s.kind === "User") return s.name === user.user;
    if (s.kind === "Group") return user.groups.includes(s.name);
    const saNs = s.namespace ? s.namespace : bindingNs;
    return saNs !== "" && user.user === `system:serviceaccount:${saNs}:${s.name}`;
  };
  const rulesOf = (kind: string, name: string, bindingNs: string): PolicyRule[] => {
    const o = objs.find(
      (x) =>
        x.kind === kind &&
        x.metadata.name === name &&
        (kind === "ClusterRole" || x.metadata.namespace === bindingNs),
    );
    return (o?.rules ?? []).map((r: Obj) => ({
      verbs: r.verbs ?? [],
      apiGroups: r.apiGroups ?? [],
      resources: r.resources ?? [],
      resourceNames: r.resourceNames ?? [],
      nonResourceURLs: r.nonResourceURLs ?? [],
    }));
  };
  for (const b of objs.filter((o) => o.kind === "ClusterRoleBinding"))
    if (
      b.subjects.some((s: Obj) => applies(s, "")) &&
      rulesOf(b.roleRef.kind, b.roleRef.name, "").some((r) => ruleAllows(req, r))
    )
      return true;
  if (ns !== "")
    for (const b of objs.filter((o) => o.kind === "RoleBinding" && o.metadata.namespace === ns))
      if (
        b.subjects.some((s: Obj) => applies(s, ns)) &&
        rulesOf(b.roleRef.kind, b.roleRef.name, ns).some((r) => ruleAllows(req, r))
      )
        return true;
  return false;
}

const subjectMatches = (
  s: { kind: string; name: string; namespace?: string },
  u: { user: string; groups: string[] },
) =>
  s.kind === "User"
    ? s.name === u.user
    : s.kind === "Group"
      ? u.groups.includes(s.name)
      : u.user === `system:serviceaccount:${s.namespace}:${s.name}`;

describe("RBAC properties", () => {
  it("differential: the indexed authorizer agrees with a literal port of VisitRulesFor", () => {
    fc.assert(
      fc.property(arbWorld, arbUser, arbRequest, (objs, user, req) => {
        const idx = buildRbacIndex(inventory(objs));
        const want = reference(objs, user, req);
        expect(authorize(idx, user, req).allowed).toBe(want);
      }),
      { numRuns: 2500 },
    );
  });

  it("canI agrees with whoCan for random requests", () => {
    fc.assert(
      fc.property(arbWorld, arbUser, arbRequest, (objs, user, req) => {
        const idx = buildRbacIndex(inventory(objs));
        const allowed = authorize(idx, user, req).allowed;
        const subjects = whoCan(idx, req).subjects.filter((s) => s.via.length > 0);
        expect(subjects.some((s) => subjectMatches(s, user))).toBe(allowed);
      }),
      { numRuns: 400 },
    );
  });

  it("every whoCan subject is allowed by canI", () => {
    fc.assert(
      fc.property(arbWorld, arbRequest, (objs, req) => {
        const idx = buildRbacIndex(inventory(objs));
        for (const s of whoCan(idx, req).subjects) {
          const who =
            s.kind === "User"
              ? { user: s.name, groups: [] }
              : s.kind === "Group"
                ? { user: "", groups: [s.name] }
                : { user: `system:serviceaccount:${s.namespace}:${s.name}`, groups: [] };
          expect(authorize(idx, who, req).allowed).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("adding a binding never removes permissions", () => {
    fc.assert(
      fc.property(arbWorld, arbWorld, arbUser, arbRequest, (objs, more, user, req) => {
        const extra = more
          .filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding")
          .map((o) => ({
            ...o,
            metadata: { ...(o.metadata as Obj), name: `extra-${(o.metadata as Obj).name}` },
          }));
        const before = authorize(buildRbacIndex(inventory(objs)), user, req).allowed;
        const after = authorize(buildRbacIndex(inventory([...objs, ...extra])), user, req).allowed;
        expect(before && !after).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("a wildcard in any field allows everything the specific rule allows", () => {
    fc.assert(
      fc.property(
        arbRule,
        arbRequest,
        fc.constantFrom("verbs", "apiGroups", "resources"),
        (r, req, field) => {
          const rule: PolicyRule = { ...r, nonResourceURLs: [] };
          const wild: PolicyRule = { ...rule, [field]: ["*"] };
          if (ruleAllows(req, rule)) expect(ruleAllows(req, wild)).toBe(true);
          const noNames: PolicyRule = { ...rule, resourceNames: [] };
          if (ruleAllows(req, rule)) expect(ruleAllows(req, noNames)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("canI with the kubectl defaults equals authorize with the expanded groups", () => {
    fc.assert(
      fc.property(arbWorld, fc.constantFrom(...USERS), arbRequest, (objs, user, req) => {
        const idx = buildRbacIndex(inventory(objs));
        const sa = user.match(/^system:serviceaccount:([^:]+):/);
        const groups = sa
          ? ["system:serviceaccounts", `system:serviceaccounts:${sa[1]}`, "system:authenticated"]
          : ["system:authenticated"];
        expect(canI(idx, { user, ...req }).allowed).toBe(authorize(idx, { user, groups }, req).allowed);
      }),
      { numRuns: 200 },
    );
  });
});
