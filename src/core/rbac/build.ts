import { type CoverageEntry, cmp } from "../findings/index.js";
import type { Inventory, KObject } from "../inventory/index.js";
import { matchesSelector } from "../k8s/index.js";
import { appendAll } from "../util/index.js";
import { type DefaultRolesOptions, planDefaultPolicy } from "./bootstrap.js";
import { serviceAccountUsername } from "./identity.js";
import type { PolicyRule, RbacBinding, RbacIndex, RbacRole, Subject } from "./model.js";
import { invalidObjectCoverage, parseBinding, parseRole } from "./parse.js";

/** Key of a role: `Role\0ns\0name` or `ClusterRole\0\0name`. */
export function roleKey(kind: "Role" | "ClusterRole", namespace: string | undefined, name: string): string {
  return `${kind}\u0000${kind === "Role" ? (namespace ?? "") : ""}\u0000${name}`;
}

/** Subject key used by the indexes: users and ServiceAccount usernames share `u:`, groups use `g:`. */
export function subjectIndexKey(s: Subject, bindingNamespace: string | undefined): string | undefined {
  if (s.kind === "User") return `u:${s.name}`;
  if (s.kind === "Group") return `g:${s.name}`;
  // appliesToUser: an empty ServiceAccount namespace defaults to the namespace being authorized, which for a
  // RoleBinding is the binding's namespace; with no namespace at all the subject matches nobody.
  const ns = s.namespace !== undefined && s.namespace !== "" ? s.namespace : bindingNamespace;
  if (ns === undefined || ns === "") return undefined;
  return `u:${serviceAccountUsername(ns, s.name)}`;
}

/** The namespace a ServiceAccount subject resolves to in a binding (appliesToUser defaulting). */
export function subjectNamespace(s: Subject, b: RbacBinding): string | undefined {
  if (s.kind !== "ServiceAccount") return undefined;
  return s.namespace !== undefined && s.namespace !== "" ? s.namespace : b.namespace;
}

const ruleText = (r: PolicyRule) =>
  JSON.stringify([r.verbs, r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs]);

/**
 * Resolve aggregated ClusterRoles as the ClusterRole aggregation controller does
 * (`pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go`): the rules of an aggregated
 * role are REPLACED by the union of the rules of every other ClusterRole matched by any of its selectors, taken
 * in name order, without semantic duplicates. The controller re-runs whenever any ClusterRole changes, so
 * aggregated roles that select other aggregated roles converge to a fixpoint; we iterate to it.
 */
export function resolveAggregation(clusterRoles: Map<string, RbacRole>, coverage: CoverageEntry[]): void {
  const aggregated = [...clusterRoles.values()]
    .filter((r) => r.aggregationRule)
    .sort((a, b) => cmp(a.name, b.name));
  if (aggregated.length === 0) return;
  const byName = [...clusterRoles.values()].sort((a, b) => cmp(a.name, b.name));
  const limit = aggregated.length + 2;
  let changed = true;
  let round = 0;
  while (changed && round < limit) {
    changed = false;
    round++;
    for (const role of aggregated) {
      const next: PolicyRule[] = [];
      const seen = new Set<string>();
      for (const sel of role.aggregationRule ?? []) {
        for (const other of byName) {
          if (other.name === role.name || !matchesSelector(sel, other.labels)) continue;
          for (const r of other.rules) {
            const t = ruleText(r);
            if (!seen.has(t)) {
              seen.add(t);
              next.push(r);
            }
          }
        }
      }
      if (
        next.length !== role.rules.length ||
        next.some((r, i) => ruleText(r) !== ruleText(role.rules[i]!))
      ) {
        role.rules = next;
        changed = true;
      }
    }
  }
  if (changed)
    coverage.push({
      reason: "limit",
      message: `ClusterRole aggregation did not converge after ${limit} rounds; aggregated rules may be incomplete`,
      kind: "ClusterRole",
    });
  for (const role of aggregated) {
    const declared = new Set(role.declaredRules.map(ruleText));
    const missing =
      role.declaredRules.length > 0 &&
      role.declaredRules.some((r) => !role.rules.some((x) => ruleText(x) === ruleText(r)));
    if (missing || (role.declaredRules.length > 0 && role.rules.some((r) => !declared.has(ruleText(r))))) {
      coverage.push({
        reason: "stale",
        message: `aggregated ClusterRole ${role.name}: its stored rules differ from the aggregation of the ClusterRoles present (the input may be partial); using the aggregation controller's result`,
        subject: `ClusterRole/${role.name}`,
        kind: "ClusterRole",
      });
    }
  }
}

function add<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) {
    if (l[l.length - 1] !== v) l.push(v);
  } else m.set(k, [v]);
}

function collect<T>(
  objs: readonly KObject[],
  parse: (o: KObject) => { ok: true; value: T } | { ok: false; errors: string[] },
  key: (t: T) => string,
  coverage: CoverageEntry[],
): Map<string, T> {
  const out = new Map<string, T>();
  for (const o of objs) {
    const r = parse(o);
    if (!r.ok) {
      coverage.push(invalidObjectCoverage(o, r.errors));
      continue;
    }
    const k = key(r.value);
    if (out.has(k)) {
      const ref = o.ref;
      coverage.push({
        reason: "invalid",
        message: `duplicate ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}: the last definition is used`,
        subject: `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`,
        kind: ref.kind,
      });
    }
    out.set(k, r.value);
  }
  return out;
}

/** Options of `buildRbacIndex`. */
export interface RbacBuildOptions {
  /**
   * Assume the API server's bootstrap policy where the input lacks it (see bootstrap.ts). Absent or false: the
   * input alone, as before.
   */
  defaultRoles?: DefaultRolesOptions | false | undefined;
}

/** Add defaults under keys the input does not use, marked `builtin`. */
function withDefaults<T extends { builtin?: true }>(
  input: Map<string, T>,
  defaults: readonly KObject[],
  parse: (o: KObject) => { ok: true; value: T } | { ok: false; errors: string[] },
  key: (t: T) => string,
  coverage: CoverageEntry[],
): Map<string, T> {
  for (const [k, v] of collect(defaults, parse, key, coverage)) {
    if (input.has(k)) continue;
    v.builtin = true;
    input.set(k, v);
  }
  return input;
}

/**
 * Build the effective-permission graph from the inventory: validate roles and bindings (invalid ones become
 * coverage entries), add the bootstrap policy's defaults when asked, resolve ClusterRole aggregation over every
 * ClusterRole (a user's `aggregate-to-edit` role extends the default `edit` and, through it, `admin`), link
 * bindings to roles, and index bindings by subject and roles by resource so that `canI` and `whoCan` touch only
 * what can match.
 */
export function buildRbacIndex(inv: Inventory, opts: RbacBuildOptions = {}): RbacIndex {
  const coverage: CoverageEntry[] = [];
  const defaults = opts.defaultRoles ? planDefaultPolicy(inv, opts.defaultRoles) : undefined;
  const d = defaults?.objects;
  const roleKeyOf = (r: RbacRole) => roleKey("Role", r.namespace, r.name);
  const bindingKeyOf = (b: RbacBinding) => `${b.namespace ?? ""}\u0000${b.name}`;
  const roles = withDefaults(
    collect(inv.roles, parseRole, roleKeyOf, coverage),
    d?.Role ?? [],
    parseRole,
    roleKeyOf,
    coverage,
  );
  const clusterRoles = withDefaults(
    collect(inv.clusterRoles, parseRole, (r) => r.name, coverage),
    d?.ClusterRole ?? [],
    parseRole,
    (r) => r.name,
    coverage,
  );
  resolveAggregation(clusterRoles, coverage);
  const crbs = withDefaults(
    collect(inv.clusterRoleBindings, parseBinding, (b) => b.name, coverage),
    d?.ClusterRoleBinding ?? [],
    parseBinding,
    (b) => b.name,
    coverage,
  );
  const rbs = withDefaults(
    collect(inv.roleBindings, parseBinding, bindingKeyOf, coverage),
    d?.RoleBinding ?? [],
    parseBinding,
    bindingKeyOf,
    coverage,
  );
  if (defaults) appendAll(coverage, defaults.coverage);

  const bindings = [
    ...[...crbs.values()].sort((a, b) => cmp(a.name, b.name)),
    ...[...rbs.values()].sort((a, b) => cmp(a.namespace ?? "", b.namespace ?? "") || cmp(a.name, b.name)),
  ];
  const idx: RbacIndex = {
    roles: new Map([...roles.values()].map((r) => [roleKey("Role", r.namespace, r.name), r])),
    clusterRoles,
    bindings,
    clusterBySubject: new Map(),
    namespacedBySubject: new Map(),
    allNamespacedBySubject: new Map(),
    bindingsByRole: new Map(),
    bindingsByRoleScope: new Map(),
    rolesByResource: new Map(),
    rolesWithNonResource: [],
    serviceAccounts: new Set(),
    namespaces: [],
    tokenSecrets: [],
    runningServiceAccounts: new Map(),
    coverage,
  };
  if (defaults?.version !== undefined && defaults.coverage.length > 0) idx.assumedVersion = defaults.version;
  for (const b of bindings) {
    // GetRoleReferenceRules: a Role is looked up in the binding's namespace; a ClusterRole by name.
    const rk = roleKey(b.roleRef.kind, b.namespace, b.roleRef.name);
    const role = b.roleRef.kind === "Role" ? idx.roles.get(rk) : clusterRoles.get(b.roleRef.name);
    if (role) b.role = role;
    add(idx.bindingsByRole, rk, b);
    add(idx.bindingsByRoleScope, `${rk}\u0000${b.namespace ?? ""}`, b);
    for (const s of b.subjects) {
      const key = subjectIndexKey(s, b.namespace);
      if (key === undefined) continue;
      if (b.kind === "ClusterRoleBinding") add(idx.clusterBySubject, key, b);
      else {
        add(idx.namespacedBySubject, `${b.namespace ?? ""}\u0000${key}`, b);
        add(idx.allNamespacedBySubject, key, b);
      }
    }
  }
  for (const role of [...idx.roles.values(), ...clusterRoles.values()]) {
    const tokens = new Set<string>();
    let nonResource = false;
    for (const r of role.rules) {
      for (const res of r.resources) tokens.add(res);
      if (r.nonResourceURLs.length > 0) nonResource = true;
    }
    for (const t of tokens) add(idx.rolesByResource, t, role);
    if (nonResource) idx.rolesWithNonResource.push(role);
  }

  const namespaces = new Set<string>(inv.namespaces.keys());
  for (const sa of inv.serviceAccounts) {
    if (sa.ref.namespace === undefined) continue;
    idx.serviceAccounts.add(`${sa.ref.namespace}/${sa.ref.name}`);
    namespaces.add(sa.ref.namespace);
  }
  for (const b of bindings) {
    if (b.namespace) namespaces.add(b.namespace);
    for (const s of b.subjects) {
      const ns = subjectNamespace(s, b);
      if (ns) namespaces.add(ns);
    }
  }
  for (const r of idx.roles.values()) if (r.namespace) namespaces.add(r.namespace);
  idx.namespaces = [...namespaces].sort(cmp);
  for (const s of inv.secrets) {
    if (s.raw.type !== "kubernetes.io/service-account-token" || s.ref.namespace === undefined) continue;
    const sa = s.annotations["kubernetes.io/service-account.name"];
    if (sa) idx.tokenSecrets.push({ namespace: s.ref.namespace, name: s.ref.name, serviceAccount: sa });
  }
  for (const w of inv.workloads) {
    const ns = w.ref.namespace;
    if (ns === undefined) continue;
    const set = idx.runningServiceAccounts.get(ns) ?? new Set<string>();
    idx.runningServiceAccounts.set(ns, set);
    set.add(w.serviceAccountName);
  }
  return idx;
}
