import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseManifestText } from "../../adapters/manifests/index.js";
import { buildInventory } from "../inventory/index.js";
import { evaluatePosture } from "./index.js";

const FILE = "cloud-credentials.yaml";
const text = readFileSync(new URL(`./__fixtures__/${FILE}`, import.meta.url), "utf8");

describe("credentials in ConfigMaps and env: cloud keys without an issuer prefix", () => {
  const result = evaluatePosture(buildInventory(parseManifestText(text, FILE).objects));
  const hits = result.findings.filter((f) => f.ruleId === "PAL-SEC-003" || f.ruleId === "PAL-SEC-004");

  it("an Azure Batch account key (ConfigMap and env) and OCI CLI key material (env) are reported", () => {
    expect(hits.map((f) => [f.ruleId, f.fieldPath, f.evidence, f.message])).toEqual([
      [
        "PAL-SEC-004",
        "data.AZURE_BATCH_KEY",
        "AZURE_BATCH_KEY: ****(redacted, 88 chars)",
        'ConfigMap "batch-settings" key "AZURE_BATCH_KEY" holds a literal credential (cloud-key)',
      ],
      [
        "PAL-SEC-003",
        "spec.template.spec.containers[0].env[0].value",
        "AZURE_BATCH_KEY=****(redacted, 88 chars)",
        'container "exporter" env var AZURE_BATCH_KEY holds a literal credential (cloud-key)',
      ],
      [
        "PAL-SEC-003",
        "spec.template.spec.containers[0].env[1].value",
        "OCI_CLI_KEY_CONTENT=****(redacted, 27 chars)",
        'container "exporter" env var OCI_CLI_KEY_CONTENT holds a literal credential (private-key)',
      ],
      [
        "PAL-SEC-003",
        "spec.template.spec.containers[0].env[2].value",
        "OCI_KEY_CONTENT=****(redacted, 116 chars)",
        'container "exporter" env var OCI_KEY_CONTENT holds a literal credential (high-entropy-key-value)',
      ],
    ]);
  });

  it("no value reaches the findings or coverage", () => {
    const out = JSON.stringify(result);
    for (const line of text.split("\n")) {
      const m = /(?:AZURE_BATCH_KEY: |value: )"([^"]{20,})"/.exec(line) ?? /^\s+(MIIE\S+)$/.exec(line);
      if (m?.[1]) expect(out).not.toContain(m[1].slice(0, 16));
    }
    expect(out).not.toContain("MIIEvQ");
  });
});
