/**
 * Package catalogers: pure parsers fed file contents by the image adapter, plus the layer overlay and the
 * tracker that turns per-layer file versions into an SBOM with each package's layer of origin.
 */
import { isApkPath, parseApkInstalled } from "./apk.js";
import { isDotnetPath, parseDotnetFile } from "./dotnet.js";
import { isDpkgPath, parseDpkgStatus } from "./dpkg.js";
import { isGoModPath, parseGoMod } from "./go-mod.js";
import { isJavaArchivePath } from "./java.js";
import * as javaSource from "./java-source.js";
import { isMixLockPath, parseMixLock } from "./mix-lock.js";
import type { CatalogerId, CatalogResult, TextCatalogerId } from "./model.js";
import {
  isNpmLockPath,
  isNpmPackageJsonPath,
  parseNpmLock,
  parseNpmPackageJson,
  parseYarnLock,
} from "./npm.js";
import { OS_RELEASE_PATHS } from "./os-release.js";
import { isComposerPath, parseComposerFile } from "./php.js";
import { isPubspecLockPath, parsePubspecLock } from "./pubspec-lock.js";
import { isPythonMetadataPath, parsePythonMetadata } from "./python.js";
import * as pyLock from "./python-lock.js";
import { isRpmDbPath } from "./rpm.js";
import { isGemfileLockPath, isGemspecPath, parseRubyFile } from "./ruby.js";
import { isCargoLockPath, parseCargoLock } from "./rust.js";
import { isSbomDocumentPath, parseSbomDocumentFile } from "./sbom-document.js";
import { baseName } from "./text.js";

export { isApkPath, parseApkInstalled } from "./apk.js";
export { isDotnetPath, parseDepsJson, parsePackagesLock } from "./dotnet.js";
export { isDpkgPath, parseDpkgStatus } from "./dpkg.js";
export {
  catalogGoBinary,
  type GoBuildInfo,
  type GoModule,
  isElf,
  parseGoModInfo,
  readGoBuildInfo,
} from "./go-buildinfo.js";
export { parseGoMod } from "./go-mod.js";
export {
  catalogJavaArchive,
  isJavaArchivePath,
  type JavaArchiveContents,
  parseJarManifest,
  parseProperties,
} from "./java.js";
export { parseGradleLockfile, parsePomXml } from "./java-source.js";
export { jsonPathKey, jsonValueLines } from "./json-lines.js";
export { parseMixLock } from "./mix-lock.js";
export type {
  AdapterCatalogerId,
  CatalogedPackage,
  CatalogerId,
  CatalogResult,
  TextCatalogerId,
} from "./model.js";
export {
  isNpmLockPath,
  isNpmPackageJsonPath,
  parseNpmLock,
  parseNpmPackageJson,
  parseYarnLock,
} from "./npm.js";
export { OS_RELEASE_PATHS, parseOsRelease } from "./os-release.js";
export { Overlay } from "./overlay.js";
export { isComposerPath, parseComposerInstalled, parseComposerLock } from "./php.js";
export { parsePubspecLock } from "./pubspec-lock.js";
export { makePurl, withPurl } from "./purl.js";
export { isPythonMetadataPath, parsePythonMetadata } from "./python.js";
export { parsePipfileLock, parsePoetryLock, parseRequirements, parseUvLock } from "./python-lock.js";
export {
  catalogRpmDatabase,
  catalogRpmHeaders,
  isRpmDbPath,
  parseRpmHeader,
  parseSourceRpm,
  RPMDB_LIMITS,
  RPMDB_PATHS,
  RPMTAG,
  type RpmHeader,
  rpmDbBudget,
  rpmDbFormat,
  rpmEvr,
} from "./rpm.js";
export { isGemfileLockPath, isGemspecPath, parseGemfileLock, parseGemspec } from "./ruby.js";
export {
  AUDITABLE_SECTION,
  elfSection,
  isCargoLockPath,
  parseAuditableJson,
  parseCargoLock,
} from "./rust.js";
export { isSbomDocumentPath, parseSbomDocumentFile, purlIdentity } from "./sbom-document.js";
export { readTomlTables, type TomlRead, type TomlTable, type TomlValue } from "./toml.js";
export {
  LINKED_DATABASE_PATHS,
  MAX_LINK_HOPS,
  PackageTracker,
  resolveImagePath,
  type TrackedFile,
} from "./tracker.js";

/**
 * Which files each cataloger reads, judged by path alone (relative, no leading slash), in the order tried.
 * A new cataloger is one line here (and one in {@link TEXT_PARSERS} when core parses its bytes). Go binaries are
 * not matched here: any executable may be one, so the adapter sniffs ELF magic instead.
 */
const PATH_CATALOGERS: readonly { id: CatalogerId; matches: (path: string) => boolean }[] = [
  { id: "os-release", matches: (p) => OS_RELEASE_PATHS.includes(p) },
  { id: "dpkg", matches: isDpkgPath },
  { id: "apk", matches: isApkPath },
  { id: "rpm", matches: isRpmDbPath },
  { id: "npm", matches: (p) => isNpmPackageJsonPath(p) || isNpmLockPath(p) },
  { id: "python", matches: isPythonMetadataPath },
  { id: "java", matches: isJavaArchivePath },
  { id: "poetry", matches: pyLock.isPoetryLockPath },
  { id: "pipfile", matches: pyLock.isPipfileLockPath },
  { id: "uv", matches: pyLock.isUvLockPath },
  { id: "requirements", matches: pyLock.isRequirementsPath },
  { id: "gradle", matches: javaSource.isGradleLockfilePath },
  { id: "pom", matches: javaSource.isPomXmlPath },
  { id: "php", matches: isComposerPath },
  { id: "ruby", matches: (p) => isGemfileLockPath(p) || isGemspecPath(p) },
  { id: "dotnet", matches: isDotnetPath },
  { id: "rust", matches: isCargoLockPath },
  { id: "sbom-document", matches: isSbomDocumentPath },
  { id: "gomod", matches: isGoModPath },
  { id: "mix", matches: isMixLockPath },
  { id: "pubspec", matches: isPubspecLockPath },
];

/** Parsers of the catalogers whose files core reads from their bytes alone (one line each). */
const TEXT_PARSERS: Readonly<Record<TextCatalogerId, (data: Uint8Array, path: string) => CatalogResult>> = {
  dpkg: parseDpkgStatus,
  apk: parseApkInstalled,
  python: parsePythonMetadata,
  npm: (data, path) => {
    const b = baseName(path);
    if (b === "package-lock.json") return parseNpmLock(data, path);
    if (b === "yarn.lock") return parseYarnLock(data, path);
    return parseNpmPackageJson(data, path);
  },
  poetry: pyLock.parsePoetryLock,
  pipfile: pyLock.parsePipfileLock,
  uv: pyLock.parseUvLock,
  requirements: pyLock.parseRequirements,
  gradle: javaSource.parseGradleLockfile,
  pom: javaSource.parsePomXml,
  php: parseComposerFile,
  ruby: parseRubyFile,
  dotnet: parseDotnetFile,
  rust: parseCargoLock,
  "sbom-document": parseSbomDocumentFile,
  gomod: parseGoMod,
  mix: parseMixLock,
  pubspec: parsePubspecLock,
};

/** Which cataloger reads the file at `path` (relative, no leading slash), judged by path alone. */
export function matchCataloger(path: string): CatalogerId | undefined {
  for (const c of PATH_CATALOGERS) if (c.matches(path)) return c.id;
  return undefined;
}

/** Parse a file picked by {@link matchCataloger} whose cataloger core reads from bytes alone. */
export function catalogTextFile(id: TextCatalogerId, data: Uint8Array, path: string): CatalogResult {
  return TEXT_PARSERS[id](data, path);
}
