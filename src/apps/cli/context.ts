import type { Writable } from "node:stream";
import { lazyOutput } from "./stdio.js";

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
    // Node's stream for each is made on first need only (stdio.ts): a one-file scan writes without one.
    stdout: lazyOutput(1, () => process.stdout),
    stderr: lazyOutput(2, () => process.stderr),
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
