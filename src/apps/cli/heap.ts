/**
 * A 1M-object snapshot needs more than V8's default heap (about 4 GiB on 64-bit Node 20 whatever the machine
 * has), and running out of heap aborts the process (no error, no report). The launcher sizes the heap from the
 * inputs before the CLI starts: when the snapshots and manifests named on the command line could need more than
 * the default, the CLI is started again with a larger `--max-old-space-size` (bounded by the machine's memory).
 * Small inputs, the common case, are never relaunched, so start-up is unchanged.
 */
import { isWebhookCommand } from "./batch.js";

/** Heap a scan needs per byte of input, measured on bench/gen-snapshot.ts snapshots (peak RSS about 1.8x). */
const HEAP_PER_INPUT_BYTE = 2.5;
const MiB = 1024 * 1024;
/**
 * The smallest heap limit V8 sets on 64-bit Node 20 without heap flags: a quarter of the memory, but the old
 * generation alone never below 256 MiB (V8's `Heap::HeapSizeFromPhysicalMemory`); half that, to be safe.
 */
const HEAP_FLOOR_BYTES = 128 * MiB;

/**
 * How much V8 lets the old generation grow past what a full collection left, in percent, for large inputs. V8's
 * own factor goes up to 4x the live heap when collecting is cheap next to allocating, which a scan's garbage (parsed
 * objects, finding text) makes it: the peak RSS of a 100k-object scan was about 2.5x its live heap, and the heap
 * limit the launcher sets for the largest inputs is no bound (it is sized to never abort). 50 holds the heap to
 * about 1.5x its live size for some more collections (issue: scale; docs/benchmarks.md, Scale).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Inputs from this size on (a 300k-object snapshot is 1.4 GiB) get {@link LARGE_HEAP_GROWING_PERCENT} and
 * {@link LARGE_SEMI_SPACE_MIB}: there the inventory alone is hundreds of MiB to GiBs of live heap, and the growth
 * V8 allows on top of it is what sets the peak (issue 10: 1M objects under 1.5 GiB). Below it, the 100k scan's wall
 * time target keeps {@link HEAP_GROWING_PERCENT}.
 */
export const LARGE_INPUT_BYTES = 1024 * 1024 * 1024;
/** Heap growth past the live heap for the largest inputs: 1.2x (docs/benchmarks.md, Scale, with its CPU cost). */
export const LARGE_HEAP_GROWING_PERCENT = 20;
/**
 * The young generation's semi-space for the largest inputs, in MiB: 4 instead of V8's 16 on 64-bit (its three
 * semi-spaces were up to 48 MiB of RSS beside the old generation; a scan's short-lived objects are small).
 */
export const LARGE_SEMI_SPACE_MIB = 4;

/**
 * V8 flags for a run over inputs this large: a bounded heap growth ({@link HEAP_GROWING_PERCENT}) when the inputs
 * could outgrow the smallest default heap (where the launcher sizes the heap), unless the node options set it;
 * tighter, and a smaller young generation, from {@link LARGE_INPUT_BYTES} on, unless the node options set them.
 * Small inputs keep V8's defaults: they never collect much.
 */
export function gcFlags(inputBytes: number, nodeOptions: string): string[] {
  if (inputBytes * HEAP_PER_INPUT_BYTE <= HEAP_FLOOR_BYTES * 0.8) return [];
  const large = inputBytes >= LARGE_INPUT_BYTES;
  const flags: string[] = [];
  if (!/--heap-growing-percent/.test(nodeOptions))
    flags.push(`--heap-growing-percent=${large ? LARGE_HEAP_GROWING_PERCENT : HEAP_GROWING_PERCENT}`);
  if (large && !/semi-space-size/.test(nodeOptions))
    flags.push(`--max-semi-space-size=${LARGE_SEMI_SPACE_MIB}`);
  return flags;
}

/**
 * V8 flags for the admission webhook (`admission serve`): its garbage collector on the main thread alone
 * (`--single-threaded-gc`). The webhook runs on one core (the Deployment `admission install` writes limits it to
 * one CPU; issue 15's figure is on one core), where V8's parallel scavenger and concurrent marker threads do not
 * run beside the event loop but take turns with it, so a collection holds reviews longer than doing the same work
 * on the one thread. Measured quietly (docs/benchmarks.md, "Admission webhook": single-threaded GC), 1,000
 * reviews/s on one core: p99 and the longest hold went down, CPU per review did not go up. The flag cannot be set
 * once V8 runs (setFlagsFromString aborts at the next full collection) nor in NODE_OPTIONS (Node refuses it), so
 * the launcher relaunches with it. None when the node options already choose (`--single-threaded`,
 * `--[no-]single-threaded-gc`) or PALISADE_WEBHOOK_GC=parallel keeps V8's parallel collector (a webhook given
 * several cores).
 */
export function webhookGcFlags(
  argv: readonly string[],
  nodeOptions: string,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  if (!isWebhookCommand(argv)) return [];
  if (/--(no-)?single-threaded/.test(nodeOptions)) return [];
  const choice = env.PALISADE_WEBHOOK_GC;
  if (choice === "parallel") return [];
  return ["--single-threaded-gc"];
}

/**
 * Words of the command line that may name input files: every word that is not an option (`--snapshot F`,
 * `-f F`, positional paths), and the values of `--snapshot=F` / `--file=F`. Option values that are not files
 * (`-o json`) are dropped by the caller, which counts only existing regular files.
 */
export function inputPaths(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv.slice(1)) {
    if (a.startsWith("--snapshot=")) out.push(a.slice("--snapshot=".length));
    else if (a.startsWith("--file=")) out.push(a.slice("--file=".length));
    else if (!a.startsWith("-")) out.push(a);
  }
  return out;
}

/**
 * Whether inputs of this size could need a relaunch at all: false when they fit under the smallest heap limit V8
 * sets (unless the node options name a heap flag). The launcher then skips asking V8 for its heap statistics:
 * loading `node:v8` was a noticeable part of a one-file scan's start-up.
 */
export function mayNeedLargerHeap(inputBytes: number, nodeOptions: string): boolean {
  if (inputBytes <= 0) return false;
  if (/heap|space-size/.test(nodeOptions)) return true;
  return inputBytes * HEAP_PER_INPUT_BYTE > HEAP_FLOOR_BYTES * 0.8;
}

/**
 * The heap (MiB) to relaunch with, or undefined to run as is: when the inputs could need more than the current
 * limit, and the user has not chosen a heap size (`--max-old-space-size` in the node options).
 */
export function heapToRelaunch(opts: {
  inputBytes: number;
  heapLimitBytes: number;
  machineBytes: number;
  nodeOptions: string;
}): number | undefined {
  if (/--max-old-space-size/.test(opts.nodeOptions)) return undefined;
  const need = opts.inputBytes * HEAP_PER_INPUT_BYTE;
  if (need <= opts.heapLimitBytes * 0.8) return undefined;
  // Leave a quarter of the machine to the OS and other work; never less than the current limit.
  const cap = opts.machineBytes * 0.75;
  const target = Math.min(cap, Math.max(need, opts.heapLimitBytes));
  if (target <= opts.heapLimitBytes * 1.05) return undefined;
  return Math.floor(target / MiB);
}
