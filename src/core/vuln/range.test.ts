import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OsvAffected, OsvEvent, OsvRange } from "./osv.js";
import { evaluateAffected } from "./range.js";
import { DEFAULT_RESOLVER } from "./resolver.js";

function aff(ecosystem: string, ranges: OsvRange[], versions: string[] = []): OsvAffected {
  return { package: { ecosystem, name: "p" }, ranges, versions, severity: [] };
}
const ev = (...events: OsvEvent[]): OsvEvent[] => events;

describe("evaluateAffected: OSV schema evaluation", () => {
  const log4j = aff("Maven", [
    {
      type: "ECOSYSTEM",
      events: ev(
        { introduced: "2.0-beta9" },
        { fixed: "2.3.1" },
        { introduced: "2.4" },
        { fixed: "2.12.2" },
        { introduced: "2.13.0" },
        { fixed: "2.15.0" },
      ),
    },
  ]);

  it.each([
    ["2.0-beta8", false, []],
    ["2.0-beta9", true, ["2.3.1"]],
    ["2.0", true, ["2.3.1"]],
    ["2.3.1", false, []],
    ["2.4", true, ["2.12.2"]],
    ["2.12.2", false, []],
    ["2.12.10", false, []],
    ["2.14.1", true, ["2.15.0"]],
    ["2.15.0", false, []],
    ["2.17.1", false, []],
  ])("Maven multi-interval range: %s -> %s", (v, affected, fixed) => {
    expect(evaluateAffected(v, log4j, DEFAULT_RESOLVER)).toEqual({ affected, fixed, skipped: [] });
  });

  it("sorts unsorted events by the ecosystem's order before walking them", () => {
    const shuffled = aff("Maven", [
      {
        type: "ECOSYSTEM",
        events: ev(
          { fixed: "2.15.0" },
          { introduced: "2.13.0" },
          { fixed: "2.3.1" },
          { introduced: "2.0-beta9" },
        ),
      },
    ]);
    expect(
      ["2.1", "2.10", "2.14"].map((v) => evaluateAffected(v, shuffled, DEFAULT_RESOLVER).affected),
    ).toEqual([true, false, true]);
  });

  it("last_affected is inclusive, fixed is exclusive", () => {
    const last = aff("PyPI", [
      { type: "ECOSYSTEM", events: ev({ introduced: "0" }, { last_affected: "1.11.0" }) },
    ]);
    const fixed = aff("PyPI", [{ type: "ECOSYSTEM", events: ev({ introduced: "0" }, { fixed: "1.11.0" }) }]);
    expect(
      ["1.11.0", "1.11.0.post1", "1.11.1"].map((v) => evaluateAffected(v, last, DEFAULT_RESOLVER)),
    ).toEqual([
      { affected: true, fixed: [], skipped: [] },
      { affected: false, fixed: [], skipped: [] },
      { affected: false, fixed: [], skipped: [] },
    ]);
    expect(evaluateAffected("1.11.0", fixed, DEFAULT_RESOLVER)).toEqual({
      affected: false,
      fixed: [],
      skipped: [],
    });
    expect(evaluateAffected("1.11.0rc1", fixed, DEFAULT_RESOLVER)).toEqual({
      affected: true,
      fixed: ["1.11.0"],
      skipped: [],
    });
  });

  it("Debian ordering: ~ sorts before the release, epochs dominate", () => {
    const dsa = aff("Debian:12", [
      { type: "ECOSYSTEM", events: ev({ introduced: "0" }, { fixed: "3.0.11-1~deb12u2" }) },
    ]);
    expect(
      ["3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "3.0.11-1", "1:1.0-1"].map(
        (v) => evaluateAffected(v, dsa, DEFAULT_RESOLVER).affected,
      ),
    ).toEqual([true, false, false, false]);
  });

  it("limit events cap the range (v < some limit), '*' is infinity", () => {
    const limited = aff("npm", [{ type: "SEMVER", events: ev({ introduced: "1.0.0" }, { limit: "2.0.0" }) }]);
    const star = aff("npm", [{ type: "SEMVER", events: ev({ introduced: "1.0.0" }, { limit: "*" }) }]);
    expect(
      ["0.9.0", "1.5.0", "2.0.0", "3.0.0"].map(
        (v) => evaluateAffected(v, limited, DEFAULT_RESOLVER).affected,
      ),
    ).toEqual([false, true, false, false]);
    expect(evaluateAffected("9.0.0", star, DEFAULT_RESOLVER).affected).toBe(true);
  });

  it("SEMVER ranges use SemVer precedence and ignore a leading v (Go)", () => {
    const go = aff("Go", [{ type: "SEMVER", events: ev({ introduced: "0" }, { fixed: "0.17.0" }) }]);
    expect(
      ["v0.9.0", "v0.16.99", "v0.17.0", "v0.17.0-rc.1"].map((v) => evaluateAffected(v, go, DEFAULT_RESOLVER)),
    ).toEqual([
      { affected: true, fixed: ["0.17.0"], skipped: [] },
      { affected: true, fixed: ["0.17.0"], skipped: [] },
      { affected: false, fixed: [], skipped: [] },
      { affected: true, fixed: ["0.17.0"], skipped: [] },
    ]);
  });

  it("explicit versions match exactly or by scheme equality", () => {
    const listed = aff("PyPI", [], ["1.0", "2.0.post1"]);
    expect(
      ["1.0", "1.0.0", "2.0.post1", "2.0"].map((v) => evaluateAffected(v, listed, DEFAULT_RESOLVER).affected),
    ).toEqual([true, true, true, false]);
  });

  it("GIT ranges are skipped with a reason; the versions list still applies", () => {
    const git = aff(
      "OSS-Fuzz",
      [{ type: "GIT", repo: "https://x", events: ev({ introduced: "abc" }, { fixed: "def" }) }],
      ["1.2.3"],
    );
    expect(evaluateAffected("1.2.3", git, DEFAULT_RESOLVER)).toEqual({
      affected: true,
      fixed: [],
      skipped: ["ranges[0]: GIT range cannot be evaluated against a package version"],
    });
  });

  it("introduced equal to fixed is an empty range", () => {
    const empty = aff("npm", [{ type: "SEMVER", events: ev({ introduced: "1.0.0" }, { fixed: "1.0.0" }) }]);
    expect(evaluateAffected("1.0.0", empty, DEFAULT_RESOLVER).affected).toBe(false);
  });
});

describe("property: SEMVER interval ranges equal direct interval membership", () => {
  // Disjoint sorted intervals [a_i, b_i) over integers encoded as x.0.0; evaluation must equal membership.
  it("holds for random disjoint intervals and versions", () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 2, maxLength: 10 })
          .map((a) => a.sort((x, y) => x - y)),
        fc.integer({ min: 0, max: 62 }),
        fc.boolean(),
        (bounds, v, shuffle) => {
          const pairs: [number, number][] = [];
          for (let i = 0; i + 1 < bounds.length; i += 2)
            pairs.push([bounds[i] as number, bounds[i + 1] as number]);
          let events: OsvEvent[] = pairs.flatMap(([a, b]) => [
            { introduced: `${a}.0.0` },
            { fixed: `${b}.0.0` },
          ]);
          if (shuffle) events = [...events].reverse();
          const r = evaluateAffected(`${v}.0.0`, aff("npm", [{ type: "SEMVER", events }]), DEFAULT_RESOLVER);
          const inside = pairs.find(([a, b]) => v >= a && v < b);
          expect(r).toEqual({
            affected: inside !== undefined,
            fixed: inside ? [`${inside[1]}.0.0`] : [],
            skipped: [],
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("pathological cases", () => {
  it("an invalid bound skips that range with a reason instead of guessing", () => {
    const bad = aff("npm", [{ type: "SEMVER", events: ev({ introduced: "0" }, { fixed: "not-a-version" }) }]);
    expect(evaluateAffected("1.0.0", bad, DEFAULT_RESOLVER)).toEqual({
      affected: false,
      fixed: [],
      skipped: [`ranges[0]: fixed "not-a-version" is not a valid ${DEFAULT_RESOLVER.semver.name} version`],
    });
  });

  it("an unknown ecosystem skips ECOSYSTEM ranges with a reason", () => {
    const unknown = aff("NoSuchEco", [{ type: "ECOSYSTEM", events: ev({ introduced: "0" }) }]);
    expect(evaluateAffected("1", unknown, DEFAULT_RESOLVER)).toEqual({
      affected: false,
      fixed: [],
      skipped: ["ranges[0]: no version ordering for ecosystem NoSuchEco"],
    });
  });

  it("an invalid installed version is reported, not matched", () => {
    const r = evaluateAffected(
      "!!",
      aff("npm", [{ type: "SEMVER", events: ev({ introduced: "0" }) }]),
      DEFAULT_RESOLVER,
    );
    expect([r.affected, r.skipped.length]).toEqual([false, 1]);
  });
});
