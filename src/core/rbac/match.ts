/**
 * The RBAC authorizer's matching functions, reproduced exactly from kubernetes/kubernetes
 * `pkg/apis/rbac/v1/evaluation_helpers.go` (VerbMatches, APIGroupMatches, ResourceMatches, ResourceNameMatches,
 * NonResourceURLMatches) and `plugin/pkg/auth/authorizer/rbac/rbac.go` (RuleAllows). Matching is
 * case-sensitive and there is no other wildcard form: `pods/*` is NOT a wildcard over subresources (only
 * `*` and `*\/subresource` are), and resourceNames has no wildcard at all.
 */
import type { PolicyRule } from "./model.js";

/** Request attributes (`authorizer.Attributes`) relevant to RBAC. */
export interface RequestAttributes {
  verb: string;
  /** Empty for cluster-scoped requests and for every non-resource request. */
  namespace?: string | undefined;
  /** A resource request when `nonResourceURL` is absent. */
  apiGroup?: string | undefined;
  resource?: string | undefined;
  subresource?: string | undefined;
  name?: string | undefined;
  nonResourceURL?: string | undefined;
}

export function isResourceRequest(a: RequestAttributes): boolean {
  return a.nonResourceURL === undefined;
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs) if (v === "*" || v === verb) return true;
  return false;
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  for (const g of rule.apiGroups) if (g === "*" || g === group) return true;
  return false;
}

/** `combined` is `resource` or `resource/subresource`. */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources) {
    if (r === "*" || r === combined) return true;
    // `*/subresource` matches that subresource of every resource (and nothing when no subresource is asked).
    if (
      subresource !== "" &&
      r.length === subresource.length + 2 &&
      r.startsWith("*/") &&
      r.endsWith(subresource)
    )
      return true;
  }
  return false;
}

/**
 * An empty resourceNames list matches every name, including the empty name of list/watch/create/deletecollection
 * requests; a non-empty list matches only those exact names, so it never matches a request without a name.
 */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  if (rule.resourceNames.length === 0) return true;
  for (const n of rule.resourceNames) if (n === name) return true;
  return false;
}

/** `*` matches every path; a trailing `*` is a prefix match (`/apis/*` matches `/apis/v1` but not `/apis`). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs) {
    if (u === "*" || u === path) return true;
    // Go: strings.HasSuffix(ruleURL, "*") && strings.HasPrefix(requestedURL, strings.TrimRight(ruleURL, "*"))
    if (u.endsWith("*") && path.startsWith(u.replace(/\*+$/, ""))) return true;
  }
  return false;
}

/**
 * Request attributes prepared for matching against many rules: the defaults applied and `resource/subresource`
 * joined once, not once per rule.
 */
export interface PreparedRequest {
  verb: string;
  /** Set for a non-resource request; the resource fields are then unused. */
  nonResourceURL: string | undefined;
  apiGroup: string;
  /** `resource`, or `resource/subresource`. */
  combined: string;
  subresource: string;
  name: string;
}

export function prepareRequest(a: RequestAttributes): PreparedRequest {
  const sub = a.subresource ?? "";
  const res = a.resource ?? "";
  return {
    verb: a.verb,
    nonResourceURL: a.nonResourceURL,
    apiGroup: a.apiGroup ?? "",
    combined: sub !== "" ? `${res}/${sub}` : res,
    subresource: sub,
    name: a.name ?? "",
  };
}

/**
 * `RuleAllows` over a prepared request. With `anyName`, whether the rule allows the request for SOME name (its own
 * first resourceName, or any name when it lists none): resourceNames narrow a rule, they do not remove what it can do.
 */
export function preparedAllows(p: PreparedRequest, rule: PolicyRule, anyName = false): boolean {
  if (p.nonResourceURL === undefined)
    return (
      verbMatches(rule, p.verb) &&
      apiGroupMatches(rule, p.apiGroup) &&
      resourceMatches(rule, p.combined, p.subresource) &&
      (anyName || resourceNameMatches(rule, p.name))
    );
  return verbMatches(rule, p.verb) && nonResourceURLMatches(rule, p.nonResourceURL);
}

/**
 * The resource strings a rule must list to match at least one of the requests: `*`, a request's
 * `resource[/subresource]`, or `*\/subresource` (see `resourceMatches`). A rule listing none of them allows none
 * of the requests, so callers asking many requests of many rules can pass it over after one look. Undefined when
 * one of the requests is a non-resource request (no such shortcut).
 */
export function resourceTokens(reqs: readonly PreparedRequest[]): ReadonlySet<string> | undefined {
  const out = new Set<string>(["*"]);
  for (const p of reqs) {
    if (p.nonResourceURL !== undefined) return undefined;
    out.add(p.combined);
    if (p.subresource !== "") out.add(`*/${p.subresource}`);
  }
  return out;
}

/** Whether the rule lists one of the tokens among its resources (undefined tokens: always true). */
export function listsAnyResource(rule: PolicyRule, tokens: ReadonlySet<string> | undefined): boolean {
  if (tokens === undefined) return true;
  for (const r of rule.resources) if (tokens.has(r)) return true;
  return false;
}

/** `RuleAllows` from rbac.go: does this one rule allow the request (namespace is checked by the caller)? */
export function ruleAllows(a: RequestAttributes, rule: PolicyRule): boolean {
  return preparedAllows(prepareRequest(a), rule);
}

/** Compact text of a rule, as upstream `CompactString` prints it (used for evidence and messages). */
export function formatRule(r: PolicyRule): string {
  // Rules are shared by every binding of their role and are not changed once parsed: the text is made once per
  // rule (the findings of every binding to a role quote the same rules).
  let text = FORMATTED.get(r);
  if (text === undefined) {
    text = formatRuleText(r);
    FORMATTED.set(r, text);
  }
  return text;
}

const FORMATTED = new WeakMap<PolicyRule, string>();

function formatRuleText(r: PolicyRule): string {
  const parts: string[] = [];
  const q = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(" ")}]`;
  if (r.apiGroups.length) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources.length) parts.push(`Resources:${q(r.resources)}`);
  if (r.nonResourceURLs.length) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  if (r.resourceNames.length) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(", ")}}`;
}
