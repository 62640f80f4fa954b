/**
 * The sensor's local disk buffer: one file per batch in a directory the sensor owns, named
 * `<seq>-<count>.jsonl` (sequence zero-padded so names sort in append order; the count lets a restarted sensor
 * report what it holds without reading every file). A batch is written to a temporary name and renamed, so a
 * sensor killed mid-write leaves either the whole batch or nothing.
 *
 * Size cap: when a new batch would take the directory over `maxBytes`, the OLDEST batches are deleted until it
 * fits, and counted (`droppedDeltas`). Keeping the newest favours the current state of the cluster: an object
 * changed again after the outage began is sent in its newer form anyway. A batch larger than the cap on its own is
 * dropped (counted) rather than emptying the buffer for it.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ObjectDelta, parseDelta } from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { BufferedBatch, BufferStats, DeltaBuffer, FileQueue, FileQueueStats } from "./ports.js";

const NAME = /^(\d{16})-(\d+)\.jsonl$/;
const TMP_PREFIX = ".tmp-";

interface Entry {
  seq: number;
  count: number;
  bytes: number;
  file: string;
}

export interface DiskBufferOptions {
  dir: string;
  /** Most bytes held (default 256 MiB). */
  maxBytes?: number | undefined;
  /** Delete the batches an earlier run left instead of taking them over (other files are never touched). */
  fresh?: boolean | undefined;
  /** Told when stored batches are dropped, to log it. */
  onDrop?: ((dropped: { deltas: number; reason: "cap" | "unreadable"; file: string }) => void) | undefined;
}

export const DEFAULT_BUFFER_BYTES = 256 * 1024 * 1024;

/** Open (creating it) the buffer directory, taking over what a previous run left. */
export async function openDiskBuffer(o: DiskBufferOptions): Promise<DeltaBuffer> {
  const q = await openFileQueue<ObjectDelta>(o, {
    encode: (batch) => `${batch.map((d) => JSON.stringify(d)).join("\n")}\n`,
    decode: (text) =>
      text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => parseDelta(JSON.parse(l))),
  });
  return {
    append: q.append,
    oldest: async (): Promise<BufferedBatch | undefined> => {
      const b = await q.oldest();
      return b === undefined ? undefined : { seq: b.seq, deltas: b.items };
    },
    remove: q.remove,
    stats: (): BufferStats => {
      const s = q.stats();
      return {
        batches: s.batches,
        deltas: s.items,
        bytes: s.bytes,
        droppedDeltas: s.droppedItems,
        droppedBatches: s.droppedBatches,
      };
    },
  };
}

/** How a {@link openFileQueue} writes a batch to its file and reads it back (throwing on a damaged file). */
export interface FileQueueCodec<T> {
  encode(batch: readonly T[]): string;
  decode(text: string): T[];
}

/** The file-per-batch queue behind the sensor's buffers (see the top of this file). */
export async function openFileQueue<T>(
  o: DiskBufferOptions,
  codec: FileQueueCodec<T>,
): Promise<FileQueue<T>> {
  const maxBytes = o.maxBytes ?? DEFAULT_BUFFER_BYTES;
  try {
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new PalisadeError("IO", `buffer directory ${o.dir}: ${(e as Error).message}`, {
      cause: e,
      context: { file: o.dir },
    });
  }
  const entries: Entry[] = [];
  for (const name of await readdir(o.dir)) {
    if (name.startsWith(TMP_PREFIX)) {
      await rm(join(o.dir, name), { force: true });
      continue;
    }
    const m = NAME.exec(name);
    if (!m) continue;
    const file = join(o.dir, name);
    if (o.fresh) {
      await rm(file, { force: true });
      continue;
    }
    const s = await stat(file);
    if (!s.isFile()) continue;
    entries.push({ seq: Number(m[1]), count: Number(m[2]), bytes: s.size, file });
  }
  entries.sort((a, b) => a.seq - b.seq);
  let next = (entries.at(-1)?.seq ?? 0) + 1;
  let bytes = entries.reduce((n, e) => n + e.bytes, 0);
  let items = entries.reduce((n, e) => n + e.count, 0);
  let droppedItems = 0;
  let droppedBatches = 0;
  // One operation at a time, in call order.
  let chain: Promise<unknown> = Promise.resolve();
  const locked = <R>(fn: () => Promise<R>): Promise<R> => {
    const r = chain.then(fn);
    chain = r.catch(() => undefined);
    return r;
  };
  const forget = (e: Entry) => {
    entries.splice(entries.indexOf(e), 1);
    bytes -= e.bytes;
    items -= e.count;
  };
  const drop = async (e: Entry, reason: "cap" | "unreadable") => {
    forget(e);
    droppedItems += e.count;
    droppedBatches++;
    await rm(e.file, { force: true });
    o.onDrop?.({ deltas: e.count, reason, file: e.file });
  };

  return {
    append: (batch: readonly T[]) =>
      locked(async () => {
        if (batch.length === 0) return;
        const text = codec.encode(batch);
        const size = Buffer.byteLength(text);
        const seq = next++;
        const file = join(o.dir, `${String(seq).padStart(16, "0")}-${batch.length}.jsonl`);
        if (size > maxBytes) {
          droppedItems += batch.length;
          droppedBatches++;
          o.onDrop?.({ deltas: batch.length, reason: "cap", file });
          return;
        }
        while (bytes + size > maxBytes && entries[0] !== undefined) await drop(entries[0], "cap");
        const tmp = join(o.dir, `${TMP_PREFIX}${seq}`);
        await writeFile(tmp, text, { mode: 0o600 });
        await rename(tmp, file);
        entries.push({ seq, count: batch.length, bytes: size, file });
        bytes += size;
        items += batch.length;
      }),
    oldest: () =>
      locked(async (): Promise<{ seq: number; items: T[] } | undefined> => {
        for (;;) {
          const e = entries[0];
          if (e === undefined) return undefined;
          try {
            return { seq: e.seq, items: codec.decode(await readFile(e.file, "utf8")) };
          } catch {
            // A file damaged on disk (or edited by hand) cannot be sent: drop it, counted, and go on.
            await drop(e, "unreadable");
          }
        }
      }),
    remove: (seq: number) =>
      locked(async () => {
        const e = entries[0];
        if (e === undefined || e.seq !== seq) return;
        forget(e);
        await rm(e.file, { force: true });
      }),
    stats: (): FileQueueStats => ({
      batches: entries.length,
      items,
      bytes,
      droppedItems,
      droppedBatches,
    }),
  };
}
