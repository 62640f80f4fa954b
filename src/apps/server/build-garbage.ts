/**
 * The garbage of a large build, collected as soon as the build is done. Building the fleet view at 1M pods
 * allocates about 2 GiB of objects that live through the build (the inventory it is built from) and die at its
 * end. They were promoted to V8's old generation while they lived, and V8 grew the old generation's limit with
 * them, so no full collection comes after the build unless the server allocates another 2 GiB: the server went on
 * answering with 2.1 GiB of dead heap for as long as it ran (bench/server-api.ts fleet on SQLite: heap used
 * 2,083-2,096 MiB in every round). Young collections (scavenges) cost several times more over that heap (same
 * run, two servers on one file, one collected: 156 scavenges took 1,894 ms against 183 in 376 ms, and the server's
 * CPU per cached answer was 0.145 against 0.087 ms). On PostgreSQL, whose build reads a cursor page per turn of
 * the event loop, V8 usually found its own moment for that collection; SQLite's build is one synchronous read.
 *
 * One full collection right after the build costs one pause (at 1M pods 2,070 MB -> 92 MB in 153 ms, at the end
 * of a build of 25-40 s that the waiting requests wait for anyway; the server's RSS fell to 423 MiB) and gives the
 * heap back: it runs only when the heap grew by at least {@link BUILD_GARBAGE_BYTES} over the build, so small
 * builds (tests, the demo) never pay it.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Heap growth over a build from which its garbage is collected at once: 64 MiB. */
export const BUILD_GARBAGE_BYTES = 64 * 1024 * 1024;

/** What {@link collectingAfter} reads and calls: the real heap and collector, replaceable in tests. */
export interface HeapControl {
  heapUsed(): number;
  collect(): void;
}

let fullCollection: (() => void) | undefined;

/**
 * V8's full collection. `gc` is defined only in contexts created while V8's expose-gc flag is set: set it, create
 * a context to take the function from, and unset it again, so nothing else of the process sees a `gc` (the way
 * Jest's heap logging does it). A process started with --expose-gc already has it.
 */
function collectAll(): void {
  if (fullCollection === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === "function") fullCollection = exposed as () => void;
    else {
      setFlagsFromString("--expose-gc");
      try {
        fullCollection = runInNewContext("gc") as () => void;
      } finally {
        setFlagsFromString("--no-expose-gc");
      }
    }
  }
  fullCollection();
}

/** This process's heap and V8's full collection. */
export const V8_HEAP: HeapControl = {
  heapUsed: () => getHeapStatistics().used_heap_size,
  collect: collectAll,
};

/**
 * `build`'s result, its garbage collected first when the heap grew by `thresholdBytes` or more while it ran
 * (measured from its start to its end: what else ran meanwhile counts too). A failed build is not followed by a
 * collection.
 */
export async function collectingAfter<T>(
  build: () => Promise<T>,
  heap: HeapControl = V8_HEAP,
  thresholdBytes: number = BUILD_GARBAGE_BYTES,
): Promise<T> {
  const before = heap.heapUsed();
  const value = await build();
  if (heap.heapUsed() - before >= thresholdBytes) heap.collect();
  return value;
}
