import { compareDigits, compareStrings, invalidVersion, lenientScheme, makeScheme } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

/** A NuGetVersion: four numbers (missing ones are 0), release labels, metadata (ignored for ordering). */
export interface NuGetVersion {
  readonly parts: readonly [number, number, number, number];
  readonly releaseLabels: readonly string[];
  readonly metadata: string;
}

const INT32_MAX = 2147483647;
// .NET int.TryParse(NumberStyles.Integer) allows leading/trailing white space (U+0009..U+000D, U+0020).
const COMPONENT_RE = /^[\t\n\v\f\r ]*([0-9]+)[\t\n\v\f\r ]*$/;
const PART_RE = /^[0-9A-Za-z-]+$/;

/** NuGet's ParseSections: version before the first '-' or '+', labels up to '+', metadata after it. */
function parseSections(value: string): [string | undefined, string[] | undefined, string | undefined] {
  let version: string | undefined;
  let labels: string[] | undefined;
  let metadata: string | undefined;
  let dashPos = -1;
  let plusPos = -1;
  for (let i = 0; i < value.length; i++) {
    const end = i === value.length - 1;
    const c = value[i];
    if (dashPos < 0) {
      if (end || c === "-" || c === "+") {
        version = value.slice(0, i + (end ? 1 : 0));
        dashPos = i;
        if (c === "+") plusPos = i;
      }
    } else if (plusPos < 0) {
      if (end || c === "+") {
        labels = value.slice(dashPos + 1, i + (end ? 1 : 0)).split(".");
        plusPos = i;
      }
    } else if (end) {
      metadata = value.slice(plusPos + 1, i + 1);
    }
  }
  return [version, labels, metadata];
}

/** NuGet's IsValidPart: non-empty [0-9A-Za-z-], and no leading zero on an all-digit label unless allowed. */
function isValidPart(s: string, allowLeadingZeros: boolean): boolean {
  if (s.length === 0) return false;
  if (!allowLeadingZeros && s.length > 1 && s[0] === "0" && /^[0-9]+$/.test(s)) return false;
  return PART_RE.test(s);
}

/** Parse like `NuGetVersion.TryParse` (NuGet.Versioning): 1 to 4 numeric parts, SemVer 2 labels. */
export function parseNuGetVersion(input: string): NuGetVersion {
  const v = parseNuGetDigits(input, true);
  return { ...v, parts: v.parts.map(Number) as unknown as NuGetVersion["parts"] };
}

/** A NuGet version with its numeric parts as digit strings (no bound), for the lenient ordering. */
interface NuGetDigits {
  readonly parts: readonly [string, string, string, string];
  readonly releaseLabels: readonly string[];
  readonly metadata: string;
}

function parseNuGetDigits(input: string, int32: boolean): NuGetDigits {
  // .NET String.Trim() removes Unicode white space; JS trim() is the same set plus U+FEFF.
  const [versionPart, labels, metadata] = parseSections(input.trim());
  if (versionPart === undefined || versionPart === "") invalidVersion("NuGet", input, "empty version");
  // System.Version needs 2 to 4 components; NuGet appends ".0" to a single number.
  const comps = (versionPart.includes(".") ? versionPart : `${versionPart}.0`).split(".");
  if (comps.length < 2 || comps.length > 4) invalidVersion("NuGet", input, "expected 1 to 4 numeric parts");
  const nums = comps.map((c) => {
    const m = COMPONENT_RE.exec(c);
    const digits = m === null ? undefined : m[1]!.replace(/^0+(?=.)/, "");
    if (digits === undefined || (int32 && compareDigits(digits, String(INT32_MAX)) > 0))
      invalidVersion("NuGet", input, `bad version part ${JSON.stringify(c.slice(0, 40))}`);
    return digits;
  });
  if (labels !== undefined && !labels.every((l) => isValidPart(l, false)))
    invalidVersion("NuGet", input, "invalid release label");
  if (metadata !== undefined && !metadata.split(".").every((l) => isValidPart(l, true)))
    invalidVersion("NuGet", input, "invalid build metadata");
  return {
    parts: [nums[0] ?? "0", nums[1] ?? "0", nums[2] ?? "0", nums[3] ?? "0"],
    releaseLabels: labels ?? [],
    metadata: metadata ?? "",
  };
}

/** Int32.TryParse on a label: optional sign (a label may start with '-') and digits within int32. */
function int32(label: string): number | undefined {
  if (!/^-?[0-9]+$/.test(label)) return undefined;
  const n = Number(label);
  return n >= -2147483648 && n <= INT32_MAX ? n : undefined;
}

/** VersionComparer.CompareRelease: numbers numerically and before text; text ordinal ignoring case. */
function compareRelease(a: string, b: string): number {
  const x = int32(a);
  const y = int32(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if (x !== undefined || y !== undefined) return x !== undefined ? -1 : 1;
  // StringComparer.OrdinalIgnoreCase upper-cases both sides (ASCII here: labels are [0-9A-Za-z-]).
  return compareStrings(a.toUpperCase(), b.toUpperCase());
}

/** VersionComparer.Default: numbers, then release labels (a release sorts after its pre-releases). */
export function compareNuGetParsed(a: NuGetVersion | NuGetDigits, b: NuGetVersion | NuGetDigits): number {
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(String(a.parts[i]), String(b.parts[i]));
    if (c !== 0) return c;
  }
  const xl = a.releaseLabels;
  const yl = b.releaseLabels;
  if (xl.length > 0 && yl.length === 0) return -1;
  if (xl.length === 0 && yl.length > 0) return 1;
  const n = Math.max(xl.length, yl.length);
  for (let i = 0; i < n; i++) {
    if (i >= xl.length) return -1;
    if (i >= yl.length) return 1;
    const c = compareRelease(xl[i]!, yl[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** NuGet packages (NuGet.Versioning `VersionComparer.Default`). */
export const nuget: VersionScheme = makeScheme("NuGet", parseNuGetVersion, compareNuGetParsed);

/**
 * NuGet as osv-scanner orders it: NuGet.Versioning's order, but numeric parts of any size (NuGet itself refuses
 * a part above 2^31 - 1; osv-scanner and advisory data compare them as big integers) instead of a failed
 * match. Strings that are no version shape at all sort first.
 */
export const nugetLenient: VersionScheme = lenientScheme<NuGetDigits>(
  "NuGet",
  (v) => parseNuGetDigits(v, true),
  (v) => {
    try {
      return parseNuGetDigits(v, false);
    } catch {
      return undefined;
    }
  },
  compareNuGetParsed,
);
