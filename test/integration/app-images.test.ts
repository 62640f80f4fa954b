import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeImage } from "../../src/adapters/image/index.js";
import { runCli } from "../support/cli.js";
import { auditableSection, buildElf } from "../support/elf.js";
import { IMAGE_TOOLS, tempDir } from "./image-fixture.js";

/**
 * An image holding a PHP app, a Ruby app, a .NET app and a Rust binary, one layer each, built with umoci from
 * files this test writes: the lock files and installed-package records each ecosystem's tooling leaves in an
 * image, and for Rust an ELF executable written by the test with a cargo-auditable `.dep-v0` section (the
 * zlib-compressed JSON dependency list) injected, since crates.io cannot be reached to build one with
 * cargo-auditable. Every package must come out with the layer that added it, and advisories of the shape
 * GitHub and RustSec publish in OSV must match exactly the vulnerable ones.
 */

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
const FIXTURES = join(import.meta.dirname, "../../src/core/catalog/__fixtures__");

function write(root: string, rel: string, body: string | Uint8Array, mode?: number): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, body);
  if (mode !== undefined) chmodSync(p, mode);
}

function buildImage(work: string, layers: ((root: string) => void)[]): { layout: string; rootfs: string } {
  const layout = join(work, "layout");
  run("umoci", ["init", "--layout", layout]);
  run("umoci", ["new", "--image", `${layout}:t`]);
  run("umoci", ["config", "--image", `${layout}:t`, "--os", "linux", "--architecture", "amd64"]);
  let rootfs = "";
  for (const [i, change] of layers.entries()) {
    const bundle = join(work, `b${i}`);
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundle]);
    rootfs = join(bundle, "rootfs");
    change(rootfs);
    run("umoci", ["repack", "--image", `${layout}:t`, bundle]);
  }
  return { layout, rootfs };
}

const INSTALLED_JSON = {
  packages: [
    { name: "guzzlehttp/guzzle", version: "7.4.4", version_normalized: "7.4.4.0", type: "library" },
    { name: "monolog/monolog", version: "2.8.0", version_normalized: "2.8.0.0", type: "library" },
  ],
  dev: false,
  "dev-package-names": [],
};

const gemspec = (name: string, version: string) => `# -*- encoding: utf-8 -*-
# stub: ${name} ${version} ruby lib

Gem::Specification.new do |s|
  s.name = "${name}".freeze
  s.version = "${version}"
  s.licenses = ["MIT".freeze]
end
`;

const CRATES = [
  { name: "hyper", version: "0.14.18", source: "crates.io", dependencies: [2] },
  { name: "svc", version: "0.3.0", source: "local", dependencies: [0, 2], root: true },
  { name: "smallvec", version: "1.6.0", source: "crates.io" },
];

const range = (...events: Record<string, string>[]) => [{ type: "ECOSYSTEM", events }];
const osv = (
  id: string,
  aliases: string[],
  ecosystem: string,
  name: string,
  ranges: ReturnType<typeof range>,
  extra: Record<string, unknown> = {},
) => ({
  schema_version: "1.6.0",
  id,
  modified: "2024-03-01T00:00:00Z",
  published: "2022-06-10T00:00:00Z",
  aliases,
  summary: `${name} advisory`,
  affected: [{ package: { ecosystem, name }, ranges }],
  ...extra,
});

/** Advisories as GitHub (GHSA) and RustSec publish them in OSV: affected ones and ones the versions here fix. */
const ADVISORIES = [
  osv(
    "GHSA-25mq-v84q-4j7r",
    ["CVE-2022-31090"],
    "Packagist",
    "guzzlehttp/guzzle",
    range({ introduced: "7.0.0" }, { fixed: "7.4.5" }),
  ),
  // symfony/http-kernel is locked as "v5.4.19": Packagist's versions carry no "v".
  {
    ...osv("GHSA-h7vf-5wrv-9fhv", ["CVE-2022-24894"], "Packagist", "symfony/http-kernel", []),
    affected: [
      {
        package: { ecosystem: "Packagist", name: "symfony/http-kernel" },
        ranges: range(
          { introduced: "2.0.0" },
          { fixed: "4.4.50" },
          { introduced: "5.0.0" },
          { fixed: "5.4.20" },
        ),
      },
    ],
  },
  osv(
    "GHSA-65f5-mfpf-vfhj",
    ["CVE-2022-44570"],
    "RubyGems",
    "rack",
    range({ introduced: "1.5.0" }, { fixed: "2.2.6.2" }),
  ),
  // Fixed in the nokogiri installed.
  osv(
    "GHSA-2qc6-mcvw-92cw",
    ["CVE-2022-23476"],
    "RubyGems",
    "nokogiri",
    range({ introduced: "1.13.8" }, { fixed: "1.13.10" }),
  ),
  osv(
    "GHSA-ghhp-997w-qr28",
    ["CVE-2021-26701"],
    "NuGet",
    "System.Text.Encodings.Web",
    range({ introduced: "4.6.0" }, { fixed: "4.7.2" }, { introduced: "5.0.0" }, { fixed: "5.0.1" }),
  ),
  // Fixed in the Newtonsoft.Json installed; the id is written in another case than the package's.
  osv(
    "GHSA-5crp-9r3c-p9vr",
    ["CVE-2024-21907"],
    "NuGet",
    "newtonsoft.json",
    range({ introduced: "0" }, { fixed: "13.0.1" }),
  ),
  osv(
    "RUSTSEC-2021-0003",
    ["CVE-2021-25900", "GHSA-43w2-9j62-hq99"],
    "crates.io",
    "smallvec",
    range({ introduced: "0.6.3" }, { fixed: "0.6.14" }, { introduced: "1.0.0" }, { fixed: "1.6.1" }),
  ),
  // Fixed in the hyper installed.
  osv(
    "RUSTSEC-2021-0078",
    ["CVE-2021-32715"],
    "crates.io",
    "hyper",
    range({ introduced: "0.0.0-0" }, { fixed: "0.14.10" }),
  ),
];

describe("PHP, Ruby, .NET and Rust applications in an image built with umoci", () => {
  let work = "";
  let layout = "";
  let rootfs = "";

  beforeAll(() => {
    const missing = IMAGE_TOOLS.filter((t) => !existsSync(t));
    if (missing.length > 0) throw new Error(`missing ${missing.join(", ")} (scripts/test.sh installs them)`);
    work = tempDir("palisade-app-images-");
    ({ layout, rootfs } = buildImage(work, [
      (root) => {
        write(root, "etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
      },
      (root) => {
        write(root, "var/www/html/composer.lock", readFileSync(join(FIXTURES, "composer.lock")));
        write(root, "var/www/html/vendor/composer/installed.json", JSON.stringify(INSTALLED_JSON, null, 4));
        // A dependency's own lock: never installed, not read.
        write(
          root,
          "var/www/html/vendor/guzzlehttp/guzzle/composer.lock",
          '{"packages": [{"name": "x/y", "version": "1.0"}]}',
        );
      },
      (root) => {
        write(root, "usr/src/app/Gemfile.lock", readFileSync(join(FIXTURES, "Gemfile.lock")));
        write(root, "usr/local/bundle/specifications/rack-2.2.4.gemspec", gemspec("rack", "2.2.4"));
      },
      (root) => {
        write(root, "app/WebApp.deps.json", readFileSync(join(FIXTURES, "webapp.deps.json")));
        write(root, "app/WebApp.dll", "MZ");
      },
      (root) => {
        const elf = buildElf([
          { name: ".text", data: new Uint8Array([0x31, 0xc0, 0xc3]) },
          { name: ".dep-v0", data: auditableSection(CRATES) },
        ]);
        write(root, "usr/local/bin/svc", elf, 0o755);
      },
    ]));
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("each ecosystem's packages with purl, layer, file and line (the Rust binary is a section-injected ELF built by the test)", async () => {
    const { sbom, coverage } = await analyzeImage(`oci:${layout}:t`);
    expect(coverage).toEqual([]);
    const rows = sbom.packages.map(
      (p) => `${p.purl} layer=${p.layerIndex} ${p.locations.join(",")}${p.line ? `:${p.line}` : ""}`,
    );
    expect(rows).toEqual([
      "pkg:cargo/hyper@0.14.18 layer=4 usr/local/bin/svc",
      "pkg:cargo/smallvec@1.6.0 layer=4 usr/local/bin/svc",
      "pkg:cargo/svc@0.3.0 layer=4 usr/local/bin/svc",
      "pkg:composer/guzzlehttp/guzzle@7.4.4 layer=1 var/www/html/composer.lock:10",
      "pkg:composer/guzzlehttp/guzzle@7.4.4 layer=1 var/www/html/vendor/composer/installed.json:4",
      "pkg:composer/monolog/monolog@2.8.0 layer=1 var/www/html/vendor/composer/installed.json:10",
      "pkg:composer/phpunit/phpunit@9.5.27 layer=1 var/www/html/composer.lock:66",
      "pkg:composer/symfony/http-kernel@v5.4.19 layer=1 var/www/html/composer.lock:46",
      "pkg:gem/actionpack@7.0.4 layer=2 usr/src/app/Gemfile.lock:19",
      "pkg:gem/billing@0.1.0 layer=2 usr/src/app/Gemfile.lock:13",
      "pkg:gem/mini_portile2@2.8.1 layer=2 usr/src/app/Gemfile.lock:22",
      "pkg:gem/nokogiri@1.13.10 layer=2 usr/src/app/Gemfile.lock:23",
      "pkg:gem/nokogiri@1.13.10?platform=x86_64-linux layer=2 usr/src/app/Gemfile.lock:26",
      "pkg:gem/racc@1.6.2 layer=2 usr/src/app/Gemfile.lock:28",
      "pkg:gem/rack@2.2.4 layer=2 usr/local/bundle/specifications/rack-2.2.4.gemspec:5",
      "pkg:gem/rack@2.2.4 layer=2 usr/src/app/Gemfile.lock:29",
      "pkg:gem/rack-test@2.0.2 layer=2 usr/src/app/Gemfile.lock:30",
      "pkg:gem/sprockets@4.2.0 layer=2 usr/src/app/Gemfile.lock:32",
      "pkg:gem/sprockets-rails@3.4.2 layer=2 usr/src/app/Gemfile.lock:6",
      "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@6.0.5 layer=3 app/WebApp.deps.json:50",
      "pkg:nuget/Newtonsoft.Json@13.0.1 layer=3 app/WebApp.deps.json:55",
      "pkg:nuget/System.Text.Encodings.Web@4.7.1 layer=3 app/WebApp.deps.json:62",
    ]);
  });

  it("advisories for each ecosystem match exactly the vulnerable packages, with their layer", async () => {
    const osvDir = join(work, "osv");
    mkdirSync(osvDir);
    for (const r of ADVISORIES) writeFileSync(join(osvDir, `${r.id}.json`), JSON.stringify(r));
    const db = join(work, "vuln.sqlite");
    expect((await runCli(["vuln", "db", "import", osvDir, "--db", db])).code).toBe(0);
    const scan = await runCli(["vuln", "scan", `oci:${layout}:t`, "--db", db, "-o", "json"]);
    const report = JSON.parse(scan.stdout) as {
      findings: {
        vulnerabilityId: string;
        aliases: string[];
        package: { name: string; ecosystem: string; purl: string };
        installed: string;
        fixedVersions: string[];
        layerDiffId?: string;
        location?: { file: string; line: number };
      }[];
    };
    const { sbom } = await analyzeImage(`oci:${layout}:t`);
    const diffIds = sbom.layers.map((l) => l.diffId);
    const found = report.findings.map(
      (f) =>
        `${[f.vulnerabilityId, ...f.aliases].join(",")} ${f.package.ecosystem} ${f.package.name} ${f.installed} fixed=${f.fixedVersions.join("|")} layer=${diffIds.indexOf(f.layerDiffId ?? "")} at=${f.location ? `${f.location.file}:${f.location.line}` : "-"}`,
    );
    expect(found).toEqual([
      "CVE-2021-26701,GHSA-ghhp-997w-qr28 NuGet System.Text.Encodings.Web 4.7.1 fixed=4.7.2 layer=3 at=app/WebApp.deps.json:62",
      "CVE-2022-31090,GHSA-25mq-v84q-4j7r Packagist guzzlehttp/guzzle 7.4.4 fixed=7.4.5 layer=1 at=var/www/html/composer.lock:10",
      "CVE-2022-31090,GHSA-25mq-v84q-4j7r Packagist guzzlehttp/guzzle 7.4.4 fixed=7.4.5 layer=1 at=var/www/html/vendor/composer/installed.json:4",
      "CVE-2022-44570,GHSA-65f5-mfpf-vfhj RubyGems rack 2.2.4 fixed=2.2.6.2 layer=2 at=usr/local/bundle/specifications/rack-2.2.4.gemspec:5",
      "CVE-2022-44570,GHSA-65f5-mfpf-vfhj RubyGems rack 2.2.4 fixed=2.2.6.2 layer=2 at=usr/src/app/Gemfile.lock:29",
      "CVE-2021-25900,GHSA-43w2-9j62-hq99,RUSTSEC-2021-0003 crates.io smallvec 1.6.0 fixed=1.6.1 layer=4 at=-",
      "CVE-2022-24894,GHSA-h7vf-5wrv-9fhv Packagist symfony/http-kernel v5.4.19 fixed=5.4.20 layer=1 at=var/www/html/composer.lock:46",
    ]);
  });

  it("the same files in a directory (the image's final filesystem) give the same packages, without layers", async () => {
    const { sbom, coverage } = await analyzeImage(`dir:${rootfs}`);
    expect(coverage).toEqual([]);
    expect(sbom.packages.every((p) => p.layerIndex === undefined)).toBe(true);
    const { sbom: image } = await analyzeImage(`oci:${layout}:t`);
    const strip = (ps: typeof sbom.packages) =>
      ps.map((p) => `${p.purl} ${p.locations.join(",")}:${p.line ?? ""}`).sort();
    expect(strip(sbom.packages)).toEqual(strip(image.packages));
  });
});
