import { type Finding, refToString } from "../findings/index.js";
import { incompleteText } from "./completeness.js";
import type { ScanReport } from "./model.js";

/** XML 1.0 text escape; also drops characters XML 1.0 cannot carry. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function testcase(f: Finding): string {
  const name = xmlEscape(`${refToString(f.resource)}${f.fieldPath ? ` ${f.fieldPath}` : ""}`);
  const classname = xmlEscape(f.ruleId);
  if (f.suppressed) {
    return `    <testcase classname="${classname}" name="${name}">\n      <skipped message="${xmlEscape(`suppressed by ${f.suppressed.exceptionId}: ${f.suppressed.reason}`)}"/>\n    </testcase>\n`;
  }
  const where = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}\n` : "";
  const body = xmlEscape(
    `${where}${f.message}\n${f.evidence ? `evidence: ${f.evidence}\n` : ""}remediation: ${f.remediation}${f.team ? `\nteam: ${f.team}` : ""}`,
  );
  return `    <testcase classname="${classname}" name="${name}">\n      <failure message="${xmlEscape(f.message)}" type="${f.severity}">${body}</failure>\n    </testcase>\n`;
}

/** JUnit XML: one testsuite per rule, one failing (or skipped, when suppressed) testcase per finding. */
export function formatJunit(report: ScanReport): string {
  const byRule = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byRule.get(f.ruleId) ?? [];
    list.push(f);
    byRule.set(f.ruleId, list);
  }
  const titles = new Map(report.rules.map((r) => [r.id, r.title]));
  const ids = [...byRule.keys()].sort();
  let failures = 0;
  let skipped = 0;
  let suites = "";
  for (const id of ids) {
    const list = byRule.get(id) ?? [];
    const s = list.filter((f) => f.suppressed).length;
    failures += list.length - s;
    skipped += s;
    const title = titles.get(id) ?? list[0]?.title ?? id;
    suites += `  <testsuite name="${xmlEscape(`${id} ${title}`)}" tests="${list.length}" failures="${list.length - s}" skipped="${s}" errors="0">\n`;
    suites += list.map(testcase).join("");
    suites += "  </testsuite>\n";
  }
  // Coverage gaps are reported too (as skipped cases): CI must see what was not evaluated, never a silent pass.
  if (report.coverage.length > 0) {
    suites += `  <testsuite name="coverage: not evaluated" tests="${report.coverage.length}" failures="0" skipped="${report.coverage.length}" errors="0">\n`;
    for (const c of report.coverage) {
      const where = c.location ? `${c.location.file}:${c.location.line}` : (c.subject ?? "");
      suites += `    <testcase classname="coverage.${xmlEscape(c.reason)}" name="${xmlEscape(where || c.reason)}">\n      <skipped message="${xmlEscape(c.message)}"/>\n    </testcase>\n`;
    }
    suites += "  </testsuite>\n";
    skipped += report.coverage.length;
  }
  // An incomplete run fails in CI's eyes too: one failing case that says how many inputs were not evaluated.
  const notEvaluated = report.summary.notEvaluated;
  let errors = 0;
  if (notEvaluated > 0) {
    suites += `  <testsuite name="completeness" tests="1" failures="0" skipped="0" errors="1">\n    <testcase classname="coverage.incomplete" name="incomplete">\n      <error message="${xmlEscape(incompleteText(notEvaluated))}" type="incomplete"/>\n    </testcase>\n  </testsuite>\n`;
    errors = 1;
  }
  const total = failures + skipped + errors;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="palisade" tests="${total}" failures="${failures}" skipped="${skipped}" errors="${errors}">\n${suites}</testsuites>\n`;
}
