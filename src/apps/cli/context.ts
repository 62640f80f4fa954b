import type { Writable } from "node:stream";

/** What a command needs from its environment; injected so commands are testable in-process. */
export interface CliContext {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Clock, injected for deterministic output. */
  now: () => Date;
  /** Set by a command to report its exit code. */
  exitCode: number;
}

export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // process.stdin is set up on first use (a few milliseconds of a one-file scan): only reading `-` needs it.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    exitCode: 0,
  };
}
