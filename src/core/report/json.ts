import type { ScanReport } from "./model.js";

/**
 * JSON report. Key order is fixed by construction and findings are pre-sorted, so the same input gives
 * byte-identical output (no timestamps: the report is a function of the input).
 */
export function formatJson(report: ScanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
