import { describe, expect, it } from "vitest";
import { appendAll, globMatch, jsonErrorReason, maxOf, stableStringify } from "./index.js";

describe("globMatch", () => {
  it("matches * across any run of characters, including / and the empty run", () => {
    expect([
      globMatch("payments-*", "payments-eu"),
      globMatch("payments-*", "payments-"),
      globMatch("registry.acme.internal/*", "registry.acme.internal/team/api"),
      globMatch("*", ""),
      globMatch("PAL-POD-00*", "PAL-POD-001"),
      globMatch("a*b*c", "abc"),
      globMatch("a*b*c", "aXbYbZc"),
    ]).toEqual([true, true, true, true, true, true, true]);
  });

  it("matches ? as exactly one character and is anchored at both ends", () => {
    expect([
      globMatch("v?", "v1"),
      globMatch("v?", "v"),
      globMatch("v?", "v12"),
      globMatch("api", "xapi"),
      globMatch("api", "apix"),
      globMatch("a*b", "ab-"),
      globMatch("", ""),
      globMatch("", "x"),
    ]).toEqual([true, false, false, false, false, false, true, false]);
  });

  it("treats regex metacharacters as literals", () => {
    expect([
      globMatch("a.b", "a.b"),
      globMatch("a.b", "axb"),
      globMatch("(x)+", "(x)+"),
      globMatch("[a]", "a"),
    ]).toEqual([true, false, true, false]);
  });

  describe("pathological cases", () => {
    it("stays linear for many stars against a long hostile value (a regex backtracks for minutes)", () => {
      const name = "a".repeat(253);
      expect(globMatch("*a*a*a*a*a*a*a*b", name)).toBe(false);
      expect(globMatch("*a*a*a*a*a*a*a*a", name)).toBe(true);
      expect(globMatch("*-*-*-*-*-*-prod", `${"-".repeat(10_000)}x`)).toBe(false);
    });
  });
});

describe("stableStringify", () => {
  it("sorts keys at every level and drops undefined values", () => {
    expect(stableStringify({ b: 1, a: { d: undefined, c: [{ z: 1, y: 2 }] } }, 0)).toBe(
      '{"a":{"c":[{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe("jsonErrorReason", () => {
  it("drops V8's excerpt of the input, which may be a secret", () => {
    let err: unknown;
    try {
      JSON.parse("AKIAIOSFODNN7EXAMPLE and more");
    } catch (e) {
      err = e;
    }
    expect(jsonErrorReason(err)).toBe("Unexpected token 'A'");
    expect(jsonErrorReason(new SyntaxError("Unexpected end of JSON input"))).toBe(
      "Unexpected end of JSON input",
    );
  });
});

describe("appendAll and maxOf (no spread into calls)", () => {
  it("handle 1M elements, where push(...xs) and Math.max(...xs) overflow the stack", () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(() => [].push(...(big as never[]))).toThrow(RangeError);
    const into = [-1];
    expect(appendAll(into, big, [7]).length).toBe(1_000_002);
    expect(into[1_000_000]).toBe(999_999);
    expect(into[1_000_001]).toBe(7);
    expect(maxOf(-5, big)).toBe(999_999);
    expect(maxOf(-5, [])).toBe(-5);
  });
});
