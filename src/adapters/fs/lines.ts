import type { Readable } from "node:stream";

/** A line longer than the cap: its text is not kept, only how long it was when reading gave up on it. */
export interface OverLongLine {
  overLong: true;
  bytes: number;
}

/**
 * Split a byte stream into lines (LF or CRLF) without ever holding more than one line (capped at `maxLineBytes`)
 * beyond the current chunk: a longer line is skipped to its end and yielded as {@link OverLongLine}. A final line
 * without a newline is yielded too (a truncated last record reads as what it is).
 */
export async function* readLines(
  stream: Readable | NodeJS.ReadableStream,
  maxLineBytes: number,
): AsyncGenerator<string | OverLongLine> {
  let carry = "";
  let skipping = 0; // > 0: inside an over-long line, this many chars seen
  (stream as Readable).setEncoding?.("utf8");
  for await (const chunk of stream as AsyncIterable<string | Buffer>) {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl === -1) {
        const rest = text.slice(start);
        if (skipping > 0) skipping += rest.length;
        else if (carry.length + rest.length > maxLineBytes) {
          skipping = carry.length + rest.length;
          carry = "";
        } else carry += rest;
        break;
      }
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (skipping > 0) {
        yield { overLong: true, bytes: skipping + piece.length };
        skipping = 0;
        continue;
      }
      let line = carry.length > 0 ? carry + piece : piece;
      carry = "";
      if (line.length > maxLineBytes) {
        yield { overLong: true, bytes: line.length };
        continue;
      }
      if (line.endsWith("\r")) line = line.slice(0, -1);
      yield line;
    }
  }
  if (skipping > 0) yield { overLong: true, bytes: skipping };
  else if (carry.length > 0) yield carry.endsWith("\r") ? carry.slice(0, -1) : carry;
}
