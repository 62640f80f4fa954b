import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { Inventory, KObject } from "../../../core/inventory/index.js";
import { appendAll } from "../../../core/util/index.js";
import { addAllowPartialOption, completeExit, loadForEvaluation } from "../completeness.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { addInputOptions, type InputOptions, loadInventory } from "../inputs.js";
import { collect, outputOption } from "../options.js";
import { writeChunks, writeCoverage, writeText } from "../text.js";

interface IpBlockFlags {
  allowPartial?: boolean;
  ipblockMatchesPods?: boolean;
  podCidr?: string[];
}

interface ConnectivityFlags extends InputOptions, IpBlockFlags {
  output: string;
  maxEdges?: string;
}

interface DiffFlags extends InputOptions, IpBlockFlags {
  output: string;
  maxEdges?: string;
  with?: string[];
  remove?: string[];
}

function maxEdgesOf(v: string | undefined): { maxEdges?: number } {
  if (v === undefined) return {};
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new PalisadeError("USAGE", `--max-edges expects a positive integer, got "${v}"`);
  return { maxEdges: n };
}

/** Whether ipBlock peers match pods, and the pod CIDRs; a bad CIDR is a usage error. */
async function ipBlockModeOf(
  flags: IpBlockFlags,
): Promise<{ ipBlockMatchesPods?: boolean; podCidrs?: string[] }> {
  const cidrs = flags.podCidr ?? [];
  if (cidrs.length === 0) return flags.ipblockMatchesPods ? { ipBlockMatchesPods: true } : {};
  if (!flags.ipblockMatchesPods)
    throw new PalisadeError("USAGE", "--pod-cidr only applies with --ipblock-matches-pods");
  const { parseCidr } = await import("../../../core/netpol/index.js");
  for (const c of cidrs)
    if (!parseCidr(c))
      throw new PalisadeError("USAGE", `--pod-cidr expects a CIDR, got ${JSON.stringify(c)}`);
  return { ipBlockMatchesPods: true, podCidrs: cidrs };
}

/** The options every analysing subcommand shares. */
function addIpBlockOptions(cmd: Command): Command {
  return addAllowPartialOption(cmd)
    .option(
      "--ipblock-matches-pods",
      "let ipBlock peers match pods whose IPs fall in the cidr, as plugins that match pod IPs do (default: ipBlocks match cluster-external addresses only)",
    )
    .option(
      "--pod-cidr <cidr>",
      "pod network CIDR (repeatable); with --ipblock-matches-pods every pod may hold any address in it",
      collect,
    );
}

const policyKey = (o: KObject): string => `${o.ref.namespace ?? "default"}/${o.ref.name}`;

/**
 * The what-if inventory: the policies of `--with` files replace same-named policies (as `kubectl apply` would) or
 * are added; `--remove NS/NAME` deletes a policy. Everything else stays as loaded.
 */
function applyChange(before: Inventory, added: readonly KObject[], removed: readonly string[]): Inventory {
  const drop = new Set([...removed, ...added.map(policyKey)]);
  return {
    ...before,
    networkPolicies: [...before.networkPolicies.filter((p) => !drop.has(policyKey(p))), ...added],
  };
}

/** `palisade netpol connectivity` and `palisade netpol diff`. */
export function register(program: Command, ctx: CliContext): void {
  const netpol = program
    .command("netpol")
    .description("NetworkPolicy analysis: allowed connections and what-if diffs");

  const conn = netpol
    .command("connectivity")
    .description(
      "allowed connections between workloads and external IP ranges, as Kubernetes NetworkPolicy semantics define them",
    )
    .argument("[paths...]", "manifest files or directories ('-' for stdin)")
    .addOption(outputOption(["table", "json", "dot"], "table"))
    .option("--max-edges <n>", "edge budget; past it the output is truncated and says so (default 2000000)");
  addIpBlockOptions(conn);
  addInputOptions(conn);
  conn.action(async (paths: string[], flags: ConnectivityFlags) => {
    const opts = { ...maxEdgesOf(flags.maxEdges), ...(await ipBlockModeOf(flags)) };
    const loaded = await loadForEvaluation(flags, paths, ctx);
    const np = await import("../../../core/netpol/index.js");
    const result = np.analyzeConnectivity(loaded.inventory, opts);
    const coverage = [...loaded.coverage, ...result.coverage];
    if (flags.output === "json") {
      // In chunks: 10k workloads x 10k policies give over 100k edges, about 45 MB of JSON.
      await writeChunks(ctx.stdout, np.formatConnectivityJsonChunks(result.edges, coverage));
    } else {
      writeText(
        ctx,
        flags.output === "dot" ? np.formatConnectivityDot(result) : np.formatConnectivityText(result),
      );
      writeCoverage(ctx, coverage);
    }
    ctx.exitCode = completeExit(ctx, EXIT.OK, coverage, flags.allowPartial);
  });

  const diff = netpol
    .command("diff")
    .description("which connections a NetworkPolicy change adds, removes or changes")
    .argument("[paths...]", "manifest files or directories of the current state ('-' for stdin)")
    .option("--with <file>", "new or changed NetworkPolicies to apply (repeatable)", collect)
    .option("--remove <namespace/name>", "NetworkPolicy to delete (repeatable)", collect)
    .addOption(outputOption(["table", "json"], "table"))
    .option("--max-edges <n>", "edge budget of each analysis (default 2000000)");
  addIpBlockOptions(diff);
  addInputOptions(diff);
  diff.action(async (paths: string[], flags: DiffFlags) => {
    const opts = { ...maxEdgesOf(flags.maxEdges), ...(await ipBlockModeOf(flags)) };
    if (!flags.with?.length && !flags.remove?.length)
      throw new PalisadeError(
        "USAGE",
        "netpol diff needs --with NEW_POLICIES.yaml or --remove NAMESPACE/NAME",
      );
    for (const r of flags.remove ?? [])
      if (!/^[^/]+\/[^/]+$/.test(r))
        throw new PalisadeError("USAGE", `--remove expects NAMESPACE/NAME, got "${r}"`);
    const loaded = await loadForEvaluation(flags, paths, ctx);
    const coverage = [...loaded.coverage];
    const added: KObject[] = [];
    if (flags.with?.length) {
      const change = await loadInventory({ file: flags.with }, [], ctx);
      appendAll(coverage, change.coverage);
      appendAll(added, change.inventory.networkPolicies);
      const others = change.inventory.objects.filter(
        (o) => o.ref.kind !== "NetworkPolicy" && o.ref.kind !== "Namespace",
      );
      if (others.length > 0)
        coverage.push({
          reason: "not-evaluated",
          message: `--with: ${others.length} object(s) that are not NetworkPolicies were ignored (${others
            .slice(0, 5)
            .map((o) => `${o.ref.kind} ${o.ref.namespace ?? ""}/${o.ref.name}`)
            .join(", ")})`,
        });
    }
    const known = new Set(loaded.inventory.networkPolicies.map(policyKey));
    for (const r of flags.remove ?? [])
      if (!known.has(r))
        coverage.push({
          reason: "missing",
          message: `--remove: no NetworkPolicy ${r} in the input`,
          subject: r,
        });
    const np = await import("../../../core/netpol/index.js");
    const before = np.analyzeConnectivity(loaded.inventory, opts);
    const after = np.analyzeConnectivity(applyChange(loaded.inventory, added, flags.remove ?? []), opts);
    const d = np.diffConnectivity(before, after);
    // Coverage of the "after" analysis includes invalid new policies, which the change would fail to apply.
    const seen = new Set(before.coverage.map((c) => c.message));
    appendAll(
      coverage,
      before.coverage,
      after.coverage.filter((c) => !seen.has(c.message)),
    );
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify({ ...d, coverage }, null, 2)}\n`);
    else {
      writeText(ctx, np.formatDiffText(d));
      writeCoverage(ctx, coverage);
    }
    ctx.exitCode = completeExit(ctx, EXIT.OK, coverage, flags.allowPartial);
  });
}
