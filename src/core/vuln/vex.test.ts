import { describe, expect, it } from "vitest";
import { makeFinding } from "../findings/index.js";
import type { VulnFinding } from "./match.js";
import { applyVex, parseVex, toOpenVex } from "./vex.js";

function finding(id: string, aliases: string[], purl: string): VulnFinding {
  const base = makeFinding({
    ruleId: id,
    title: id,
    severity: "high",
    resource: { apiVersion: "palisade.dev/v1", kind: "Image", name: "app:1" },
    fieldPath: `packages[${purl}]`,
    message: id,
    remediation: "fix available: >= 2",
    compliance: [],
    category: "vulnerability",
  });
  return {
    ...base,
    category: "vulnerability",
    vulnerabilityId: id,
    aliases,
    package: { name: "semver", type: "npm", purl, ecosystem: "npm", lookupName: "semver" },
    installed: "7.5.1",
    fixedVersions: ["7.5.2"],
    severitySource: "cvss",
    advisories: [id],
  };
}

const F1 = finding("CVE-2022-25883", ["GHSA-c2qf-rxjj-qqgw"], "pkg:npm/semver@7.5.1");
const F2 = finding("CVE-2024-1", [], "pkg:npm/other@1.0.0");

const openvex = {
  "@context": "https://openvex.dev/ns/v0.2.0",
  statements: [
    {
      vulnerability: { name: "GHSA-c2qf-rxjj-qqgw" },
      products: [{ "@id": "app:1", subcomponents: [{ "@id": "pkg:npm/semver" }] }],
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
    },
    { vulnerability: "CVE-2024-1", products: ["pkg:npm/other@1.0.0?foo=bar"], status: "under_investigation" },
  ],
};

describe("VEX", () => {
  it("parses OpenVEX v0.2.0 and v0.0.1 forms", () => {
    expect(parseVex(openvex, "v.json")).toEqual({
      statements: [
        {
          vulnerability: "GHSA-c2qf-rxjj-qqgw",
          aliases: [],
          products: ["pkg:npm/semver"],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
          source: "v.json#statements[0]",
        },
        {
          vulnerability: "CVE-2024-1",
          aliases: [],
          products: ["pkg:npm/other@1.0.0?foo=bar"],
          status: "under_investigation",
          source: "v.json#statements[1]",
        },
      ],
      coverage: [],
    });
  });

  it("not_affected with justification suppresses through an alias; other statuses are recorded", () => {
    const { statements } = parseVex(openvex, "v.json");
    const r = applyVex([F1, F2], statements, "app:1");
    expect(r).toEqual({
      findings: [
        {
          ...F1,
          vex: {
            status: "not_affected",
            justification: "vulnerable_code_not_in_execute_path",
            source: "v.json#statements[0]",
          },
          suppressed: {
            exceptionId: "v.json#statements[0]",
            reason: "not_affected: vulnerable_code_not_in_execute_path",
            source: "vex",
          },
        },
        { ...F2, vex: { status: "under_investigation", source: "v.json#statements[1]" } },
      ],
      coverage: [],
    });
  });

  it("parses CycloneDX VEX analysis states and applies them by purl", () => {
    const cdx = {
      bomFormat: "CycloneDX",
      specVersion: "1.6",
      vulnerabilities: [
        {
          id: "CVE-2022-25883",
          analysis: { state: "false_positive", detail: "not reachable" },
          affects: [{ ref: "pkg:npm/semver@7.5.1" }],
        },
        { id: "CVE-2024-1", analysis: { state: "exploitable" }, affects: [{ ref: "pkg:npm/elsewhere@1" }] },
      ],
    };
    const { statements, coverage } = parseVex(cdx, "c.json");
    const r = applyVex([F1, F2], statements, "app:1");
    expect([
      coverage,
      r.findings.map((f) => [f.vulnerabilityId, f.vex?.status, f.suppressed?.reason]),
    ]).toEqual([
      [],
      [
        ["CVE-2022-25883", "not_affected", "not_affected: false_positive"],
        ["CVE-2024-1", undefined, undefined],
      ],
    ]);
  });

  it("writes an OpenVEX document that reads back to the same verdicts", () => {
    const applied = applyVex([F1, F2], parseVex(openvex, "v.json").statements, "app:1").findings;
    const doc = toOpenVex(applied, {
      now: new Date("2024-05-01T00:00:00Z"),
      author: "palisade",
      product: "app:1",
    });
    const again = applyVex([F1, F2], parseVex(doc, "out.json").statements, "app:1").findings;
    expect(again.map((f) => [f.vex?.status, f.suppressed?.source])).toEqual([
      ["not_affected", "vex"],
      ["under_investigation", undefined],
    ]);
    expect(
      toOpenVex(applied, { now: new Date("2024-05-01T00:00:00Z"), author: "palisade", product: "app:1" }),
    ).toEqual(doc);
    expect(doc.timestamp).toBe("2024-05-01T00:00:00.000Z");
  });
});

describe("pathological cases", () => {
  it("not_affected without a justification is reported and not applied", () => {
    const doc = { statements: [{ vulnerability: "CVE-2024-1", status: "not_affected" }] };
    expect(applyVex([F2], parseVex(doc, "n.json").statements, "app:1")).toEqual({
      findings: [F2],
      coverage: [
        {
          reason: "invalid",
          subject: "n.json#statements[0]",
          message: "not_affected for CVE-2024-1 has no justification; not applied",
        },
      ],
    });
  });

  it.each([
    [{ statements: [{ status: "not_affected" }] }, "invalid"],
    [{ statements: [{ vulnerability: "X", status: "maybe" }] }, "invalid"],
    [JSON.parse('{"statements":[],"__proto__":{"x":1}}'), "unsafe"],
    [{ vulnerabilities: [{ id: "X", analysis: { state: "constructor" } }] }, "invalid"],
    [{ something: 1 }, "unsupported"],
    [[1, 2], "invalid"],
  ])("rejects %j as %s", (doc, reason) => {
    expect(parseVex(doc, "bad.json").coverage.map((c) => c.reason)).toEqual([reason]);
  });
});
