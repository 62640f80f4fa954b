import { type Command, Option } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import { stableStringify } from "../../../core/util/index.js";
import type { CliContext } from "../context.js";
import { dbLocation, storesDbOption, withStores } from "../db-location.js";
import { EXIT } from "../exit-codes.js";
import { addInputOptions, type InputOptions, inventoryInputs, inventorySources } from "../inputs.js";
import { outputOption } from "../options.js";
import { writeCoverage, writeText } from "../text.js";

type Flags = InputOptions & { output: string; db?: string; platform?: string; at?: string };

/** --platform of impact, plan and status: which of an image's platforms the workloads run. */
const workloadPlatformOption = (): Option =>
  new Option(
    "--platform <os/arch>",
    "platform workloads run, to pick among images known for several",
  ).default("linux/amd64");

/** What `vuln impact|plan|status` observe: the inventory the flags name, read through the CLI's readers. */
async function observation(flags: Flags, ctx: CliContext) {
  const { sources, readers } = await inventoryInputs(flags, [], ctx);
  return { request: { sources, platform: flags.platform }, readers };
}

/** The impact through the inventory's nodes, when it has any. */
async function nodeImpact(
  inventory: import("../../../core/inventory/index.js").Inventory,
  id: string,
  flags: Flags,
  ctx: CliContext,
) {
  if (inventory.nodes.length === 0) return undefined;
  const { storeLookup } = await import("./vuln-nodes.js");
  const { nodesImpact } = await import("../../../services/nodes/index.js");
  return nodesImpact(inventory, id, await storeLookup(dbLocation(flags.db, ctx), ctx, true), ctx.now());
}

/** Observation time: --at (an ISO time, for snapshots taken earlier); the service takes the clock otherwise. */
function observedAt(at: string | undefined): Date | undefined {
  if (at === undefined) return undefined;
  const t = Date.parse(at);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(t))
    throw new PalisadeError("USAGE", `--at ${at} is not an ISO-8601 time (e.g. 2025-01-31T12:00:00Z)`);
  return new Date(t);
}

/**
 * Adds `vuln impact`, `vuln plan` and `vuln status` to the `vuln` command registered by commands/vuln.ts (this
 * module is listed after it in program.ts).
 */
export function register(program: Command, ctx: CliContext): void {
  const vuln = program.commands.find((c) => c.name() === "vuln");
  if (!vuln)
    throw new PalisadeError("INTERNAL", "commands/vuln-lineage.js must be registered after commands/vuln.js");

  addInputOptions(
    vuln
      .command("impact")
      .description(
        "Who runs a vulnerability: images, workloads (replicas), namespaces, clusters, teams, and where to fix it",
      )
      .argument("<id>", "CVE-, GHSA- or any advisory id or alias")
      .addOption(outputOption(["table", "json"], "table"))
      .addOption(workloadPlatformOption())
      .addOption(storesDbOption(ctx)),
  ).action(async (id: string, flags: Flags) => {
    const lin = await import("../../../core/lineage/index.js");
    const { vulnImpact } = await import("../../../services/lineage/index.js");
    const { request, readers } = await observation(flags, ctx);
    const { answer, inventory, coverage } = await withStores(flags.db, ctx, { create: false }, (stores) =>
      vulnImpact(id, request, { stores, readers }),
    );
    // Node components (kubelet, runtime, runc, kernel, control plane) carry vulnerabilities no image shows.
    const nodes = await nodeImpact(inventory, id, flags, ctx);
    const infrastructure =
      nodes?.impact.vulnerabilityId !== undefined ? { infrastructure: nodes.impact } : {};
    if (flags.output === "json")
      ctx.stdout.write(`${stableStringify({ ...answer, ...infrastructure, coverage })}\n`);
    else {
      writeCoverage(ctx, coverage);
      writeText(ctx, lin.formatImpactTable(answer));
      if (nodes)
        writeText(ctx, (await import("../../../core/nodes/index.js")).formatInfraImpact(nodes.impact));
    }
    ctx.exitCode = EXIT.OK;
  });

  addInputOptions(
    vuln
      .command("plan")
      .description("Prioritised fixes (severity x workloads x exposure), grouped by team and by base image")
      .addOption(outputOption(["table", "json"], "table"))
      .addOption(workloadPlatformOption())
      .addOption(storesDbOption(ctx)),
  ).action(async (flags: Flags) => {
    const lin = await import("../../../core/lineage/index.js");
    const { remediationPlan } = await import("../../../services/lineage/index.js");
    const { request, readers } = await observation(flags, ctx);
    const { plan, coverage } = await withStores(flags.db, ctx, { create: false }, (stores) =>
      remediationPlan(request, { stores, readers }),
    );
    if (flags.output === "json") ctx.stdout.write(`${stableStringify({ ...plan, coverage })}\n`);
    else {
      writeCoverage(ctx, coverage);
      writeText(ctx, lin.formatPlanTable(plan));
    }
    ctx.exitCode = EXIT.OK;
  });

  addInputOptions(
    vuln
      .command("status")
      .description(
        "Remediation records per (vulnerability, image family); observing an inventory (--snapshot, -f, --kubeconfig) advances them",
      )
      .addOption(outputOption(["table", "json"], "table"))
      .option("--at <time>", "observation time of the inventory (ISO-8601; default now)")
      .addOption(workloadPlatformOption())
      .addOption(storesDbOption(ctx)),
  ).action(async (flags: Flags) => {
    const lin = await import("../../../core/lineage/index.js");
    const { remediationStatus } = await import("../../../services/lineage/index.js");
    const { hasInventorySource } = await import("../../../services/inventory/index.js");
    const observing = hasInventorySource(inventorySources(flags, []));
    if (!observing && flags.at !== undefined)
      throw new PalisadeError("USAGE", "--at needs an inventory to observe");
    const at = observing ? observedAt(flags.at) : undefined;
    const observe = observing ? await observation(flags, ctx) : undefined;
    // Observing advances the records in one atomic read-modify-write of the store (services/lineage).
    const { records, transitions, coverage } = await withStores(flags.db, ctx, {}, (stores) =>
      remediationStatus(
        { observe: observe?.request, at },
        { stores, readers: observe?.readers, now: ctx.now },
      ),
    );
    if (flags.output === "json") ctx.stdout.write(`${stableStringify({ records, transitions, coverage })}\n`);
    else {
      writeCoverage(ctx, coverage);
      for (const t of transitions)
        ctx.stderr.write(`${t.key}: ${t.from ?? "new"} -> ${t.to}${t.reopened ? " (reopened)" : ""}\n`);
      writeText(ctx, lin.formatStatusTable(records));
    }
    ctx.exitCode = EXIT.OK;
  });
}
