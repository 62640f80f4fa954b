import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Budget } from "../../core/budget/index.js";
import { openRegularStream, readRegularFile, readRegularText } from "./index.js";

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
