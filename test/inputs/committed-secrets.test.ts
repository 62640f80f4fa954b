/**
 * A Secret committed with values is reported when read as a manifest (-f, stdin) and not when read as a snapshot
 * of a cluster, where Secrets naturally hold values. The value is never printed.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const VALUE = "c3VwZXItc2VjcmV0LWRiLXBhc3N3b3Jk";
const PLAIN = "plain-text-api-key-77";
const YAML = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
data:
  password: ${VALUE}
stringData:
  api-key: ${PLAIN}
`;
const dir = mkdtempSync(join(tmpdir(), "palisade-secret-"));
writeFileSync(join(dir, "app.yaml"), YAML);
writeFileSync(
  join(dir, "snapshot.json"),
  JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db", namespace: "shop", uid: "1f2e", resourceVersion: "77" },
        type: "Opaque",
        data: { password: VALUE },
      },
    ],
  }),
);

type Report = {
  findings: { ruleId: string; message: string; location?: { file: string; line: number } }[];
};
const committed = (stdout: string) =>
  (JSON.parse(stdout) as Report).findings
    .filter((f) => f.ruleId === "PAL-SEC-007")
    .map((f) => [f.location?.file, f.location?.line, f.message]);

describe("Secret values committed in manifests", () => {
  it("manifest paths and stdin: reported at the data field, key names only", async () => {
    const file = await runCli(["scan", "app.yaml", "-o", "json"], { cwd: dir });
    expect(committed(file.stdout)).toEqual([
      [
        "app.yaml",
        15,
        'Secret "db" is committed with 2 value(s) in app.yaml (data: password; stringData: api-key): the file, not the cluster, holds the credential',
      ],
    ]);
    const stdin = await runCli(["scan", "-", "-o", "json"], { cwd: dir, stdin: YAML });
    expect(committed(stdin.stdout).map((f) => f[0])).toEqual(["-"]);
    for (const out of [file.stdout, file.stderr, stdin.stdout]) {
      expect(out).not.toContain(VALUE);
      expect(out).not.toContain(PLAIN);
    }
  });

  it("a snapshot of a cluster: not reported", async () => {
    const snap = await runCli(["scan", "--snapshot", "snapshot.json", "-o", "json"], { cwd: dir });
    expect(snap.stderr).toBe("");
    expect(committed(snap.stdout)).toEqual([]);
    expect(snap.stdout).not.toContain(VALUE);
  });
});
