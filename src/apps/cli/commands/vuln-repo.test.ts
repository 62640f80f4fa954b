import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

/**
 * `palisade vuln scan DIR` on a source repository (CI usage): every supported lockfile found recursively, each
 * finding at the file and line of its package, node_modules/vendor/.git skipped and said, --fail-on gating.
 */
const OSV = resolve("src/apps/cli/commands/__fixtures__/repo-osv");
const SOURCE = resolve("src/core/catalog/__fixtures__/source");
const NOW = new Date("2024-06-01T00:00:00Z");
const tmp = mkdtempSync(join(tmpdir(), "palisade-vuln-repo-"));
const repo = join(tmp, "repo");
const env = { PALISADE_DB: join(tmp, "osv.sqlite") };
const cli = (argv: string[]) => runCli(argv, { env, cwd: tmp, now: NOW });

function write(rel: string, text: string): void {
  mkdirSync(dirname(join(repo, rel)), { recursive: true });
  writeFileSync(join(repo, rel), text);
}

beforeAll(async () => {
  cpSync(join(SOURCE, "python/poetry.lock"), join(repo, "services/api/poetry.lock"), { recursive: true });
  cpSync(join(SOURCE, "java/pom.xml"), join(repo, "services/orders/pom.xml"));
  cpSync(join(SOURCE, "java/gradle.lockfile"), join(repo, "services/billing/gradle.lockfile"));
  cpSync(join(SOURCE, "go/go.mod"), join(repo, "tools/shop/go.mod"));
  cpSync(join(SOURCE, "elixir/mix.lock"), join(repo, "apps/chat/mix.lock"));
  cpSync(join(SOURCE, "dart/pubspec.lock"), join(repo, "mobile/pubspec.lock"));
  write(
    "web/package-lock.json",
    `${JSON.stringify(
      {
        name: "web",
        lockfileVersion: 3,
        requires: true,
        packages: {
          "": { name: "web", dependencies: { semver: "^7.5.0" } },
          "node_modules/semver": {
            version: "7.5.1",
            resolved: "https://registry.npmjs.org/semver/-/semver-7.5.1.tgz",
            integrity:
              "sha512-Wvss5ivl8TMRZXXESstBA4uR5iXgEN/VC5/sOcuXdVLzcdkz4HWetIoRfG5gb5X+ij/G9rw9YoGn3QoQ8OCSpw==",
          },
        },
      },
      null,
      2,
    )}\n`,
  );
  // Installed and vendored copies, and VCS metadata: never read in a source tree.
  write("web/node_modules/semver/package.json", JSON.stringify({ name: "semver", version: "7.0.0" }));
  write("web/node_modules/.package-lock.json", "{}");
  write("tools/shop/vendor/modules.txt", "# github.com/gin-gonic/gin v1.9.0\n");
  write(
    "tools/shop/vendor/github.com/x/y/go.mod",
    "module github.com/x/y\nrequire golang.org/x/net v0.1.0\n",
  );
  write(".git/HEAD", "ref: refs/heads/main\n");
  write(".git/objects/pack/requirements.txt", "django==1.0\n");
  const imp = await cli(["vuln", "db", "import", OSV]);
  expect(imp.code).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("vuln scan DIR on a source repository", () => {
  it("finds every lockfile's vulnerable packages, each at its file and line; skipped folders are said", async () => {
    const r = await cli(["vuln", "scan", repo, "-o", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(
      report.findings.map(
        (f: {
          vulnerabilityId: string;
          package: { purl: string };
          location?: { file: string; line: number };
        }) => `${f.vulnerabilityId} ${f.package.purl} ${f.location?.file}:${f.location?.line}`,
      ),
    ).toEqual([
      "PUB-TEST-2024-0001 pkg:pub/async@2.11.0 mobile/pubspec.lock:4",
      "CVE-2023-36053 pkg:pypi/django@4.2.1 services/api/poetry.lock:14",
      "CVE-2023-29401 pkg:golang/github.com/gin-gonic/gin@v1.9.0 tools/shop/go.mod:8",
      "CVE-2021-44228 pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 services/billing/gradle.lockfile:7",
      "CVE-2021-44228 pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 services/orders/pom.xml:39",
      "CVE-2021-46871 pkg:hex/plug@1.11.0 apps/chat/mix.lock:6",
      "CVE-2022-25883 pkg:npm/semver@7.5.1 web/package-lock.json:12",
    ]);
    // golang.org/x/net is replaced by v0.17.0 (fixed): not reported.
    expect(report.files).toEqual([
      { file: "apps/chat/mix.lock", packages: 5, vulnerabilities: 1 },
      { file: "mobile/pubspec.lock", packages: 3, vulnerabilities: 1 },
      { file: "services/api/poetry.lock", packages: 4, vulnerabilities: 1 },
      { file: "services/billing/gradle.lockfile", packages: 4, vulnerabilities: 1 },
      { file: "services/orders/pom.xml", packages: 6, vulnerabilities: 1 },
      { file: "tools/shop/go.mod", packages: 6, vulnerabilities: 1 },
      { file: "web/package-lock.json", packages: 1, vulnerabilities: 1 },
    ]);
    expect(
      report.coverage
        .filter((c: { subject?: string }) => ["node_modules", "vendor", ".git"].includes(c.subject ?? ""))
        .map((c: { reason: string; message: string }) => `${c.reason}: ${c.message}`),
    ).toEqual([
      "not-evaluated: source tree: 1 .git directory not scanned (version control metadata): .git",
      "not-evaluated: source tree: 1 node_modules directory not scanned (installed copies of what package-lock.json and yarn.lock list): web/node_modules",
      "not-evaluated: source tree: 1 vendor directory not scanned (vendored copies of what composer.lock, go.mod and Gemfile.lock list): tools/shop/vendor",
    ]);
  });

  it("SARIF results point at the lockfile line of the vulnerable package", async () => {
    const r = await cli(["vuln", "scan", repo, "-o", "sarif"]);
    const sarif = JSON.parse(r.stdout);
    expect(
      sarif.runs[0].results.map(
        (x: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }) =>
          `${x.ruleId} ${x.locations[0]?.physicalLocation.artifactLocation.uri}:${x.locations[0]?.physicalLocation.region.startLine}`,
      ),
    ).toEqual([
      "PUB-TEST-2024-0001 mobile/pubspec.lock:4",
      "CVE-2023-36053 services/api/poetry.lock:14",
      "CVE-2023-29401 tools/shop/go.mod:8",
      "CVE-2021-44228 services/billing/gradle.lockfile:7",
      "CVE-2021-44228 services/orders/pom.xml:39",
      "CVE-2021-46871 apps/chat/mix.lock:6",
      "CVE-2022-25883 web/package-lock.json:12",
    ]);
  });

  it("--fail-on gates CI: exit 1 at or above the threshold, 0 below it", async () => {
    expect((await cli(["vuln", "scan", repo, "--fail-on", "critical", "-o", "json"])).code).toBe(1);
    const clean = join(tmp, "clean");
    mkdirSync(join(clean, "m"), { recursive: true });
    cpSync(join(SOURCE, "dart/pubspec.lock"), join(clean, "m/pubspec.lock"));
    // Only the low-severity Pub advisory: below "medium".
    expect((await cli(["vuln", "scan", clean, "--fail-on", "medium", "-o", "json"])).code).toBe(0);
    expect((await cli(["vuln", "scan", clean, "--fail-on", "low", "-o", "json"])).code).toBe(1);
  });

  it("the table lists each lockfile and where each finding is", async () => {
    const r = await cli(["vuln", "scan", repo]);
    expect(r.stdout).toContain(
      [
        "Lockfiles and manifests (7):",
        "  apps/chat/mix.lock: 5 packages, 1 vulnerability",
        "  mobile/pubspec.lock: 3 packages, 1 vulnerability",
        "  services/api/poetry.lock: 4 packages, 1 vulnerability",
        "  services/billing/gradle.lockfile: 4 packages, 1 vulnerability",
        "  services/orders/pom.xml: 6 packages, 1 vulnerability",
        "  tools/shop/go.mod: 6 packages, 1 vulnerability",
        "  web/package-lock.json: 1 package, 1 vulnerability",
      ].join("\n"),
    );
    expect(r.stdout).toMatch(
      /CRITICAL +CVE-2021-44228 +log4j-core .* services\/billing\/gradle\.lockfile:7\n/,
    );
  });
});
