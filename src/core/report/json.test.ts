import { describe, expect, it } from "vitest";
import { type Finding, makeFinding } from "../findings/index.js";
import { formatJson, formatJsonChunks } from "./json.js";
import { emptyCounts, REPORT_SCHEMA_VERSION, type ScanReport } from "./model.js";

function finding(i: number, text = `pod-${i}`): Finding {
  const f = makeFinding({
    ruleId: `PAL-POD-${String(i % 40).padStart(3, "0")}`,
    title: "Container runs as root",
    severity: i % 2 ? "low" : "high",
    resource: { apiVersion: "v1", kind: "Pod", namespace: `ns-${i % 3}`, name: text },
    fieldPath: `spec.containers[${i % 2}].securityContext`,
    message: `message for ${text}`,
    remediation: "Set runAsNonRoot.",
    compliance: [{ framework: "cis", id: "5.2.6", title: "Minimize root" }],
    category: "workload",
  });
  if (i % 3 === 0) f.location = { file: "a.yaml", line: i + 1, column: 3 };
  if (i % 5 === 0) f.evidence = "0";
  if (i % 7 === 0) f.suppressed = { exceptionId: "x", reason: "r", owner: undefined, source: "exception" };
  return f;
}

function report(findings: Finding[], framework?: string): ScanReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "palisade", version: "0.1.0" },
    framework,
    inventory: { files: 1, objects: findings.length, namespaces: 3, workloads: 2, unknownKinds: {} },
    summary: {
      active: findings.length,
      suppressed: 0,
      bySeverity: emptyCounts(),
      byTeam: {},
      notEvaluated: 1,
    },
    findings,
    coverage: [{ reason: "invalid", message: "m", subject: undefined }],
    exceptions: { unused: [], matched: {} },
    rules: [],
  };
}

const joined = (r: ScanReport): string => [...formatJsonChunks(r)].join("");

describe("formatJsonChunks", () => {
  it("concatenates to formatJson around chunk boundaries", () => {
    for (const n of [0, 1, 2, 999, 1000, 1001, 2500]) {
      const r = report(Array.from({ length: n }, (_, i) => finding(i)));
      expect(joined(r)).toBe(formatJson(r));
    }
  });

  it("keeps a set framework and omits an undefined one, like JSON.stringify", () => {
    const r = report([finding(1)], "cis");
    expect(joined(r)).toBe(formatJson(r));
    expect(joined(report([finding(1)]))).not.toContain('\n  "framework"');
  });

  it("yields bounded chunks for a large report", () => {
    const chunks = [...formatJsonChunks(report(Array.from({ length: 5000 }, (_, i) => finding(i))))];
    // Five runs of 1,000, each its separator and its text, and the tail.
    expect(chunks.length).toBe(11);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(2_000_000);
  });

  describe("pathological cases", () => {
    it("is byte-identical with quotes, newlines, escapes and unicode in values and keys", () => {
      const names = ['a"b', "line\nbreak", "tab\t", "\u0000nul", "é€😀", "\ud800", '"findings": [', "\\"];
      const r = report(names.map((s, i) => finding(i, s)));
      r.summary.byTeam = { '"findings": [\n': emptyCounts(), "\u2028": emptyCounts() };
      r.inventory.unknownKinds = { "x/v1/Thing\n  ]": 2 };
      expect(joined(r)).toBe(formatJson(r));
    });
  });
});
