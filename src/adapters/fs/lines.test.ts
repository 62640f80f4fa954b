import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readLines } from "./index.js";

const collect = async (chunks: string[], max: number) => {
  const out: unknown[] = [];
  for await (const l of readLines(Readable.from(chunks.map((c) => Buffer.from(c))), max)) out.push(l);
  return out;
};

describe("readLines", () => {
  it("splits across chunks, strips CR, yields a last line without newline", async () => {
    expect(await collect(["ab", "c\r\nde", "f\n\ngh"], 100)).toEqual(["abc", "def", "", "gh"]);
  });

  it("skips an over-long line to its end without holding it, then carries on", async () => {
    expect(await collect(["0123", "456789", "012\nok\n", "x".repeat(20)], 8)).toEqual([
      { overLong: true, bytes: 13 },
      "ok",
      { overLong: true, bytes: 20 },
    ]);
  });
});
