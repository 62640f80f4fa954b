/**
 * Use cases around behaviour baselines: load them from the store into a book (a detector for `detectAlerts`), save
 * the book back, list them, promote one to enforcing-by-alert, and accept an item an operator reviewed.
 */
import type { BaselineStore } from "../../adapters/store/ports.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import {
  BaselineBook,
  type BaselineOptions,
  type BaselineTransition,
  inventoryScope,
  presentWorkloads,
  type TimedInventory,
  type WorkloadBaseline,
  type WorkloadRef,
  workloadFactsKey,
} from "../../core/runtime/index.js";
import type { Detector } from "./detect.js";

/**
 * The book of one cluster's baselines (`""`: the local book of events read from files, no cluster named): a
 * workload is known by namespace/kind/name, which two clusters may share.
 */
export async function openBaselineBook(
  store: BaselineStore,
  cluster: string,
  options: BaselineOptions,
): Promise<{ book: BaselineBook; detector: Detector; coverage: CoverageEntry[] }> {
  const { baselines, coverage } = await store.listBaselines(cluster);
  const book = new BaselineBook(options, baselines);
  return { book, detector: (e) => book.observe(e), coverage };
}

/** Save the cluster's book: its baselines replaced, the ones it retired deleted. */
export async function saveBaselineBook(
  store: BaselineStore,
  cluster: string,
  book: BaselineBook,
  now: Date,
): Promise<void> {
  await store.putBaselines(cluster, [...book.baselines.values()], now);
  if (book.retired.length > 0) await store.deleteBaselines(cluster, book.retired);
}

/**
 * Walk the snapshots oldest first and retire the baselines of workloads missing from the inventory for longer
 * than their learning window (each snapshot's time is the clock; a snapshot without Namespace objects judges only
 * the namespaces it holds objects of). Answers the workloads retired.
 */
export function retireBaselines(book: BaselineBook, snapshots: readonly TimedInventory[]): WorkloadRef[] {
  const out: WorkloadRef[] = [];
  for (const s of [...snapshots].sort((a, b) => a.at - b.at))
    for (const w of book.retire(presentWorkloads(s.inventory), s.at, inventoryScope(s.inventory)))
      out.push(w);
  return out;
}

/** `Kind/namespace/name` or `namespace/name` (Deployment) as a workload reference. */
export function parseWorkloadRef(s: string): WorkloadRef | undefined {
  const parts = s.split("/");
  if (parts.length === 2 && parts.every(Boolean))
    return { kind: "Deployment", namespace: parts[0] as string, name: parts[1] as string };
  if (parts.length === 3 && parts.every(Boolean))
    return { kind: parts[0] as string, namespace: parts[1] as string, name: parts[2] as string };
  return undefined;
}

export type BaselineChange =
  | { action: "promote" }
  | { action: "accept"; kind: "process" | "peer"; item: string };

/** Promote a baseline or accept an item into it; answers the transition (promote) or whether it was found. */
export async function changeBaseline(
  store: BaselineStore,
  cluster: string,
  workload: WorkloadRef,
  change: BaselineChange,
  now: Date,
): Promise<{ found: boolean; transition?: BaselineTransition; baseline?: WorkloadBaseline }> {
  const { book } = await openBaselineBook(store, cluster, { windowMs: 0 });
  const at = now.getTime();
  if (change.action === "promote") {
    const t = book.promote(workload, at);
    const b = book.baselines.get(workloadFactsKey(workload));
    if (!b) return { found: false };
    await store.putBaselines(cluster, [b], now);
    return { found: true, baseline: b, ...(t ? { transition: t } : {}) };
  }
  if (!book.accept(workload, change.kind, change.item, at)) return { found: false };
  const b = book.baselines.get(workloadFactsKey(workload)) as WorkloadBaseline;
  await store.putBaselines(cluster, [b], now);
  return { found: true, baseline: b };
}
