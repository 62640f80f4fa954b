/**
 * Use case: Pod Security Standards. Load the inventory from the sources named, then either evaluate every pod and
 * pod template at one level (as pod-security-admission would) or report each namespace's effective policy from
 * its pod-security.kubernetes.io labels. The answer is a value the caller formats.
 */
import type { CoverageEntry, ResourceRef } from "../../core/findings/index.js";
import {
  DEFAULT_PSS_POLICY,
  evaluateNamespacesPss,
  evaluateWorkloadPss,
  PSS_LABELS,
  type PssLabelError,
  type PssLevel,
  type PssModePolicy,
  type PssVersion,
  type PssWorkloadVerdict,
  policyFromLabels,
} from "../../core/pss/index.js";
import {
  type InventoryReaders,
  type InventorySources,
  type LoadedInventory,
  loadInventory,
} from "../inventory/index.js";

export interface PssRequest {
  sources: InventorySources;
  /** Evaluate every workload at this level; with `namespaces`, the level of namespaces without an enforce label. */
  level?: PssLevel | undefined;
  /** Policy version of `level` ("latest" or v1.N). */
  version: PssVersion;
  /** Report per namespace even when a level is given. */
  namespaces?: boolean | undefined;
}

export interface PssDeps {
  readers: InventoryReaders;
}

export interface PssHooks {
  /**
   * The inventory is loaded: `evaluated` is how many of the things this mode evaluates it holds, and what they
   * are. May throw to stop the run (the CLI refuses a run that evaluated nothing).
   */
  loaded?(loaded: LoadedInventory, evaluated: { count: number; what: string }): void;
}

/** One workload at one level. */
export interface PssWorkloadResult {
  resource: ResourceRef;
  allowed: boolean;
  violations: { check: string; message: string }[];
}

export interface PssVerdictOut {
  resource: ResourceRef;
  violations: { check: string; message: string }[];
}

/** One namespace's effective policy and the workloads each mode would reject or flag. */
export interface PssNamespaceResult {
  namespace: string;
  labelled: boolean;
  enforce: PssModePolicy;
  audit: PssModePolicy;
  warn: PssModePolicy;
  errors: PssLabelError[];
  workloads: number;
  rejected: PssVerdictOut[];
  audited: PssVerdictOut[];
  warned: PssVerdictOut[];
}

export type PssResult =
  | { mode: "workloads"; results: PssWorkloadResult[]; coverage: CoverageEntry[] }
  | {
      mode: "namespaces";
      namespaces: PssNamespaceResult[];
      unlabelled: string[];
      /** The load's coverage, then the evaluation's (invalid labels). */
      coverage: CoverageEntry[];
    };

/** The reference without whatever else the loader attached (uid, location). */
function resourceOf(r: ResourceRef): ResourceRef {
  const out: ResourceRef = { apiVersion: r.apiVersion, kind: r.kind, name: r.name };
  if (r.namespace !== undefined) out.namespace = r.namespace;
  return out;
}

const refKey = (r: ResourceRef): [string, string, string] => [r.namespace ?? "", r.kind, r.name];

/** By namespace, kind, name. */
function compareRefs(a: ResourceRef, b: ResourceRef): number {
  const ka = refKey(a);
  const kb = refKey(b);
  for (let i = 0; i < 3; i++) {
    const x = ka[i] ?? "";
    const y = kb[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const verdicts = (list: readonly PssWorkloadVerdict[]): PssVerdictOut[] =>
  list.map((v) => ({
    resource: resourceOf(v.resource),
    violations: v.violations.map((x) => ({ check: x.check, message: x.message })),
  }));

/** Load, then evaluate in the mode the request names. */
export async function evaluatePss(req: PssRequest, deps: PssDeps, hooks: PssHooks = {}): Promise<PssResult> {
  const loaded = await loadInventory(req.sources, deps.readers);
  const inv = loaded.inventory;
  const level = req.level;
  if (level !== undefined && !req.namespaces) {
    hooks.loaded?.(loaded, { count: inv.workloads.length, what: "a pod or pod template" });
    const results = inv.workloads
      .map((w) => {
        const r = evaluateWorkloadPss(w, level, req.version);
        return {
          resource: resourceOf(w.ref),
          allowed: r.allowed,
          violations: r.violations.map((v) => ({ check: v.check, message: v.message })),
        };
      })
      .sort((a, b) => compareRefs(a.resource, b.resource));
    return { mode: "workloads", results, coverage: loaded.coverage };
  }
  hooks.loaded?.(loaded, {
    count: inv.namespaces.size + inv.workloads.length,
    what: "a Namespace or a pod or pod template",
  });
  // A level with --namespaces is the default of namespaces without an enforce label, like the admission
  // plugin's configured defaults.
  const defaults =
    level === undefined
      ? DEFAULT_PSS_POLICY
      : {
          ...DEFAULT_PSS_POLICY,
          enforce: policyFromLabels({ [PSS_LABELS.enforce]: level, [PSS_LABELS.enforceVersion]: req.version })
            .policy.enforce,
        };
  const report = evaluateNamespacesPss(inv, defaults);
  return {
    mode: "namespaces",
    namespaces: report.namespaces.map((n) => ({
      namespace: n.namespace,
      labelled: n.labelled,
      enforce: n.policy.enforce,
      audit: n.policy.audit,
      warn: n.policy.warn,
      errors: n.errors,
      workloads: n.workloads,
      rejected: verdicts(n.rejected),
      audited: verdicts(n.audited),
      warned: verdicts(n.warned),
    })),
    unlabelled: report.unlabelled,
    coverage: [...loaded.coverage, ...report.coverage],
  };
}
