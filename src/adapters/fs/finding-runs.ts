import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Finding } from "../../core/findings/index.js";
import type { FindingRunStore } from "../../core/scan/index.js";

/**
 * Loaded on first use: this module is part of every scan's code (adapters/fs), its store only of large ones, and
 * node:os and node:string_decoder are not otherwise loaded by a one-file scan (docs/benchmarks.md, Start-up).
 */
const nodeOs = (): typeof import("node:os") => process.getBuiltinModule("node:os");
const nodeStringDecoder = (): typeof import("node:string_decoder") =>
  process.getBuiltinModule("node:string_decoder");

/** Bytes read at a time from one run while runs are merged (100 runs: 12.5 MiB). */
const READ_CHUNK = 128 * 1024;

/**
 * Characters of a run written at a time. A run is about 64 MiB of findings; as one text (and its UTF-8 copy) it
 * added twice that to the peak memory of the analysis.
 */
const WRITE_CHUNK = 1024 * 1024;

/**
 * Runs of sorted findings kept in files of a private temporary directory while a large scan's report is written
 * (core/scan runScanStreaming): one JSON text per finding and line (JSON text has no raw line break, and
 * JSON.stringify of the parsed finding is the text the report would have written). `dispose` removes the
 * directory; call it when the report is written, also on failure.
 */
export function diskRunStore(parent = nodeOs().tmpdir()): FindingRunStore & { dispose(): void } {
  let dir: string | undefined;
  let runs = 0;
  const pathOf = (i: number) => join(dir as string, `run-${i}.jsonl`);
  return {
    write(run) {
      dir ??= mkdtempSync(join(parent, "palisade-findings-"));
      const fd = openSync(pathOf(runs), "w", 0o600);
      try {
        let text = "";
        for (const f of run) {
          text += `${JSON.stringify(f)}\n`;
          if (text.length >= WRITE_CHUNK) {
            writeAll(fd, text);
            text = "";
          }
        }
        if (text !== "") writeAll(fd, text);
      } finally {
        closeSync(fd);
      }
      runs++;
    },
    read(i) {
      if (i < 0 || i >= runs) return [];
      return { [Symbol.iterator]: () => readRun(pathOf(i)) };
    },
    dispose() {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
      runs = 0;
    },
  };
}

/** Write all of `text` (writeSync may write part of a buffer). */
function writeAll(fd: number, text: string): void {
  const b = Buffer.from(text, "utf8");
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
}

function* readRun(path: string): Generator<Finding> {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    const decoder = new (nodeStringDecoder().StringDecoder)("utf8");
    let rest = "";
    for (;;) {
      const n = readSync(fd, buf, 0, READ_CHUNK, null);
      if (n === 0) break;
      const text = rest + decoder.write(buf.subarray(0, n));
      let from = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", from)) {
        yield JSON.parse(text.slice(from, nl)) as Finding;
        from = nl + 1;
      }
      rest = text.slice(from);
    }
    rest += decoder.end();
    if (rest !== "") yield JSON.parse(rest) as Finding;
  } finally {
    closeSync(fd);
  }
}
