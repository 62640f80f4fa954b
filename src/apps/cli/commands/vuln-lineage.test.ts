import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const DEMO = "examples/demo";
const dir = mkdtempSync(join(tmpdir(), "palisade-lineage-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DB = join(dir, "palisade.db");

const cli = (argv: string[], now = "2025-03-01T00:00:00Z") =>
  runCli(argv, { env: { PALISADE_DB: DB }, now: new Date(now) });

/** dir ref digest, one line per demo image (written by scripts/gen-demo-images.ts). */
const REFS = readFileSync(join(DEMO, "images", "refs.txt"), "utf8")
  .trim()
  .split("\n")
  .map((l) => l.split(" ") as [string, string, string]);
const digestOf = (ref: string) => REFS.find((r) => r[1] === ref)?.[2] as string;

describe("palisade images and vuln impact|plan|status on the demo", () => {
  it("vuln impact without a vulnerability database is exit 2 saying so, not an empty answer", async () => {
    const r = await cli([
      "vuln",
      "impact",
      "CVE-2024-0001",
      "--snapshot",
      join(DEMO, "snapshots", "before.json"),
      "--db",
      join(dir, "none.db"),
    ]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      "",
      `palisade: no vulnerability advisories in ${join(dir, "none.db")}: cannot tell which images carry CVE-2024-0001; import OSV advisories with \`palisade vuln db import PATH...\`\n`,
    ]);
  });

  it("imports advisories and adds the demo images", async () => {
    expect((await cli(["vuln", "db", "import", join(DEMO, "advisories")])).code).toBe(0);
    for (const [d, ref] of REFS) {
      const r = await cli(["images", "add", `oci:${join(DEMO, "images", d)}`, "--ref", ref]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
    }
  });

  it("prints the tree with vulnerability counts per node", async () => {
    const r = await cli(["images", "tree", "-o", "json"]);
    const doc = JSON.parse(r.stdout) as {
      nodes: { image: string; parent?: string; depth: number; vulnerabilities: unknown }[];
    };
    const byImage = new Map(doc.nodes.map((n) => [n.image, n]));
    expect(doc.nodes.map((n) => [n.image, n.depth, n.vulnerabilities])).toEqual([
      ["docker.io/library/debian:12", 0, { total: 1, bySeverity: { low: 1 }, fixHere: 1 }],
      [
        "registry.example/company/base-runtime:1.4",
        1,
        { total: 2, bySeverity: { critical: 1, low: 1 }, fixHere: 1 },
      ],
      [
        "registry.example/team-a/checkout:2.0",
        2,
        { total: 3, bySeverity: { critical: 1, high: 1, low: 1 }, fixHere: 1 },
      ],
      [
        "registry.example/team-b/search:1.0",
        2,
        { total: 2, bySeverity: { critical: 1, low: 1 }, fixHere: 0 },
      ],
      ["registry.example/company/base-runtime:1.5", 1, { total: 1, bySeverity: { low: 1 }, fixHere: 0 }],
      ["registry.example/team-a/checkout:2.1", 2, { total: 2, bySeverity: { high: 1, low: 1 }, fixHere: 1 }],
      ["registry.example/team-b/search:1.1", 2, { total: 1, bySeverity: { low: 1 }, fixHere: 0 }],
    ]);
    expect(byImage.get("registry.example/team-a/checkout:2.0")?.parent).toBe(
      digestOf("registry.example/company/base-runtime:1.4"),
    );
    const dot = await cli(["images", "tree", "-o", "dot"]);
    expect(dot.stdout.split("\n").filter((l) => l.includes("->")).length).toBe(6);
  });

  it("answers impact by CVE id with workloads, teams and the base to fix", async () => {
    const r = await cli([
      "vuln",
      "impact",
      "CVE-2099-0001",
      "--snapshot",
      join(DEMO, "snapshots", "before.json"),
      "-o",
      "json",
    ]);
    const a = JSON.parse(r.stdout);
    expect([
      r.code,
      a.vulnerabilityId,
      a.totals,
      a.teams,
      [...new Set(a.fixAt.map((f: { image: string }) => f.image))],
    ]).toEqual([
      0,
      "CVE-2099-0001",
      { images: 3, workloads: 2, replicas: 5, namespaces: 2, clusters: 0, teams: 2 },
      ["team-a", "team-b"],
      ["registry.example/company/base-runtime:1.4"],
    ]);
  });

  it("plans the base-image fix first, as one source-package bump with upgrade advice", async () => {
    const r = await cli(["vuln", "plan", "--snapshot", join(DEMO, "snapshots", "before.json"), "-o", "json"]);
    const p = JSON.parse(r.stdout);
    expect([p.items[0].action, p.items[0].upgrade.message]).toEqual([
      "bump openssl (libssl3, openssl) to >= 3.0.13-1~deb12u1 in image registry.example/company/base-runtime:1.4; rebuild children registry.example/team-a/checkout:2.0, registry.example/team-b/search:1.0",
      "move FROM registry.example/company/base-runtime:1.4 to registry.example/company/base-runtime:1.5: clears 1 of 2 vulnerabilities in 3 images / 2 workloads / 2 teams",
    ]);
  });

  it("a remediation record closes by itself when the second snapshot shows the fixed digest running", async () => {
    const before = await cli(
      ["vuln", "status", "--snapshot", join(DEMO, "snapshots", "before.json"), "-o", "json"],
      "2025-03-01T09:00:00Z",
    );
    const after = await cli(
      ["vuln", "status", "--snapshot", join(DEMO, "snapshots", "after.json"), "-o", "json"],
      "2025-03-04T17:30:00Z",
    );
    const pick = (out: string) =>
      (
        JSON.parse(out).records as {
          vulnerabilityId: string;
          state: string;
          closedAt?: string;
          timeToFixSeconds?: number;
        }[]
      ).map((r) => [r.vulnerabilityId, r.state, r.closedAt, r.timeToFixSeconds]);
    expect(pick(before.stdout)).toEqual([
      ["CVE-2099-0001", "patched-image", undefined, undefined],
      ["CVE-2099-0002", "fix-available", undefined, undefined],
      ["CVE-2099-0003", "open", undefined, undefined],
    ]);
    expect(pick(after.stdout)).toEqual([
      ["CVE-2099-0001", "closed", "2025-03-04T17:30:00.000Z", 289800],
      ["CVE-2099-0002", "fix-available", undefined, undefined],
      ["CVE-2099-0003", "open", undefined, undefined],
    ]);
    const table = await cli(["vuln", "status"]);
    // FIX IN is where the fix is made; FIXED IMAGE is the image that carries it (it showed the vulnerable one).
    const lines = table.stdout.split("\n");
    expect(lines[0]?.split(/\s{2,}/)).toEqual([
      "STATE",
      "VULNERABILITY",
      "FIX IN",
      "FIXED IMAGE",
      "REPLICAS FIXED",
      "OPENED / CLOSED",
    ]);
    expect(lines[1]?.split(/\s{2,}/).slice(0, 5)).toEqual([
      "closed",
      "CVE-2099-0001",
      "registry.example/company/base-runtime:1.4",
      "registry.example/company/base-runtime:1.5",
      "5/5",
    ]);
    expect(lines[3]?.split(/\s{2,}/).slice(0, 4)).toEqual([
      "open",
      "CVE-2099-0003",
      "docker.io/library/debian:12",
      "-",
    ]);
    expect(table.stdout).toContain("time to fix 3d 8h 30m");
  });

  it("tables: singular counts, the advisory asked for first, exposed explained, base images only, team counts = fixes listed", async () => {
    const snap = ["--snapshot", join(DEMO, "snapshots", "before.json")];
    const byAlias = await cli(["vuln", "impact", "DEBIAN-CVE-2099-0001", ...snap]);
    const lines = byAlias.stdout.split("\n");
    expect(lines[0]).toBe("DEBIAN-CVE-2099-0001 (CVE-2099-0001)  severity critical");
    expect((await cli(["vuln", "impact", "CVE-2099-0001", ...snap])).stdout.split("\n")[0]).toBe(
      "CVE-2099-0001 (DEBIAN-CVE-2099-0001)  severity critical",
    );
    expect(lines).toContain("  registry.example/team-a/checkout:2.0  1 workload, 3 replicas");
    expect(lines).toContain("  registry.example/company/base-runtime:1.4  0 workloads, 0 replicas");
    expect(lines.at(-2)).toMatch(/^exposed: reachable from outside the cluster/);
    const plan = (await cli(["vuln", "plan", ...snap])).stdout;
    expect(plan).not.toMatch(/\b1 (images|workloads|fixes|teams)\b/);
    expect(plan).toContain("; 1 image, 1 workload (1 exposed), team team-a");
    // Every count under BY TEAM and BY BASE IMAGE equals the fixes listed under it.
    const section = (name: string) =>
      plan.split(`\n\n${name}`)[1]?.split("\n\n")[0]?.split("\n").slice(1) ?? [];
    for (const name of ["BY TEAM", "BY BASE IMAGE"]) {
      const rows = section(name);
      expect(rows.length).toBeGreaterThan(0);
      let expected = 0;
      let listed = 0;
      for (const row of rows) {
        const head = /^ {2}\S.*: (\d+) fix(es)?$/.exec(row);
        if (head) {
          expect(listed).toBe(expected);
          expected = Number(head[1]);
          listed = 0;
        } else listed++;
      }
      expect(listed).toBe(expected);
    }
    // Base images only: the application images checkout:2.0 and 2.1 are not bases of anything.
    expect(section("BY BASE IMAGE").filter((r) => /^ {2}\S/.test(r))).toEqual([
      "  docker.io/library/debian:12: 1 fix",
      "  registry.example/company/base-runtime:1.4: 1 fix",
    ]);
    expect(plan.trimEnd().split("\n").at(-1)).toMatch(/^exposed: /);
  });

  it("bad input: unknown output format and --ref with several images are usage errors", async () => {
    expect((await cli(["images", "tree", "-o", "xml"])).code).toBe(2);
    expect((await cli(["images", "add", "a", "b", "--ref", "x/y:1"])).code).toBe(2);
    expect((await cli(["vuln", "status", "--at", "yesterday"])).code).toBe(2);
  });
});
