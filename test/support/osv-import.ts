/**
 * An OSV import from paths as `palisade vuln db import` runs it: the store adapter's file reader feeding the
 * vulnerability service's import, into a store the test opened (and closes).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ReadOsvOptions, readOsvPaths, type VulnStore } from "../../src/adapters/store/index.js";
import { bundledDemoDir } from "../../src/apps/server/demo.js";
import {
  type ImportAdvisoriesDeps,
  type ImportResult,
  importAdvisories,
} from "../../src/services/vuln/index.js";

export function importOsvPaths(
  vulns: VulnStore,
  paths: readonly string[],
  opts: Omit<ImportAdvisoriesDeps, "vulns"> & ReadOsvOptions,
): Promise<ImportResult> {
  const { maxFiles, zipLimits, ...deps } = opts;
  return importAdvisories(readOsvPaths(paths, { maxFiles, zipLimits }), { ...deps, vulns });
}

/** The bundled demo's advisory of CVE-2099-0001 under another id and alias: an advisory no store holds yet. */
export function demoAdvisoryAs(id: string, alias: string): Record<string, unknown> {
  const advisory = JSON.parse(
    readFileSync(join(bundledDemoDir(), "advisories", "DEBIAN-CVE-2099-0001.json"), "utf8"),
  ) as Record<string, unknown>;
  return { ...advisory, id, aliases: [alias] };
}
