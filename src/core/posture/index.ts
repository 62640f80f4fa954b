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
import type { Inventory } from "../inventory/index.js";
import { collectHits, type PostureOptions, runRules } from "./engine.js";
import { RULES } from "./rules/index.js";

export { renderRulesDoc } from "./doc.js";
export type { PostureOptions } from "./engine.js";

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

/** A posture rule's hit, without the finding around it. */
export interface PostureHit {
  ruleId: string;
  fieldPath: string;
  message: string;
}

/**
 * The hits of the posture rules at or above `minSeverity` on the objects `object` keeps, in the order
 * {@link evaluatePosture} sorts their findings: the same rule ids, field paths and messages as its findings filtered
 * that way, but rules below the severity are not evaluated, workloads on other objects are not evaluated, and no
 * finding (id hash, metadata, team, location) is built. Admission's path: one object, dozens of rules, per request.
 */
export function postureHits(
  inv: Inventory,
  filter: { minSeverity: Severity; object: (ref: ResourceRef) => boolean },
  opts: PostureOptions = {},
): PostureHit[] {
  const rank = SEVERITY_RANK[filter.minSeverity];
  return collectHits(
    RULES,
    inv,
    { rule: (meta) => SEVERITY_RANK[meta.severity] >= rank, object: (obj) => filter.object(obj.ref) },
    opts,
  ).map(({ meta, hit }) => ({ ruleId: meta.id, fieldPath: hit.fieldPath, message: hit.message }));
}
