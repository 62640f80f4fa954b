/**
 * Exact RBAC analysis: the Kubernetes RBAC authorizer's semantics over an inventory (can-i, who-can, effective
 * permissions), ClusterRole aggregation, escalation paths and findings. Pure: no IO.
 */
export type { DefaultPolicy, DefaultRolesOptions } from "./bootstrap.js";
export {
  BOOTSTRAP_LABEL,
  BOOTSTRAP_MINORS,
  bootstrapObjects,
  isPlatformObject,
  parseKubeVersion,
  planDefaultPolicy,
  resolveKubeVersion,
} from "./bootstrap.js";
export type { RbacBuildOptions } from "./build.js";
export { buildRbacIndex, resolveAggregation, roleKey } from "./build.js";
export type { EscalationMechanism, EscalationOptions, EscalationPath, EscalationStep } from "./escalation.js";
export { escalationPaths } from "./escalation.js";
export { RBAC_RULES, rbacFindings } from "./findings.js";
export {
  ALL_AUTHENTICATED,
  ALL_SERVICE_ACCOUNTS,
  impersonatedUserInfo,
  SYSTEM_MASTERS,
  serviceAccountGroups,
  serviceAccountUsername,
  splitServiceAccountUsername,
  subjectKey,
  subjectUserInfo,
} from "./identity.js";
export type { RequestAttributes } from "./match.js";
export {
  apiGroupMatches,
  formatRule,
  nonResourceURLMatches,
  resourceMatches,
  resourceNameMatches,
  ruleAllows,
  verbMatches,
} from "./match.js";
export type {
  Grant,
  PolicyRule,
  RbacBinding,
  RbacIndex,
  RbacRole,
  Subject,
  SubjectKind,
  UserInfo,
} from "./model.js";
export { parseBinding, parseRole } from "./parse.js";
export type { BindingGrants, PermissionsReport } from "./permissions.js";
export { parseSubjectArg, permissionsReport } from "./permissions.js";
export type {
  CanIRequest,
  CanIResult,
  EffectivePermissions,
  Reason,
  WhoCanRequest,
  WhoCanSubject,
} from "./query.js";
export { authorize, canI, effectivePermissions, grantsAllow, whoCan } from "./query.js";
export { parseResourceArg } from "./resource-arg.js";
