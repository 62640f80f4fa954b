import { isPalisadeError } from "../errors/index.js";
import type { CoverageEntry } from "../findings/index.js";
import { parsePurl, parseSbomDocument } from "../sbom/index.js";
import type { CatalogedPackage, CatalogResult } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";

/**
 * SBOM documents shipped inside a scanned directory or image, read as one more package source: CycloneDX
 * (`*.cdx.json`, `*.cdx.xml`, `*.cyclonedx.json`, `bom.json`, `bom.xml`) and SPDX (`*.spdx.json`, `*.spdx`, e.g.
 * the per-package `/var/lib/db/sbom/<pkg>-<version>.spdx.json` of Wolfi and Chainguard images). Names are the
 * conventions of the CycloneDX and SPDX specifications (CycloneDX "Recognized file patterns"; SPDX 2.3 clause 4.4
 * file extensions).
 */
const SUFFIXES = [".cdx.json", ".cdx.xml", ".cyclonedx.json", ".cyclonedx.xml", ".spdx.json", ".spdx"];
const NAMES: ReadonlySet<string> = new Set(["bom.json", "bom.xml"]);

export function isSbomDocumentPath(path: string): boolean {
  // A document an installed npm package ships describes that package's own build (dev dependencies included,
  // which are not installed); the installed tree is catalogued from node_modules itself.
  if (path.startsWith("node_modules/") || path.includes("/node_modules/")) return false;
  const b = baseName(path).toLowerCase();
  return NAMES.has(b) || SUFFIXES.some((s) => b.endsWith(s) && b.length > s.length);
}

/**
 * The packages an SBOM document lists, each located at the document and keeping the document's purl (its
 * qualifiers are the producer's, e.g. Wolfi's `distro`); the tracker drops those already catalogued from the
 * filesystem ({@link purlIdentity}). Scanner reports (Trivy, Grype) are not SBOM documents and are said so.
 */
export function parseSbomDocumentFile(data: Uint8Array, path: string): CatalogResult {
  const entry = (reason: CoverageEntry["reason"], message: string): CatalogResult => ({
    packages: [],
    coverage: [{ reason, subject: path, message: `sbom document: ${message}` }],
  });
  let parsed: ReturnType<typeof parseSbomDocument>;
  try {
    parsed = parseSbomDocument(decodeUtf8(data), path);
  } catch (e) {
    if (!isPalisadeError(e)) throw e;
    const reason = e.code === "UNSUPPORTED" ? "unsupported" : e.code === "LIMIT" ? "limit" : "parse-error";
    return entry(reason, e.message);
  }
  if (parsed.format === "trivy-json" || parsed.format === "grype-json")
    return entry(
      "unsupported",
      `a ${parsed.format} scanner report, not an SBOM; not read as a package source`,
    );
  const packages = parsed.sbom.packages
    .filter((p) => p.name !== "")
    .map((p): CatalogedPackage => {
      const c: CatalogedPackage = { type: p.type, name: p.name, version: p.version, locations: [path] };
      if (p.purl) c.purl = p.purl;
      if (p.group) c.group = p.group;
      if (p.arch) c.arch = p.arch;
      if (p.sourceName) c.sourceName = p.sourceName;
      if (p.sourceVersion) c.sourceVersion = p.sourceVersion;
      if (p.licenses?.length) c.licenses = p.licenses;
      return c;
    });
  return { packages, coverage: [] };
}

/**
 * What a purl names, without qualifiers or subpath: two tools describing one installed package agree on type,
 * namespace, name and version, but not on qualifiers (`distro=wolfi` vs `distro=wolfi-20230201`).
 */
export function purlIdentity(purl: string): string {
  const p = parsePurl(purl);
  if (!p) return purl;
  const type = p.type.toLowerCase();
  let { name } = p;
  // Names the ecosystem compares loosely (purl-spec PURL-TYPES: pypi lowercases and maps '_' to '-'; NuGet and
  // Composer names are case-insensitive), so "Requests" in a document is the catalogued "requests".
  if (type === "pypi") name = name.toLowerCase().replace(/[-_.]+/g, "-");
  else if (type === "nuget" || type === "composer") name = name.toLowerCase();
  return `${type}/${p.namespace ?? ""}/${name}@${p.version ?? ""}`;
}
