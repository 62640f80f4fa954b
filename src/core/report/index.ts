export { countNotEvaluated, incompleteText, NOT_EVALUATED_REASONS } from "./completeness.js";
export { formatJson, formatJsonChunks } from "./json.js";
export { formatJunit, xmlEscape } from "./junit.js";
export type { FindingStream, ScanReport, SeverityCounts, StreamedScanReport } from "./model.js";
export { emptyCounts, REPORT_SCHEMA_VERSION, UNOWNED } from "./model.js";
export {
  formatSarif,
  formatSarifChunks,
  SARIF_LEVEL,
  SARIF_SECURITY_SEVERITY,
  type SarifRunState,
  sarifLog,
  sarifLogChunks,
  sarifUri,
} from "./sarif.js";
export type { Style } from "./table.js";
export { formatTable, PLAIN } from "./table.js";
export { escapeControls, plural } from "./text.js";
