import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { Finding } from "../../core/findings/index.js";
import type { FindingRunStore } from "../../core/scan/index.js";

/** Bytes read at a time from one run while runs are merged (100 runs: 12.5 MiB). */
const READ_CHUNK = 128 * 1024;

/**
 * Runs of sorted findings kept in files of a private temporary directory while a large scan's report is written
 * (core/scan runScanStreaming): one JSON text per finding and line (JSON text has no raw line break, and
 * JSON.stringify of the parsed finding is the text the report would have written). `dispose` removes the
 * directory; call it when the report is written, also on failure.
 */
export function diskRunStore(parent = tmpdir()): FindingRunStore & { dispose(): void } {
  let dir: string | undefined;
  let runs = 0;
  const pathOf = (i: number) => join(dir as string, `run-${i}.jsonl`);
  return {
    write(run) {
      dir ??= mkdtempSync(join(parent, "palisade-findings-"));
      let text = "";
      for (const f of run) text += `${JSON.stringify(f)}\n`;
      writeFileSync(pathOf(runs), text, { mode: 0o600 });
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

function* readRun(path: string): Generator<Finding> {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    const decoder = new StringDecoder("utf8");
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
