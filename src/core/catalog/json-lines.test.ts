import { describe, expect, it } from "vitest";
import { jsonValueLines, jsonPathKey as k } from "./json-lines.js";

describe("jsonValueLines", () => {
  it("gives each value's line up to a depth, keys decoded, strings with escaped quotes and brackets skipped", () => {
    const text = `{
  "a\\"b": "x\\\\",
  "list": [
    1,
    {"name": "q\\" ] }",
     "v": [true, null]},
    -2.5e3
  ],
  "\\u0041": {}
}`;
    expect([...jsonValueLines(text, 3)]).toEqual([
      [k('a"b'), 2],
      [k("list"), 3],
      [k("list", 0), 4],
      [k("list", 1), 5],
      [k("list", 1, "name"), 5],
      [k("list", 1, "v"), 6],
      [k("list", 2), 7],
      [k("A"), 9],
    ]);
  });

  it("a root array's elements are depth 1", () => {
    expect([...jsonValueLines('[\n{"n": 1},\n{"n": 2}\n]', 2)]).toEqual([
      [k(0), 2],
      [k(0, "n"), 2],
      [k(1), 3],
      [k(1, "n"), 3],
    ]);
  });

  describe("pathological cases", () => {
    it("text that is not JSON stops the scan with what it found; never throws", () => {
      expect([...jsonValueLines('{"a": 1, "b": "unterminated', 2)]).toEqual([[k("a"), 1]]);
      expect([...jsonValueLines("}}]]]", 2)]).toEqual([]);
      expect([...jsonValueLines('{"\\x": 1}', 2)]).toEqual([]);
    });
    it("deep nesting costs no stack, no frames and no entries past the depth; the scan resumes after it", () => {
      const deep = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`;
      expect(jsonValueLines(deep, 2).size).toBe(2);
      const text = `{"a": [[{"k": ["x", {"y": 1}]}], "s,]}"],\n "b": {"c": 2}}`;
      expect([...jsonValueLines(text, 2)]).toEqual([
        [k("a"), 1],
        [k("a", 0), 1],
        [k("a", 1), 1],
        [k("b"), 2],
        [k("b", "c"), 2],
      ]);
    });
    it("entries are capped", () => {
      expect(jsonValueLines(JSON.stringify(Array.from({ length: 100 }, () => 1)), 1, 10).size).toBe(10);
    });
  });
});
