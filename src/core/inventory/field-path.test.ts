/**
 * Field paths: formatting against the definition they had as a regular expression and a join of two formatted
 * paths (the character test and the append-per-segment join replaced them for speed), and a round trip.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatFieldPath, joinPath, type PathSegment, parseFieldPath } from "./field-path.js";

const SIMPLE_KEY = /^[A-Za-z_$][\w$-]*$/;
const referenceFormat = (segments: readonly PathSegment[]): string => {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (SIMPLE_KEY.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
};
const referenceJoin = (base: string, rest: readonly PathSegment[]): string => {
  const tail = referenceFormat(rest);
  if (base === "") return tail;
  if (tail === "") return base;
  return tail.startsWith("[") ? base + tail : `${base}.${tail}`;
};

// Keys drawn from the characters that decide the form (letters, digits, _ $ - . / and others), and any string.
const key = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_$\-./"\\ \u00e9]{0,8}$/),
  fc.string(),
  fc.constantFrom("containers", "securityContext", "a-b", "$x", "_", "9lives", "app.kubernetes.io/name", ""),
);
const segment: fc.Arbitrary<PathSegment> = fc.oneof(key, fc.nat(1000));
const segments = fc.array(segment, { maxLength: 6 });

describe("field paths", () => {
  it("format as the regular-expression definition does", () => {
    fc.assert(
      fc.property(segments, (s) => {
        expect(formatFieldPath(s)).toBe(referenceFormat(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("join as formatting the rest and joining the two texts does", () => {
    fc.assert(
      fc.property(segments, segments, (base, rest) => {
        const b = referenceFormat(base);
        expect(joinPath(b, ...rest)).toBe(referenceJoin(b, rest));
      }),
      { numRuns: 2000 },
    );
  });

  it("parse back what they format", () => {
    fc.assert(
      fc.property(segments, (s) => {
        expect(parseFieldPath(formatFieldPath(s))).toEqual(s);
      }),
      { numRuns: 1000 },
    );
  });

  it("examples", () => {
    expect(joinPath("spec.containers", 0, "securityContext")).toBe("spec.containers[0].securityContext");
    expect(joinPath("", "metadata", "annotations", "app.kubernetes.io/name")).toBe(
      'metadata.annotations["app.kubernetes.io/name"]',
    );
    expect(joinPath("spec", "a-b", "$c", "_d", "9e", "")).toBe('spec.a-b.$c._d["9e"][""]');
  });
});
