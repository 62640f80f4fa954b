import { compareDigits, compareStrings, invalidVersion, lenientScheme, makeScheme } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

/** A segment of a Gem::Version: a digit string (Ruby Integer, unbounded) or a letter run. */
type Segment = { readonly num: string } | { readonly str: string };

// Gem::Version::ANCHORED_VERSION_PATTERN (rubygems lib/rubygems/version.rb). An empty or blank string is
// valid and means "0". Ruby's \s is ASCII whitespace [ \t\r\n\f\v].
const GEM_RE =
  /^[ \t\r\n\f\v]*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?[ \t\r\n\f\v]*$/;

/**
 * Gem::Version#canonical_segments: trailing zeros dropped from the numeric run and from the part after the first
 * string segment ("1.0.a.0" -> 1, a).
 */
function canonicalSegments(segments: readonly Segment[]): Segment[] {
  const firstString = segments.findIndex((x) => "str" in x);
  const numeric = firstString < 0 ? segments : segments.slice(0, firstString);
  const rest = firstString < 0 ? [] : segments.slice(firstString);
  const dropZeros = (xs: readonly Segment[]): Segment[] => {
    let n = xs.length;
    while (n > 0 && "num" in xs[n - 1]! && (xs[n - 1] as { num: string }).num === "0") n--;
    return xs.slice(0, n);
  };
  const out = dropZeros(numeric);
  for (const x of dropZeros(rest)) out.push(x);
  return out;
}

/**
 * Parse like `Gem::Version.new`: strip, "-" becomes ".pre.", then scan digit runs and letter runs, and compute
 * `canonical_segments` (trailing zeros dropped from the numeric part and from the part after the first letter).
 */
export function parseGemVersion(input: string): readonly Segment[] {
  if (!GEM_RE.test(input)) invalidVersion("RubyGems", input, "malformed version number string");
  let v = input.replace(/^[ \t\r\n\f\v\0]+|[ \t\r\n\f\v\0]+$/g, "");
  if (v === "") v = "0";
  v = v.replaceAll("-", ".pre.");
  const segments: Segment[] = (v.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) =>
    /^[0-9]+$/.test(s) ? { num: s.replace(/^0+(?=.)/, "") } : { str: s },
  );
  return canonicalSegments(segments);
}

const ZERO: Segment = { num: "0" };

/** `Gem::Version#<=>` over canonical segments: a letter segment sorts before a number (prerelease). */
export function compareGemParsed(a: readonly Segment[], b: readonly Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a[i] ?? ZERO;
    const r = b[i] ?? ZERO;
    if ("num" in l && "num" in r) {
      const c = compareDigits(l.num, r.num);
      if (c !== 0) return c;
    } else if ("str" in l && "str" in r) {
      // Ruby String#<=> compares bytes; these are ASCII letters.
      const c = compareStrings(l.str, r.str);
      if (c !== 0) return c;
    } else return "str" in l ? -1 : 1;
  }
  return 0;
}

/** RubyGems (`Gem::Version`). */
export const rubygems: VersionScheme = makeScheme("RubyGems", parseGemVersion, compareGemParsed);

/**
 * osv-scanner's reading of a string Gem::Version refuses ("1beta", "1.0_rc"): a "." is inserted wherever an
 * ASCII digit meets a non-digit, the result is split on ".", every all-digit piece is a number and every other
 * piece a string, and canonical segments drop trailing zeros of the numeric run and of the rest. The segments
 * are then ordered exactly like Gem::Version's (a string before a number), so "1beta" sits with "1.beta".
 */
export function lenientGemSegments(input: string): readonly Segment[] {
  let canon = "";
  let checkPrevious = false;
  let previousWasDigit = true;
  for (const c of input) {
    if (c === ".") {
      checkPrevious = false;
      canon += ".";
      continue;
    }
    const digit = c >= "0" && c <= "9";
    if (checkPrevious && previousWasDigit !== digit) canon += ".";
    canon += c;
    previousWasDigit = digit;
    checkPrevious = true;
  }
  const segments: Segment[] = canon
    .split(".")
    .map((p) => (/^[0-9]+$/.test(p) ? { num: p.replace(/^0+(?=.)/, "") } : { str: p }));
  return canonicalSegments(segments);
}

/**
 * RubyGems advisories and lockfiles as osv-scanner reads them: Gem::Version exactly where the string is a valid
 * gem version, {@link lenientGemSegments} where Gem::Version would raise, so the match is never skipped.
 */
export const rubygemsLenient: VersionScheme = lenientScheme(
  "RubyGems",
  parseGemVersion,
  lenientGemSegments,
  compareGemParsed,
);
