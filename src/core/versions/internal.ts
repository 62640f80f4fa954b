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
