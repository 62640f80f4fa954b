import { describe, expect, it } from "vitest";
import { jsonValueLines, jsonPathKey as k, parseJsonFile } from "./json-lines.js";

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

describe("parseJsonFile", () => {
  const enc = (t: string) => new TextEncoder().encode(t);
  describe("pathological cases", () => {
    it("prototype keys are dropped at every depth, and nothing reaches Object.prototype", () => {
      const r = parseJsonFile(
        enc(
          '{"__proto__": {"polluted": 1}, "a": [{"b": {"constructor": {"prototype": 1}, "__proto__": 2, "c": 3}}]}',
        ),
        "f.json",
      );
      expect(r).toEqual({ ok: true, value: { a: [{ b: { c: 3 } }] }, text: expect.any(String) });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
    it("nesting JSON.parse accepts (a million deep) is accepted, not a stack overflow", () => {
      const d = 1_000_000;
      const r = parseJsonFile(enc(`{"x": 1, "deep": ${"[".repeat(d)}${"]".repeat(d)}}`), "f.json");
      expect(r.ok && (r.value as { x: number }).x).toBe(1);
    });
    it("a text that is not JSON is a parse error naming the file", () => {
      expect(parseJsonFile(enc('{"a": '), "f.json")).toEqual({
        ok: false,
        result: {
          packages: [],
          coverage: [
            { reason: "parse-error", subject: "f.json", message: expect.stringMatching(/^invalid JSON: /) },
          ],
        },
      });
    });
  });
});
