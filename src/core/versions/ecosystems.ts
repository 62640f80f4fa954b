import { apkLenient } from "./apk.js";
import { dpkg } from "./dpkg.js";
import { go } from "./go.js";
import { maven } from "./maven.js";
import { nugetLenient } from "./nuget.js";
import { packagistLenient } from "./packagist.js";
import { pypi } from "./pep440.js";
import { pub } from "./pub.js";
import { rpm } from "./rpm.js";
import { rubygemsLenient } from "./rubygems.js";
import type { VersionScheme } from "./scheme.js";
import { semver } from "./semver.js";

/**
 * OSV ecosystem names (https://ossf.github.io/osv-schema/#defined-ecosystems) and package-url types
 * (https://github.com/package-url/purl-spec) to version schemes. Keys are lower-case; lookup ignores case.
 * Alpine, PyPI, RubyGems, NuGet and Packagist get the lenient variant of their scheme: exact for valid versions,
 * the ecosystem tooling's fallback for the rest (pip's LegacyVersion, apk-tools' own walk, osv-scanner's
 * readings), so an advisory is matched rather than skipped when a version is outside the strict grammar.
 * Ecosystems whose ordering we do not implement exactly (Hackage, CRAN, Android, Linux, GIT, ...) are
 * deliberately absent so callers report coverage instead of guessing.
 */
const SCHEMES: ReadonlyMap<string, VersionScheme> = new Map<string, VersionScheme>([
  // dpkg
  ["debian", dpkg],
  ["ubuntu", dpkg],
  ["deb", dpkg],
  // apk-tools
  ["alpine", apkLenient],
  ["alpaquita", apkLenient],
  ["bellsoft hardened containers", apkLenient],
  ["chainguard", apkLenient],
  ["wolfi", apkLenient],
  ["apk", apkLenient],
  // rpm
  ["red hat", rpm],
  ["redhat", rpm],
  ["rocky linux", rpm],
  ["almalinux", rpm],
  ["opensuse", rpm],
  ["suse", rpm],
  ["mageia", rpm],
  ["openeuler", rpm],
  ["azure linux", rpm],
  ["mariner", rpm],
  ["photon os", rpm],
  ["oracle linux", rpm],
  ["amazon linux", rpm],
  ["centos", rpm],
  ["fedora", rpm],
  ["rpm", rpm],
  // SemVer 2.0.0
  ["npm", semver],
  ["crates.io", semver],
  ["cargo", semver],
  ["hex", semver],
  ["swifturl", semver],
  ["semver", semver],
  // the rest
  ["go", go],
  ["golang", go],
  ["pypi", pypi],
  ["maven", maven],
  ["rubygems", rubygemsLenient],
  ["gem", rubygemsLenient],
  ["nuget", nugetLenient],
  ["packagist", packagistLenient],
  ["composer", packagistLenient],
  ["pub", pub],
]);

/**
 * The version scheme for an OSV ecosystem, or undefined when Palisade has none (the caller reports coverage).
 * Accepts release suffixes: "Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19", "Red Hat:enterprise_linux:9".
 */
export function schemeFor(ecosystem: string): VersionScheme | undefined {
  const key = ecosystem.trim().toLowerCase();
  const exact = SCHEMES.get(key);
  if (exact !== undefined) return exact;
  const colon = key.indexOf(":");
  return colon > 0 ? SCHEMES.get(key.slice(0, colon).trim()) : undefined;
}

/** The ecosystem names and aliases {@link schemeFor} knows, sorted (for help text and error messages). */
export function knownEcosystems(): string[] {
  return [...SCHEMES.keys()].sort();
}
