import { Readable, Writable } from "node:stream";
import type { CliContext } from "../../src/apps/cli/context.js";
import { run } from "../../src/apps/cli/program.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process with captured output, an optional stdin text and a fixed clock. */
export async function runCli(
  argv: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; now?: Date; cwd?: string } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const ctx: CliContext = {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    stdin: opts.stdin !== undefined ? Readable.from([opts.stdin]) : Readable.from([]),
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    now: () => opts.now ?? new Date("2026-11-23T12:00:00Z"),
    exitCode: 0,
  };
  const code = await run(argv, ctx);
  return { code, stdout, stderr };
}
