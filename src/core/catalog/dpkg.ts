import type { CatalogedPackage, CatalogResult } from "./model.js";
import { decodeUtf8, parseStanzas } from "./text.js";

/**
 * dpkg status values under which a package's files are on disk. dpkg(1) "INFORMATION ABOUT PACKAGES": the
 * third word of `Status:` is one of not-installed, config-files, half-installed, unpacked, half-configured,
 * triggers-awaited, triggers-pending, installed. `not-installed` and `config-files` leave no (or only conffile)
 * content, `half-installed` is an interrupted unpack; the rest have the package's files present.
 */
const PRESENT_STATES: ReadonlySet<string> = new Set([
  "installed",
  "unpacked",
  "half-configured",
  "triggers-awaited",
  "triggers-pending",
]);

/** Whether a path is a dpkg database: the status file, or the distroless `status.d/` one-file-per-package form. */
export function isDpkgPath(path: string): boolean {
  if (path === "var/lib/dpkg/status") return true;
  if (!path.startsWith("var/lib/dpkg/status.d/")) return false;
  const name = path.slice("var/lib/dpkg/status.d/".length);
  // distroless also ships `<pkg>.md5sums` next to each stanza file; those are not package records.
  return name !== "" && !name.includes("/") && !name.endsWith(".md5sums");
}

/**
 * Parse a dpkg status file (or one `status.d` file). Debian Policy 5.6.1: `Source:` may carry the source
 * version in parentheses when it differs from the binary version; when `Source:` is absent the source package
 * has the binary package's name. We always fill sourceName/sourceVersion so that matching Debian advisories
 * (which name source packages) never has to guess.
 */
export function parseDpkgStatus(data: Uint8Array, path: string): CatalogResult {
  const { stanzas, truncated } = parseStanzas(decodeUtf8(data));
  const packages: CatalogedPackage[] = [];
  const coverage: CatalogResult["coverage"] = [];
  if (truncated) coverage.push({ reason: "limit", subject: path, message: "too many stanzas; rest ignored" });
  for (const s of stanzas) {
    const name = s.get("Package");
    const version = s.get("Version");
    if (!name || !version) {
      coverage.push({
        reason: "parse-error",
        subject: path,
        message: `dpkg stanza without ${name ? "Version" : "Package"}${name ? ` (package ${name})` : ""}`,
      });
      continue;
    }
    const status = s.get("Status");
    if (status !== undefined) {
      const state = status.split(/\s+/)[2] ?? "";
      if (!PRESENT_STATES.has(state)) continue;
    }
    let sourceName = name;
    let sourceVersion = version;
    const source = s.get("Source");
    if (source) {
      const m = /^(\S+)(?:\s*\(([^)]+)\))?/.exec(source);
      if (m?.[1]) {
        sourceName = m[1];
        if (m[2]) sourceVersion = m[2].trim();
      }
    }
    const pkg: CatalogedPackage = {
      type: "deb",
      name,
      version,
      sourceName,
      sourceVersion,
      locations: [path],
    };
    const arch = s.get("Architecture");
    if (arch) pkg.arch = arch;
    packages.push(pkg);
  }
  return { packages, coverage };
}
