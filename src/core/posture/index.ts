/**
 * Posture rules: workload security context, host access, images, secrets handling, resources, Service and
 * Ingress exposure. Pure: an Inventory in, findings and coverage out, deterministic order.
 *
 * RBAC and NetworkPolicy rules live in core/rbac and core/netpol with their own catalogues.
 */
import {
  type CoverageEntry,
  type Finding,
  type ResourceRef,
  type RuleMeta,
  SEVERITY_RANK,
  type Severity,
} from "../findings/index.js";
import { buildInventory, type Inventory } from "../inventory/index.js";
import {
  collectSelectedHits,
  type HitOn,
  type ObjectRulesAtLoad,
  objectRulesAtLoad,
  type PostureOptions,
  type RuleSelection,
  runRules,
  selectRules,
} from "./engine.js";
import { RULES } from "./rules/index.js";

export { renderRulesDoc } from "./doc.js";
export type { ObjectRulesAtLoad, PostureOptions } from "./engine.js";
export { withNamespaceTeam } from "./engine.js";

/** The posture rule catalogue, in rule-list order. Ids never change meaning once published. */
export const POSTURE_RULES: readonly RuleMeta[] = RULES.map((r) => r.meta);

/**
 * Evaluate every posture rule over the inventory. Each workload is evaluated once (pods owned by a workload
 * are attached to it by the inventory and not re-evaluated). Malformed fields become "invalid" coverage
 * entries, never exceptions. Findings are sorted with compareFindings; with `emit`, each is handed over as it is
 * produced (evaluation order) and none is kept (the returned list is empty).
 */
export function evaluatePosture(
  inv: Inventory,
  opts: PostureOptions = {},
  emit?: (f: Finding) => void,
): { findings: Finding[]; coverage: CoverageEntry[] } {
  return runRules(RULES, inv, opts, emit);
}

/**
 * The posture rules that judge each object of their kinds alone (a ConfigMap's values), to run as the objects are
 * read: a streaming scan keeps their findings and drops the fields only they read (issue: scale). Their findings
 * carry no team until {@link withNamespaceTeam}; {@link evaluatePosture} with `evaluatedAtLoad` skips them.
 */
export function postureRulesAtLoad(): ObjectRulesAtLoad {
  return objectRulesAtLoad(RULES);
}

/** A posture rule's hit, without the finding around it. */
export interface PostureHit {
  ruleId: string;
  fieldPath: string;
  message: string;
}

/** The rules at or above each severity, by scope: selected once, not per call (admission calls per request). */
const BY_SEVERITY = new Map<Severity, RuleSelection>();
function rulesFrom(minSeverity: Severity): RuleSelection {
  let selection = BY_SEVERITY.get(minSeverity);
  if (selection === undefined) {
    const rank = SEVERITY_RANK[minSeverity];
    selection = selectRules(RULES, (meta) => SEVERITY_RANK[meta.severity] >= rank);
    BY_SEVERITY.set(minSeverity, selection);
  }
  return selection;
}

const toPostureHit = ({ meta, hit }: HitOn): PostureHit => ({
  ruleId: meta.id,
  fieldPath: hit.fieldPath,
  message: hit.message,
});

/**
 * The hits of the posture rules at or above `minSeverity` on the objects `object` keeps, in the order
 * {@link evaluatePosture} sorts their findings: the same rule ids, field paths and messages as its findings filtered
 * that way, but rules below the severity are not evaluated, workloads on other objects are not evaluated, and no
 * finding (id hash, metadata, team, location) is built.
 */
export function postureHits(
  inv: Inventory,
  filter: { minSeverity: Severity; object: (ref: ResourceRef) => boolean },
  opts: PostureOptions = {},
): PostureHit[] {
  return collectSelectedHits(rulesFrom(filter.minSeverity), inv, (obj) => filter.object(obj.ref), opts).map(
    toPostureHit,
  );
}

/**
 * {@link postureHits} on one workload object (a Pod, a Deployment, any kind core/k8s knows as a workload): the hits
 * it gives over an inventory of the object and its namespace, for `object` keeping only that object, built from
 * an inventory of the object alone and running only the rules that judge a workload (pod and container rules).
 * Nothing else of the inventory reaches them: no pod or container rule reads the namespace (its labels, its team),
 * and inventory rules never hit a workload's object. Admission's path, per request; its differential test holds
 * it to evaluatePosture over the object and its namespace.
 */
export function workloadPostureHits(
  object: Record<string, unknown>,
  filter: { minSeverity: Severity; object: (ref: ResourceRef) => boolean },
  opts: PostureOptions = {},
): PostureHit[] {
  const inv = buildInventory([{ object }]);
  return collectSelectedHits(
    rulesFrom(filter.minSeverity),
    inv,
    (obj) => filter.object(obj.ref),
    opts,
    true,
  ).map(toPostureHit);
}
