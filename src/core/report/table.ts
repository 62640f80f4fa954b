import { type Finding, refToString, SEVERITIES, type Severity } from "../findings/index.js";
import { incompleteText } from "./completeness.js";
import { emptyCounts, type ScanReport, UNOWNED } from "./model.js";
import { escapeControls as e, plural } from "./text.js";

/** Colour functions, injected by the app (identity when not on a TTY). */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  magenta(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
}

const id = (s: string) => s;
export const PLAIN: Style = { bold: id, dim: id, red: id, magenta: id, yellow: id, cyan: id, green: id };

function sevLabel(s: Severity, style: Style): string {
  const t = s.toUpperCase().padEnd(8);
  switch (s) {
    case "critical":
      return style.bold(style.magenta(t));
    case "high":
      return style.red(t);
    case "medium":
      return style.yellow(t);
    case "low":
      return style.cyan(t);
    default:
      return style.dim(t);
  }
}

function counts(c: Record<Severity, number>): string {
  const parts = SEVERITIES.filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`);
  return parts.length ? parts.join(", ") : "none";
}

/**
 * Human-readable report grouped by team, then severity, then resource. Suppressed findings are counted in
 * the summary and listed briefly at the end.
 */
export function formatTable(
  report: ScanReport,
  style: Style = PLAIN,
  opts: { maxPerTeam?: number } = {},
): string {
  const out: string[] = [];
  const inv = report.inventory;
  out.push(
    style.bold(
      `Palisade scan: ${plural(inv.objects, "object")}, ${plural(inv.workloads, "workload")} in ${plural(inv.namespaces, "namespace")}${report.framework ? ` (framework ${e(report.framework)})` : ""}`,
    ),
  );
  const notEvaluated = report.summary.notEvaluated;
  // At the top as well as in the summary: a partial report must never read as a complete one.
  if (notEvaluated > 0)
    out.push(style.yellow(`${incompleteText(notEvaluated)} (listed under Coverage below)`));
  const active = report.findings.filter((f) => !f.suppressed);
  const byTeam = new Map<string, Finding[]>();
  for (const f of active) {
    const t = f.team ?? UNOWNED;
    const l = byTeam.get(t) ?? [];
    l.push(f);
    byTeam.set(t, l);
  }
  const teams = [...byTeam.keys()].sort((a, b) =>
    a === UNOWNED ? 1 : b === UNOWNED ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const max = opts.maxPerTeam ?? Number.POSITIVE_INFINITY;
  for (const team of teams) {
    const list = (byTeam.get(team) ?? []).slice().sort((a, b) => {
      const s = SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity);
      if (s) return s;
      const ra = refToString(a.resource);
      const rb = refToString(b.resource);
      return ra < rb ? -1 : ra > rb ? 1 : a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0;
    });
    out.push("");
    out.push(
      style.bold(`Team ${e(team)}`) +
        style.dim(
          ` (${plural(list.length, "finding")}: ${counts(report.summary.byTeam[team] ?? emptyCounts())})`,
        ),
    );
    for (const f of list.slice(0, max)) {
      out.push(`  ${sevLabel(f.severity, style)} ${e(f.ruleId).padEnd(13)} ${e(refToString(f.resource))}`);
      out.push(`           ${e(f.message)}${f.evidence ? style.dim(` [${e(f.evidence)}]`) : ""}`);
      const where = f.location ? `${e(f.location.file)}:${f.location.line}:${f.location.column}` : "";
      if (where || f.fieldPath)
        out.push(
          style.dim(`           ${[where, f.fieldPath && e(f.fieldPath)].filter(Boolean).join("  ")}`),
        );
    }
    if (list.length > max) out.push(style.dim(`  ... ${list.length - max} more (use -o json for all)`));
  }
  const suppressed = report.findings.filter((f) => f.suppressed);
  if (suppressed.length) {
    out.push("");
    out.push(style.bold(`Suppressed (${suppressed.length})`));
    const byExc = new Map<string, number>();
    for (const f of suppressed) {
      const k = e(`${f.suppressed?.exceptionId}: ${f.suppressed?.reason}`);
      byExc.set(k, (byExc.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...byExc.entries()].sort()) out.push(`  ${String(n).padStart(4)}  ${k}`);
  }
  if (report.exceptions.unused.length) {
    out.push("");
    out.push(style.bold(`Exceptions that matched nothing (${report.exceptions.unused.length})`));
    for (const x of report.exceptions.unused) out.push(`  ${e(x.id)}: ${e(x.reason)}`);
  }
  // An "assumed" entry (defaults used where the input had none) is not a gap: it is listed, not counted as one.
  const gaps = report.coverage.filter((c) => c.reason !== "assumed").length;
  if (report.coverage.length) {
    out.push("");
    out.push(
      style.bold(
        `Coverage: ${plural(report.coverage.length, "item")}${
          notEvaluated > 0 || gaps < report.coverage.length
            ? ` (${[
                notEvaluated > 0 ? `${plural(notEvaluated, "input")} not evaluated` : "",
                gaps < report.coverage.length ? `${report.coverage.length - gaps} assumed` : "",
              ]
                .filter(Boolean)
                .join(", ")})`
            : ""
        }`,
      ),
    );
    for (const c of report.coverage) {
      const where = c.location
        ? `${e(c.location.file)}:${c.location.line}: `
        : c.subject
          ? `${e(c.subject)}: `
          : "";
      out.push(`  ${style.yellow(c.reason.padEnd(13))} ${where}${e(c.message)}`);
    }
  }
  const unknown = Object.entries(inv.unknownKinds);
  if (unknown.length) {
    out.push("");
    out.push(
      style.dim(
        `Not analysed (kinds Palisade does not model): ${unknown.map(([k, n]) => `${e(k)} x${n}`).join(", ")}`,
      ),
    );
  }
  out.push("");
  out.push(
    style.bold(
      `Summary: ${plural(report.summary.active, "finding")} (${counts(report.summary.bySeverity)}), ${report.summary.suppressed} suppressed, ${plural(gaps, "coverage gap")}${notEvaluated > 0 ? `; ${incompleteText(notEvaluated)}` : ""}`,
    ),
  );
  return `${out.join("\n")}\n`;
}
