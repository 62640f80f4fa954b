import { fstatSync, writeSync } from "node:fs";
import type { CliContext } from "./context.js";

type Output = CliContext["stdout"];

/**
 * `process.stdout` or `process.stderr` as a command sees it, without making Node's stream until something needs
 * one. Node builds that stream on first access, and for a pipe or a file it loads net or the fs stream and the
 * whole stream stack with it: about a tenth of a one-file scan's instructions over `node -e 0` (callgrind,
 * docs/benchmarks.md). A command mostly writes strings, so:
 *
 * - `write` writes to the descriptor at once with `fs.writeSync`, as Node's own stream does for files. On a pipe
 *   whose reader is slow it waits (a blocking pipe) where Node's stream would queue the rest and return: fine for
 *   a batch command, which writes its result and exits, and why only those use this (batch.ts). When the
 *   descriptor cannot take everything now (`EAGAIN`: a non-blocking pipe) or fails, what is left goes to the
 *   stream, which queues it, reports the error or emits "drain" as it always did;
 * - `isTTY` asks fstat first: only a character device can be a terminal, so a pipe or a file answers `false`
 *   without the stream; a character device (a terminal, or /dev/null) asks the stream;
 * - anything else (events, `end`, `destroyed` once the stream exists...) is the stream's.
 *
 * Once the stream exists every write goes through it, so nothing written later can overtake what it queued.
 *
 * A reader that went away (EPIPE: `palisade scan … | head`) ends the output quietly, as for other command-line
 * tools: the output is `destroyed` from then on (writeChunks stops), later writes are dropped, and the command
 * finishes with its own exit code. Node's stream would throw the error as an unhandled "error" event.
 */
export function lazyOutput(fd: number, stream: () => Output): Output {
  let made: Output | undefined;
  /** The reader went away (EPIPE). */
  let gone = false;
  const real = (): Output => {
    if (made === undefined) {
      made = stream();
      whenReaderGone(made, () => {
        gone = true;
      });
    }
    return made;
  };
  let tty: boolean | undefined;
  const isTTY = (): boolean => {
    if (made !== undefined) return Boolean(made.isTTY);
    if (tty === undefined) {
      let charDevice = true;
      try {
        charDevice = fstatSync(fd).isCharacterDevice();
      } catch {
        // A closed or odd descriptor: the stream knows what to make of it.
      }
      tty = charDevice ? Boolean(real().isTTY) : false;
    }
    return tty;
  };
  const write = (...args: unknown[]): boolean => {
    const [chunk, encoding, callback] = args;
    const cb = (typeof encoding === "function" ? encoding : callback) as
      | ((e?: Error | null) => void)
      | undefined;
    if (gone) return written(cb);
    if (made !== undefined) return Reflect.apply(made.write, made, args) as boolean;
    const bytes =
      typeof chunk === "string"
        ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8")
        : chunk instanceof Uint8Array
          ? chunk
          : undefined;
    if (bytes === undefined) {
      const s = real();
      return Reflect.apply(s.write, s, args) as boolean;
    }
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EPIPE") {
        gone = true;
        return written(cb);
      }
      // EAGAIN, EBADF...: the stream writes the rest, or reports the error the way it always has.
      const rest = bytes.subarray(done);
      return typeof cb === "function" ? real().write(rest, cb) : real().write(rest);
    }
    return written(cb);
  };
  return new Proxy({} as Output, {
    get(_target, prop) {
      if (prop === "write") return write;
      if (prop === "isTTY") return isTTY();
      if (prop === "destroyed" && (gone || made === undefined)) return gone;
      const s = real();
      const v = Reflect.get(s, prop, s);
      return typeof v === "function" ? v.bind(s) : v;
    },
    set(_target, prop, value) {
      return Reflect.set(real(), prop, value);
    },
    has(_target, prop) {
      return prop in real();
    },
  });
}

/** A write done (or dropped) without the stream: its callback, if any, on the next tick, as a stream calls it. */
function written(cb: ((e?: Error | null) => void) | undefined): true {
  if (typeof cb === "function") process.nextTick(cb);
  return true;
}

const watched = new WeakSet<Output>();

/**
 * Node's own stdout or stderr stream, as a command that is not a batch one (batch.ts) writes to it. Node throws
 * a write's EPIPE (the reader went away: `palisade events ingest … | head`) as an unhandled "error" event, with a
 * stack trace. Here the process ends at once and quietly instead, with the exit code set so far (0 when none), as
 * other command-line tools end on SIGPIPE: a streaming command whose input never ends would otherwise run on with
 * no one reading. A server (`keepRunning`, batch.ts) keeps serving: what it writes there later is dropped, and
 * `onGone` says so. Any other error is the caller's when it listens; else thrown, as before.
 */
export function closedReaderEnds(out: Output, opts: { keepRunning: boolean; onGone?: () => void }): Output {
  // Once per stream: a process making several contexts (tests) would otherwise add a listener each time.
  if (watched.has(out)) return out;
  watched.add(out);
  whenReaderGone(out, () => {
    if (!opts.keepRunning) process.exit();
    opts.onGone?.();
  });
  return out;
}

/**
 * Call `onGone` once when a write to `out` fails with EPIPE (its reader went away). Any other error is the
 * caller's to handle when it listens (writeChunks does); else it is thrown, as an error event without listeners is.
 */
function whenReaderGone(out: Output, onGone: () => void): void {
  let gone = false;
  out.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") {
      if (out.listenerCount("error") === 1) throw e;
      return;
    }
    if (gone) return;
    gone = true;
    onGone();
  });
}
