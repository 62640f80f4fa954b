import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CliContext } from "./context.js";
import { createProgress } from "./progress.js";

function ctxWith(isTTY: boolean): { ctx: CliContext; written: () => string } {
  let out = "";
  const stderr = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    }),
    { isTTY },
  );
  const ctx = { stderr } as unknown as CliContext;
  return { ctx, written: () => out };
}

describe("progress indicator", () => {
  it("draws on a TTY and clears its line when done", () => {
    const { ctx, written } = ctxWith(true);
    const p = createProgress(ctx);
    p.update("loading inputs");
    p.done();
    const clearLine = "\r\u001b[2K";
    const text = written();
    expect(text.startsWith(`${clearLine}| loading inputs (`)).toBe(true);
    expect(text.endsWith(`s)${clearLine}`)).toBe(true);
    expect(text.slice(clearLine.length, -clearLine.length)).toMatch(/^\| loading inputs \(\d+\.\ds\)$/);
  });

  it("writes nothing when stderr is not a TTY (CI logs, pipes)", () => {
    const { ctx, written } = ctxWith(false);
    const p = createProgress(ctx);
    p.update("loading inputs");
    p.done();
    expect(written()).toBe("");
  });
});
