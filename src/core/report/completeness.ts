import type { CoverageEntry, CoverageReason } from "../findings/index.js";

/**
 * Coverage reasons that mean some input was not evaluated at all: a file that did not parse, a cap that stopped
 * reading ("limit"), a refused or binary file, a kind the API server forbade or that could not be reached, an
 * object left out as invalid. The others describe an answer given under a stated assumption
 * ("missing": a namespace not in the input, defaults assumed; "unserved": a kind the cluster does not serve, so
 * it has no such objects; "stale"; "unsupported": semantics Palisade does not
 * model, such as host-network pods in NetworkPolicy analysis; "not-evaluated": one check skipped for lack of
 * runtime data, such as ipBlock-vs-pod-IP overlap when no pod IP is known, which every manifest scan has).
 */
export const NOT_EVALUATED_REASONS: ReadonlySet<CoverageReason> = new Set<CoverageReason>([
  "parse-error",
  "limit",
  "unsafe",
  "binary",
  "forbidden",
  "unreachable",
  "invalid",
]);

/**
 * How many coverage entries mean an input was not evaluated (0: the run is complete). An entry marked
 * `evaluated` (an invalid value resolved by a documented rule) does not count.
 */
export function countNotEvaluated(coverage: readonly CoverageEntry[]): number {
  let n = 0;
  for (const c of coverage) if (NOT_EVALUATED_REASONS.has(c.reason) && c.evaluated !== true) n++;
  return n;
}

/** The words every output uses for a partial run: `incomplete: 3 inputs not evaluated`. */
export function incompleteText(notEvaluated: number): string {
  return `incomplete: ${notEvaluated} ${notEvaluated === 1 ? "input" : "inputs"} not evaluated`;
}
