import { compareDigits, invalidVersion, makeScheme } from "./internal.js";
import type { VersionScheme } from "./scheme.js";
import { comparePrerelease } from "./semver.js";

/** A Go module version as golang.org/x/mod/semver parses it. */
export interface GoVersion {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: readonly string[];
  readonly build: string;
}

const NUM = "0|[1-9][0-9]*";
const ID = "0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*";
// golang.org/x/mod/semver: "vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]"; the short forms v1 and v1.2 mean
// v1.0.0 and v1.2.0 and cannot carry a pre-release or build suffix.
const GO_RE = new RegExp(
  `^v(${NUM})(?:\\.(${NUM})(?:\\.(${NUM})(?:-((?:${ID})(?:\\.(?:${ID}))*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?)?)?$`,
);

/**
 * Parse a Go module version. OSV's Go ecosystem writes versions without the `v` that Go requires, so a
 * missing `v` is added. `+incompatible` is build metadata and, as in Go, does not affect ordering;
 * pseudo-versions (v0.0.0-20191109021931-daa7c04131f5) are ordinary pre-releases and sort as SemVer.
 */
export function parseGoVersion(input: string): GoVersion {
  const s = input.startsWith("v") ? input : `v${input}`;
  const m = GO_RE.exec(s);
  if (m === null) invalidVersion("Go", input, "not a Go module version (vMAJOR.MINOR.PATCH[-PRE][+BUILD])");
  if (m[2] === undefined || m[3] === undefined) {
    // Short forms are valid only as exactly "vN" or "vN.M".
    return { major: m[1]!, minor: m[2] ?? "0", patch: "0", prerelease: [], build: "" };
  }
  return {
    major: m[1]!,
    minor: m[2],
    patch: m[3],
    prerelease: m[4] === undefined ? [] : m[4].split("."),
    build: m[5] ?? "",
  };
}

/** golang.org/x/mod/semver.Compare on valid versions. */
export function compareGoParsed(a: GoVersion, b: GoVersion): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/** Go modules (golang.org/x/mod/semver ordering). */
export const go: VersionScheme = makeScheme("Go", parseGoVersion, compareGoParsed);
