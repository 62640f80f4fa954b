import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { Severity } from "../../../core/findings/index.js";
import type { AdvisoryLookup } from "../../../services/nodes/index.js";
import { addAllowPartialOption } from "../completeness.js";
import type { CliContext } from "../context.js";
import { allowIncompleteDbOption, dbLocation, dbOption, vulnDbOpener } from "../db-location.js";
import { EXIT } from "../exit-codes.js";
import { addInputOptions, type InputOptions } from "../inputs.js";
import { failOnOption, outputOption } from "../options.js";
import { writeCoverage, writeWarning } from "../text.js";

type Flags = InputOptions & {
  output: "table" | "json";
  failOn?: Severity;
  db?: string;
  allowIncompleteDb?: boolean;
  allowPartial?: boolean;
};

/**
 * An advisory lookup over the vulnerability store at `location` (the vulnerability service's, with its one
 * completeness and freshness check): an interrupted or empty import is refused or, with `allowIncomplete`,
 * warned about, as `vuln scan` does; warnings and freshness coverage are printed as the lookup runs.
 */
export async function storeLookup(
  location: string,
  ctx: CliContext,
  allowIncomplete: boolean | undefined,
): Promise<AdvisoryLookup> {
  const { requireDatabase } = await import("./vuln.js");
  requireDatabase(location);
  const { advisoryLookup } = await import("../../../services/vuln/index.js");
  return advisoryLookup(
    { allowIncomplete, override: "run anyway with --allow-incomplete-db" },
    {
      open: vulnDbOpener(location),
      now: ctx.now,
      onRead: ({ warnings, check }) => {
        for (const w of warnings) writeWarning(ctx, w);
        writeCoverage(ctx, check.fresh.coverage);
      },
    },
  );
}

/** Adds `vuln nodes` to the `vuln` command registered by commands/vuln.ts (listed after it in program.ts). */
export function register(program: Command, ctx: CliContext): void {
  const vuln = program.commands.find((c) => c.name() === "vuln");
  if (!vuln)
    throw new PalisadeError("INTERNAL", "commands/vuln-nodes.js must be registered after commands/vuln.js");
  const cmd = vuln
    .command("nodes")
    .description(
      "Vulnerable kubelets, container runtimes, runc, kernels and control planes of a cluster's nodes, with an upgrade plan per node pool; OS end of life and kubelet configuration",
    )
    .addOption(outputOption(["table", "json"], "table"))
    .addOption(failOnOption())
    .addOption(dbOption(ctx))
    .addOption(allowIncompleteDbOption());
  addInputOptions(cmd);
  addAllowPartialOption(cmd);
  cmd.action(async (flags: Flags) => {
    const failOn = flags.failOn;
    const { inventoryInputs } = await import("../inputs.js");
    const { sources, readers } = await inventoryInputs(flags, [], ctx);
    if (sources.cluster) sources.cluster.nodeDetails = true;
    const lookup = await storeLookup(dbLocation(flags.db, ctx), ctx, flags.allowIncompleteDb);
    const { nodesReport } = await import("../../../services/nodes/index.js");
    const { VERSION } = await import("../version.js");
    const { report, loaded } = await nodesReport(
      { sources, version: VERSION },
      { readers, lookup, now: ctx.now },
    );
    const nodes = await import("../../../core/nodes/index.js");
    if (loaded.inventory.nodes.length === 0) {
      writeCoverage(ctx, report.coverage);
      throw new PalisadeError(
        "INPUT",
        "nothing evaluated: the input holds no Node objects (a snapshot needs `kubectl get nodes -o json`; a live read needs RBAC list on nodes)",
      );
    }
    if (flags.output === "json") ctx.stdout.write(nodes.formatNodesJson(report));
    else ctx.stdout.write(nodes.formatNodesTable(report));
    const { completeExit } = await import("../completeness.js");
    const code = failOn && nodes.nodesFailAt(report, failOn) ? EXIT.FINDINGS : EXIT.OK;
    ctx.exitCode = completeExit(ctx, code, report.coverage, flags.allowPartial);
  });
}
