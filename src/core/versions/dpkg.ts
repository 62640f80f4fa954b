import { invalidVersion, makeScheme, toBytes } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

/** A Debian version split as dpkg splits it: `[epoch:]upstream[-revision]`. */
export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
  /**
   * A dpkg *warning* (not an error): "version number does not start with digit" or an invalid character.
   * `dpkg --compare-versions` warns and still compares such versions, so we do too.
   */
  readonly warning?: string;
}

const INT_MAX = 2147483647;
const isBlank = (c: string): boolean => c === " " || c === "\t";
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
const isAlphaCode = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * Parse a Debian version exactly like dpkg's `parseversion()` (lib/dpkg/parsehelp.c): leading and trailing
 * blanks trimmed, epoch is the number before the FIRST colon, revision is after the LAST hyphen.
 * Hard errors throw PalisadeError("INPUT"); dpkg's warnings are returned in `warning`.
 */
export function parseDpkgVersion(input: string): DpkgVersion {
  let start = 0;
  while (start < input.length && isBlank(input[start]!)) start++;
  if (start === input.length) invalidVersion("dpkg", input, "version string is empty");
  let end = start;
  while (end < input.length && !isBlank(input[end]!)) end++;
  let p = end;
  while (p < input.length && isBlank(input[p]!)) p++;
  if (p < input.length) invalidVersion("dpkg", input, "version string has embedded spaces");
  let s = input.slice(start, end);
  // dpkg stops at a NUL byte: C strings cannot carry one.
  const nul = s.indexOf("\0");
  if (nul >= 0) s = s.slice(0, nul);
  let epoch = 0;
  const colon = s.indexOf(":");
  if (colon >= 0) {
    // strtol(): optional sign then decimal digits; the number must end exactly at the colon.
    const m = /^([+-]?)([0-9]+)/.exec(s);
    if (m === null) invalidVersion("dpkg", input, "epoch in version is empty");
    if (m[0].length !== colon) invalidVersion("dpkg", input, "epoch in version is not number");
    const digits = m[2]!.replace(/^0+(?=.)/, "");
    const negative = m[1] === "-" && digits !== "0";
    if (negative) invalidVersion("dpkg", input, "epoch in version is negative");
    if (digits.length > 10 || Number(digits) > INT_MAX)
      invalidVersion("dpkg", input, "epoch in version is too big");
    epoch = Number(digits);
    s = s.slice(colon + 1);
    if (s === "") invalidVersion("dpkg", input, "nothing after colon in version number");
  }
  const hyphen = s.lastIndexOf("-");
  let upstream = s;
  let revision = "";
  if (hyphen >= 0) {
    upstream = s.slice(0, hyphen);
    revision = s.slice(hyphen + 1);
    if (revision === "") invalidVersion("dpkg", input, "revision number is empty");
  }
  if (upstream === "") invalidVersion("dpkg", input, "upstream version is empty");
  let warning: string | undefined;
  if (!isDigitCode(upstream.charCodeAt(0))) warning = "version number does not start with digit";
  else {
    for (let i = 1; i < upstream.length; i++) {
      const c = upstream.charCodeAt(i);
      if (!isDigitCode(c) && !isAlphaCode(c) && !".-+~:".includes(upstream[i]!)) {
        warning = "invalid character in version number";
        break;
      }
    }
    if (warning === undefined) {
      for (let i = 0; i < revision.length; i++) {
        const c = revision.charCodeAt(i);
        if (!isDigitCode(c) && !isAlphaCode(c) && !".+~".includes(revision[i]!)) {
          warning = "invalid character in revision number";
          break;
        }
      }
    }
  }
  return warning === undefined ? { epoch, upstream, revision } : { epoch, upstream, revision, warning };
}

/**
 * dpkg's `order()`: digits 0, letters their ASCII code, `~` -1 (before everything, even the end of the
 * string), every other byte its value + 256 (after letters). Bytes >= 0x80 are negative in C's signed
 * `char` on the platforms Debian ships, so they land at value + 256 - 256 = between 128 and 255.
 */
function order(c: number): number {
  if (isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === 126) return -1;
  if (c === 0) return 0;
  return c >= 128 ? c : c + 256;
}

/** `verrevcmp()` from dpkg lib/dpkg/version.c, over bytes. Returns a signed difference, not just -1/0/1. */
export function verrevcmp(a: string, b: string): number {
  a = toBytes(a);
  b = toBytes(b);
  let i = 0;
  let j = 0;
  // charCodeAt past the end is NaN; treat it as the NUL terminator.
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigitCode(at(a, i))) || (j < b.length && !isDigitCode(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 48) i++;
    while (at(b, j) === 48) j++;
    while (isDigitCode(at(a, i)) && isDigitCode(at(b, j))) {
      if (firstDiff === 0) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigitCode(at(a, i))) return 1;
    if (isDigitCode(at(b, j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** `dpkg_version_compare()`: epoch, then upstream, then revision. */
export function compareDpkgParsed(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  const rc = verrevcmp(a.upstream, b.upstream);
  if (rc !== 0) return rc;
  return verrevcmp(a.revision, b.revision);
}

/**
 * Debian and Ubuntu package versions, as `dpkg --compare-versions` orders them (Debian Policy 5.6.12).
 * Versions dpkg only warns about (e.g. not starting with a digit) are valid here, because dpkg compares them.
 */
export const dpkg: VersionScheme = makeScheme("Debian", parseDpkgVersion, compareDpkgParsed);
