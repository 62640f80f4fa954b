import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import { addAllowPartialOption, completeExit, requireObjects } from "../completeness.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { addInputOptions, type InputOptions, inventoryInputs } from "../inputs.js";
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
    const { netpolConnectivity } = await import("../../../services/netpol/index.js");
    const { sources, readers } = await inventoryInputs(flags, paths, ctx);
    const { connectivity: result, coverage } = await netpolConnectivity(
      { sources, options: opts },
      { readers },
      { loaded: (loaded) => requireObjects(ctx, loaded, flags, paths) },
    );
    const np = await import("../../../core/netpol/index.js");
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
    const { netpolDiff } = await import("../../../services/netpol/index.js");
    const { sources, readers } = await inventoryInputs(flags, paths, ctx);
    const change = flags.with?.length ? await inventoryInputs({ file: flags.with }, [], ctx) : undefined;
    const { diff: d, coverage } = await netpolDiff(
      { sources, change: change?.sources, remove: flags.remove ?? [], options: opts },
      { readers, changeReaders: change?.readers },
      { loaded: (loaded) => requireObjects(ctx, loaded, flags, paths) },
    );
    const np = await import("../../../core/netpol/index.js");
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify({ ...d, coverage }, null, 2)}\n`);
    else {
      writeText(ctx, np.formatDiffText(d));
      writeCoverage(ctx, coverage);
    }
    ctx.exitCode = completeExit(ctx, EXIT.OK, coverage, flags.allowPartial);
  });
}
