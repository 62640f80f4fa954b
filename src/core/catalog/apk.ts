import type { CatalogedPackage, CatalogResult } from "./model.js";
import { decodeUtf8 } from "./text.js";

/** Whether a path is the apk-tools installed database. */
export function isApkPath(path: string): boolean {
  return path === "lib/apk/db/installed";
}

/**
 * Parse `lib/apk/db/installed`. Format (apk-tools `apk_db_index_read`, wiki "Apk spec"): records separated by
 * blank lines, one `X:value` field per line; P name, V version, A arch, o origin (the source package, which is
 * what Alpine secdb/OSV advisories name), L license. File lists (F/R/a/Z lines) are skipped.
 */
export function parseApkInstalled(data: Uint8Array, path: string, maxRecords = 100_000): CatalogResult {
  const packages: CatalogedPackage[] = [];
  const coverage: CatalogResult["coverage"] = [];
  let fields = new Map<string, string>();
  const flush = () => {
    if (fields.size === 0) return;
    const name = fields.get("P");
    const version = fields.get("V");
    if (!name || !version) {
      coverage.push({
        reason: "parse-error",
        subject: path,
        message: `apk record without ${name ? "V:" : "P:"}${name ? ` (package ${name})` : ""}`,
      });
    } else if (packages.length >= maxRecords) {
      if (!coverage.some((c) => c.reason === "limit"))
        coverage.push({ reason: "limit", subject: path, message: "too many apk records; rest ignored" });
    } else {
      const origin = fields.get("o");
      const pkg: CatalogedPackage = {
        type: "apk",
        name,
        version,
        sourceName: origin || name,
        sourceVersion: version,
        locations: [path],
      };
      const arch = fields.get("A");
      if (arch) pkg.arch = arch;
      const lic = fields.get("L");
      if (lic) pkg.licenses = [lic];
      packages.push(pkg);
    }
    fields = new Map();
  };
  for (const line of decodeUtf8(data).split(/\r?\n/)) {
    if (line.trim() === "") {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ":") continue;
    const key = line[0] as string;
    if (!fields.has(key)) fields.set(key, line.slice(2));
  }
  flush();
  return { packages, coverage };
}
