import type { Writable } from "node:stream";
import { closedReaderEnds, lazyOutput } from "./stdio.js";

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

/**
 * The running process as a context. With `directOutput` (batch commands, batch.ts), stdout and stderr are written
 * straight to their descriptors and Node's streams are made on first need only (stdio.ts); otherwise they are
 * Node's streams, and a reader that goes away ends the process quietly, or only drops the output of a `server`
 * (stdio.ts closedReaderEnds).
 */
export function processContext(opts: { directOutput?: boolean; server?: boolean } = {}): CliContext {
  const keepRunning = opts.server === true;
  return {
    stdout: opts.directOutput
      ? lazyOutput(1, () => process.stdout)
      : closedReaderEnds(process.stdout, {
          keepRunning,
          onGone: () => process.stderr.write("palisade: stdout was closed; what would go there is dropped\n"),
        }),
    stderr: opts.directOutput
      ? lazyOutput(2, () => process.stderr)
      : closedReaderEnds(process.stderr, { keepRunning }),
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
