import { describe, expect, it } from "vitest";
import { type Finding, makeFinding } from "../findings/index.js";
import { applyExceptions, parseExceptions } from "./index.js";

const finding = (ruleId: string, ns: string, name: string): Finding =>
  makeFinding({
    ruleId,
    title: ruleId,
    severity: "high",
    category: "workload",
    resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name },
    workload: { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name },
    message: "m",
    remediation: "r",
    compliance: [],
  });

const now = new Date("2026-06-01T00:00:00Z");
const facts = () => ({ images: ["docker.io/acme/api"], labels: { app: "api" } });

describe("parseExceptions", () => {
  it("accepts a valid document and keeps ids", () => {
    const r = parseExceptions({
      exceptions: [
        {
          id: "legacy",
          rules: "PAL-POD-001",
          namespaces: ["legacy-*"],
          reason: "migration",
          expires: "2026-12-31",
        },
        { rules: ["PAL-IMG-*"], images: ["docker.io/acme/*"], reason: "vendor image" },
      ],
    });
    expect(r.issues).toEqual([]);
    expect(r.exceptions).toEqual([
      {
        id: "legacy",
        rules: ["PAL-POD-001"],
        namespaces: ["legacy-*"],
        reason: "migration",
        expires: "2026-12-31",
      },
      { id: "exceptions[1]", rules: ["PAL-IMG-*"], images: ["docker.io/acme/*"], reason: "vendor image" },
    ]);
  });

  it("reports each invalid entry by field and keeps the valid ones", () => {
    const r = parseExceptions({
      exceptions: [
        { rules: ["X"] },
        { reason: "no scope" },
        { rules: ["Y"], reason: "ok", expires: "next tuesday", colour: "red" },
        { rules: ["Z"], reason: "fine" },
        "nope",
      ],
    });
    expect(r.issues).toEqual([
      { path: "exceptions[0].reason", message: "is required" },
      {
        path: "exceptions[1]",
        message: "must set at least one scope (rules, namespaces, workloads, images, labels)",
      },
      { path: "exceptions[2].colour", message: 'unknown field "colour"' },
      { path: "exceptions[2].expires", message: "must be a date (YYYY-MM-DD)" },
      { path: "exceptions[4]", message: "must be a mapping" },
    ]);
    expect(r.exceptions.map((e) => e.id)).toEqual(["exceptions[3]"]);
  });

  it("refuses a glob over the matcher's cap instead of letting it match nothing", () => {
    const r = parseExceptions([
      { namespaces: ["ok-*", `*${"a".repeat(25_000)}b`], reason: "r" },
      { workloads: "x*", reason: "kept" },
    ]);
    expect(r.issues).toEqual([
      { path: "exceptions[0].namespaces", message: "pattern is 25002 characters long; the limit is 1024" },
    ]);
    expect(r.exceptions.map((e) => e.id)).toEqual(["exceptions[1]"]);
  });

  it("rejects a document without a list", () => {
    expect(parseExceptions({ foo: 1 }).issues).toEqual([
      { path: "exceptions", message: "expected a list under `exceptions`" },
    ]);
  });
});

describe("applyExceptions", () => {
  const findings = [finding("PAL-POD-001", "legacy-a", "batch"), finding("PAL-POD-002", "shop", "api")];

  it("suppresses matching findings, keeps them listed, and counts matches", () => {
    const { exceptions } = parseExceptions([
      { id: "a", rules: ["PAL-POD-001"], namespaces: ["legacy-*"], reason: "r", owner: "ops" },
      { id: "b", workloads: ["nomatch-*"], reason: "unused" },
    ]);
    const r = applyExceptions(findings, exceptions, { now, facts });
    expect(r.findings[0]?.suppressed).toEqual({
      exceptionId: "a",
      reason: "r",
      owner: "ops",
      expires: undefined,
      source: "exception",
    });
    expect(r.findings[1]?.suppressed).toBeUndefined();
    expect(r.matched).toEqual({ a: 1, b: 0 });
    expect(r.unused.map((e) => e.id)).toEqual(["b"]);
    expect(r.auditFindings).toEqual([]);
  });

  it("an expired exception suppresses nothing and yields an audit finding", () => {
    const { exceptions } = parseExceptions([{ id: "old", rules: ["*"], reason: "r", expires: "2026-05-31" }]);
    const r = applyExceptions(findings, exceptions, { now, facts });
    expect(r.findings.every((f) => f.suppressed === undefined)).toBe(true);
    expect(r.auditFindings.map((f) => [f.ruleId, f.resource.name, f.evidence])).toEqual([
      ["PAL-EXC-001", "old", "expires: 2026-05-31"],
    ]);
    expect(r.unused).toEqual([]);
  });

  it("is valid through the whole expiry day (UTC)", () => {
    const { exceptions } = parseExceptions([{ id: "d", rules: ["*"], reason: "r", expires: "2026-06-01" }]);
    const r = applyExceptions(findings, exceptions, { now: new Date("2026-06-01T23:00:00Z"), facts });
    expect(r.findings.every((f) => f.suppressed?.exceptionId === "d")).toBe(true);
  });

  it("scopes combine with AND: image and labels must both match", () => {
    const { exceptions } = parseExceptions([
      { id: "x", images: ["docker.io/acme/*"], labels: { app: "web" }, reason: "r" },
    ]);
    const r = applyExceptions(findings, exceptions, { now, facts });
    expect(r.findings.every((f) => f.suppressed === undefined)).toBe(true);
    expect(r.unused.map((e) => e.id)).toEqual(["x"]);
  });
});
