import { invalidVersion, sign } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

// Token types, in apk-tools' order (src/version.c, `enum PARTS`): the numeric order matters below.
const T_INVALID = -1;
const T_DIGIT_OR_ZERO = 0;
const T_DIGIT = 1;
const T_LETTER = 2;
const T_SUFFIX = 3;
const T_SUFFIX_NO = 4;
const T_REVISION_NO = 5;
const T_END = 6;

const PRE_SUFFIXES = ["alpha", "beta", "pre", "rc"] as const;
const POST_SUFFIXES = ["cvs", "svn", "git", "hg", "p"] as const;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLower = (c: number): boolean => c >= 97 && c <= 122;

/** A token value: numbers with up to 17 digits exceed 2^53, so long ones are kept as bigint. */
type TokenValue = number | bigint;

/** Cursor over a version string ("blob"), mutated the way apk-tools mutates its `apk_blob_t`. */
interface Blob {
  s: string;
  p: number;
}

const len = (b: Blob): number => b.s.length - b.p;
const ch = (b: Blob, k = 0): number => (b.p + k < b.s.length ? b.s.charCodeAt(b.p + k) : 0);

function nextToken(type: number, b: Blob): number {
  let n = T_INVALID;
  if (len(b) === 0 || ch(b) === 0) {
    n = T_END;
  } else if ((type === T_DIGIT || type === T_DIGIT_OR_ZERO) && isLower(ch(b))) {
    n = T_LETTER;
  } else if (type === T_LETTER && isDigit(ch(b))) {
    n = T_DIGIT;
  } else if (type === T_SUFFIX && isDigit(ch(b))) {
    n = T_SUFFIX_NO;
  } else {
    switch (ch(b)) {
      case 46: // '.'
        n = T_DIGIT_OR_ZERO;
        break;
      case 95: // '_'
        n = T_SUFFIX;
        break;
      case 45: // '-'
        if (len(b) > 1 && ch(b, 1) === 114 /* 'r' */) {
          n = T_REVISION_NO;
          b.p++;
        } else n = T_INVALID;
        break;
    }
    b.p++;
  }
  if (n < type) {
    if (
      !(
        (n === T_DIGIT_OR_ZERO && type === T_DIGIT) ||
        (n === T_SUFFIX && type === T_SUFFIX_NO) ||
        (n === T_DIGIT && type === T_LETTER)
      )
    )
      n = T_INVALID;
  }
  return n;
}

/** Port of `get_token()`; returns [value, next type]. */
function getToken(type: number, b: Blob): [TokenValue, number] {
  if (len(b) <= 0) return [0, T_END];
  let i = 0;
  let nt = T_INVALID;
  let v: TokenValue = 0;
  const at = (k: number): number => ch(b, k);
  const digits = (): boolean => {
    const start = i;
    while (i < len(b) && isDigit(at(i))) i++;
    const run = b.s.slice(b.p + start, b.p + i);
    // apk-tools accumulates in int64 and rejects runs of 18 or more digits ("if (i >= 18) goto invalid").
    // `i` counts from the start of the token, which for DIGIT_OR_ZERO is also the first digit.
    if (i >= 18) return false;
    v = run.length === 0 ? 0 : run.length > 15 ? BigInt(run) : Number(run);
    return true;
  };
  switch (type) {
    case T_DIGIT_OR_ZERO:
      // Leading zeros get a special treatment: "1.01" < "1.1" because the zero run scores -count.
      if (at(0) === 48) {
        while (i < len(b) && at(i) === 48) i++;
        nt = T_DIGIT;
        v = -i;
        break;
      }
      if (!digits()) return [-1, T_INVALID];
      break;
    case T_DIGIT:
    case T_SUFFIX_NO:
    case T_REVISION_NO:
      if (!digits()) return [-1, T_INVALID];
      break;
    case T_LETTER:
      v = at(0);
      i = 1;
      break;
    case T_SUFFIX: {
      const pre = PRE_SUFFIXES.findIndex((x) => b.s.startsWith(x, b.p));
      if (pre >= 0) {
        v = pre - PRE_SUFFIXES.length;
        i = PRE_SUFFIXES[pre]!.length;
        break;
      }
      const post = POST_SUFFIXES.findIndex((x) => b.s.startsWith(x, b.p));
      if (post >= 0) {
        v = post;
        i = POST_SUFFIXES[post]!.length;
        break;
      }
      return [-1, T_INVALID];
    }
    default:
      return [-1, T_INVALID];
  }
  b.p += i;
  let next: number;
  if (len(b) === 0) next = T_END;
  else if (nt !== T_INVALID) next = nt;
  else next = nextToken(type, b);
  return [v, next];
}

/** `apk_version_validate()`: the whole string tokenises to the end. */
export function isValidApkVersion(version: string): boolean {
  const b: Blob = { s: version, p: 0 };
  let t = T_DIGIT;
  while (t !== T_END && t !== T_INVALID) t = getToken(t, b)[1];
  return t === T_END;
}

const cmp = (a: TokenValue, b: TokenValue): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `apk_version_compare()` exactly as apk-tools does it, including on invalid versions (it compares the
 * tokens up to the first invalid one). Use {@link apk} for the validating scheme.
 */
export function compareApkRaw(a: string, b: string): number {
  const ba: Blob = { s: a, p: 0 };
  const bb: Blob = { s: b, p: 0 };
  let at = T_DIGIT;
  let bt = T_DIGIT;
  let av: TokenValue = 0;
  let bv: TokenValue = 0;
  while (at === bt && at !== T_END && at !== T_INVALID && cmp(av, bv) === 0) {
    [av, at] = getToken(at, ba);
    [bv, bt] = getToken(bt, bb);
  }
  const c = cmp(av, bv);
  if (c !== 0) return c;
  if (at === bt) return 0;
  // Same tokens so far: the longer version is newer unless what follows is a pre-release suffix.
  if (at === T_SUFFIX && cmp(getToken(at, { ...ba })[0], 0) < 0) return -1;
  if (bt === T_SUFFIX && cmp(getToken(bt, { ...bb })[0], 0) < 0) return 1;
  if (at > bt) return -1;
  if (bt > at) return 1;
  return 0;
}

/**
 * Alpine `apk` versions (Gentoo-style `{digit}{.digit}...{letter}{_suf{#}}...{-r#}`) as apk-tools orders them:
 * `_alpha` `_beta` `_pre` `_rc` sort before the release, `_cvs` `_svn` `_git` `_hg` `_p` after it.
 */
export const apk: VersionScheme = {
  name: "Alpine",
  // apk-tools validates "" (no tokens at all); no package has an empty version, so we refuse it.
  isValid: (v) => v !== "" && isValidApkVersion(v),
  compare(a: string, b: string): number {
    if (a === "" || !isValidApkVersion(a)) invalidVersion("apk", a, "not a valid apk version");
    if (b === "" || !isValidApkVersion(b)) invalidVersion("apk", b, "not a valid apk version");
    return sign(compareApkRaw(a, b));
  },
};

/**
 * Alpine as apk-tools itself orders what it is given: exact for valid versions, and for strings
 * apk_version_validate() refuses ("1-r-0") the same token walk up to the first invalid token, which is what
 * `apk version -t` answers. Never a failed match; only "" is refused.
 */
export const apkLenient: VersionScheme = {
  name: "Alpine",
  isValid: (v) => v !== "",
  compare(a: string, b: string): number {
    if (a === "") invalidVersion("apk", a, "empty version");
    if (b === "") invalidVersion("apk", b, "empty version");
    return sign(compareApkRaw(a, b));
  },
};
