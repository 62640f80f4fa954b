import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { paxHeader, tarHeader, tarOf } from "../../../test/hostile/image-inputs.js";
import { indexTar } from "./tar-index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-tar-index-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function index(bytes: Buffer) {
  const f = join(dir, `t${Math.random().toString(36).slice(2)}.tar`);
  writeFileSync(f, bytes);
  const fh = await open(f, "r");
  try {
    return await indexTar(fh, bytes.length);
  } finally {
    await fh.close();
  }
}

describe("indexTar", () => {
  it("a pax size record sets the member's size and data extent (POSIX pax 'size')", async () => {
    // The ustar field says 0; the pax record says 5: the 5 data bytes belong to the member, and the next
    // member starts after them.
    const body = Buffer.concat([Buffer.from("hello"), Buffer.alloc(507)]);
    const tar = Buffer.concat([
      paxHeader({ size: "5" }),
      tarHeader("a.txt", 0),
      body,
      tarOf([{ name: "b.txt", body: "bb" }]),
    ]);
    const m = await index(tar);
    expect([...m.values()].map((x) => [x.name, x.size, x.offset])).toEqual([
      ["a.txt", 5, 1536],
      ["b.txt", 2, 2560],
    ]);
  });

  describe("pathological cases", () => {
    for (const size of ["-5", "abc", "1e3", " 7", "99999999999999999999", ""])
      it(`pax size ${JSON.stringify(size)} is an INPUT error, not a RangeError`, async () => {
        const tar = Buffer.concat([paxHeader({ size }), tarOf([{ name: "manifest.json", body: "[]" }])]);
        await expect(index(tar)).rejects.toMatchObject({
          name: "PalisadeError",
          code: "INPUT",
          message: `tar member at offset 1024: pax size ${JSON.stringify(size)} is not a decimal byte count`,
        });
      });

    it("a negative base-256 size is an INPUT error", async () => {
      const h = tarHeader("a", 0);
      h.fill(0xff, 124, 136);
      h.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of h) sum += b;
      h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
      await expect(index(Buffer.concat([h, Buffer.alloc(1024)]))).rejects.toMatchObject({
        code: "INPUT",
        message: "tar header: negative base-256 number",
      });
    });
  });
});
