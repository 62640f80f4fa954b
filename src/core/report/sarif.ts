import type { Finding, RuleMeta, Severity } from "../findings/index.js";
import type { ScanReport } from "./model.js";

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

function toUri(file: string): string {
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
                artifactLocation: { uri: toUri(f.location.file) },
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

/**
 * A SARIF 2.1.0 log with one Palisade run: the envelope every SARIF output shares (scan findings, vulnerability
 * findings). Rules, results and notifications are built by the caller.
 */
export function sarifLog(
  toolVersion: string,
  rules: readonly unknown[],
  results: readonly unknown[],
  notifications: readonly unknown[],
): string {
  const log = {
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
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** SARIF 2.1.0 log with one run; results point at file:line:column when the finding came from a file. */
export function formatSarif(report: ScanReport): string {
  const rules = [...report.rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return sarifLog(
    report.tool.version,
    rules.map(ruleDescriptor),
    report.findings.map((f) => result(f, index.get(f.ruleId) ?? -1)),
    report.coverage.map((c) => ({
      // A gap in what was evaluated is a warning; a default assumed where the input had none is a note.
      level: c.reason === "assumed" ? "note" : "warning",
      message: { text: `${c.reason}: ${c.message}` },
      ...(c.location
        ? {
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: toUri(c.location.file) },
                  region: { startLine: Math.max(1, c.location.line) },
                },
              },
            ],
          }
        : {}),
    })),
  );
}
