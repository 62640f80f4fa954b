import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { PalisadeError } from "../../core/errors/index.js";
import type {
  ClusterSource,
  InventoryReaders,
  InventorySources,
  LoadedInventory,
} from "../../services/inventory/index.js";
import type { CliContext } from "./context.js";
import { LARGE_INPUT_BYTES } from "./heap.js";
import { collect } from "./options.js";

/** Options shared by every command that reads Kubernetes objects. */
export interface InputOptions {
  file?: string[];
  snapshot?: string[];
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  owners?: string;
  requestTimeout?: string;
  clusterTimeout?: string;
  maxListPages?: string;
  chunkSize?: string;
  maxObjects?: string;
  maxFileBytes?: string;
  maxInputBytes?: string;
}

/** Add -f/--snapshot/--kubeconfig/--context/-n/--owners to a command. */
export function addInputOptions(cmd: Command, { positionalPaths = false } = {}): Command {
  if (!positionalPaths)
    cmd.option("-f, --file <path>", "manifest file or directory, '-' for stdin (repeatable)", collect);
  return cmd
    .option(
      "--snapshot <file>",
      "cluster snapshot: JSON of `kubectl get <kinds> -A -o json` (repeatable)",
      collect,
    )
    .option("--kubeconfig <path>", "read a live cluster through this kubeconfig")
    .option("--context <name>", "kubeconfig context")
    .option("-n, --namespace <ns>", "limit a live read to one namespace")
    .option("--request-timeout <duration>", "live read: time for one API request (30s, 2m; default 30s)")
    .option("--cluster-timeout <duration>", "live read: time for the whole read (default 10m)")
    .option("--max-list-pages <n>", "live read: pages listed per kind (default 10000)")
    .option("--chunk-size <n>", "live read: objects per page (list limit, default 500)")
    .option("--owners <file>", "ownership file mapping namespaces and image repositories to teams")
    .option(
      "--max-objects <n>",
      "objects read from all inputs; more makes the run incomplete (default 5000000, env PALISADE_MAX_OBJECTS)",
    )
    .option(
      "--max-file-bytes <size>",
      "largest YAML file read whole (default 64MiB, env PALISADE_MAX_FILE_BYTES; JSON is streamed)",
    )
    .option(
      "--max-input-bytes <size>",
      "largest input streamed: snapshot, JSON List (default 64GiB, env PALISADE_MAX_INPUT_BYTES)",
    );
}

export type { LoadedInventory } from "../../services/inventory/index.js";

/** Load every source named by the options (and positional paths) into one inventory. */
export async function loadInventory(
  opts: InputOptions,
  paths: string[],
  ctx: CliContext,
): Promise<LoadedInventory> {
  const { sources, readers } = await inventoryInputs(opts, paths, ctx);
  const { loadInventory: load } = await import("../../services/inventory/index.js");
  return load(sources, readers);
}

/**
 * The sources the flags name, before any bound is parsed (the live read's details are added by
 * {@link inventoryInputs}): enough to ask the inventory service whether there is any source at all.
 */
export function inventorySources(opts: InputOptions, paths: readonly string[]): InventorySources {
  const sources: InventorySources = {
    manifests: [...paths, ...(opts.file ?? [])],
    snapshots: opts.snapshot ?? [],
    owners: opts.owners,
  };
  if (opts.kubeconfig) sources.cluster = { kubeconfig: opts.kubeconfig };
  return sources;
}

/**
 * Bytes of the files the sources name, or undefined when an input's size is not known before it is read: a
 * directory, standard input (`-`), a path that is no regular file, a live cluster.
 */
export function inputFileBytes(sources: InventorySources, cwd: string): number | undefined {
  if (sources.cluster) return undefined;
  let bytes = 0;
  for (const p of [...(sources.manifests ?? []), ...(sources.snapshots ?? [])]) {
    if (p === "-") return undefined;
    try {
      const st = statSync(resolve(cwd, p));
      if (!st.isFile()) return undefined;
      bytes += st.size;
    } catch {
      // Missing or unreadable: the load reports it.
      return undefined;
    }
  }
  return bytes;
}

/**
 * Whether a run over these sources has its time, not its memory, as its target: inputs known to be under
 * {@link LARGE_INPUT_BYTES} (from there on memory is the target, and also when the inputs' size is not known
 * beforehand: directories, standard input, a live cluster).
 */
export function timeIsTheTarget(sources: InventorySources, cwd: string): boolean {
  const bytes = inputFileBytes(sources, cwd);
  return bytes !== undefined && bytes < LARGE_INPUT_BYTES;
}

/**
 * The inventory service's request from the flags (sources; a malformed flag is a usage error here, before
 * anything is read) and its readers: the adapters, each loaded when first used.
 */
export async function inventoryInputs(
  opts: InputOptions,
  paths: string[],
  ctx: CliContext,
): Promise<{ sources: InventorySources; readers: InventoryReaders }> {
  const { requireInventorySource } = await import("../../services/inventory/index.js");
  const sources = inventorySources(opts, paths);
  const manifestPaths = sources.manifests ?? [];
  // Checked before any flag is parsed: a run without input is that usage error, whatever else it says.
  requireInventorySource(sources);
  const manifests =
    manifestPaths.length > 0 || opts.snapshot?.length
      ? await import("../../adapters/manifests/index.js")
      : undefined;
  const limits = manifests ? inputLimits(opts, ctx, manifests) : undefined;
  if (limits) sources.maxObjects = limits.maxObjects;
  if (opts.kubeconfig) sources.cluster = clusterSource(opts, opts.kubeconfig);
  const readers: InventoryReaders = {
    // Files read again give the same objects (standard input is never read twice: the service checks for "-").
    rereadable: true,
    manifests: async (files, budget, onObject) =>
      (await import("../../adapters/manifests/index.js")).loadManifestPaths([...files], {
        // Only `-` reads stdin; touching ctx.stdin otherwise would set up process.stdin for nothing.
        ...(files.includes("-") ? { stdin: ctx.stdin } : {}),
        cwd: ctx.cwd,
        ...(limits ? { limits } : {}),
        ...(onObject ? { onObject } : {}),
        budget,
      }),
    snapshots: async (files, budget, onObject) =>
      (await import("../../adapters/manifests/index.js")).loadSnapshotFiles([...files], {
        cwd: ctx.cwd,
        ...(limits ? { limits } : {}),
        ...(onObject ? { onObject } : {}),
        budget,
      }),
    cluster: async (source) => {
      const { loadLiveCluster } = await import("../../adapters/kube/index.js");
      const live: Parameters<typeof loadLiveCluster>[0] = { kubeconfig: source.kubeconfig };
      if (source.context !== undefined) live.context = source.context;
      if (source.namespace !== undefined) live.namespace = source.namespace;
      if (source.limits !== undefined) live.limits = source.limits;
      if (source.pageSize !== undefined) live.pageSize = source.pageSize;
      if (source.nodeDetails) live.nodeDetails = true;
      return loadLiveCluster(live);
    },
    ownership: async (file) =>
      (await import("../../adapters/manifests/index.js")).loadOwnershipFile(file, { cwd: ctx.cwd }),
  };
  return { sources, readers };
}

/** The live read the flags name; a malformed bound is a usage error before any request. */
function clusterSource(opts: InputOptions, kubeconfig: string): ClusterSource {
  const source: ClusterSource = { kubeconfig };
  if (opts.context) source.context = opts.context;
  if (opts.namespace) source.namespace = opts.namespace;
  const limits: NonNullable<ClusterSource["limits"]> = {};
  if (opts.requestTimeout) limits.requestTimeoutMs = parseDuration("--request-timeout", opts.requestTimeout);
  if (opts.clusterTimeout) limits.timeoutMs = parseDuration("--cluster-timeout", opts.clusterTimeout);
  if (opts.maxListPages) limits.maxPages = parseCount("--max-list-pages", opts.maxListPages);
  source.limits = limits;
  if (opts.chunkSize) source.pageSize = parseCount("--chunk-size", opts.chunkSize);
  return source;
}

/** Input limits: defaults, then `PALISADE_*` variables, then flags (a flag wins). */
function inputLimits(
  opts: InputOptions,
  ctx: CliContext,
  m: typeof import("../../adapters/manifests/index.js"),
): import("../../adapters/manifests/index.js").LoadLimits {
  const l = { ...m.DEFAULT_LIMITS, ...m.limitsFromEnv(ctx.env) };
  if (opts.maxObjects !== undefined) {
    l.maxObjects = m.parseLimit(opts.maxObjects, "--max-objects");
    l.maxDocuments = Math.max(l.maxDocuments, l.maxObjects);
  }
  if (opts.maxFileBytes !== undefined) l.maxFileBytes = m.parseLimit(opts.maxFileBytes, "--max-file-bytes");
  if (opts.maxInputBytes !== undefined)
    l.maxInputBytes = m.parseLimit(opts.maxInputBytes, "--max-input-bytes");
  return l;
}

/** `30s`, `2m`, `1h`, `500ms`, or plain seconds (as kubectl's --request-timeout), in milliseconds. */
function parseDuration(flag: string, v: string): number {
  const m = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|m|h)?$/.exec(v.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m?.[2] ?? "s"] ?? 1000;
  const ms = m ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!(ms > 0)) throw new PalisadeError("USAGE", `${flag}: "${v}" is not a duration (e.g. 30s, 2m, 1h)`);
  return ms;
}

function parseCount(flag: string, v: string): number {
  const n = /^\d{1,9}$/.test(v.trim()) ? Number(v) : 0;
  if (n < 1) throw new PalisadeError("USAGE", `${flag}: "${v}" is not a positive whole number`);
  return n;
}
