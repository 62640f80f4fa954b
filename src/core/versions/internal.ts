import { PalisadeError } from "../errors/index.js";

/** Throw the error every scheme raises for a version it cannot parse (code INPUT, see VersionScheme.compare). */
export function invalidVersion(scheme: string, version: string, reason: string): never {
  throw new PalisadeError("INPUT", `invalid ${scheme} version ${JSON.stringify(version)}: ${reason}`, {
    context: { field: "version" },
  });
}

/** Sign of a difference as -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compare two decimal digit strings numerically, of any length (leading zeros ignored). */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Byte-wise (UTF-16 code unit) string comparison, like C strcmp on ASCII. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Encode a string as a "binary string" (one char per UTF-8 byte) so ports of C code that walk `char *`
 * see the same bytes the C tool sees. ASCII strings are returned unchanged.
 */
export function toBytes(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the whole ASCII table
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  const bytes = new TextEncoder().encode(s);
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/** Build a VersionScheme-shaped object from a parse function and a comparison of parsed values. */
export function makeScheme<T>(
  name: string,
  parse: (v: string) => T,
  compareParsed: (a: T, b: T) => number,
): { readonly name: string; isValid(v: string): boolean; compare(a: string, b: string): number } {
  return {
    name,
    isValid(v: string): boolean {
      try {
        parse(v);
        return true;
      } catch {
        return false;
      }
    },
    compare(a: string, b: string): number {
      return sign(compareParsed(parse(a), parse(b)));
    },
  };
}

/** Compare strings by Unicode code point (Python's str order; UTF-16 order differs above U+D7FF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * A scheme that orders every non-empty string, as the ecosystems' own tooling does for versions outside the
 * strict grammar (pip's LegacyVersion, osv-scanner's lenient parsers): never a failed match. Each version maps
 * to one key, exact (`parse`) where the version is valid and `fallback` otherwise, and keys are compared with
 * one comparator, so mixing valid and invalid versions stays a total preorder (transitive). A version even the
 * fallback cannot read sorts before every other, by code unit order among themselves. Only "" is invalid.
 */
export function lenientScheme<K>(
  name: string,
  parse: (v: string) => K,
  fallback: (v: string) => K | undefined,
  compareKeys: (a: K, b: K) => number,
): { readonly name: string; isValid(v: string): boolean; compare(a: string, b: string): number } {
  type Key = { readonly k: K } | { readonly raw: string };
  const key = (v: string): Key => {
    if (v === "") invalidVersion(name, v, "empty version");
    try {
      return { k: parse(v) };
    } catch {
      const k = fallback(v);
      return k === undefined ? { raw: v } : { k };
    }
  };
  return {
    name,
    isValid: (v) => v !== "",
    compare(a: string, b: string): number {
      const x = key(a);
      const y = key(b);
      if ("k" in x && "k" in y) return sign(compareKeys(x.k, y.k));
      if ("raw" in x && "raw" in y) return sign(compareStrings(x.raw, y.raw));
      return "raw" in x ? -1 : 1;
    },
  };
}
