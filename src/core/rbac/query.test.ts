import { describe, expect, it } from "vitest";
import {
  clusterRole,
  clusterRoleBinding,
  inventory,
  role,
  roleBinding,
  rule,
  serviceAccount,
  urlRule,
} from "./__fixtures__/helpers.js";
import { buildRbacIndex } from "./build.js";
import { impersonatedUserInfo } from "./identity.js";
import { canI, effectivePermissions, whoCan } from "./query.js";

const crbRef = (name: string) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  name,
});
const rbRef = (namespace: string, name: string) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  namespace,
  name,
});
const crRef = (name: string) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name });
const rRef = (namespace: string, name: string) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "Role",
  namespace,
  name,
});
const full = (verbs: string[], apiGroups: string[], resources: string[], resourceNames: string[] = []) => ({
  verbs,
  apiGroups,
  resources,
  resourceNames,
  nonResourceURLs: [],
});

describe("upstream TestAuthorizer cases", () => {
  it("RoleBinding to a ClusterRole grants it only in the binding's namespace", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("admin", [rule("*", "*", "*")]),
        roleBinding("ns1", "b", "ClusterRole", "admin", ["User:admin", "Group:admins"]),
      ]),
    );
    const ask = (user: string, groups: string[], verb: string, resource: string, namespace: string) =>
      canI(idx, { user, groups, verb, resource, namespace }).allowed;
    expect([
      ask("admin", [], "get", "Pods", "ns1"),
      ask("admin", [], "watch", "Pods", "ns1"),
      ask("admin", ["group1"], "watch", "Foobar", "ns1"),
      ask("joe", ["admins"], "watch", "Foobar", "ns1"),
      ask("joe", ["group1", "admins"], "watch", "Foobar", "ns1"),
      ask("admin", [], "GET", "Pods", "ns2"),
      ask("admin", [], "GET", "Nodes", ""),
      ask("admin", ["admins"], "GET", "Pods", "ns2"),
      ask("admin", ["admins"], "GET", "Nodes", ""),
    ]).toEqual([true, true, true, true, true, false, false, false, false]);
  });

  it("non-resource URLs with exact and prefix rules", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("non-resource-url-getter", [urlRule("get", "/apis")]),
        clusterRole("non-resource-url", [urlRule("*", "/apis")]),
        clusterRole("non-resource-url-prefix", [urlRule("get", "/apis/*")]),
        clusterRoleBinding("getter", "non-resource-url-getter", ["User:foo", "Group:bar"]),
        clusterRoleBinding("any", "non-resource-url", ["User:admin", "Group:admin"]),
        clusterRoleBinding("prefix", "non-resource-url-prefix", ["User:prefixed", "Group:prefixed"]),
      ]),
    );
    const ask = (user: string, groups: string[], verb: string, path: string) =>
      canI(idx, { user, groups, verb, nonResourceURL: path }).allowed;
    expect([
      ask("foo", [], "get", "/apis"),
      ask("x", ["bar"], "get", "/apis"),
      ask("admin", [], "watch", "/apis"),
      ask("prefixed", [], "get", "/apis/v1"),
      ask("x", ["prefixed"], "get", "/apis/v1/foobar"),
      ask("foo", [], "watch", "/apis"),
      ask("foo", [], "get", "/api/v1"),
      ask("admin", [], "get", "/api/v1"),
      ask("prefixed", [], "get", "/api/v1"),
    ]).toEqual([true, true, true, true, true, false, false, false, false]);
  });

  it("subresource resolution: `pods` does not cover pods/status and vice versa", () => {
    const a = buildRbacIndex(
      inventory([
        clusterRole("admin", [rule("*", "*", "pods")]),
        roleBinding("ns1", "b", "ClusterRole", "admin", ["User:admin"]),
      ]),
    );
    const b = buildRbacIndex(
      inventory([
        clusterRole("admin", [rule("*", "*", "pods/status")]),
        roleBinding("ns1", "b", "ClusterRole", "admin", ["User:admin"]),
      ]),
    );
    expect([
      canI(a, { user: "admin", verb: "get", resource: "pods", namespace: "ns1" }).allowed,
      canI(a, { user: "admin", verb: "get", resource: "pods", subresource: "status", namespace: "ns1" })
        .allowed,
      canI(b, { user: "admin", verb: "get", resource: "pods", subresource: "status", namespace: "ns1" })
        .allowed,
      canI(b, { user: "admin", verb: "get", resource: "pods", namespace: "ns1" }).allowed,
    ]).toEqual([true, false, true, false]);
  });
});

describe("canI", () => {
  it("reports every binding, role and rule that allows, ClusterRoleBindings first", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("reader", [rule("get,list", "", "pods")]),
        role("dev", "pod-admin", [rule("*", "", "pods"), rule("get", "", "secrets")]),
        clusterRoleBinding("readers", "reader", ["Group:system:authenticated"]),
        roleBinding("dev", "alice-admin", "Role", "pod-admin", ["User:alice"]),
      ]),
    );
    expect(canI(idx, { user: "alice", verb: "get", resource: "pods", namespace: "dev" })).toEqual({
      allowed: true,
      reasons: [
        { binding: crbRef("readers"), role: crRef("reader"), rule: full(["get", "list"], [""], ["pods"]) },
        {
          binding: rbRef("dev", "alice-admin"),
          role: rRef("dev", "pod-admin"),
          rule: full(["*"], [""], ["pods"]),
        },
      ],
    });
    expect(canI(idx, { user: "alice", verb: "delete", resource: "pods", namespace: "prod" })).toEqual({
      allowed: false,
      reasons: [],
    });
    // Explicit groups do not drop system:authenticated (impersonation.go appends it unless system:authenticated or
    // system:unauthenticated is among the groups), so the CRB still applies; system:unauthenticated opts out.
    expect(
      canI(idx, { user: "alice", groups: ["devs"], verb: "list", resource: "pods", namespace: "prod" }),
    ).toEqual({
      allowed: true,
      reasons: [
        { binding: crbRef("readers"), role: crRef("reader"), rule: full(["get", "list"], [""], ["pods"]) },
      ],
    });
    expect(
      canI(idx, {
        user: "alice",
        groups: ["devs", "system:unauthenticated"],
        verb: "list",
        resource: "pods",
        namespace: "prod",
      }),
    ).toEqual({ allowed: false, reasons: [] });
  });

  it("ServiceAccounts match by username and by their implicit groups", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("r-all", [rule("get", "", "configmaps")]),
        clusterRole("r-ns", [rule("list", "", "configmaps")]),
        clusterRole("r-sa", [rule("watch", "", "configmaps")]),
        clusterRoleBinding("all-sas", "r-all", ["Group:system:serviceaccounts"]),
        clusterRoleBinding("team-sas", "r-ns", ["Group:system:serviceaccounts:team"]),
        roleBinding("other", "one-sa", "ClusterRole", "r-sa", ["ServiceAccount:team/builder"]),
      ]),
    );
    const sa = "system:serviceaccount:team:builder";
    const ask = (user: string, verb: string, namespace: string) =>
      canI(idx, { user, verb, resource: "configmaps", namespace }).allowed;
    expect([
      ask(sa, "get", "x"),
      ask(sa, "list", "x"),
      ask(sa, "watch", "other"),
      ask(sa, "watch", "team"),
      ask("system:serviceaccount:prod:builder", "list", "x"),
      ask("system:serviceaccount:prod:builder", "get", "x"),
      ask("builder", "get", "x"),
    ]).toEqual([true, true, true, false, false, true, false]);
  });

  it("a ServiceAccount subject without namespace in a RoleBinding means the binding's namespace", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("r", [rule("get", "", "pods")]),
        roleBinding("team", "b", "ClusterRole", "r", ["ServiceAccount:builder"]),
      ]),
    );
    expect([
      canI(idx, {
        user: "system:serviceaccount:team:builder",
        verb: "get",
        resource: "pods",
        namespace: "team",
      }).allowed,
      canI(idx, {
        user: "system:serviceaccount:default:builder",
        verb: "get",
        resource: "pods",
        namespace: "team",
      }).allowed,
    ]).toEqual([true, false]);
    expect(whoCan(idx, { verb: "get", resource: "pods", namespace: "team" }).subjects).toEqual([
      { kind: "Group", name: "system:masters", via: [] },
      {
        kind: "ServiceAccount",
        name: "builder",
        namespace: "team",
        via: [{ binding: rbRef("team", "b"), role: crRef("r") }],
      },
    ]);
  });

  it("nonResourceURLs are granted only through ClusterRoleBindings", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("metrics", [urlRule("get", "/metrics")]),
        roleBinding("ns1", "b", "ClusterRole", "metrics", ["User:bob"]),
      ]),
    );
    expect(canI(idx, { user: "bob", verb: "get", nonResourceURL: "/metrics" }).allowed).toBe(false);
  });

  it("system:masters is allowed by the privileged-group authorizer without any rule", () => {
    const idx = buildRbacIndex(inventory([]));
    expect(
      canI(idx, { user: "root", groups: ["system:masters"], verb: "delete", resource: "nodes" }),
    ).toEqual({
      allowed: true,
      reasons: [],
      privilegedGroup: "system:masters",
    });
  });

  it("a binding to a missing role grants nothing", () => {
    const idx = buildRbacIndex(inventory([roleBinding("a", "b", "Role", "ghost", ["User:u"])]));
    expect(canI(idx, { user: "u", verb: "get", resource: "pods", namespace: "a" })).toEqual({
      allowed: false,
      reasons: [],
    });
  });

  it("a Role is only looked up in the RoleBinding's own namespace", () => {
    const idx = buildRbacIndex(
      inventory([
        role("a", "r", [rule("get", "", "pods")]),
        roleBinding("b", "bind", "Role", "r", ["User:u"]),
      ]),
    );
    expect(canI(idx, { user: "u", verb: "get", resource: "pods", namespace: "b" }).allowed).toBe(false);
  });
});

describe("impersonated identity (kubectl --as/--as-group)", () => {
  // Upstream: staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation/impersonation.go (WithImpersonation):
  // a ServiceAccount username without --as-group gets MakeGroupNames(namespace); then a non-anonymous user gets
  // system:authenticated appended unless system:authenticated or system:unauthenticated is already among the
  // groups -- also when groups were given -- and system:anonymous gets system:unauthenticated appended.
  it.each([
    ["alice", [], ["system:authenticated"]],
    ["alice", ["devs"], ["devs", "system:authenticated"]],
    ["alice", ["devs", "system:authenticated"], ["devs", "system:authenticated"]],
    ["alice", ["system:unauthenticated"], ["system:unauthenticated"]],
    [
      "system:serviceaccount:ci:builder",
      [],
      ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"],
    ],
    ["system:serviceaccount:ci:builder", ["devs"], ["devs", "system:authenticated"]],
    ["system:anonymous", [], ["system:unauthenticated"]],
    ["system:anonymous", ["devs"], ["devs", "system:unauthenticated"]],
    ["system:anonymous", ["system:unauthenticated"], ["system:unauthenticated"]],
  ])("%s with groups %j -> %j", (user, groups, expected) => {
    expect(impersonatedUserInfo(user, groups)).toEqual({ user, groups: expected });
  });

  it("anonymous requests are granted what system:unauthenticated is bound to (system:public-info-viewer)", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("system:public-info-viewer", [
          urlRule("get", "/healthz,/livez,/readyz,/version,/version/"),
        ]),
        clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", [
          "Group:system:authenticated",
          "Group:system:unauthenticated",
        ]),
      ]),
    );
    expect(canI(idx, { user: "system:anonymous", verb: "get", nonResourceURL: "/version" }).allowed).toBe(
      true,
    );
  });
});

describe("ClusterRole aggregation", () => {
  const agg = (
    name: string,
    selector: Record<string, unknown>,
    labels: Record<string, string> = {},
    rules: ReturnType<typeof rule>[] = [],
  ) => clusterRole(name, rules, { aggregationRule: { clusterRoleSelectors: [selector] } }, labels);

  it("replaces the aggregated role's rules with the union of the selected roles', in name order, deduplicated", () => {
    const inv = inventory([
      agg("monitoring", { matchLabels: { "rbac.example.com/aggregate-to-monitoring": "true" } }, {}, [
        rule("delete", "", "nodes"),
      ]),
      clusterRole(
        "b-endpoints",
        [rule("get", "", "endpoints"), rule("get", "", "pods")],
        {},
        { "rbac.example.com/aggregate-to-monitoring": "true" },
      ),
      clusterRole(
        "a-pods",
        [rule("get", "", "pods")],
        {},
        { "rbac.example.com/aggregate-to-monitoring": "true" },
      ),
      clusterRole("unrelated", [rule("get", "", "secrets")]),
      clusterRoleBinding("mon", "monitoring", ["User:prom"]),
    ]);
    const idx = buildRbacIndex(inv);
    expect(idx.clusterRoles.get("monitoring")?.rules).toEqual([
      full(["get"], [""], ["pods"]),
      full(["get"], [""], ["endpoints"]),
    ]);
    expect([
      canI(idx, { user: "prom", verb: "get", resource: "endpoints" }).allowed,
      canI(idx, { user: "prom", verb: "delete", resource: "nodes" }).allowed,
      canI(idx, { user: "prom", verb: "get", resource: "secrets" }).allowed,
    ]).toEqual([true, false, false]);
    expect(idx.coverage).toEqual([
      {
        reason: "stale",
        message:
          "aggregated ClusterRole monitoring: its stored rules differ from the aggregation of the ClusterRoles present (the input may be partial); using the aggregation controller's result",
        subject: "ClusterRole/monitoring",
        kind: "ClusterRole",
      },
    ]);
  });

  it("resolves aggregated roles that select other aggregated roles (fixpoint), with matchExpressions", () => {
    const idx = buildRbacIndex(
      inventory([
        agg("top", { matchExpressions: [{ key: "tier", operator: "In", values: ["mid"] }] }),
        agg("mid", { matchLabels: { tier: "leaf" } }, { tier: "mid" }),
        clusterRole("leaf", [rule("list", "apps", "deployments")], {}, { tier: "leaf" }),
      ]),
    );
    expect(idx.clusterRoles.get("top")?.rules).toEqual([full(["list"], ["apps"], ["deployments"])]);
  });
  it("a null clusterRoleSelector is the empty selector (a non-pointer struct): it aggregates every ClusterRole", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("all", [], { aggregationRule: { clusterRoleSelectors: [null] } }),
        clusterRole("leaf", [rule("list", "apps", "deployments")]),
      ]),
    );
    expect(idx.clusterRoles.get("all")?.rules).toEqual([full(["list"], ["apps"], ["deployments"])]);
  });
  it("a selector the API server rejects (invalid key) makes the ClusterRole invalid, as ValidateLabelSelector does", () => {
    const idx = buildRbacIndex(
      inventory([
        agg("bad", { matchLabels: { "not a key": "x" } }),
        clusterRole("leaf", [rule("get", "", "pods")]),
      ]),
    );
    expect(idx.clusterRoles.has("bad")).toBe(false);
    expect(idx.coverage.map((c) => c.message)).toEqual([
      'ClusterRole bad is invalid and was not evaluated (the API server would reject it): aggregationRule.clusterRoleSelectors[0].matchLabels["not a key"]: invalid label key "not a key"',
    ]);
  });
});

describe("whoCan", () => {
  const idx = buildRbacIndex(
    inventory([
      clusterRole("secret-reader", [rule("get,list", "", "secrets")]),
      clusterRole("one-secret", [rule("get", "", "secrets", "db-password")]),
      role("prod", "exec", [rule("create", "", "pods/exec")]),
      clusterRoleBinding("sec-all", "secret-reader", ["Group:auditors", "ServiceAccount:ops/vault"]),
      roleBinding("prod", "sec-prod", "ClusterRole", "secret-reader", ["User:alice"]),
      roleBinding("dev", "sec-dev", "ClusterRole", "secret-reader", ["User:bob"]),
      roleBinding("prod", "db", "ClusterRole", "one-secret", ["User:carol"]),
      roleBinding("prod", "exec", "Role", "exec", ["User:dave"]),
    ]),
  );
  it("lists every subject with the bindings that grant it, honouring namespaces and resourceNames", () => {
    expect(whoCan(idx, { verb: "get", resource: "secrets", namespace: "prod", name: "db-password" })).toEqual(
      {
        subjects: [
          {
            kind: "Group",
            name: "auditors",
            via: [{ binding: crbRef("sec-all"), role: crRef("secret-reader") }],
          },
          { kind: "Group", name: "system:masters", via: [] },
          {
            kind: "ServiceAccount",
            name: "vault",
            namespace: "ops",
            via: [{ binding: crbRef("sec-all"), role: crRef("secret-reader") }],
          },
          {
            kind: "User",
            name: "alice",
            via: [{ binding: rbRef("prod", "sec-prod"), role: crRef("secret-reader") }],
          },
          { kind: "User", name: "carol", via: [{ binding: rbRef("prod", "db"), role: crRef("one-secret") }] },
        ],
      },
    );
    expect(
      whoCan(idx, { verb: "list", resource: "secrets", namespace: "prod" }).subjects.map((s) => s.name),
    ).toEqual(["auditors", "system:masters", "vault", "alice"]);
    expect(
      whoCan(idx, { verb: "create", resource: "pods", subresource: "exec", namespace: "prod" }).subjects.map(
        (s) => s.name,
      ),
    ).toEqual(["system:masters", "dave"]);
  });
  it("a cluster-wide question ignores RoleBindings", () => {
    expect(whoCan(idx, { verb: "list", resource: "secrets" }).subjects.map((s) => s.name)).toEqual([
      "auditors",
      "system:masters",
      "vault",
    ]);
  });
});

describe("effectivePermissions", () => {
  it("collects grants from the subject, its implicit groups and system:authenticated, with scope", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("basic", [rule("get", "", "namespaces")]),
        role("team", "deployer", [rule("create", "apps", "deployments")]),
        clusterRoleBinding("basic", "basic", ["Group:system:authenticated"]),
        roleBinding("team", "deployer", "Role", "deployer", ["ServiceAccount:team/ci"]),
        roleBinding("team", "ghost", "Role", "missing", ["Group:system:serviceaccounts:team"]),
        serviceAccount("team", "ci"),
      ]),
    );
    expect(effectivePermissions(idx, { kind: "ServiceAccount", namespace: "team", name: "ci" })).toEqual({
      subject: { kind: "ServiceAccount", namespace: "team", name: "ci" },
      identity: {
        user: "system:serviceaccount:team:ci",
        groups: ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"],
      },
      grants: [
        { binding: crbRef("basic"), role: crRef("basic"), rule: full(["get"], [""], ["namespaces"]) },
        {
          namespace: "team",
          binding: rbRef("team", "deployer"),
          role: rRef("team", "deployer"),
          rule: full(["create"], ["apps"], ["deployments"]),
        },
      ],
      danglingBindings: [rbRef("team", "ghost")],
    });
  });
});

describe("pathological cases", () => {
  it("invalid roles and bindings are dropped with a coverage entry naming the object; the rest is analysed", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("bad-rule", [{ verbs: [], apiGroups: [""], resources: ["pods"] }]),
        role("a", "url-in-role", [urlRule("get", "/healthz")]),
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRole",
          metadata: { name: "typed" },
          rules: [{ verbs: "get", apiGroups: [""], resources: ["pods"] }],
        },
        { ...clusterRoleBinding("no-ns-sa", "good", []), subjects: [{ kind: "ServiceAccount", name: "x" }] },
        { ...clusterRoleBinding("bad-kind", "good", []), subjects: [{ kind: "Robot", name: "x" }] },
        { ...roleBinding("a", "bad-ref", "Role", "good", []), roleRef: { kind: "Role", name: "good" } },
        clusterRole("good", [rule("get", "", "pods")]),
        clusterRoleBinding("ok", "good", ["User:u"]),
      ]),
    );
    expect(idx.coverage.map((c) => c.message)).toEqual([
      "Role a/url-in-role is invalid and was not evaluated (the API server would reject it): rules[0].nonResourceURLs: namespaced rules cannot apply to non-resource URLs",
      "ClusterRole bad-rule is invalid and was not evaluated (the API server would reject it): rules[0].verbs: verbs must contain at least one value",
      "ClusterRole typed is invalid and was not evaluated (the API server would reject it): rules[0].verbs: must be a list of strings; rules[0].verbs: verbs must contain at least one value",
      "ClusterRoleBinding no-ns-sa is invalid and was not evaluated (the API server would reject it): subjects[0].namespace: Required value",
      'ClusterRoleBinding bad-kind is invalid and was not evaluated (the API server would reject it): subjects[0].kind: Unsupported value "Robot": must be one of "ServiceAccount", "User", "Group"',
      'RoleBinding a/bad-ref is invalid and was not evaluated (the API server would reject it): roleRef.apiGroup: Unsupported value "": must be "rbac.authorization.k8s.io"',
    ]);
    expect(canI(idx, { user: "u", verb: "get", resource: "pods" }).allowed).toBe(true);
  });

  it("a username that only looks like a ServiceAccount gets no ServiceAccount groups", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("r", [rule("get", "", "pods")]),
        clusterRoleBinding("b", "r", ["Group:system:serviceaccounts"]),
      ]),
    );
    expect([
      canI(idx, { user: "system:serviceaccount:a:b:c", verb: "get", resource: "pods" }).allowed,
      canI(idx, { user: "system:serviceaccount:Bad_NS:b", verb: "get", resource: "pods" }).allowed,
      canI(idx, { user: "system:serviceaccount:ok:b", verb: "get", resource: "pods" }).allowed,
    ]).toEqual([false, false, true]);
  });

  it("__proto__ and constructor as names are plain data", () => {
    const idx = buildRbacIndex(
      inventory([
        clusterRole("r", [rule("get", "", "__proto__")]),
        clusterRoleBinding("b", "r", ["User:constructor", "Group:__proto__"]),
      ]),
    );
    expect([
      canI(idx, { user: "constructor", verb: "get", resource: "__proto__" }).allowed,
      canI(idx, { user: "x", groups: ["__proto__"], verb: "get", resource: "__proto__" }).allowed,
      canI(idx, { user: "toString", verb: "get", resource: "__proto__" }).allowed,
    ]).toEqual([true, true, false]);
  });
});
