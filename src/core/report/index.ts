export { formatJson, formatJsonChunks } from "./json.js";
export { formatJunit, xmlEscape } from "./junit.js";
export type { ScanReport, SeverityCounts } from "./model.js";
export { emptyCounts, REPORT_SCHEMA_VERSION, UNOWNED } from "./model.js";
export { formatSarif, SARIF_LEVEL, SARIF_SECURITY_SEVERITY, sarifLog } from "./sarif.js";
export type { Style } from "./table.js";
export { formatTable, PLAIN } from "./table.js";
