/**
 * Pod Security Standards, exact: the checks, versions and messages of Kubernetes'
 * pod-security-admission (k8s.io/pod-security-admission/policy), evaluated over manifests.
 */
export type { CheckDefinition, CheckResult, PodMeta } from "./checks.js";
export {
  CAPABILITIES_ALLOWED_1_0 as BASELINE_ALLOWED_CAPABILITIES,
  CHECKS,
  SAFE_SYSCTLS_LATEST,
} from "./checks.js";
export type { PssEvaluator, PssLevel, PssResult, PssVersion, PssViolation } from "./evaluate.js";
export {
  applyApiDefaults,
  checksFor,
  effectiveMinor,
  evaluatePss,
  evaluateWorkloadPss,
  LATEST_POLICY_MINOR,
  PSS_LEVELS,
  parsePssLevel,
  parsePssVersion,
  pssEvaluator,
} from "./evaluate.js";
export { PSS_CHECK_META, pssFindings } from "./findings.js";
export type {
  NamespacePss,
  NamespacePssReport,
  PssLabelError,
  PssMode,
  PssModePolicy,
  PssPolicy,
  PssWorkloadVerdict,
} from "./namespaces.js";
export { DEFAULT_PSS_POLICY, evaluateNamespacesPss, PSS_LABELS, policyFromLabels } from "./namespaces.js";
