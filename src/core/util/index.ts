/** Small pure helpers shared by every domain. */

export { GLOB_MAX_PATTERN, GLOB_MAX_VALUE, globMatch, globPatternProblem } from "./glob.js";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/**
 * The prototype of every map {@link asStringMap} makes: empty, frozen, itself without a prototype, so no key
 * (`constructor`, `__proto__`) is inherited. Not `Object.create(null)` for the maps themselves: V8 keeps those in
 * dictionary mode (a hash table of about 250 bytes for a few labels), while objects with a prototype share hidden
 * classes; labels and annotations of every object were a quarter of a large inventory's heap.
 */
const STRING_MAP_PROTO: object = Object.freeze(Object.create(null));

/** Read a string-to-string map (labels, annotations), ignoring non-string values. */
export function asStringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(STRING_MAP_PROTO);
  if (!isRecord(v)) return out;
  // Object.keys, not Object.entries: no [key, value] pair per entry (labels and annotations of every object).
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const val = v[k];
    if (typeof val === "string") out[k] = val;
    else if (typeof val === "number" || typeof val === "boolean") out[k] = String(val);
  }
  return out;
}

/** Whether `v` is a map made by {@link asStringMap} (so every value a string, no key inherited). */
export function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === STRING_MAP_PROTO;
}

/**
 * A record whose values are all strings, as a map {@link asStringMap} makes (the same keys in the same order, so the
 * same JSON); anything else as it is. For labels and annotations kept in an object's metadata: the inventory then
 * reads that map itself instead of a copy ({@link sharedStringMap}).
 */
export function asStringMapIfStrings(v: unknown): unknown {
  if (!isRecord(v) || isStringMap(v)) return v;
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) if (typeof v[keys[i] as string] !== "string") return v;
  return asStringMap(v);
}

/** The one empty map {@link sharedStringMap} gives: frozen, since every object without labels shares it. */
const EMPTY_STRING_MAP: Record<string, string> = Object.freeze(asStringMap(undefined));

/**
 * {@link asStringMap} for a map that is kept and never written to (an object's labels and annotations): a map it
 * made is returned itself, and an empty one is shared. About 0.1 KB per object of a large inventory, where an
 * object's metadata and its normalised labels held the same map twice.
 */
export function sharedStringMap(v: unknown): Record<string, string> {
  const map = isStringMap(v) ? v : asStringMap(v);
  return Object.keys(map).length === 0 ? EMPTY_STRING_MAP : map;
}

/** Keys that must never appear in parsed input: they would reach Object.prototype through naive merges. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Stable JSON: object keys sorted, so equal data gives byte-identical text. */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const val = v[k];
      if (val !== undefined) out[k] = sortKeys(val);
    }
    return out;
  }
  return v;
}

/**
 * The reason of a JSON.parse failure without V8's excerpt of the input (`Unexpected token 'r', "root:x:0:0"...
 * is not valid JSON`): the input may be a secret, and Palisade never prints one.
 */
export function jsonErrorReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // V8 forms: `Unexpected token 'x', "abc" is not valid JSON`, with "..." before and/or after the quoted excerpt.
  return msg.replace(/, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, "");
}

/**
 * Append every element of each list to `into`, in order, and return `into`. Never `into.push(...xs)`: a spread
 * puts every element on the call stack, and past about 120k elements V8 throws "Maximum call stack size
 * exceeded" (src/spread-calls.test.ts forbids spreads in calls).
 */
export function appendAll<T>(into: T[], ...lists: readonly (readonly T[])[]): T[] {
  for (const xs of lists) for (let i = 0; i < xs.length; i++) into.push(xs[i] as T);
  return into;
}

/** The largest of `start` and the values, without spreading them into Math.max. */
export function maxOf(start: number, values: Iterable<number>): number {
  let m = start;
  for (const v of values) if (v > m) m = v;
  return m;
}

// A host (name or IPv4, optional port) followed by a path: what userinfo precedes in an image reference or URL.
const USERINFO = /(^|[\s"'=(,[]|:\/\/)[^\s"'=(,[\]/@]+@(?=[A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?\/)/g;
// What USERINFO needs after its `@`; a text without it has nothing to strip. Sticky: tried only at each `@`.
const AT_HOST_PATH = /@[A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?\//y;
// The same, percent-encoded in a purl qualifier (`repository_url=user%3Apass%40host/app`).
const USERINFO_ENCODED = /(=)[^\s"'=&/@]*%40(?=[A-Za-z0-9][A-Za-z0-9.-]*(?:(?::|%3A)\d+)?(?:\/|%2F))/gi;

/**
 * Whether an `@` is followed by a host and a path somewhere in `text`. The `@` are found with indexOf and the
 * pattern tried only there: a regular expression scanning for `@` took about three times as long on a large
 * report (its chunks are written through {@link stripUserinfo}).
 */
function hasAtHostPath(text: string): boolean {
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    AT_HOST_PATH.lastIndex = at;
    if (AT_HOST_PATH.test(text)) return true;
  }
  return false;
}

/**
 * Remove credentials written into an image reference, URL or purl `repository_url` (`user:secret@registry/app`
 * becomes `registry/app`): the one function used where references are parsed and on everything the CLI prints,
 * so a registry password given by mistake is neither shown nor stored. A digest (`app@sha256:...`) is kept: no
 * host and path follow its `@`.
 */
export function stripUserinfo(text: string): string {
  // Each pattern runs only where it can match: output with many `@` (e-mail user names, digests) but no host and
  // path after any of them is left as is after one cheap scan, where USERINFO's leading alternation would be tried
  // at every position (half a second on the 26 MB report of a 10k-binding RBAC scan). Removing userinfo cannot
  // create a `%40`, so the encoded form is looked for in the input.
  const plain = hasAtHostPath(text);
  // "%40" has no letter, so the case-insensitive search for it is a plain one.
  const encoded = text.includes("%40");
  if (!plain && !encoded) return text;
  const out = plain ? text.replace(USERINFO, "$1") : text;
  return encoded ? out.replace(USERINFO_ENCODED, "$1") : out;
}
