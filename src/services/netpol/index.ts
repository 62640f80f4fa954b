/**
 * Use cases: NetworkPolicy connectivity (which connections the policies allow) and what-if diffs (which
 * connections a policy change adds, removes or changes). Readers are the caller's; answers are values the caller
 * formats.
 */
import type { CoverageEntry } from "../../core/findings/index.js";
import type { Inventory, KObject } from "../../core/inventory/index.js";
import {
  analyzeConnectivity,
  type Connectivity,
  type ConnectivityDiff,
  type ConnectivityOptions,
  diffConnectivity,
} from "../../core/netpol/index.js";
import { appendAll } from "../../core/util/index.js";
import {
  type InventoryReaders,
  type InventorySources,
  type LoadedInventory,
  loadInventory,
} from "../inventory/index.js";

export interface NetpolDeps {
  readers: InventoryReaders;
  /** Readers of the change's policy files (`change`); default `readers`. */
  changeReaders?: InventoryReaders | undefined;
}

export interface NetpolHooks {
  /** The current state is loaded; may throw to stop the run (the CLI refuses an input without objects). */
  loaded?(loaded: LoadedInventory): void;
}

export interface ConnectivityRequest {
  sources: InventorySources;
  options: ConnectivityOptions;
}

export interface ConnectivityResult {
  connectivity: Connectivity;
  /** The load's coverage, then the analysis's. */
  coverage: CoverageEntry[];
}

/** Load, then analyse the allowed connections. */
export async function netpolConnectivity(
  req: ConnectivityRequest,
  deps: NetpolDeps,
  hooks: NetpolHooks = {},
): Promise<ConnectivityResult> {
  const loaded = await loadInventory(req.sources, deps.readers);
  hooks.loaded?.(loaded);
  const connectivity = analyzeConnectivity(loaded.inventory, req.options);
  return { connectivity, coverage: [...loaded.coverage, ...connectivity.coverage] };
}

export interface DiffRequest {
  sources: InventorySources;
  /** Files of new or changed NetworkPolicies; absent: nothing added. */
  change?: InventorySources | undefined;
  /** `NAMESPACE/NAME` of policies to delete. */
  remove: readonly string[];
  options: ConnectivityOptions;
}

export interface DiffResult {
  diff: ConnectivityDiff;
  /** The loads' coverage, the change's ignored and missing objects, then both analyses' (each message once). */
  coverage: CoverageEntry[];
}

const policyKey = (o: KObject): string => `${o.ref.namespace ?? "default"}/${o.ref.name}`;

/**
 * The what-if inventory: the added policies replace same-named policies (as `kubectl apply` would) or are added;
 * removed ones (`NAMESPACE/NAME`) are deleted. Everything else stays as loaded.
 */
function applyChange(before: Inventory, added: readonly KObject[], removed: readonly string[]): Inventory {
  const drop = new Set([...removed, ...added.map(policyKey)]);
  return {
    ...before,
    networkPolicies: [...before.networkPolicies.filter((p) => !drop.has(policyKey(p))), ...added],
  };
}

/** Load the current state and the change, analyse both, and diff the connections. */
export async function netpolDiff(
  req: DiffRequest,
  deps: NetpolDeps,
  hooks: NetpolHooks = {},
): Promise<DiffResult> {
  const loaded = await loadInventory(req.sources, deps.readers);
  hooks.loaded?.(loaded);
  const coverage = [...loaded.coverage];
  const added: KObject[] = [];
  if (req.change !== undefined) {
    const change = await loadInventory(req.change, deps.changeReaders ?? deps.readers);
    appendAll(coverage, change.coverage);
    appendAll(added, change.inventory.networkPolicies);
    const others = change.inventory.objects.filter(
      (o) => o.ref.kind !== "NetworkPolicy" && o.ref.kind !== "Namespace",
    );
    if (others.length > 0)
      coverage.push({
        reason: "not-evaluated",
        message: `--with: ${others.length} object(s) that are not NetworkPolicies were ignored (${others
          .slice(0, 5)
          .map((o) => `${o.ref.kind} ${o.ref.namespace ?? ""}/${o.ref.name}`)
          .join(", ")})`,
      });
  }
  const known = new Set(loaded.inventory.networkPolicies.map(policyKey));
  for (const r of req.remove)
    if (!known.has(r))
      coverage.push({
        reason: "missing",
        message: `--remove: no NetworkPolicy ${r} in the input`,
        subject: r,
      });
  const before = analyzeConnectivity(loaded.inventory, req.options);
  const after = analyzeConnectivity(applyChange(loaded.inventory, added, req.remove), req.options);
  const diff = diffConnectivity(before, after);
  // Coverage of the "after" analysis includes invalid new policies, which the change would fail to apply.
  const seen = new Set(before.coverage.map((c) => c.message));
  appendAll(
    coverage,
    before.coverage,
    after.coverage.filter((c) => !seen.has(c.message)),
  );
  return { diff, coverage };
}
