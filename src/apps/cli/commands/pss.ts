import { type Command, Option } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import { addAllowPartialOption, completeExit, requireEvaluated } from "../completeness.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { addInputOptions, type InputOptions, inventoryInputs } from "../inputs.js";
import { outputOption } from "../options.js";
import { formatColumns, writeCoverage, writeText } from "../text.js";

interface PssFlags extends InputOptions {
  /** commander refuses any other value. */
  level?: "baseline" | "restricted";
  version?: string;
  namespaces?: boolean;
  output: string;
  allowPartial?: boolean;
}

const OUTPUTS = ["json", "table"] as const;

const HELP = `
Two modes:

  --level baseline|restricted
      Evaluate every pod and pod template (one entry per workload) against that level and
      --version (default latest), exactly as pod-security-admission would. Prints a JSON array of
      {resource, allowed, violations: [{check, message}]} sorted by namespace, kind and name.
      Exit 1 when any workload is not allowed.

  --namespaces, or no --level
      Read the pod-security.kubernetes.io/{enforce,audit,warn}[-version] labels of each namespace
      (invalid values resolve as upstream does: enforce -> restricted, audit/warn -> privileged,
      version -> latest) and report the effective policy, the workloads whose pods enforce would
      reject and those audit/warn would flag, and the namespaces without labels. With --level and
      --version, namespaces without an enforce label are evaluated at that level (like the
      admission plugin's configured defaults); otherwise the default is privileged:latest.
      Exit 1 when enforce would reject any workload's pods.

Exit 2 on usage or input errors. "latest" is policy v1.37; newer versions evaluate as v1.37.`;

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("pss")
    .description("Evaluate Pod Security Standards exactly as Kubernetes pod-security-admission does")
    .argument("[paths...]", "manifest files or directories ('-' for stdin)")
    .addOption(
      new Option("--level <level>", "evaluate every workload at this level").choices([
        "baseline",
        "restricted",
      ]),
    )
    .option("--version <version>", "policy version v1.N or latest (default latest)")
    .option("--namespaces", "report per namespace from pod-security.kubernetes.io labels")
    .addOption(outputOption(OUTPUTS, "json"))
    .addHelpText("after", HELP);
  addInputOptions(cmd);
  addAllowPartialOption(cmd);
  cmd.action(async (paths: string[], flags: PssFlags) => {
    const pss = await import("../../../core/pss/index.js");
    const level = flags.level;
    let version: import("../../../core/pss/index.js").PssVersion = "latest";
    if (flags.version !== undefined) {
      const v = pss.parsePssVersion(flags.version);
      if (v === undefined)
        throw new PalisadeError(
          "USAGE",
          `invalid --version "${flags.version}" (expected "latest" or "v1.N")`,
        );
      version = v;
    }
    if (flags.version !== undefined && level === undefined && !flags.namespaces)
      throw new PalisadeError("USAGE", "--version needs --level (or --namespaces)");

    const { evaluatePss } = await import("../../../services/pss/index.js");
    const { sources, readers } = await inventoryInputs(flags, paths, ctx);
    const result = await evaluatePss(
      { sources, level, version, namespaces: flags.namespaces },
      { readers },
      {
        loaded: (loaded, evaluated) =>
          requireEvaluated(ctx, loaded, { opts: flags, paths }, evaluated.count, evaluated.what),
      },
    );

    if (result.mode === "workloads") {
      const { results, coverage } = result;
      writeCoverage(ctx, coverage);
      if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        const rows = [["NAMESPACE", "KIND", "NAME", "ALLOWED", "VIOLATION"]];
        for (const r of results) {
          const base = [
            r.resource.namespace ?? "",
            r.resource.kind,
            r.resource.name,
            r.allowed ? "yes" : "no",
          ];
          if (r.violations.length === 0) rows.push([...base, ""]);
          for (const [i, v] of r.violations.entries())
            rows.push(i === 0 ? [...base, v.message] : ["", "", "", "", v.message]);
        }
        ctx.stdout.write(`${formatColumns(rows)}\n`);
      }
      ctx.exitCode = completeExit(
        ctx,
        results.some((r) => !r.allowed) ? EXIT.FINDINGS : EXIT.OK,
        coverage,
        flags.allowPartial,
      );
      return;
    }

    const { coverage } = result;
    const out = { namespaces: result.namespaces, unlabelled: result.unlabelled, coverage };
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else {
      writeCoverage(ctx, coverage);
      const mode = (m: { level: string; version: string }) => `${m.level}:${m.version}`;
      const rows = [["NAMESPACE", "ENFORCE", "AUDIT", "WARN", "WORKLOADS", "REJECTED", "AUDITED", "WARNED"]];
      for (const n of out.namespaces)
        rows.push([
          n.namespace + (n.labelled ? "" : " (no labels)"),
          mode(n.enforce),
          mode(n.audit),
          mode(n.warn),
          String(n.workloads),
          String(n.rejected.length),
          String(n.audited.length),
          String(n.warned.length),
        ]);
      ctx.stdout.write(`${formatColumns(rows)}\n`);
      const rejected = out.namespaces.flatMap((n) => n.rejected);
      if (rejected.length > 0) {
        ctx.stdout.write("\nRejected by enforce:\n");
        for (const r of rejected)
          for (const v of r.violations)
            writeText(
              ctx,
              `  ${r.resource.kind} ${r.resource.namespace ?? ""}/${r.resource.name}: ${v.message}\n`,
            );
      }
    }
    ctx.exitCode = completeExit(
      ctx,
      out.namespaces.some((n) => n.rejected.length > 0) ? EXIT.FINDINGS : EXIT.OK,
      coverage,
      flags.allowPartial,
    );
  });
}
