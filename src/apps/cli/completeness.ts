import type { Command } from "commander";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { countNotEvaluated, incompleteText } from "../../core/report/index.js";
import type { CliContext } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { type InputOptions, type LoadedInventory, loadInventory } from "./inputs.js";
import { writeCoverage } from "./text.js";

/**
 * The one rule for "was this run complete?", shared by scan, pss, netpol and rbac:
 *  - nothing evaluated (no Kubernetes object, or none of what the command evaluates): exit 2, naming what was
 *    read, and no report that could pass for an all-clear;
 *  - some inputs not evaluated (coverage entries such as parse errors, caps hit, 403s: see
 *    `NOT_EVALUATED_REASONS` in core/report): the report says "incomplete: N inputs not evaluated" and the exit
 *    code is 2 unless --allow-partial, which gives back the code the answer alone would have.
 */
export function addAllowPartialOption(cmd: Command): Command {
  return cmd.option(
    "--allow-partial",
    "exit as if complete when some inputs could not be evaluated (the output still says incomplete)",
  );
}

/** What the inputs were, for messages: `k8s/, more.yaml`, `snapshot cluster.json`, `the cluster of ~/.kube/config`. */
export function describeInputs(opts: InputOptions, paths: readonly string[] = []): string {
  const parts: string[] = [];
  const files = [...paths, ...(opts.file ?? [])].map((f) => (f === "-" ? "standard input" : f));
  if (files.length > 0)
    parts.push(
      files.length > 3 ? `${files.slice(0, 3).join(", ")} and ${files.length - 3} more` : files.join(", "),
    );
  for (const s of opts.snapshot ?? []) parts.push(`snapshot ${s}`);
  if (opts.kubeconfig)
    parts.push(`the cluster of ${opts.kubeconfig}${opts.context ? ` (context ${opts.context})` : ""}`);
  return parts.join(", ") || "no input";
}

/**
 * The error for a run that evaluated nothing, or undefined: `evaluated` is how many things the command evaluates
 * were found (objects for scan, netpol and rbac; workloads for `pss --level`). A live read that answered without
 * a gap is an answer (an empty namespace), not a failure.
 */
export function nothingEvaluated(
  loaded: LoadedInventory,
  source: { opts: InputOptions; paths?: readonly string[] },
  evaluated: number,
  what: string,
): PalisadeError | undefined {
  if (evaluated > 0) return undefined;
  const gaps = countNotEvaluated(loaded.coverage);
  if (source.opts.kubeconfig && gaps === 0 && !source.opts.file?.length && !source.opts.snapshot?.length)
    return undefined;
  const objects = loaded.inventory.objects.length;
  const read =
    objects > 0
      ? `${objects} Kubernetes object${objects === 1 ? "" : "s"} read, none of them ${what}`
      : `no Kubernetes object read (${loaded.files} file${loaded.files === 1 ? "" : "s"} read${gaps > 0 ? `, ${gaps} not evaluated: see the warnings` : ""})`;
  return new PalisadeError(
    "INPUT",
    `nothing evaluated: ${read} from ${describeInputs(source.opts, source.paths)}`,
  );
}

/** Refuse (exit 2) a run that evaluated nothing: its coverage first, so the error comes after the reasons. */
export function requireEvaluated(
  ctx: CliContext,
  loaded: LoadedInventory,
  source: { opts: InputOptions; paths?: readonly string[] },
  evaluated: number,
  what: string,
): void {
  const err = nothingEvaluated(loaded, source, evaluated, what);
  if (!err) return;
  writeCoverage(ctx, loaded.coverage);
  throw err;
}

/**
 * The exit code of a run given the code its answer alone would have: an incomplete run exits 2 (and says so on
 * stderr) unless `allowPartial`. Text outputs also say so in their own summary; this line is for every format.
 */
export function completeExit(
  ctx: CliContext,
  code: number,
  coverage: readonly CoverageEntry[],
  allowPartial: boolean | undefined,
): number {
  const n = countNotEvaluated(coverage);
  if (n === 0) return code;
  ctx.stderr.write(
    `palisade: ${incompleteText(n)}${allowPartial ? " (--allow-partial: exit code as if complete)" : "; exit 2 (--allow-partial to accept a partial result)"}\n`,
  );
  return allowPartial ? code : EXIT.USAGE;
}

/** {@link loadInventory}, refusing (exit 2) an input with no Kubernetes object: what rbac and netpol evaluate. */
export async function loadForEvaluation(
  opts: InputOptions,
  paths: string[],
  ctx: CliContext,
): Promise<LoadedInventory> {
  const loaded = await loadInventory(opts, paths, ctx);
  requireObjects(ctx, loaded, opts, paths);
  return loaded;
}

/** Refuse (exit 2) a loaded input with no Kubernetes object: the check of {@link loadForEvaluation}. */
export function requireObjects(
  ctx: CliContext,
  loaded: LoadedInventory,
  opts: InputOptions,
  paths: readonly string[],
): void {
  requireEvaluated(ctx, loaded, { opts, paths }, loaded.inventory.objects.length, "");
}
