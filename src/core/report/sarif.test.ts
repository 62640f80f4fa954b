import { describe, expect, it } from "vitest";
import { makeFinding } from "../findings/index.js";
import { emptyCounts, REPORT_SCHEMA_VERSION, type ScanReport } from "./model.js";
import { formatSarif, formatSarifChunks, sarifLogChunks } from "./sarif.js";

const log = (results: unknown[], notifications: unknown[] = []) => ({
  $schema: "https://json.schemastore.org/sarif-2.1.0.json",
  version: "2.1.0",
  runs: [
    {
      tool: {
        driver: {
          name: "palisade",
          version: "1.0",
          informationUri: "https://github.com/palisade-dev/palisade",
          rules: [{ id: "R" }],
        },
      },
      results,
      invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
    },
  ],
});

function report(n: number, notEvaluated = 0): ScanReport {
  const findings = Array.from({ length: n }, (_, i) =>
    makeFinding({
      ruleId: "PAL-POD-001",
      title: "t",
      severity: "high",
      resource: { apiVersion: "v1", kind: "Pod", namespace: "ns", name: `p${i}\n"\u001b` },
      message: "m",
      remediation: "r",
      compliance: [],
      category: "workload",
    }),
  );
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "palisade", version: "1.0" },
    inventory: { files: 1, objects: n, namespaces: 1, workloads: n, unknownKinds: {} },
    summary: { active: n, suppressed: 0, bySeverity: emptyCounts(), byTeam: {}, notEvaluated },
    findings,
    coverage: notEvaluated
      ? [{ reason: "parse-error", message: "bad.yaml: not YAML", subject: "bad.yaml" }]
      : [],
    exceptions: { unused: [], matched: {} },
    rules: [],
  };
}

describe("sarifLogChunks", () => {
  it("concatenates to JSON.stringify of the whole log around chunk boundaries", () => {
    for (const n of [0, 1, 2, 999, 1000, 1001, 2500]) {
      const results = Array.from({ length: n }, (_, i) => ({ ruleId: "R", message: { text: `r${i} "\n` } }));
      const text = [...sarifLogChunks("1.0", [{ id: "R" }], results, [{ level: "warning" }])].join("");
      expect(text).toBe(`${JSON.stringify(log(results, [{ level: "warning" }]), null, 2)}\n`);
    }
  });
  it("yields bounded chunks: 5,000 results are never one string", () => {
    const chunks = [...formatSarifChunks(report(5000))];
    expect(chunks.length).toBe(6);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(chunks.join("").length / 3);
    expect(JSON.parse(chunks.join("")).runs[0].results).toHaveLength(5000);
  });
  it("marks an incomplete run: not successful, with an error notification naming the count", () => {
    const run = JSON.parse(formatSarif(report(1, 1))).runs[0];
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].properties).toEqual({ notEvaluated: 1 });
    expect(run.invocations[0].toolExecutionNotifications[0]).toEqual({
      level: "error",
      message: { text: "incomplete: 1 input not evaluated (see the warnings)" },
    });
    expect(JSON.parse(formatSarif(report(1))).runs[0].invocations[0].executionSuccessful).toBe(true);
  });
});
