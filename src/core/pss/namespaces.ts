import type { CoverageEntry, ResourceRef } from "../findings/index.js";
import { cmp } from "../findings/index.js";
import type { Inventory, Labels } from "../inventory/index.js";
import {
  effectiveMinor,
  evaluateWorkloadPss,
  type PssLevel,
  type PssVersion,
  type PssViolation,
  parsePssLevel,
  parsePssVersion,
} from "./evaluate.js";

/** Namespace labels read by pod-security-admission (api/constants.go). */
export const PSS_LABELS = {
  enforce: "pod-security.kubernetes.io/enforce",
  enforceVersion: "pod-security.kubernetes.io/enforce-version",
  audit: "pod-security.kubernetes.io/audit",
  auditVersion: "pod-security.kubernetes.io/audit-version",
  warn: "pod-security.kubernetes.io/warn",
  warnVersion: "pod-security.kubernetes.io/warn-version",
} as const;

export type PssMode = "enforce" | "audit" | "warn";

/** The level and version one mode evaluates, and the policy minor that version resolves to. */
export interface PssModePolicy {
  level: PssLevel;
  version: PssVersion;
  /** The version actually evaluated: "latest" and future versions resolve to the newest policy. */
  evaluatedVersion: `v1.${number}`;
}

export interface PssPolicy {
  enforce: PssModePolicy;
  audit: PssModePolicy;
  warn: PssModePolicy;
}

/** A label value upstream refuses (field.Invalid on metadata.labels[...]). */
export interface PssLabelError {
  label: string;
  value: string;
  message: string;
}

const mode = (level: PssLevel, version: PssVersion): PssModePolicy => ({
  level,
  version,
  evaluatedVersion: `v1.${effectiveMinor(version)}`,
});

/** The admission plugin's defaults (PodSecurityConfiguration): privileged:latest for every mode. */
export const DEFAULT_PSS_POLICY: PssPolicy = {
  enforce: mode("privileged", "latest"),
  audit: mode("privileged", "latest"),
  warn: mode("privileged", "latest"),
};

const LEVEL_ERROR = "must be one of privileged, baseline, restricted";
const VERSION_ERROR = 'must be "latest" or "v1.x"';

const LEVEL_RANK: Readonly<Record<PssLevel, number>> = { privileged: 0, baseline: 1, restricted: 2 };

/**
 * api.PolicyToEvaluate: resolve namespace labels over the defaults. An invalid enforce level
 * evaluates as restricted (fail closed); an invalid audit or warn level as privileged (fail open);
 * an invalid version as latest. Every invalid label is returned as an error.
 *
 * Its last step (k8s.io/pod-security-admission/api/helpers.go, "Default warn to the enforce level when
 * explicitly set to a more restrictive level"): a valid enforce label stricter than the warn level, with no warn
 * label, raises warn to the enforce level, and to the enforce version unless a warn-version label is set. So a
 * Deployment whose pods enforce would reject is warned about when it is applied. Audit is never raised.
 */
export function policyFromLabels(
  labels: Labels,
  defaults: PssPolicy = DEFAULT_PSS_POLICY,
): { policy: PssPolicy; errors: PssLabelError[] } {
  const errors: PssLabelError[] = [];
  const policy: PssPolicy = { enforce: defaults.enforce, audit: defaults.audit, warn: defaults.warn };
  const modes: [PssMode, string, string, PssLevel][] = [
    ["enforce", PSS_LABELS.enforce, PSS_LABELS.enforceVersion, "restricted"],
    ["audit", PSS_LABELS.audit, PSS_LABELS.auditVersion, "privileged"],
    ["warn", PSS_LABELS.warn, PSS_LABELS.warnVersion, "privileged"],
  ];
  for (const [m, levelLabel, versionLabel, onInvalid] of modes) {
    let { level, version } = policy[m];
    if (Object.hasOwn(labels, levelLabel)) {
      const value = labels[levelLabel] ?? "";
      const parsed = parsePssLevel(value);
      if (parsed === undefined) errors.push({ label: levelLabel, value, message: LEVEL_ERROR });
      level = parsed ?? onInvalid;
    }
    if (Object.hasOwn(labels, versionLabel)) {
      const value = labels[versionLabel] ?? "";
      const parsed = parsePssVersion(value);
      if (parsed === undefined) errors.push({ label: versionLabel, value, message: VERSION_ERROR });
      version = parsed ?? "latest";
    }
    policy[m] = mode(level, version);
  }
  const hasEnforceLevel =
    Object.hasOwn(labels, PSS_LABELS.enforce) && !errors.some((e) => e.label === PSS_LABELS.enforce);
  if (
    hasEnforceLevel &&
    !Object.hasOwn(labels, PSS_LABELS.warn) &&
    LEVEL_RANK[policy.enforce.level] > LEVEL_RANK[policy.warn.level]
  ) {
    policy.warn = Object.hasOwn(labels, PSS_LABELS.warnVersion)
      ? mode(policy.enforce.level, policy.warn.version)
      : policy.enforce;
  }
  return { policy, errors };
}

/** A workload and the checks it fails under one mode's policy. */
export interface PssWorkloadVerdict {
  resource: ResourceRef;
  violations: PssViolation[];
}

export interface NamespacePss {
  namespace: string;
  /** True when the namespace carries at least one pod-security.kubernetes.io label. */
  labelled: boolean;
  policy: PssPolicy;
  errors: PssLabelError[];
  /** Workloads (pods and pod templates) in the namespace. */
  workloads: number;
  /**
   * Workloads whose pods enforce would reject. For controllers (Deployment, Job, ...) the API server
   * admits the controller with a warning and rejects the pods it creates.
   */
  rejected: PssWorkloadVerdict[];
  /** Workloads that would get an audit annotation. */
  audited: PssWorkloadVerdict[];
  /** Workloads that would get a warning. */
  warned: PssWorkloadVerdict[];
}

export interface NamespacePssReport {
  namespaces: NamespacePss[];
  /** Namespaces without any pod-security label (the defaults apply), sorted. */
  unlabelled: string[];
  /** Invalid labels and namespaces whose labels are unknown (not in the input). */
  coverage: CoverageEntry[];
}

const LABEL_KEYS = Object.values(PSS_LABELS) as string[];

const byRef = (a: PssWorkloadVerdict, b: PssWorkloadVerdict): number =>
  cmp(a.resource.kind, b.resource.kind) || cmp(a.resource.name, b.resource.name);

/**
 * Per namespace, the effective enforce/audit/warn policy from its labels and which workloads each
 * mode would reject, audit or warn about. Namespaces only referenced by objects (no Namespace object
 * in the input) are evaluated with the defaults and reported as coverage, never as a silent pass.
 */
export function evaluateNamespacesPss(
  inv: Inventory,
  defaults: PssPolicy = DEFAULT_PSS_POLICY,
): NamespacePssReport {
  const coverage: CoverageEntry[] = [];
  const namespaces: NamespacePss[] = [];
  const unlabelled: string[] = [];
  const byNamespace = new Map<string, typeof inv.workloads>();
  for (const w of inv.workloads) {
    const ns = w.ref.namespace ?? "default";
    const list = byNamespace.get(ns);
    if (list) list.push(w);
    else byNamespace.set(ns, [w]);
  }
  const names = [...new Set([...inv.namespaces.keys(), ...byNamespace.keys()])].sort(cmp);
  for (const name of names) {
    const info = inv.namespaces.get(name);
    const labels: Labels = info?.labels ?? {};
    const labelled = LABEL_KEYS.some((k) => Object.hasOwn(labels, k));
    if (!info?.object) {
      coverage.push({
        reason: "missing",
        message: `namespace "${name}" is not in the input: its pod-security labels are unknown, defaults assumed`,
        subject: name,
        namespace: name,
        kind: "Namespace",
      });
    }
    if (!labelled) unlabelled.push(name);
    const { policy, errors } = policyFromLabels(labels, defaults);
    for (const e of errors) {
      const evaluated =
        e.label === PSS_LABELS.enforce
          ? "restricted"
          : e.label.endsWith("-version")
            ? "latest"
            : "privileged";
      coverage.push({
        reason: "invalid",
        message: `namespace "${name}": label ${e.label}="${e.value}" is invalid (${e.message}); evaluated as ${evaluated}`,
        subject: name,
        namespace: name,
        kind: "Namespace",
        // pod-security-admission resolves an invalid value this same way: the answer is exact.
        evaluated: true,
      });
    }
    const entry: NamespacePss = {
      namespace: name,
      labelled,
      policy,
      errors,
      workloads: 0,
      rejected: [],
      audited: [],
      warned: [],
    };
    for (const w of byNamespace.get(name) ?? []) {
      entry.workloads++;
      for (const [m, out] of [
        ["enforce", entry.rejected],
        ["audit", entry.audited],
        ["warn", entry.warned],
      ] as const) {
        const r = evaluateWorkloadPss(w, policy[m].level, policy[m].version);
        if (!r.allowed) out.push({ resource: w.ref, violations: r.violations });
      }
    }
    entry.rejected.sort(byRef);
    entry.audited.sort(byRef);
    entry.warned.sort(byRef);
    namespaces.push(entry);
  }
  return { namespaces, unlabelled, coverage };
}
