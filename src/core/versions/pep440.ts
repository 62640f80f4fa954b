import {
  compareCodePoints,
  compareDigits,
  compareStrings,
  invalidVersion,
  lenientScheme,
  makeScheme,
} from "./internal.js";
import type { VersionScheme } from "./scheme.js";

/** A PEP 440 version, normalised as `packaging.version.Version` normalises it. Numbers are digit strings. */
export interface Pep440Version {
  readonly epoch: string;
  readonly release: readonly string[];
  /** Normalised letter ("a", "b", "rc"; see below) and number. */
  readonly pre?: readonly [string, string];
  /**
   * Normalised letter and number. The letter is always "post" except for the Unicode case-folding corner
   * ("poſt"), which packaging keeps and compares as is.
   */
  readonly post?: readonly [string, string];
  readonly dev?: string;
  /** Local segments, lower-cased; all-digit segments are numbers. */
  readonly local?: readonly string[];
}

// Python's `re.IGNORECASE` on a str pattern also matches these four non-ASCII letters against ASCII ones
// (Python docs, re.IGNORECASE): U+0130 and U+0131 match i, U+017F matches s, U+212A matches k.
const I = "[iI\\u0130\\u0131]";
const S = "[sS\\u017f]";
const ALNUM = "[a-zA-Z0-9\\u0130\\u0131\\u017f\\u212a]";
const ci = (word: string): string =>
  [...word].map((c) => (c === "i" ? I : c === "s" ? S : `[${c}${c.toUpperCase()}]`)).join("");
const SEP = "[-_.]?";
// VERSION_PATTERN from packaging/version.py (the reference implementation of PEP 440).
const PEP440_RE = new RegExp(
  "^[vV]?" +
    "(?:([0-9]+)!)?" +
    "([0-9]+(?:\\.[0-9]+)*)" +
    `(${SEP}(${["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"].map(ci).join("|")})${SEP}([0-9]+)?)?` +
    `((?:-([0-9]+))|(?:${SEP}(${["post", "rev", "r"].map(ci).join("|")})${SEP}([0-9]+)?))?` +
    `(${SEP}(${ci("dev")})${SEP}([0-9]+)?)?` +
    `(?:\\+(${ALNUM}+(?:[-_.]${ALNUM}+)*))?$`,
);

// Python's str.strip() and `\s`: Unicode whitespace, which includes U+001C..U+001F and U+0085 (unlike JS).
const PY_WS =
  "[\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const TRIM_RE = new RegExp(`^${PY_WS}+|${PY_WS}+$`, "g");

/** packaging's `_parse_letter_version`: alpha->a, beta->b, c/pre/preview->rc, rev/r->post. */
function normaliseLetter(letter: string): string {
  const l = letter.toLowerCase();
  if (l === "alpha") return "a";
  if (l === "beta") return "b";
  if (l === "c" || l === "pre" || l === "preview") return "rc";
  if (l === "rev" || l === "r") return "post";
  return l;
}

const stripZeros = (n: string): string => n.replace(/^0+(?=.)/, "");

/** Parse (and normalise) a PEP 440 version like `packaging.version.Version`. */
export function parsePep440(input: string): Pep440Version {
  const s = input.replace(TRIM_RE, "");
  const m = PEP440_RE.exec(s);
  if (m === null) invalidVersion("PEP 440", input, "not a PEP 440 version");
  const out: {
    epoch: string;
    release: string[];
    pre?: readonly [string, string];
    post?: readonly [string, string];
    dev?: string;
    local?: string[];
  } = {
    epoch: stripZeros(m[1] ?? "0"),
    release: m[2]!.split(".").map(stripZeros),
  };
  if (m[4] !== undefined) out.pre = [normaliseLetter(m[4]), stripZeros(m[5] ?? "0")];
  if (m[6] !== undefined)
    out.post = [m[8] === undefined ? "post" : normaliseLetter(m[8]), stripZeros(m[7] ?? m[9] ?? "0")];
  if (m[10] !== undefined) out.dev = stripZeros(m[12] ?? "0");
  if (m[13] !== undefined)
    out.local = m[13].split(/[-_.]/).map((p) => (/^[0-9]+$/.test(p) ? stripZeros(p) : p.toLowerCase()));
  return out;
}

function compareRelease(a: readonly string[], b: readonly string[]): number {
  // Trailing zeros are insignificant: 1.0 == 1.0.0 (packaging's _cmpkey strips them).
  let la = a.length;
  let lb = b.length;
  while (la > 0 && a[la - 1] === "0") la--;
  while (lb > 0 && b[lb - 1] === "0") lb--;
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return la === lb ? 0 : la < lb ? -1 : 1;
}

/**
 * Rank of the pre-release slot in packaging's `_cmpkey`: a dev release of a final version (1.0.dev1) sorts
 * before any pre-release of it; a version without pre-release sorts after all of them.
 */
function preRank(v: Pep440Version): number {
  if (v.pre === undefined && v.post === undefined && v.dev !== undefined) return -1;
  if (v.pre === undefined) return 1;
  return 0;
}

const isNum = (p: string): boolean => /^[0-9]+$/.test(p);

function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = isNum(x);
    const yn = isNum(y);
    // Numeric segments sort after alphanumeric ones (PEP 440 "Local version identifiers").
    const c = xn && yn ? compareDigits(x, y) : xn !== yn ? (xn ? 1 : -1) : compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Order of two parsed PEP 440 versions (packaging's `_cmpkey`). */
export function comparePep440Parsed(a: Pep440Version, b: Pep440Version): number {
  let c = compareDigits(a.epoch, b.epoch) || compareRelease(a.release, b.release);
  if (c !== 0) return c;
  const ra = preRank(a);
  const rb = preRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === 0) {
    c = compareStrings(a.pre![0], b.pre![0]) || compareDigits(a.pre![1], b.pre![1]);
    if (c !== 0) return c;
  }
  // No post release sorts before any post release.
  if (a.post === undefined || b.post === undefined) {
    if (a.post !== b.post) return a.post === undefined ? -1 : 1;
  } else {
    c = compareStrings(a.post[0], b.post[0]) || compareDigits(a.post[1], b.post[1]);
    if (c !== 0) return c;
  }
  // No dev release sorts after any dev release.
  if (a.dev !== b.dev) {
    if (a.dev === undefined) return 1;
    if (b.dev === undefined) return -1;
    c = compareDigits(a.dev, b.dev);
    if (c !== 0) return c;
  }
  return compareLocal(a.local, b.local);
}

/** Normalised string form, as `str(packaging.version.Version(v))`. */
export function normalizePep440(input: string): string {
  const v = parsePep440(input);
  let s = v.epoch !== "0" ? `${v.epoch}!` : "";
  s += v.release.join(".");
  if (v.pre) s += v.pre[0] + v.pre[1];
  if (v.post !== undefined) s += `.post${v.post[1]}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  if (v.local) s += `+${v.local.join(".")}`;
  return s;
}

/** Python packages (PyPI), PEP 440 as implemented by `packaging` >= 22 (no LegacyVersion). */
export const pep440: VersionScheme = makeScheme("PyPI", parsePep440, comparePep440Parsed);

// packaging 21.3 (the last with LegacyVersion; pip vendored it through pip 23): _legacy_version_component_re
// and _legacy_version_replacement_map. Python's \d is any Unicode decimal digit. Made on first use, not at load
// (a Unicode property escape is slow to parse; see maven.ts).
let legacySplit: RegExp | undefined;
const LEGACY_REPLACE: Readonly<Record<string, string>> = {
  pre: "c",
  preview: "c",
  "-": "final-",
  rc: "c",
  dev: "@",
};

/**
 * `_legacy_cmpkey` of packaging 21.3's LegacyVersion, for strings PEP 440 refuses ("0.1-bulbasaur",
 * "1.0-SNAPSHOT"): lower-cased, split into digit runs, letter runs, "." and "-" (what lies between them is kept
 * too), numbers zero-padded to 8, words prefixed with "*", and trailing zeros and "-" before pre-release tags
 * trimmed. Compared as a tuple of strings (by code point).
 */
export function legacyPypiKey(version: string): string[] {
  const parts: string[] = [];
  legacySplit ??= /(\p{Nd}+|[a-z]+|\.|-)/u;
  const pieces = version.toLowerCase().split(legacySplit);
  pieces.push("final");
  for (const raw of pieces) {
    const part = Object.hasOwn(LEGACY_REPLACE, raw) ? LEGACY_REPLACE[raw]! : raw;
    if (part === "" || part === ".") continue;
    let out: string;
    const c = part.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      // str.zfill(8), counted in code points
      const len = [...part].length;
      out = len < 8 ? "0".repeat(8 - len) + part : part;
    } else out = `*${part}`;
    if (out.startsWith("*")) {
      // remove "-" before a prerelease tag
      if (compareCodePoints(out, "*final") < 0) while (parts[parts.length - 1] === "*final-") parts.pop();
      // remove trailing zeros from each series of numeric parts
      while (parts[parts.length - 1] === "00000000") parts.pop();
    }
    parts.push(out);
  }
  return parts;
}

function compareLegacyKeys(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

type PypiKey = { readonly pep: Pep440Version } | { readonly legacy: readonly string[] };

/**
 * PyPI as pip orders it with packaging 21.3's `parse()`: a PEP 440 version exactly, anything else as a
 * LegacyVersion, which sorts before every PEP 440 version (its key's epoch is -1). osv-scanner does the same,
 * so an advisory range over a legacy version ("0.1-bulbasaur") is matched, never skipped.
 */
export const pypi: VersionScheme = lenientScheme<PypiKey>(
  "PyPI",
  (v) => ({ pep: parsePep440(v) }),
  (v) => ({ legacy: legacyPypiKey(v) }),
  (a, b) => {
    if ("pep" in a && "pep" in b) return comparePep440Parsed(a.pep, b.pep);
    if ("legacy" in a && "legacy" in b) return compareLegacyKeys(a.legacy, b.legacy);
    return "legacy" in a ? -1 : 1;
  },
);
