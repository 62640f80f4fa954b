/**
 * Streaming reader for JSON Lists and arrays of Kubernetes objects: `kubectl get -A -o json` snapshots, API
 * server list responses (`PodList`...), JSON arrays. The text is never held whole: a scanner finds where each
 * element of the top-level array (or of the top-level object's `items`) starts and ends, and each element is
 * parsed on its own with JSON.parse as soon as it is complete. Memory is one element plus one input chunk.
 *
 * Why not a token-level streaming parser (stream-json): on a 68 MB List it took 2.4x the time of JSON.parse of
 * the whole text on this machine (bench/load-snapshot.ts prints both), and its authors say it is not meant for
 * hostile input. Finding element boundaries needs only brackets, strings and line breaks, and JSON.parse per
 * element keeps exact JSON semantics and V8's speed.
 */
import type { Budget } from "../../core/budget/index.js";
import { isBudgetExceeded } from "../../core/budget/index.js";
import type { CoverageEntry, SourceLocation } from "../../core/findings/index.js";
import { inferListItemType, needsListType, type RawObject, slimObject } from "../../core/inventory/index.js";
import { isRecord, jsonErrorReason } from "../../core/util/index.js";
import { jsonErrorOffset, KEY_HINTS } from "./json-docs.js";
import { checkValue } from "./safety.js";
import { Utf8Stream } from "./utf8-stream.js";
import { stripSecrets } from "./yaml-docs.js";

/** Budgets of one streamed List. Each one hit is a coverage entry with reason "limit", never silent. */
export interface JsonStreamLimits {
  /** Elements read; the rest of the input is not read. */
  maxItems: number;
  /** Largest element, in UTF-16 code units of its text; larger elements are skipped. */
  maxItemBytes: number;
  /** Nesting depth of one element. */
  maxDepth: number;
}

export interface JsonStreamOptions extends Partial<JsonStreamLimits> {
  /** Name for sources and coverage: a path, "-" or "cluster:prod /api/v1/pods". */
  file: string;
  /** Charged one `objects` per element: a per-run cap across inputs. */
  budget?: Budget;
  /** Set the `cluster` of every object. */
  cluster?: string;
}

export const DEFAULT_JSON_STREAM_LIMITS: JsonStreamLimits = Object.freeze({
  maxItems: 5_000_000,
  maxItemBytes: 64 * 1024 * 1024,
  maxDepth: 200,
});

/**
 * What the stream yields: objects as soon as they are complete, coverage as it arises, and last the list itself
 * without its items (`metadata.continue` of an API page, the List's kind) when the top level was an object.
 */
export type JsonStreamEvent =
  | { type: "object"; raw: RawObject }
  | { type: "coverage"; entry: CoverageEntry }
  | { type: "list"; list: Record<string, unknown> };

/** Character codes the scanner looks at. */
const C = {
  LF: 10,
  CR: 13,
  SP: 32,
  TAB: 9,
  QUOTE: 34,
  BACKSLASH: 92,
  COMMA: 44,
  COLON: 58,
  LBRACE: 123,
  RBRACE: 125,
  LBRACKET: 91,
  RBRACKET: 93,
} as const;

/** Line and column of `offset` inside `text`, which starts at (line, column). */
function positionIn(
  text: string,
  line: number,
  column: number,
  offset: number,
): { line: number; column: number } {
  let l = line;
  let lineStart = -column + 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) {
    l++;
    lineStart = i + 1;
  }
  return { line: l, column: end - lineStart + 1 };
}

const BINARY_SNIFF = 8192;

/**
 * Read a JSON List, typed list, array or single object from chunks, yielding each object as it completes.
 * Never throws for bad input: a broken element is a coverage entry and the next ones still load; a broken
 * structure ends the read with a coverage entry, keeping what was read before it.
 */
export async function* streamJsonObjects(
  source: AsyncIterable<Uint8Array | string>,
  opts: JsonStreamOptions,
): AsyncGenerator<JsonStreamEvent, void, undefined> {
  const limits: JsonStreamLimits = {
    maxItems: opts.maxItems ?? DEFAULT_JSON_STREAM_LIMITS.maxItems,
    maxItemBytes: opts.maxItemBytes ?? DEFAULT_JSON_STREAM_LIMITS.maxItemBytes,
    maxDepth: opts.maxDepth ?? DEFAULT_JSON_STREAM_LIMITS.maxDepth,
  };
  const file = opts.file;
  const out: JsonStreamEvent[] = [];
  const cover = (reason: CoverageEntry["reason"], message: string, at?: { line: number; column: number }) => {
    const entry: CoverageEntry = { reason, message, subject: file };
    if (at) entry.location = { file, line: at.line, column: at.column } satisfies SourceLocation;
    out.push({ type: "coverage", entry });
  };

  // Scanner state (survives chunk boundaries).
  let line = 1;
  /** Offset of the current line's start relative to the current chunk (may be negative: an earlier chunk). */
  let lineStart = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** Root: undefined before the first value, then "array" or "object". */
  let root: "array" | "object" | undefined;
  let rootAt = { line: 1, column: 1 };
  let done = false;
  let stopped = false;
  // Root-object key tracking at depth 1.
  let expectKey = false;
  let keyStart = -1;
  let keyParts: string[] = [];
  let lastKey = "";
  /** Skeleton: the root object's text without the items' contents (kind, apiVersion, metadata). */
  const skeleton: string[] = [];
  let skeletonLen = 0;
  let skeletonOver = false;
  /** Where the skeleton's text after the items array starts in the file, for error positions. */
  let afterItems: { at: number; line: number; column: number } | undefined;
  // Items.
  /** Depth of the array whose elements are read: 1 for a root array, 2 for a root object's `items`; 0 = none. */
  let target = 0;
  let itemsSeen = false;
  /** Between elements: "open" after `[`, "comma" after `,`, "after" after an element. */
  let between: "open" | "comma" | "after" = "open";
  let inItem = false;
  let itemScalar = false;
  let itemParts: string[] = [];
  let itemLen = 0;
  let itemOver = false;
  let itemMaxDepth = 0;
  let itemAt = { line: 1, column: 1 };
  let index = 0;
  let listInfo: Record<string, unknown> | undefined;
  const pending: RawObject[] = [];
  /** UTF-8 as a fatal, streaming TextDecoder reads it (see utf8-stream.ts). */
  let decoder: Utf8Stream | undefined;
  let first = true;
  /** The fast path for pretty-printed elements (see where an element starts): still on, hits and misses. */
  let wholeLines = true;
  let wholeHits = 0;
  let wholeMisses = 0;
  const el: ElementScan = {
    i: 0,
    depth: 0,
    line: 1,
    lineStart: 0,
    maxDepth: 0,
    closed: false,
    inString: false,
    escaped: false,
  };

  const structural = (message: string, at: { line: number; column: number }) => {
    cover("parse-error", `invalid JSON: ${message}; the rest of the input was not read`, at);
    stopped = true;
  };

  /**
   * The element read last: its text gathered from `itemParts`, or `parsed` by the fast path (its text, within
   * the size limit, and its value, whose depth is measured here).
   */
  const finishItem = (parsed?: { text: string; value: unknown }) => {
    const text =
      parsed !== undefined
        ? parsed.text
        : itemParts.length === 1
          ? (itemParts[0] as string)
          : itemParts.join("");
    itemParts = [];
    const i = index++;
    const at = itemAt;
    const what = root === "array" ? `item ${i}` : `items[${i}]`;
    if (i >= limits.maxItems) {
      cover(
        "limit",
        `more than ${limits.maxItems} items (the limit; PALISADE_MAX_OBJECTS or --max-objects); ${what} and the rest of the input were not read`,
        at,
      );
      stopped = true;
      return;
    }
    if (opts.budget) {
      try {
        opts.budget.charge("objects", 1);
      } catch (e) {
        if (!isBudgetExceeded(e)) throw e;
        cover("limit", `${e.message}; ${what} and the rest of the input were not read`, at);
        stopped = true;
        return;
      }
    }
    if (itemOver) {
      cover("limit", `${what} is larger than the limit of ${limits.maxItemBytes} bytes; skipped`, at);
      return;
    }
    if (parsed !== undefined ? deeperThan(parsed.value, limits.maxDepth) : itemMaxDepth > limits.maxDepth) {
      cover("limit", `${what}: nested deeper than ${limits.maxDepth} levels`, at);
      return;
    }
    let v: unknown;
    try {
      v = parsed !== undefined ? parsed.value : JSON.parse(text);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const pos = positionIn(text, at.line, at.column, jsonErrorOffset(msg, text));
      cover(
        "parse-error",
        `invalid JSON in ${what}: ${jsonErrorReason(msg).replace(/ in JSON at position \d+[\s\S]*$/, "")}`,
        pos,
      );
      return;
    }
    if (!isRecord(v)) {
      const type = v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
      cover("invalid", `${what} is ${type}, not an object`, at);
      return;
    }
    KEY_HINTS.lastIndex = 0;
    if (KEY_HINTS.test(text)) {
      const p = checkValue(v, limits.maxDepth);
      if (p) {
        cover(
          p.kind === "unsafe" ? "unsafe" : "limit",
          p.kind === "unsafe"
            ? `${what}: forbidden key "${p.key}" (prototype pollution); rejected`
            : `${what}: nested deeper than ${limits.maxDepth} levels`,
          at,
        );
        return;
      }
    }
    const raw: RawObject = {
      object: v,
      source: { file, line: at.line, column: at.column, index: i },
    };
    if (opts.cluster !== undefined) raw.cluster = opts.cluster;
    if (root === "object" && needsListType(v)) {
      if (listInfo === undefined) {
        // The list's kind comes after its items (kubectl writes keys in order: apiVersion, items, kind):
        // typed at the end.
        pending.push(raw);
        return;
      }
      raw.object = inferListItemType(listInfo, v);
    }
    raw.object = slimObject(stripSecrets(raw.object));
    out.push({ type: "object", raw });
  };

  const addSkeleton = (s: string) => {
    if (skeletonOver) return;
    skeletonLen += s.length;
    if (skeletonLen > limits.maxItemBytes) {
      skeletonOver = true;
      skeleton.length = 0;
      return;
    }
    skeleton.push(s);
  };

  const scan = (s: string): void => {
    const n = s.length;
    /** Start of text to copy into the skeleton or the current item, in this chunk. */
    let copyFrom = 0;
    let i = 0;
    const flush = (to: number) => {
      if (to <= copyFrom) return;
      if (inItem) {
        if (!itemOver) {
          itemLen += to - copyFrom;
          if (itemLen > limits.maxItemBytes) {
            itemOver = true;
            itemParts = [];
          } else itemParts.push(s.slice(copyFrom, to));
        }
      } else if (root === "object" && target === 0) addSkeleton(s.slice(copyFrom, to));
      copyFrom = to;
    };
    while (i < n) {
      if (inItem && !itemScalar && !inString) {
        // Inside an object or array element (nearly all of the text): the fast path.
        el.i = i;
        el.depth = depth;
        el.line = line;
        el.lineStart = lineStart;
        el.maxDepth = itemMaxDepth;
        skipInElement(s, n, target, el);
        i = el.i;
        depth = el.depth;
        line = el.line;
        lineStart = el.lineStart;
        itemMaxDepth = el.maxDepth;
        if (el.inString) {
          inString = true;
          escaped = el.escaped;
        } else if (el.closed) {
          flush(i);
          inItem = false;
          between = "after";
          finishItem();
          if (stopped) return;
        }
        continue;
      }
      if (inString) {
        // Find the closing quote: one not preceded by an odd run of backslashes.
        let j = i;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q < 0) {
            // The string goes on in the next chunk; remember whether the chunk ends inside an escape.
            escaped = backslashRunBefore(s, n, i, escaped) % 2 === 1;
            i = n;
            break;
          }
          if (backslashRunBefore(s, q, i, escaped) % 2 === 0) {
            inString = false;
            escaped = false;
            if (keyStart >= 0) {
              keyParts.push(s.slice(keyStart, q));
              lastKey = keyParts.join("");
              keyParts = [];
              keyStart = -1;
            }
            i = q + 1;
            break;
          }
          j = q + 1;
        }
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === C.LF) {
        line++;
        lineStart = i + 1;
        i++;
        continue;
      }
      if (c === C.SP || c === C.TAB || c === C.CR) {
        i++;
        continue;
      }
      const at = () => ({ line, column: i - lineStart + 1 });
      if (done) {
        cover("parse-error", "invalid JSON: text after the end of the top-level value; ignored", at());
        stopped = true;
        return;
      }
      if (root === undefined) {
        rootAt = at();
        if (c === C.LBRACKET) {
          root = "array";
          depth = 1;
          target = 1;
          between = "open";
          itemsSeen = true;
          i++;
          copyFrom = i;
          continue;
        }
        if (c === C.LBRACE) {
          root = "object";
          depth = 1;
          expectKey = true;
          copyFrom = i;
          i++;
          continue;
        }
        structural("the top level is not an object or an array", rootAt);
        return;
      }
      // Between elements of the array being read.
      if (target > 0 && depth === target && !inItem) {
        if (c === C.COMMA) {
          if (between !== "after") {
            structural("unexpected ','", at());
            return;
          }
          between = "comma";
          i++;
          continue;
        }
        if (c === C.RBRACKET) {
          if (between === "comma") {
            structural("trailing ',' before ']'", at());
            return;
          }
          depth--;
          target = 0;
          i++;
          if (depth === 0) done = true;
          else {
            // Back in the root object: the skeleton goes on after the items.
            addSkeleton("]");
            afterItems = { at: skeletonLen, line, column: i - lineStart + 1 };
            copyFrom = i;
          }
          continue;
        }
        if (between === "after") {
          structural("expected ',' or ']' after an element", at());
          return;
        }
        // An element starts.
        if (c === C.LBRACE && wholeLines && lineStart >= 0 && i - lineStart <= MAX_INDENT) {
          // Pretty-printed (kubectl's 4-space indentation, JSON.stringify's): an object element that starts a line
          // after spaces ends at the first line holding only a '}' at the same column. That guess is taken only
          // if the text up to there parses: an object's text is the one JSON value it starts, so if it parses
          // whole, the guess is its end. Otherwise (the end is in the next chunk, another layout) the scanner
          // below reads it character by character; after more misses than hits, for the rest of the input.
          const indent = i - lineStart;
          let spaces = true;
          for (let k = lineStart; k < i && spaces; k++) spaces = s.charCodeAt(k) === C.SP;
          const close = spaces ? closingLines[indent] : undefined;
          const end = close !== undefined ? closingLineAt(s, close, i + 1) : -1;
          const stop = end + indent + 2;
          if (end >= 0 && stop - i <= limits.maxItemBytes) {
            const text = s.slice(i, stop);
            let value: unknown;
            let ok = true;
            try {
              value = JSON.parse(text);
            } catch {
              ok = false;
            }
            if (ok) {
              wholeHits++;
              itemAt = at();
              // Every line break in a parsed element is outside its strings: JSON strings hold none raw.
              for (let k = s.indexOf("\n", i); k >= 0 && k < stop; k = s.indexOf("\n", k + 1)) line++;
              lineStart = end + 1;
              i = stop;
              copyFrom = i;
              between = "after";
              finishItem({ text, value });
              if (stopped) return;
              continue;
            }
          }
          if (++wholeMisses > WHOLE_MISSES + wholeHits) wholeLines = false;
        }
        inItem = true;
        itemScalar = c !== C.LBRACE && c !== C.LBRACKET;
        itemAt = at();
        itemParts = [];
        itemLen = 0;
        itemOver = false;
        itemMaxDepth = 0;
        copyFrom = i;
        if (!itemScalar) {
          depth++;
          itemMaxDepth = 1;
          i++;
          continue;
        }
        if (c === C.QUOTE) {
          inString = true;
          escaped = false;
          i++;
          continue;
        }
        i++;
        continue;
      }
      if (inItem && itemScalar && depth === target) {
        // A scalar element ends at the next ',' or ']' (whitespace was skipped above and is not part of it).
        if (c === C.COMMA || c === C.RBRACKET) {
          flush(i);
          inItem = false;
          between = "after";
          finishItem();
          if (stopped) return;
          continue;
        }
        if (c === C.QUOTE) {
          inString = true;
          escaped = false;
        }
        i++;
        continue;
      }
      if (c === C.QUOTE) {
        inString = true;
        escaped = false;
        if (root === "object" && depth === 1 && expectKey) keyStart = i + 1;
        i++;
        continue;
      }
      if (c === C.LBRACE || c === C.LBRACKET) {
        depth++;
        if (inItem) {
          const d = depth - target;
          if (d > itemMaxDepth) itemMaxDepth = d;
        } else if (
          root === "object" &&
          depth === 2 &&
          c === C.LBRACKET &&
          lastKey === "items" &&
          !expectKey
        ) {
          if (itemsSeen) {
            structural('a second "items" array', at());
            return;
          }
          // The items array of the root object: its elements are read one by one, not kept in the skeleton.
          flush(i);
          addSkeleton("[");
          itemsSeen = true;
          target = 2;
          between = "open";
          i++;
          copyFrom = i;
          // The kind and apiVersion are known now if they came first (API server order).
          if (!skeletonOver) {
            try {
              const head: unknown = JSON.parse(`${skeleton.join("")}null}`);
              if (isRecord(head) && typeof head.kind === "string") listInfo = head;
            } catch {
              // Checked again at the end, with the whole skeleton.
            }
          }
          continue;
        } else if (depth > limits.maxDepth + 2) {
          structural(`nested deeper than ${limits.maxDepth} levels`, at());
          return;
        }
        if (root === "object" && depth === 2) expectKey = false;
        i++;
        continue;
      }
      if (c === C.RBRACE || c === C.RBRACKET) {
        depth--;
        i++;
        if (inItem && depth === target) {
          flush(i);
          inItem = false;
          between = "after";
          finishItem();
          if (stopped) return;
          continue;
        }
        if (depth === 0) {
          flush(i);
          done = true;
        }
        if (depth < 0) {
          structural("unbalanced closing bracket", { line, column: i - lineStart });
          return;
        }
        continue;
      }
      if (root === "object" && depth === 1 && !inItem) {
        if (c === C.COMMA) expectKey = true;
        else if (c === C.COLON) expectKey = false;
      }
      i++;
    }
    if (inString && keyStart >= 0) {
      // A key that goes on in the next chunk.
      keyParts.push(s.slice(keyStart));
      keyStart = 0;
    }
    flush(n);
  };

  try {
    for await (const chunk of source) {
      let s: string;
      if (typeof chunk === "string") s = chunk;
      else {
        if (first) {
          const nul = chunk.subarray(0, BINARY_SNIFF).indexOf(0);
          if (nul >= 0) {
            cover("binary", `binary file (NUL byte at offset ${nul}); skipped`);
            yield* out.splice(0);
            return;
          }
        }
        decoder ??= new Utf8Stream();
        const text = decoder.decode(chunk);
        if (text !== undefined) s = text;
        else {
          cover("parse-error", "not valid UTF-8; the rest of the input was not read", { line, column: 1 });
          stopped = true;
          s = "";
        }
      }
      if (first && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
      if (!stopped) scan(s);
      // Lines that started in this chunk continue in the next one: keep the column right.
      lineStart -= s.length;
      if (out.length > 0) yield* out.splice(0);
      if (stopped) break;
    }
  } catch (e) {
    // The source failed (a byte cap, an IO error): what was read so far stays; the rest is reported.
    if (isBudgetExceeded(e)) cover("limit", `${e.message}; the rest of the input was not read`);
    else
      cover(
        "parse-error",
        `cannot read the rest of the input (${e instanceof Error ? e.message : String(e)}); what was read before is kept`,
      );
    stopped = true;
  }
  if (!stopped && !done) {
    if (root === undefined) cover("invalid", "empty input: no JSON value", { line: 1, column: 1 });
    else
      cover(
        "parse-error",
        "invalid JSON: unexpected end of input (truncated?); what was read before is kept",
        { line, column: 1 },
      );
  }
  // The root object's own fields.
  if (root === "object") {
    let list: unknown;
    if (skeletonOver) {
      cover(
        "limit",
        `the top-level object (without its items) is larger than the limit of ${limits.maxItemBytes} bytes; skipped`,
        rootAt,
      );
    } else if (done) {
      const text = skeleton.join("");
      try {
        list = JSON.parse(text);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const off = jsonErrorOffset(msg, text);
        const pos =
          afterItems && off >= afterItems.at
            ? positionIn(text.slice(afterItems.at), afterItems.line, afterItems.column, off - afterItems.at)
            : positionIn(text, rootAt.line, rootAt.column, off);
        cover(
          "parse-error",
          `invalid JSON: ${jsonErrorReason(msg).replace(/ in JSON at position \d+[\s\S]*$/, "")}`,
          pos,
        );
      }
    }
    if (isRecord(list)) {
      const bad = Object.keys(list).find(
        (k) => k === "__proto__" || k === "constructor" || k === "prototype",
      );
      const p = bad === undefined ? checkValue(list, limits.maxDepth) : undefined;
      if (bad !== undefined || p) {
        cover(
          bad !== undefined || p?.kind === "unsafe" ? "unsafe" : "limit",
          bad !== undefined || p?.kind === "unsafe"
            ? `forbidden key "${bad ?? (p as { key: string }).key}" (prototype pollution) in the top-level object; rejected`
            : `the top-level object is nested deeper than ${limits.maxDepth} levels`,
          rootAt,
        );
        list = undefined;
      }
    }
    if (isRecord(list)) {
      if (itemsSeen) {
        listInfo = list;
        const { items: _items, ...rest } = list;
        out.push({ type: "list", list: rest });
      } else {
        // A single object, not a List.
        const raw: RawObject = {
          object: slimObject(stripSecrets(list)),
          source: { file, line: rootAt.line, column: rootAt.column, index: 0 },
        };
        if (opts.cluster !== undefined) raw.cluster = opts.cluster;
        out.push({ type: "object", raw });
      }
    }
    for (const raw of pending) {
      raw.object = slimObject(stripSecrets(listInfo ? inferListItemType(listInfo, raw.object) : raw.object));
      out.push({ type: "object", raw });
    }
  }
  yield* out.splice(0);
}

/** Deepest indentation (in spaces) of an element the pretty-printed fast path reads. */
const MAX_INDENT = 64;
/** Misses of that fast path, beyond its hits, after which it is off for the rest of the input. */
const WHOLE_MISSES = 16;
/** The line that closes an object element indented by `n` spaces: a line break, `n` spaces and `}`. */
const closingLines: readonly string[] = Array.from(
  { length: MAX_INDENT + 1 },
  (_, n) => `\n${" ".repeat(n)}}`,
);

/**
 * Where the first `close` (a line break, spaces, `}`) starts in `s` from `from`, or -1: found through its `}`, which
 * `indexOf` finds fast, where a search for the whole pattern, mostly spaces in a text mostly spaces, would advance
 * a few characters at a time.
 */
function closingLineAt(s: string, close: string, from: number): number {
  const back = close.length - 1;
  for (let k = s.indexOf("}", from + back); k >= 0; k = s.indexOf("}", k + 1))
    if (s.startsWith(close, k - back)) return k - back;
  return -1;
}

/**
 * Whether `v` nests deeper than `max` levels (an object or array is one level; scalars none), as the scanner
 * counts brackets. Stops descending past `max`, so a hostile depth costs no deeper recursion than that.
 */
function deeperThan(v: unknown, max: number): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (max <= 0) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (deeperThan(x, max - 1)) return true;
    return false;
  }
  for (const k in v) if (deeperThan((v as Record<string, unknown>)[k], max - 1)) return true;
  return false;
}

/** What {@link skipInElement} reads and advances: the scanner's state inside one element. */
interface ElementScan {
  /** Where to go on in the chunk; on return, where the scanner goes on. */
  i: number;
  depth: number;
  line: number;
  lineStart: number;
  /** Deepest nesting seen in the element, its own brackets counting 1. */
  maxDepth: number;
  /** The element's closing bracket was reached: `i` is just after it. */
  closed: boolean;
  /** The chunk ended inside a string; `escaped`: inside an escape in it. */
  inString: boolean;
  escaped: boolean;
}

/**
 * The scanner inside an object or array element, where nearly all of a snapshot's text is: only brackets, strings
 * and line breaks matter there, so this loop keeps its state in locals and looks at nothing else (the general
 * loop in `streamJsonObjects` gives the same result, an order of magnitude more slowly per character). Stops at
 * the element's closing bracket (depth back to `target`), or at the end of the chunk, possibly inside a string.
 * Whitespace, commas, colons and anything JSON.parse later rejects just move on, as in the general loop.
 */
function skipInElement(s: string, n: number, target: number, el: ElementScan): void {
  let i = el.i;
  let depth = el.depth;
  let line = el.line;
  let lineStart = el.lineStart;
  let maxDepth = el.maxDepth;
  el.closed = false;
  el.inString = false;
  el.escaped = false;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === C.QUOTE) {
      // The closing quote is one not preceded by an odd run of backslashes (line breaks in a string are not
      // counted: JSON.parse rejects the element anyway).
      const from = i + 1;
      let j = from;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) {
          el.inString = true;
          el.escaped = backslashRunBefore(s, n, from, false) % 2 === 1;
          i = n;
          break;
        }
        if (backslashRunBefore(s, q, from, false) % 2 === 0) {
          i = q + 1;
          break;
        }
        j = q + 1;
      }
      continue;
    }
    i++;
    if (c === C.LF) {
      line++;
      lineStart = i;
    } else if (c === C.LBRACE || c === C.LBRACKET) {
      depth++;
      if (depth - target > maxDepth) maxDepth = depth - target;
    } else if (c === C.RBRACE || c === C.RBRACKET) {
      depth--;
      if (depth === target) {
        el.closed = true;
        break;
      }
    }
  }
  el.i = i;
  el.depth = depth;
  el.line = line;
  el.lineStart = lineStart;
  el.maxDepth = maxDepth;
}

/**
 * Backslashes immediately before `end` in `s`, not looking before `from` (the start of this chunk's part of the
 * string); `carried` is an escape left open at the end of the previous chunk. An even count means a quote at `end`
 * closes the string.
 */
function backslashRunBefore(s: string, end: number, from: number, carried: boolean): number {
  let k = end - 1;
  let run = 0;
  while (k >= from && s.charCodeAt(k) === C.BACKSLASH) {
    run++;
    k--;
  }
  if (k < from && carried) run++;
  return run;
}
