/**
 * Use cases of the vulnerability database: import advisories (`vuln db import`), say what the database holds
 * (`vuln db status`), read advisories behind the one completeness and freshness check (every matcher), and match
 * an SBOM with VEX applied (`vuln scan`). The store comes in through its port (opened by the caller), files
 * through a reader the caller composes, the clock as an argument.
 */
export {
  type AdvisoriesRead,
  advisoryLookup,
  type IncompletePolicy,
  importProblem,
  type OpenVulnStore,
  readAdvisories,
  type VulnDbCheck,
  vulnDbStatus,
  withVulnStore,
} from "./database.js";
export {
  DEFAULT_MAX_BATCH_BYTES,
  type ImportAdvisoriesDeps,
  type ImportResult,
  importAdvisories,
} from "./import.js";
export { type VulnScanDeps, type VulnScanRequest, type VulnScanResult, vulnScan } from "./scan.js";
