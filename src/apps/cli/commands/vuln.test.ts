import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";
import { toCycloneDx } from "../../../core/sbom/index.js";
import { APP_SBOM } from "../../../core/vuln/__fixtures__/app-sbom.js";

const OSV = resolve("src/core/vuln/__fixtures__/osv");
const tmp = mkdtempSync(join(tmpdir(), "palisade-vuln-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NOW = new Date("2024-06-01T00:00:00Z");

const cli = (argv: string[], env: Record<string, string> = {}) => runCli(argv, { env, cwd: tmp, now: NOW });

const sbom = APP_SBOM;
const sbomFile = join(tmp, "app.cdx.json");
writeFileSync(sbomFile, JSON.stringify(toCycloneDx(sbom, { now: NOW })));

describe("palisade vuln", () => {
  it("db import reads a directory tree and a zip, then db status reports it", async () => {
    const zip = join(tmp, "npm.zip");
    execFileSync("zip", ["-q", "-j", zip, join(OSV, "npm", "GHSA-c2qf-rxjj-qqgw.json")]);
    const imp = await cli(["vuln", "db", "import", OSV, zip, "--db", "db1.sqlite"]);
    // One fixture record is dated after the test clock: imported, and the import says it does not count for
    // freshness (issue 9 item 25).
    expect([imp.code, imp.stderr]).toEqual([
      0,
      "palisade: note: 2 record(s) have a modified time after the import time (e.g. GHSA-c2qf-rxjj-qqgw: 2024-06-21T21:33:53Z): imported, but not counted for the database's freshness\n",
    ]);
    expect(imp.stdout).toMatch(
      /^imported 13 records from 13 files in \d+ ms: 13 written, 0 unchanged, 0 problems\n$/,
    );
    const st = await cli(["vuln", "db", "status", "-o", "json", "--db", "db1.sqlite"]);
    expect([st.code, JSON.parse(st.stdout)]).toEqual([
      0,
      {
        path: join(tmp, "db1.sqlite"),
        advisories: 12,
        packages: 10,
        byEcosystem: { Alpine: 1, Debian: 3, Go: 1, Maven: 1, "OSS-Fuzz": 1, PyPI: 2, Ubuntu: 1, npm: 2 },
        importedAt: NOW.toISOString(),
        importState: "complete",
        futureModified: 1,
        newestModified: "2024-05-20T00:00:00Z",
        ageDays: 12,
        stale: true,
      },
    ]);
  });

  it("scan --sbom finds vulnerabilities, --fail-on sets exit 1, --vex suppresses", async () => {
    await cli(["vuln", "db", "import", OSV], { PALISADE_DB: "db2.sqlite" });
    const plain = await cli(["vuln", "scan", "--sbom", sbomFile, "-o", "json", "--fail-on", "high"], {
      PALISADE_DB: "db2.sqlite",
    });
    const report = JSON.parse(plain.stdout);
    expect([
      plain.code,
      report.summary,
      report.findings.map((f: { vulnerabilityId: string }) => f.vulnerabilityId),
    ]).toEqual([
      1,
      {
        active: 2,
        suppressed: 0,
        fixable: 2,
        bySeverity: { critical: 0, high: 2, medium: 0, low: 0, info: 0 },
      },
      ["CVE-2023-5363", "CVE-2022-25883"],
    ]);
    const vex = join(tmp, "vex.json");
    writeFileSync(
      vex,
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        statements: [
          {
            vulnerability: { name: "GHSA-c2qf-rxjj-qqgw" },
            status: "not_affected",
            justification: "vulnerable_code_not_in_execute_path",
          },
        ],
      }),
    );
    const withVex = await cli(
      ["vuln", "scan", "--sbom", sbomFile, "--vex", vex, "-o", "table", "--fail-on", "critical"],
      { PALISADE_DB: "db2.sqlite" },
    );
    expect(withVex.code).toBe(0);
    expect(withVex.stdout.split("\n").slice(0, 2)).toEqual([
      "Palisade vulnerability scan: app:1 (debian 12), 2 packages",
      "1 vulnerabilities (critical 0, high 1, medium 0, low 0, info 0), 1 fixable, 1 suppressed",
    ]);
    expect(withVex.stdout).toContain("suppressed (vex: not_affected: vulnerable_code_not_in_execute_path)");
  });

  it("sarif, cyclonedx and openvex outputs are deterministic", async () => {
    await cli(["vuln", "db", "import", OSV, "--db", "db3.sqlite"]);
    for (const o of ["sarif", "cyclonedx", "openvex"]) {
      const a = await cli(["vuln", "scan", "--sbom", sbomFile, "-o", o, "--db", "db3.sqlite"]);
      const b = await cli(["vuln", "scan", "--sbom", sbomFile, "-o", o, "--db", "db3.sqlite"]);
      expect([a.code, a.stdout.length > 100, a.stdout]).toEqual([0, true, b.stdout]);
    }
    const cdx = JSON.parse(
      (await cli(["vuln", "scan", "--sbom", sbomFile, "-o", "cyclonedx", "--db", "db3.sqlite"])).stdout,
    );
    expect(cdx.vulnerabilities.map((v: { id: string; affects: unknown }) => [v.id, v.affects])).toEqual([
      ["CVE-2022-25883", [{ ref: "pkg:npm/semver@7.5.1" }]],
      ["CVE-2023-5363", [{ ref: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1" }]],
    ]);
  });

  it("sbom DIR writes CycloneDX and SPDX for a directory", async () => {
    const dir = join(tmp, "srcdir");
    // A source tree: its lockfile is read, its node_modules (installed copies) is not.
    mkdirSync(join(dir, "node_modules", "semver"), { recursive: true });
    writeFileSync(
      join(dir, "node_modules", "semver", "package.json"),
      JSON.stringify({ name: "semver", version: "7.5.2" }),
    );
    writeFileSync(
      join(dir, "package-lock.json"),
      JSON.stringify({
        lockfileVersion: 3,
        packages: { "": {}, "node_modules/semver": { version: "7.5.1" } },
      }),
    );
    const cdx = await cli(["sbom", dir, "-o", "cyclonedx"]);
    const spdx = await cli(["sbom", dir, "-o", "spdx"]);
    expect([
      cdx.code,
      JSON.parse(cdx.stdout).bomFormat,
      spdx.code,
      JSON.parse(spdx.stdout).spdxVersion,
    ]).toEqual([0, "CycloneDX", 0, "SPDX-2.3"]);
    const own = await cli(["sbom", dir, "-o", "json"]);
    expect(own.code).toBe(0);
    const sbom = JSON.parse(own.stdout);
    expect(sbom.subject).toEqual({ kind: "directory", name: dir });
    expect(sbom.packages.map((p: { purl: string }) => p.purl)).toEqual(["pkg:npm/semver@7.5.1"]);
  });
});

describe("pathological cases", () => {
  it("exit 2 with a clear message for usage and input errors", async () => {
    const noDb = await cli(["vuln", "scan", "--sbom", sbomFile, "--db", "missing.sqlite"]);
    const badOut = await cli(["vuln", "scan", "--sbom", sbomFile, "-o", "xml"]);
    const badSeverity = await cli([
      "vuln",
      "scan",
      "--sbom",
      sbomFile,
      "--fail-on",
      "urgent",
      "--db",
      "db2.sqlite",
    ]);
    writeFileSync(join(tmp, "bad.json"), '{"bomFormat":"CycloneDX","components":[{"__proto__":{}}]}');
    await cli(["vuln", "db", "import", OSV, "--db", "db4.sqlite"]);
    const hostile = await cli(["vuln", "scan", "--sbom", "bad.json", "--db", "db4.sqlite"]);
    const nothing = await cli(["vuln", "db", "import", join(tmp, "does-not-exist"), "--db", "db5.sqlite"]);
    expect([noDb.code, badOut.code, badSeverity.code, hostile.code, nothing.code]).toEqual([2, 2, 2, 2, 2]);
    expect(noDb.stderr).toContain("no vulnerability database at");
    expect(hostile.stderr).toContain("forbidden key __proto__");
  });

  it("a postgres:// database for the known-images commands is a server to reach, not a path", async () => {
    // Nothing listens on port 1: the commands try the server and fail with an IO error naming the URL without
    // its password (the PostgreSQL backend itself is tested in test/integration/stores-postgres.test.ts).
    const env = { PALISADE_DB: "postgres://u:hunter2@127.0.0.1:1/test" };
    const list = await cli(["images", "list"], env);
    const status = await cli(["vuln", "status"], env);
    expect([list.code, status.code, existsSync(join(tmp, "postgres:"))]).toEqual([2, 2, false]);
    expect(list.stderr).toContain("127.0.0.1:1");
    expect(list.stderr + status.stderr).not.toContain("hunter2");
  });

  it("malformed records and unsafe zip entries are reported; the rest imports", async () => {
    const dir = join(tmp, "mixed");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "ok.json"),
      JSON.stringify({
        id: "OK-1",
        modified: "2024-01-01T00:00:00Z",
        affected: [{ package: { ecosystem: "npm", name: "a" }, versions: ["1.0.0"] }],
      }),
    );
    writeFileSync(join(dir, "broken.json"), "{ not json");
    writeFileSync(
      join(dir, "bad-event.json"),
      JSON.stringify({
        id: "BAD-1",
        modified: "m",
        affected: [
          {
            package: { ecosystem: "npm", name: "a" },
            ranges: [{ type: "SEMVER", events: [{ fixed: "1" }] }],
          },
        ],
      }),
    );
    // A zip whose entry name climbs out of the archive root, built with python's zipfile (zip(1) strips '..').
    const evil = join(tmp, "evil.zip");
    execFileSync("/usr/bin/python3", [
      "-c",
      `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w')\nz.writestr('../../etc/evil.json','{}')\nz.close()`,
      evil,
    ]);
    const r = await cli(["vuln", "db", "import", dir, evil, "--db", "db6.sqlite"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^imported 1 records from 3 files in \d+ ms: 1 written, 0 unchanged, 3 problems\n$/,
    );
    expect(
      r.stderr
        .split("\n")
        .filter(Boolean)
        .map((l) => l.replace(tmp, "TMP")),
    ).toEqual([
      "palisade: warning: invalid: TMP/mixed/bad-event.json: BAD-1: malformed OSV record: affected[0].ranges[0].events: at least one introduced event is required",
      expect.stringMatching(/^palisade: warning: parse-error: TMP\/mixed\/broken.json: invalid JSON: /),
      "palisade: warning: unsafe: TMP/evil.zip!../../etc/evil.json: zip entry name escapes the archive root; skipped",
    ]);
  });
});
