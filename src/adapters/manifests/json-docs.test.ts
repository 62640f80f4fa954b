import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isMap, isSeq, LineCounter, type ParsedNode, parseDocument } from "yaml";
import { isRecord } from "../../core/util/index.js";
import { jsonErrorOffset, parseJsonText, scanItemPositions } from "./json-docs.js";
import { DEFAULT_SNAPSHOT_LIMITS } from "./limits.js";
import { checkValue } from "./safety.js";

/** Reference positions: the yaml parser (JSON is YAML flow syntax) with a LineCounter. */
function referencePositions(text: string): { line: number; column: number }[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
  let seq: unknown = doc.contents;
  if (isMap(doc.contents)) seq = doc.contents.get("items", true);
  if (!isSeq(seq)) return [];
  return seq.items.map((n) => {
    const p = lc.linePos((n as ParsedNode).range[0]);
    return { line: p.line, column: p.col };
  });
}

const jsonValue = fc.jsonValue({ maxDepth: 3 }).filter((v) => JSON.stringify(v) !== undefined);

describe("scanItemPositions (differential against the yaml parser)", () => {
  it("agrees on arrays and on `items` of Lists, for any indentation and tricky strings", () => {
    fc.assert(
      fc.property(
        fc.array(jsonValue, { maxLength: 8 }),
        fc.constantFrom(0, 1, 2, 4, "\t"),
        fc.boolean(),
        fc.array(fc.tuple(fc.string(), jsonValue), { maxLength: 3 }),
        (items, indent, asList, extra) => {
          const root = asList
            ? { kind: "List", metadata: Object.fromEntries(extra), items, "x]items": ["[", '\\"', "]"] }
            : items;
          const text = JSON.stringify(root, null, indent);
          expect(scanItemPositions(text)).toEqual(referencePositions(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("pathological cases: empty arrays, escaped quotes, nested items keys", () => {
    expect(scanItemPositions("[]")).toEqual([]);
    expect(scanItemPositions('{"items": []}')).toEqual([]);
    expect(scanItemPositions('["a\\\\", "b\\"]", {"items": [1]}]')).toEqual([
      { line: 1, column: 2 },
      { line: 1, column: 9 },
      { line: 1, column: 17 },
    ]);
    expect(scanItemPositions('{"spec": {"items": [1, 2]}, "items": [\n3]}')).toEqual([
      { line: 2, column: 1 },
    ]);
  });

  it("finds JSON.parse error offsets from V8 messages", () => {
    const at = (t: string) => {
      try {
        JSON.parse(t);
      } catch (e) {
        return jsonErrorOffset((e as Error).message, t);
      }
      return -1;
    };
    expect(at('{"a": 1 x')).toBe(8);
    expect(at('{"apiVersion": "v1",\n  "kind": }')).toBe(31);
    expect(at("[1,]")).toBe(3);
    expect(at('{"a":')).toBe(5);
  });
});

describe("parseJsonText safety fast path (differential against walking every item)", () => {
  /** Items an always-walk loader keeps: objects with no forbidden key and no node nested too deep. */
  const reference = (items: unknown[], maxDepth: number): number[] =>
    items.flatMap((v, i) => (isRecord(v) && checkValue(v, maxDepth) === undefined ? [i] : []));

  const deep = (n: number): unknown => (n === 0 ? "leaf" : n % 2 ? { a: deep(n - 1) } : [deep(n - 1)]);
  const hostileKey = fc.constantFrom("__proto__", "constructor", "prototype", "proto", "ctor", "items");
  const item = fc.oneof(
    jsonValue,
    fc.integer({ min: 0, max: 8 }).map((n) => ({ kind: "ConfigMap", spec: deep(n) })),
    fc
      .tuple(hostileKey, jsonValue)
      .map(([k, v]) => JSON.parse(`{"metadata": {${JSON.stringify(k)}: ${JSON.stringify(v)}}}`)),
  );

  it("keeps and rejects the same items for any nesting and hostile keys", () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 10 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.boolean(),
        (items, maxDepth, asList, escaped) => {
          let text = JSON.stringify(asList ? { kind: "List", items } : items, null, 1);
          // `\u` escapes spell the same keys: JSON.parse decodes them, so the fast path must not miss them.
          if (escaped)
            text = text
              .replaceAll("__proto__", "\\u005f_proto__")
              .replaceAll("constructor", "constructo\\u0072");
          const r = parseJsonText(text, "f.json", { ...DEFAULT_SNAPSHOT_LIMITS, maxDepth }, { strict: true });
          const parsed = JSON.parse(text) as unknown;
          const parsedItems = (
            Array.isArray(parsed) ? parsed : (parsed as { items: unknown[] }).items
          ) as unknown[];
          expect(r?.objects.map((o) => o.source?.index)).toEqual(reference(parsedItems, maxDepth));
        },
      ),
      { numRuns: 400 },
    );
  });

  describe("pathological cases", () => {
    it("rejects a forbidden key spelled with escapes and an item one level too deep", () => {
      const text = `{"kind": "List", "items": [{"a": {"\\u005f_proto__": 1}}, {"a": [[[1]]]}, {"b": 1}]}`;
      const r = parseJsonText(text, "f.json", { ...DEFAULT_SNAPSHOT_LIMITS, maxDepth: 3 }, { strict: true });
      expect(r?.objects.map((o) => o.source?.index)).toEqual([2]);
      expect(r?.coverage.map((c) => c.reason)).toEqual(["unsafe", "limit"]);
    });
  });
});
