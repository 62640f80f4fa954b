/**
 * The Pod Security Standards checks, reproduced from k8s.io/pod-security-admission
 * (staging/src/k8s.io/pod-security-admission/policy/check_*.go). Check ids, reasons and details are
 * upstream's, byte for byte; each versioned entry names the first policy version it applies to.
 */
import { appendAll } from "../util/index.js";
import { goQuote, joinQuote, pluralize, sortedSet } from "./go-format.js";
import {
  type ContainerView,
  containersOf,
  inUserNamespace,
  isWindowsPod,
  type Obj,
  obj,
  objList,
  optBool,
  optNum,
  podSecurityContext,
  str,
  strList,
} from "./pod-view.js";

/** Pod metadata the checks read (only annotations matter upstream). */
export interface PodMeta {
  annotations: Readonly<Record<string, string>>;
}

export type CheckResult = { allowed: true } | { allowed: false; reason: string; detail: string };

export type CheckFn = (meta: PodMeta, spec: Obj) => CheckResult;

export interface VersionedCheck {
  /** Minor of the first policy version (1.x) this revision applies to. */
  minimum: number;
  check: CheckFn;
  /** Baseline check ids this restricted revision replaces (upstream `OverrideCheckIDs`). */
  overrides?: readonly string[];
}

export interface CheckDefinition {
  id: string;
  level: "baseline" | "restricted";
  /** Strictly increasing `minimum`s. */
  versions: readonly VersionedCheck[];
}

const ALLOWED: CheckResult = { allowed: true };

const deny = (reason: string, detail: string): CheckResult => ({ allowed: false, reason, detail });

const containerPhrase = (names: readonly string[]): string =>
  `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;

/** A `*string` field: undefined when unset (or not a string). */
function optStr(parent: Obj | undefined, key: string): string | undefined {
  const v = parent?.[key];
  return typeof v === "string" ? v : undefined;
}

// --- baseline ---------------------------------------------------------------------------------

/** check_privileged.go, privileged_1_0. */
const privileged10: CheckFn = (_m, spec) => {
  const bad = containersOf(spec)
    .filter((c) => optBool(c.securityContext, "privileged") === true)
    .map((c) => c.name);
  if (bad.length === 0) return ALLOWED;
  return deny("privileged", `${containerPhrase(bad)} must not set securityContext.privileged=true`);
};

/** check_hostNamespaces.go, hostNamespaces_1_0: the detail names each field with its value ("hostPID=true"). */
const hostNamespaces10: CheckFn = (_m, spec) => {
  const set = (["hostNetwork", "hostPID", "hostIPC"] as const)
    .filter((k) => optBool(spec, k) === true)
    .map((k) => `${k}=true`);
  if (set.length === 0) return ALLOWED;
  return deny("host namespaces", sortedSet(set).join(", "));
};

/** check_hostPorts.go, hostPorts_1_0. */
const hostPorts10: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const ports: string[] = [];
  for (const c of containersOf(spec)) {
    let valid = true;
    for (const p of objList(c.raw, "ports")) {
      const hp = optNum(p, "hostPort");
      if (hp !== undefined && hp !== 0) {
        valid = false;
        ports.push(String(hp));
      }
    }
    if (!valid) bad.push(c.name);
  }
  if (bad.length === 0) return ALLOWED;
  const hostPorts = sortedSet(ports);
  return deny(
    "hostPort",
    `${containerPhrase(bad)} ${pluralize("uses", "use", bad.length)} ${pluralize("hostPort", "hostPorts", hostPorts.length)} ${hostPorts.join(", ")}`,
  );
};

/** check_hostPathVolumes.go, hostPathVolumes_1_0. */
const hostPathVolumes10: CheckFn = (_m, spec) => {
  const bad = objList(spec, "volumes")
    .filter((v) => obj(v, "hostPath") !== undefined)
    .map((v) => str(v, "name"));
  if (bad.length === 0) return ALLOWED;
  return deny("hostPath volumes", `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)}`);
};

/** check_capabilities_baseline.go: the default container runtime capability set. */
export const CAPABILITIES_ALLOWED_1_0: ReadonlySet<string> = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

/**
 * check_capabilities_baseline.go, capabilitiesBaseline_1_0. Upstream once skipped user-namespace pods
 * behind the alpha UserNamespacesPodSecurityStandards gate (off by default, removed in 1.35); like a
 * default cluster, no relaxation here.
 */
const capabilitiesBaseline10: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const caps: string[] = [];
  for (const c of containersOf(spec)) {
    const capabilities = obj(c.securityContext, "capabilities");
    if (capabilities === undefined) continue;
    let valid = true;
    for (const cap of strList(capabilities, "add")) {
      if (!CAPABILITIES_ALLOWED_1_0.has(cap)) {
        valid = false;
        caps.push(cap);
      }
    }
    if (!valid) bad.push(c.name);
  }
  if (bad.length === 0) return ALLOWED;
  return deny(
    "non-default capabilities",
    `${containerPhrase(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`,
  );
};

/** corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix. */
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

/**
 * check_appArmorProfile.go, appArmorProfile_1_0: the securityContext.appArmorProfile fields (added to
 * the 1.0 revision in Kubernetes 1.30, so every policy version checks them) and the deprecated beta
 * annotations ("", "runtime/default" or "localhost/*" allowed).
 */
const appArmorProfile10: CheckFn = (meta, spec) => {
  const allowedType = (t: string): boolean => t === "RuntimeDefault" || t === "Localhost";
  const setters: string[] = [];
  const values: string[] = [];
  const podProfile = obj(podSecurityContext(spec), "appArmorProfile");
  if (podProfile !== undefined && !allowedType(str(podProfile, "type"))) {
    setters.push("pod");
    values.push(str(podProfile, "type"));
  }
  const bad: string[] = [];
  for (const c of containersOf(spec)) {
    const profile = obj(c.securityContext, "appArmorProfile");
    if (profile !== undefined && !allowedType(str(profile, "type"))) {
      bad.push(c.name);
      values.push(str(profile, "type"));
    }
  }
  if (bad.length > 0) setters.push(containerPhrase(bad));
  const annotations: string[] = [];
  for (const [k, v] of Object.entries(meta.annotations)) {
    if (!k.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    if (v === "" || v === "runtime/default" || v.startsWith("localhost/")) continue;
    annotations.push(`${k}=${goQuote(v)}`);
  }
  const valueList = sortedSet(values);
  if (annotations.length > 0) {
    appendAll(valueList, sortedSet(annotations));
    setters.push(pluralize("annotation", "annotations", annotations.length));
  }
  if (setters.length === 0) return ALLOWED;
  return deny(
    pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", valueList.length),
    `${setters.join(" and ")} must not set AppArmor profile type to ${joinQuote(valueList)}`,
  );
};

const SELINUX_TYPES_1_0 = new Set(["", "container_t", "container_init_t", "container_kvm_t"]);
/** Kubernetes 1.31 added container_engine_t (commit 840e4a82d, "PSA: allow container_engine_t"). */
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, "container_engine_t"]);

/** check_seLinuxOptions.go: type limited to an allow-list, user and role must be empty. */
function seLinuxOptions(allowedTypes: ReadonlySet<string>): CheckFn {
  return (_m, spec) => {
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (opts: Obj): boolean => {
      let ok = true;
      const type = str(opts, "type");
      if (!allowedTypes.has(type)) {
        ok = false;
        badTypes.push(type);
      }
      if (str(opts, "user").length > 0) {
        ok = false;
        setUser = true;
      }
      if (str(opts, "role").length > 0) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const setters: string[] = [];
    const podOpts = obj(podSecurityContext(spec), "seLinuxOptions");
    if (podOpts !== undefined && !valid(podOpts)) setters.push("pod");
    const bad: string[] = [];
    for (const c of containersOf(spec)) {
      const opts = obj(c.securityContext, "seLinuxOptions");
      if (opts !== undefined && !valid(opts)) bad.push(c.name);
    }
    if (bad.length > 0) setters.push(containerPhrase(bad));
    if (setters.length === 0) return ALLOWED;
    const data: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length > 0) data.push(`${pluralize("type", "types", types.length)} ${joinQuote(types)}`);
    // The 1.22 code nested these two inside the type branch, so a bad user alone printed nothing;
    // later revisions report them on their own, as here.
    if (setUser) data.push("user may not be set");
    if (setRole) data.push("role may not be set");
    return deny(
      "seLinuxOptions",
      `${setters.join(" and ")} set forbidden securityContext.seLinuxOptions: ${data.join("; ")}`,
    );
  };
}

/** check_procMount_baseline.go, procMount_1_0: only "Default" (corev1.DefaultProcMount) or unset. */
const procMount10: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const types: string[] = [];
  for (const c of containersOf(spec)) {
    const pm = optStr(c.securityContext, "procMount");
    if (pm === undefined) continue;
    if (pm !== "Default") {
      bad.push(c.name);
      types.push(pm);
    }
  }
  if (bad.length === 0) return ALLOWED;
  return deny(
    "procMount",
    `${containerPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`,
  );
};

/** check_procMount_baseline.go, procMount1_35baseline: any value for a user-namespace pod (KEP-127). */
const procMount135Baseline: CheckFn = (meta, spec) =>
  inUserNamespace(spec) ? ALLOWED : procMount10(meta, spec);

const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

/** check_seccompProfile_baseline.go, seccompProfileBaseline_1_0: the alpha annotations (before 1.19). */
const seccompProfileBaseline10: CheckFn = (meta, spec) => {
  const valid = (v: string): boolean =>
    v === "runtime/default" || v === "docker/default" || v.startsWith("localhost/");
  const forbidden: string[] = [];
  const check = (key: string): void => {
    if (!Object.hasOwn(meta.annotations, key)) return;
    const v = meta.annotations[key] ?? "";
    if (!valid(v)) forbidden.push(`${key}=${goQuote(v)}`);
  };
  check(SECCOMP_POD_ANNOTATION);
  for (const c of containersOf(spec)) check(SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name);
  const list = sortedSet(forbidden);
  if (list.length === 0) return ALLOWED;
  return deny(
    "seccompProfile",
    `forbidden ${pluralize("annotation", "annotations", list.length)} ${list.join(", ")}`,
  );
};

const validSeccomp = (t: string): boolean => t === "Localhost" || t === "RuntimeDefault";

/** Shared body of the 1.19 seccomp checks; `requireSet` adds restricted's "must be set" rule. */
function seccompFields(spec: Obj, requireSet: boolean): CheckResult {
  const setters: string[] = [];
  const values: string[] = [];
  let podSet = false;
  const podProfile = obj(podSecurityContext(spec), "seccompProfile");
  if (podProfile !== undefined) {
    if (!validSeccomp(str(podProfile, "type"))) {
      setters.push("pod");
      values.push(str(podProfile, "type"));
    } else podSet = true;
  }
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  for (const c of containersOf(spec)) {
    const profile = obj(c.securityContext, "seccompProfile");
    if (profile !== undefined) {
      if (!validSeccomp(str(profile, "type"))) {
        explicitlyBad.push(c.name);
        values.push(str(profile, "type"));
      }
    } else if (!podSet) implicitlyBad.push(c.name);
  }
  if (explicitlyBad.length > 0) setters.push(containerPhrase(explicitlyBad));
  if (setters.length > 0)
    return deny(
      "seccompProfile",
      `${setters.join(" and ")} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`,
    );
  if (requireSet && implicitlyBad.length > 0)
    return deny(
      "seccompProfile",
      `pod or ${containerPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    );
  return ALLOWED;
}

/** check_seccompProfile_baseline.go, seccompProfileBaseline_1_19. */
const seccompProfileBaseline119: CheckFn = (_m, spec) => seccompFields(spec, false);

/**
 * check_sysctls.go: the safe set grows with the policy version (1.27: ip_local_reserved_ports;
 * 1.29: tcp keepalive and fin_timeout; 1.32: tcp_rmem, tcp_wmem; 1.37: tcp_slow_start_after_idle,
 * tcp_notsent_lowat). 1.36 added no check revision: it evaluates as 1.35.
 */
const SYSCTLS_1_0 = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, "net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_1_37 = [...SYSCTLS_1_32, "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"];

/** The safe sysctls of the latest policy version, for rules that judge against current Kubernetes. */
export const SAFE_SYSCTLS_LATEST: ReadonlySet<string> = new Set(SYSCTLS_1_37);

function sysctls(allowedList: readonly string[]): CheckFn {
  const allowed = new Set(allowedList);
  return (_m, spec) => {
    // Pod level only: the API has no container-level sysctls. Listed in order, duplicates kept.
    const forbidden = objList(podSecurityContext(spec), "sysctls")
      .map((s) => str(s, "name"))
      .filter((name) => !allowed.has(name));
    if (forbidden.length === 0) return ALLOWED;
    return deny("forbidden sysctls", forbidden.join(", "));
  };
}

/** check_windowsHostProcess.go, windowsHostProcess_1_0. */
const windowsHostProcess10: CheckFn = (_m, spec) => {
  const hostProcess = (sc: Obj | undefined): boolean =>
    optBool(obj(sc, "windowsOptions"), "hostProcess") === true;
  const bad = containersOf(spec)
    .filter((c) => hostProcess(c.securityContext))
    .map((c) => c.name);
  const setters: string[] = [];
  if (hostProcess(podSecurityContext(spec))) setters.push("pod");
  if (bad.length > 0) setters.push(containerPhrase(bad));
  if (setters.length === 0) return ALLOWED;
  return deny(
    "hostProcess",
    `${setters.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`,
  );
};

/** check_hostProbesAndhostLifecycle.go, hostProbesAndHostLifecycleV1Dot34 (new in policy 1.34). */
const hostProbesAndHostLifecycle134: CheckFn = (_m, spec) => {
  const badContainers: string[] = [];
  const hosts: string[] = [];
  const handlerHosts = (handler: Obj | undefined): string[] => {
    if (handler === undefined) return [];
    return [str(obj(handler, "httpGet"), "host"), str(obj(handler, "tcpSocket"), "host")].filter(
      (h) => h !== "",
    );
  };
  const visit = (c: ContainerView, handler: Obj | undefined): void => {
    const found = handlerHosts(handler);
    if (found.length === 0) return;
    badContainers.push(c.name);
    appendAll(hosts, found);
  };
  for (const c of containersOf(spec)) {
    visit(c, obj(c.raw, "livenessProbe"));
    visit(c, obj(c.raw, "readinessProbe"));
    visit(c, obj(c.raw, "startupProbe"));
    const lifecycle = obj(c.raw, "lifecycle");
    visit(c, obj(lifecycle, "postStart"));
    visit(c, obj(lifecycle, "preStop"));
  }
  if (badContainers.length === 0) return ALLOWED;
  // Both lists are sets upstream (sets.New[string]): sorted and de-duplicated.
  const names = sortedSet(badContainers);
  const hostList = sortedSet(hosts);
  return deny(
    "probe or lifecycle host",
    `${containerPhrase(names)} ${pluralize("uses", "use", names.length)} ${pluralize("probe or lifecycle host", "probe or lifecycle hosts", hostList.length)} ${joinQuote(hostList)}`,
  );
};

// --- restricted -------------------------------------------------------------------------------

/** check_allowPrivilegeEscalation.go, allowPrivilegeEscalation_1_8 (the field exists since 1.8). */
const allowPrivilegeEscalation18: CheckFn = (_m, spec) => {
  const bad = containersOf(spec)
    .filter((c) => optBool(c.securityContext, "allowPrivilegeEscalation") !== false)
    .map((c) => c.name);
  if (bad.length === 0) return ALLOWED;
  return deny(
    "allowPrivilegeEscalation != false",
    `${containerPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`,
  );
};

/**
 * Policy 1.25+: Windows pods are exempt from the Linux-only restricted controls, because pod
 * validation forbids setting those fields when spec.os.name is "windows" (KEP-2802).
 */
const windowsExempt =
  (inner: CheckFn): CheckFn =>
  (meta, spec) =>
    isWindowsPod(spec) ? ALLOWED : inner(meta, spec);

/** check_runAsNonRoot.go, runAsNonRoot_1_0. */
const runAsNonRoot10: CheckFn = (_m, spec) => {
  const setters: string[] = [];
  let podRunAsNonRoot = false;
  const podValue = optBool(podSecurityContext(spec), "runAsNonRoot");
  if (podValue === false) setters.push("pod");
  else if (podValue === true) podRunAsNonRoot = true;
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  for (const c of containersOf(spec)) {
    const v = optBool(c.securityContext, "runAsNonRoot");
    if (v !== undefined) {
      if (!v) explicitlyBad.push(c.name);
    } else if (!podRunAsNonRoot) implicitlyBad.push(c.name);
  }
  if (explicitlyBad.length > 0) setters.push(containerPhrase(explicitlyBad));
  if (setters.length > 0)
    return deny(
      "runAsNonRoot != true",
      `${setters.join(" and ")} must not set securityContext.runAsNonRoot=false`,
    );
  if (implicitlyBad.length > 0)
    return deny(
      "runAsNonRoot != true",
      `pod or ${containerPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true`,
    );
  return ALLOWED;
};

/**
 * Policy 1.35+: user-namespace pods (`hostUsers: false`) skip runAsNonRoot and runAsUser (KEP-127).
 * Before 1.35 this relaxation sat behind the alpha UserNamespacesPodSecurityStandards gate (off by
 * default); upstream dropped it from the old revisions when the gate was removed.
 */
const userNamespaceRelaxed =
  (inner: CheckFn): CheckFn =>
  (meta, spec) =>
    inUserNamespace(spec) ? ALLOWED : inner(meta, spec);

/** check_runAsUser.go, runAsUser_1_23. */
const runAsUser123: CheckFn = (_m, spec) => {
  const setters: string[] = [];
  if (optNum(podSecurityContext(spec), "runAsUser") === 0) setters.push("pod");
  const bad = containersOf(spec)
    .filter((c) => optNum(c.securityContext, "runAsUser") === 0)
    .map((c) => c.name);
  if (bad.length > 0) setters.push(containerPhrase(bad));
  if (setters.length === 0) return ALLOWED;
  return deny("runAsUser=0", `${setters.join(" and ")} must not set runAsUser=0`);
};

/** check_seccompProfile_restricted.go, seccompProfileRestricted_1_19. */
const seccompProfileRestricted119: CheckFn = (_m, spec) => seccompFields(spec, true);

/** check_capabilities_restricted.go, capabilitiesRestricted_1_22. */
const capabilitiesRestricted122: CheckFn = (_m, spec) => {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbidden: string[] = [];
  for (const c of containersOf(spec)) {
    const capabilities = obj(c.securityContext, "capabilities");
    if (capabilities === undefined) {
      missingDropAll.push(c.name);
      continue;
    }
    if (!strList(capabilities, "drop").includes("ALL")) missingDropAll.push(c.name);
    let added = false;
    for (const cap of strList(capabilities, "add")) {
      if (cap !== "NET_BIND_SERVICE") {
        added = true;
        forbidden.push(cap);
      }
    }
    if (added) addingForbidden.push(c.name);
  }
  const details: string[] = [];
  if (missingDropAll.length > 0)
    details.push(`${containerPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length > 0)
    details.push(
      `${containerPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbidden))} in securityContext.capabilities.add`,
    );
  if (details.length === 0) return ALLOWED;
  return deny("unrestricted capabilities", details.join("; "));
};

/**
 * check_restrictedVolumes.go, restrictedVolumes_1_0. `image` joined the allowed sources in Kubernetes
 * 1.33 (PR #130394) inside the 1.0 revision, so it is allowed at every policy version.
 */
const RESTRICTED_VOLUMES_ALLOWED = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
];
/** Restricted sources in upstream's switch order: the first one set names the volume's type. */
const RESTRICTED_VOLUMES_FORBIDDEN = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "nfs",
  "iscsi",
  "glusterfs",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "fc",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "portworxVolume",
  "scaleIO",
  "storageos",
];

/** Every VolumeSource field of core/v1, for API-server defaulting (see {@link applyApiDefaults}). */
export const VOLUME_SOURCE_FIELDS: readonly string[] = [
  ...RESTRICTED_VOLUMES_ALLOWED,
  ...RESTRICTED_VOLUMES_FORBIDDEN,
];

const restrictedVolumes10: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const types: string[] = [];
  for (const v of objList(spec, "volumes")) {
    if (RESTRICTED_VOLUMES_ALLOWED.some((k) => obj(v, k) !== undefined)) continue;
    bad.push(str(v, "name"));
    types.push(RESTRICTED_VOLUMES_FORBIDDEN.find((k) => obj(v, k) !== undefined) ?? "unknown");
  }
  if (bad.length === 0) return ALLOWED;
  const typeList = sortedSet(types);
  return deny(
    "restricted volume types",
    `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)} ${pluralize("uses", "use", bad.length)} ${pluralize("restricted volume type", "restricted volume types", typeList.length)} ${joinQuote(typeList)}`,
  );
};

/**
 * Every check registered upstream (policy.DefaultChecks()) with its revisions, as of Kubernetes
 * 1.37 (k8s.io/pod-security-admission v0.37.2; v0.38.0-beta.0 registers nothing newer). Sources:
 * policy/check_*.go; history from the kubernetes/kubernetes release branches.
 */
export const CHECKS: readonly CheckDefinition[] = [
  { id: "privileged", level: "baseline", versions: [{ minimum: 0, check: privileged10 }] },
  { id: "hostNamespaces", level: "baseline", versions: [{ minimum: 0, check: hostNamespaces10 }] },
  { id: "hostPorts", level: "baseline", versions: [{ minimum: 0, check: hostPorts10 }] },
  { id: "hostPathVolumes", level: "baseline", versions: [{ minimum: 0, check: hostPathVolumes10 }] },
  {
    id: "capabilities_baseline",
    level: "baseline",
    versions: [{ minimum: 0, check: capabilitiesBaseline10 }],
  },
  { id: "appArmorProfile", level: "baseline", versions: [{ minimum: 0, check: appArmorProfile10 }] },
  {
    id: "seLinuxOptions",
    level: "baseline",
    versions: [
      { minimum: 0, check: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minimum: 31, check: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: "procMount",
    level: "baseline",
    versions: [
      { minimum: 0, check: procMount10 },
      { minimum: 35, check: procMount135Baseline },
    ],
  },
  {
    id: "seccompProfile_baseline",
    level: "baseline",
    versions: [
      { minimum: 0, check: seccompProfileBaseline10 },
      { minimum: 19, check: seccompProfileBaseline119 },
    ],
  },
  {
    id: "sysctls",
    level: "baseline",
    versions: [
      { minimum: 0, check: sysctls(SYSCTLS_1_0) },
      { minimum: 27, check: sysctls(SYSCTLS_1_27) },
      { minimum: 29, check: sysctls(SYSCTLS_1_29) },
      { minimum: 32, check: sysctls(SYSCTLS_1_32) },
      { minimum: 37, check: sysctls(SYSCTLS_1_37) },
    ],
  },
  {
    id: "windowsHostProcess",
    level: "baseline",
    versions: [{ minimum: 0, check: windowsHostProcess10 }],
  },
  {
    id: "hostProbesAndHostLifecycle",
    level: "baseline",
    versions: [{ minimum: 34, check: hostProbesAndHostLifecycle134 }],
  },
  {
    id: "restrictedVolumes",
    level: "restricted",
    versions: [{ minimum: 0, check: restrictedVolumes10, overrides: ["hostPathVolumes"] }],
  },
  {
    id: "allowPrivilegeEscalation",
    level: "restricted",
    versions: [
      { minimum: 8, check: allowPrivilegeEscalation18 },
      { minimum: 25, check: windowsExempt(allowPrivilegeEscalation18) },
    ],
  },
  {
    id: "runAsNonRoot",
    level: "restricted",
    versions: [
      { minimum: 0, check: runAsNonRoot10 },
      { minimum: 35, check: userNamespaceRelaxed(runAsNonRoot10) },
    ],
  },
  {
    id: "runAsUser",
    level: "restricted",
    versions: [
      { minimum: 23, check: runAsUser123 },
      { minimum: 35, check: userNamespaceRelaxed(runAsUser123) },
    ],
  },
  {
    id: "seccompProfile_restricted",
    level: "restricted",
    versions: [
      { minimum: 19, check: seccompProfileRestricted119, overrides: ["seccompProfile_baseline"] },
      {
        minimum: 25,
        check: windowsExempt(seccompProfileRestricted119),
        overrides: ["seccompProfile_baseline"],
      },
    ],
  },
  {
    id: "capabilities_restricted",
    level: "restricted",
    versions: [
      { minimum: 22, check: capabilitiesRestricted122, overrides: ["capabilities_baseline"] },
      {
        minimum: 25,
        check: windowsExempt(capabilitiesRestricted122),
        overrides: ["capabilities_baseline"],
      },
    ],
  },
  {
    // Policy 1.35 relaxed baseline procMount for user-namespace pods; restricted keeps the strict
    // revision by overriding it (check_procMount_restricted.go).
    id: "procMount_restricted",
    level: "restricted",
    versions: [{ minimum: 35, check: procMount10, overrides: ["procMount"] }],
  },
];
