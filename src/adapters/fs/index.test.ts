import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Budget } from "../../core/budget/index.js";
import { openRegularChunks, openRegularStream, readRegularFile, readRegularText } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-fs-"));

describe("readRegularFile", () => {
  it("reads a regular file and drops a UTF-8 BOM as text", async () => {
    const p = join(dir, "a.yaml");
    writeFileSync(p, "\ufeffkind: Pod\n");
    expect(await readRegularText(p, { maxBytes: 100 })).toBe("kind: Pod\n");
  });

  it("refuses a file over the cap with a LIMIT error naming it", async () => {
    const p = join(dir, "big");
    writeFileSync(p, Buffer.alloc(2048));
    await expect(readRegularFile(p, { maxBytes: 1024, what: "manifest" })).rejects.toMatchObject({
      code: "LIMIT",
      context: { file: p },
    });
  });

  it("refuses /dev/zero and a FIFO without blocking", async () => {
    await expect(readRegularFile("/dev/zero", { maxBytes: 1024 })).rejects.toMatchObject({ code: "UNSAFE" });
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    await expect(readRegularFile(fifo, { maxBytes: 1024 })).rejects.toThrow(/a FIFO/);
    await expect(openRegularStream(fifo, { maxBytes: 1024 })).rejects.toThrow(/a FIFO/);
    await expect(readRegularFile(dir, { maxBytes: 1024 })).rejects.toThrow(/a directory/);
  });

  it("charges a shared budget, so many small files cannot exceed the run's total", async () => {
    const p = join(dir, "small");
    writeFileSync(p, Buffer.alloc(600));
    const run = new Budget("input", { bytes: 1000 });
    await readRegularFile(p, { maxBytes: 1000, budget: run });
    await expect(readRegularFile(p, { maxBytes: 1000, budget: run })).rejects.toMatchObject({
      code: "LIMIT",
    });
  });

  it("streams a file and fails the stream past the cap", async () => {
    const p = join(dir, "s");
    writeFileSync(p, Buffer.alloc(5000, 1));
    let n = 0;
    for await (const c of await openRegularStream(p, { maxBytes: 5000 })) n += (c as Buffer).length;
    expect(n).toBe(5000);
    await expect(openRegularStream(p, { maxBytes: 4000 })).rejects.toMatchObject({ code: "LIMIT" });
  });
});

describe("openRegularChunks", () => {
  const openFds = () => readdirSync("/proc/self/fd").length;
  const all = async (chunks: AsyncIterable<Buffer>) => {
    const out: Buffer[] = [];
    for await (const c of chunks) out.push(c);
    return out;
  };

  it("gives the file's bytes in chunks of at most 64 KiB and closes the file at the end", async () => {
    const p = join(dir, "chunks");
    const data = Buffer.alloc(150_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    writeFileSync(p, data);
    const fds = openFds();
    const chunks = await all(await openRegularChunks(p, { maxBytes: data.length }));
    expect(chunks.map((c) => c.length)).toEqual([65536, 65536, 150_000 - 2 * 65536]);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(openFds()).toBe(fds);
  });

  it("refuses what is not a regular file, and a file over the cap, at open", async () => {
    const fds = openFds();
    await expect(openRegularChunks("/dev/zero", { maxBytes: 1024 })).rejects.toMatchObject({
      code: "UNSAFE",
    });
    const fifo = join(dir, "fifo-chunks");
    execFileSync("mkfifo", [fifo]);
    await expect(openRegularChunks(fifo, { maxBytes: 1024 })).rejects.toThrow(/a FIFO/);
    await expect(openRegularChunks(dir, { maxBytes: 1024 })).rejects.toThrow(/a directory/);
    await expect(openRegularChunks(join(dir, "absent"), { maxBytes: 1024 })).rejects.toMatchObject({
      code: "IO",
    });
    const p = join(dir, "big-chunks");
    writeFileSync(p, Buffer.alloc(2048));
    await expect(openRegularChunks(p, { maxBytes: 1024, what: "manifest" })).rejects.toMatchObject({
      code: "LIMIT",
      context: { file: p },
    });
    // Each refusal closed what it opened.
    expect(openFds()).toBe(fds);
  });

  it("ends at the new end of a file cut short while it is read, and closes it", async () => {
    const p = join(dir, "shrinking");
    writeFileSync(p, Buffer.alloc(200_000, 1));
    const fds = openFds();
    const chunks = await openRegularChunks(p, { maxBytes: 200_000 });
    const read: number[] = [];
    for await (const c of chunks) {
      read.push(c.length);
      if (read.length === 1) truncateSync(p, 70_000);
    }
    expect(read).toEqual([65536, 70_000 - 65536]);
    expect(openFds()).toBe(fds);
  });

  it("fails past the cap when the file grew after it was opened, and charges the budget", async () => {
    const p = join(dir, "growing");
    writeFileSync(p, Buffer.alloc(1000));
    const chunks = await openRegularChunks(p, { maxBytes: 1500 });
    appendFileSync(p, Buffer.alloc(1000));
    await expect(all(chunks)).rejects.toMatchObject({ code: "LIMIT" });
    const run = new Budget("input", { bytes: 1500 });
    writeFileSync(p, Buffer.alloc(1000));
    await all(await openRegularChunks(p, { maxBytes: 1500, budget: run }));
    await expect(all(await openRegularChunks(p, { maxBytes: 1500, budget: run }))).rejects.toMatchObject({
      code: "LIMIT",
    });
  });

  it("reports a failed read's error, not the error of closing the file after it", async () => {
    const p = join(dir, "close-fails");
    writeFileSync(p, Buffer.alloc(1000));
    const fdOf = (path: string): number | undefined => {
      for (const f of readdirSync("/proc/self/fd")) {
        try {
          if (readlinkSync(`/proc/self/fd/${f}`) === path) return Number(f);
        } catch {
          // The directory listing's own descriptor, gone by now.
        }
      }
      return undefined;
    };
    // Test double for the budget: it closes the file behind the reader's back (so that closing it again fails,
    // EBADF), then fails as an exhausted budget does.
    const budget = {
      charge(): void {
        const fd = fdOf(p);
        if (fd === undefined) throw new Error("the file is not open");
        closeSync(fd);
        throw new Error("over budget");
      },
    } as unknown as Budget;
    await expect(all(await openRegularChunks(p, { maxBytes: 1500, budget }))).rejects.toThrow("over budget");
    expect(fdOf(p)).toBeUndefined();
  });

  it("closes the file when the reader stops early", async () => {
    const p = join(dir, "early");
    writeFileSync(p, Buffer.alloc(200_000));
    const fds = openFds();
    const chunks = await openRegularChunks(p, { maxBytes: 200_000 });
    for await (const _ of chunks) break;
    expect(openFds()).toBe(fds);
    const unread = await openRegularChunks(p, { maxBytes: 200_000 });
    await unread.close();
    await unread.close();
    expect(openFds()).toBe(fds);
  });
  // Asynchronous reads in flight show as FSReqCallback resources; a small file's reads start none (a one-file scan
  // never starts libuv's thread pool), a file over 1 MiB is read asynchronously, leaving the event loop free.
  const pendingFsCalls = () => process.getActiveResourcesInfo().filter((r) => r === "FSReqCallback").length;

  it("reads a file of up to 1 MiB without asynchronous calls in 64 KiB chunks, and a larger one with them in 1 MiB chunks", async () => {
    for (const [name, size, async, lengths] of [
      ["sync-read", 1 << 20, false, Array(16).fill(65536)],
      ["async-read", (1 << 20) + 1, true, [...Array(4).fill(1 << 18), 1]],
    ] as const) {
      const p = join(dir, name);
      const data = Buffer.alloc(size);
      for (let i = 0; i < data.length; i++) data[i] = i % 253;
      writeFileSync(p, data);
      const fds = openFds();
      const chunks = await openRegularChunks(p, { maxBytes: size });
      const it = chunks[Symbol.asyncIterator]();
      const out: Buffer[] = [];
      let pending = 0;
      for (;;) {
        const next = it.next();
        pending = Math.max(pending, pendingFsCalls());
        const r = await next;
        if (r.done) break;
        out.push(r.value);
      }
      expect({ name, asyncCalls: pending > 0 }).toEqual({ name, asyncCalls: async });
      expect(Buffer.concat(out).equals(data)).toBe(true);
      expect(out.map((c) => c.length)).toEqual(lengths);
      expect(openFds()).toBe(fds);
    }
  });
});
