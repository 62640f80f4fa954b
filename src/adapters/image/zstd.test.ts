import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { rleFrame } from "../../../test/hostile/image-inputs.js";
import { Budget } from "../../core/budget/index.js";
import { MAX_ZSTD_WINDOW, zstdDecompress } from "./zstd.js";

async function decode(data: Buffer, budget?: Budget, chunk = 1000): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  const out: Buffer[] = [];
  for await (const c of zstdDecompress(Readable.from(parts), budget)) out.push(c);
  return Buffer.concat(out);
}

describe("zstdDecompress", () => {
  it("matches the zstd tool for levels 1-19, checksums, several frames and odd chunkings", async () => {
    const text = Buffer.from(Array.from({ length: 8000 }, (_, i) => `line ${i % 977} ${i * 7}\n`).join(""));
    const random = randomBytes(150_000);
    const input = Buffer.concat([text, random, text]);
    for (const args of [["-1"], ["-19"], ["-3", "--no-check"], ["-9", "--check"]]) {
      const z = execFileSync("zstd", [...args, "-c", "-q"], { input, maxBuffer: 64 << 20 });
      // Two frames back to back (as `cat a.zst b.zst` or zstd:chunked layers).
      const two = Buffer.concat([z, z]);
      for (const chunk of [7, 4096, 1 << 20]) {
        if (chunk === 7 && args[0] !== "-1") continue; // tiny chunks are slow; once is enough
        expect((await decode(two, undefined, chunk)).equals(Buffer.concat([input, input]))).toBe(true);
      }
    }
  });

  it("skips skippable frames", async () => {
    const z = execFileSync("zstd", ["-c", "-q"], { input: Buffer.from("hello") });
    const skip = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.from("abc")]);
    expect((await decode(Buffer.concat([skip, z]))).toString()).toBe("hello");
  });

  describe("pathological cases", () => {
    it("refuses windows over 8 MiB before fzstd allocates them", async () => {
      await expect(decode(rleFrame(24, 1, 1))).rejects.toMatchObject({
        code: "UNSUPPORTED",
        message: `zstd frame needs a 16777216-byte window; at most ${MAX_ZSTD_WINDOW} bytes are decoded (zstd --long and levels above 19 are not read)`,
      });
      // Single-segment frame whose window is its declared 2 GiB content size.
      const ss = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x80, 1, 0, 0, 0]);
      await expect(decode(ss)).rejects.toMatchObject({ code: "UNSUPPORTED" });
    });

    it("refuses blocks larger than the block maximum and reserved block types", async () => {
      await expect(decode(rleFrame(20, 1, 200_000))).rejects.toMatchObject({
        code: "INPUT",
        message: "corrupt zstd stream: block of 200000 bytes exceeds the 131072-byte block maximum",
      });
      const reserved = Buffer.concat([rleFrame(20, 1, 1).subarray(0, 6), Buffer.from([0x07, 0, 0, 0])]);
      await expect(decode(reserved)).rejects.toMatchObject({
        message: "corrupt zstd stream: reserved block type",
      });
    });

    it("a truncated stream is an error, not a short success", async () => {
      const z = execFileSync("zstd", ["-c", "-q"], { input: randomBytes(10_000) });
      await expect(decode(z.subarray(0, z.length - 100))).rejects.toMatchObject({ code: "INPUT" });
    });

    it("an RLE bomb is decoded lazily: the consumer stops it after what it read", async () => {
      // 8192 blocks of 128 KiB = 1 GiB from 32 KiB; read 4 MiB and stop.
      const bomb = rleFrame(23, 8192, 131072);
      let seen = 0;
      for await (const c of zstdDecompress(Readable.from([bomb]))) {
        seen += c.length;
        if (seen >= 4 << 20) break;
      }
      expect(seen).toBe(4 << 20);
      expect(process.memoryUsage().rss).toBeLessThan(1024 * 1024 * 1024);
    });

    it("charges every block at least min(window, 128 KiB): tiny blocks cannot dodge the budget", async () => {
      // 10,000 one-byte blocks with an 8 MiB window: 10 KB of output, but 10,000 window copies in fzstd.
      const budget = new Budget("image", { bytes: 64 * 1024 * 1024 });
      await expect(decode(rleFrame(23, 10_000, 1), budget)).rejects.toMatchObject({
        code: "LIMIT",
        dimension: "bytes",
      });
      // Full blocks are charged nothing extra here (their output is charged by the caller).
      const ok = new Budget("image", { bytes: 1 });
      expect((await decode(rleFrame(17, 100, 131072), ok)).length).toBe(100 * 131072);
    });
  });
});
