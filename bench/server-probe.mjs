/**
 * Loaded into the server by bench/server-api.ts (`node --import bench/server-probe.mjs palisade.js serve ...`): the
 * server's garbage-collector pauses (perf_hooks "gc" entries: each entry's duration is the time the main thread
 * stood still for that collection) and its event-loop delay (perf_hooks.monitorEventLoopDelay: how late a 5 ms timer
 * fired, i.e. how long the loop was held by anything synchronous). On SIGUSR2 it writes one line to stderr,
 * `server-probe {json}`, with the figures since the previous SIGUSR2, and starts counting again: the bench sends one
 * before and one after each load round. Nothing else of the server changes.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const empty = () => ({ count: 0, totalMs: 0, maxMs: 0 });
let gc = { minor: empty(), major: empty(), other: empty() };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = /** @type {{ kind?: number }} */ (e.detail)?.kind;
    const g =
      kind === constants.NODE_PERFORMANCE_GC_MAJOR
        ? gc.major
        : kind === constants.NODE_PERFORMANCE_GC_MINOR
          ? gc.minor
          : gc.other;
    g.count++;
    g.totalMs += e.duration;
    g.maxMs = Math.max(g.maxMs, e.duration);
  }
});
observer.observe({ entryTypes: ["gc"] });
process.on("SIGUSR2", () => {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const line = {
    gc,
    loopDelay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
  };
  process.stderr.write(`server-probe ${JSON.stringify(line)}\n`);
  gc = { minor: empty(), major: empty(), other: empty() };
  delay.reset();
});
