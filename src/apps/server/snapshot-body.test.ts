import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { INFLATE_CHUNK_BYTES, snapshotBody } from "./snapshot-body.js";

const limits = { maxBodyBytes: 1 << 30, maxSnapshotBytes: 1 << 30 };

async function read(body: ReturnType<typeof snapshotBody>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of body.chunks) out.push(c);
  return out;
}

describe("snapshotBody", () => {
  it("inflates gzip in large chunks, the bytes unchanged", async () => {
    const text = Buffer.from(JSON.stringify({ items: Array.from({ length: 100_000 }, (_, i) => ({ i })) }));
    const sent = gzipSync(text);
    const chunks = await read(
      snapshotBody(Readable.from([sent.subarray(0, 1000), sent.subarray(1000)]), { gzip: true, ...limits }),
    );
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
    // A chunk ends where the output buffer is full or the input sent so far is used up (two pieces here); with
    // zlib's default of 16 KiB this would be 40 chunks.
    expect(text.length).toBeGreaterThan(40 * 16 * 1024);
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(text.length / INFLATE_CHUNK_BYTES) + 2);
  });

  it("refuses a body inflated past its cap, and corrupt gzip, typed", async () => {
    const big = gzipSync(Buffer.alloc(1 << 20, 32));
    const capped = snapshotBody(Readable.from([big]), {
      gzip: true,
      maxBodyBytes: 1 << 30,
      maxSnapshotBytes: 1000,
    });
    await expect(read(capped)).rejects.toMatchObject({ code: "LIMIT" });
    expect(capped.failure()?.code).toBe("LIMIT");
    const corrupt = snapshotBody(Readable.from([Buffer.from("not gzip at all")]), { gzip: true, ...limits });
    await expect(read(corrupt)).rejects.toMatchObject({ code: "INPUT" });
  });
});
