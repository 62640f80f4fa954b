import { type Finding, makeFinding, type Severity, type SourceLocation } from "../findings/index.js";
import type { Inventory, Workload } from "../inventory/index.js";
import { CHECKS } from "./checks.js";
import { evaluateWorkloadPss, type PssVersion } from "./evaluate.js";

interface CheckMeta {
  title: string;
  remediation: string;
  /** Field below the pod spec (or "metadata" for annotation checks) the check reads. */
  field?: string;
}

/** Titles and remediations per upstream check id (wording from the Pod Security Standards page). */
export const PSS_CHECK_META: Readonly<Record<string, CheckMeta>> = {
  privileged: {
    title: "Privileged containers",
    remediation: "Remove securityContext.privileged or set it to false.",
  },
  hostNamespaces: { title: "Host namespaces", remediation: "Do not set hostNetwork, hostPID or hostIPC." },
  hostPorts: {
    title: "Host ports",
    remediation: "Remove hostPort from container ports; expose the pod through a Service.",
  },
  hostPathVolumes: {
    title: "HostPath volumes",
    remediation: "Replace hostPath volumes with a PersistentVolumeClaim, configMap, secret or emptyDir.",
    field: "volumes",
  },
  capabilities_baseline: {
    title: "Capabilities beyond the default set",
    remediation: "Add only capabilities from the container runtime default set.",
  },
  appArmorProfile: {
    title: "AppArmor profile",
    remediation: "Use the RuntimeDefault or a Localhost AppArmor profile; never Unconfined.",
  },
  seLinuxOptions: {
    title: "SELinux options",
    remediation:
      "Use an allowed SELinux type (container_t, container_init_t, container_kvm_t, container_engine_t) and do not set user or role.",
  },
  procMount: {
    title: "/proc mount type",
    remediation: "Remove securityContext.procMount or set it to Default.",
  },
  procMount_restricted: {
    title: "/proc mount type",
    remediation: "Remove securityContext.procMount or set it to Default.",
  },
  seccompProfile_baseline: {
    title: "Seccomp profile",
    remediation: "Use the RuntimeDefault or a Localhost seccomp profile; never Unconfined.",
  },
  seccompProfile_restricted: {
    title: "Seccomp profile required",
    remediation:
      "Set securityContext.seccompProfile.type to RuntimeDefault or Localhost on the pod or every container.",
  },
  sysctls: {
    title: "Unsafe sysctls",
    remediation: "Set only sysctls from the safe set.",
    field: "securityContext.sysctls",
  },
  windowsHostProcess: {
    title: "Windows HostProcess",
    remediation: "Do not set securityContext.windowsOptions.hostProcess=true.",
  },
  hostProbesAndHostLifecycle: {
    title: "Probe or lifecycle host",
    remediation: "Remove host from httpGet and tcpSocket probes and lifecycle handlers.",
  },
  restrictedVolumes: {
    title: "Restricted volume types",
    remediation:
      "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes.",
    field: "volumes",
  },
  allowPrivilegeEscalation: {
    title: "Privilege escalation",
    remediation: "Set securityContext.allowPrivilegeEscalation=false on every container.",
  },
  runAsNonRoot: {
    title: "Running as non-root",
    remediation: "Set securityContext.runAsNonRoot=true on the pod or every container.",
  },
  runAsUser: { title: "Running as UID 0", remediation: "Do not set runAsUser=0; use a non-zero UID." },
  capabilities_restricted: {
    title: "Capabilities not dropped",
    remediation: 'Set securityContext.capabilities.drop=["ALL"] and add at most NET_BIND_SERVICE.',
  },
};

const LEVEL_OF = new Map(CHECKS.map((c) => [c.id, c.level]));

function locationOf(w: Workload, fieldPath: string): SourceLocation | undefined {
  const src = w.object.source;
  if (!src) return undefined;
  return src.locate?.(fieldPath) ?? { file: src.file, line: src.line, column: src.column };
}

/**
 * PSS as findings, one per failed check per workload, rule ids `PSS-<check>`. Baseline checks are
 * high severity, restricted-only checks medium.
 */
export function pssFindings(
  inv: Inventory,
  level: "baseline" | "restricted",
  version: PssVersion = "latest",
): Finding[] {
  const out: Finding[] = [];
  for (const w of inv.workloads) {
    const r = evaluateWorkloadPss(w, level, version);
    for (const v of r.violations) {
      const meta = PSS_CHECK_META[v.check];
      const severity: Severity = LEVEL_OF.get(v.check) === "baseline" ? "high" : "medium";
      const annotationCheck =
        v.detail.includes("annotation") &&
        (v.check === "appArmorProfile" || v.check === "seccompProfile_baseline");
      const fieldPath = annotationCheck
        ? `${w.podMetaPath}.annotations`
        : meta?.field
          ? `${w.podSpecPath}.${meta.field}`
          : w.podSpecPath;
      const location = locationOf(w, fieldPath);
      out.push(
        makeFinding({
          ruleId: `PSS-${v.check}`,
          title: meta?.title ?? v.reason,
          severity,
          resource: w.ref,
          workload: w.ref,
          team: w.team,
          location,
          fieldPath,
          evidence: v.detail === "" ? undefined : v.detail,
          message: `${level} policy (${version}): ${v.message}`,
          remediation: meta?.remediation ?? "See the Pod Security Standards.",
          compliance: [{ framework: "pss", id: v.check, title: meta?.title }],
          category: "workload",
        }),
      );
    }
  }
  return out;
}
