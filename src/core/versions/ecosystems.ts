import { apk } from "./apk.js";
import { dpkg } from "./dpkg.js";
import { go } from "./go.js";
import { maven } from "./maven.js";
import { nuget } from "./nuget.js";
import { packagist } from "./packagist.js";
import { pep440 } from "./pep440.js";
import { rpm } from "./rpm.js";
import { rubygems } from "./rubygems.js";
import type { VersionScheme } from "./scheme.js";
import { semver } from "./semver.js";

/**
 * OSV ecosystem names (https://ossf.github.io/osv-schema/#defined-ecosystems) and package-url types
 * (https://github.com/package-url/purl-spec) to version schemes. Keys are lower-case; lookup ignores case.
 * Ecosystems whose ordering we do not implement exactly (Pub, Hackage, CRAN, Android, Linux, GIT, ...) are
 * deliberately absent so callers report coverage instead of guessing.
 */
const SCHEMES: ReadonlyMap<string, VersionScheme> = new Map<string, VersionScheme>([
  // dpkg
  ["debian", dpkg],
  ["ubuntu", dpkg],
  ["deb", dpkg],
  // apk-tools
  ["alpine", apk],
  ["alpaquita", apk],
  ["bellsoft hardened containers", apk],
  ["chainguard", apk],
  ["wolfi", apk],
  ["apk", apk],
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
  ["pypi", pep440],
  ["maven", maven],
  ["rubygems", rubygems],
  ["gem", rubygems],
  ["nuget", nuget],
  ["packagist", packagist],
  ["composer", packagist],
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
