import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RULES_DOC_PATH, rulesDoc } from "../../scripts/gen-rules-doc.js";
import { NODE_RULES } from "../../src/core/nodes/index.js";
import { ruleCatalogue } from "../../src/core/scan/index.js";

describe("docs/rules.md", () => {
  it("is up to date with the rule catalogues (regenerate with npx tsx scripts/gen-rules-doc.ts)", () => {
    expect(readFileSync(RULES_DOC_PATH, "utf8")).toBe(rulesDoc());
  });

  it("lists every rule the scan can emit exactly once", () => {
    const doc = rulesDoc();
    for (const r of ruleCatalogue(NODE_RULES)) expect(doc.split(`| ${r.id} |`).length - 1).toBe(1);
  });
});
