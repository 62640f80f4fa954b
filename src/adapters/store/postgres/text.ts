/** PostgreSQL text that keeps every JavaScript string: NUL and unpaired surrogates, order preserved. */
import { Buffer } from "node:buffer";

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * A string as PostgreSQL stores it. NUL becomes U+0001 U+0001 and U+0001 becomes U+0001 U+0002: a prefix-free
 * code whose first unit sorts below every other character, so the encoding is injective and keeps byte order
 * (ordering by id and `max(modified)` agree with the SQLite store). Strings without either character, all real
 * ones, are stored unchanged. Unpaired surrogates become U+FFFD here, as the UTF-8 wire encoding would make them.
 */
export function pgText(s: string): string {
  let out = s;
  if (out.includes("\u0000") || out.includes("\u0001"))
    out = out.replaceAll("\u0001", "\u0001\u0002").replaceAll("\u0000", "\u0001\u0001");
  if (SURROGATE.test(out)) out = Buffer.from(out, "utf8").toString("utf8");
  return out;
}

/** Inverse of {@link pgText} (except for unpaired surrogates, which are gone). */
export function fromPgText(s: string): string {
  if (!s.includes("\u0001")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "\u0001") {
      out += s[i + 1] === "\u0001" ? "\u0000" : "\u0001";
      i++;
    } else out += ch;
  }
  return out;
}
