/**
 * Pod and container security-context rules (PAL-POD-001..033). Semantics follow the Pod Security Standards
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/) and the reference implementation in
 * k8s.io/pod-security-admission/policy, noted per rule where Palisade differs.
 */

import { joinPath } from "../../inventory/index.js";
import { BASELINE_ALLOWED_CAPABILITIES, SAFE_SYSCTLS_LATEST } from "../../pss/index.js";
import { isRecord } from "../../util/index.js";
import { CIS, NSA, PSS } from "../compliance.js";
import { type ContainerRule, effective, type Hit, type PodRule, type PostureRule } from "../engine.js";
import { capabilities, hostPathVolumes, show, volumeMounts, volumes } from "./helpers.js";
import { classifyHostPath } from "./host-paths.js";

const WORKLOAD = "workload";

/** Pod-level boolean host namespace rule (hostPID, hostIPC, hostNetwork). */
function hostNamespaceRule(
  id: string,
  field: "hostPID" | "hostIPC" | "hostNetwork",
  title: string,
  what: string,
  cisRef: (typeof CIS)[keyof typeof CIS],
  rationale: string,
): PodRule {
  return {
    meta: {
      id,
      title,
      severity: "high",
      category: WORKLOAD,
      rationale,
      remediation: `Remove \`${field}: true\` from the pod spec (or set it to false).`,
      compliance: [NSA.podSecurity, cisRef, PSS.hostNamespaces],
    },
    scope: "pod",
    check(wv) {
      if (wv.read.bool(wv.spec, field, wv.specPath) !== true) return [];
      return [
        {
          fieldPath: joinPath(wv.specPath, field),
          evidence: "true",
          message: `pod ${what} (${field}: true)`,
        },
      ];
    },
  };
}

/**
 * One rule of the hostPath family. Every hostPath volume gets exactly one finding, from the rule that owns its case
 * (see host-paths.ts), at the volume's `hostPath.path`; the message says what the path exposes and how each
 * container mounts it.
 */
function hostPathRule(meta: PodRule["meta"]): PodRule {
  return {
    meta,
    scope: "pod",
    check(wv) {
      const hits: Hit[] = [];
      for (const v of hostPathVolumes(wv)) {
        const mounts: string[] = [];
        let writable = false;
        for (const cv of wv.containers)
          for (const m of volumeMounts(wv, cv)) {
            if (m.name !== v.name) continue;
            const ro = wv.read.bool(m.raw, "readOnly", m.path) === true;
            if (!ro) writable = true;
            const at = wv.read.str(m.raw, "mountPath", m.path) ?? "";
            mounts.push(`${cv.label} at ${show(at)}, ${ro ? "read-only" : "writable"}`);
          }
        const c = classifyHostPath(v.normalized, writable);
        if (c.rule !== meta.id) continue;
        hits.push({
          fieldPath: v.pathField,
          evidence: show(v.hostPath),
          message: `volume "${v.name}" mounts ${c.what} [${mounts.length > 0 ? mounts.join("; ") : "not mounted by any container"}]`,
        });
      }
      return hits;
    },
  };
}

/**
 * Capabilities the PSS baseline profile allows to be added (the container runtimes' default set), from the
 * PSS evaluator so the two can never disagree.
 */
const BASELINE_CAPS = BASELINE_ALLOWED_CAPABILITIES;

/** Capabilities that on their own allow escaping the container or controlling the node (capabilities(7)). */
const DANGEROUS_CAPS = new Set([
  "NET_ADMIN",
  "SYS_PTRACE",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_BOOT",
  "SYS_TIME",
  "DAC_READ_SEARCH",
  "BPF",
  "PERFMON",
  "MAC_ADMIN",
  "MAC_OVERRIDE",
]);

/** Claimed by the more specific capability rules, so PAL-POD-014 does not report them twice. */
const CAPS_WITH_OWN_RULE = new Set(["ALL", "SYS_ADMIN", "NET_RAW", ...DANGEROUS_CAPS]);

function addedCapRule(
  id: string,
  title: string,
  severity: "critical" | "high" | "medium",
  match: (name: string) => boolean,
  rationale: string,
  compliance: PostureRule["meta"]["compliance"],
): ContainerRule {
  return {
    meta: {
      id,
      title,
      severity,
      category: WORKLOAD,
      rationale,
      remediation:
        "Remove the capability from securityContext.capabilities.add; drop ALL and add back only what the process needs.",
      compliance,
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      return capabilities(wv, cv, "add")
        .filter((c) => match(c.name))
        .map((c) => ({
          fieldPath: c.path,
          evidence: c.raw,
          message: `${cv.label} adds capability ${c.name}`,
        }));
    },
  };
}

/** Sysctls the PSS baseline allows (the kubelet's "safe" set), as of the latest policy version. */
const SAFE_SYSCTLS = SAFE_SYSCTLS_LATEST;

/** SELinux types the PSS baseline allows (container_engine_t since v1.31). */
const SELINUX_TYPES = new Set(["container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

/** Volume sources the PSS restricted profile allows. */
const RESTRICTED_VOLUME_SOURCES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

export const POD_SECURITY_RULES: readonly PostureRule[] = [
  {
    meta: {
      id: "PAL-POD-001",
      title: "Privileged container",
      severity: "high",
      category: WORKLOAD,
      rationale:
        "A privileged container has every capability and all host devices; it can load kernel modules, mount the host filesystem and escape to the node.",
      remediation:
        "Remove `privileged: true` from the container securityContext; grant specific capabilities instead.",
      compliance: [NSA.podSecurity, CIS.privileged, PSS.privileged],
    },
    scope: "container",
    check(cv, wv) {
      if (wv.read.bool(cv.sc, "privileged", cv.scPath) !== true) return [];
      return [
        {
          fieldPath: joinPath(cv.scPath, "privileged"),
          evidence: "true",
          message: `${cv.label} runs privileged`,
        },
      ];
    },
  },
  hostNamespaceRule(
    "PAL-POD-002",
    "hostPID",
    "Pod shares the host PID namespace",
    "shares the node's process ID namespace",
    CIS.hostPID,
    "Containers in the host PID namespace see and can signal every process on the node; with ptrace they can read other processes' memory and secrets.",
  ),
  hostNamespaceRule(
    "PAL-POD-003",
    "hostIPC",
    "Pod shares the host IPC namespace",
    "shares the node's IPC namespace",
    CIS.hostIPC,
    "Containers in the host IPC namespace can read and write shared memory segments of every process on the node.",
  ),
  hostNamespaceRule(
    "PAL-POD-004",
    "hostNetwork",
    "Pod uses the host network namespace",
    "uses the node's network namespace",
    CIS.hostNetwork,
    "A pod on the host network bypasses NetworkPolicy, can bind node ports and sniff or spoof node traffic, and reaches services bound to localhost on the node.",
  ),
  {
    meta: {
      id: "PAL-POD-005",
      title: "Container uses a hostPort",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "A hostPort binds the container directly to the node's network interface, bypassing Service abstractions and NetworkPolicy, and limits scheduling.",
      remediation: "Remove hostPort and expose the container through a Service.",
      compliance: [CIS.hostPorts, PSS.hostPorts],
    },
    scope: "container",
    check(cv, wv) {
      const hits: Hit[] = [];
      (wv.read.list(cv.spec, "ports", cv.path) ?? []).forEach((p, i) => {
        if (!isRecord(p)) return;
        const portPath = joinPath(cv.path, "ports", i);
        const hp = wv.read.int(p, "hostPort", portPath);
        if (hp === undefined || hp === 0) return;
        hits.push({
          fieldPath: joinPath(portPath, "hostPort"),
          evidence: String(hp),
          message: `${cv.label} binds host port ${hp}`,
        });
      });
      return hits;
    },
  },
  hostPathRule({
    id: "PAL-POD-006",
    title: "Pod mounts a hostPath volume",
    severity: "medium",
    category: WORKLOAD,
    rationale:
      "hostPath volumes expose the node's filesystem to the pod; writes persist on the node and symlink tricks can reach files outside the mounted directory. This rule reports read-only mounts of paths no more specific rule claims.",
    remediation: "Use emptyDir, a PersistentVolumeClaim, a ConfigMap or a CSI volume instead of hostPath.",
    compliance: [NSA.podSecurity, CIS.hostPath, PSS.hostPathVolumes],
  }),
  hostPathRule({
    id: "PAL-POD-007",
    title: "Container runtime socket mounted",
    severity: "critical",
    category: WORKLOAD,
    rationale:
      "The container runtime socket (docker.sock, containerd.sock, crio.sock, or a directory holding one such as /run or /run/containerd) gives full control of the runtime: any pod with it can start a privileged container and take over the node. A Unix socket accepts connections through a read-only mount too.",
    remediation:
      "Do not mount the runtime socket. Use the Kubernetes API, a CRI-independent agent, or a node-level daemon with a narrow interface.",
    compliance: [NSA.podSecurity, CIS.hostPath, PSS.hostPathVolumes],
  }),
  hostPathRule({
    id: "PAL-POD-008",
    title: "Sensitive host directory mounted",
    severity: "high",
    category: WORKLOAD,
    rationale:
      "Host directories such as /etc, /proc, /sys, /dev, /root, /var/lib/kubelet and the runtime's storage hold node credentials, other pods' Secrets and data, and kernel interfaces; mounting them is a direct path to node compromise. /var/log, and paths inside /etc, /usr or /lib, are reported here when mounted writable.",
    remediation:
      "Remove the hostPath volume or narrow it to a dedicated, non-sensitive directory mounted read-only.",
    compliance: [NSA.podSecurity, CIS.hostPath, PSS.hostPathVolumes],
  }),
  hostPathRule({
    id: "PAL-POD-009",
    title: "hostPath volume mounted writable",
    severity: "medium",
    category: WORKLOAD,
    rationale:
      "A writable hostPath mount lets a compromised container plant files on the node (cron jobs, kubelet config, binaries) that outlive the pod. This rule reports writable mounts of paths no more specific rule claims.",
    remediation: "Set `readOnly: true` on every volumeMount of a hostPath volume.",
    compliance: [CIS.hostPath],
  }),
  hostPathRule({
    id: "PAL-POD-039",
    title: "Node root filesystem mounted",
    severity: "critical",
    category: WORKLOAD,
    rationale:
      "A hostPath of / gives the pod every file on the node: kubelet and cluster credentials, other pods' volumes and Secrets, and the container runtime socket, which accepts connections even through a read-only mount. Writable, it is root on the node (chroot).",
    remediation:
      "Remove the hostPath volume; mount only the specific directory the workload needs, read-only.",
    compliance: [NSA.podSecurity, CIS.hostPath, PSS.hostPathVolumes],
  }),
  addedCapRule(
    "PAL-POD-010",
    "Container adds ALL capabilities",
    "critical",
    (n) => n === "ALL",
    "Adding ALL capabilities gives the container root's full power over the kernel, equivalent in practice to a privileged container.",
    [NSA.podSecurity, CIS.addedCaps, PSS.capabilitiesBaseline],
  ),
  addedCapRule(
    "PAL-POD-011",
    "Container adds CAP_SYS_ADMIN",
    "high",
    (n) => n === "SYS_ADMIN",
    "CAP_SYS_ADMIN covers mount, namespace and many device operations; it is the capability most container escapes rely on.",
    [NSA.podSecurity, CIS.addedCaps, PSS.capabilitiesBaseline],
  ),
  addedCapRule(
    "PAL-POD-012",
    "Container adds a dangerous capability",
    "high",
    (n) => DANGEROUS_CAPS.has(n),
    "Capabilities such as NET_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF and PERFMON allow reconfiguring the node network, reading other processes, loading kernel code or bypassing file permissions.",
    [NSA.podSecurity, CIS.addedCaps, PSS.capabilitiesBaseline],
  ),
  {
    meta: {
      id: "PAL-POD-013",
      title: "Container keeps or adds NET_RAW",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "NET_RAW is in the default capability set of most runtimes; it allows crafting raw packets, ARP and DNS spoofing of other pods on the node.",
      remediation: "Drop NET_RAW (or ALL) in securityContext.capabilities.drop and do not add it back.",
      compliance: [CIS.netRaw],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const added = capabilities(wv, cv, "add").filter((c) => c.name === "NET_RAW");
      if (added.length > 0)
        return added.map((c) => ({
          fieldPath: c.path,
          evidence: c.raw,
          message: `${cv.label} adds capability NET_RAW`,
        }));
      // privileged containers get every capability; PAL-POD-001 already reports them.
      if (wv.read.bool(cv.sc, "privileged", cv.scPath) === true) return [];
      const dropped = capabilities(wv, cv, "drop").some((c) => c.name === "ALL" || c.name === "NET_RAW");
      if (dropped) return [];
      return [
        {
          fieldPath: joinPath(cv.scPath, "capabilities", "drop"),
          message: `${cv.label} does not drop NET_RAW (the runtime grants it by default)`,
        },
      ];
    },
  },
  addedCapRule(
    "PAL-POD-014",
    "Container adds a capability outside the baseline set",
    "medium",
    (n) => !BASELINE_CAPS.has(n) && !CAPS_WITH_OWN_RULE.has(n),
    "The PSS baseline profile allows adding only the runtime's default capabilities; anything else widens the kernel attack surface. (ALL, SYS_ADMIN, NET_RAW and the dangerous set have their own rules.)",
    [NSA.podSecurity, CIS.addedCaps, PSS.capabilitiesBaseline],
  ),
  {
    meta: {
      id: "PAL-POD-015",
      title: "Container does not drop ALL capabilities",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "The runtime's default capability set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW, ...) is more than most processes need. The PSS restricted profile requires dropping ALL.",
      remediation:
        'Set securityContext.capabilities.drop: ["ALL"] and add back only NET_BIND_SERVICE if needed.',
      compliance: [CIS.assignedCaps, PSS.capabilitiesRestricted],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      if (capabilities(wv, cv, "drop").some((c) => c.name === "ALL")) return [];
      return [
        {
          fieldPath: joinPath(cv.scPath, "capabilities", "drop"),
          message: `${cv.label} does not drop ALL capabilities`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-016",
      title: "Privilege escalation not disabled",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "Unless allowPrivilegeEscalation is false, no_new_privs is not set and setuid binaries or file capabilities can raise a process's privileges. The API default is true.",
      remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
      compliance: [NSA.podSecurity, CIS.privEsc, PSS.allowPrivilegeEscalation],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const v = wv.read.bool(cv.sc, "allowPrivilegeEscalation", cv.scPath);
      if (v === false) return [];
      const hit: Hit = {
        fieldPath: joinPath(cv.scPath, "allowPrivilegeEscalation"),
        message:
          v === true
            ? `${cv.label} allows privilege escalation`
            : `${cv.label} does not set allowPrivilegeEscalation: false (defaults to true)`,
      };
      if (v === true) hit.evidence = "true";
      return [hit];
    },
  },
  {
    meta: {
      id: "PAL-POD-017",
      title: "Container may run as root (runAsNonRoot not true)",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "Without runAsNonRoot: true the kubelet starts the container as whatever user the image says, often root; root in a container is one kernel bug away from root on the node.",
      remediation: "Set runAsNonRoot: true (pod or container securityContext) and a non-zero runAsUser.",
      compliance: [NSA.nonRoot, CIS.root, PSS.runAsNonRoot],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const e = effective(wv, cv, "runAsNonRoot", (r) => r.bool);
      if (e?.value === true) return [];
      if (e === undefined)
        return [
          {
            fieldPath: joinPath(cv.scPath, "runAsNonRoot"),
            message: `${cv.label} does not set runAsNonRoot: true`,
          },
        ];
      return [{ fieldPath: e.path, evidence: "false", message: `${cv.label} sets runAsNonRoot: false` }];
    },
  },
  {
    meta: {
      id: "PAL-POD-018",
      title: "Container runs as UID 0",
      severity: "high",
      category: WORKLOAD,
      rationale: "runAsUser: 0 explicitly runs the container as root.",
      remediation: "Set runAsUser to a non-zero UID (and runAsNonRoot: true).",
      compliance: [NSA.nonRoot, CIS.root, PSS.runAsUser],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const e = effective(wv, cv, "runAsUser", (r) => r.int);
      if (e?.value !== 0) return [];
      return [{ fieldPath: e.path, evidence: "0", message: `${cv.label} runs as root (runAsUser: 0)` }];
    },
  },
  {
    meta: {
      id: "PAL-POD-019",
      title: "Container runs with GID 0",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "runAsGroup: 0 gives the process the root group, which owns many sensitive files on the node and in images.",
      remediation: "Set runAsGroup to a non-zero GID.",
      compliance: [NSA.nonRoot],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const e = effective(wv, cv, "runAsGroup", (r) => r.int);
      if (e?.value !== 0) return [];
      return [
        { fieldPath: e.path, evidence: "0", message: `${cv.label} runs with the root group (runAsGroup: 0)` },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-020",
      title: "Pod adds the root group (fsGroup or supplementalGroups 0)",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "fsGroup: 0 or a supplemental group 0 makes every container process a member of the root group and chowns volumes to it.",
      remediation: "Use a non-zero fsGroup and remove 0 from supplementalGroups.",
      compliance: [NSA.nonRoot],
    },
    scope: "pod",
    linuxOnly: true,
    check(wv) {
      const hits: Hit[] = [];
      if (wv.read.int(wv.podSC, "fsGroup", wv.podSCPath) === 0)
        hits.push({
          fieldPath: joinPath(wv.podSCPath, "fsGroup"),
          evidence: "0",
          message: "pod sets fsGroup: 0 (root group)",
        });
      (wv.read.list(wv.podSC, "supplementalGroups", wv.podSCPath) ?? []).forEach((g, i) => {
        if (g === 0)
          hits.push({
            fieldPath: joinPath(wv.podSCPath, "supplementalGroups", i),
            evidence: "0",
            message: "pod adds supplemental group 0 (root group)",
          });
      });
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-POD-021",
      title: "Root filesystem is writable",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "A writable root filesystem lets an attacker drop tools and modify binaries; an immutable filesystem forces writes into explicit volumes.",
      remediation:
        "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the app writes.",
      compliance: [NSA.immutable],
    },
    scope: "container",
    types: ["container", "initContainer"],
    linuxOnly: true,
    check(cv, wv) {
      const v = wv.read.bool(cv.sc, "readOnlyRootFilesystem", cv.scPath);
      if (v === true) return [];
      const hit: Hit = {
        fieldPath: joinPath(cv.scPath, "readOnlyRootFilesystem"),
        message: `${cv.label} has a writable root filesystem`,
      };
      if (v === false) hit.evidence = "false";
      return [hit];
    },
  },
  {
    meta: {
      id: "PAL-POD-022",
      title: "Seccomp profile not set",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "Without a seccomp profile the container runs Unconfined by default (SeccompDefault is off unless the kubelet enables it), exposing every system call to the kernel.",
      remediation:
        "Set securityContext.seccompProfile.type: RuntimeDefault (pod level covers all containers).",
      compliance: [NSA.podSecurity, CIS.seccomp, PSS.seccompRestricted],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const e = effective(wv, cv, "seccompProfile", (r) => r.rec);
      const type = e ? wv.read.str(e.value, "type", e.path) : undefined;
      if (type !== undefined) return [];
      return [
        {
          fieldPath: joinPath(cv.scPath, "seccompProfile", "type"),
          message: `${cv.label} has no seccomp profile (neither container nor pod sets seccompProfile.type)`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-023",
      title: "Seccomp profile is Unconfined",
      severity: "medium",
      category: WORKLOAD,
      rationale: "seccompProfile.type: Unconfined explicitly disables system call filtering.",
      remediation: "Use seccompProfile.type: RuntimeDefault or a Localhost profile.",
      compliance: [NSA.podSecurity, CIS.seccomp, PSS.seccompBaseline],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const e = effective(wv, cv, "seccompProfile", (r) => r.rec);
      if (!e || wv.read.str(e.value, "type", e.path) !== "Unconfined") return [];
      return [
        {
          fieldPath: joinPath(e.path, "type"),
          evidence: "Unconfined",
          message: `${cv.label} runs with seccomp Unconfined${e.level === "pod" ? " (from the pod securityContext)" : ""}`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-024",
      title: "AppArmor profile is unconfined",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "An unconfined AppArmor profile removes the runtime's default mandatory access control policy. Both the appArmorProfile field (v1.30+) and the legacy per-container annotation are honoured by the kubelet.",
      remediation:
        "Use appArmorProfile.type: RuntimeDefault (or Localhost) and remove `unconfined` annotations.",
      compliance: [NSA.podSecurity, PSS.appArmor],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const hits: Hit[] = [];
      const e = effective(wv, cv, "appArmorProfile", (r) => r.rec);
      if (e && wv.read.str(e.value, "type", e.path) === "Unconfined")
        hits.push({
          fieldPath: joinPath(e.path, "type"),
          evidence: "Unconfined",
          message: `${cv.label} runs with AppArmor Unconfined`,
        });
      const key = `${APPARMOR_ANNOTATION_PREFIX}${cv.info.name}`;
      const ann = wv.w.podAnnotations[key];
      if (ann === "unconfined")
        hits.push({
          fieldPath: joinPath(wv.w.podMetaPath, "annotations", key),
          evidence: ann,
          message: `${cv.label} runs with AppArmor unconfined (annotation ${key})`,
        });
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-POD-025",
      title: "Custom SELinux type, user or role",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "Setting an SELinux user or role, or a type other than container_t/container_init_t/container_kvm_t/container_engine_t, can give the process a less confined or host-level SELinux domain.",
      remediation: "Remove seLinuxOptions.user and .role, and use one of the allowed container types.",
      compliance: [NSA.podSecurity, PSS.seLinux],
    },
    scope: "pod",
    linuxOnly: true,
    check(wv) {
      // PSS checks the pod level and every container level independently, so does this rule.
      const places = [
        { sc: wv.podSC, path: wv.podSCPath, who: "pod" },
        ...wv.containers.map((c) => ({ sc: c.sc, path: c.scPath, who: c.label })),
      ];
      const hits: Hit[] = [];
      for (const p of places) {
        const se = wv.read.rec(p.sc, "seLinuxOptions", p.path);
        if (!se) continue;
        const sePath = joinPath(p.path, "seLinuxOptions");
        const type = wv.read.str(se, "type", sePath);
        if (type !== undefined && type !== "" && !SELINUX_TYPES.has(type))
          hits.push({
            fieldPath: joinPath(sePath, "type"),
            evidence: show(type),
            message: `${p.who} sets SELinux type ${show(type)}`,
          });
        for (const f of ["user", "role"] as const) {
          const v = wv.read.str(se, f, sePath);
          if (v !== undefined && v !== "")
            hits.push({
              fieldPath: joinPath(sePath, f),
              evidence: show(v),
              message: `${p.who} sets SELinux ${f} ${show(v)}`,
            });
        }
      }
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-POD-026",
      title: "Unsafe sysctl",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "Sysctls outside the kubelet's safe set are not isolated per pod; they change kernel behaviour for the whole node.",
      remediation:
        "Remove the sysctl, or run the workload on dedicated nodes with an explicit allowed-unsafe-sysctls list.",
      compliance: [NSA.podSecurity, PSS.sysctls],
    },
    scope: "pod",
    linuxOnly: true,
    check(wv) {
      const hits: Hit[] = [];
      (wv.read.list(wv.podSC, "sysctls", wv.podSCPath) ?? []).forEach((s, i) => {
        if (!isRecord(s)) return;
        const p = joinPath(wv.podSCPath, "sysctls", i);
        const name = wv.read.str(s, "name", p);
        if (name === undefined || SAFE_SYSCTLS.has(name)) return;
        hits.push({
          fieldPath: joinPath(p, "name"),
          evidence: show(name),
          message: `pod sets unsafe sysctl ${show(name)}`,
        });
      });
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-POD-027",
      title: "Unmasked /proc mount",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "procMount: Unmasked disables the runtime's masking of sensitive /proc paths (kcore, sysrq-trigger, ...), which exposes host kernel interfaces.",
      remediation: "Remove procMount or set it to Default.",
      compliance: [NSA.podSecurity, PSS.procMount],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const v = wv.read.str(cv.sc, "procMount", cv.scPath);
      if (v === undefined || v === "Default") return [];
      return [
        {
          fieldPath: joinPath(cv.scPath, "procMount"),
          evidence: show(v),
          message: `${cv.label} sets procMount: ${show(v)}`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-028",
      title: "Windows HostProcess container",
      severity: "high",
      category: WORKLOAD,
      rationale: "A HostProcess container runs directly on the Windows node with host privileges.",
      remediation: "Remove windowsOptions.hostProcess: true; run node agents outside tenant namespaces.",
      compliance: [CIS.hostProcess, PSS.windowsHostProcess],
    },
    scope: "pod",
    check(wv) {
      const places = [
        { sc: wv.podSC, path: wv.podSCPath, who: "pod" },
        ...wv.containers.map((c) => ({ sc: c.sc, path: c.scPath, who: c.label })),
      ];
      const hits: Hit[] = [];
      for (const p of places) {
        const wo = wv.read.rec(p.sc, "windowsOptions", p.path);
        const woPath = joinPath(p.path, "windowsOptions");
        if (wv.read.bool(wo, "hostProcess", woPath) === true)
          hits.push({
            fieldPath: joinPath(woPath, "hostProcess"),
            evidence: "true",
            message: `${p.who} runs as a Windows HostProcess container`,
          });
      }
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-POD-029",
      title: "Containers share a process namespace",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "With shareProcessNamespace every container sees and can signal the others' processes and read their /proc/<pid>/root and environment, which leaks secrets across containers.",
      remediation: "Remove shareProcessNamespace unless a sidecar truly needs it.",
      compliance: [],
    },
    scope: "pod",
    check(wv) {
      if (wv.read.bool(wv.spec, "shareProcessNamespace", wv.specPath) !== true) return [];
      return [
        {
          fieldPath: joinPath(wv.specPath, "shareProcessNamespace"),
          evidence: "true",
          message: "pod shares one process namespace between its containers",
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-030",
      title: "Container runs with a low UID",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "UIDs below 10000 may collide with real users on the node; if the container escapes, it acts as that host user.",
      remediation: "Set runAsUser to a UID above 10000.",
      compliance: [],
    },
    scope: "container",
    linuxOnly: true,
    check(cv, wv) {
      const e = effective(wv, cv, "runAsUser", (r) => r.int);
      // 0 is reported by PAL-POD-018.
      if (!e || e.value === 0 || e.value > 10000) return [];
      return [
        { fieldPath: e.path, evidence: String(e.value), message: `${cv.label} runs as low UID ${e.value}` },
      ];
    },
  },
  {
    meta: {
      id: "PAL-POD-031",
      title: "No securityContext on pod or container",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "A container with neither a pod nor a container securityContext runs entirely on runtime defaults: root, all default capabilities, privilege escalation allowed.",
      remediation:
        "Add a securityContext (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccomp).",
      compliance: [CIS.securityContext],
    },
    scope: "container",
    types: ["container", "initContainer"],
    check(cv, wv) {
      const nonEmpty = (r: Record<string, unknown> | undefined) =>
        r !== undefined && Object.keys(r).length > 0;
      if (nonEmpty(cv.sc) || nonEmpty(wv.podSC)) return [];
      return [{ fieldPath: cv.scPath, message: `${cv.label} has no securityContext and the pod sets none` }];
    },
  },
  {
    meta: {
      id: "PAL-POD-032",
      title: "Volume type outside the restricted set",
      severity: "low",
      category: WORKLOAD,
      rationale:
        "The PSS restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes; other in-tree sources (nfs, iscsi, rbd, ...) bypass PersistentVolume access controls. hostPath has its own rules.",
      remediation: "Use a PersistentVolumeClaim instead of an inline volume source.",
      compliance: [PSS.restrictedVolumes],
    },
    scope: "pod",
    check(wv) {
      const hits: Hit[] = [];
      for (const v of volumes(wv)) {
        for (const key of Object.keys(v.raw).sort()) {
          if (key === "name" || key === "hostPath" || RESTRICTED_VOLUME_SOURCES.has(key)) continue;
          if (v.raw[key] === undefined || v.raw[key] === null) continue;
          hits.push({
            fieldPath: joinPath(v.path, key),
            evidence: key,
            message: `volume "${v.name}" uses volume source ${key}`,
          });
        }
      }
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-POD-033",
      title: "Probe or lifecycle hook targets another host",
      severity: "medium",
      category: WORKLOAD,
      rationale:
        "httpGet.host and tcpSocket.host in probes and lifecycle hooks make the kubelet connect to an arbitrary address from the node's network, a server-side request forgery primitive (PSS baseline forbids it since v1.34).",
      remediation: "Remove the host field so the kubelet targets the pod IP.",
      compliance: [],
    },
    scope: "container",
    check(cv, wv) {
      const hits: Hit[] = [];
      const handlers: [Record<string, unknown> | undefined, string][] = [];
      for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
        handlers.push([wv.read.rec(cv.spec, probe, cv.path), joinPath(cv.path, probe)]);
      }
      const lc = wv.read.rec(cv.spec, "lifecycle", cv.path);
      for (const hook of ["postStart", "preStop"]) {
        const lcPath = joinPath(cv.path, "lifecycle");
        handlers.push([wv.read.rec(lc, hook, lcPath), joinPath(lcPath, hook)]);
      }
      for (const [h, hPath] of handlers) {
        for (const kind of ["httpGet", "tcpSocket"]) {
          const action = wv.read.rec(h, kind, hPath);
          const host = wv.read.str(action, "host", joinPath(hPath, kind));
          if (host === undefined || host === "") continue;
          hits.push({
            fieldPath: joinPath(hPath, kind, "host"),
            evidence: show(host),
            message: `${cv.label} ${hPath.slice(cv.path.length + 1)} ${kind} targets host ${show(host)}`,
          });
        }
      }
      return hits;
    },
  },
];
