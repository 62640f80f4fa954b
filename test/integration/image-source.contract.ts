import { createHash } from "node:crypto";
import { createGunzip } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  analyzeSource,
  detectCompression,
  type ImageSource,
  type ImageTransport,
} from "../../src/adapters/image/index.js";
import { EXPECTED_PACKAGES } from "./image-fixture.js";

/**
 * The one contract every ImageSource passes. `open` returns a fresh source for the shared test image;
 * `layered` is false for plain directories, which have no layers: the layer cases are not registered for them
 * (not skipped: nothing is missing, so a run lists no skip for them and CI's "no skips" rule holds). `transport`
 * is the registered source (IMAGE_SOURCES) the case stands for.
 */
export function describeImageSourceContract(
  name: string,
  open: () => Promise<ImageSource>,
  opts: { transport: ImageTransport; layered: boolean; diffIds: () => string[] },
) {
  describe(`ImageSource contract: ${name}`, () => {
    const itLayered = (title: string, fn: () => Promise<void>): void => {
      if (opts.layered) it(title, fn);
    };
    it(`is the ${opts.transport} source`, async () => {
      const s = await open();
      try {
        expect(s.transport).toBe(opts.transport);
      } finally {
        await s.close();
      }
    });

    itLayered("resolves three layers whose diff_ids match the image config", async () => {
      const s = await open();
      try {
        const img = await s.resolve();
        expect(img?.layers.map((l) => l.diffId)).toEqual(opts.diffIds());
        expect(img?.platform).toBe("linux/amd64");
        expect(img?.config.labels).toEqual({ "org.example.team": "payments" });
      } finally {
        await s.close();
      }
    });

    itLayered("streams each layer; its uncompressed bytes hash to the diff_id", async () => {
      const s = await open();
      try {
        const img = await s.resolve();
        for (const layer of img?.layers ?? []) {
          const stream = await s.openLayer(layer);
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          const raw = Buffer.concat(chunks);
          const tarBytes =
            detectCompression(raw) === "gzip"
              ? await new Promise<Buffer>((resolve, reject) => {
                  const g = createGunzip();
                  const out: Buffer[] = [];
                  g.on("data", (d: Buffer) => out.push(d))
                    .on("end", () => resolve(Buffer.concat(out)))
                    .on("error", reject);
                  g.end(raw);
                })
              : raw;
          expect(`sha256:${createHash("sha256").update(tarBytes).digest("hex")}`).toBe(layer.diffId);
        }
      } finally {
        await s.close();
      }
    });

    it("analyses to the same packages (layer of origin where the source has layers)", async () => {
      const s = await open();
      try {
        const { sbom, coverage } = await analyzeSource(s);
        expect(coverage).toEqual([]);
        expect(sbom.os).toEqual({
          id: "debian",
          versionId: "12",
          codename: "bookworm",
          prettyName: "Debian GNU/Linux 12 (bookworm)",
        });
        const expected = opts.layered
          ? EXPECTED_PACKAGES
          : EXPECTED_PACKAGES.map((p) => p.replace(/ \d+$/, " -"));
        expect(sbom.packages.map((p) => `${p.type} ${p.name} ${p.version} ${p.layerIndex ?? "-"}`)).toEqual(
          expected,
        );
        const libssl = sbom.packages.find((p) => p.name === "libssl3");
        expect(libssl?.purl).toBe("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
        expect(libssl?.sourceName).toBe("openssl");
        if (opts.layered)
          expect(sbom.packages.find((p) => p.name === "curl")?.layerDiffId).toBe(opts.diffIds()[1]);
      } finally {
        await s.close();
      }
    });

    it("close() can be called twice", async () => {
      const s = await open();
      await s.resolve();
      await s.close();
      await expect(s.close()).resolves.toBeUndefined();
    });
  });
}
