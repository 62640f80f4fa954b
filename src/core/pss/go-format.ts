/**
 * Go formatting helpers, reproduced so messages match pod-security-admission byte for byte
 * (staging/src/k8s.io/pod-security-admission/policy/helpers.go and the Go standard library).
 */

/** `joinQuote` from policy/helpers.go: `"a", "b"`, or "" for an empty list. */
export function joinQuote(items: readonly string[]): string {
  if (items.length === 0) return "";
  return `"${items.join('", "')}"`;
}

/** `pluralize` from policy/helpers.go. */
export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/**
 * Go string order: byte-wise over UTF-8, which equals code-point order. JavaScript's default sort
 * compares UTF-16 code units and disagrees for astral characters against U+E000..U+FFFF.
 */
export function compareGo(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Only surrogates need care: a surrogate (astral character) sorts after every BMP code point.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca < cb ? -1 : 1;
  }
  return a.length - b.length;
}

/** `sets.NewString(...).List()` / `sets.List(...)`: de-duplicated and sorted the Go way. */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareGo);
}

/**
 * Go's unicode.IsPrint beyond ASCII. Made on first use (only non-ASCII text needs it): the five Unicode property
 * escapes cost V8 more to parse than the rest of this module's load.
 */
let printable: RegExp | undefined;
const isPrintable = (ch: string): boolean => {
  printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
  return printable.test(ch);
};

/**
 * Go's `%q` (strconv.Quote): double-quoted, with Go escapes. Printable Unicode stays literal, like
 * Go's unicode.IsPrint (letters, marks, numbers, punctuation, symbols and the ASCII space).
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp === 0x20 || (cp > 0x20 && cp < 0x7f)) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp >= 0xd800 && cp <= 0xdfff)
      // A lone surrogate cannot come out of Go's JSON decoder: it becomes U+FFFD there.
      out += "\ufffd";
    else if (isPrintable(ch)) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += `\\U${cp.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}
