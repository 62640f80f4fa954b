import type { CoverageEntry } from "../../core/findings/index.js";
import type { Sbom } from "../../core/sbom/index.js";
import { appendAll } from "../../core/util/index.js";
import {
  applyVex,
  buildVulnReport,
  DEFAULT_RESOLVER,
  matchPackages,
  packageQueries,
  parseVex,
  type VulnFinding,
  type VulnReport,
} from "../../core/vuln/index.js";
import {
  type AdvisoriesRead,
  type IncompletePolicy,
  type OpenVulnStore,
  readAdvisories,
} from "./database.js";

export interface VulnScanRequest {
  /** What to match: an image's or a directory's SBOM, or an SBOM document read from a file. */
  sbom: Sbom;
  /** Coverage of making the SBOM (an image analysis), reported with the scan's. */
  coverage: readonly CoverageEntry[];
  /** VEX documents applied in order (later statements win), named as the user named them. */
  vex: readonly string[];
  policy: IncompletePolicy;
  /** Palisade's version, for the report. */
  version: string;
}

export interface VulnScanDeps {
  open: OpenVulnStore;
  now: () => Date;
  /** Read and parse one VEX document (JSON) the request names; throws a typed error when it cannot. */
  readVex: (file: string) => Promise<unknown>;
  /** Called once the database is read (store closed), before matching: warnings, freshness coverage and notes. */
  onDatabase?: ((read: AdvisoriesRead) => void) | undefined;
}

export interface VulnScanResult {
  report: VulnReport;
  /** The findings after VEX (also in the report), for the CycloneDX and OpenVEX documents. */
  findings: VulnFinding[];
}

/**
 * `vuln scan`: read the advisories the SBOM's packages need (refusing an incomplete database unless allowed), match,
 * apply the VEX documents in order, and build the report with the database's counts and freshness.
 */
export async function vulnScan(req: VulnScanRequest, deps: VulnScanDeps): Promise<VulnScanResult> {
  const keys = packageQueries(req.sbom).map((q) => q.key);
  const read = await readAdvisories(keys, req.policy, deps);
  deps.onDatabase?.(read);
  const { status, fresh } = read.check;
  const matched = matchPackages(req.sbom, read.byKey, { resolver: DEFAULT_RESOLVER });
  let findings = matched.findings;
  const coverage = [...req.coverage, ...fresh.coverage, ...matched.coverage];
  for (const file of req.vex) {
    const parsed = parseVex(await deps.readVex(file), file);
    appendAll(coverage, parsed.coverage);
    const applied = applyVex(findings, parsed.statements, req.sbom.subject.name);
    findings = applied.findings;
    appendAll(coverage, applied.coverage);
  }
  const report = buildVulnReport(req.sbom, findings, coverage, {
    version: req.version,
    database: {
      advisories: status.advisories,
      newestModified: status.newestModified,
      importedAt: status.importedAt,
      stale: fresh.stale,
    },
  });
  return { report, findings };
}
