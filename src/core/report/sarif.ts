import type { Finding, RuleMeta, Severity } from "../findings/index.js";
import { incompleteText } from "./completeness.js";
import type { ScanReport, StreamedScanReport } from "./model.js";

/** SARIF result level per severity (SARIF 2.1.0 §3.27.10). */
export const SARIF_LEVEL: Readonly<Record<Severity, "error" | "warning" | "note">> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};

/** GitHub code scanning reads `security-severity` (0.0-10.0) to rank results. */
export const SARIF_SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};

/** A SARIF artifact URI for a file path: relative paths stay relative (to the scanned root), absolute ones are file: URIs. */
export function sarifUri(file: string): string {
  const f = file.replace(/\\/g, "/");
  if (f.startsWith("/")) return `file://${encodeURI(f)}`;
  return encodeURI(f.replace(/^\.\//, ""));
}

function ruleDescriptor(r: RuleMeta) {
  return {
    id: r.id,
    name: r.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : "")),
    shortDescription: { text: r.title },
    fullDescription: { text: r.rationale },
    help: { text: r.remediation, markdown: `**Remediation:** ${r.remediation}` },
    defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
    properties: {
      "security-severity": SARIF_SECURITY_SEVERITY[r.severity],
      tags: ["security", r.category, ...r.compliance.map((c) => `${c.framework}:${c.id}`)],
    },
  };
}

function result(f: Finding, ruleIndex: number) {
  const r: Record<string, unknown> = {
    ruleId: f.ruleId,
    ruleIndex,
    level: SARIF_LEVEL[f.severity],
    message: { text: f.evidence ? `${f.message} (evidence: ${f.evidence})` : f.message },
    locations: [
      {
        ...(f.location
          ? {
              physicalLocation: {
                artifactLocation: { uri: sarifUri(f.location.file) },
                region: {
                  startLine: Math.max(1, f.location.line),
                  startColumn: Math.max(1, f.location.column),
                },
              },
            }
          : {}),
        logicalLocations: [
          {
            name: f.resource.name,
            fullyQualifiedName: `${f.resource.kind}/${f.resource.namespace ? `${f.resource.namespace}/` : ""}${f.resource.name}${f.fieldPath ? `#${f.fieldPath}` : ""}`,
            kind: "resource",
          },
        ],
      },
    ],
    partialFingerprints: { "palisadeFindingId/v1": f.id },
    properties: {
      severity: f.severity,
      ...(f.team ? { team: f.team } : {}),
      ...(f.fieldPath ? { fieldPath: f.fieldPath } : {}),
    },
  };
  if (f.suppressed) {
    r.suppressions = [
      {
        kind: "external",
        status: "accepted",
        justification: `${f.suppressed.source} ${f.suppressed.exceptionId}: ${f.suppressed.reason}`,
      },
    ];
  }
  return r;
}

/** Results serialised per chunk by {@link sarifLogChunks}. */
const RESULTS_PER_CHUNK = 1000;
/** Stands for the results array while the envelope is serialised; JSON escapes NUL, so no value can forge it. */
const RESULTS_MARK = "\u0000palisade-sarif-results\u0000";
/** Indentation of a result inside `{"runs": [{"results": [ ... ]}]}` at JSON.stringify's 2 spaces. */
const RESULT_INDENT = "        ";

/** What a SARIF run says about itself beyond its results. */
export interface SarifRunState {
  /** Inputs that were not evaluated: above 0, the invocation is reported as not (wholly) successful. */
  notEvaluated?: number | undefined;
}

function envelope(
  toolVersion: string,
  rules: readonly unknown[],
  results: unknown,
  notifications: readonly unknown[],
  state: SarifRunState,
) {
  const notEvaluated = state.notEvaluated ?? 0;
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "palisade",
            version: toolVersion,
            informationUri: "https://github.com/palisade-dev/palisade",
            rules,
          },
        },
        results,
        invocations: [
          {
            executionSuccessful: notEvaluated === 0,
            toolExecutionNotifications:
              notEvaluated === 0
                ? notifications
                : [
                    {
                      level: "error",
                      message: { text: `${incompleteText(notEvaluated)} (see the warnings)` },
                    },
                    ...notifications,
                  ],
            ...(notEvaluated === 0 ? {} : { properties: { notEvaluated } }),
          },
        ],
      },
    ],
  };
}

/**
 * A SARIF 2.1.0 log with one Palisade run, as chunks whose concatenation is exactly `JSON.stringify(log, null,
 * 2)`: the envelope every SARIF output shares (scan findings, vulnerability findings). Results are taken from an
 * iterable and serialised a thousand at a time, so a report with 100k results never holds them all as objects
 * and as one string at once (the same approach as the JSON report's formatJsonChunks).
 */
export function* sarifLogChunks(
  toolVersion: string,
  rules: readonly unknown[],
  results: Iterable<unknown>,
  notifications: readonly unknown[],
  state: SarifRunState = {},
): Generator<string> {
  const text = JSON.stringify(envelope(toolVersion, rules, RESULTS_MARK, notifications, state), null, 2);
  const mark = JSON.stringify(RESULTS_MARK);
  const at = text.indexOf(mark);
  const head = text.slice(0, at);
  const tail = `${text.slice(at + mark.length)}\n`;
  let batch: unknown[] = [];
  let any = false;
  const flush = (): string => {
    // Elements of a top-level array are at 2 spaces; re-indent them to their depth in the log. JSON text has no
    // raw newline inside a string, so every newline is a line break of the layout.
    const body = JSON.stringify(batch, null, 2)
      .slice(2, -2)
      .replace(/\n/g, `\n${RESULT_INDENT.slice(2)}`);
    const chunk = `${any ? ",\n" : "[\n"}${RESULT_INDENT.slice(2)}${body}`;
    any = true;
    batch = [];
    return chunk;
  };
  let pending = head;
  for (const r of results) {
    batch.push(r);
    if (batch.length >= RESULTS_PER_CHUNK) {
      yield pending + flush();
      pending = "";
    }
  }
  if (batch.length > 0) pending += flush();
  yield `${pending}${any ? `\n${RESULT_INDENT.slice(2)}]` : "[]"}${tail}`;
}

/** {@link sarifLogChunks} as one string (small outputs: vulnerability reports of one image). */
export function sarifLog(
  toolVersion: string,
  rules: readonly unknown[],
  results: readonly unknown[],
  notifications: readonly unknown[],
  state: SarifRunState = {},
): string {
  return [...sarifLogChunks(toolVersion, rules, results, notifications, state)].join("");
}

function* mapIter<T, U>(xs: Iterable<T>, f: (x: T) => U): Generator<U> {
  for (const x of xs) yield f(x);
}

/**
 * SARIF 2.1.0 log with one run, in chunks; results point at file:line:column when the finding came from a file.
 * An incomplete run (inputs not evaluated) says so in its invocation.
 */
export function formatSarifChunks(report: StreamedScanReport): Generator<string> {
  const rules = [...report.rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return sarifLogChunks(
    report.tool.version,
    rules.map(ruleDescriptor),
    mapIter(report.findings, (f) => result(f, index.get(f.ruleId) ?? -1)),
    report.coverage.map((c) => ({
      // A gap in what was evaluated is a warning; a default assumed where the input had none is a note.
      level: c.reason === "assumed" ? "note" : "warning",
      message: { text: `${c.reason}: ${c.message}` },
      ...(c.location
        ? {
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: sarifUri(c.location.file) },
                  region: { startLine: Math.max(1, c.location.line) },
                },
              },
            ],
          }
        : {}),
    })),
    { notEvaluated: report.summary.notEvaluated },
  );
}

/** {@link formatSarifChunks} as one string. */
export function formatSarif(report: ScanReport): string {
  return [...formatSarifChunks(report)].join("");
}
