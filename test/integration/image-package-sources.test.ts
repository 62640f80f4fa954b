import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeImage } from "../../src/adapters/image/index.js";
import { runCli } from "../support/cli.js";
import { installRpms, ndbPackages, requireRpmTools, writeBdbPackages } from "../support/rpmdb.js";
import { IMAGE_TOOLS, tempDir } from "./image-fixture.js";

/**
 * Images whose package databases are not sqlite rpmdbs or a single dpkg status, built with umoci from real parts:
 * a UBI 8-style image (Berkeley DB `var/lib/rpm/Packages` written by libdb, of packages built by rpmbuild and
 * installed by rpm) matched against Red Hat OSV records of the shape Red Hat publishes; a SLES-style image (ndb
 * `Packages.db` under /usr/lib/sysimage/rpm with /var/lib/rpm a link to it); a distroless image (one dpkg status
 * file per package in `var/lib/dpkg/status.d/`); a Wolfi-style image whose packages ship SBOM documents.
 */
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });

function write(root: string, rel: string, body: string | Uint8Array): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, body);
}

/** Build an image in `work/layout:t` whose layer i is what `layers[i]` changes in the unpacked rootfs. */
function buildImage(work: string, layers: ((root: string) => void)[]): string {
  const layout = join(work, "layout");
  run("umoci", ["init", "--layout", layout]);
  run("umoci", ["new", "--image", `${layout}:t`]);
  run("umoci", ["config", "--image", `${layout}:t`, "--os", "linux", "--architecture", "amd64"]);
  for (const [i, change] of layers.entries()) {
    const bundle = join(work, `b${i}`);
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundle]);
    change(join(bundle, "rootfs"));
    run("umoci", ["repack", "--image", `${layout}:t`, bundle]);
  }
  return layout;
}

const UBI8_OS_RELEASE = `NAME="Red Hat Enterprise Linux"
VERSION="8.10 (Ootpa)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="8.10"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Red Hat Enterprise Linux 8.10 (Ootpa)"
`;

/** Red Hat OSV records as Red Hat publishes them (RHSA ids, binary package names, per-release ecosystems). */
const RED_HAT_OSV = [
  {
    schema_version: "1.7.0",
    id: "RHSA-2022:5818",
    modified: "2024-05-01T00:00:00Z",
    published: "2022-08-02T00:00:00Z",
    upstream: ["CVE-2022-2097"],
    summary: "openssl security update",
    affected: [
      {
        package: { ecosystem: "Red Hat:enterprise_linux:8::baseos", name: "openssl-libs" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1:1.1.1k-7.el8_6" }] }],
      },
      {
        package: { ecosystem: "Red Hat:enterprise_linux:8::baseos", name: "openssl" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1:1.1.1k-7.el8_6" }] }],
      },
    ],
  },
  {
    schema_version: "1.7.0",
    id: "RHSA-2024:3939",
    modified: "2024-06-20T00:00:00Z",
    upstream: ["CVE-2023-38546"],
    summary: "curl security update",
    affected: [
      {
        package: { ecosystem: "Red Hat:enterprise_linux:8::baseos", name: "libcurl" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "0:7.61.1-34.el8" }] }],
      },
      {
        package: { ecosystem: "Red Hat:enterprise_linux:9::baseos", name: "libcurl" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "0:7.76.1-29.el9_4" }] }],
      },
    ],
  },
  {
    // bash 4.4.20-4.el8_6 is installed: fixed already.
    schema_version: "1.7.0",
    id: "RHSA-2022:7093",
    modified: "2022-10-25T00:00:00Z",
    upstream: ["CVE-2022-3715"],
    affected: [
      {
        package: { ecosystem: "Red Hat:enterprise_linux:8::baseos", name: "bash" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "0:4.4.20-4.el8_6" }] }],
      },
    ],
  },
  {
    // A RHEL 9 advisory never applies to a RHEL 8 image.
    schema_version: "1.7.0",
    id: "RHSA-2024:0001",
    modified: "2024-01-05T00:00:00Z",
    upstream: ["CVE-2023-0001"],
    affected: [
      {
        package: { ecosystem: "Red Hat:enterprise_linux:9::baseos", name: "tzdata" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "0:2024a-1.el9" }] }],
      },
    ],
  },
];

describe("rpm and distroless package databases in images built with umoci", () => {
  let work: string;
  let blobs: Buffer[];

  beforeAll(() => {
    requireRpmTools();
    const missing = IMAGE_TOOLS.filter((t) => !existsSync(t));
    if (missing.length > 0) throw new Error(`missing ${missing.join(", ")} (scripts/test.sh installs them)`);
    work = tempDir("palisade-rpm-images-");
    blobs = installRpms(join(work, "rpms"), [
      { name: "bash", version: "4.4.20", release: "4.el8_6", files: 40 },
      {
        name: "openssl-libs",
        source: "openssl",
        epoch: 1,
        version: "1.1.1k",
        release: "5.el8_5",
        files: 120,
      },
      {
        name: "tzdata",
        version: "2023c",
        release: "1.el8",
        arch: "noarch",
        license: "Public Domain",
        files: 300,
      },
      { name: "libcurl", source: "curl", version: "7.61.1", release: "30.el8", files: 2 },
    ]).blobs;
  }, 120_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("UBI 8: the Berkeley DB rpmdb is read with each package's layer, and Red Hat advisories match", async () => {
    const dir = join(work, "ubi8");
    const layout = buildImage(dir, [
      (root) => {
        write(root, "etc/os-release", UBI8_OS_RELEASE);
        writeBdbPackages(join(root, "var/lib/rpm"), blobs.slice(0, 3));
        rmSync(join(root, "var/lib/rpm/Packages.dump"));
      },
      (root) => {
        // `dnf install libcurl` in a second layer rewrites the whole database file.
        rmSync(join(root, "var/lib/rpm/Packages"));
        writeBdbPackages(join(root, "var/lib/rpm"), blobs);
        rmSync(join(root, "var/lib/rpm/Packages.dump"));
      },
    ]);
    const { sbom, coverage } = await analyzeImage(`oci:${layout}:t`);
    expect(coverage).toEqual([]);
    expect(sbom.os).toMatchObject({ id: "rhel", versionId: "8.10" });
    expect(
      sbom.packages.map((p) => ({
        purl: p.purl,
        source: `${p.sourceName}@${p.sourceVersion}`,
        layer: p.layerIndex,
        where: p.locations,
      })),
    ).toEqual([
      {
        purl: "pkg:rpm/redhat/bash@4.4.20-4.el8_6?arch=x86_64&distro=rhel-8.10",
        source: "bash@4.4.20-4.el8_6",
        layer: 0,
        where: ["var/lib/rpm/Packages"],
      },
      {
        purl: "pkg:rpm/redhat/libcurl@7.61.1-30.el8?arch=x86_64&distro=rhel-8.10",
        source: "curl@7.61.1-30.el8",
        layer: 1,
        where: ["var/lib/rpm/Packages"],
      },
      {
        purl: "pkg:rpm/redhat/openssl-libs@1.1.1k-5.el8_5?arch=x86_64&distro=rhel-8.10&epoch=1",
        source: "openssl@1:1.1.1k-5.el8_5",
        layer: 0,
        where: ["var/lib/rpm/Packages"],
      },
      {
        purl: "pkg:rpm/redhat/tzdata@2023c-1.el8?arch=noarch&distro=rhel-8.10",
        source: "tzdata@2023c-1.el8",
        layer: 0,
        where: ["var/lib/rpm/Packages"],
      },
    ]);

    const osv = join(dir, "osv");
    mkdirSync(osv);
    for (const r of RED_HAT_OSV)
      writeFileSync(join(osv, `${r.id.replace(":", "-")}.json`), JSON.stringify(r));
    const db = join(dir, "vuln.sqlite");
    expect((await runCli(["vuln", "db", "import", osv, "--db", db])).code).toBe(0);
    const scan = await runCli(["vuln", "scan", `oci:${layout}:t`, "--db", db, "-o", "json"]);
    const report = JSON.parse(scan.stdout) as {
      findings: {
        vulnerabilityId: string;
        aliases: string[];
        package: { name: string; ecosystem: string };
        installed: string;
        fixedVersions: string[];
        layerDiffId?: string;
      }[];
    };
    const diffIds = sbom.layers.map((l) => l.diffId);
    expect(
      report.findings.map((f) => ({
        id: f.vulnerabilityId,
        aliases: f.aliases,
        package: `${f.package.ecosystem} ${f.package.name} ${f.installed}`,
        fixed: f.fixedVersions,
        layer: diffIds.indexOf(f.layerDiffId ?? ""),
      })),
    ).toEqual([
      {
        id: "RHSA-2024:3939",
        aliases: [],
        package: "Red Hat libcurl 7.61.1-30.el8",
        fixed: ["0:7.61.1-34.el8"],
        layer: 1,
      },
      {
        id: "RHSA-2022:5818",
        aliases: [],
        package: "Red Hat openssl-libs 1:1.1.1k-5.el8_5",
        fixed: ["1:1.1.1k-7.el8_6"],
        layer: 0,
      },
    ]);
  });

  it("SLES 15: the ndb Packages.db under /usr/lib/sysimage/rpm, /var/lib/rpm a link to it", async () => {
    const dir = join(work, "sles");
    const layout = buildImage(dir, [
      (root) => {
        write(
          root,
          "etc/os-release",
          'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nID="sles"\nID_LIKE="suse"\n',
        );
        write(root, "usr/lib/sysimage/rpm/Packages.db", ndbPackages(blobs.slice(0, 2), { freeSlots: 1 }));
        mkdirSync(join(root, "var/lib"), { recursive: true });
        symlinkSync("../../usr/lib/sysimage/rpm", join(root, "var/lib/rpm"));
      },
    ]);
    const { sbom, coverage } = await analyzeImage(`oci:${layout}:t`);
    expect(coverage).toEqual([]);
    expect(sbom.packages.map((p) => `${p.purl} layer ${p.layerIndex} ${p.locations.join(",")}`)).toEqual([
      "pkg:rpm/suse/bash@4.4.20-4.el8_6?arch=x86_64&distro=sles-15.5 layer 0 usr/lib/sysimage/rpm/Packages.db",
      "pkg:rpm/suse/openssl-libs@1.1.1k-5.el8_5?arch=x86_64&distro=sles-15.5&epoch=1 layer 0 usr/lib/sysimage/rpm/Packages.db",
    ]);
  });

  it("distroless: one dpkg status file per package in status.d, each with its layer", async () => {
    const stanza = (name: string, version: string, source?: string) =>
      `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: x\n${source ? `Source: ${source}\n` : ""}Description: d\n`;
    const dir = join(work, "distroless");
    const layout = buildImage(dir, [
      (root) => {
        write(
          root,
          "etc/os-release",
          'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n',
        );
        write(root, "var/lib/dpkg/status.d/base-files", stanza("base-files", "12.4+deb12u5"));
        write(root, "var/lib/dpkg/status.d/base-files.md5sums", "0123456789abcdef  etc/debian_version\n");
        write(root, "var/lib/dpkg/status.d/libssl3", stanza("libssl3", "3.0.11-1~deb12u1", "openssl"));
      },
      (root) => {
        write(root, "var/lib/dpkg/status.d/libssl3", stanza("libssl3", "3.0.11-1~deb12u2", "openssl"));
        write(root, "var/lib/dpkg/status.d/tzdata", stanza("tzdata", "2024a-0+deb12u1"));
      },
    ]);
    const { sbom, coverage } = await analyzeImage(`oci:${layout}:t`);
    expect(coverage).toEqual([]);
    expect(sbom.packages.map((p) => `${p.purl} layer ${p.layerIndex} ${p.locations.join(",")}`)).toEqual([
      "pkg:deb/debian/base-files@12.4+deb12u5?arch=amd64&distro=debian-12 layer 0 var/lib/dpkg/status.d/base-files",
      "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12 layer 1 var/lib/dpkg/status.d/libssl3",
      "pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=amd64&distro=debian-12 layer 1 var/lib/dpkg/status.d/tzdata",
    ]);
  });

  it("SBOM documents in an image: read as packages with their layer, de-duplicated against the apk database", async () => {
    const spdx = (name: string, version: string) =>
      JSON.stringify({
        SPDXID: "SPDXRef-DOCUMENT",
        name: `apk-${name}-${version}`,
        spdxVersion: "SPDX-2.3",
        creationInfo: { created: "2024-05-01T00:00:00Z", creators: ["Tool: melange (v0.6.0)"] },
        dataLicense: "CC0-1.0",
        documentNamespace: `https://spdx.org/spdxdocs/chainguard/melange/${name}`,
        documentDescribes: [`SPDXRef-Package-${name}-${version}`],
        packages: [
          {
            SPDXID: `SPDXRef-Package-${name}-${version}`,
            name,
            versionInfo: version,
            filesAnalyzed: false,
            licenseDeclared: "GPL-2.0-only",
            downloadLocation: "NOASSERTION",
            supplier: "Organization: Wolfi",
            externalRefs: [
              {
                referenceCategory: "PACKAGE_MANAGER",
                referenceLocator: `pkg:apk/wolfi/${name}@${version}?arch=x86_64`,
                referenceType: "purl",
              },
            ],
          },
        ],
      });
    const dir = join(work, "wolfi");
    const layout = buildImage(dir, [
      (root) => {
        write(root, "etc/os-release", 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n');
        write(
          root,
          "lib/apk/db/installed",
          "P:glibc\nV:2.39-r6\nA:x86_64\n\nP:busybox\nV:1.36.1-r7\nA:x86_64\n\n",
        );
        write(root, "var/lib/db/sbom/glibc-2.39-r6.spdx.json", spdx("glibc", "2.39-r6"));
        write(root, "var/lib/db/sbom/busybox-1.36.1-r7.spdx.json", spdx("busybox", "1.36.1-r7"));
      },
      (root) => {
        write(
          root,
          "srv/app/bom.json",
          JSON.stringify({
            bomFormat: "CycloneDX",
            specVersion: "1.5",
            version: 1,
            components: [
              { type: "library", name: "lodash", version: "4.17.20", purl: "pkg:npm/lodash@4.17.20" },
            ],
          }),
        );
      },
    ]);
    const expected = [
      "pkg:apk/wolfi/busybox@1.36.1-r7?arch=x86_64&distro=wolfi-20230201 layer 0 lib/apk/db/installed,var/lib/db/sbom/busybox-1.36.1-r7.spdx.json",
      "pkg:apk/wolfi/glibc@2.39-r6?arch=x86_64&distro=wolfi-20230201 layer 0 lib/apk/db/installed,var/lib/db/sbom/glibc-2.39-r6.spdx.json",
      "pkg:npm/lodash@4.17.20 layer 1 srv/app/bom.json",
    ];
    const { sbom, coverage } = await analyzeImage(`oci:${layout}:t`);
    expect(coverage).toEqual([]);
    expect(sbom.packages.map((p) => `${p.purl} layer ${p.layerIndex} ${p.locations.join(",")}`)).toEqual(
      expected,
    );
    // The same files as a directory (a root filesystem or a checkout): same packages, no layers.
    const flat = await analyzeImage(`dir:${join(dir, "b1", "rootfs")}`);
    expect(flat.sbom.packages.map((p) => `${p.purl} layer ${p.layerIndex} ${p.locations.join(",")}`)).toEqual(
      expected.map((l) => l.replace(/ layer \d /, " layer undefined ")),
    );
  });
});
