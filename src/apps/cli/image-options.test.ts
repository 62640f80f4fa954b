import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CliContext } from "./context.js";
import { imageSpec, parseByteSize } from "./image-options.js";

const cwd = mkdtempSync(join(tmpdir(), "palisade-image-spec-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
mkdirSync(join(cwd, "layout"));
writeFileSync(join(cwd, "layout", "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
mkdirSync(join(cwd, "rootfs"));
writeFileSync(join(cwd, "image.tar"), "");
const ctx = { cwd } as CliContext;

describe("imageSpec", () => {
  it("keeps a transport, and names what an existing path is", () => {
    for (const directories of [true, false]) {
      const spec = (t: string) => imageSpec(t, ctx, { directories });
      expect(spec("oci:x")).toBe("oci:x");
      expect(spec("docker://r/a:1")).toBe("docker://r/a:1");
      expect(spec("registry.example/a:1")).toBe("registry.example/a:1");
      expect(spec("layout")).toBe(`oci:${join(cwd, "layout")}`);
      expect(spec("image.tar")).toBe(`docker-archive:${join(cwd, "image.tar")}`);
    }
  });

  it("reads another directory as a root filesystem or source tree only where the command scans one", () => {
    expect(imageSpec("rootfs", ctx, { directories: true })).toBe(`dir:${join(cwd, "rootfs")}`);
    expect(imageSpec("rootfs", ctx, { directories: false })).toBe("rootfs");
  });
});

describe("parseByteSize", () => {
  it("reads binary units and refuses anything else as a usage error", () => {
    expect([parseByteSize("4GiB", "x"), parseByteSize("512m", "x"), parseByteSize("10", "x")]).toEqual([
      4 * 1024 ** 3,
      512 * 1024 ** 2,
      10,
    ]);
    expect(() => parseByteSize("0", "--max-image-bytes")).toThrow(
      "--max-image-bytes 0: expected a positive size like 4GiB or 512MiB",
    );
  });
});
