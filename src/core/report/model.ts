import type { CoverageEntry, Finding, RuleMeta, Severity } from "../findings/index.js";

/** Version of the JSON report schema (docs/report-schema.md). Bump the major on breaking changes. */
export const REPORT_SCHEMA_VERSION = "palisade.dev/scan-report/v1";

export type SeverityCounts = Record<Severity, number>;

/** The result of `palisade scan`, the input of every formatter. */
export interface ScanReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: "palisade"; version: string };
  /** Compliance framework the findings were filtered to, if any. */
  framework?: string | undefined;
  inventory: {
    files: number;
    objects: number;
    namespaces: number;
    workloads: number;
    /** Objects of kinds Palisade does not model, by `apiVersion/kind`. */
    unknownKinds: Record<string, number>;
  };
  summary: {
    /** Findings not suppressed. */
    active: number;
    suppressed: number;
    /** Active findings by severity. */
    bySeverity: SeverityCounts;
    /** Active findings by owning team ("(unowned)" when none). */
    byTeam: Record<string, SeverityCounts>;
    /**
     * Coverage entries meaning an input was not evaluated (parse errors, caps hit, forbidden kinds...): 0 when
     * the run is complete. Above 0 the report is incomplete and `palisade scan` exits 2 unless --allow-partial.
     */
    notEvaluated: number;
  };
  /** Every finding, sorted; suppressed ones carry `suppressed`. */
  findings: Finding[];
  coverage: CoverageEntry[];
  exceptions: {
    /** Exceptions that matched nothing (exception audit). */
    unused: { id: string; reason: string; owner?: string | undefined }[];
    /** Findings suppressed per exception id. */
    matched: Record<string, number>;
  };
  /** Catalogue entries for the rules that appear in findings (for SARIF and docs). */
  rules: RuleMeta[];
}

/**
 * Sorted findings read in order, their number known up front: an array, or a large scan's findings merged from
 * disk as they are written out (read once).
 */
export interface FindingStream extends Iterable<Finding> {
  readonly length: number;
}

/** A {@link ScanReport} whose findings may be a {@link FindingStream}: what the streaming formatters take. */
export type StreamedScanReport = Omit<ScanReport, "findings"> & { findings: FindingStream };

export const UNOWNED = "(unowned)";

export function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}
