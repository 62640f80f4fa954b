import type { Finding } from "../findings/index.js";
import type { ScanReport, StreamedScanReport } from "./model.js";

/**
 * JSON report. Key order is fixed by construction and findings are pre-sorted, so the same input gives
 * byte-identical output (no timestamps: the report is a function of the input).
 */
export function formatJson(report: ScanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Findings serialised per chunk by {@link formatJsonChunks}: ~1 MB of text per chunk on typical findings. */
const FINDINGS_PER_CHUNK = 1000;

/**
 * The JSON report as a sequence of chunks whose concatenation is exactly {@link formatJson}'s output, so a
 * large report (170k findings is ~200 MB of text) can be written without holding it, and its UTF-8 copy, in
 * memory at once.
 *
 * Every piece is produced by JSON.stringify itself, wrapped so that its indentation is the one the piece has
 * in the whole document: a top-level member `k` is `JSON.stringify({ k: v }, null, 2)` without its braces,
 * and a run of findings is `JSON.stringify({ findings: run }, null, 2)` without its first two and last two
 * lines. Members whose value JSON omits (undefined) are omitted the same way.
 */
export function* formatJsonChunks(report: StreamedScanReport): Generator<string> {
  const members = Object.keys(report) as (keyof StreamedScanReport)[];
  let first = true;
  let pending = "{\n";
  for (const key of members) {
    if (key !== "findings" || report.findings.length === 0) {
      // An empty stream is written as the empty array it stands for.
      const text = JSON.stringify({ [key]: key === "findings" ? [] : report[key] }, null, 2);
      // "{}": JSON omits the member (an undefined value).
      if (text.length <= 2) continue;
      pending += `${first ? "" : ",\n"}${text.slice(2, -2)}`;
      first = false;
      continue;
    }
    pending += `${first ? "" : ",\n"}  "findings": [\n`;
    first = false;
    let run: Finding[] = [];
    let written = 0;
    // Each run's text is yielded as its own chunk, not appended to what precedes it: a concatenation is a rope
    // that the writer (and the CLI's credential filter) would first copy into one flat string, 1 MB at a time.
    const flush = (): [string, string] => {
      const text = JSON.stringify({ findings: run }, null, 2);
      // Strip `{\n  "findings": [\n` and `\n  ]\n}`: what remains are the elements at their final indentation.
      const body = text.slice(FINDINGS_OPEN.length, -FINDINGS_CLOSE.length);
      const head = `${pending}${written === 0 ? "" : ",\n"}`;
      written += run.length;
      run = [];
      pending = "";
      return [head, body];
    };
    for (const f of report.findings) {
      run.push(f);
      if (run.length >= FINDINGS_PER_CHUNK) yield* flush();
    }
    if (run.length > 0) yield* flush();
    pending += FINDINGS_CLOSE.slice(0, -2);
  }
  yield `${pending}\n}\n`;
}

const FINDINGS_OPEN = '{\n  "findings": [\n';
const FINDINGS_CLOSE = "\n  ]\n}";
