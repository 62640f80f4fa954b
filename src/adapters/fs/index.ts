import { closeSync, constants, fstatSync, openSync, promises, read, readSync, type Stats } from "node:fs";
import type { Readable, Transform, TransformCallback } from "node:stream";
import type { Budget } from "../../core/budget/index.js";
import { BudgetExceeded } from "../../core/budget/index.js";
import { PalisadeError } from "../../core/errors/index.js";

/**
 * Reading files named by users or found in inputs, with one policy: only regular files (a FIFO or `/dev/zero`
 * named on the command line would block or never end), opened without following a FIFO's open-blocking
 * (O_NONBLOCK, checked with fstat on the open descriptor, so a file swapped between stat and open cannot slip
 * through), and never more than a byte cap. stdin is the one non-regular input a user may give, and it is
 * read by its own path with the same cap.
 */
export interface ReadCappedOptions {
  /** Largest accepted size in bytes; a larger file is refused with a `LIMIT` error naming the file. */
  maxBytes: number;
  /** Optional budget charged with the bytes read (dimension `bytes`), e.g. a per-run input budget. */
  budget?: Budget;
  /** What the file is, for messages ("manifest", "kubeconfig", "OCI blob"). */
  what?: string;
}

/**
 * Open a regular file for random access (an archive read by offset), refusing FIFOs, devices, sockets and
 * directories (code `UNSAFE`) without blocking on a FIFO's open. The caller closes the handle.
 */
export async function openRegularFile(path: string, what = "file") {
  return openRegular(path, what);
}

async function openRegular(path: string, what: string) {
  // node:fs/promises through `promises` (a getter), read here and not at import: a one-file scan reads through
  // openRegularChunks alone and never loads that module.
  let fh: Awaited<ReturnType<typeof promises.open>>;
  try {
    fh = await promises.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw openFailure(e, path, what);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw notRegular(st, path, what);
  }
  return { fh, size: st.size };
}

function openFailure(e: unknown, path: string, what: string): PalisadeError {
  const code = (e as NodeJS.ErrnoException).code;
  return new PalisadeError("IO", `cannot open ${what}: ${code ?? (e as Error).message}`, {
    cause: e,
    context: { file: path },
  });
}

function notRegular(st: Stats, path: string, what: string): PalisadeError {
  const kind = st.isFIFO()
    ? "a FIFO"
    : st.isCharacterDevice() || st.isBlockDevice()
      ? "a device"
      : st.isSocket()
        ? "a socket"
        : st.isDirectory()
          ? "a directory"
          : "not a regular file";
  return new PalisadeError("UNSAFE", `${what} is ${kind}; only regular files are read (use - for stdin)`, {
    context: { file: path },
  });
}

/** Read a whole regular file into memory, refusing non-regular files and files over `maxBytes`. */
export async function readRegularFile(path: string, opts: ReadCappedOptions): Promise<Buffer> {
  const what = opts.what ?? "file";
  const { fh, size } = await openRegular(path, what);
  try {
    if (size > opts.maxBytes)
      throw new BudgetExceeded(`${what} ${path}`, "bytes", opts.maxBytes, { file: path });
    // Read to the cap + 1 even if stat said less: a file may grow while it is read.
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(Math.min(opts.maxBytes + 1, 1 << 20));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, opts.maxBytes + 1 - total), null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > opts.maxBytes)
        throw new BudgetExceeded(`${what} ${path}`, "bytes", opts.maxBytes, { file: path });
      opts.budget?.charge("bytes", bytesRead);
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

/** {@link readRegularFile} decoded as UTF-8 (a leading BOM is dropped, as YAML and JSON readers expect). */
export async function readRegularText(path: string, opts: ReadCappedOptions): Promise<string> {
  const text = (await readRegularFile(path, opts)).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * node:stream, loaded on first use: a one-file scan reads its file without a stream, and loading the stream stack
 * is a noticeable part of its start-up (docs/benchmarks.md, Start-up).
 */
const nodeStream = (): typeof import("node:stream") => process.getBuiltinModule("node:stream");

/** A pass-through that fails with a `LIMIT` error once more than `maxBytes` have flowed through it. */
export function byteCapStream(scope: string, maxBytes: number, budget?: Budget, file?: string): Transform {
  let total = 0;
  return new (nodeStream().Transform)({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      total += chunk.length;
      try {
        if (total > maxBytes) throw new BudgetExceeded(scope, "bytes", maxBytes, file ? { file } : {});
        budget?.charge("bytes", chunk.length);
      } catch (e) {
        cb(e as Error);
        return;
      }
      cb(null, chunk);
    },
  });
}

/** Bytes asked for by each read of {@link openRegularChunks} (what a file read stream reads at a time). */
const CHUNK_BYTES = 64 * 1024;

/**
 * Bytes asked for by each asynchronous read of {@link openRegularChunks} (files past {@link SYNC_READ_BYTES}): the
 * reader waits for each read's round trip through libuv's thread pool, and a 488 MiB snapshot in 64 KiB reads
 * (7,800 of them) left a 100k-object scan's main thread idle for a seventh of its profile (contended;
 * docs/benchmarks.md, Scale). Not 1 MiB: a chunk lives while its elements are parsed, long enough to be promoted
 * to the old generation with its bytes, and V8 counts those as old-generation memory: a 300k-object scan made 123
 * full collections with 1 MiB chunks, 80 with 64 KiB and 81 with 256 KiB, and at 1M objects 1 MiB chunks cost
 * about 30% more CPU (377 s against 287 s).
 */
const ASYNC_CHUNK_BYTES = 256 * 1024;

/**
 * Files up to this size (by fstat) are read by {@link openRegularChunks} with synchronous calls: a few
 * milliseconds of IO at most, against starting libuv's thread pool (four threads) and a round trip through it for
 * each call, which were most of a one-file scan's IO (callgrind, strace).
 */
const SYNC_READ_BYTES = 1 << 20;

/** A regular file's bytes in chunks, from {@link openRegularChunks}. */
export interface RegularChunks extends AsyncIterable<Buffer> {
  /** Close the file; reading to the end (or failing) closes it too. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * A regular file's bytes in chunks of up to 64 KiB (256 KiB past {@link SYNC_READ_BYTES}), read on demand, failing
 * (`LIMIT`) once more than `maxBytes` have been read: {@link openRegularStream}'s policy (regular files only,
 * refused at open without blocking on a FIFO; the cap; the budget) without a stream. The callback API of node:fs
 * does the IO: a scan of one small file then loads neither node:fs/promises (FileHandle) nor a file stream piped
 * through a Transform, which together cost more than the read itself (about 30 M instructions, callgrind). The open,
 * the fstat and the close are synchronous (O_NONBLOCK: none waits on a FIFO), and so are the reads of a file of up
 * to {@link SYNC_READ_BYTES}: such a file is read without the thread pool. Larger files are read asynchronously,
 * so a long read leaves the event loop free between chunks. Iterate it once.
 */
export async function openRegularChunks(path: string, opts: ReadCappedOptions): Promise<RegularChunks> {
  const what = opts.what ?? "file";
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw openFailure(e, path, what);
  }
  let closed: Promise<void> | undefined;
  let small = false;
  // close(2) of a regular file does not wait on the device: synchronous, as the open, whatever the file's size.
  const closeFd = (): Promise<void> =>
    (closed ??= new Promise<void>((res) => {
      closeSync(fd);
      res();
    }));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(st, path, what);
    if (st.size > opts.maxBytes)
      throw new BudgetExceeded(`${what} ${path}`, "bytes", opts.maxBytes, { file: path });
    small = st.size <= SYNC_READ_BYTES;
  } catch (e) {
    await closeQuietly(closeFd);
    throw e;
  }
  const readChunk = (buf: Buffer): Promise<number> =>
    small
      ? new Promise<number>((res) => res(readSync(fd, buf, 0, buf.length, null)))
      : new Promise<number>((res, rej) =>
          read(fd, buf, 0, buf.length, null, (e, n) => (e ? rej(e) : res(n))),
        );
  async function* chunks(): AsyncGenerator<Buffer> {
    let total = 0;
    let failed = false;
    try {
      for (;;) {
        // A new buffer each time: the reader may keep every chunk (a YAML file is read whole).
        const buf = Buffer.allocUnsafe(small ? CHUNK_BYTES : ASYNC_CHUNK_BYTES);
        const n = await readChunk(buf);
        if (n === 0) return;
        // Past the cap even if fstat said less: a file may grow while it is read.
        total += n;
        if (total > opts.maxBytes)
          throw new BudgetExceeded(`${what} ${path}`, "bytes", opts.maxBytes, { file: path });
        opts.budget?.charge("bytes", n);
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      // A failed read's error is the one to report, not what closing the file then says.
      if (failed) await closeQuietly(closeFd);
      else await closeFd();
    }
  }
  const it = chunks();
  return { [Symbol.asyncIterator]: () => it, close: closeFd };
}

/** Close after a failure: the failure is what the caller is told, not a close error after it. */
async function closeQuietly(close: () => Promise<void>): Promise<void> {
  try {
    await close();
  } catch {
    // Reported instead of the failure it follows, it would hide it.
  }
}

/**
 * A stream over a regular file that fails (`LIMIT`) once more than `maxBytes` have been read. For inputs too large
 * to hold whole (snapshots, layer blobs); it never blocks on a FIFO, which is refused at open.
 */
export async function openRegularStream(path: string, opts: ReadCappedOptions): Promise<Readable> {
  const what = opts.what ?? "file";
  const { fh, size } = await openRegular(path, what);
  if (size > opts.maxBytes) {
    await fh.close();
    throw new BudgetExceeded(`${what} ${path}`, "bytes", opts.maxBytes, { file: path });
  }
  const cap = byteCapStream(`${what} ${path}`, opts.maxBytes, opts.budget, path);
  const src = fh.createReadStream({ autoClose: true });
  src.on("error", (e) => cap.destroy(e));
  cap.on("close", () => {
    if (!src.destroyed) src.destroy();
  });
  return src.pipe(cap);
}

export { diskRunStore } from "./finding-runs.js";
export type { OverLongLine } from "./lines.js";
export { readLines } from "./lines.js";
