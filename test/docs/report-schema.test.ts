import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const schema = JSON.parse(readFileSync("docs/schema/scan-report.v1.schema.json", "utf8"));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

describe("docs/schema/scan-report.v1.schema.json", () => {
  const inputs: [string, string[]][] = [
    [
      "the demo with owners and exceptions",
      [
        "examples/demo/manifests",
        "--owners",
        "examples/demo/owners.yaml",
        "--exceptions",
        "examples/demo/exceptions.yaml",
      ],
    ],
    [
      "a malformed file (coverage entries)",
      ["src/apps/cli/commands/__fixtures__/scan/broken.yaml", "--allow-partial"],
    ],
    ["the CIS framework", ["examples/demo/manifests", "--framework", "cis"]],
    ["the PSS restricted framework", ["examples/demo/manifests", "--framework", "pss-restricted"]],
  ];
  for (const [name, args] of inputs) {
    it(`validates the JSON report for ${name}`, async () => {
      const r = await runCli(["scan", ...args, "-o", "json"]);
      expect(r.code).toBe(0);
      const ok = validate(JSON.parse(r.stdout));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  it("validates the JSON report of scan --nodes (node vulnerabilities in the one finding shape)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-schema-nodes-"));
    try {
      const env = { env: { PALISADE_DB: join(dir, "p.db") }, now: new Date("2026-12-04T00:00:00Z") };
      expect(
        (await runCli(["vuln", "db", "import", "src/core/nodes/__fixtures__/advisories"], env)).code,
      ).toBe(0);
      const r = await runCli(
        ["scan", "--snapshot", "src/core/nodes/__fixtures__/cluster.json", "--nodes", "-o", "json"],
        env,
      );
      const doc = JSON.parse(r.stdout) as { findings: { ruleId: string }[] };
      expect(doc.findings.some((f) => f.ruleId === "CVE-2024-21626")).toBe(true);
      validate(doc);
      expect(validate.errors ?? []).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a report that breaks the contract (the schema can fail)", () => {
    expect(validate({ schemaVersion: "palisade.dev/scan-report/v1", findings: [{ id: "x" }] })).toBe(false);
  });
});
