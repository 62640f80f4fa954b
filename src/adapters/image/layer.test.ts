import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { PackageTracker } from "../../core/catalog/index.js";
import { digestOf } from "./digest.js";
import { DEFAULT_BUDGETS, detectCompression, imageBudget, normaliseTarPath, processLayer } from "./layer.js";

type Member = {
  name: string;
  body?: string;
  type?: "file" | "symlink" | "link" | "directory";
  linkname?: string;
  mode?: number;
  size?: number;
};

async function makeTar(members: Member[]): Promise<Buffer> {
  const p = tar.pack();
  for (const m of members) {
    const header = {
      name: m.name,
      type: m.type ?? "file",
      mode: m.mode ?? 0o644,
      ...(m.linkname ? { linkname: m.linkname } : {}),
    };
    if ((m.type ?? "file") === "file") p.entry(header, m.body ?? "");
    else p.entry(header);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

const status = (...names: string[]) =>
  names.map((n) => `Package: ${n}\nStatus: install ok installed\nVersion: 1\n`).join("\n");

async function analyse(layers: Buffer[]) {
  const tracker = new PackageTracker();
  const coverage = [];
  for (const [i, l] of layers.entries()) {
    coverage.push(
      ...(await processLayer(Readable.from([l]), {
        subject: `layer ${i}`,
        tracker,
        budgets: { ...DEFAULT_BUDGETS, maxFileBytes: 1024 * 1024 },
      })),
    );
  }
  const r = tracker.finish(
    { kind: "image", name: "t" },
    layers.map((_, i) => ({ diffId: `sha256:${String(i).repeat(64)}` })),
  );
  return {
    names: r.sbom.packages.map((p) => `${p.name}:${p.layerIndex}`),
    coverage: [...coverage, ...r.coverage],
  };
}

describe("processLayer", () => {
  it("applies whiteouts across gzip layers", async () => {
    const l1 = gzipSync(
      await makeTar([
        { name: "var/lib/dpkg/status.d/a", body: status("a") },
        { name: "var/lib/dpkg/status.d/b", body: status("b") },
      ]),
    );
    const l2 = gzipSync(
      await makeTar([
        { name: "var/lib/dpkg/status.d/.wh.b" },
        { name: "var/lib/dpkg/status.d/c", body: status("c") },
      ]),
    );
    expect(await analyse([l1, l2])).toEqual({ names: ["a:0", "c:1"], coverage: [] });
  });

  it("verifies the uncompressed tar against the diff_id", async () => {
    const t = await makeTar([{ name: "var/lib/dpkg/status", body: status("a") }]);
    const tracker = new PackageTracker();
    const budgets = DEFAULT_BUDGETS;
    await expect(
      processLayer(Readable.from([gzipSync(t)]), { subject: "l", tracker, budgets, diffId: digestOf(t) }),
    ).resolves.toEqual([]);
    await expect(
      processLayer(Readable.from([gzipSync(t)]), {
        subject: "l",
        tracker,
        budgets,
        diffId: `sha256:${"0".repeat(64)}`,
      }),
    ).rejects.toMatchObject({ code: "INTEGRITY" });
  });

  it.skipIf(!existsSync("/usr/bin/zstd"))("reads zstd layers (compressed by the zstd CLI)", async () => {
    const t = await makeTar([{ name: "lib/apk/db/installed", body: "P:musl\nV:1.2.4-r2\n" }]);
    const z = execFileSync("/usr/bin/zstd", ["-q", "-c"], { input: t });
    expect(detectCompression(z)).toBe("zstd");
    expect(await analyse([z])).toEqual({ names: ["musl:0"], coverage: [] });
  });

  it("catalogs hardlinks to collected files and ignores symlinks", async () => {
    const l = await makeTar([
      { name: "var/lib/dpkg/status.d/a", body: status("a") },
      { name: "var/lib/dpkg/status.d/z", type: "link", linkname: "var/lib/dpkg/status.d/a" },
      { name: "var/lib/dpkg/status.d/s", type: "symlink", linkname: "/etc/passwd" },
    ]);
    expect(await analyse([l])).toEqual({ names: ["a:0"], coverage: [] });
  });

  describe("pathological cases", () => {
    it("truncated gzip: coverage entry, what was read before still counts", async () => {
      const full = gzipSync(
        await makeTar([
          { name: "var/lib/dpkg/status.d/a", body: status("a") },
          { name: "big", body: "x".repeat(200_000) },
        ]),
      );
      const r = await analyse([full.subarray(0, full.length - 200)]);
      expect(r.names).toEqual(["a:0"]);
      expect(r.coverage).toEqual([
        {
          reason: "parse-error",
          subject: "layer 0",
          message: "layer unreadable past this point: corrupt gzip stream: unexpected end of file",
        },
      ]);
    });
    it("corrupt gzip", async () => {
      const bad = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 0xaa)]);
      const r = await analyse([bad]);
      expect(r.names).toEqual([]);
      expect(r.coverage[0]?.reason).toBe("parse-error");
      expect(r.coverage[0]?.message).toMatch(/^layer unreadable past this point: corrupt gzip stream/);
    });
    it("corrupt zstd", async () => {
      const bad = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64, 0xaa)]);
      const r = await analyse([bad]);
      expect(r.names).toEqual([]);
      expect(r.coverage[0]?.message).toMatch(
        /^layer unreadable past this point: corrupt (or truncated )?zstd stream/,
      );
    });
    it("../ traversal is skipped, absolute paths are normalised, symlink escapes are reported", async () => {
      const l = await makeTar([
        { name: "../../etc/passwd", body: "root:x:0:0" },
        { name: "/var/lib/dpkg/status", body: status("abs") },
        { name: "usr/x/../../../../var/lib/dpkg/status.d/evil", body: status("evil") },
        { name: "etc/link", type: "symlink", linkname: "../../../../host" },
      ]);
      expect(await analyse([l])).toEqual({
        names: ["abs:0"],
        coverage: [
          {
            reason: "unsafe",
            subject: "layer 0",
            message:
              "4 unsafe tar member name(s) (normalised or skipped): ../../etc/passwd: path climbs above the root; /var/lib/dpkg/status: absolute path, read as /var/lib/dpkg/status; usr/x/../../../../var/lib/dpkg/status.d/evil: path climbs above the root; etc/link: symlink to ../../../../host escapes the root",
          },
        ],
      });
    });
    it("a 2 GiB size header on a truncated stream allocates nothing and ends in a coverage entry", async () => {
      const hdr = await makeTar([{ name: "var/lib/dpkg/status", body: "x" }]);
      const h = Buffer.from(hdr.subarray(0, 512));
      h.write("20000000000\0", 124, "latin1"); // 2 GiB in octal
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
      h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
      const r = await analyse([Buffer.concat([h, Buffer.alloc(4096)])]);
      expect(r.names).toEqual([]);
      expect(r.coverage.map((c) => c.reason)).toEqual(["limit", "parse-error"]);
      expect(r.coverage[0]).toEqual({
        reason: "limit",
        subject: "var/lib/dpkg/status",
        message: "2147483648 bytes exceeds the 1048576-byte file budget; not cataloged",
      });
    });
    it("a gzip bomb stops at the image budget with a LIMIT error, shared by the image's layers", async () => {
      const t = await makeTar([{ name: "zeros", body: "\0".repeat(3 * 1024 * 1024) }]);
      const budgets = { ...DEFAULT_BUDGETS, maxImageBytes: 5 * 1024 * 1024 };
      const image = imageBudget("img", budgets);
      const tracker = new PackageTracker();
      const layer = (i: number) => ({
        subject: `layer ${i}`,
        tracker,
        budgets,
        budget: image.child(`layer ${i}`),
      });
      // The first layer fits; the second pushes the image over 5 MiB.
      await expect(processLayer(Readable.from([gzipSync(t)]), layer(0))).resolves.toEqual([]);
      await expect(processLayer(Readable.from([gzipSync(t)]), layer(1))).rejects.toMatchObject({
        code: "LIMIT",
        scope: "img",
        dimension: "bytes",
        message: "img: over the bytes budget of 5 MiB",
      });
    });
    it("a zstd frame with a 2 GiB window is refused before it is allocated (coverage: unsupported)", async () => {
      const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (31 - 10) << 3, 0x03, 0x00, 0x00, 0x00]);
      const r = await analyse([frame]);
      expect(r.coverage).toEqual([
        {
          reason: "unsupported",
          subject: "layer 0",
          message:
            "layer unreadable past this point: zstd frame needs a 2147483648-byte window; at most 8388608 bytes are decoded (zstd --long and levels above 19 are not read)",
        },
      ]);
    });
    it("a pax size tar-stream would half-parse (12abc) stops the layer with a parse error", async () => {
      const { paxHeader, tarOf } = await import("../../../test/hostile/image-inputs.js");
      const member = tarOf([{ name: "var/lib/dpkg/status", body: status("a") }]);
      const r = await analyse([Buffer.concat([paxHeader({ size: "12abc" }), member])]);
      expect(r).toEqual({
        names: [],
        coverage: [
          {
            reason: "parse-error",
            subject: "layer 0",
            message:
              'layer unreadable past this point: tar member "var/lib/dpkg/status": pax size "12abc" is not a decimal byte count',
          },
        ],
      });
    });
    it("an uncompressed garbage blob is a parse error", async () => {
      const r = await analyse([Buffer.from("this is not a tar file at all".repeat(40))]);
      expect(r.coverage.map((c) => c.reason)).toEqual(["parse-error"]);
    });
    it("normaliseTarPath", () => {
      expect([
        normaliseTarPath("./a//b/./c"),
        normaliseTarPath("/a/../b"),
        normaliseTarPath("a/../../b"),
        normaliseTarPath("a\0b"),
      ]).toEqual([
        { ok: true, path: "a/b/c", normalised: false },
        { ok: true, path: "b", normalised: true },
        { ok: false, reason: "path climbs above the root" },
        { ok: false, reason: "NUL byte in name" },
      ]);
    });
  });
});
