import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tarOf, writeOciLayout } from "../../../test/hostile/image-inputs.js";
import { DockerArchiveSource } from "./docker-archive.js";
import { OciLayoutSource } from "./oci-layout.js";

/** Replace a file by a FIFO with no writer: any blocking read of it would hang the test (and the CLI). */
function fifo(path: string): void {
  rmSync(path);
  execFileSync("mkfifo", [path]);
}

const dir = mkdtempSync(join(tmpdir(), "palisade-oci-layout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("OciLayoutSource", () => {
  describe("pathological cases", () => {
    it("a FIFO manifest blob is refused (UNSAFE), not read forever", async () => {
      const d = join(dir, "fifo-manifest");
      writeOciLayout(d, [{ blob: tarOf([]), diffId: `sha256:${"0".repeat(64)}` }]);
      const index = JSON.parse(readFileSync(join(d, "index.json"), "utf8")) as {
        manifests: { digest: string }[];
      };
      const hex = index.manifests[0]?.digest.slice(7) ?? "";
      fifo(join(d, "blobs", "sha256", hex));
      await expect(new OciLayoutSource(d, undefined).resolve()).rejects.toMatchObject({
        code: "UNSAFE",
        message: `manifest sha256:${hex} blob is a FIFO; only regular files are read (use - for stdin)`,
      });
    });

    it("a FIFO layer blob and a FIFO index.json are refused (UNSAFE)", async () => {
      const d = join(dir, "fifo-layer");
      const layer = tarOf([{ name: "a", body: "a" }]);
      writeOciLayout(d, [{ blob: layer, diffId: `sha256:${"0".repeat(64)}` }]);
      const src = new OciLayoutSource(d, undefined);
      const img = await src.resolve();
      const l = img.layers[0];
      if (!l?.blob.digest) throw new Error("no layer");
      fifo(join(d, "blobs", "sha256", l.blob.digest.slice(7)));
      await expect(src.openLayer(l)).rejects.toMatchObject({ code: "UNSAFE" });
      fifo(join(d, "index.json"));
      await expect(new OciLayoutSource(d, undefined).resolve()).rejects.toMatchObject({
        code: "UNSAFE",
        message: "index.json is a FIFO; only regular files are read (use - for stdin)",
      });
    });

    it("a FIFO named as a docker archive is refused (UNSAFE)", async () => {
      const f = join(dir, "archive.tar");
      writeFileSync(f, "");
      fifo(f);
      await expect(new DockerArchiveSource(f).resolve()).rejects.toMatchObject({
        code: "UNSAFE",
        message: "docker archive is a FIFO; only regular files are read (use - for stdin)",
      });
    });

    it("a directory without oci-layout is an INPUT error", async () => {
      const d = join(dir, "empty");
      mkdirSync(d);
      await expect(new OciLayoutSource(d, undefined).resolve()).rejects.toMatchObject({
        code: "INPUT",
        message: `${d} is not an OCI image layout (no oci-layout file)`,
      });
    });

    it("an oci-layout file without index.json is an INPUT error, not an unexpected ENOENT", async () => {
      const d = join(dir, "no-index");
      mkdirSync(d);
      writeFileSync(join(d, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
      await expect(new OciLayoutSource(d, undefined).resolve()).rejects.toMatchObject({
        name: "PalisadeError",
        code: "INPUT",
        message: `${d} is not an OCI image layout (no index.json)`,
        context: { file: join(d, "index.json") },
      });
    });
  });
});
