import { spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliContext } from "./context.js";
import { closedReaderEnds, lazyOutput } from "./stdio.js";

type Output = CliContext["stdout"];

/**
 * An error other than EPIPE from the stream is thrown while nobody else listens (as an "error" event without
 * listeners is), and goes to a caller that listens on `out` (writeChunks does) instead.
 */
function expectOtherErrorsThrownUnlessHeard(stream: Output, out: Output): void {
  const eio = () => Object.assign(new Error("write EIO"), { code: "EIO" });
  expect(() => stream.emit("error", eio())).toThrow("EIO");
  const seen: string[] = [];
  out.on("error", (e: NodeJS.ErrnoException) => seen.push(e.code ?? ""));
  expect(() => stream.emit("error", eio())).not.toThrow();
  expect(seen).toEqual(["EIO"]);
}

/** A collecting Writable in place of process.stdout (test double: the real one is this process's own stdout). */
function streamDouble(isTTY = false): {
  stream: Output;
  chunks: Buffer[];
  made: () => number;
  factory: () => Output;
} {
  const chunks: Buffer[] = [];
  let made = 0;
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    }),
    { isTTY },
  ) as Output;
  return {
    stream,
    chunks,
    made: () => made,
    factory: () => {
      made++;
      return stream;
    },
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "palisade-stdio-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A FIFO in the test's directory, both ends open and non-blocking (nobody reads unless the test does). */
function openFifo(): { r: number; w: number } {
  const fifo = join(dir, "fifo");
  expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
  const r = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  return { r, w: openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK) };
}

describe("lazyOutput", () => {
  it("writes strings and bytes to a file in order, answers isTTY false, and never makes the stream", async () => {
    const file = join(dir, "out");
    const fd = openSync(file, "w");
    const d = streamDouble();
    const out = lazyOutput(fd, d.factory);
    expect(out.isTTY).toBe(false);
    expect(out.destroyed).toBe(false);
    expect(out.write("héllo ")).toBe(true);
    expect(out.write(Buffer.from("wörld"))).toBe(true);
    expect(out.write("6869", "hex")).toBe(true);
    const called = await new Promise<boolean>((resolve) => out.write("\n", () => resolve(true)));
    closeSync(fd);
    expect(called).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("héllo wörldhi\n");
    expect(d.made()).toBe(0);
  });

  it("answers isTTY false for a pipe without the stream, and asks the stream for a character device", () => {
    const { r, w } = openFifo();
    try {
      const d = streamDouble(true);
      expect(lazyOutput(w, d.factory).isTTY).toBe(false);
      expect(d.made()).toBe(0);
    } finally {
      closeSync(w);
      closeSync(r);
    }
    // /dev/null is a character device but no terminal: the stream decides (here the double says true, to show
    // whose answer it is).
    const devNull = openSync("/dev/null", "w");
    try {
      const tty = streamDouble(true);
      expect(lazyOutput(devNull, tty.factory).isTTY).toBe(true);
      expect(tty.made()).toBe(1);
      const notTty = streamDouble(false);
      expect(lazyOutput(devNull, notTty.factory).isTTY).toBe(false);
    } finally {
      closeSync(devNull);
    }
  });

  it("hands the rest to the stream when a non-blocking pipe is full (EAGAIN), and every later write too", () => {
    const { r, w } = openFifo();
    try {
      const d = streamDouble();
      const out = lazyOutput(w, d.factory);
      // More than a pipe holds (64 KiB on Linux); nobody reads, so the write stops part way.
      const big = Buffer.alloc(1 << 20, "abcdefghij");
      out.write(big);
      out.write("after");
      expect(d.made()).toBe(1);
      const viaStream = Buffer.concat(d.chunks);
      const direct = big.length - (viaStream.length - "after".length);
      expect(direct).toBeGreaterThan(0);
      expect(direct).toBeLessThan(big.length);
      // The stream got exactly what the pipe did not take, then the later write.
      expect(viaStream.equals(Buffer.concat([big.subarray(direct), Buffer.from("after")]))).toBe(true);
      // And the pipe holds exactly the start.
      const got = Buffer.alloc(big.length);
      let n = 0;
      for (;;) {
        const k = readAvailable(r, got, n);
        if (k === 0) break;
        n += k;
      }
      expect(n).toBe(direct);
      expect(got.subarray(0, n).equals(big.subarray(0, direct))).toBe(true);
    } finally {
      closeSync(w);
      closeSync(r);
    }
  });

  it("ends quietly when the reader is gone (EPIPE): destroyed, later writes dropped, no stream, no error", async () => {
    const { r, w } = openFifo();
    closeSync(r);
    try {
      const d = streamDouble();
      const out = lazyOutput(w, d.factory);
      expect(out.destroyed).toBe(false);
      expect(() => out.write("lost reader\n")).not.toThrow();
      expect(out.destroyed).toBe(true);
      expect(await new Promise<boolean>((resolve) => out.write("dropped", () => resolve(true)))).toBe(true);
      expect(d.made()).toBe(0);
    } finally {
      closeSync(w);
    }
  });

  it("also ends quietly when the stream it handed over to reports EPIPE; other stream errors are thrown", () => {
    const { r, w } = openFifo();
    try {
      const d = streamDouble();
      const out = lazyOutput(w, d.factory);
      out.write(Buffer.alloc(1 << 20)); // more than the FIFO holds: the stream takes the rest
      expect(d.made()).toBe(1);
      d.stream.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      expect(out.destroyed).toBe(true);
      const before = d.chunks.length;
      out.write("dropped");
      expect(d.chunks.length).toBe(before);
      expectOtherErrorsThrownUnlessHeard(d.stream, out);
    } finally {
      closeSync(w);
      closeSync(r);
    }
  });

  it("a server's Node stream: EPIPE drops the output and is told once; other errors are thrown or the caller's", () => {
    const d = streamDouble();
    let told = 0;
    const out = closedReaderEnds(d.stream, { keepRunning: true, onGone: () => told++ });
    const epipe = () => Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    expect(() => d.stream.emit("error", epipe())).not.toThrow();
    expect(() => d.stream.emit("error", epipe())).not.toThrow();
    expect(told).toBe(1);
    expectOtherErrorsThrownUnlessHeard(d.stream, out);
  });

  it("gives everything else (events, end, destroyed once made) to the stream", async () => {
    const fd = openSync(join(dir, "out"), "w");
    try {
      const d = streamDouble();
      const out = lazyOutput(fd, d.factory);
      let finished = false;
      out.on("finish", () => {
        finished = true;
      });
      expect(d.made()).toBe(1);
      out.write("to the stream now");
      await new Promise<void>((resolve) => out.end(resolve));
      expect(finished).toBe(true);
      expect(Buffer.concat(d.chunks).toString()).toBe("to the stream now");
      expect(readFileSync(join(dir, "out"), "utf8")).toBe("");
      expect(out.destroyed).toBe(d.stream.destroyed);
    } finally {
      closeSync(fd);
    }
  });
});

/** One read of what a non-blocking FIFO holds; 0 when it is empty (EAGAIN) or at its end. */
function readAvailable(fd: number, buf: Buffer, at: number): number {
  try {
    return readSync(fd, buf, at, buf.length - at, null);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EAGAIN") return 0;
    throw e;
  }
}
