/**
 * Use cases of image lineage over the stores: the tree and its vulnerabilities as of now (`images tree`), who
 * runs a vulnerability (`vuln impact`), the prioritised fixes (`vuln plan`), and remediation records advanced by
 * an observed inventory and persisted atomically (`vuln status`). Stores come in through their ports, the
 * inventory through the inventory service's readers, the clock as an argument.
 */

import type { StoredImage, Stores } from "../../adapters/store/ports.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import type { Inventory } from "../../core/inventory/index.js";
import {
  advance,
  attributeVulns,
  buildImpactIndex,
  buildLineage,
  buildPlan,
  type ImpactAnswer,
  type ImpactIndex,
  impact,
  type Lineage,
  type LineageVulns,
  lineageQueryKeys,
  matchLineage,
  observationScope,
  observeRemediation,
  type RemediationPlan,
  type RemediationRecord,
  type Transition,
  workloadUsages,
} from "../../core/lineage/index.js";
import { appendAll } from "../../core/util/index.js";
import { DEFAULT_RESOLVER, type OsvRecord } from "../../core/vuln/index.js";
import { type InventoryReaders, type InventorySources, loadInventory } from "../inventory/index.js";

/**
 * The stores lineage reads: known images and the advisories they are matched against, and where they live (named
 * in messages: the file path, or the URL without its password).
 */
export type LineageStores = Pick<Stores, "location" | "images" | "vulns">;

/** The tree and its vulnerabilities as of now. */
export interface LineageState {
  lineage: Lineage;
  vulns: LineageVulns;
  images: StoredImage[];
  /** Where the stores live, for messages. */
  location: string;
  /** Advisories in the vulnerability database (0 when there is none). */
  advisories: number;
  coverage: CoverageEntry[];
}

/**
 * Read the known images, build the tree, and match it against the advisories (one batched lookup over every
 * node's package keys). Without advisories the tree is still built and a coverage entry says vulnerability
 * counts are unknown; an import that did not finish is said too.
 */
export async function loadLineageState(stores: LineageStores): Promise<LineageState> {
  const { location } = stores;
  const coverage: CoverageEntry[] = [];
  const listed = await stores.images.listImages();
  const images = listed.images;
  appendAll(coverage, listed.coverage);
  const lineage = buildLineage(images.map((i) => i.image));
  appendAll(coverage, lineage.coverage);
  const st = await stores.vulns.status();
  const advisories = st.advisories;
  // Never an answer from an import that did not finish without saying so (`vuln scan` refuses it).
  if (st.importState === "interrupted")
    coverage.push({
      reason: "stale",
      subject: location,
      message: `the last import into ${location} (started ${st.importStartedAt ?? "at an unknown time"}) did not finish: vulnerabilities are those of the import before it; run \`palisade vuln db import\` again`,
    });
  let byKey = new Map<string, OsvRecord[]>();
  if (advisories > 0) byKey = await stores.vulns.lookup(lineageQueryKeys(lineage));
  else
    coverage.push({
      reason: "missing",
      subject: location,
      message: `no advisories in ${location}: vulnerability counts are unknown (palisade vuln db import PATH...)`,
    });
  const matched = matchLineage(lineage, byKey, DEFAULT_RESOLVER);
  appendAll(coverage, matched.coverage);
  return {
    lineage,
    vulns: attributeVulns(lineage, matched.findings),
    images,
    location,
    advisories,
    coverage,
  };
}

/** What to observe: the inventory's sources, and the platform its workloads run. */
export interface ObservationRequest {
  sources: InventorySources;
  /** `os/arch[/variant]` workloads run, to pick among images known for several (default linux/amd64). */
  platform?: string | undefined;
}

export interface LineageDeps {
  stores: LineageStores;
  readers: InventoryReaders;
}

/** The lineage state, the observed inventory, and the impact index over both. */
export interface ImpactView {
  state: LineageState;
  /** The observed inventory (other impact sources, such as its nodes, read it too). */
  inventory: Inventory;
  index: ImpactIndex;
  /** Coverage of the state, then of the inventory, then of the index. */
  coverage: CoverageEntry[];
}

/** Tree and vulnerabilities from the stores, inventory from the sources, and the impact index over both. */
export async function loadImpactView(req: ObservationRequest, deps: LineageDeps): Promise<ImpactView> {
  const state = await loadLineageState(deps.stores);
  const loaded = await loadInventory(req.sources, deps.readers);
  const index = buildImpactIndex(state.lineage, state.vulns, workloadUsages(loaded.inventory), {
    platform: req.platform,
  });
  return {
    state,
    inventory: loaded.inventory,
    index,
    coverage: [...state.coverage, ...loaded.coverage, ...index.coverage],
  };
}

/**
 * Who runs vulnerability `id` (any id or alias): images, workloads, namespaces, teams, and where to fix it.
 * Refused without advisories: every id would answer "no known image carries this vulnerability".
 */
export async function vulnImpact(
  id: string,
  req: ObservationRequest,
  deps: LineageDeps,
): Promise<{ answer: ImpactAnswer; inventory: Inventory; coverage: CoverageEntry[] }> {
  const view = await loadImpactView(req, deps);
  if (view.state.advisories === 0)
    throw new PalisadeError(
      "INPUT",
      `no vulnerability advisories in ${view.state.location}: cannot tell which images carry ${id}; import OSV advisories with \`palisade vuln db import PATH...\``,
    );
  return { answer: impact(view.index, id), inventory: view.inventory, coverage: view.coverage };
}

/** Prioritised fixes. Refused without advisories: an empty plan would read as "nothing to fix". */
export async function remediationPlan(
  req: ObservationRequest,
  deps: LineageDeps,
): Promise<{ plan: RemediationPlan; coverage: CoverageEntry[] }> {
  const view = await loadImpactView(req, deps);
  if (view.state.advisories === 0)
    throw new PalisadeError(
      "INPUT",
      `no vulnerability advisories in ${view.state.location}: nothing to plan from; import OSV advisories with \`palisade vuln db import PATH...\``,
    );
  return { plan: buildPlan(view.index), coverage: view.coverage };
}

export interface RemediationStatusDeps {
  stores: Pick<Stores, "location" | "images" | "vulns" | "remediation">;
  /** Needed when the request observes an inventory. */
  readers?: InventoryReaders | undefined;
  /** The observation time when the request gives none. */
  now: () => Date;
}

export interface RemediationStatusRequest {
  /** An inventory to observe: the records advance from it. Without it the records are only read. */
  observe?: ObservationRequest | undefined;
  /** When the observed inventory was taken (a snapshot taken earlier); default `now()`. Ignored without one. */
  at?: Date | undefined;
}

export interface RemediationStatus {
  /** Every record after the observation, by key. */
  records: RemediationRecord[];
  /** What this observation changed (empty without one). */
  transitions: Transition[];
  coverage: CoverageEntry[];
}

/**
 * Remediation records per (vulnerability, image family). Observing an inventory advances them (open -> fix
 * available -> patched image -> deployed -> closed, reopening when an old digest returns) in one atomic
 * read-modify-write of the store: two observers at once never lose each other's update.
 */
export async function remediationStatus(
  req: RemediationStatusRequest,
  deps: RemediationStatusDeps,
): Promise<RemediationStatus> {
  let transitions: Transition[] = [];
  let coverage: CoverageEntry[] = [];
  if (req.observe) {
    const now = req.at ?? deps.now();
    if (deps.readers === undefined)
      throw new PalisadeError("INTERNAL", "remediationStatus: an inventory to observe needs readers");
    const view = await loadImpactView(req.observe, { stores: deps.stores, readers: deps.readers });
    coverage = view.coverage;
    // The observation carries where it looked: records with workloads elsewhere are not closed by it.
    const observation = observeRemediation(
      view.index,
      observationScope(view.inventory, req.observe.sources.cluster?.namespace),
    );
    // One atomic read-modify-write: a concurrent observer (another process, another host on PostgreSQL) waits,
    // then advances from these records instead of overwriting them.
    transitions = await deps.stores.remediation.update((current) => {
      const r = advance(current, observation, now);
      return { records: r.records, result: r.transitions };
    });
  }
  const records = await deps.stores.remediation.listRecords();
  return { records, transitions, coverage };
}
