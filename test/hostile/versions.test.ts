import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHostile } from "./harness.js";

/**
 * Issue: hardening, items 8 (quadratic glob matching) and 11 (recursion over attacker-sized input: a Maven
 * range bound of "1a" x 4000). Each case runs the real CLI in a child and asserts: exit code <= 2, no kill,
 * generous memory and time ceilings (the machine is shared), the clear message, and that what was accepted
 * before (findings, matches) is intact.
 */

let dir: string;

/** A 50 KB namespace name: the name length the reproduction used. */
const LONG_NS = "a".repeat(50_000);
/** The pattern: `*a{25000}b`. */
const HOSTILE_GLOB = `*${"a".repeat(25_000)}b`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "palisade-hostile-versions-"));
  // A privileged pod in the 50 KB namespace: findings every scan reports.
  writeFileSync(
    join(dir, "pod.json"),
    JSON.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "victim", namespace: LONG_NS },
      spec: { containers: [{ name: "c", image: "nginx:1.25", securityContext: { privileged: true } }] },
    }),
  );
  writeFileSync(
    join(dir, "exceptions.json"),
    JSON.stringify({
      exceptions: [
        // The pattern: refused at load with a clear reason (it took ~16 s per match, per finding).
        { id: "hostile", namespaces: [HOSTILE_GLOB], reason: "hostile glob" },
        // At the cap: accepted, matched in linear time against the 50 KB name, matches nothing.
        { id: "near-cap", namespaces: [`*${"a".repeat(1022)}b`], reason: "long but legal" },
      ],
    }),
  );
  writeFileSync(join(dir, "owners.yaml"), `namespaces:\n  - pattern: "${HOSTILE_GLOB}"\n    team: team-a\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  summary: { active: number; suppressed: number };
  findings: { ruleId: string; suppressed?: unknown }[];
  coverage: { reason: string; message: string; subject?: string }[];
  exceptions: { unused: { id: string }[] };
}

describe("glob patterns (item 8)", () => {
  it("an exceptions file with `*a{25000}b` against a 50 KB namespace: the pattern is refused, findings intact", async () => {
    const r = await runHostile(
      // --severity high keeps the report (which repeats the 50 KB name per finding) under the harness's 1 MiB.
      [
        "scan",
        join(dir, "pod.json"),
        "--exceptions",
        join(dir, "exceptions.json"),
        "--severity",
        "high",
        "-o",
        "json",
      ],
      { killAfterMs: 50_000 },
    );
    expect(r.killed).toBe(false);
    expect(r.code).not.toBeNull();
    expect(r.code!).toBeLessThanOrEqual(2);
    const report = JSON.parse(r.stdout) as Report;
    // Nothing suppressed by either exception, every finding still reported.
    expect(report.summary.suppressed).toBe(0);
    expect(report.summary.active).toBe(1);
    expect(report.findings.map((f) => f.ruleId)).toEqual(["PAL-POD-001"]);
    expect(
      report.coverage.some((c) => c.message.includes("pattern is 25002 characters long; the limit is 1024")),
    ).toBe(true);
    expect(report.exceptions.unused.map((e) => e.id)).toEqual(["near-cap"]);
    expect(r.wallMs).toBeLessThan(40_000);
    expect(r.maxRssMiB).toBeLessThan(600);
  });

  it("--include-namespaces `*a{25000}b`: exit 2 with the limit named, not a silent empty report", async () => {
    const r = await runHostile(["scan", join(dir, "pod.json"), "--include-namespaces", HOSTILE_GLOB], {
      killAfterMs: 50_000,
    });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pattern is 25002 characters long; the limit is 1024");
    // The 25 KB pattern itself is not echoed back.
    expect(r.stderr.length).toBeLessThan(1000);
    expect(r.wallMs).toBeLessThan(40_000);
  });

  it("an owners file with `*a{25000}b`: exit 2 naming the file and field", async () => {
    const r = await runHostile(["scan", join(dir, "pod.json"), "--owners", join(dir, "owners.yaml")], {
      killAfterMs: 50_000,
    });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("owners.yaml");
    expect(r.stderr).toContain("pattern is 25002 characters long; the limit is 1024");
    expect(r.stderr.length).toBeLessThan(2000);
  });
});

describe("versions without recursion (item 11)", () => {
  it('`versions compare -e Maven` on "1a" x 4000 answers (it overflowed the stack: exit 3)', async () => {
    const deep = "1a".repeat(4000);
    const r = await runHostile(["versions", "compare", "-e", "Maven"], {
      stdin: `${deep} ${"1a".repeat(3999)}1b\n${deep} ${deep}\n0.9 ${deep}\n`,
      killAfterMs: 50_000,
    });
    expect(r.killed).toBe(false);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: "<\n=\n<\n",
      stderr: "",
    });
    expect(r.maxRssMiB).toBeLessThan(600);
  });

  it('a vuln scan of a Maven package against an advisory whose fixed bound is "1a" x 4000 matches', async () => {
    const osvDir = join(dir, "osv");
    rmSync(osvDir, { recursive: true, force: true });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(osvDir);
    writeFileSync(
      join(osvDir, "GHSA-hstl-0000-0001.json"),
      JSON.stringify({
        schema_version: "1.6.0",
        id: "GHSA-hstl-0000-0001",
        modified: "2024-01-01T00:00:00Z",
        summary: "hostile range bound",
        affected: [
          {
            package: { ecosystem: "Maven", name: "org.example:lib" },
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1a".repeat(4000) }] }],
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, "sbom.json"),
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        version: 1,
        components: [
          {
            type: "library",
            group: "org.example",
            name: "lib",
            version: "0.9",
            purl: "pkg:maven/org.example/lib@0.9",
          },
        ],
      }),
    );
    const db = join(dir, "vuln.sqlite");
    const imp = await runHostile(["vuln", "db", "import", osvDir, "--db", db], { killAfterMs: 50_000 });
    expect({ code: imp.code, killed: imp.killed }).toEqual({ code: 0, killed: false });
    const r = await runHostile(["vuln", "scan", "--sbom", join(dir, "sbom.json"), "--db", db, "-o", "json"], {
      killAfterMs: 50_000,
    });
    expect(r.killed).toBe(false);
    expect(r.code).not.toBeNull();
    expect(r.code!).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toContain("Maximum call stack size exceeded");
    expect(r.stdout).toContain("GHSA-hstl-0000-0001");
    expect(r.maxRssMiB).toBeLessThan(800);
  });
});
