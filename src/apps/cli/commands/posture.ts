/**
 * `palisade rules [ID]`: list the rule catalogue (posture, RBAC, NetworkPolicy) or explain one rule.
 * `palisade secrets PATH...`: scan text files for literal credentials (redacted output).
 *
 * Posture findings themselves are reported by `palisade scan`, which runs evaluatePosture with the others.
 */

import { type Command, Option } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { RuleMeta } from "../../../core/findings/index.js";
import { maxOf } from "../../../core/util/index.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { outputOption } from "../options.js";
import { writeCoverage } from "../text.js";

interface RulesFlags {
  output: string;
  framework?: string;
}

interface SecretsFlags {
  output: string;
  maxBytes: string;
  maxFiles: string;
}

const RULE_OUTPUTS = ["table", "json"] as const;

function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new PalisadeError("USAGE", `${flag} must be a positive integer`);
  return n;
}

function refsText(r: RuleMeta): string {
  return r.compliance.map((c) => `${c.framework.toUpperCase()} ${c.id}`).join("; ");
}

function explain(r: RuleMeta): string {
  const lines = [
    `${r.id}  ${r.title}`,
    `severity:    ${r.severity}`,
    `category:    ${r.category}`,
    `rationale:   ${r.rationale}`,
    `remediation: ${r.remediation}`,
  ];
  for (const c of r.compliance)
    lines.push(`compliance:  ${c.framework.toUpperCase()} ${c.id}${c.title ? ` - ${c.title}` : ""}`);
  return `${lines.join("\n")}\n`;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("rules")
    .description("List the rule catalogue, or explain one rule by id")
    .argument("[id]", "rule id, e.g. PAL-POD-001")
    .addOption(outputOption(RULE_OUTPUTS, "table"))
    .addOption(
      new Option("--framework <name>", "only rules mapped to a framework").choices(["nsa", "cis", "pss"]),
    )
    .action(async (id: string | undefined, flags: RulesFlags) => {
      const { postureRules } = await import("../../../services/posture/index.js");
      const result = postureRules({ framework: flags.framework, id });
      if (result.mode === "explain") {
        const rule = result.rule;
        if (!rule) throw new PalisadeError("USAGE", `unknown rule "${id}"`);
        ctx.stdout.write(flags.output === "json" ? `${JSON.stringify(rule, null, 2)}\n` : explain(rule));
        return;
      }
      const rules = result.rules;
      if (flags.output === "json") {
        ctx.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
        return;
      }
      const w = maxOf(
        2,
        rules.map((r) => r.id.length),
      );
      const out = rules.map(
        (r) => `${r.id.padEnd(w)}  ${r.severity.padEnd(8)}  ${r.title}  [${refsText(r)}]`,
      );
      ctx.stdout.write(`${out.join("\n")}\n${rules.length} rules\n`);
    });

  program
    .command("secrets")
    .description("Scan text files for literal credentials; values are never printed. Exit 1 if any is found")
    .argument("<paths...>", "files or directories")
    .addOption(outputOption(RULE_OUTPUTS, "table"))
    .option("--max-bytes <n>", "bytes scanned per file", String(1024 * 1024))
    .option("--max-files <n>", "files scanned in total", "10000")
    .action(async (paths: string[], flags: SecretsFlags) => {
      const maxBytes = parsePositiveInt(flags.maxBytes, "--max-bytes");
      const maxFiles = parsePositiveInt(flags.maxFiles, "--max-files");
      const { scanSecrets } = await import("../../../services/posture/index.js");
      const r = await scanSecrets(
        { paths, maxBytes, maxFiles },
        {
          scanPaths: async (files, budgets) =>
            (await import("../../../adapters/secrets/index.js")).scanPathsForSecrets(files, {
              cwd: ctx.cwd,
              ...budgets,
            }),
        },
      );
      if (flags.output === "json") {
        ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      } else {
        for (const m of r.matches) ctx.stdout.write(`${m.file}:${m.line}: ${m.kind} ${m.redacted}\n`);
        writeCoverage(ctx, r.coverage);
        ctx.stdout.write(`${r.matches.length} credential(s) in ${r.filesScanned} file(s)\n`);
      }
      ctx.exitCode = r.matches.length > 0 ? EXIT.FINDINGS : EXIT.OK;
    });
}
