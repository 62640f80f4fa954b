import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadLiveCluster } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-kubeconfig-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadLiveCluster", () => {
  describe("pathological cases", () => {
    it("a kubeconfig with a YAML syntax error is an INPUT error that names the position, not the token", async () => {
      const file = join(dir, "broken");
      writeFileSync(
        file,
        [
          "apiVersion: v1",
          "kind: Config",
          "users:",
          "- name: u",
          "  user:",
          "    token: s3cr3t-bearer-token-value",
          "     bad: indent",
          "clusters: []",
          "",
        ].join("\n"),
      );
      const err = await loadLiveCluster({ kubeconfig: file }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: "INPUT",
        message: "cannot load kubeconfig: bad indentation of a mapping entry",
        context: { file, line: 7, column: 9 },
      });
      expect(JSON.stringify(err)).not.toContain("s3cr3t");
      expect((err as Error).message).not.toContain("s3cr3t");
      expect((err as Error).cause).toBeUndefined();
    });

    it("a missing kubeconfig is an INPUT error", async () => {
      const file = join(dir, "absent");
      await expect(loadLiveCluster({ kubeconfig: file })).rejects.toMatchObject({
        code: "INPUT",
        message: `cannot load kubeconfig: ENOENT: no such file or directory, open '${file}'`,
      });
    });
  });
});
