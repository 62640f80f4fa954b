/**
 * Compliance references used by the posture rules. Only controls whose numbering and wording were checked
 * against the published text are listed; a rule with no matching control carries no reference rather than a guess.
 *
 * - CIS Kubernetes Benchmark v1.8/v1.9, section 5 "Policies" (5.1 RBAC and Service Accounts, 5.2 Pod Security
 *   Standards, 5.4 Secrets Management, 5.7 General Policies).
 * - NSA/CISA Kubernetes Hardening Guide v1.2 (August 2022): the guide has no control numbers, so the id is the
 *   section heading and the title its chapter.
 * - Pod Security Standards: the check ids of k8s.io/pod-security-admission (`privileged`, `hostNamespaces`, ...).
 */
import type { ComplianceRef } from "../findings/index.js";

const cis = (id: string, title: string): ComplianceRef => ({ framework: "cis", id, title });
const nsa = (id: string, chapter: string): ComplianceRef => ({ framework: "nsa", id, title: chapter });
const pss = (id: string): ComplianceRef => ({ framework: "pss", id });

const POD_SECURITY = "Kubernetes Pod security";
const NETWORK = "Network separation and hardening";

export const NSA = {
  nonRoot: nsa('"Non-root" containers and "rootless" container engines', POD_SECURITY),
  immutable: nsa("Immutable container file systems", POD_SECURITY),
  secureImages: nsa("Building secure container images", POD_SECURITY),
  podSecurity: nsa("Pod security enforcement", POD_SECURITY),
  saTokens: nsa("Protecting Pod service account tokens", POD_SECURITY),
  namespaces: nsa("Namespaces", NETWORK),
  resourcePolicies: nsa("Resource policies", NETWORK),
  secrets: nsa("Secrets", NETWORK),
} as const;

export const CIS = {
  defaultSA: cis("5.1.5", "Ensure that default service accounts are not actively used"),
  saTokenMount: cis("5.1.6", "Ensure that Service Account Tokens are only mounted where necessary"),
  privileged: cis("5.2.2", "Minimize the admission of privileged containers"),
  hostPID: cis(
    "5.2.3",
    "Minimize the admission of containers wishing to share the host process ID namespace",
  ),
  hostIPC: cis("5.2.4", "Minimize the admission of containers wishing to share the host IPC namespace"),
  hostNetwork: cis(
    "5.2.5",
    "Minimize the admission of containers wishing to share the host network namespace",
  ),
  privEsc: cis("5.2.6", "Minimize the admission of containers with allowPrivilegeEscalation"),
  root: cis("5.2.7", "Minimize the admission of root containers"),
  netRaw: cis("5.2.8", "Minimize the admission of containers with the NET_RAW capability"),
  addedCaps: cis("5.2.9", "Minimize the admission of containers with added capabilities"),
  assignedCaps: cis("5.2.10", "Minimize the admission of containers with capabilities assigned"),
  hostProcess: cis("5.2.11", "Minimize the admission of Windows HostProcess containers"),
  hostPath: cis("5.2.12", "Minimize the admission of HostPath volumes"),
  hostPorts: cis("5.2.13", "Minimize the admission of containers which use HostPorts"),
  secretsAsFiles: cis("5.4.1", "Prefer using Secrets as files over Secrets as environment variables"),
  externalSecrets: cis("5.4.2", "Consider external secret storage"),
  seccomp: cis("5.7.2", "Ensure that the seccomp profile is set to docker/default in your Pod definitions"),
  securityContext: cis("5.7.3", "Apply SecurityContext to your Pods and Containers"),
  defaultNamespace: cis("5.7.4", "The default namespace should not be used"),
} as const;

export const PSS = {
  privileged: pss("privileged"),
  hostNamespaces: pss("hostNamespaces"),
  hostPorts: pss("hostPorts"),
  hostPathVolumes: pss("hostPathVolumes"),
  capabilitiesBaseline: pss("capabilities_baseline"),
  capabilitiesRestricted: pss("capabilities_restricted"),
  allowPrivilegeEscalation: pss("allowPrivilegeEscalation"),
  runAsNonRoot: pss("runAsNonRoot"),
  runAsUser: pss("runAsUser"),
  seccompBaseline: pss("seccompProfile_baseline"),
  seccompRestricted: pss("seccompProfile_restricted"),
  appArmor: pss("appArmorProfile"),
  seLinux: pss("seLinuxOptions"),
  sysctls: pss("sysctls"),
  procMount: pss("procMount"),
  windowsHostProcess: pss("windowsHostProcess"),
  restrictedVolumes: pss("restrictedVolumes"),
} as const;
