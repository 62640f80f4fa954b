/**
 * Posture rules: workload security context, host access, images, secrets handling, resources, Service and
 * Ingress exposure. Pure: an Inventory in, findings and coverage out, deterministic order.
 *
 * RBAC and NetworkPolicy rules live in core/rbac and core/netpol with their own catalogues.
 */
import type { CoverageEntry, Finding, RuleMeta } from "../findings/index.js";
import type { Inventory } from "../inventory/index.js";
import { type PostureOptions, runRules } from "./engine.js";
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
