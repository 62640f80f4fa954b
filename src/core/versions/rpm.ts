import { compareStrings, invalidVersion, makeScheme } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c);
const TILDE = 126;
const CARET = 94;

/**
 * `rpmvercmp()` from rpm's rpmio/rpmvercmp.c (rpm >= 4.15, with `^`): segments of ASCII letters or digits,
 * every other character is a separator; `~` sorts before everything (even the end), `^` after the end but
 * before any further segment; a numeric segment is newer than an alphabetic one.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  // C strings end at NUL.
  const na = a.indexOf("\0");
  if (na >= 0) a = a.slice(0, na);
  const nb = b.indexOf("\0");
  if (nb >= 0) b = b.slice(0, nb);
  const ca = (k: number): number => (k < a.length ? a.charCodeAt(k) : 0);
  const cb = (k: number): number => (k < b.length ? b.charCodeAt(k) : 0);
  let one = 0;
  let two = 0;
  while (one < a.length || two < b.length) {
    while (one < a.length && !isAlnum(ca(one)) && ca(one) !== TILDE && ca(one) !== CARET) one++;
    while (two < b.length && !isAlnum(cb(two)) && cb(two) !== TILDE && cb(two) !== CARET) two++;

    if (ca(one) === TILDE || cb(two) === TILDE) {
      if (ca(one) !== TILDE) return 1;
      if (cb(two) !== TILDE) return -1;
      one++;
      two++;
      continue;
    }
    if (ca(one) === CARET || cb(two) === CARET) {
      if (one >= a.length) return -1;
      if (two >= b.length) return 1;
      if (ca(one) !== CARET) return 1;
      if (cb(two) !== CARET) return -1;
      one++;
      two++;
      continue;
    }
    if (!(one < a.length && two < b.length)) break;

    let str1 = one;
    let str2 = two;
    let isNum: boolean;
    if (isDigit(ca(str1))) {
      while (str1 < a.length && isDigit(ca(str1))) str1++;
      while (str2 < b.length && isDigit(cb(str2))) str2++;
      isNum = true;
    } else {
      while (str1 < a.length && isAlpha(ca(str1))) str1++;
      while (str2 < b.length && isAlpha(cb(str2))) str2++;
      isNum = false;
    }
    // `one == str1` cannot happen: `one` points at an alphanumeric character.
    if (two === str2) return isNum ? 1 : -1;
    let s1 = a.slice(one, str1);
    let s2 = b.slice(two, str2);
    if (isNum) {
      s1 = s1.replace(/^0+/, "");
      s2 = s2.replace(/^0+/, "");
      if (s1.length !== s2.length) return s1.length > s2.length ? 1 : -1;
    }
    const rc = compareStrings(s1, s2);
    if (rc !== 0) return rc;
    one = str1;
    two = str2;
  }
  if (one >= a.length && two >= b.length) return 0;
  return one >= a.length ? -1 : 1;
}

/** An rpm EVR. `epoch` and `release` are undefined when absent. */
export interface RpmVersion {
  readonly epoch?: string;
  readonly version: string;
  readonly release?: string;
}

/**
 * Split `[epoch:]version[-release]` like rpm's `parseEVR()` (rpmds.c): the epoch is the run of digits before a
 * colon at the start, the release is after the LAST hyphen. An empty epoch before the colon means 0.
 */
export function parseRpmVersion(evr: string): RpmVersion {
  if (evr === "") invalidVersion("rpm", evr, "empty version");
  let s = 0;
  while (s < evr.length && isDigit(evr.charCodeAt(s))) s++;
  let epoch: string | undefined;
  let rest = evr;
  if (evr[s] === ":") {
    epoch = s === 0 ? "0" : evr.slice(0, s);
    rest = evr.slice(s + 1);
  }
  const hyphen = rest.lastIndexOf("-");
  const version = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const release = hyphen >= 0 ? rest.slice(hyphen + 1) : undefined;
  if (version === "") invalidVersion("rpm", evr, "empty version part");
  const out: { epoch?: string; version: string; release?: string } = { version };
  if (epoch !== undefined) out.epoch = epoch;
  if (release !== undefined) out.release = release;
  return out;
}

/**
 * Compare EVRs like rpm's Python `labelCompare((e, v, r), (e, v, r))` (python/rpmmodule.c): a missing epoch
 * is "0"; each part is compared with rpmvercmp; a missing release sorts before any release (that keeps the
 * order total, unlike rpmdsCompare's "match any release" used for dependency ranges).
 */
export function compareRpmParsed(a: RpmVersion, b: RpmVersion): number {
  const rc = rpmvercmp(a.epoch ?? "0", b.epoch ?? "0");
  if (rc !== 0) return rc;
  const rv = rpmvercmp(a.version, b.version);
  if (rv !== 0) return rv;
  if (a.release === undefined || b.release === undefined) {
    if (a.release === b.release) return 0;
    return a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

/** Red Hat family (RHEL, Fedora, CentOS, Rocky, Alma, SUSE, Oracle, Amazon, Mariner) `[epoch:]version[-release]`. */
export const rpm: VersionScheme = makeScheme("Red Hat", parseRpmVersion, compareRpmParsed);
