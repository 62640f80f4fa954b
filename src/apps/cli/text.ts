import type { Writable } from "node:stream";
import type { CoverageEntry } from "../../core/findings/index.js";
import { escapeControls } from "../../core/report/index.js";
import type { CliContext } from "./context.js";

/**
 * Colour on stdout: never when NO_COLOR is set and not empty (no-color.org), else when FORCE_COLOR is set to
 * anything but "0" or "false", else only when stdout is a terminal (never into a pipe or file).
 */
export function useColor(ctx: CliContext): boolean {
  if (ctx.env.NO_COLOR) return false;
  const force = ctx.env.FORCE_COLOR;
  if (force !== undefined && force !== "0" && force !== "false") return true;
  return Boolean(ctx.stdout.isTTY);
}

/**
 * Write a text document (tables, trees, lists: anything not JSON/XML) to stdout with every control character
 * taken from input made visible (`\x1b`): object names, messages and file names cannot drive the terminal. Its
 * own line breaks stay. Coloured text is escaped field by field by its formatter instead (core/report table).
 */
export function writeText(ctx: CliContext, text: string): void {
  ctx.stdout.write(escapeControls(text, true));
}

/** Left-aligned columns separated by two spaces; the last column is not padded. Cells are escaped. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => row.map((c) => escapeControls(c)));
  const widths: number[] = [];
  for (const row of cells) for (const [i, c] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  return cells
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/**
 * What a coverage line is about: `file:line` when the entry has a source location, else its subject (an image
 * path, an advisory file, a namespace) unless the message already names it.
 */
function coverageWhere(c: CoverageEntry): string {
  if (c.location) return `${c.location.file}:${c.location.line}: `;
  if (c.subject && !c.message.includes(c.subject)) return `${c.subject}: `;
  return "";
}

/**
 * The one way every command prints coverage: on stderr, one line each, `palisade: warning: REASON: WHERE: MESSAGE`,
 * so text outputs never hide what was not evaluated (JSON outputs carry it in the document instead). Coverage
 * never changes the exit code by itself: `completeExit` decides that.
 */
export function writeCoverage(ctx: CliContext, coverage: readonly CoverageEntry[]): void {
  for (const c of coverage)
    ctx.stderr.write(
      `palisade: warning: ${c.reason}: ${escapeControls(`${coverageWhere(c)}${c.message}`)}\n`,
    );
}

/** Something the user should know that is neither a problem nor a gap (future-dated records not counted). */
export function writeNote(ctx: CliContext, message: string): void {
  ctx.stderr.write(`palisade: note: ${escapeControls(message)}\n`);
}

/** A warning that is not a coverage entry (an unfinished import, a refused option), written as coverage is. */
export function writeWarning(ctx: CliContext, message: string): void {
  ctx.stderr.write(`palisade: warning: ${escapeControls(message)}\n`);
}

/**
 * Write chunks in order, waiting for "drain" when the stream buffers (a slow pipe), so memory stays bounded.
 * Stops when the reader goes away (EPIPE on `palisade scan | head`): the stream reports "error" or "close".
 */
export async function writeChunks(out: Writable, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (out.destroyed) return;
    if (out.write(chunk)) continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        out.off("drain", done);
        out.off("close", done);
        out.off("error", done);
        resolve();
      };
      out.on("drain", done);
      out.on("close", done);
      out.on("error", done);
    });
  }
}
