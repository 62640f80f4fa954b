/**
 * Generate docs/rules.md from the rule catalogues, so the documentation cannot drift from the code.
 *
 *   npx tsx scripts/gen-rules-doc.ts          # write docs/rules.md
 *   npx tsx scripts/gen-rules-doc.ts --check  # exit 1 if docs/rules.md is out of date
 *
 * A new catalogue is one more entry in RULE_CATALOGUES.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RuleMeta } from "../src/core/findings/index.js";
import { NETPOL_RULES } from "../src/core/netpol/index.js";
import { NODE_RULES } from "../src/core/nodes/index.js";
import { POSTURE_RULES, renderRulesDoc } from "../src/core/posture/index.js";
import { RBAC_RULES } from "../src/core/rbac/index.js";

export const RULE_CATALOGUES: readonly { title: string; rules: readonly RuleMeta[] }[] = [
  { title: "Posture rules", rules: POSTURE_RULES },
  { title: "RBAC rules", rules: RBAC_RULES },
  { title: "NetworkPolicy rules", rules: NETPOL_RULES },
  { title: "Node rules", rules: NODE_RULES },
];

export const RULES_DOC_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "..", "docs", "rules.md");

/** The expected content of docs/rules.md. */
export function rulesDoc(): string {
  return renderRulesDoc(RULE_CATALOGUES);
}

function main(argv: string[]): number {
  const text = rulesDoc();
  if (argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(RULES_DOC_PATH, "utf8");
    } catch {
      // missing file: out of date
    }
    if (current === text) return 0;
    process.stderr.write(`${RULES_DOC_PATH} is out of date: run npx tsx scripts/gen-rules-doc.ts\n`);
    return 1;
  }
  writeFileSync(RULES_DOC_PATH, text);
  process.stdout.write(
    `wrote ${RULES_DOC_PATH} (${RULE_CATALOGUES.reduce((n, c) => n + c.rules.length, 0)} rules)\n`,
  );
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
