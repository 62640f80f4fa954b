// The CLI's entry (bundled to dist/cli/chunks/bin.js, which dist/cli/palisade.js loads: launch.ts). Sizes the heap
// for large inputs (heap.ts), then runs the CLI; everything else is loaded on demand by the command that needs it.
// No top-level await: the bundle's chunks are loaded as scripts (launch.ts), which cannot await at the top.
import { statSync } from "node:fs";
import { isBatchCommand } from "./batch.js";
import { EXIT } from "./exit-codes.js";
import { gcFlags, heapToRelaunch, inputPaths, mayNeedLargerHeap, webhookGcFlags } from "./heap.js";

const argv = process.argv.slice(2);
let inputBytes = 0;
for (const p of inputPaths(argv)) {
  try {
    const st = statSync(p);
    if (st.isFile()) inputBytes += st.size;
  } catch {
    // Missing or unreadable: the CLI reports it.
  }
}
const nodeOptions = `${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`;
const webhookFlags = webhookGcFlags(argv, nodeOptions, process.env);
if (process.env.PALISADE_NO_RELAUNCH) runHere();
else if (webhookFlags.length > 0) void relaunch(undefined, webhookFlags);
else if (!mayNeedLargerHeap(inputBytes, nodeOptions)) runHere();
else {
  const flags = gcFlags(inputBytes, nodeOptions);
  void heapFor(inputBytes, nodeOptions, flags).then((heapMiB) =>
    heapMiB === undefined ? runHere() : relaunch(heapMiB, flags),
  );
}

function runHere(): void {
  void import("./program.js")
    .then(({ run }) => run(argv))
    .then((code) => {
      process.exitCode = code;
      if (isBatchCommand(argv)) setImmediate(exitIfIdle);
    });
}

/**
 * Exit a batch command (batch.ts) as soon as it is done when no handle or request keeps the event loop alive (a
 * socket, a timer, a Node stdout or stderr stream, which is listed once made, queued writes or not), checked once
 * pending callbacks and promise jobs have run. Node would otherwise free its heap and environment first,
 * unmapping its pages one by one: a few milliseconds of a one-file scan (docs/benchmarks.md, Start-up). `exit`
 * listeners still run, `beforeExit` listeners do not; the exit code is the command's. Node does not list some
 * work that keeps a process alive (a running Worker, thread-pool crypto or zlib jobs): a batch command must have
 * finished such work before it returns.
 */
function exitIfIdle(): void {
  if (process.getActiveResourcesInfo().length === 0) process.exit();
}

/**
 * The heap to relaunch with (heap.ts), from V8's limit and the machine's memory: loaded only for large inputs.
 * `flags` (heap.ts `gcFlags`) are set in this process too, for when it is not relaunched: V8 reads its heap growth
 * flag at every full collection.
 */
async function heapFor(
  inputBytes: number,
  nodeOptions: string,
  flags: readonly string[],
): Promise<number | undefined> {
  const [{ totalmem }, { getHeapStatistics, setFlagsFromString }] = await Promise.all([
    import("node:os"),
    import("node:v8"),
  ]);
  for (const f of flags) setFlagsFromString(f);
  // A cgroup limit (containers) counts when it is below the machine's memory.
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.() ?? 0;
  const machine = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
  return heapToRelaunch({
    inputBytes,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    machineBytes: machine,
    nodeOptions,
  });
}

/**
 * Run the same command in a child process with a larger heap (when `heapMiB` is given) and `flags`, passing
 * signals on and its exit code back.
 */
async function relaunch(heapMiB: number | undefined, flags: readonly string[]): Promise<void> {
  // Loaded only here: node:child_process pulls in node:net and more, a sizeable part of a small scan's start-up.
  const { spawn } = await import("node:child_process");
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      ...(heapMiB === undefined ? [] : [`--max-old-space-size=${heapMiB}`]),
      ...flags,
      ...process.argv.slice(1),
    ],
    {
      stdio: "inherit",
      env: { ...process.env, PALISADE_NO_RELAUNCH: "1" },
    },
  );
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? EXIT.INTERNAL;
  });
}
