import { compareStrings, invalidVersion, makeScheme } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

/**
 * Dart's pub versions (package pub_semver, `Version.parse` and `Version.compareTo`). The grammar is SemVer's
 * with leading zeros allowed (`01.2.3` equals `1.2.3`), and the order differs from SemVer 2.0.0 in two ways:
 * build metadata counts (`1.0.0 < 1.0.0+1`, builds compared like pre-releases) and a numeric identifier is
 * whatever Dart's `int.tryParse` accepts (so `01` is 1, and `-1` in `1.0.0--1` is the number -1).
 */
export interface PubVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly preRelease: readonly (bigint | string)[];
  readonly build: readonly (bigint | string)[];
}

const PUB_RE =
  /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** Dart ints are 64-bit signed on the VM: `int.parse` of a larger number fails, `int.tryParse` gives null. */
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function tryInt(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

function splitParts(text: string | undefined): (bigint | string)[] {
  if (text === undefined) return [];
  return text.split(".").map((p) => tryInt(p) ?? p);
}

/** Parse as pub_semver's `Version.parse` does (no surrounding whitespace, no `v`). */
export function parsePubVersion(input: string): PubVersion {
  const m = PUB_RE.exec(input);
  if (m === null) invalidVersion("Pub", input, "not MAJOR.MINOR.PATCH[-PRE][+BUILD]");
  const nums = [m[1], m[2], m[3]].map((s) => tryInt(s as string));
  if (nums.some((n) => n === undefined)) invalidVersion("Pub", input, "number out of 64-bit range");
  const [major, minor, patch] = nums as [bigint, bigint, bigint];
  return { major, minor, patch, preRelease: splitParts(m[4]), build: splitParts(m[5]) };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** pub_semver `_compareLists`: a missing part sorts first, numbers before strings, strings by code unit. */
function compareLists(a: readonly (bigint | string)[], b: readonly (bigint | string)[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === "bigint") return typeof y === "bigint" ? cmpBig(x, y) : -1;
    if (typeof y === "bigint") return 1;
    return compareStrings(x, y);
  }
  return 0;
}

/** pub_semver `Version.compareTo`. */
export function comparePubParsed(a: PubVersion, b: PubVersion): number {
  const c = cmpBig(a.major, b.major) || cmpBig(a.minor, b.minor) || cmpBig(a.patch, b.patch);
  if (c !== 0) return c;
  const ap = a.preRelease.length > 0;
  const bp = b.preRelease.length > 0;
  // Pre-release versions come before non-pre-release versions.
  if (!ap && bp) return 1;
  if (ap && !bp) return -1;
  const p = compareLists(a.preRelease, b.preRelease);
  if (p !== 0) return p;
  // Builds come after non-build versions.
  if (a.build.length === 0 && b.build.length > 0) return -1;
  if (b.build.length === 0 && a.build.length > 0) return 1;
  return compareLists(a.build, b.build);
}

/** Pub (Dart) version ordering, the OSV "Pub" ecosystem and `pkg:pub` purls. */
export const pub: VersionScheme = makeScheme("Pub", parsePubVersion, comparePubParsed);
