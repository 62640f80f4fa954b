/**
 * Use cases: exact RBAC questions over one inventory (kubectl auth can-i, who-can, a subject's effective
 * permissions, escalation paths to cluster-admin). Each loads the inventory from the sources named, builds the
 * RBAC index (with the bootstrap policy the build options ask for) and answers; readers are the caller's, the
 * answer is a value the caller formats, next to the coverage of the load and of the index.
 */
import type { CoverageEntry } from "../../core/findings/index.js";
import {
  buildRbacIndex,
  type CanIRequest,
  type CanIResult,
  canI,
  type EscalationPath,
  escalationPaths,
  type PermissionsReport,
  permissionsReport,
  type RbacBuildOptions,
  type RbacIndex,
  type Subject,
  type WhoCanRequest,
  type WhoCanSubject,
  whoCan,
} from "../../core/rbac/index.js";
import {
  type InventoryReaders,
  type InventorySources,
  type LoadedInventory,
  loadInventory,
} from "../inventory/index.js";

/**
 * The bootstrap policy assumed unless the caller says otherwise: the API server's defaults of the analysed
 * Kubernetes version (`kubeVersion`, else the newest kubelet among the input's Nodes, else the newest modelled) for
 * manifests and snapshots; live input adds none. The CLI (without --no-default-roles) and the server (for pushed
 * snapshots) both build with this, so they answer alike.
 */
export function assumedRbacDefaults(kubeVersion?: string | undefined): RbacBuildOptions {
  return { defaultRoles: { kubeVersion } };
}

/** What every RBAC question reads: the sources, and which bootstrap policy to assume. */
export interface RbacSourcesRequest {
  sources: InventorySources;
  /** Bootstrap RBAC defaults (default roles of a Kubernetes version, or none). */
  build: RbacBuildOptions;
}

export interface RbacDeps {
  readers: InventoryReaders;
}

export interface RbacHooks {
  /** The inventory is loaded; may throw to stop the run (the CLI refuses an input without objects). */
  loaded?(loaded: LoadedInventory): void;
}

/** An answer with the load's coverage, then the index's. */
export interface RbacAnswer<T> {
  answer: T;
  coverage: CoverageEntry[];
}

/** Load, build the index, answer. */
async function answerWith<T>(
  req: RbacSourcesRequest,
  deps: RbacDeps,
  hooks: RbacHooks,
  ask: (idx: RbacIndex) => T,
): Promise<RbacAnswer<T>> {
  const loaded = await loadInventory(req.sources, deps.readers);
  hooks.loaded?.(loaded);
  const idx = buildRbacIndex(loaded.inventory, req.build);
  return { answer: ask(idx), coverage: [...loaded.coverage, ...idx.coverage] };
}

/** Whether the identity may perform the request, as the RBAC authorizer decides, with the reasons. */
export function rbacCanI(
  req: RbacSourcesRequest & { request: CanIRequest },
  deps: RbacDeps,
  hooks: RbacHooks = {},
): Promise<RbacAnswer<CanIResult>> {
  return answerWith(req, deps, hooks, (idx) => canI(idx, req.request));
}

/** Every subject that may perform the request, with the bindings that grant it. */
export function rbacWhoCan(
  req: RbacSourcesRequest & { request: WhoCanRequest },
  deps: RbacDeps,
  hooks: RbacHooks = {},
): Promise<RbacAnswer<{ subjects: WhoCanSubject[] }>> {
  return answerWith(req, deps, hooks, (idx) => whoCan(idx, req.request));
}

/** Every grant reaching one subject: cluster-wide, then per namespace (only `namespace`'s when given). */
export function rbacPermissions(
  req: RbacSourcesRequest & { subject: Subject; namespace?: string | undefined },
  deps: RbacDeps,
  hooks: RbacHooks = {},
): Promise<RbacAnswer<PermissionsReport>> {
  return answerWith(req, deps, hooks, (idx) =>
    permissionsReport(idx, req.subject, { namespace: req.namespace }),
  );
}

/** Which subjects can reach cluster-admin-equivalent power, and by which steps. */
export function rbacEscalationPaths(
  req: RbacSourcesRequest & { to: "cluster-admin" },
  deps: RbacDeps,
  hooks: RbacHooks = {},
): Promise<RbacAnswer<EscalationPath[]>> {
  return answerWith(req, deps, hooks, (idx) => escalationPaths(idx, { to: req.to }));
}
