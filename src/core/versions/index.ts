/**
 * Exact version ordering per ecosystem, behind one {@link VersionScheme} interface. Pure: no IO.
 * Each scheme is a port of the reference tool's algorithm, tested differentially against the tool itself
 * (test/integration/versions-differential.test.ts) or its published test vectors.
 */

export { apk, apkLenient, compareApkRaw, isValidApkVersion } from "./apk.js";
export { type DpkgVersion, dpkg, parseDpkgVersion, verrevcmp } from "./dpkg.js";
export { knownEcosystems, schemeFor } from "./ecosystems.js";
export { type GoVersion, go, parseGoVersion } from "./go.js";
export { canonicalMaven, compareMavenRaw, maven } from "./maven.js";
export { type NuGetVersion, nuget, nugetLenient, parseNuGetVersion } from "./nuget.js";
export { normalizeComposerVersion, packagist, packagistLenient, phpVersionCompare } from "./packagist.js";
export { legacyPypiKey, normalizePep440, type Pep440Version, parsePep440, pep440, pypi } from "./pep440.js";
export { comparePubParsed, type PubVersion, parsePubVersion, pub } from "./pub.js";
export { parseRpmVersion, type RpmVersion, rpm, rpmvercmp } from "./rpm.js";
export { lenientGemSegments, parseGemVersion, rubygems, rubygemsLenient } from "./rubygems.js";
export type { VersionScheme } from "./scheme.js";
export { parseSemver, type SemVer, semver } from "./semver.js";
