import type { CoverageEntry } from "../../core/findings/index.js";
import type { CliContext } from "./context.js";

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) for (const [i, c] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  return rows
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Coverage gaps on stderr, one line each, so text outputs never hide what was not evaluated. */
export function writeCoverage(ctx: CliContext, coverage: readonly CoverageEntry[]): void {
  for (const c of coverage) {
    const where = c.location ? `${c.location.file}:${c.location.line}: ` : "";
    ctx.stderr.write(`palisade: warning: ${c.reason}: ${where}${c.message}\n`);
  }
}
