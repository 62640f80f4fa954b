import { describe, expect, it } from "vitest";
import { rule, urlRule } from "./__fixtures__/helpers.js";
import { nonResourceURLMatches, type RequestAttributes, resourceMatches, ruleAllows } from "./match.js";
import type { PolicyRule } from "./model.js";

const norm = (r: {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}): PolicyRule => ({
  verbs: r.verbs,
  apiGroups: r.apiGroups ?? [],
  resources: r.resources ?? [],
  resourceNames: r.resourceNames ?? [],
  nonResourceURLs: r.nonResourceURLs ?? [],
});
const res = (
  verb: string,
  apiGroup: string,
  resource: string,
  subresource = "",
  name = "",
): RequestAttributes => ({ verb, apiGroup, resource, subresource, name });
const url = (verb: string, path: string): RequestAttributes => ({ verb, nonResourceURL: path });

// Ported from kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac_test.go TestRuleMatches.
const RULE_MATCHES: { name: string; rule: PolicyRule; cases: [RequestAttributes, boolean][] }[] = [
  {
    name: "star verb, exact match other",
    rule: norm(rule("*", "group1", "resource1")),
    cases: [
      [res("verb1", "group1", "resource1"), true],
      [res("verb1", "group2", "resource1"), false],
      [res("verb1", "group1", "resource2"), false],
      [res("verb2", "group1", "resource1"), true],
      [res("verb2", "group2", "resource2"), false],
    ],
  },
  {
    name: "star group, exact match other",
    rule: norm(rule("verb1", "*", "resource1")),
    cases: [
      [res("verb1", "group1", "resource1"), true],
      [res("verb1", "group2", "resource1"), true],
      [res("verb1", "group1", "resource2"), false],
      [res("verb2", "group1", "resource1"), false],
    ],
  },
  {
    name: "star resource, exact match other",
    rule: norm(rule("verb1", "group1", "*")),
    cases: [
      [res("verb1", "group1", "resource1"), true],
      [res("verb1", "group2", "resource1"), false],
      [res("verb1", "group1", "resource2"), true],
      [res("verb2", "group1", "resource1"), false],
    ],
  },
  {
    name: "tuple expansion",
    rule: norm(rule("verb1,verb2", "group1,group2", "resource1,resource2")),
    cases: [
      [res("verb1", "group1", "resource1"), true],
      [res("verb1", "group2", "resource2"), true],
      [res("verb2", "group1", "resource2"), true],
      [res("verb2", "group2", "resource1"), true],
    ],
  },
  {
    name: "subresource expansion",
    rule: norm(rule("*", "*", "resource1/subresource1")),
    cases: [
      [res("verb1", "group1", "resource1", "subresource1"), true],
      [res("verb1", "group2", "resource1", "subresource2"), false],
      [res("verb1", "group1", "resource2", "subresource1"), false],
      [res("verb2", "group1", "resource1", "subresource1"), true],
      [res("verb2", "group1", "resource1"), false],
    ],
  },
  {
    name: "star nonresource, exact match other",
    rule: norm(urlRule("verb1", "*")),
    cases: [
      [url("verb1", "/foo"), true],
      [url("verb1", "/foo/bar/one"), true],
      [url("verb2", "/foo"), false],
      [url("verb2", "/foo/baz/one"), false],
    ],
  },
  {
    name: "star nonresource subpath",
    rule: norm(urlRule("verb1", "/foo/*")),
    cases: [
      [url("verb1", "/foo"), false],
      [url("verb1", "/foo/bar"), true],
      [url("verb1", "/foo/baz/one"), true],
      [url("verb1", "/notfoo"), false],
      [url("verb1", "/notfoo/bar"), false],
    ],
  },
  {
    name: "star verb, exact nonresource",
    rule: norm(urlRule("*", "/foo,/foo/bar/one")),
    cases: [
      [url("verb1", "/foo"), true],
      [url("verb1", "/foo/bar"), false],
      [url("verb1", "/foo/bar/one"), true],
      [url("verb2", "/foo"), true],
      [url("verb2", "/foo/baz/one"), false],
    ],
  },
];

describe("ruleAllows (upstream TestRuleMatches)", () => {
  for (const t of RULE_MATCHES)
    it(t.name, () => {
      expect(t.cases.map(([req]) => ruleAllows(req, t.rule))).toEqual(t.cases.map(([, want]) => want));
    });
});

describe("subresources", () => {
  it("`*/scale` matches the scale subresource of any resource and nothing else", () => {
    const r = norm(rule("get", "*", "*/scale"));
    expect([
      ruleAllows(res("get", "apps", "deployments", "scale"), r),
      ruleAllows(res("get", "apps", "deployments"), r),
      ruleAllows(res("get", "apps", "deployments", "status"), r),
    ]).toEqual([true, false, false]);
  });
  it("`pods` does not match pods/exec and `pods/*` is not a wildcard (only `*` and `*/sub` are)", () => {
    expect([
      ruleAllows(res("create", "", "pods", "exec"), norm(rule("create", "", "pods"))),
      ruleAllows(res("create", "", "pods", "exec"), norm(rule("create", "", "pods/*"))),
      ruleAllows(res("create", "", "pods", "exec"), norm(rule("create", "", "pods/exec"))),
    ]).toEqual([false, false, true]);
  });
});

describe("resourceNames", () => {
  const r = norm(rule("get,list,watch,create", "", "configmaps", "app-config"));
  it("match only the exact name and never a request without a name (list/watch/create)", () => {
    expect([
      ruleAllows(res("get", "", "configmaps", "", "app-config"), r),
      ruleAllows(res("get", "", "configmaps", "", "other"), r),
      ruleAllows(res("list", "", "configmaps"), r),
      ruleAllows(res("watch", "", "configmaps"), r),
      ruleAllows(res("create", "", "configmaps"), r),
    ]).toEqual([true, false, false, false, false]);
  });
  it("have no wildcard: a resourceName of `*` matches only the name `*`", () => {
    const star = norm(rule("get", "", "configmaps", "*"));
    expect([
      ruleAllows(res("get", "", "configmaps", "", "x"), star),
      ruleAllows(res("get", "", "configmaps", "", "*"), star),
    ]).toEqual([false, true]);
  });
});

describe("pathological cases", () => {
  it("is case-sensitive (verbs and resources are not normalised)", () => {
    const r = norm(rule("get", "", "pods"));
    expect([ruleAllows(res("GET", "", "pods"), r), ruleAllows(res("get", "", "Pods"), r)]).toEqual([
      false,
      false,
    ]);
  });
  it("an empty verb list or empty group list matches nothing", () => {
    expect([
      ruleAllows(res("get", "", "pods"), norm({ verbs: [], apiGroups: [""], resources: ["pods"] })),
      ruleAllows(res("get", "", "pods"), norm({ verbs: ["get"], apiGroups: [], resources: ["pods"] })),
    ]).toEqual([false, false]);
  });
  it("`*/` prefix needs the exact subresource length; `*/` alone and `**/exec` do not match", () => {
    expect([
      resourceMatches(norm(rule("get", "", "*/")), "pods/exec", "exec"),
      resourceMatches(norm(rule("get", "", "**/exec")), "pods/exec", "exec"),
      resourceMatches(norm(rule("get", "", "*/exec")), "pods", ""),
    ]).toEqual([false, false, false]);
  });
  it("non-resource URL with several trailing stars trims them all; a bare prefix is not a match of its parent", () => {
    const r = norm(urlRule("get", "/logs**"));
    expect([
      nonResourceURLMatches(r, "/logs"),
      nonResourceURLMatches(r, "/logsX"),
      nonResourceURLMatches(r, "/log"),
    ]).toEqual([true, true, false]);
  });
});
