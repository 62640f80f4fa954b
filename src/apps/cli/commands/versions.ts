import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

const symbol = (c: number): string => (c < 0 ? "<" : c > 0 ? ">" : "=");

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  stream.setEncoding?.("utf8");
  for await (const chunk of stream) text += typeof chunk === "string" ? chunk : String(chunk);
  return text;
}

/**
 * `palisade versions compare --ecosystem NAME [A B]`: prints `<`, `=` or `>`. Without A and B it reads one
 * whitespace-separated pair per line from stdin and prints one result per line; a bad line prints
 * `error: <message>` in its place, is reported on stderr with its line number, and makes the exit code 2.
 */
export function register(program: Command, ctx: CliContext): void {
  const versions = program.command("versions").description("Exact version ordering per ecosystem");
  versions
    .command("compare")
    .description("Compare two versions (or pairs from stdin, one per line) and print <, = or >")
    .requiredOption(
      "-e, --ecosystem <name>",
      "OSV ecosystem name, e.g. Debian:12, Alpine, PyPI, Maven, npm, Go",
    )
    .argument("[a]", "first version")
    .argument("[b]", "second version")
    .action(async (a: string | undefined, b: string | undefined, flags: { ecosystem: string }) => {
      const { knownEcosystems, schemeFor } = await import("../../../core/versions/index.js");
      const scheme = schemeFor(flags.ecosystem);
      if (scheme === undefined)
        throw new PalisadeError(
          "USAGE",
          `unknown ecosystem "${flags.ecosystem}" (known: ${knownEcosystems().join(", ")})`,
        );
      if (a !== undefined && b === undefined)
        throw new PalisadeError("USAGE", "give two versions, or none to read stdin");
      if (a !== undefined && b !== undefined) {
        try {
          ctx.stdout.write(`${symbol(scheme.compare(a, b))}\n`);
        } catch (e) {
          ctx.stderr.write(`palisade: ${e instanceof Error ? e.message : String(e)}\n`);
          ctx.exitCode = EXIT.USAGE;
        }
        return;
      }
      const lines = (await readAll(ctx.stdin)).split("\n");
      // A final newline does not start another pair.
      if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
      const out: string[] = [];
      let failed = 0;
      for (const [i, raw] of lines.entries()) {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        const parts = line.trim().split(/\s+/);
        try {
          if (parts.length !== 2 || parts[0] === "")
            throw new PalisadeError(
              "INPUT",
              `expected two versions separated by white space, got ${parts[0] === "" ? 0 : parts.length}`,
            );
          out.push(symbol(scheme.compare(parts[0]!, parts[1]!)));
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          out.push(`error: ${message}`);
          ctx.stderr.write(`palisade: stdin:${i + 1}: ${message}\n`);
          failed++;
        }
      }
      if (out.length > 0) ctx.stdout.write(`${out.join("\n")}\n`);
      if (failed > 0) ctx.exitCode = EXIT.USAGE;
    });
}
