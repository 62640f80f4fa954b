import { readFileSync } from "node:fs";
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

  it("rejects a report that breaks the contract (the schema can fail)", () => {
    expect(validate({ schemaVersion: "palisade.dev/scan-report/v1", findings: [{ id: "x" }] })).toBe(false);
  });
});
