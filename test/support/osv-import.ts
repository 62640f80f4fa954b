/**
 * An OSV import from paths as `palisade vuln db import` runs it: the store adapter's file reader feeding the
 * vulnerability service's import, into a store the test opened (and closes).
 */
import { type ReadOsvOptions, readOsvPaths, type VulnStore } from "../../src/adapters/store/index.js";
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
