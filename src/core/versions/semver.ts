import { compareDigits, compareStrings, invalidVersion, makeScheme } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

/** A parsed SemVer 2.0.0 version. Numbers stay strings: the spec puts no bound on them. */
export interface SemVer {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: readonly string[];
  readonly build: readonly string[];
}

// semver.org §2, §9, §10: numeric identifiers have no leading zeros; identifiers are [0-9A-Za-z-], non-empty.
const NUM = "0|[1-9][0-9]*";
const PRE_ID = "0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*";
const SEMVER_RE = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})(?:-((?:${PRE_ID})(?:\\.(?:${PRE_ID}))*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

/**
 * Parse a strict SemVer 2.0.0 string. Like node-semver (the npm reference), surrounding whitespace and one
 * leading `v` are tolerated; nothing else is.
 */
export function parseSemver(input: string): SemVer {
  let s = input.trim();
  if (s.startsWith("v")) s = s.slice(1);
  const m = SEMVER_RE.exec(s);
  if (m === null) invalidVersion("SemVer", input, "not SemVer 2.0.0 (MAJOR.MINOR.PATCH[-PRE][+BUILD])");
  return {
    major: m[1]!,
    minor: m[2]!,
    patch: m[3]!,
    prerelease: m[4] === undefined ? [] : m[4].split("."),
    build: m[5] === undefined ? [] : m[5].split("."),
  };
}

const isNumeric = (id: string): boolean => /^[0-9]+$/.test(id);

/** SemVer 2.0.0 §11 precedence over pre-release identifier lists. */
export function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  // A version without pre-release has higher precedence than one with (§11.3).
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = isNumeric(x);
    const yn = isNumeric(y);
    let c: number;
    // Numeric identifiers compare numerically and always sort before alphanumeric ones (§11.4.1-3).
    if (xn && yn) c = compareDigits(x, y);
    else if (xn !== yn) c = xn ? -1 : 1;
    else c = compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** SemVer precedence: build metadata is ignored (§10). */
export function compareSemverParsed(a: SemVer, b: SemVer): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/** SemVer 2.0.0 precedence (npm, crates.io, Hex, SwiftURL and OSV `SEMVER` ranges; Pub has its own, see pub.ts). */
export const semver: VersionScheme = makeScheme("SemVer", parseSemver, compareSemverParsed);
