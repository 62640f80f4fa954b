import { cmp } from "../findings/index.js";
import { isRecord } from "../util/index.js";

/** Labels of an object (or of a pod template), as read by the inventory. */
export type Labels = Readonly<Record<string, string>>;

/**
 * metav1.LabelSelector: `matchLabels` and `matchExpressions`, ANDed. apimachinery `LabelSelectorAsSelector`: an
 * empty selector (`{}`) matches everything, a nil one matches nothing. Whether an ABSENT field is nil or empty
 * depends on the API type, so every caller says which (see `parseLabelSelector`):
 *
 * - NetworkPolicy `spec.podSelector` and ClusterRole `aggregationRule.clusterRoleSelectors[i]` are non-pointer
 *   structs in Go: absent or `null` decodes as the empty selector, which matches everything ("everything").
 * - NetworkPolicy peer `podSelector`/`namespaceSelector` are pointers whose absence changes the peer's meaning
 *   (no namespaceSelector = the policy's own namespace): the netpol parser handles absence itself and only parses
 *   present selectors.
 * - Pointers that Kubernetes reads as `labels.Nothing()` when nil (PodDisruptionBudget `spec.selector` in
 *   policy/v1, a workload's `spec.selector` for the controllers) pass "nothing" (no caller reads those yet; the
 *   differential test does, against apimachinery's nil selector).
 *
 * Selector strings (`kubectl -l app=web,tier notin (a)`) are not parsed here: no Palisade input takes one yet.
 * Service `spec.selector` maps have their own semantics (`matchesServiceSelector`).
 */
export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values: readonly string[];
}

export interface Selector {
  matchLabels: readonly (readonly [string, string])[];
  matchExpressions: readonly SelectorRequirement[];
  /** Canonical text, equal for equal selectors (used as a cache key and in messages). */
  text: string;
  /** The nil selector (`labels.Nothing()`): matches no object, not even one without labels. */
  nothing?: true;
}

/** A problem found while reading a selector; `path` is relative to the selector. */
export interface SelectorIssue {
  path: string;
  message: string;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery IsQualifiedName: `[prefix/]name`, name at most 63 characters, prefix a DNS subdomain. */
export function isQualifiedName(key: string): boolean {
  const slash = key.indexOf("/");
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

/** apimachinery IsValidLabelValue: empty, or at most 63 characters of the name alphabet. */
export function isValidLabelValue(v: string): boolean {
  return v === "" || (v.length <= 63 && NAME.test(v));
}

const OPERATORS: ReadonlySet<string> = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/** The empty selector (`{}`): matches everything. */
export const MATCH_ALL: Selector = { matchLabels: [], matchExpressions: [], text: "{}" };

/** The nil selector: matches nothing. */
export const MATCH_NOTHING: Selector = {
  matchLabels: [],
  matchExpressions: [],
  text: "<nothing>",
  nothing: true,
};

/** What an absent (`undefined`) or `null` selector field means for the caller's API type (see module comment). */
export type AbsentSelector = "everything" | "nothing";

/**
 * Parse and validate a LabelSelector the way the API server does (`ValidateLabelSelector`, then
 * `LabelSelectorAsSelector`): In/NotIn need at least one value, Exists/DoesNotExist none, keys must be qualified
 * names and values valid label values. `selector` is set only when there is no issue.
 */
export function parseLabelSelector(
  raw: unknown,
  absent: AbsentSelector,
): { selector?: Selector; issues: SelectorIssue[] } {
  const issues: SelectorIssue[] = [];
  if (raw === null || raw === undefined)
    return { selector: absent === "everything" ? MATCH_ALL : MATCH_NOTHING, issues };
  if (!isRecord(raw)) return { issues: [{ path: "", message: "must be an object" }] };
  const labels: [string, string][] = [];
  if (raw.matchLabels !== undefined && raw.matchLabels !== null) {
    if (!isRecord(raw.matchLabels)) issues.push({ path: "matchLabels", message: "must be a map" });
    else {
      for (const [k, v] of Object.entries(raw.matchLabels)) {
        const p = `matchLabels[${JSON.stringify(k)}]`;
        // `__proto__` is not a qualified name; `constructor` is one, and Kubernetes accepts it: pairs are kept in an
        // array, never merged into an object, so no key can reach a prototype.
        if (!isQualifiedName(k)) issues.push({ path: p, message: `invalid label key ${JSON.stringify(k)}` });
        else if (typeof v !== "string" || !isValidLabelValue(v))
          issues.push({ path: p, message: `invalid label value ${JSON.stringify(v)}` });
        else labels.push([k, v]);
      }
    }
  }
  const exprs: SelectorRequirement[] = [];
  if (raw.matchExpressions !== undefined && raw.matchExpressions !== null) {
    if (!Array.isArray(raw.matchExpressions))
      issues.push({ path: "matchExpressions", message: "must be a list" });
    else {
      raw.matchExpressions.forEach((e, i) => {
        const p = `matchExpressions[${i}]`;
        if (!isRecord(e)) {
          issues.push({ path: p, message: "must be an object" });
          return;
        }
        const key = e.key;
        const op = e.operator;
        const values = e.values === undefined || e.values === null ? [] : e.values;
        if (typeof key !== "string" || !isQualifiedName(key)) {
          issues.push({ path: `${p}.key`, message: `invalid label key ${JSON.stringify(key)}` });
          return;
        }
        if (typeof op !== "string" || !OPERATORS.has(op)) {
          issues.push({
            path: `${p}.operator`,
            message: `unsupported operator ${JSON.stringify(op)}: must be In, NotIn, Exists or DoesNotExist`,
          });
          return;
        }
        if (!Array.isArray(values) || values.some((v) => typeof v !== "string" || !isValidLabelValue(v))) {
          issues.push({ path: `${p}.values`, message: "must be a list of valid label values" });
          return;
        }
        const vs = values as string[];
        if ((op === "In" || op === "NotIn") && vs.length === 0) {
          issues.push({ path: `${p}.values`, message: `must be specified when operator is ${op}` });
          return;
        }
        if ((op === "Exists" || op === "DoesNotExist") && vs.length > 0) {
          issues.push({ path: `${p}.values`, message: `may not be specified when operator is ${op}` });
          return;
        }
        exprs.push({ key, operator: op as SelectorOperator, values: [...new Set(vs)].sort(cmp) });
      });
    }
  }
  if (issues.length > 0) return { issues };
  labels.sort((a, b) => cmp(a[0], b[0]));
  const text = selectorText(labels, exprs);
  return { selector: { matchLabels: labels, matchExpressions: exprs, text }, issues };
}

function selectorText(
  labels: readonly (readonly [string, string])[],
  exprs: readonly SelectorRequirement[],
): string {
  const parts = [
    ...labels.map(([k, v]) => `${k}=${v}`),
    ...exprs
      .map((e) =>
        e.operator === "Exists"
          ? e.key
          : e.operator === "DoesNotExist"
            ? `!${e.key}`
            : `${e.key} ${e.operator === "In" ? "in" : "notin"} (${e.values.join(",")})`,
      )
      .sort(cmp),
  ];
  return parts.length === 0 ? "{}" : parts.join(",");
}

/** Whether the selector is the empty one (`{}`), which matches every object. */
export function isMatchAll(s: Selector): boolean {
  return s.nothing !== true && s.matchLabels.length === 0 && s.matchExpressions.length === 0;
}

/** Label selector semantics (apimachinery labels.Requirement.Matches); own properties of `labels` only. */
export function matchesSelector(s: Selector, labels: Labels): boolean {
  if (s.nothing) return false;
  for (const [k, v] of s.matchLabels) {
    if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
  }
  for (const e of s.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case "In":
        if (!has || !e.values.includes(labels[e.key] as string)) return false;
        break;
      case "NotIn":
        // NotIn matches objects without the key too.
        if (has && e.values.includes(labels[e.key] as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * A Service's `spec.selector`: a map of labels ANDed by equality (`labels.SelectorFromValidatedSet`). Unlike a
 * LabelSelector, an empty or absent one selects NO pod: the EndpointSlice controller skips a Service without a
 * selector ("the service is assumed to have an external process managing its endpoints", ServiceSpec docs), and
 * an empty map is stored as absent.
 */
export function matchesServiceSelector(selector: Labels, labels: Labels): boolean {
  const keys = Object.keys(selector);
  if (keys.length === 0) return false;
  for (const k of keys) if (!Object.hasOwn(labels, k) || labels[k] !== selector[k]) return false;
  return true;
}
