import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OciLayoutSource } from "./oci-layout.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-oci-layout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("OciLayoutSource", () => {
  describe("pathological cases", () => {
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
