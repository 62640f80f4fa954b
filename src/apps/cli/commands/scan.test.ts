import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";
import { FRAMEWORKS } from "../../../core/scan/index.js";
import { SCAN_FRAMEWORKS } from "./scan.js";

const FX = "src/apps/cli/commands/__fixtures__/scan";
const DEMO = "examples/demo";
const SECRET_VALUES = [
  "AKIAIOSFODNN7EXAMPLE",
  "AKIAIOSFOD", // the 10-character excerpt V8 would quote from leaky.json
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "Sup3rS3cretSmtp!",
  "billing2019",
  "etl-pass-2024",
  "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
  "bm90LWEtcmVhbC1wYXNzd29yZA==",
  "c3VwZXItc2VjcmV0LXZhbHVl",
];

interface Report {
  schemaVersion: string;
  inventory: { objects: number; namespaces: number; workloads: number; files: number };
  summary: {
    active: number;
    suppressed: number;
    bySeverity: Record<string, number>;
    byTeam: Record<string, unknown>;
    notEvaluated: number;
  };
  findings: {
    id: string;
    ruleId: string;
    severity: string;
    resource: { kind: string; namespace?: string; name: string };
    location?: { file: string; line: number; column: number };
    suppressed?: { exceptionId: string };
    team?: string;
    compliance: { framework: string }[];
    evidence?: string;
  }[];
  coverage: { reason: string; message: string; location?: { file: string; line: number } }[];
  exceptions: { unused: { id: string }[]; matched: Record<string, number> };
}

describe("palisade scan", () => {
  it("reports a privileged container with file:line:column, team and redacted evidence", async () => {
    const r = await runCli(["scan", `${FX}/app.yaml`, "-o", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.schemaVersion).toBe("palisade.dev/scan-report/v1");
    expect(report.inventory).toMatchObject({ objects: 3, namespaces: 1, workloads: 1, files: 1 });
    const privileged = report.findings.find((f) => f.ruleId === "PAL-POD-001");
    expect(privileged).toMatchObject({
      severity: "high",
      team: "storefront",
      location: { file: `${FX}/app.yaml`, line: 25, column: 13 },
      evidence: "true",
    });
    const aws = report.findings.find((f) => f.evidence?.startsWith("AWS_ACCESS_KEY_ID="));
    expect(aws?.evidence).toBe("AWS_ACCESS_KEY_ID=AKIA****(redacted, 20 chars)");
  });

  it("gives byte-identical JSON and SARIF for the same input", async () => {
    for (const o of ["json", "sarif"]) {
      const a = await runCli(["scan", `${DEMO}/manifests`, "--owners", `${DEMO}/owners.yaml`, "-o", o]);
      const b = await runCli(["scan", `${DEMO}/manifests`, "--owners", `${DEMO}/owners.yaml`, "-o", o]);
      expect(a.code).toBe(0);
      expect(a.stdout.length).toBeGreaterThan(1000);
      expect(a.stdout).toBe(b.stdout);
    }
  });

  it("never prints a secret value, in any format", async () => {
    for (const o of ["json", "sarif", "junit", "table"]) {
      // leaky.json is not JSON and starts with a key: V8's parse error would quote it.
      const r = await runCli(["scan", `${DEMO}/manifests`, `${FX}/app.yaml`, `${FX}/leaky.json`, "-o", o]);
      expect(r.stdout).toContain("leaky.json");
      for (const v of SECRET_VALUES) {
        expect(r.stdout, `${o} leaks ${v}`).not.toContain(v);
        expect(r.stderr, `${o} leaks ${v}`).not.toContain(v);
      }
    }
  });

  it("exits 1 when a finding is at or above --fail-on, 0 when not", async () => {
    expect((await runCli(["scan", `${FX}/app.yaml`, "--fail-on", "high", "-o", "json"])).code).toBe(1);
    expect((await runCli(["scan", `${FX}/hardened.yaml`, "--fail-on", "high", "-o", "json"])).code).toBe(0);
  });

  it("offers --framework as core/scan's frameworks", () => {
    expect(SCAN_FRAMEWORKS).toEqual(FRAMEWORKS);
  });

  it("exits 2 on usage and input errors with a message naming the problem", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["scan", `${FX}/app.yaml`, "-o", "xml"],
        /argument 'xml' is invalid\. Allowed choices are table, json, sarif, junit\./,
      ],
      [["scan", `${FX}/app.yaml`, "--fail-on", "severe"], /unknown severity "severe"/],
      [
        ["scan", `${FX}/app.yaml`, "--framework", "iso"],
        /argument 'iso' is invalid\. Allowed choices are nsa, cis, pss-baseline, pss-restricted\./,
      ],
      [["scan"], /no input/],
      [["scan", `${FX}/does-not-exist.yaml`], /does-not-exist\.yaml/],
    ];
    for (const [argv, msg] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  it("keeps going past a malformed document: a coverage entry names file and line, the rest is scanned", async () => {
    const r = await runCli(["scan", `${FX}/broken.yaml`, `${FX}/app.yaml`, "-o", "json"]);
    // Incomplete (one document not evaluated): exit 2 and the report says so; --allow-partial accepts it.
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("palisade: incomplete: 1 input not evaluated");
    expect((await runCli(["scan", `${FX}/broken.yaml`, `${FX}/app.yaml`, "--allow-partial"])).code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.summary.notEvaluated).toBe(1);
    const parse = report.coverage.filter((c) => c.reason === "parse-error");
    expect(parse).toHaveLength(1);
    expect(parse[0]?.location?.file).toBe(`${FX}/broken.yaml`);
    expect(parse[0]?.location?.line).toBeGreaterThanOrEqual(12);
    // ok-before, ok-after, and the three objects of app.yaml.
    expect(report.inventory.objects).toBe(5);
    expect(report.findings.some((f) => f.ruleId === "PAL-POD-001")).toBe(true);
  });

  it("reads manifests from stdin", async () => {
    const yaml =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  hostPID: true\n  containers: [{name: c, image: busybox:1.36}]\n";
    const r = await runCli(["scan", "-", "-o", "json"], { stdin: yaml });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.find((f) => f.ruleId === "PAL-POD-002")?.location).toEqual({
      file: "-",
      line: 5,
      column: 3,
    });
  });

  it("applies exceptions: suppressed findings stay listed, expired ones are reported, unused ones audited", async () => {
    const r = await runCli(["scan", `${FX}/app.yaml`, "--exceptions", `${FX}/exceptions.yaml`, "-o", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const priv = report.findings.find((f) => f.ruleId === "PAL-POD-001");
    expect(priv?.suppressed?.exceptionId).toBe("web-needs-privileged");
    expect(report.summary.suppressed).toBe(1);
    expect(report.findings.filter((f) => f.ruleId === "PAL-EXC-001").map((f) => f.location?.line)).toEqual([
      9,
    ]);
    // The expired image waiver suppresses nothing.
    expect(report.findings.filter((f) => f.ruleId.startsWith("PAL-IMG-") && f.suppressed)).toEqual([]);
    expect(report.exceptions.unused.map((e) => e.id)).toEqual(["never-matches"]);
    expect(report.exceptions.matched).toEqual({
      "web-needs-privileged": 1,
      "old-waiver": 0,
      "never-matches": 0,
    });
  });

  it("--framework keeps only findings mapped to that framework; pss-* evaluates PSS exactly", async () => {
    const cis = JSON.parse(
      (await runCli(["scan", `${FX}/app.yaml`, "--framework", "cis", "-o", "json"])).stdout,
    ) as Report;
    expect(cis.findings.length).toBeGreaterThan(0);
    expect(cis.findings.every((f) => f.compliance.some((c) => c.framework === "cis"))).toBe(true);
    const pss = JSON.parse(
      (await runCli(["scan", `${FX}/app.yaml`, "--framework", "pss-baseline", "-o", "json"])).stdout,
    ) as Report;
    expect(pss.findings.map((f) => f.ruleId)).toEqual(["PSS-privileged"]);
  });

  it("SARIF 2.1.0 points results at file:line and JUnit has one failing case per active finding", async () => {
    const json = JSON.parse((await runCli(["scan", `${FX}/app.yaml`, "-o", "json"])).stdout) as Report;
    const sarif = JSON.parse((await runCli(["scan", `${FX}/app.yaml`, "-o", "sarif"])).stdout);
    expect(sarif.version).toBe("2.1.0");
    const run = sarif.runs[0];
    expect(run.results).toHaveLength(json.findings.length);
    const rules = run.tool.driver.rules as { id: string }[];
    for (const res of run.results) expect(rules[res.ruleIndex]?.id).toBe(res.ruleId);
    const priv = run.results.find((x: { ruleId: string }) => x.ruleId === "PAL-POD-001");
    expect(priv.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: `${FX}/app.yaml` },
      region: { startLine: 25, startColumn: 13 },
    });
    const junit = (await runCli(["scan", `${FX}/app.yaml`, "-o", "junit"])).stdout;
    expect(junit.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect((junit.match(/<failure /g) ?? []).length).toBe(json.summary.active);
  });

  it("the table groups by team and shows the summary", async () => {
    const r = await runCli(["scan", `${FX}/app.yaml`]);
    expect(r.stdout).toContain("Team storefront");
    expect(r.stdout).toMatch(/Summary: \d+ findings/);
    expect(r.stdout).not.toContain("\x1b["); // no colour when not a TTY
  });

  it("--severity and --include/--exclude-namespaces filter the report, not the exception audit", async () => {
    const base = ["scan", `${DEMO}/manifests`, "--exceptions", `${DEMO}/exceptions.yaml`, "-o", "json"];
    const all = JSON.parse((await runCli(base)).stdout) as Report;
    const high = JSON.parse((await runCli([...base, "--severity", "critical, high"])).stdout) as Report;
    expect(high.findings.length).toBeGreaterThan(0);
    expect(high.findings.every((f) => f.severity === "critical" || f.severity === "high")).toBe(true);
    expect(high.findings.length).toBe(
      all.findings.filter((f) => f.severity === "critical" || f.severity === "high").length,
    );
    // The node-agent exception matches only medium/high/low host findings; filtering must not make it "unused".
    expect(high.exceptions).toEqual(all.exceptions);

    const nsOf = (r: Report) => new Set(r.findings.map((f) => f.resource.namespace ?? "(cluster)"));
    const only = JSON.parse((await runCli([...base, "--include-namespaces", "payments*"])).stdout) as Report;
    expect([...nsOf(only)].sort()).toEqual(["(cluster)", "payments", "payments-staging"]);
    const without = JSON.parse(
      (await runCli([...base, "--exclude-namespaces", "payments*,kube-*"])).stdout,
    ) as Report;
    expect([...nsOf(without)].some((n) => n.startsWith("payments") || n.startsWith("kube-"))).toBe(false);
    expect(nsOf(without).has("checkout")).toBe(true);

    const bad = await runCli([...base, "--severity", "urgent"]);
    expect([bad.code, bad.stderr]).toEqual([2, 'palisade: unknown severity "urgent" for --severity\n']);
  });
});

describe("palisade scan: nothing evaluated is never an all-clear", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-scan-empty-"));
  mkdirSync(join(dir, "empty"));
  mkdirSync(join(dir, "values"));
  writeFileSync(join(dir, "values", "values.yaml"), "replicaCount: 2\nimage: {repository: nginx}\n");
  writeFileSync(join(dir, "broken.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n");
  it.each([
    ["an empty directory", "empty", "no Kubernetes object read (0 files read)"],
    [
      "a directory with no Kubernetes object",
      "values",
      "no Kubernetes object read (1 file read, 1 not evaluated",
    ],
    ["a lone unparseable manifest", "broken.yaml", "no Kubernetes object read (1 file read, 1 not evaluated"],
  ])("%s: exit 2 naming what was read, no report", async (_name, input, said) => {
    for (const output of ["table", "json", "sarif", "junit"]) {
      const r = await runCli(["scan", input, "-o", output], { cwd: dir });
      expect(r.code).toBe(2);
      // No table that reads "0 findings"; machine formats keep the report, whose inventory counts 0 objects.
      if (output === "table") expect(r.stdout).toBe("");
      if (output === "json") expect(JSON.parse(r.stdout).inventory.objects).toBe(0);
      expect(r.stderr).toContain(`palisade: nothing evaluated: ${said}`);
      expect(r.stderr.trimEnd().endsWith(`from ${input}`)).toBe(true);
    }
  });
});
