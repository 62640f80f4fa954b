import type { CoverageEntry, SourceLocation } from "../../core/findings/index.js";
import { inferListItemType, type RawObject, slimObject } from "../../core/inventory/index.js";
import { FORBIDDEN_KEYS, isRecord, jsonErrorReason } from "../../core/util/index.js";
import type { LoadLimits, LoadResult } from "./limits.js";
import { checkValue } from "./safety.js";
import { stripSecrets } from "./yaml-docs.js";

/** Position of an element, 1-based. */
interface ItemPos {
  line: number;
  column: number;
}

/**
 * Find where the elements of the top-level array (or of the top-level object's `items` array) start, in one
 * pass that skips over strings with indexOf. JSON strings cannot hold raw line breaks, so lines are counted
 * outside strings only. Runs on valid JSON (after JSON.parse succeeded).
 */
export function scanItemPositions(text: string): ItemPos[] {
  return scanItems(text).positions;
}

/** What one pass over a List's text learns about its items. */
interface ItemScan {
  positions: ItemPos[];
  /** Offset in the text where each item starts. */
  starts: number[];
  /** Deepest nesting of objects and arrays inside each item, the item itself counting 1 (0 for a scalar). */
  depths: number[];
}

/** {@link scanItemPositions}, plus each item's offset and nesting depth for the safety fast path. */
function scanItems(text: string): ItemScan {
  const out: ItemPos[] = [];
  const starts: number[] = [];
  const depths: number[] = [];
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  /** Depth of the array whose elements we record (1 for a root array, 2 for root `items`), or 0. */
  let target = 0;
  let expectValue = false;
  let lastKey = "";
  let rootIsArray: boolean | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    if (expectValue && depth === target && c !== 93) {
      out.push({ line, column: i - lineStart + 1 });
      starts.push(i);
      depths.push(0);
      expectValue = false;
    }
    if (c === 34) {
      let j = text.indexOf('"', i + 1);
      // Skip escaped quotes: a quote preceded by an odd number of backslashes.
      while (j > 0) {
        let k = j - 1;
        while (text.charCodeAt(k) === 92) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      if (j < 0) break;
      if (depth === 1 && rootIsArray === false) lastKey = text.slice(i + 1, j);
      i = j;
      continue;
    }
    if (c === 123 || c === 91) {
      if (rootIsArray === undefined) rootIsArray = c === 91;
      depth++;
      if (target > 0 && depth > target) {
        const d = depth - target;
        if (d > (depths[depths.length - 1] ?? 0)) depths[depths.length - 1] = d;
      }
      if (
        c === 91 &&
        ((depth === 1 && rootIsArray) || (depth === 2 && !rootIsArray && lastKey === "items"))
      ) {
        target = depth;
        expectValue = true;
      }
      continue;
    }
    if (c === 125 || c === 93) {
      if (depth === target) {
        target = 0;
        expectValue = false;
      }
      depth--;
      continue;
    }
    if (c === 44 && depth === target && target > 0) expectValue = true;
  }
  return { positions: out, starts, depths };
}

/**
 * Text that a forbidden key must contain: the key itself, or a `\u` escape spelling part of it (no other JSON
 * escape can produce a letter or `_`). One regex pass (~35 ms on 100 MB) instead of an indexOf pass per hint:
 * indexOf is slow for needles whose first letter is frequent ("prototype": ~95 ms alone).
 */
export const KEY_HINTS = new RegExp([...FORBIDDEN_KEYS, "\\\\u"].join("|"), "g");

/**
 * Which items need the full {@link checkValue} walk. An item whose text contains no forbidden key (nor a
 * `\u` escape that could spell one) and nests no deeper than `maxDepth` cannot fail it, so the walk (which
 * allocates a frame per nested node: ~3M for 100k objects) is skipped. Returns undefined when every item must
 * be walked (the scan and JSON.parse disagree on the item count, which should not happen).
 */
function itemsToCheck(text: string, scan: ItemScan, count: number, maxDepth: number): Uint8Array | undefined {
  const { starts, depths } = scan;
  if (starts.length !== count) return undefined;
  const flagged = new Uint8Array(count);
  for (let i = 0; i < count; i++) if ((depths[i] ?? 0) > maxDepth) flagged[i] = 1;
  KEY_HINTS.lastIndex = 0;
  for (let m = KEY_HINTS.exec(text); m !== null; m = KEY_HINTS.exec(text)) {
    const at = m.index;
    // The last item starting at or before `at` (text before the first item or after the last is the List's
    // own, checked separately, and flags an item at worst: conservative).
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    if (count > 0) flagged[lo] = 1;
  }
  return flagged;
}

/**
 * Where JSON.parse failed. V8 says "at position N" for most errors, but for an unexpected token it quotes
 * up to 10 characters either side instead (`Unexpected token '}', ..."  "kind": }" is not valid JSON`):
 * find that excerpt in the text. Falls back to the end of the text (truncated input).
 */
export function jsonErrorOffset(msg: string, text: string): number {
  const m = /position (\d+)/.exec(msg);
  if (m) return Number(m[1]);
  const u = /^Unexpected token '([\s\S]+?)', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(msg);
  if (u) {
    const [, token = "", lead, excerpt = ""] = u;
    const at = text.indexOf(excerpt);
    if (at >= 0) return lead ? at + 10 : at + Math.max(0, excerpt.indexOf(token));
  }
  return text.length;
}

/** Offset -> line/column, for JSON.parse error positions. */
function positionOf(text: string, file: string, offset: number): SourceLocation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { file, line, column: end - lineStart + 1 };
}

/**
 * Parse JSON text: a single object, a `*List`, or an array. Lists and arrays are expanded here (JSON.parse has
 * no positions to offer a lazy `locate`, so each item gets its own line from a scan instead).
 * Returns undefined when the text is not JSON, so the caller may try YAML.
 */
export function parseJsonText(
  text: string,
  file: string,
  limits: LoadLimits,
  opts: { strict: boolean },
): LoadResult | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    if (!opts.strict) return undefined;
    const msg = e instanceof Error ? e.message : String(e);
    const at = jsonErrorOffset(msg, text);
    return {
      objects: [],
      coverage: [
        {
          reason: "parse-error",
          message: `invalid JSON: ${jsonErrorReason(msg).replace(/ in JSON at position \d+[\s\S]*$/, "")}`,
          subject: file,
          location: positionOf(text, file, at),
        },
      ],
      files: 1,
    };
  }
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  const firstBrace = /\S/.exec(text)?.index ?? 0;
  const rootPos = positionOf(text, file, firstBrace);
  let items: unknown[] | undefined;
  let list: Record<string, unknown> | undefined;
  if (Array.isArray(root)) items = root;
  else if (
    isRecord(root) &&
    typeof root.kind === "string" &&
    root.kind.endsWith("List") &&
    Array.isArray(root.items)
  ) {
    for (const k of Object.keys(root)) {
      if (FORBIDDEN_KEYS.has(k)) {
        coverage.push({
          reason: "unsafe",
          message: `forbidden key "${k}" (prototype pollution) in the List; file rejected`,
          subject: file,
          location: rootPos,
        });
        return { objects, coverage, files: 1 };
      }
    }
    items = root.items;
    list = root;
  }
  if (items === undefined) {
    accept(root, rootPos, 0, "the document");
    return { objects, coverage, files: 1 };
  }
  if (items.length > limits.maxDocuments) {
    coverage.push({
      reason: "limit",
      message: `${items.length} items, more than the limit of ${limits.maxDocuments}; items beyond it were not read`,
      subject: file,
      location: rootPos,
    });
  }
  const scan = scanItems(text);
  const positions = scan.positions;
  const check = itemsToCheck(text, scan, items.length, limits.maxDepth);
  const count = Math.min(items.length, limits.maxDocuments);
  for (let i = 0; i < count; i++)
    accept(items[i], positions[i] ?? rootPos, i, `item ${i}`, check === undefined || check[i] === 1);
  return { objects, coverage, files: 1 };

  function accept(v: unknown, pos: ItemPos, index: number, what: string, walk = true): void {
    const location = { file, line: pos.line, column: pos.column };
    if (!isRecord(v)) {
      const type = v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
      coverage.push({
        reason: "invalid",
        message: `${what} is ${type}, not an object`,
        subject: file,
        location,
      });
      return;
    }
    const p = walk ? checkValue(v, limits.maxDepth) : undefined;
    if (p) {
      coverage.push({
        reason: p.kind === "unsafe" ? "unsafe" : "limit",
        message:
          p.kind === "unsafe"
            ? `${what}: forbidden key "${p.key}" (prototype pollution); rejected`
            : `${what}: nested deeper than ${limits.maxDepth} levels`,
        subject: file,
        location,
      });
      return;
    }
    const typed = list ? inferListItemType(list, v) : v;
    objects.push({
      object: slimObject(stripSecrets(typed)),
      source: { file, line: pos.line, column: pos.column, index },
    });
  }
}
