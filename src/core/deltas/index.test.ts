import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyDeltas,
  compareResourceVersion,
  deltaMessageId,
  newestPerObject,
  type ObjectDelta,
  type ObjectStateRow,
  parseDelta,
} from "./index.js";

const d = (uid: string, rv: number, op: "upsert" | "delete" = "upsert"): ObjectDelta => ({
  cluster: "prod",
  op,
  key: { apiVersion: "v1", kind: "Pod", namespace: "ns", name: uid },
  uid,
  resourceVersion: String(rv),
  ...(op === "upsert" ? { object: { rv } } : {}),
});

describe("compareResourceVersion", () => {
  it("orders decimal integers by value, not as text", () => {
    expect(compareResourceVersion("9", "10")).toBeLessThan(0);
    expect(compareResourceVersion("100", "99")).toBeGreaterThan(0);
    expect(compareResourceVersion("42", "42")).toBe(0);
    expect(compareResourceVersion("18446744073709551616", "18446744073709551615")).toBeGreaterThan(0);
  });
});

describe("applyDeltas", () => {
  it("is idempotent and order-tolerant: any order, with repeats, gives the rows of the newest per object", () => {
    const arb = fc.array(
      fc.record({ uid: fc.constantFrom("a", "b", "c"), rv: fc.nat(50), del: fc.boolean() }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, fc.nat(), (xs, seed) => {
        const deltas = xs.map((x) => d(x.uid, x.rv, x.del ? "delete" : "upsert"));
        const inOrder = new Map<string, ObjectStateRow>();
        applyDeltas(inOrder, deltas);
        // Shuffled, doubled: the same rows, once ties of equal resourceVersion are out of the picture.
        const shuffled = [...deltas, ...deltas].sort(
          (p, q) =>
            ((deltaMessageId(p).length * 31 + seed) % 7) - ((deltaMessageId(q).length * 31 + seed) % 7),
        );
        const again = new Map<string, ObjectStateRow>();
        applyDeltas(again, shuffled);
        for (const [k, row] of inOrder) {
          expect(again.get(k)?.resourceVersion).toBe(row.resourceVersion);
        }
        const reduced = new Map<string, ObjectStateRow>();
        applyDeltas(reduced, newestPerObject(deltas));
        expect(reduced).toEqual(inOrder);
        // Applying everything again changes nothing.
        expect(applyDeltas(inOrder, deltas)).toBe(0);
      }),
    );
  });

  it("keeps a tombstone so an older upsert cannot resurrect a deleted object", () => {
    const rows = new Map<string, ObjectStateRow>();
    expect(applyDeltas(rows, [d("a", 2), d("a", 5, "delete"), d("a", 3)])).toBe(2);
    expect([...rows.values()]).toEqual([
      {
        cluster: "prod",
        uid: "a",
        key: { apiVersion: "v1", kind: "Pod", namespace: "ns", name: "a" },
        resourceVersion: "5",
        deleted: true,
        object: null,
      },
    ]);
  });
});

describe("parseDelta", () => {
  it("accepts a well-formed delta and keeps only its fields", () => {
    expect(parseDelta({ ...d("a", 1), extra: 1 })).toEqual(d("a", 1));
    expect(parseDelta(d("a", 1, "delete"))).toEqual(d("a", 1, "delete"));
  });

  describe("pathological cases", () => {
    const bad: [string, unknown, string][] = [
      ["not an object", [], "$"],
      ["cluster with upper case", { ...d("a", 1), cluster: "Prod" }, "cluster"],
      ["unknown op", { ...d("a", 1), op: "patch" }, "op"],
      ["resourceVersion with leading zero", { ...d("a", 1), resourceVersion: "01" }, "resourceVersion"],
      ["resourceVersion not a number", { ...d("a", 1), resourceVersion: "abc" }, "resourceVersion"],
      ["resourceVersion too long", { ...d("a", 1), resourceVersion: "1".repeat(41) }, "resourceVersion"],
      ["uid with a slash", { ...d("a", 1), uid: "../x" }, "uid"],
      ["key missing its name", { ...d("a", 1), key: { apiVersion: "v1", kind: "Pod" } }, "key.name"],
      ["upsert without object", { ...d("a", 1), object: undefined }, "object"],
      ["__proto__ as key", JSON.parse('{"__proto__": {"cluster": "x"}}'), "cluster"],
    ];
    for (const [what, value, fieldName] of bad)
      it(`refuses ${what}, naming ${fieldName}`, () => {
        expect(() => parseDelta(value)).toThrow(
          expect.objectContaining({ code: "INPUT", context: { field: fieldName } }),
        );
      });
  });
});

describe("deltaMessageId", () => {
  it("is the same for the same change and differs by op and resourceVersion", () => {
    expect(deltaMessageId(d("a", 1))).toBe("prod:a:1:upsert");
    expect(deltaMessageId(d("a", 1, "delete"))).toBe("prod:a:1:delete");
  });
});
