#!/usr/bin/env node
// The `palisade` executable (bundled to dist/cli/palisade.js). Sizes the heap for large inputs (heap.ts), then
// runs the CLI; everything else is loaded on demand by the command that needs it.
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { EXIT } from "./exit-codes.js";
import { heapToRelaunch, inputPaths } from "./heap.js";

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
// A cgroup limit (containers) counts when it is below the machine's memory.
const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.() ?? 0;
const machine = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
const heapMiB =
  inputBytes > 0 && !process.env.PALISADE_NO_RELAUNCH
    ? heapToRelaunch({
        inputBytes,
        heapLimitBytes: getHeapStatistics().heap_size_limit,
        machineBytes: machine,
        nodeOptions: `${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`,
      })
    : undefined;
if (heapMiB === undefined) {
  const { run } = await import("./program.js");
  process.exitCode = await run(argv);
} else {
  const child = spawn(
    process.execPath,
    [...process.execArgv, `--max-old-space-size=${heapMiB}`, ...process.argv.slice(1)],
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
