import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GLOB_MAX_PATTERN, GLOB_MAX_VALUE, globMatch, globPatternProblem } from "./glob.js";

/** The obvious dynamic programme (O(pattern × value)): the reference the fast matcher must agree with. */
function referenceMatch(pattern: string, value: string): boolean {
  // row[j]: pattern[0, i) matches value[0, j)
  let row = new Array<boolean>(value.length + 1).fill(false);
  row[0] = true;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    const next = new Array<boolean>(value.length + 1).fill(false);
    if (p === "*") {
      let any = false;
      for (let j = 0; j <= value.length; j++) {
        any ||= row[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 1; j <= value.length; j++) next[j] = row[j - 1]! && (p === "?" || p === value[j - 1]);
    }
    row = next;
  }
  return row[value.length]!;
}

describe("globMatch agrees with the reference matcher", () => {
  // Small alphabets make near-misses, overlaps and repeated pieces common.
  const patternArb = fc.stringMatching(/^[ab*?]{0,12}$/);
  const valueArb = fc.stringMatching(/^[ab]{0,16}$/);

  it("on random small patterns and values", () => {
    fc.assert(
      fc.property(patternArb, valueArb, (p, v) => globMatch(p, v) === referenceMatch(p, v)),
      { numRuns: 5000, seed: 8 },
    );
  });

  it("on values built from the pattern (mostly matches)", () => {
    const fill = fc.stringMatching(/^[ab]{0,4}$/);
    fc.assert(
      fc.property(patternArb, fc.array(fill, { minLength: 13, maxLength: 13 }), (p, fills) => {
        let k = 0;
        const v = [...p].map((c) => (c === "*" ? fills[k++]! : c === "?" ? "b" : c)).join("");
        return globMatch(p, v) === referenceMatch(p, v) && globMatch(p, v);
      }),
      { numRuns: 2000, seed: 9 },
    );
  });

  it("on pieces longer than one 32-bit word of the bitap state", () => {
    const long = fc.stringMatching(/^[ab?]{30,70}$/);
    fc.assert(
      fc.property(long, fc.stringMatching(/^[ab]{0,100}$/), (piece, v) => {
        const p = `*${piece}*`;
        return globMatch(p, v) === referenceMatch(p, v);
      }),
      { numRuns: 500, seed: 10 },
    );
    const piece = `${"a".repeat(40)}?${"b".repeat(30)}`;
    const v = `${"a".repeat(50)}x${"b".repeat(30)}yy`;
    expect([globMatch(`*${piece}*`, v), referenceMatch(`*${piece}*`, v)]).toEqual([true, true]);
  });
});

describe("pathological cases", () => {
  it("the issue's reproduction (`*a{25000}b` against a 50 KB name) returns at once: the pattern is over the cap", () => {
    const pattern = `*${"a".repeat(25_000)}b`;
    expect(globMatch(pattern, "a".repeat(50_000))).toBe(false);
    expect(globPatternProblem(pattern)).toBe("pattern is 25002 characters long; the limit is 1024");
    expect(globPatternProblem("payments-*")).toBeUndefined();
  });

  it("a pattern at the cap against a value at the cap is one pass per 32 pattern characters", () => {
    // Trailing stars, so the middle pieces are searched through the whole value (a final "b" fails at once).
    const pattern = `*${"a".repeat(GLOB_MAX_PATTERN - 3)}b*`;
    expect(pattern.length).toBe(GLOB_MAX_PATTERN);
    const value = "a".repeat(GLOB_MAX_VALUE);
    expect(globMatch(pattern, value)).toBe(false);
    expect(globMatch(pattern, `${value.slice(1)}b`)).toBe(true);
    expect(globMatch(pattern, `${value.slice(0, 40_000)}b${value.slice(40_001)}`)).toBe(true);
    // Many stars and `?` pieces: each piece is found left to right, never retried.
    const stars = `*${"a?*".repeat(300)}b*`;
    expect(globMatch(stars, value)).toBe(false);
    expect(globMatch(stars, `${"ab".repeat(400)}b`)).toBe(true);
    expect(globMatch(`*${"?".repeat(1000)}b*`, value)).toBe(false);
    expect(globMatch(`*${"?".repeat(1000)}b*`, `${value.slice(1)}b`)).toBe(true);
  });

  it("a value over the cap matches nothing, not even `*`", () => {
    expect(globMatch("*", "a".repeat(GLOB_MAX_VALUE))).toBe(true);
    expect(globMatch("*", "a".repeat(GLOB_MAX_VALUE + 1))).toBe(false);
  });

  it("first and last pieces do not overlap", () => {
    expect([globMatch("ab*ba", "aba"), globMatch("ab*ba", "abba"), globMatch("a*a", "a")]).toEqual([
      false,
      true,
      false,
    ]);
  });

  it("matches UTF-16 code units, like the rest of the code base", () => {
    expect([globMatch("?", "é"), globMatch("??", "😀"), globMatch("*😀", "x😀")]).toEqual([true, true, true]);
  });
});
