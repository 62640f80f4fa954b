import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PalisadeError } from "../../core/errors/index.js";
import { loadLiveCluster, serverUrl } from "./index.js";

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

    // Issue: hardening, item 12. `new URL(server)` threw a TypeError ("Invalid URL") that surfaced as a stack
    // trace and exit 3. Each of these is now an INPUT error naming the file, the context and the field, without
    // quoting the value (a server URL may carry userinfo).
    it.each([
      ["https://[bad", "a server URL that does not parse"],
      ["::::", "a server URL that does not parse"],
      ["https://exa mple.com", "a server URL that does not parse"],
      ["ftp://u:hunter2@x", 'a server URL with scheme "ftp:" (only https and http are API server URLs)'],
      ["http://", "a server URL that does not parse"],
    ])("server %j is an INPUT error naming file, context and field", async (server, why) => {
      const file = join(dir, "bad-server");
      writeFileSync(
        file,
        [
          "apiVersion: v1",
          "kind: Config",
          "clusters:",
          "- name: prod",
          "  cluster:",
          `    server: "${server}"`,
          "users:",
          "- name: u",
          "  user: {token: s3cr3t-bearer-token-value}",
          "contexts:",
          "- name: prod-admin",
          "  context: {cluster: prod, user: u}",
          "current-context: prod-admin",
          "",
        ].join("\n"),
      );
      const err = await loadLiveCluster({ kubeconfig: file }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PalisadeError);
      expect(err).toMatchObject({
        code: "INPUT",
        message: `context "prod-admin": cluster "prod" has ${why} in clusters[name=prod].cluster.server`,
        context: { file, field: "clusters[name=prod].cluster.server" },
      });
      expect((err as Error).message).not.toContain("hunter2");
    });

    it("a server without a scheme means https, as in client-go", () => {
      expect(serverUrl("10.0.0.1:6443", { file: "f", context: "c", cluster: "k" }).href).toBe(
        "https://10.0.0.1:6443/",
      );
    });

    it("a missing kubeconfig is an IO error naming the file", async () => {
      const file = join(dir, "absent");
      await expect(loadLiveCluster({ kubeconfig: file })).rejects.toMatchObject({
        code: "IO",
        message: "cannot open kubeconfig: ENOENT",
        context: { file },
      });
    });
  });
});
