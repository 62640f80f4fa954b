/**
 * Package catalogers: pure parsers fed file contents by the image adapter, plus the layer overlay and the
 * tracker that turns per-layer file versions into an SBOM with each package's layer of origin.
 */
import { isApkPath, parseApkInstalled } from "./apk.js";
import { isDpkgPath, parseDpkgStatus } from "./dpkg.js";
import { isJavaArchivePath } from "./java.js";
import type { CatalogerId, CatalogResult } from "./model.js";
import {
  isNpmLockPath,
  isNpmPackageJsonPath,
  parseNpmLock,
  parseNpmPackageJson,
  parseYarnLock,
} from "./npm.js";
import { OS_RELEASE_PATHS } from "./os-release.js";
import { isPythonMetadataPath, parsePythonMetadata } from "./python.js";
import { isRpmDbPath } from "./rpm.js";
import { baseName } from "./text.js";

export { isApkPath, parseApkInstalled } from "./apk.js";
export { isDpkgPath, parseDpkgStatus } from "./dpkg.js";
export {
  catalogGoBinary,
  type GoBuildInfo,
  type GoModule,
  isElf,
  parseGoModInfo,
  readGoBuildInfo,
} from "./go-buildinfo.js";
export {
  catalogJavaArchive,
  isJavaArchivePath,
  type JavaArchiveContents,
  parseJarManifest,
  parseProperties,
} from "./java.js";
export type { CatalogedPackage, CatalogerId, CatalogResult } from "./model.js";
export {
  isNpmLockPath,
  isNpmPackageJsonPath,
  parseNpmLock,
  parseNpmPackageJson,
  parseYarnLock,
} from "./npm.js";
export { OS_RELEASE_PATHS, parseOsRelease } from "./os-release.js";
export { Overlay } from "./overlay.js";
export { makePurl, withPurl } from "./purl.js";
export { isPythonMetadataPath, parsePythonMetadata } from "./python.js";
export {
  catalogRpmHeaders,
  isRpmDbPath,
  parseRpmHeader,
  parseSourceRpm,
  RPMTAG,
  type RpmHeader,
  rpmEvr,
} from "./rpm.js";
export {
  LINKED_DATABASE_PATHS,
  MAX_LINK_HOPS,
  PackageTracker,
  resolveImagePath,
  type TrackedFile,
} from "./tracker.js";

/**
 * Which cataloger reads the file at `path` (relative, no leading slash), judged by path alone. Go binaries
 * are not matched here: any executable may be one, so the adapter sniffs ELF magic instead.
 */
export function matchCataloger(path: string): CatalogerId | undefined {
  if (OS_RELEASE_PATHS.includes(path)) return "os-release";
  if (isDpkgPath(path)) return "dpkg";
  if (isApkPath(path)) return "apk";
  if (isRpmDbPath(path)) return "rpm";
  if (isNpmPackageJsonPath(path) || isNpmLockPath(path)) return "npm";
  if (isPythonMetadataPath(path)) return "python";
  if (isJavaArchivePath(path)) return "java";
  return undefined;
}

/** Parse a text-format package database picked by {@link matchCataloger} (dpkg, apk, npm, python). */
export function catalogTextFile(
  id: "dpkg" | "apk" | "npm" | "python",
  data: Uint8Array,
  path: string,
): CatalogResult {
  switch (id) {
    case "dpkg":
      return parseDpkgStatus(data, path);
    case "apk":
      return parseApkInstalled(data, path);
    case "python":
      return parsePythonMetadata(data, path);
    case "npm": {
      const b = baseName(path);
      if (b === "package-lock.json") return parseNpmLock(data, path);
      if (b === "yarn.lock") return parseYarnLock(data, path);
      return parseNpmPackageJson(data, path);
    }
  }
}
