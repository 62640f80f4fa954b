/**
 * Image lineage: the tree of known images by layer chains, where each vulnerability must be fixed, who runs it
 * (impact index), the prioritised remediation plan, and the remediation-record reducer. Pure.
 */
export type { AncestorSource, BaseMode, ImageMeta } from "./bases.js";
export {
  annotatedBase,
  BASE_LIMITS,
  BASE_MODES,
  inTotoStatement,
  isArtifactTag,
  isProperPrefix,
  metaRef,
  newerTags,
  noBaseCoverage,
  prefixCandidates,
  provenanceImages,
  tagRefOf,
} from "./bases.js";
export type { DiscoveryPlan, DiscoveryTarget } from "./discover.js";
export { collectDiscoveryTargets, discoveryFailureReason, planDiscovery } from "./discover.js";
export type { NodeCounts, TreeJson } from "./format.js";
export {
  formatDuration,
  formatImpactTable,
  formatPlanTable,
  formatStatusTable,
  formatTreeDot,
  formatTreeText,
  nodeCounts,
  treeJson,
} from "./format.js";
export type {
  ClusterImpact,
  FixLocation,
  ImpactAnswer,
  ImpactIndex,
  ImpactIndexOptions,
  ImpactWorkload,
  NodeUse,
} from "./impact.js";
export { buildImpactIndex, DEFAULT_TARGET_PLATFORM, impact, impactByCluster } from "./impact.js";
export {
  canonicalRef,
  isDigest,
  KNOWN_IMAGE_LIMITS,
  knownImageFromSbom,
  parseKnownImage,
  repositoryOf,
  sbomOfKnownImage,
} from "./known-image.js";
export type {
  ContainerUsage,
  KnownImage,
  Lineage,
  LineageNode,
  LineageVulns,
  NodeVuln,
  ParentSource,
  WorkloadUsage,
} from "./model.js";
export { BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION } from "./model.js";
export type { PlanItem, RemediationPlan, UpgradeAdvice } from "./plan.js";
export { buildPlan, EXPOSURE_WEIGHT, NO_TEAM, SEVERITY_WEIGHT, upgradeAdvice } from "./plan.js";
export type { TagRelease } from "./release.js";
export { compareTags, releaseOrder, tagRelease } from "./release.js";
export type {
  ClusterRollout,
  ObservationScope,
  ObservedRemediation,
  ObservedWorkload,
  RecordWorkload,
  RemediationObservation,
  RemediationRecord,
  RemediationState,
  RolloutState,
  Transition,
} from "./remediation.js";
export {
  advance,
  clusterRollouts,
  inObservationScope,
  MAX_RECORD_HISTORY,
  MAX_RECORD_WORKLOADS,
  observeRemediation,
  REMEDIATION_STATES,
  remediationKey,
} from "./remediation.js";
export { ancestors, buildLineage, descendants, nodeLabel } from "./tree.js";
export { digestOfImageId, exposedWorkloads, observationScope, workloadKey, workloadUsages } from "./usage.js";
export { attributeVulns, lineageQueryKeys, matchLineage, vulnIdsOf } from "./vulns.js";
