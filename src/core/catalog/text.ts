/** Small pure helpers shared by the catalogers. */

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Decode bytes as UTF-8 (invalid sequences become U+FFFD rather than throwing: package DBs are not always clean). */
export function decodeUtf8(data: Uint8Array): string {
  return decoder.decode(data);
}

/**
 * Parse RFC 822 style stanzas (dpkg status, Python METADATA): `Key: value` lines, continuation lines start with
 * a space or tab, stanzas separated by blank lines. Keys keep their case; the first occurrence of a key wins.
 * `maxStanzas` bounds the work on hostile input.
 */
export function parseStanzas(
  text: string,
  maxStanzas = 100_000,
): { stanzas: Map<string, string>[]; truncated: boolean } {
  const stanzas: Map<string, string>[] = [];
  let cur = new Map<string, string>();
  let lastKey: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    if (rawLine.trim() === "") {
      if (cur.size > 0) {
        if (stanzas.length >= maxStanzas) return { stanzas, truncated: true };
        stanzas.push(cur);
        cur = new Map();
      }
      lastKey = undefined;
      continue;
    }
    if ((rawLine.startsWith(" ") || rawLine.startsWith("\t")) && lastKey !== undefined) {
      cur.set(lastKey, `${cur.get(lastKey) ?? ""}\n${rawLine.trim()}`);
      continue;
    }
    const colon = rawLine.indexOf(":");
    if (colon <= 0) continue;
    const key = rawLine.slice(0, colon).trim();
    if (!cur.has(key)) cur.set(key, rawLine.slice(colon + 1).trim());
    lastKey = key;
  }
  if (cur.size > 0 && stanzas.length < maxStanzas) stanzas.push(cur);
  return { stanzas, truncated: false };
}

/** Last path component. */
export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i >= 0 ? path.slice(i + 1) : path;
}

/**
 * Call `fn` with each line of `text` (without its `\n` or `\r\n`) and its 1-based number, without building the
 * array of all lines a split would (a 40 MB lock file of short lines would hold millions of strings at once).
 * Returning false stops the walk.
 */
export function forEachLine(text: string, fn: (line: string, lineNo: number) => unknown): void {
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    lineNo++;
    const line =
      text.charCodeAt(end - 1) === 0x0d && end > start ? text.slice(start, end - 1) : text.slice(start, end);
    if (fn(line, lineNo) === false) return;
    start = end + 1;
  }
}
