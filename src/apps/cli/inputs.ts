import type { Command } from "commander";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import type { Inventory, OwnershipConfig, RawObject } from "../../core/inventory/index.js";
import type { CliContext } from "./context.js";
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

export interface LoadedInventory {
  inventory: Inventory;
  /** Coverage from loading (parse errors, forbidden lists) merged with inventory coverage. */
  coverage: CoverageEntry[];
  /** Number of files read. */
  files: number;
}

/** Load every source named by the options (and positional paths) into one inventory. */
export async function loadInventory(
  opts: InputOptions,
  paths: string[],
  ctx: CliContext,
): Promise<LoadedInventory> {
  const files = [...paths, ...(opts.file ?? [])];
  const raws: RawObject[] = [];
  let fileCount = 0;
  const coverage: CoverageEntry[] = [];
  if (files.length === 0 && !opts.snapshot?.length && !opts.kubeconfig) {
    throw new PalisadeError(
      "USAGE",
      "no input: give manifest paths (-f PATH or '-'), --snapshot FILE or --kubeconfig",
    );
  }
  // Never `push(...xs)`: spreading a 1M-element array into a call overflows the stack.
  const append = <T>(into: T[], xs: readonly T[]): void => {
    for (let i = 0; i < xs.length; i++) into.push(xs[i] as T);
  };
  const manifests =
    files.length > 0 || opts.snapshot?.length ? await import("../../adapters/manifests/index.js") : undefined;
  const { Budget } = await import("../../core/budget/index.js");
  const limits = manifests ? inputLimits(opts, ctx, manifests) : undefined;
  // One object budget across every input of the run.
  const budget = new Budget("inputs", { objects: limits?.maxObjects ?? 5_000_000 });
  if (manifests && limits && files.length > 0) {
    const r = await manifests.loadManifestPaths(files, { stdin: ctx.stdin, cwd: ctx.cwd, limits, budget });
    fileCount += r.files;
    for (const o of r.objects) o.origin = "manifest";
    append(raws, r.objects);
    append(coverage, r.coverage);
  }
  if (manifests && limits && opts.snapshot?.length) {
    const r = await manifests.loadSnapshotFiles(opts.snapshot, { cwd: ctx.cwd, limits, budget });
    fileCount += r.files;
    for (const o of r.objects) o.origin = "snapshot";
    append(raws, r.objects);
    append(coverage, r.coverage);
  }
  if (opts.kubeconfig) {
    const { loadLiveCluster } = await import("../../adapters/kube/index.js");
    const live: Parameters<typeof loadLiveCluster>[0] = { kubeconfig: opts.kubeconfig };
    if (opts.context) live.context = opts.context;
    if (opts.namespace) live.namespace = opts.namespace;
    const liveLimits: NonNullable<typeof live.limits> = {};
    if (opts.requestTimeout)
      liveLimits.requestTimeoutMs = parseDuration("--request-timeout", opts.requestTimeout);
    if (opts.clusterTimeout) liveLimits.timeoutMs = parseDuration("--cluster-timeout", opts.clusterTimeout);
    if (opts.maxListPages) liveLimits.maxPages = parseCount("--max-list-pages", opts.maxListPages);
    live.limits = liveLimits;
    if (opts.chunkSize) live.pageSize = parseCount("--chunk-size", opts.chunkSize);
    const r = await loadLiveCluster(live);
    for (const o of r.objects) o.origin = "cluster";
    append(raws, r.objects);
    append(coverage, r.coverage);
  }
  // Imported here so that registering input options (every command module does, at startup) stays cheap.
  const { buildInventory, DEFAULT_OWNERSHIP } = await import("../../core/inventory/index.js");
  let ownership: OwnershipConfig = DEFAULT_OWNERSHIP;
  if (opts.owners) {
    const { loadOwnershipFile } = await import("../../adapters/manifests/index.js");
    ownership = await loadOwnershipFile(opts.owners, { cwd: ctx.cwd });
  }
  const inventory = buildInventory(raws, { ownership, maxObjects: limits?.maxObjects ?? 5_000_000 });
  append(coverage, inventory.coverage);
  return { inventory, coverage, files: fileCount };
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
