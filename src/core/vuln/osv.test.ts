import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OSV_LIMITS, parseOsvRecord, parseOsvText, storedRecordProblem } from "./osv.js";

const FIXTURES = join(import.meta.dirname, "__fixtures__", "osv");

function fixtureFiles(dir = FIXTURES): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? fixtureFiles(join(dir, n)) : [join(dir, n)]));
}

describe("parseOsvText", () => {
  it("accepts every fixture record", () => {
    const results = fixtureFiles().map((f) => parseOsvText(readFileSync(f, "utf8"), f));
    expect(results.flatMap((r) => r.coverage)).toEqual([]);
    expect(results.map((r) => r.record?.id)).toEqual([
      "ALPINE-CVE-2023-5678",
      "DEBIAN-CVE-2023-5363",
      "DLA-3530-1",
      "DSA-5532-1",
      "OSV-2022-1",
      "GO-2023-2102",
      "GHSA-jfh8-c2jp-5v3q",
      "GHSA-9c47-m6qq-7p4h",
      "GHSA-c2qf-rxjj-qqgw",
      "GHSA-h5c8-rqwp-cp95",
      "PYSEC-2022-42969",
      "UBUNTU-CVE-2023-5363",
    ]);
  });

  it("reduces a record to the evaluated fields", () => {
    const text = readFileSync(join(FIXTURES, "pypi", "PYSEC-2022-42969.json"), "utf8");
    expect(parseOsvText(text, "f.json")).toEqual({
      record: {
        id: "PYSEC-2022-42969",
        modified: "2023-01-10T00:00:00Z",
        aliases: ["CVE-2022-42969", "GHSA-w596-4wvx-j9j6"],
        related: [],
        upstream: [],
        details: "The py library through 1.11.0 for Python allows remote attackers to conduct a ReDoS.",
        severity: [],
        affected: [
          {
            package: { ecosystem: "PyPI", name: "py", purl: "pkg:pypi/py" },
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { last_affected: "1.11.0" }] }],
            versions: ["1.10.0", "1.11.0"],
            severity: [],
          },
        ],
      },
      coverage: [],
    });
  });
});

const base = { id: "X-1", modified: "2024-01-01T00:00:00Z" };
const affected = (ranges: unknown) => ({
  ...base,
  affected: [{ package: { ecosystem: "npm", name: "a" }, ranges }],
});

describe("pathological cases", () => {
  it("accepts a UTF-8 byte order mark before the JSON text (as editors on Windows write it)", () => {
    const text = JSON.stringify({ id: "BOM-1", modified: "2024-01-01T00:00:00Z" });
    expect([parseOsvText(`\uFEFF${text}`, "f.json"), parseOsvText(text, "f.json")]).toEqual([
      parseOsvText(text, "f.json"),
      {
        record: {
          id: "BOM-1",
          modified: "2024-01-01T00:00:00Z",
          aliases: [],
          related: [],
          upstream: [],
          severity: [],
          affected: [],
        },
        coverage: [],
      },
    ]);
  });

  it("storedRecordProblem accepts what parseOsvRecord builds and names what a hand edit broke", () => {
    const rec = parseOsvText(
      JSON.stringify({
        id: "S-1",
        modified: "2024-01-01T00:00:00Z",
        affected: [
          {
            package: { ecosystem: "npm", name: "a" },
            ranges: [{ type: "SEMVER", events: [{ introduced: "0" }] }],
          },
        ],
      }),
      "f.json",
    ).record;
    const edited = JSON.parse(JSON.stringify(rec));
    edited.affected[0].ranges[0].events = [{ introduced: 5 }];
    expect([
      storedRecordProblem(rec),
      storedRecordProblem(edited),
      storedRecordProblem({ ...edited, affected: [{ package: 5 }] }),
      storedRecordProblem("x"),
    ]).toEqual([
      undefined,
      "affected[0].ranges[0].events: each needs exactly one of introduced, fixed, last_affected, limit (a string)",
      "affected[0].package: not an object",
      "not an object",
    ]);
  });

  it.each([
    ["not JSON", "{", "parse-error", "f.json"],
    ["an array", "[]", "invalid", "record: expected a JSON object"],
  ])("%s", (_n, text, reason, part) => {
    const r = parseOsvText(text, "f.json");
    expect(r.record).toBeUndefined();
    expect(r.coverage).toHaveLength(1);
    expect(r.coverage[0]?.reason).toBe(reason);
    expect(`${r.coverage[0]?.subject} ${r.coverage[0]?.message}`).toContain(part);
  });

  it.each([
    ["missing id", { modified: "x" }, "id: required non-empty string"],
    [
      "numeric modified",
      { id: "X", modified: 5 },
      "X: malformed OSV record: modified: required non-empty string",
    ],
    ["aliases not an array", { ...base, aliases: "CVE-1" }, "aliases: expected an array of strings"],
    [
      "event with two keys",
      affected([{ type: "SEMVER", events: [{ introduced: "0", fixed: "1.0.0" }] }]),
      "affected[0].ranges[0].events[0]: exactly one of",
    ],
    [
      "no introduced event",
      affected([{ type: "SEMVER", events: [{ fixed: "1.0.0" }] }]),
      "at least one introduced event",
    ],
    [
      "fixed and last_affected",
      affected([{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1" }, { last_affected: "2" }] }]),
      "must not both appear",
    ],
    [
      "unknown range type",
      affected([{ type: "CALVER", events: [{ introduced: "0" }] }]),
      "affected[0].ranges[0].type: expected ECOSYSTEM, SEMVER or GIT",
    ],
    [
      "GIT range without repo",
      affected([{ type: "GIT", events: [{ introduced: "abc" }] }]),
      "affected[0].ranges[0].repo: required for GIT ranges",
    ],
    ["empty events", affected([{ type: "SEMVER", events: [] }]), "events: required non-empty array"],
    [
      "package without a name",
      { ...base, affected: [{ package: { ecosystem: "npm" } }] },
      "affected[0].package.name: required non-empty string",
    ],
  ])("%s -> invalid, naming the field", (_n, json, part) => {
    const r = parseOsvRecord(json, "dir/x.json");
    expect(r.record).toBeUndefined();
    expect(r.coverage).toEqual([
      { reason: "invalid", subject: "dir/x.json", message: expect.stringContaining(part) },
    ]);
  });

  it("rejects __proto__ and constructor keys anywhere", () => {
    const proto = parseOsvText(
      `{"id":"X","modified":"m","affected":[{"package":{"__proto__":{"polluted":1},"ecosystem":"npm","name":"a"}}]}`,
      "p.json",
    );
    const ctor = parseOsvRecord({ ...base, database_specific: { constructor: { prototype: 1 } } }, "c.json");
    expect([proto, ctor]).toEqual([
      {
        coverage: [
          { reason: "unsafe", subject: "p.json", message: "affected[0].package.__proto__: forbidden key" },
        ],
      },
      {
        coverage: [
          { reason: "unsafe", subject: "c.json", message: "database_specific.constructor: forbidden key" },
        ],
      },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses huge arrays by budget instead of walking them", () => {
    const versions = Array.from({ length: OSV_LIMITS.maxVersions + 1 }, (_, i) => `1.0.${i}`);
    const r = parseOsvRecord(
      { ...base, affected: [{ package: { ecosystem: "npm", name: "a" }, versions }] },
      "big.json",
    );
    expect(r.coverage).toEqual([
      {
        reason: "invalid",
        subject: "big.json",
        message: `X-1: malformed OSV record: affected[0].versions: ${OSV_LIMITS.maxVersions + 1} entries, over the ${OSV_LIMITS.maxVersions} budget`,
      },
    ]);
  });

  it("refuses text over the byte budget and deep nesting", () => {
    const huge = parseOsvText(" ".repeat(OSV_LIMITS.maxTextBytes + 1), "h.json");
    let deep: unknown = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    const nested = parseOsvRecord({ ...base, database_specific: deep }, "d.json");
    expect([huge.coverage[0]?.reason, nested.coverage[0]?.reason]).toEqual(["limit", "unsafe"]);
  });

  it("keeps an unknown ecosystem (matching reports it, parsing does not judge it)", () => {
    const r = parseOsvRecord(
      { ...base, affected: [{ package: { ecosystem: "NoSuchEco", name: "a" }, versions: ["1"] }] },
      "u.json",
    );
    expect(r.record?.affected[0]?.package).toEqual({ ecosystem: "NoSuchEco", name: "a" });
  });
});
