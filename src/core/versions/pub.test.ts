import { describe, expect, it } from "vitest";
import { parsePubVersion, pub, schemeFor } from "./index.js";

const sym = (c: number): string => (c < 0 ? "<" : c > 0 ? ">" : "=");

/** Every pair of a sorted list compares as its indices do (pub_semver's own test shape). */
function pairwise(sorted: readonly string[]): string[] {
  const bad: string[] = [];
  for (let i = 0; i < sorted.length; i++)
    for (let j = 0; j < sorted.length; j++) {
      const got = sym(pub.compare(sorted[i] as string, sorted[j] as string));
      if (got !== sym(i - j)) bad.push(`${sorted[i]} ${got} ${sorted[j]}`);
    }
  return bad;
}

// Vectors from dart-lang/pub_semver test/version_test.dart ("comparison", "prioritize", "equality", "parse").
describe("pub (pub_semver Version.compareTo)", () => {
  it("is the scheme of the OSV Pub ecosystem and pkg:pub", () => {
    expect(schemeFor("Pub")).toBe(pub);
    expect(schemeFor("pub")).toBe(pub);
  });

  it("orders pub_semver's comparison list", () => {
    expect(
      pairwise([
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0-rc.1+build.1",
        "1.0.0",
        "1.0.0+0.3.7",
        "1.3.7+build",
        "1.3.7+build.2.b8f12d7",
        "1.3.7+build.11.e0f985a",
        "2.0.0",
        "2.1.0",
        "2.2.0",
        "2.11.0",
        "2.11.1",
      ]),
    ).toEqual([]);
  });

  it("differs from SemVer 2.0.0 where pub_semver does: builds order, leading zeros are allowed", () => {
    expect(sym(pub.compare("1.0.0", "1.0.0+build"))).toBe("<");
    expect(sym(pub.compare("1.0.0+2", "1.0.0+10"))).toBe("<");
    expect(sym(pub.compare("1.0.0+a", "1.0.0+1"))).toBe(">");
    for (const [a, b] of [
      ["01.2.3", "1.2.3"],
      ["1.02.3", "1.2.3"],
      ["1.2.03", "1.2.3"],
      ["1.2.3-01", "1.2.3-1"],
      ["1.2.3+01", "1.2.3+1"],
    ] as const)
      expect([a, b, pub.compare(a, b)]).toEqual([a, b, 0]);
  });

  it("parses what Version.parse parses and refuses the rest", () => {
    expect(parsePubVersion("1.0.0-rc-1+build-1")).toEqual({
      major: 1n,
      minor: 0n,
      patch: 0n,
      preRelease: ["rc-1"],
      build: ["build-1"],
    });
    expect(parsePubVersion("1.2.3-x.7.z-92").preRelease).toEqual(["x", 7n, "z-92"]);
    const refused = [
      "1.0",
      "1.2.3.4",
      "1234",
      "-2.3.4",
      "1.3-pre",
      "1.3+build",
      "1.3+bu?!3ild",
      "v1.0.0",
      " 1.0.0",
    ];
    expect(refused.filter((v) => pub.isValid(v))).toEqual([]);
  });

  describe("pathological cases", () => {
    it("numbers past Dart's 64-bit int: a version part refuses, an identifier becomes a string", () => {
      expect(pub.isValid("9223372036854775807.0.0")).toBe(true);
      expect(pub.isValid("9223372036854775808.0.0")).toBe(false);
      // int.tryParse fails, so the identifier is a string, and strings sort after numbers.
      expect(sym(pub.compare("1.0.0-99999999999999999999", "1.0.0-1"))).toBe(">");
      expect(sym(pub.compare("1.0.0-99999999999999999999", "1.0.0-a"))).toBe("<");
      // "-1" is an identifier Dart reads as the number -1.
      expect(sym(pub.compare("1.0.0--1", "1.0.0-0"))).toBe("<");
    });

    it("refuses empty, huge-but-malformed and prototype-named input with INPUT", () => {
      for (const v of ["", "__proto__", `1.0.0-${"a.".repeat(50_000)}`, "1.0.0-é"])
        expect(pub.isValid(v)).toBe(false);
      expect(() => pub.compare("__proto__", "1.0.0")).toThrow(/invalid Pub version/);
    });
  });
});
