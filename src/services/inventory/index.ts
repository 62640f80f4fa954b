/**
 * Use case: load one inventory from every source a run names (manifest files, cluster snapshots, a live cluster,
 * an ownership file). The readers are adapters handed in by the caller (the CLI's composition root, later the
 * server's), so this module does no IO of its own: it decides the order, the origin of each object, the one
 * object budget shared by every input, and builds the inventory.
 */
import { Budget } from "../../core/budget/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import {
  type BuildOptions,
  DEFAULT_OWNERSHIP,
  type Inventory,
  inventoryBuilder,
  type KObject,
  type OwnershipConfig,
  type RawObject,
} from "../../core/inventory/index.js";
import { appendAll } from "../../core/util/index.js";

/** Objects read from all inputs of one run, unless the caller says otherwise. */
export const DEFAULT_MAX_OBJECTS = 5_000_000;

/** What one reader returns: objects as read, and coverage for what could not be read. */
export interface RawRead {
  objects: RawObject[];
  coverage: CoverageEntry[];
}

/** A live cluster to read, as a kubeconfig names it. */
export interface ClusterSource {
  kubeconfig: string;
  context?: string | undefined;
  /** Read one namespace only. */
  namespace?: string | undefined;
  /** Bounds of the read (milliseconds, pages); the reader's defaults for the rest. */
  limits?: { requestTimeoutMs?: number; timeoutMs?: number; maxPages?: number } | undefined;
  /** Objects per page (the list `limit`). */
  pageSize?: number | undefined;
  /**
   * Also read what node analysis needs beyond the lists: the API server's `/version` (a ClusterVersion object)
   * and each node's kubelet configuration (`nodes/{name}/proxy/configz`, KubeletConfiguration objects).
   */
  nodeDetails?: boolean | undefined;
}

/** Every source a run can name. At least one of manifests, snapshots and cluster is required. */
export interface InventorySources {
  /** Manifest files and directories, `-` for standard input. */
  manifests?: readonly string[] | undefined;
  /** Cluster snapshots (`kubectl get ... -o json`). */
  snapshots?: readonly string[] | undefined;
  cluster?: ClusterSource | undefined;
  /** Ownership file mapping namespaces and image repositories to teams. */
  owners?: string | undefined;
  /** Objects read from all inputs together (default {@link DEFAULT_MAX_OBJECTS}). */
  maxObjects?: number | undefined;
}

/**
 * Where a reader may hand each object as soon as it is read, instead of returning it in {@link RawRead.objects}:
 * the inventory is then built as the input streams in, and the objects are never all held as loaded.
 */
export type ObjectSink = (raw: RawObject) => void;

/**
 * The adapters an inventory is read through. A reader is needed only for the sources a run names; the budget is
 * the run's one object budget, charged by every reader. A reader given a sink may hand objects to it as it reads
 * (in input order) and return none; objects it returns are taken after those.
 */
export interface InventoryReaders {
  manifests?(
    paths: readonly string[],
    budget: Budget,
    sink?: ObjectSink,
  ): Promise<RawRead & { files: number }>;
  snapshots?(
    files: readonly string[],
    budget: Budget,
    sink?: ObjectSink,
  ): Promise<RawRead & { files: number }>;
  cluster?(source: ClusterSource): Promise<RawRead>;
  ownership?(file: string): Promise<OwnershipConfig>;
  /**
   * The manifest and snapshot readers give the same objects when called again with the same paths (files; not a
   * request body): members may then be compacted as they are read, and the inputs read again in the rare case
   * where that was too early.
   */
  rereadable?: boolean;
}

export interface LoadedInventory {
  inventory: Inventory;
  /** Coverage from loading (parse errors, forbidden lists) merged with inventory coverage. */
  coverage: CoverageEntry[];
  /** Number of files read. */
  files: number;
}

/** Whether the sources name anything to read. */
export function hasInventorySource(s: InventorySources): boolean {
  return Boolean(s.manifests?.length || s.snapshots?.length || s.cluster);
}

/** The usage error for a run that names no source; thrown by {@link loadInventory} too. */
export function requireInventorySource(s: InventorySources): void {
  if (!hasInventorySource(s))
    throw new PalisadeError(
      "USAGE",
      "no input: give manifest paths (-f PATH or '-'), --snapshot FILE or --kubeconfig",
    );
}

function readerFor<K extends keyof InventoryReaders>(
  readers: InventoryReaders,
  name: K,
): NonNullable<InventoryReaders[K]> {
  const r = readers[name];
  if (r === undefined) throw new PalisadeError("INTERNAL", `no ${name} reader was given to loadInventory`);
  return r as NonNullable<InventoryReaders[K]>;
}

/**
 * Read every source, in a fixed order (manifests, snapshots, live cluster), into one inventory. Each object
 * records its origin (manifest, snapshot, cluster): rules about what a committed file holds apply to manifests
 * only. Everything a reader could not read is coverage; a reader throws only for what ends the run (a snapshot
 * that does not exist, a broken kubeconfig). Objects go into the inventory as they are read; with
 * `compactMembers`, the members of workloads are compacted as they arrive when every input can be read again
 * (`readers.rereadable`, no standard input, no live cluster), and read again in the rare owner graphs where that was too early
 * (see `compactAtLoad` in core/inventory).
 */
export async function loadInventory(
  sources: InventorySources,
  readers: InventoryReaders,
  options: LoadOptions = {},
): Promise<LoadedInventory> {
  requireInventorySource(sources);
  // Read after the inputs (as always: a missing snapshot is the error reported first), once.
  let owners: Promise<OwnershipConfig> | undefined;
  const ownership = (): Promise<OwnershipConfig> =>
    (owners ??=
      sources.owners === undefined
        ? Promise.resolve(DEFAULT_OWNERSHIP)
        : readerFor(readers, "ownership")(sources.owners));
  const rereadable =
    readers.rereadable === true &&
    sources.cluster === undefined &&
    !(sources.manifests ?? []).includes("-") &&
    !(sources.snapshots ?? []).includes("-");
  const compactAtLoad = (options.compactMembers === true || options.compactMembers === "scan") && rereadable;
  const first = await readAll(sources, readers, ownership, options, compactAtLoad);
  if (first !== undefined) return first;
  return (await readAll(sources, readers, ownership, options, false)) as LoadedInventory;
}

/** How {@link loadInventory} builds the inventory. */
export interface LoadOptions extends Pick<BuildOptions, "compactMembers" | "shareValues"> {
  /**
   * Called as each read of the inputs starts (a second read when the first compacted too early: what the first
   * read's hook did is then to be discarded); its answer is called with each object of a modelled kind that is not
   * a workload as soon as it is in the inventory (core/inventory `InventoryBuildOptions.onObject`).
   */
  onObject?: () => (obj: KObject) => void;
}

/** One read of every source into one inventory; undefined when the builder asks for the inputs again. */
async function readAll(
  sources: InventorySources,
  readers: InventoryReaders,
  ownership: () => Promise<OwnershipConfig>,
  options: LoadOptions,
  compactAtLoad: boolean,
): Promise<LoadedInventory | undefined> {
  const maxObjects = sources.maxObjects ?? DEFAULT_MAX_OBJECTS;
  const onObject = options.onObject?.();
  const builder = inventoryBuilder({
    maxObjects,
    ...(options.compactMembers !== undefined ? { compactMembers: options.compactMembers } : {}),
    ...(options.shareValues !== undefined ? { shareValues: options.shareValues } : {}),
    compactAtLoad,
    ...(onObject ? { onObject } : {}),
  });
  const coverage: CoverageEntry[] = [];
  let files = 0;
  // One object budget across every input of the run.
  const budget = new Budget("inputs", { objects: maxObjects });
  /** The sink of one source: each object marked with its origin, into the inventory. */
  const sinkFor =
    (origin: NonNullable<RawObject["origin"]>): ObjectSink =>
    (o) => {
      o.origin = origin;
      builder.add(o);
    };
  /** One source's read: what it returned rather than handed to the sink, then its coverage. */
  const take = (r: RawRead, sink: ObjectSink): void => {
    for (const o of r.objects) sink(o);
    appendAll(coverage, r.coverage);
  };
  if (sources.manifests?.length) {
    const sink = sinkFor("manifest");
    const r = await readerFor(readers, "manifests")(sources.manifests, budget, sink);
    files += r.files;
    take(r, sink);
  }
  if (sources.snapshots?.length) {
    const sink = sinkFor("snapshot");
    const r = await readerFor(readers, "snapshots")(sources.snapshots, budget, sink);
    files += r.files;
    take(r, sink);
  }
  if (sources.cluster) take(await readerFor(readers, "cluster")(sources.cluster), sinkFor("cluster"));
  const built = builder.finish(await ownership());
  if ("reload" in built) return undefined;
  const { inventory } = built;
  appendAll(coverage, inventory.coverage);
  return { inventory, coverage, files };
}
