/**
 * Use case: the node report. Load the inventory, read the advisories its node and control-plane components need
 * (through a lookup the caller hands in: a vulnerability store, or nothing), run posture for the DaemonSet links,
 * and build the report (core/nodes). Also the node part of `vuln impact`.
 */
import type { CoverageEntry } from "../../core/findings/index.js";
import type { Inventory } from "../../core/inventory/index.js";
import {
  analyzeNodes,
  buildInfraInventory,
  buildNodesReport,
  type InfraImpact,
  infraImpact,
  infraQueryKeys,
  type NodesReport,
} from "../../core/nodes/index.js";
import { evaluatePosture } from "../../core/posture/index.js";
import type { OsvRecord } from "../../core/vuln/index.js";
import {
  type InventoryReaders,
  type InventorySources,
  type LoadedInventory,
  loadInventory,
} from "../inventory/index.js";

/** Advisories by store key for the keys asked, and what the database says of itself. */
export type AdvisoryLookup = (keys: readonly string[]) => Promise<{
  byKey: ReadonlyMap<string, readonly OsvRecord[]>;
  database?: NodesReport["database"];
  coverage?: readonly CoverageEntry[];
}>;

export interface NodesRequest {
  sources: InventorySources;
  version: string;
}

export interface NodesDeps {
  readers: InventoryReaders;
  /** Undefined: no database, only host findings (the report says components were not matched). */
  lookup?: AdvisoryLookup | undefined;
  now: () => Date;
}

export interface NodesResult {
  loaded: LoadedInventory;
  report: NodesReport;
}

/** Load, look up, analyse: the node report, with the coverage of every step in it. */
export async function nodesReport(req: NodesRequest, deps: NodesDeps): Promise<NodesResult> {
  const loaded = await loadInventory(req.sources, deps.readers);
  const inv = loaded.inventory;
  const looked = deps.lookup ? await deps.lookup(infraQueryKeys(buildInfraInventory(inv).infra)) : undefined;
  // Posture only links privileged, host-mounting DaemonSets to nodes: the other workloads are not evaluated (on a
  // 50k-pod snapshot, posture over every pod was 20 s of a 24 s run).
  const daemonSets = { ...inv, workloads: inv.workloads.filter((w) => w.kind === "DaemonSet") };
  const posture = evaluatePosture(daemonSets, { allowedRegistries: [] }).findings;
  const report = buildNodesReport(inv, {
    version: req.version,
    now: deps.now(),
    advisories: looked?.byKey,
    database: looked?.database,
    posture,
  });
  report.coverage = [...loaded.coverage, ...(looked?.coverage ?? []), ...report.coverage];
  return { loaded, report };
}

/** The node part of `vuln impact`: nodes running a component the vulnerability affects, and their workloads. */
export async function nodesImpact(
  inv: Inventory,
  query: string,
  lookup: AdvisoryLookup,
  now: Date,
): Promise<{ impact: InfraImpact; coverage: CoverageEntry[] }> {
  if (inv.nodes.length === 0) return { impact: infraImpact([], inv, query), coverage: [] };
  const looked = await lookup(infraQueryKeys(buildInfraInventory(inv).infra));
  const a = analyzeNodes(inv, { now, advisories: looked.byKey });
  return { impact: infraImpact(a.vulns, inv, query), coverage: a.coverage };
}
