import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

/**
 * The directory a new user tries first: a PHP app (composer.lock) and a Ruby app (Gemfile.lock) side by side, a
 * web front end with both package-lock.json and yarn.lock, and the CycloneDX SBOM syft wrote for the Alpine base
 * image. osv-scanner reports 6 advisories for it: one per lockfile and two for the Alpine packages (matched by
 * the release in their purls' distro qualifier, through their source package). The database also holds
 * advisories that must not match (fixed before the locked version, or for another Alpine release).
 */
const FIXTURE = resolve("test/inputs/__fixtures__/mixed-repo");
const NOW = new Date("2024-06-01T00:00:00Z");
const tmp = mkdtempSync(join(tmpdir(), "palisade-mixed-"));
const repo = join(tmp, "repo");
const env = { PALISADE_DB: join(tmp, "osv.sqlite") };
const cli = (argv: string[]) => runCli(argv, { env, cwd: tmp, now: NOW });

beforeAll(async () => {
  cpSync(FIXTURE, repo, { recursive: true, filter: (src) => !src.includes("/osv") });
  const imp = await cli(["vuln", "db", "import", join(FIXTURE, "osv")]);
  expect(imp.code).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("composer.lock, Gemfile.lock, package-lock.json, yarn.lock and an Alpine CycloneDX SBOM in one directory", () => {
  it("gives the 6 advisories osv-scanner reports, each at its file (and line for lockfiles)", async () => {
    const r = await cli(["vuln", "scan", repo, "-o", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(
      report.findings.map(
        (f: {
          vulnerabilityId: string;
          aliases: string[];
          package: { ecosystem: string; purl: string };
          fixedVersions: string[];
          location?: { file: string; line: number };
        }) =>
          `${[f.vulnerabilityId, ...f.aliases].join(",")} ${f.package.ecosystem} ${f.package.purl} fixed=${f.fixedVersions.join("|")} ${f.location ? `${f.location.file}:${f.location.line}` : "-"}`,
      ),
    ).toEqual([
      "CVE-2023-42363,ALPINE-CVE-2023-42363 Alpine pkg:apk/alpine/busybox@1.36.0-r9?arch=x86_64&upstream=busybox&distro=alpine-3.18.2 fixed=1.36.1-r6 -",
      "CVE-2022-31090,GHSA-25mq-v84q-4j7r Packagist pkg:composer/guzzlehttp/guzzle@7.4.4 fixed=7.4.5 app/composer.lock:10",
      "CVE-2023-2650,ALPINE-CVE-2023-2650 Alpine pkg:apk/alpine/libssl3@3.1.0-r4?arch=x86_64&upstream=openssl&distro=alpine-3.18.2 fixed=3.1.1-r0 -",
      "CVE-2021-23337,GHSA-35jh-r3h4-6jhm npm pkg:npm/lodash@4.17.20 fixed=4.17.21 web/yarn.lock:10",
      "CVE-2022-30123,GHSA-wq4h-7r42-5hrr RubyGems pkg:gem/rack@2.2.3 fixed=2.2.3.1 app/Gemfile.lock:6",
      "CVE-2022-25883,GHSA-c2qf-rxjj-qqgw npm pkg:npm/semver@7.5.1 fixed=7.5.2 web/package-lock.json:14",
    ]);
    expect(new Set(report.findings.map((f: { vulnerabilityId: string }) => f.vulnerabilityId)).size).toBe(6);
    // Every package of the five files is there, so a "no finding" for the others is a real negative; the SBOM's
    // packages are located at the document (it gives no lines).
    expect(report.packages).toBe(2 + 6 + 3 + 3 + 3);
    expect(report.files.map((f: { file: string }) => f.file)).toEqual([
      "app/Gemfile.lock",
      "app/composer.lock",
      "web/package-lock.json",
      "web/yarn.lock",
    ]);
  });
});
