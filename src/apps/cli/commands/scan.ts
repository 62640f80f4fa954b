import { type Command, Option } from "commander";
import type { Severity } from "../../../core/findings/index.js";
import type { ScanReport } from "../../../core/report/index.js";
import type { Framework } from "../../../core/scan/index.js";
import { addAllowPartialOption } from "../completeness.js";
import type { CliContext } from "../context.js";
import { addInputOptions, type InputOptions } from "../inputs.js";
import { failOnOption, outputOption } from "../options.js";
import { addRbacDefaultsOptions, type RbacDefaultsFlags } from "../rbac-options.js";

interface ScanFlags extends InputOptions, RbacDefaultsFlags {
  output: string;
  failOn?: Severity;
  /** commander refuses any other value. */
  framework?: Framework;
  exceptions?: string;
  allowedRegistries?: string;
  severity?: string;
  includeNamespaces?: string;
  excludeNamespaces?: string;
  allowPartial?: boolean;
  nodes?: boolean;
  db?: string;
}

const list = (v: string | undefined): string[] | undefined =>
  v
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const OUTPUTS = ["table", "json", "sarif", "junit"] as const;

/**
 * core/scan's FRAMEWORKS, written here so `palisade scan --help` does not load the scanner (scan.test.ts checks
 * that the two lists are the same).
 */
export const SCAN_FRAMEWORKS: readonly Framework[] = ["nsa", "cis", "pss-baseline", "pss-restricted"];

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("scan")
    .description("Scan manifests, a cluster snapshot or a live cluster for misconfigurations")
    .argument("[paths...]", "manifest files or directories ('-' for stdin)")
    .addOption(outputOption(OUTPUTS, "table"))
    .addOption(failOnOption())
    .addOption(new Option("--framework <name>", "only findings of a framework").choices(SCAN_FRAMEWORKS))
    .option("--exceptions <file>", "exceptions file (scoped, reasoned, optionally expiring suppressions)")
    .option(
      "--allowed-registries <list>",
      "comma-separated registry globs images may come from (e.g. ghcr.io/acme,*.internal)",
    )
    .option("--severity <list>", "report only these severities, comma-separated (e.g. critical,high)")
    .option(
      "--include-namespaces <globs>",
      "report only findings in these namespaces (comma-separated globs)",
    )
    .option(
      "--exclude-namespaces <globs>",
      "drop findings in these namespaces (comma-separated globs, e.g. kube-*)",
    )
    .option(
      "--nodes",
      "also report node components (kubelet, runtime, runc, kernel, control plane) against the vulnerability database, OS end of life and kubelet configuration (see vuln nodes)",
    )
    .option("--db <path|url>", "vulnerability database for --nodes (default as for vuln scan)");
  addInputOptions(cmd, { positionalPaths: true });
  addRbacDefaultsOptions(cmd);
  addAllowPartialOption(cmd);
  cmd.action(async (paths: string[], flags: ScanFlags) => {
    // Loaded here, not at the top: `palisade --help` and other commands never pay for them.
    const [
      { PalisadeError },
      { parseSeverity, SEVERITIES, SEVERITY_RANK },
      { EXIT },
      { inventoryInputs, timeIsTheTarget },
      { createProgress },
      { VERSION },
      { rbacBuildOptions },
      { completeExit, nothingEvaluated },
      { useColor, writeChunks, writeCoverage },
    ] = await Promise.all([
      import("../../../core/errors/index.js"),
      import("../../../core/findings/index.js"),
      import("../exit-codes.js"),
      import("../inputs.js"),
      import("../progress.js"),
      import("../version.js"),
      import("../rbac-options.js"),
      import("../completeness.js"),
      import("../text.js"),
    ]);
    const failOn = flags.failOn;
    const severities = list(flags.severity)?.map((v) => {
      const sev = parseSeverity(v);
      if (!sev) throw new PalisadeError("USAGE", `unknown severity "${v}" for --severity`);
      return sev;
    });
    const rbacOptions = await rbacBuildOptions(flags);
    const progress = createProgress(ctx);
    try {
      progress.update("loading inputs");
      const { sources, readers } = await inventoryInputs(flags, paths, ctx);
      if (flags.nodes && sources.cluster) sources.cluster.nodeDetails = true;
      const nodeAdvisories = flags.nodes
        ? await (await import("./vuln-nodes.js")).storeLookup(
            (await import("../db-location.js")).dbLocation(flags.db, ctx),
            ctx,
            false,
          )
        : undefined;
      const { memoryRunStore, scan, scanStreaming } = await import("../../../services/scan/index.js");
      const timeFirst = timeIsTheTarget(sources, ctx.cwd);
      const nothing: { error?: import("../../../core/errors/index.js").PalisadeError | undefined } = {};
      const request: Parameters<typeof scan>[0] = {
        sources,
        exceptionsFile: flags.exceptions || undefined,
        nodes: flags.nodes,
        // Holding equal parts of the objects once cost a seventh of a 100k-object scan's main-thread CPU for a
        // tenth of its peak memory (docs/benchmarks.md, Scale).
        shareValues: !timeFirst,
        options: {
          framework: flags.framework,
          allowedRegistries: list(flags.allowedRegistries),
          severities,
          namespaces: list(flags.includeNamespaces),
          excludeNamespaces: list(flags.excludeNamespaces),
          version: VERSION,
          rbac: rbacOptions,
        },
      };
      const deps: Parameters<typeof scan>[1] = {
        readers,
        readConfig: async (path) =>
          (await import("../../../adapters/config/index.js")).readConfigFile(path, ctx.cwd),
        now: ctx.now,
        nodeAdvisories,
      };
      const hooks: Parameters<typeof scan>[2] = {
        loaded: (loaded) => {
          progress.done();
          // Nothing evaluated: exit 2 naming what was read. A machine-readable report is still written (its
          // coverage says why, and its inventory counts 0 objects); a table is not, so no "0 findings" can pass
          // for a clean run.
          nothing.error = nothingEvaluated(
            loaded,
            { opts: flags, paths },
            loaded.inventory.objects.length,
            "",
          );
          if (nothing.error && flags.output === "table") {
            writeCoverage(ctx, loaded.coverage);
            throw nothing.error;
          }
        },
        analysing: (objects) => progress.update(`analysing ${objects} objects`),
      };
      // JSON and SARIF are written as the findings are read: past a memory budget, they are sorted in runs as the
      // analyzers produce them (a 1M-object snapshot has 1.5M findings) and merged while written. The table and
      // JUnit reports need every finding at hand. The runs go to disk where memory is the target; where time is,
      // they stay in memory: writing a 100k-object scan's 200k findings to disk as JSON and parsing them back was
      // about a sixth of its CPU time (docs/benchmarks.md, Scale).
      const streamed = flags.output === "json" || flags.output === "sarif";
      const runs = !streamed
        ? undefined
        : timeFirst
          ? { ...memoryRunStore(), dispose: () => {} }
          : (await import("../../../adapters/fs/index.js")).diskRunStore();
      try {
        const { report } = runs
          ? await scanStreaming(request, { ...deps, runs }, hooks)
          : await scan(request, deps, hooks);
        progress.done();
        const fmt = await import("../../../core/report/index.js");
        let text: string;
        switch (flags.output) {
          case "json":
            // Streamed: a 100k-object scan is ~200 MB of JSON, which as one string plus its UTF-8 copy was a
            // third of the peak memory.
            await writeChunks(ctx.stdout, fmt.formatJsonChunks(report));
            text = "";
            break;
          case "sarif":
            // Streamed like JSON: as one string, 20k Deployments' SARIF held 2.1 GB (docs/benchmarks.md).
            await writeChunks(ctx.stdout, fmt.formatSarifChunks(report));
            text = "";
            break;
          case "junit":
            // Not streamed (see above): the findings are an array.
            text = fmt.formatJunit(report as ScanReport);
            break;
          default: {
            // picocolors only for colour: importing it reads process.stdout.isTTY, which makes Node's stdout stream
            // (net or the fs stream, and the stream stack): a seventh of a one-file scan's time into a pipe.
            const colors = useColor(ctx)
              ? (await import("picocolors")).default.createColors(true)
              : fmt.PLAIN;
            text = fmt.formatTable(report as ScanReport, colors, { maxPerTeam: 200 });
          }
        }
        if (text !== "") ctx.stdout.write(text);
        if (nothing.error) throw nothing.error;
        let code: number = EXIT.OK;
        if (failOn) {
          const threshold = SEVERITY_RANK[failOn];
          // Active findings in the report, by severity: the same as looking through them.
          const counts = report.summary.bySeverity;
          const failing = SEVERITIES.some((sev) => counts[sev] > 0 && SEVERITY_RANK[sev] >= threshold);
          code = failing ? EXIT.FINDINGS : EXIT.OK;
        }
        ctx.exitCode = completeExit(ctx, code, report.coverage, flags.allowPartial);
      } finally {
        runs?.dispose();
      }
    } finally {
      progress.done();
    }
  });
}
