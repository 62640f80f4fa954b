export type Crc32 = (data: Uint8Array) => number;

/**
 * zlib's CRC-32. On Node 20 it is taken from Node's native zlib binding, which node:zlib's own `crc32` calls: the
 * module node:zlib would also load Node's whole stream stack, which a one-file scan otherwise never needs (about
 * 8 M instructions, docs/benchmarks.md, Start-up). `process.binding` is deprecated (DEP0111): on Node 20 it warns
 * only under --pending-deprecation, so then, on other Node versions, or when the binding has no `crc32`, the
 * module's. Both give the same value (crc32.test.ts).
 */
export function findCrc32(
  proc: Pick<NodeJS.Process, "execArgv" | "env" | "versions"> & {
    binding?: (name: string) => unknown;
  } = process,
): Crc32 | undefined {
  // Node accepts the option with `-` or `_`, on the command line or in NODE_OPTIONS, and the variable as "1…".
  const pending =
    proc.execArgv.some((a) => /^--pending[-_]deprecation(=|$)/.test(a)) ||
    /(^|\s)--pending[-_]deprecation(\s|=|$)/.test(proc.env.NODE_OPTIONS ?? "") ||
    (proc.env.NODE_PENDING_DEPRECATION ?? "").startsWith("1");
  if (!pending && proc.versions.node.startsWith("20.")) {
    try {
      const native = (proc.binding?.("zlib") as { crc32?: (data: Uint8Array, value: number) => number })
        ?.crc32;
      if (typeof native === "function") return (data) => native(data, 0);
    } catch {
      // No such binding here: the module's.
    }
  }
  return (process.getBuiltinModule("node:zlib") as { crc32?: Crc32 }).crc32;
}
