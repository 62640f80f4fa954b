/** Vulnerability report and its formatters (table, JSON, SARIF 2.1.0, CycloneDX with vulnerabilities). Pure. */
import { type CoverageEntry, cmp, SEVERITIES, SEVERITY_RANK, type Severity } from "../findings/index.js";
import { SARIF_LEVEL, SARIF_SECURITY_SEVERITY, sarifLog, sarifUri } from "../report/index.js";
import type { Sbom } from "../sbom/index.js";
import { toCycloneDx } from "../sbom/index.js";
import { maxOf, stableStringify } from "../util/index.js";
import type { VulnFinding } from "./match.js";

export const VULN_REPORT_SCHEMA = "palisade.dev/vuln-report/v1";

export interface VulnReport {
  schemaVersion: typeof VULN_REPORT_SCHEMA;
  tool: { name: "palisade"; version: string };
  subject: Sbom["subject"];
  os?: Sbom["os"];
  packages: number;
  database: {
    advisories: number;
    newestModified?: string | undefined;
    importedAt?: string | undefined;
    stale: boolean;
  };
  summary: { active: number; suppressed: number; fixable: number; bySeverity: Record<Severity, number> };
  /**
   * Per lockfile or manifest (packages declared at a line of a file), sorted by path: how many packages it
   * declares and how many active findings they have. Absent when no package came from such a file.
   */
  files?: { file: string; packages: number; vulnerabilities: number }[] | undefined;
  findings: VulnFinding[];
  coverage: CoverageEntry[];
}

export function buildVulnReport(
  sbom: Sbom,
  findings: VulnFinding[],
  coverage: CoverageEntry[],
  meta: { version: string; database: VulnReport["database"] },
): VulnReport {
  const bySeverity = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  let active = 0;
  let fixable = 0;
  for (const f of findings) {
    if (f.suppressed) continue;
    active++;
    bySeverity[f.severity]++;
    if (f.fixedVersions.length > 0) fixable++;
  }
  const r: VulnReport = {
    schemaVersion: VULN_REPORT_SCHEMA,
    tool: { name: "palisade", version: meta.version },
    subject: sbom.subject,
    packages: sbom.packages.length,
    database: meta.database,
    summary: { active, suppressed: findings.length - active, fixable, bySeverity },
    findings,
    coverage,
  };
  if (sbom.os) r.os = sbom.os;
  const files = lockfileCounts(sbom, findings);
  if (files.length > 0) r.files = files;
  return r;
}

/** Packages and active findings per declaring file (packages that carry a line). */
function lockfileCounts(sbom: Sbom, findings: readonly VulnFinding[]): NonNullable<VulnReport["files"]> {
  const by = new Map<string, { file: string; packages: number; vulnerabilities: number }>();
  for (const p of sbom.packages) {
    const file = p.locations[0];
    if (p.line === undefined || file === undefined) continue;
    const e = by.get(file) ?? { file, packages: 0, vulnerabilities: 0 };
    e.packages++;
    by.set(file, e);
  }
  for (const f of findings) {
    const e = f.location && !f.suppressed ? by.get(f.location.file) : undefined;
    if (e) e.vulnerabilities++;
  }
  return [...by.values()].sort((a, b) => cmp(a.file, b.file));
}

/** Whether any active finding is at or above `threshold` (for --fail-on). */
export function failsAt(report: VulnReport, threshold: Severity): boolean {
  return report.findings.some((f) => !f.suppressed && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]);
}

export function formatVulnJson(report: VulnReport): string {
  return `${stableStringify(report)}\n`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** Human table: one line per finding, most severe first, suppressed ones listed after. */
export function formatVulnTable(report: VulnReport): string {
  const out: string[] = [];
  const os = report.os ? ` (${report.os.id}${report.os.versionId ? ` ${report.os.versionId}` : ""})` : "";
  out.push(`Palisade vulnerability scan: ${report.subject.name}${os}, ${report.packages} packages`);
  const s = report.summary;
  out.push(
    `${s.active} vulnerabilities (${SEVERITIES.map((v) => `${v} ${s.bySeverity[v]}`).join(", ")}), ${s.fixable} fixable, ${s.suppressed} suppressed`,
  );
  const order = (a: VulnFinding, b: VulnFinding) =>
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    cmp(a.package.name, b.package.name) ||
    cmp(a.vulnerabilityId, b.vulnerabilityId);
  const rows = [...report.findings].sort(
    (a, b) => Number(!!a.suppressed) - Number(!!b.suppressed) || order(a, b),
  );
  if (report.files) {
    out.push("");
    out.push(`Lockfiles and manifests (${report.files.length}):`);
    for (const f of report.files)
      out.push(
        `  ${f.file}: ${f.packages} ${f.packages === 1 ? "package" : "packages"}, ${f.vulnerabilities} ${f.vulnerabilities === 1 ? "vulnerability" : "vulnerabilities"}`,
      );
  }
  // Findings from lockfiles say where: the file and line of the package's entry.
  const located = rows.some((f) => f.location);
  if (rows.length > 0) {
    const head = ["SEVERITY", "VULNERABILITY", "PACKAGE", "INSTALLED", "FIX", "NOTE"];
    if (located) head.push("LOCATION");
    const cells = rows.map((f) => [
      f.severity.toUpperCase(),
      f.vulnerabilityId,
      f.package.name,
      f.installed,
      f.fixedVersions.length ? (f.fixedVersions[f.fixedVersions.length - 1] ?? "") : "-",
      f.suppressed
        ? `suppressed (vex: ${f.suppressed.reason})`
        : f.vex
          ? `vex: ${f.vex.status}`
          : f.cvss
            ? `CVSS ${f.cvss.version} ${f.cvss.score}`
            : "",
      ...(located ? [f.location ? `${f.location.file}:${f.location.line}` : "-"] : []),
    ]);
    const widths = head.map((h, i) =>
      Math.min(
        48,
        maxOf(
          h.length,
          cells.map((c) => (c[i] ?? "").length),
        ),
      ),
    );
    out.push("");
    out.push(
      head
        .map((h, i) => pad(h, widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    );
    for (const c of cells)
      out.push(
        c
          .map((x, i) => pad(x, widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
      );
  }
  if (report.coverage.length > 0) {
    out.push("");
    out.push(`Not evaluated (${report.coverage.length}):`);
    for (const c of report.coverage)
      out.push(`  ${c.reason}: ${c.subject ? `${c.subject}: ` : ""}${c.message}`);
  }
  return `${out.join("\n")}\n`;
}

/** SARIF 2.1.0: one rule per vulnerability id, one result per finding; VEX suppressions become SARIF suppressions. */
export function formatVulnSarif(report: VulnReport): string {
  const rules = new Map<string, VulnFinding>();
  for (const f of report.findings) if (!rules.has(f.vulnerabilityId)) rules.set(f.vulnerabilityId, f);
  const ruleIds = [...rules.keys()].sort(cmp);
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  return sarifLog(
    report.tool.version,
    ruleIds.map((id) => {
      const f = rules.get(id) as VulnFinding;
      return {
        id,
        shortDescription: { text: f.summary ?? id },
        help: { text: f.remediation },
        properties: {
          "security-severity": f.cvss ? f.cvss.score.toFixed(1) : SARIF_SECURITY_SEVERITY[f.severity],
          tags: ["security", "vulnerability", ...f.aliases],
        },
      };
    }),
    report.findings.map((f) => ({
      ruleId: f.vulnerabilityId,
      ruleIndex: index.get(f.vulnerabilityId) ?? -1,
      level: SARIF_LEVEL[f.severity],
      message: { text: `${f.message}. ${f.remediation}` },
      locations: [
        {
          ...(f.location
            ? {
                physicalLocation: {
                  artifactLocation: { uri: sarifUri(f.location.file) },
                  region: { startLine: Math.max(1, f.location.line) },
                },
              }
            : {}),
          logicalLocations: [
            {
              name: f.package.name,
              fullyQualifiedName: f.package.purl || `${f.package.name}@${f.installed}`,
              kind: "package",
            },
          ],
        },
      ],
      partialFingerprints: { "palisadeFindingId/v1": f.id },
      properties: {
        severity: f.severity,
        installed: f.installed,
        fixedVersions: f.fixedVersions,
        ...(f.layerDiffId ? { layerDiffId: f.layerDiffId } : {}),
      },
      ...(f.suppressed
        ? { suppressions: [{ kind: "external", status: "accepted", justification: f.suppressed.reason }] }
        : {}),
    })),
    report.coverage.map((c) => ({
      level: "warning",
      message: { text: `${c.reason}: ${c.subject ? `${c.subject}: ` : ""}${c.message}` },
    })),
  );
}

const CDX_STATE: Record<string, string> = {
  not_affected: "not_affected",
  affected: "exploitable",
  fixed: "resolved",
  under_investigation: "in_triage",
};

/** CycloneDX 1.6 BOM of the SBOM with a `vulnerabilities` section (ratings, affects, VEX analysis). */
export function toCycloneDxWithVulnerabilities(
  sbom: Sbom,
  findings: readonly VulnFinding[],
  now: Date,
  version: string,
): Record<string, unknown> {
  const bom = toCycloneDx(sbom, { now, toolVersion: version });
  const vulns = new Map<string, { f: VulnFinding; refs: Set<string> }>();
  for (const f of findings) {
    const v = vulns.get(f.vulnerabilityId) ?? { f, refs: new Set<string>() };
    v.refs.add(f.package.purl || `${f.package.type}:${f.package.name}@${f.installed}`);
    vulns.set(f.vulnerabilityId, v);
  }
  bom.vulnerabilities = [...vulns.keys()].sort(cmp).map((id) => {
    const { f, refs } = vulns.get(id) as { f: VulnFinding; refs: Set<string> };
    const v: Record<string, unknown> = {
      id,
      ...(f.aliases.length
        ? { references: f.aliases.map((a) => ({ id: a, source: { name: a.split("-")[0] } })) }
        : {}),
      ratings: f.cvss
        ? [
            {
              score: f.cvss.score,
              severity: f.severity,
              method: f.cvss.version === "4.0" ? "CVSSv4" : f.cvss.version === "3.1" ? "CVSSv31" : "CVSSv3",
              vector: f.cvss.vector,
            },
          ]
        : [{ severity: f.severitySource === "unknown" ? "unknown" : f.severity }],
      ...(f.summary ? { description: f.summary } : {}),
      recommendation: f.remediation,
      affects: [...refs].sort(cmp).map((ref) => ({ ref })),
    };
    if (f.vex)
      v.analysis = {
        state: CDX_STATE[f.vex.status],
        ...(f.vex.justification ? { justification: f.vex.justification } : {}),
        ...(f.vex.detail ? { detail: f.vex.detail } : {}),
      };
    return v;
  });
  return bom;
}
