/**
 * The Kubernetes kernel: API semantics every domain shares (label selectors, group/version/kind and resource
 * names, workload kinds and their pod templates, owner references). Pure; no domain reimplements these.
 */

export { controllerRef, type OwnerReferenceLike, primaryOwnerRef } from "./owners.js";
export {
  type GroupVersion,
  lookupResourceName,
  parseApiVersion,
  type ResourceInfo,
  resourceForKind,
} from "./resources.js";
export {
  type AbsentSelector,
  isMatchAll,
  isQualifiedName,
  isValidLabelValue,
  type Labels,
  MATCH_ALL,
  MATCH_NOTHING,
  matchesSelector,
  matchesServiceSelector,
  parseLabelSelector,
  type Selector,
  type SelectorIssue,
  type SelectorOperator,
  type SelectorRequirement,
} from "./selector.js";
export {
  isWorkloadKind,
  LONG_RUNNING_KINDS,
  POD_TEMPLATE_PATHS,
  type PodTemplatePaths,
  WORKLOAD_KIND_SPECS,
  WORKLOAD_KINDS,
  type WorkloadKind,
  type WorkloadKindSpec,
  workloadKindOf,
  workloadKindSpec,
} from "./workloads.js";
