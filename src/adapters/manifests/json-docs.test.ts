import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isMap, isSeq, LineCounter, type ParsedNode, parseDocument } from "yaml";
import { jsonErrorOffset, scanItemPositions } from "./json-docs.js";

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
