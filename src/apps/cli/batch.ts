/**
 * Commands that read their inputs, write their result and exit. Their output goes straight to the file
 * descriptors (stdio.ts, no Node stream unless one is needed) and the process exits as soon as they are done
 * (bin.ts exitIfIdle): both matter to a one-file scan's start-up (docs/benchmarks.md, Start-up), and to `rules` or
 * `pss` about as much (callgrind: 178 -> 170 and 169 -> 158 M instructions). Every other command keeps Node's
 * streams, which queue what a slow reader cannot take yet instead of blocking the event loop (a server or the
 * sensor must keep serving while its log reader stalls; event readers may follow an endless input and deliver
 * alerts meanwhile), and exits the usual way.
 */
const BATCH_COMMANDS: ReadonlySet<string> = new Set(["scan", "rules", "pss", "rbac", "netpol", "versions"]);

/** Whether `argv` (without node and script) runs a batch command. */
export function isBatchCommand(argv: readonly string[]): boolean {
  const first = argv[0];
  return first !== undefined && BATCH_COMMANDS.has(first);
}

/**
 * Whether `argv` runs a server, which keeps serving when the reader of its stdout or stderr goes away (context.ts):
 * `serve`, `sensor` and `admission serve`.
 */
export function isServerCommand(argv: readonly string[]): boolean {
  return argv[0] === "serve" || argv[0] === "sensor" || isWebhookCommand(argv);
}

/** Whether `argv` runs the admission webhook (`admission serve`). */
export function isWebhookCommand(argv: readonly string[]): boolean {
  return argv[0] === "admission" && argv[1] === "serve";
}
