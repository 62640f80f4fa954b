/**
 * Admission control, pure: parse an AdmissionReview v1, decide it against the policy and the facts the caller
 * looked up (namespace labels, image vulnerabilities), and build the response. The webhook and offline checks
 * call the same {@link decide}.
 */
export type {
  AdmissionDecision,
  AdmissionFacts,
  AdmissionPolicy,
  AdmissionViolation,
  ImageFacts,
  ImageRuleId,
  ImageVulnerability,
  JsonPatchOp,
  RuleMode,
} from "./decide.js";
export { DEFAULT_ADMISSION_POLICY, decide, failureDecision, namespaceMode, requestImages } from "./decide.js";
export type {
  AdmissionPolicyFile,
  KeylessIdentity,
  NamespaceMode,
  PodSecurityRule,
  PolicyIssue,
  SignatureRequirement,
  SignatureSource,
  UnanalysedAction,
} from "./policy-file.js";
export {
  admissionPolicyFromFile,
  formatPolicyIssue,
  keylessIdentityMismatch,
  POLICY_API_VERSION,
  POLICY_KIND,
  parseAdmissionPolicyFile,
  RULE_MODES,
  SIGNATURE_SOURCES,
} from "./policy-file.js";
export type {
  AdmissionOperation,
  AdmissionRequest,
  AdmissionResponseParts,
  AdmissionStatus,
  GroupVersionKind,
  GroupVersionResource,
  ParsedReview,
} from "./review.js";
export { admissionReviewResponse, MAX_REVIEW_DEPTH, parseAdmissionReview } from "./review.js";
