import nodeSemver from "semver";
import { describe, expect, it } from "vitest";
import { semverGen } from "../../../test/support/version-generators.js";
import { nuget, nugetLenient, parseNuGetVersion, schemeFor } from "./index.js";

/**
 * NuGet's order from its documentation ("Package versioning": SemVer 2.0.0 precedence, a fourth number, labels
 * compared case-insensitively; "Normalized version numbers"), and a differential test against node-semver on the
 * versions where NuGet documents its order as SemVer 2.0.0's (three numbers, lower-case labels).
 */

const sym = (c: number): string => (c < 0 ? "<" : c > 0 ? ">" : "=");

/** Every adjacent pair of a chain, both ways: `a < b`, `b > a`, and each equal to itself. */
function chainPairs(chain: string[]): string[] {
  return chain.slice(1).flatMap((b, i) => {
    const a = chain[i] as string;
    return [
      `${a} ${sym(nuget.compare(a, b))} ${b}`,
      `${b} ${sym(nuget.compare(b, a))} ${a}`,
      `${a} ${sym(nuget.compare(a, a))} ${a}`,
    ];
  });
}

describe("NuGet versions (NuGet.Versioning, as documented)", () => {
  it("the OSV ecosystem name and the purl type both select it", () => {
    expect(schemeFor("NuGet")).toBe(nugetLenient);
    expect(schemeFor("nuget")).toBe(nugetLenient);
  });

  it("SemVer 2.0.0's precedence example, which NuGet follows for pre-release labels", () => {
    const chain = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
      "1.0.1",
      "1.1.0",
      "2.0.0",
    ];
    expect(chainPairs(chain)).toEqual(
      chain
        .slice(1)
        .flatMap((b, i) => [`${chain[i]} < ${b}`, `${b} > ${chain[i]}`, `${chain[i]} = ${chain[i]}`]),
    );
  });

  it("a fourth number (System.Version's Revision) orders after the third, and before labels", () => {
    const chain = ["1.0.0", "1.0.0.1-beta", "1.0.0.1", "1.0.0.9", "1.0.0.10", "1.0.1-alpha", "1.0.1"];
    expect(chainPairs(chain)).toEqual(
      chain
        .slice(1)
        .flatMap((b, i) => [`${chain[i]} < ${b}`, `${b} > ${chain[i]}`, `${chain[i]} = ${chain[i]}`]),
    );
  });

  it("normalization (docs 'Normalized version numbers'): leading zeros, a zero fourth part and metadata do not count", () => {
    const same = [
      ["1.00", "1.0.0"],
      ["1.01.1", "1.1.1"],
      ["1.0.0.0", "1.0.0"],
      ["1", "1.0.0"],
      ["1.0.0+githash", "1.0.0"],
      ["1.0.0-beta+a", "1.0.0-beta+b"],
      ["1.0.0-Beta", "1.0.0-beta"],
      ["1.0.0-RC.1", "1.0.0-rc.1"],
      [" 1.0.0 ", "1.0.0"],
    ];
    expect(same.map(([a, b]) => `${a} ${sym(nuget.compare(a as string, b as string))} ${b}`)).toEqual(
      same.map(([a, b]) => `${a} = ${b}`),
    );
  });

  it("SemVer 1.0.0-era labels (NuGet 2.x packages: 1.0.0-beta01) compare as strings, case-insensitively", () => {
    expect(
      [
        ["1.0.0-beta01", "1.0.0-beta02"],
        ["1.0.0-beta10", "1.0.0-beta9"],
        ["1.0.0-Beta01", "1.0.0-beta02"],
        ["1.0.0-pre", "1.0.0-prerelease"],
        ["1.0.0-1", "1.0.0-alpha"],
        ["1.0.0-alpha", "1.0.0-alpha.0"],
      ].map(([a, b]) => `${a} ${sym(nuget.compare(a as string, b as string))} ${b}`),
    ).toEqual([
      "1.0.0-beta01 < 1.0.0-beta02",
      "1.0.0-beta10 < 1.0.0-beta9",
      "1.0.0-Beta01 < 1.0.0-beta02",
      "1.0.0-pre < 1.0.0-prerelease",
      "1.0.0-1 < 1.0.0-alpha",
      "1.0.0-alpha < 1.0.0-alpha.0",
    ]);
  });

  it("the parts it parses", () => {
    expect(parseNuGetVersion("6.0.5")).toEqual({ parts: [6, 0, 5, 0], releaseLabels: [], metadata: "" });
    expect(parseNuGetVersion("4.7.0-preview1.19504.10")).toEqual({
      parts: [4, 7, 0, 0],
      releaseLabels: ["preview1", "19504", "10"],
      metadata: "",
    });
    expect(parseNuGetVersion("13.0.1+ae9fe44e1323e91bcbd185ca1a14099fba7c021f")).toEqual({
      parts: [13, 0, 1, 0],
      releaseLabels: [],
      metadata: "ae9fe44e1323e91bcbd185ca1a14099fba7c021f",
    });
  });

  it("agrees with node-semver on 3,000 generated SemVer 2.0.0 pairs (three numbers, lower-case labels)", () => {
    const gen = semverGen(18);
    // Half independent pairs, half a version against a near neighbour (build dropped or changed, labels added
    // or dropped), where orderings differ in the details.
    const near = (v: string, i: number): string => {
      const [core = "", build] = v.split("+");
      switch (i % 5) {
        case 0:
          return core;
        case 1:
          return `${core}+${build ?? "x"}.1`;
        case 2:
          return core.includes("-") ? `${core}.0` : `${core}-0`;
        case 3:
          return core.split("-")[0] ?? core;
        default:
          return core.includes("-") ? `${core}.alpha` : `${core}-alpha`;
      }
    };
    const pairs = Array.from({ length: 3000 }, (_, i) => {
      const a = gen().toLowerCase();
      return [a, i % 2 === 0 ? gen().toLowerCase() : near(a, i >> 1)] as const;
    });
    const ours = pairs.map(
      ([a, b]) => `${a} ${nuget.isValid(a) && nuget.isValid(b) ? sym(nuget.compare(a, b)) : "invalid"} ${b}`,
    );
    const ref = pairs.map(
      ([a, b]) =>
        `${a} ${nodeSemver.valid(a) && nodeSemver.valid(b) ? sym(nodeSemver.compare(a, b)) : "invalid"} ${b}`,
    );
    expect(ours).toEqual(ref);
    // The sample is not degenerate: every outcome occurs, pre-releases included.
    const outcomes = new Set(ours.map((l) => l.split(" ")[1]));
    expect([...outcomes].sort()).toEqual(["<", "=", ">"]);
    expect(pairs.filter(([a]) => a.includes("-")).length).toBeGreaterThan(1000);
    expect(ours.filter((l) => l.split(" ")[1] === "=").length).toBeGreaterThan(200);
  });

  describe("pathological cases", () => {
    it("what NuGet refuses: more than four numbers, empty labels, leading-zero numeric labels, ranges", () => {
      const bad = [
        "1.2.3.4.5",
        "1.0.0-",
        "1.0.0-beta.01",
        "1..0",
        "[1.0.0, )",
        "1.0.*",
        "v1.0.0",
        "1.0.0-β",
        "-1.0.0",
      ];
      expect(bad.map((v) => [v, nuget.isValid(v)])).toEqual(bad.map((v) => [v, false]));
    });

    it("the lenient order still places what NuGet refuses (parts past int32), never throwing", () => {
      expect(nuget.isValid("1.0.2147483648")).toBe(false);
      expect(sym(nugetLenient.compare("1.0.2147483648", "1.0.2147483647"))).toBe(">");
      expect(sym(nugetLenient.compare("not a version", "0.0.1"))).toBe("<");
      expect(() => nugetLenient.compare("9".repeat(100_000), "1")).not.toThrow();
    });
  });
});
