/**
 * Structural sharing (issue: scale): equal parts of loaded objects become one object, and nothing else changes: the
 * shared value is deep-equal to the input, with its keys in the same order, so the JSON of a report is the same.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asStringMap } from "../util/index.js";
import { valueSharing } from "./share.js";

describe("valueSharing", () => {
  it("makes equal subtrees of different objects one object", () => {
    const s = valueSharing();
    const a = s.share({ name: "a", resources: { limits: { cpu: "1" } }, ports: [{ containerPort: 80 }] });
    const b = s.share({ name: "b", resources: { limits: { cpu: "1" } }, ports: [{ containerPort: 80 }] });
    expect(b.resources).toBe(a.resources);
    expect(b.ports).toBe(a.ports);
    expect(b).not.toBe(a);
    expect(b).toEqual({ name: "b", resources: { limits: { cpu: "1" } }, ports: [{ containerPort: 80 }] });
  });

  it("keeps apart what JSON output tells apart: key order, types, prototypes, -0", () => {
    const s = valueSharing();
    const pairs: [unknown, unknown][] = [
      [
        { a: 1, b: 2 },
        { b: 2, a: 1 },
      ],
      [{ a: 1 }, { a: "1" }],
      [{ a: true }, { a: "t" }],
      [{ a: null }, { a: "z" }],
      [[1, 2], { 0: 1, 1: 2 }],
      [asStringMap({ app: "x" }), { app: "x" }],
      [{ v: 0 }, { v: -0 }],
    ];
    for (const [x, y] of pairs) expect(s.share(y)).not.toBe(s.share(x));
  });

  it("is not fooled by separators inside keys and values", () => {
    const s = valueSharing();
    const x = s.share({ a: "1,1:b=s1:c" });
    const y = s.share({ a: "1", b: "c" });
    const z = s.share({ "a=s1:1,1:b": "c" });
    expect(new Set([x, y, z]).size).toBe(3);
  });

  it("leaves frozen values and non-data objects as they are", () => {
    const s = valueSharing();
    const frozen = Object.freeze({ a: 1 });
    expect(s.share(frozen)).toBe(frozen);
    const date = new Date(0);
    const withDate = s.share({ at: date, same: { x: 1 } });
    expect(withDate.at).toBe(date);
    // A part that cannot be shared does not stop its siblings from being shared.
    expect(s.share({ other: { x: 1 } }).other).toBe(withDate.same);
    expect(s.share({ at: date, same: { x: 1 } })).not.toBe(withDate);
  });

  it("holds at most its bound of distinct values, and keeps sharing after starting over", () => {
    const s = valueSharing(100);
    for (let i = 0; i < 1000; i++) s.share({ id: `x-${i}`, common: { cpu: "1" } });
    expect(s.size()).toBeLessThanOrEqual(100);
    const a = s.share({ common: { cpu: "1" } });
    const b = s.share({ common: { cpu: "1" } });
    expect(b.common).toBe(a.common);
  });

  it("gives a deep-equal value with the same JSON, and one object for equal JSON", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 8 }), (values) => {
        const s = valueSharing();
        const texts = values.map((v) => JSON.stringify(v));
        // JSON text tells 0 from -0 not, the values do: -0 marked (strings prefixed, so no string is the mark).
        const exact = values.map((v) =>
          JSON.stringify(v, (_, x) => (Object.is(x, -0) ? "\u0000-0" : typeof x === "string" ? `s${x}` : x)),
        );
        const shared = values.map((v) => s.share(structuredClone(v)));
        for (let i = 0; i < values.length; i++) {
          expect(JSON.stringify(shared[i])).toBe(texts[i]);
          expect(shared[i]).toStrictEqual(values[i]);
          for (let j = 0; j < i; j++) {
            const x = shared[i];
            if (typeof x === "object" && x !== null && exact[i] === exact[j]) expect(x).toBe(shared[j]);
          }
        }
      }),
    );
  });

  describe("pathological cases", () => {
    it("shares an own __proto__ key without touching prototypes", () => {
      const s = valueSharing();
      const a = s.share(JSON.parse('{"x":{"__proto__":{"polluted":1}}}'));
      const b = s.share(JSON.parse('{"y":{"__proto__":{"polluted":1}}}'));
      expect(b.y).toBe(a.x);
      expect(Object.getPrototypeOf(a.x)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("shares a deep chain and a wide array", () => {
      const s = valueSharing();
      const deep = (): unknown => {
        let v: unknown = "leaf";
        for (let i = 0; i < 150; i++) v = { v };
        return v;
      };
      expect(s.share(deep())).toBe(s.share(deep()));
      const wide = () => Array.from({ length: 10_000 }, (_, i) => i % 7);
      expect(s.share(wide())).toBe(s.share(wide()));
    });
  });
});
