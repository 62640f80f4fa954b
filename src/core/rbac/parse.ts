/**
 * Validation of RBAC objects at the edge, following the API server's own validation
 * (kubernetes/kubernetes `pkg/apis/rbac/validation/validation.go`) after v1 defaulting
 * (`pkg/apis/rbac/v1/defaults.go`: a User or Group subject without apiGroup gets rbac.authorization.k8s.io).
 * An object the API server would reject cannot exist in a cluster, so it grants nothing: it is dropped with a
 * coverage entry naming the object and the field, and analysis of the rest continues.
 */
import type { CoverageEntry } from "../findings/index.js";
import type { KObject } from "../inventory/index.js";
import { parseLabelSelector, type Selector } from "../k8s/index.js";
import { isRecord } from "../util/index.js";
import { type PolicyRule, RBAC_GROUP, type RbacBinding, type RbacRole, type Subject } from "./model.js";

type Result<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `ValidateNamespaceName`: a DNS-1123 label. */
export function isValidNamespaceName(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** `ValidateServiceAccountName`: a DNS-1123 subdomain. */
export function isValidServiceAccountName(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** `path.IsValidPathSegmentName` (role and binding names): not `.`/`..`, no `/` or `%`. */
function pathSegmentErrors(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const out: string[] = [];
  if (name.includes("/")) out.push("may not contain '/'");
  if (name.includes("%")) out.push("may not contain '%'");
  return out;
}

function stringList(v: unknown, path: string, errors: string[]): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    errors.push(`${path}: must be a list of strings`);
    return [];
  }
  return v as string[];
}

/** `ValidatePolicyRule`. `namespaced` is true for Role rules. */
export function parsePolicyRule(v: unknown, path: string, namespaced: boolean, errors: string[]): PolicyRule {
  const rule: PolicyRule = {
    verbs: [],
    apiGroups: [],
    resources: [],
    resourceNames: [],
    nonResourceURLs: [],
  };
  if (!isRecord(v)) {
    errors.push(`${path}: must be an object`);
    return rule;
  }
  rule.verbs = stringList(v.verbs, `${path}.verbs`, errors);
  rule.apiGroups = stringList(v.apiGroups, `${path}.apiGroups`, errors);
  rule.resources = stringList(v.resources, `${path}.resources`, errors);
  rule.resourceNames = stringList(v.resourceNames, `${path}.resourceNames`, errors);
  rule.nonResourceURLs = stringList(v.nonResourceURLs, `${path}.nonResourceURLs`, errors);
  if (rule.verbs.length === 0) errors.push(`${path}.verbs: verbs must contain at least one value`);
  if (rule.nonResourceURLs.length > 0) {
    if (namespaced)
      errors.push(`${path}.nonResourceURLs: namespaced rules cannot apply to non-resource URLs`);
    if (rule.apiGroups.length > 0 || rule.resources.length > 0 || rule.resourceNames.length > 0)
      errors.push(
        `${path}.nonResourceURLs: rules cannot apply to both regular resources and non-resource URLs`,
      );
    return rule;
  }
  if (rule.apiGroups.length === 0)
    errors.push(`${path}.apiGroups: resource rules must supply at least one api group`);
  if (rule.resources.length === 0)
    errors.push(`${path}.resources: resource rules must supply at least one resource`);
  return rule;
}

/**
 * One `aggregationRule.clusterRoleSelectors[i]`, validated as the API server does (the kernel's
 * `parseLabelSelector`). The entries are non-pointer `metav1.LabelSelector` structs, so `null` decodes as the
 * empty selector, which aggregates every ClusterRole; an invalid selector is an error (undefined).
 */
function parseClusterRoleSelector(v: unknown, path: string, errors: string[]): Selector | undefined {
  const r = parseLabelSelector(v, "everything");
  for (const i of r.issues) errors.push(`${path}${i.path === "" ? "" : `.${i.path}`}: ${i.message}`);
  return r.selector;
}

/** Validate a Role or ClusterRole object. */
export function parseRole(obj: KObject): Result<RbacRole> {
  const errors: string[] = [];
  const kind = obj.ref.kind === "Role" ? "Role" : "ClusterRole";
  const namespaced = kind === "Role";
  for (const m of pathSegmentErrors(obj.ref.name)) errors.push(`metadata.name: ${m}`);
  const raw = obj.raw;
  const rules: PolicyRule[] = [];
  if (raw.rules !== undefined && raw.rules !== null) {
    if (!Array.isArray(raw.rules)) errors.push("rules: must be a list");
    else
      raw.rules.forEach((r, i) => {
        rules.push(parsePolicyRule(r, `rules[${i}]`, namespaced, errors));
      });
  }
  let aggregationRule: Selector[] | undefined;
  if (kind === "ClusterRole" && raw.aggregationRule !== undefined && raw.aggregationRule !== null) {
    const ar = raw.aggregationRule;
    if (!isRecord(ar)) errors.push("aggregationRule: must be an object");
    else {
      const sels = ar.clusterRoleSelectors;
      if (!Array.isArray(sels) || sels.length === 0)
        errors.push(
          "aggregationRule.clusterRoleSelectors: at least one clusterRoleSelector required if aggregationRule is non-nil",
        );
      else
        aggregationRule = sels.flatMap(
          (s, i) => parseClusterRoleSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`, errors) ?? [],
        );
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const role: RbacRole = {
    kind,
    ref: obj.ref,
    name: obj.ref.name,
    labels: obj.labels,
    rules,
    declaredRules: rules,
    object: obj,
  };
  if (namespaced && obj.ref.namespace !== undefined) role.namespace = obj.ref.namespace;
  if (aggregationRule) role.aggregationRule = aggregationRule;
  return { ok: true, value: role };
}

/** `ValidateRoleBindingSubject` after defaulting. `namespaced` is true for RoleBinding subjects. */
function parseSubject(v: unknown, path: string, namespaced: boolean, errors: string[]): Subject | undefined {
  if (!isRecord(v)) {
    errors.push(`${path}: must be an object`);
    return undefined;
  }
  const kind = v.kind;
  const name = typeof v.name === "string" ? v.name : "";
  const ns = typeof v.namespace === "string" ? v.namespace : "";
  let apiGroup = typeof v.apiGroup === "string" ? v.apiGroup : "";
  if (name === "") errors.push(`${path}.name: Required value`);
  switch (kind) {
    case "ServiceAccount":
      if (name !== "" && !isValidServiceAccountName(name))
        errors.push(
          `${path}.name: ${JSON.stringify(name)} is not a valid ServiceAccount name (DNS-1123 subdomain)`,
        );
      if (apiGroup !== "")
        errors.push(`${path}.apiGroup: Unsupported value ${JSON.stringify(apiGroup)}: must be ""`);
      if (!namespaced && ns === "") errors.push(`${path}.namespace: Required value`);
      return ns !== "" ? { kind, name, namespace: ns } : { kind, name };
    case "User":
    case "Group":
      if (apiGroup === "") apiGroup = RBAC_GROUP; // SetDefaults_Subject
      if (apiGroup !== RBAC_GROUP)
        errors.push(
          `${path}.apiGroup: Unsupported value ${JSON.stringify(apiGroup)}: must be "${RBAC_GROUP}"`,
        );
      return { kind, name };
    default:
      errors.push(
        `${path}.kind: Unsupported value ${JSON.stringify(kind)}: must be one of "ServiceAccount", "User", "Group"`,
      );
      return undefined;
  }
}

/** Validate a RoleBinding or ClusterRoleBinding object. */
export function parseBinding(obj: KObject): Result<RbacBinding> {
  const errors: string[] = [];
  const kind = obj.ref.kind === "RoleBinding" ? "RoleBinding" : "ClusterRoleBinding";
  const namespaced = kind === "RoleBinding";
  for (const m of pathSegmentErrors(obj.ref.name)) errors.push(`metadata.name: ${m}`);
  const raw = obj.raw;
  const rr = isRecord(raw.roleRef) ? raw.roleRef : undefined;
  if (!rr) errors.push("roleRef: Required value");
  const apiGroup = rr && typeof rr.apiGroup === "string" ? rr.apiGroup : "";
  const rkind = rr && typeof rr.kind === "string" ? rr.kind : "";
  const rname = rr && typeof rr.name === "string" ? rr.name : "";
  if (rr) {
    if (apiGroup !== RBAC_GROUP)
      errors.push(`roleRef.apiGroup: Unsupported value ${JSON.stringify(apiGroup)}: must be "${RBAC_GROUP}"`);
    const allowed = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
    if (!allowed.includes(rkind))
      errors.push(
        `roleRef.kind: Unsupported value ${JSON.stringify(rkind)}: must be ${allowed.join(" or ")}`,
      );
    if (rname === "") errors.push("roleRef.name: Required value");
    else for (const m of pathSegmentErrors(rname)) errors.push(`roleRef.name: ${m}`);
  }
  const subjects: Subject[] = [];
  if (raw.subjects !== undefined && raw.subjects !== null) {
    if (!Array.isArray(raw.subjects)) errors.push("subjects: must be a list");
    else
      raw.subjects.forEach((s, i) => {
        const sub = parseSubject(s, `subjects[${i}]`, namespaced, errors);
        if (sub) subjects.push(sub);
      });
  }
  if (errors.length > 0) return { ok: false, errors };
  const b: RbacBinding = {
    kind,
    ref: obj.ref,
    name: obj.ref.name,
    roleRef: { kind: rkind as "Role" | "ClusterRole", name: rname },
    subjects,
    object: obj,
  };
  if (namespaced && obj.ref.namespace !== undefined) b.namespace = obj.ref.namespace;
  return { ok: true, value: b };
}

/** Coverage entry for an object rejected by validation. */
export function invalidObjectCoverage(obj: KObject, errors: string[]): CoverageEntry {
  const r = obj.ref;
  const e: CoverageEntry = {
    reason: "invalid",
    message: `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name} is invalid and was not evaluated (the API server would reject it): ${errors.join("; ")}`,
    subject: `${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}`,
    kind: r.kind,
  };
  if (r.namespace !== undefined) e.namespace = r.namespace;
  if (obj.source) e.location = { file: obj.source.file, line: obj.source.line, column: obj.source.column };
  return e;
}
