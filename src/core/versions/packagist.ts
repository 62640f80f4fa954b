import { invalidVersion, lenientScheme } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isAlnum = (c: string): boolean => isDigit(c) || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

/** PHP's `php_canonicalize_version()` (ext/standard/versioning.c). */
export function phpCanonicalizeVersion(version: string): string {
  if (version === "") return "";
  // Built in an array with the last character kept aside: reading the end of a string grown with += flattens
  // it every time, which made a 200 KB version take half a minute.
  const out: string[] = [version[0]!];
  let lq = version[0]!;
  let lp = version[0]!;
  const isdig = (x: string): boolean => isDigit(x) && x !== ".";
  const isndig = (x: string): boolean => !isDigit(x) && x !== ".";
  const put = (c: string): void => {
    out.push(c);
    lq = c;
  };
  for (let i = 1; i < version.length; i++) {
    const p = version[i]!;
    if (p === "-" || p === "_" || p === "+") {
      if (lq !== ".") put(".");
    } else if ((isndig(lp) && isdig(p)) || (isdig(lp) && isndig(p))) {
      if (lq !== ".") put(".");
      put(p);
    } else if (!isAlnum(p)) {
      if (lq !== ".") put(".");
    } else put(p);
    lp = p;
  }
  return out.join("");
}

// compare_special_version_forms: prefix match, first hit wins; unknown forms are -1 (below "dev").
const SPECIAL_FORMS: readonly [string, number][] = [
  ["dev", 0],
  ["alpha", 1],
  ["a", 1],
  ["beta", 2],
  ["b", 2],
  ["RC", 3],
  ["rc", 3],
  ["#", 4],
  ["pl", 5],
  ["p", 5],
];

function specialForm(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -1;
}

const compareForms = (a: string, b: string): number => Math.sign(specialForm(a) - specialForm(b));

/** strtol(…, 10) on a digit-led segment, clamped at LONG_MAX like glibc on 64-bit PHP builds. */
function strtol(s: string): bigint {
  const m = /^0*([0-9]+)/.exec(s);
  // More than 19 significant digits is past LONG_MAX anyway; skip the big parse of a hostile digit run.
  if (m !== null && m[1]!.length > 19) return 9223372036854775807n;
  const n = BigInt(m === null ? "0" : m[1]!);
  const LONG_MAX = 9223372036854775807n;
  return n > LONG_MAX ? LONG_MAX : n;
}

/** PHP's `version_compare($a, $b)` (ext/standard/versioning.c, `php_version_compare`). */
export function phpVersionCompare(orig1: string, orig2: string): number {
  // C strings end at NUL.
  const z1 = orig1.indexOf("\0");
  const z2 = orig2.indexOf("\0");
  if (z1 >= 0) orig1 = orig1.slice(0, z1);
  if (z2 >= 0) orig2 = orig2.slice(0, z2);
  if (orig1 === "" || orig2 === "") {
    if (orig1 === "" && orig2 === "") return 0;
    return orig1 !== "" ? 1 : -1;
  }
  const v1 = orig1[0] === "#" ? orig1 : phpCanonicalizeVersion(orig1);
  const v2 = orig2[0] === "#" ? orig2 : phpCanonicalizeVersion(orig2);
  let p1 = 0;
  let p2 = 0;
  let n1: number | null = 0;
  let n2: number | null = 0;
  let compare = 0;
  while (p1 < v1.length && p2 < v2.length && n1 !== null && n2 !== null) {
    const d1 = v1.indexOf(".", p1);
    const d2 = v2.indexOf(".", p2);
    n1 = d1 < 0 ? null : d1;
    n2 = d2 < 0 ? null : d2;
    const s1 = v1.slice(p1, n1 ?? v1.length);
    const s2 = v2.slice(p2, n2 ?? v2.length);
    if (isDigit(s1[0]) && isDigit(s2[0])) {
      const l1 = strtol(s1);
      const l2 = strtol(s2);
      compare = l1 < l2 ? -1 : l1 > l2 ? 1 : 0;
    } else if (!isDigit(s1[0]) && !isDigit(s2[0])) {
      compare = compareForms(s1, s2);
    } else if (isDigit(s1[0])) {
      compare = compareForms("#N#", s2);
    } else {
      compare = compareForms(s1, "#N#");
    }
    if (compare !== 0) break;
    if (n1 !== null) p1 = n1 + 1;
    if (n2 !== null) p2 = n2 + 1;
  }
  if (compare !== 0) return compare;
  if (n1 !== null) return compareRest(v1, p1, 1);
  if (n2 !== null) return compareRest(v2, p2, -1);
  return 0;
}

/**
 * The tail of php_version_compare: PHP recurses on the rest of the longer version against "#N#" (a number),
 * one segment per call, `compare = isdigit(*p1) ? 1 : php_version_compare(p1, "#N#")`. A loop here: a
 * version of 50,000 segments would otherwise be 50,000 stack frames (and as many re-canonicalisations of an
 * already canonical, so unchanged, rest). `sign` is 1 for the left side, -1 for the right.
 */
function compareRest(v: string, from: number, sign: number): number {
  let p = from;
  for (;;) {
    if (isDigit(v[p])) return sign;
    // An empty rest (the version ended with a separator) is older than anything.
    if (p >= v.length) return -sign;
    const d = v.indexOf(".", p);
    const c = compareForms(v.slice(p, d < 0 ? v.length : d), "#N#");
    if (c !== 0) return sign * c;
    if (d < 0) return 0;
    p = d + 1;
  }
}

const MODIFIER = "[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?";
const CLASSICAL_RE = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, "i");
const DATE_RE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})${MODIFIER}$`, "i");
const BRANCH_RE = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

/** PHP trim() with its default set: space, \\t, \\n, \\r, NUL and \\v. */
function phpTrim(s: string): string {
  const ws = " \t\n\r\0\u000b";
  let i = 0;
  let j = s.length;
  while (i < j && ws.includes(s[i]!)) i++;
  while (j > i && ws.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
}

function expandStability(s: string): string {
  const l = s.toLowerCase();
  if (l === "a") return "alpha";
  if (l === "b") return "beta";
  if (l === "p" || l === "pl") return "patch";
  if (l === "rc") return "RC";
  return l;
}

/**
 * Composer's `VersionParser::normalize()` (composer/semver): "v1.2" -> "1.2.0.0", "1.0-b2" -> "1.0.0.0-beta2",
 * "1.x-dev" -> "1.9999999.9999999.9999999-dev". Branch names ("dev-main") and invalid strings are refused:
 * Composer never orders a branch against a version.
 */
export function normalizeComposerVersion(input: string): string {
  let version = phpTrim(input);
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(version);
  if (alias) version = alias[1]!;
  const flag = /@(?:stable|RC|beta|alpha|dev)$/i.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);
  if (version === "master" || version === "trunk" || version === "default" || /^dev-/i.test(version))
    invalidVersion("Packagist", input, "a branch, not a version");
  const build = /^([^,\s+]+)\+[^\s]+$/.exec(version);
  if (build) version = build[1]!;
  let m = CLASSICAL_RE.exec(version);
  let index = 0;
  if (m) {
    version = m[1]! + (m[2] || ".0") + (m[3] || ".0") + (m[4] || ".0");
    index = 5;
  } else {
    m = DATE_RE.exec(version);
    if (m) {
      version = m[1]!.replace(/\D/g, ".");
      index = 2;
    }
  }
  if (m) {
    const stability = m[index];
    if (stability) {
      // Composer compares the raw match with 'stable' case-sensitively; "STABLE" is expanded instead.
      if (stability === "stable") return version;
      const num = m[index + 1];
      version += `-${expandStability(stability)}${num ? num.replace(/^[.-]+/, "") : ""}`;
    }
    if (m[index + 2]) version += "-dev";
    return version;
  }
  const dev = /^(.*?)[.-]?dev$/i.exec(version);
  if (dev) {
    const b = BRANCH_RE.exec(dev[1]!.trim());
    if (b) {
      let v = "";
      for (let i = 1; i < 5; i++) v += b[i] !== undefined ? b[i]!.replace(/[*X]/g, "x") : ".x";
      return `${v.replaceAll("x", "9999999")}-dev`;
    }
  }
  invalidVersion("Packagist", input, "not a Composer version");
}

/** Packagist (Composer): normalise with Composer's VersionParser, then order with PHP's version_compare. */
export const packagist: VersionScheme = {
  name: "Packagist",
  isValid(v: string): boolean {
    try {
      normalizeComposerVersion(v);
      return true;
    } catch {
      return false;
    }
  },
  compare(a: string, b: string): number {
    return phpVersionCompare(normalizeComposerVersion(a), normalizeComposerVersion(b));
  },
};

/**
 * Packagist as osv-scanner orders it: Composer-normalised where Composer's VersionParser accepts the string,
 * the raw string otherwise ("4.3-2RC1", which Composer refuses), both through PHP's version_compare, which
 * canonicalises whatever it is given. Never a failed match.
 */
export const packagistLenient: VersionScheme = lenientScheme(
  "Packagist",
  normalizeComposerVersion,
  (v) => v,
  phpVersionCompare,
);
