import type { ScanReport } from "./model.js";

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
export function* formatJsonChunks(report: ScanReport): Generator<string> {
  const members = Object.keys(report) as (keyof ScanReport)[];
  let first = true;
  let pending = "{\n";
  for (const key of members) {
    if (key !== "findings" || report.findings.length === 0) {
      const text = JSON.stringify({ [key]: report[key] }, null, 2);
      // "{}": JSON omits the member (an undefined value).
      if (text.length <= 2) continue;
      pending += `${first ? "" : ",\n"}${text.slice(2, -2)}`;
      first = false;
      continue;
    }
    pending += `${first ? "" : ",\n"}  "findings": [\n`;
    first = false;
    const findings = report.findings;
    for (let i = 0; i < findings.length; i += FINDINGS_PER_CHUNK) {
      const run = findings.slice(i, i + FINDINGS_PER_CHUNK);
      const text = JSON.stringify({ findings: run }, null, 2);
      // Strip `{\n  "findings": [\n` and `\n  ]\n}`: what remains are the elements at their final indentation.
      const body = text.slice(FINDINGS_OPEN.length, -FINDINGS_CLOSE.length);
      yield `${pending}${i === 0 ? "" : ",\n"}${body}`;
      pending = "";
    }
    pending += FINDINGS_CLOSE.slice(0, -2);
  }
  yield `${pending}\n}\n`;
}

const FINDINGS_OPEN = '{\n  "findings": [\n';
const FINDINGS_CLOSE = "\n  ]\n}";
