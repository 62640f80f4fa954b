/**
 * "Cluster-admin in effect": decided by asking the authorizer's own matching, not by looking for a literal `*`.
 * A set of rules is admin-equivalent when it allows every standard verb on a resource in an API group that no
 * explicit rule could list, so only `resources: ["*"]` and `apiGroups: ["*"]` can match it. Rules that spell
 * out get, list, watch, create, update, patch, delete and deletecollection on `*`/`*` are as powerful as `*`
 * verbs for everything a cluster-admin does day to day (and `*` resources include every subresource), so the
 * cluster-admin findings fire on them too. Non-resource URLs are not part of the test: the literal check this
 * replaces never looked at them either.
 */
import { preparedAllows, prepareRequest, type RequestAttributes } from "./match.js";
import type { PolicyRule } from "./model.js";
import { grantsAllow } from "./query.js";

/** The verbs `kubectl api-resources -o wide` lists for an ordinary resource. */
export const STANDARD_VERBS: readonly string[] = [
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
];

/**
 * A group and resource no rule can name: resource and group names are DNS labels/subdomains, and a NUL can
 * appear in neither, so only `*` matches. The empty name of the request also fails any resourceNames list.
 */
const PROBE_GROUP = "\u0000any-group";
const PROBE_RESOURCE = "\u0000any-resource";

const probe = (verb: string, namespace: string): RequestAttributes => ({
  verb,
  namespace,
  apiGroup: PROBE_GROUP,
  resource: PROBE_RESOURCE,
  subresource: "",
  name: "",
});

/**
 * The grants that together make the set cluster-admin-equivalent in `namespace` ("" = cluster-wide, so only
 * grants without a namespace count), in grant order and without repeats; undefined when some standard verb is
 * not allowed on an arbitrary resource of an arbitrary group.
 */
export function adminEquivalentGrants<G extends { namespace?: string; rule: PolicyRule }>(
  grants: readonly G[],
  namespace = "",
): G[] | undefined {
  const used = new Set<G>();
  for (const verb of STANDARD_VERBS) {
    const g = grantsAllow(grants, probe(verb, namespace));
    if (!g) return undefined;
    used.add(g);
  }
  return grants.filter((g) => used.has(g));
}

/** The rules of a role, by index, that make it cluster-admin-equivalent; undefined when they do not. */
export function adminEquivalentRules(rules: readonly PolicyRule[]): number[] | undefined {
  return adminEquivalentGrants(rules.map((rule, i) => ({ rule, i })))?.map((g) => g.i);
}

const PREPARED_PROBES = STANDARD_VERBS.map((verb) => prepareRequest(probe(verb, "")));

/**
 * Which standard verbs one rule allows on an arbitrary resource of an arbitrary group: bit i for
 * `STANDARD_VERBS[i]`. Cluster-wide rules can be admin-equivalent together only when their masks cover all eight.
 */
export function adminProbeMask(rule: PolicyRule): number {
  let mask = 0;
  for (let i = 0; i < PREPARED_PROBES.length; i++)
    if (preparedAllows(PREPARED_PROBES[i]!, rule)) mask |= 1 << i;
  return mask;
}
