import { FORBIDDEN_KEYS, jsonErrorReason } from "../util/index.js";
import { type CatalogResult, failed } from "./model.js";
import { decodeUtf8 } from "./text.js";

/*
 * Lines of the values in a JSON text, for lock files whose packages must point back at their line. JSON.parse
 * gives no positions, so after it has validated the text this single pass finds where each value starts, up to
 * a depth: one map entry per value at depth 1..maxDepth (a composer.lock with 500 packages and depth 3 holds a
 * few thousand entries, whatever the size of the rest).
 */

/** The key of a value's path: object keys and array indices joined by NUL (a key holding NUL itself only blurs a line). */
export function jsonPathKey(...segments: (string | number)[]): string {
  return jsonPathKeyOf(segments);
}

/** {@link jsonPathKey} of a path held in an array (no spread call: a path may be long). */
export function jsonPathKeyOf(segments: readonly (string | number)[]): string {
  return segments.join("\u0000");
}

interface Frame {
  obj: boolean;
  path: string;
  depth: number;
  index: number;
  key: string;
  expectKey: boolean;
}

/** End index (inclusive) of the string literal opening at `start`, or -1 when it is not closed. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let j = q - 1; j > start && text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

/**
 * Map each value at depth 1..maxDepth (the root's members are depth 1) to its 1-based line, keyed by
 * {@link jsonPathKey}. Meant for text JSON.parse accepted; on anything else it stops where the text stops making
 * sense and returns what it found (lines are a convenience, never a reason to refuse a file). At most
 * `maxEntries` values are recorded.
 */
export function jsonValueLines(text: string, maxDepth: number, maxEntries = 1_000_000): Map<string, number> {
  const out = new Map<string, number>();
  const frames: Frame[] = [];
  /** How deep the scan is inside a container whose members are past maxDepth (0: not inside one). */
  let below = 0;
  let line = 1;
  const start = (): { path: string; depth: number } => {
    const top = frames[frames.length - 1];
    if (!top) return { path: "", depth: 0 };
    const seg = top.obj ? top.key : String(top.index);
    return { path: top.depth === 0 ? seg : `${top.path}\u0000${seg}`, depth: top.depth + 1 };
  };
  const record = (at: { path: string; depth: number }) => {
    if (at.depth >= 1 && at.depth <= maxDepth && out.size < maxEntries) out.set(at.path, line);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x3a /* : */ || c === 0xfeff) continue;
    const top = below > 0 ? undefined : frames[frames.length - 1];
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (end < 0) return out;
      if (below > 0) {
        i = end;
        continue;
      }
      if (top?.obj && top.expectKey) {
        try {
          top.key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return out;
        }
        top.expectKey = false;
      } else record(start());
      i = end;
      continue;
    }
    if (c === 0x2c /* , */) {
      if (below > 0) continue;
      if (!top) return out;
      if (top.obj) top.expectKey = true;
      else top.index++;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (below > 0) {
        below++;
        continue;
      }
      const at = start();
      record(at);
      // Containers whose members are past maxDepth are only counted: a text nested a million deep (which
      // JSON.parse accepts) costs a counter, not a million frames.
      if (at.depth >= maxDepth) below = 1;
      else
        frames.push({ obj: c === 0x7b, path: at.path, depth: at.depth, index: 0, key: "", expectKey: true });
      continue;
    }
    if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (below > 0) below--;
      else frames.pop();
      continue;
    }
    // A number or literal: record it and skip to its end.
    if (below === 0) record(start());
    while (i + 1 < text.length && !/[\s,}\]]/.test(text[i + 1] as string)) i++;
  }
  return out;
}

/**
 * Parse a JSON package file, then drop prototype-polluting keys (`__proto__`, `constructor`, `prototype`) at every
 * depth before anything reads or merges the object. JSON.parse makes them own properties (never the prototype);
 * they are removed by an explicit-stack walk rather than a reviver, whose recursion overflows the call stack on
 * nesting JSON.parse itself accepts (a million `[`). A text that is not JSON is a parse-error result naming the file.
 */
export function parseJsonFile(
  data: Uint8Array,
  path: string,
): { ok: true; value: unknown; text: string } | { ok: false; result: CatalogResult } {
  const text = decodeUtf8(data);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, result: failed("parse-error", path, `invalid JSON: ${jsonErrorReason(e)}`) };
  }
  // Such a key is spelled out in the text, or hidden behind a \u escape: without either, there is none to drop.
  const mayHave = ["__proto__", "constructor", "prototype", "\\u"].some((w) => text.includes(w));
  const stack: unknown[] = mayHave ? [value] : [];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === "object" && x !== null) stack.push(x);
      continue;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (FORBIDDEN_KEYS.has(k)) delete o[k];
      else if (typeof o[k] === "object" && o[k] !== null) stack.push(o[k]);
    }
  }
  return { ok: true, value, text };
}
