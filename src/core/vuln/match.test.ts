import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeFinding } from "../findings/index.js";
import type { Package, Sbom } from "../sbom/index.js";
import { cvss3BaseScore } from "./cvss.js";
import { cvss4Score } from "./cvss4.js";
import { advisoryKey, packageOs } from "./ecosystem.js";
import { matchPackages, packageQueries, primaryId } from "./match.js";
import { type OsvRecord, parseOsvText } from "./osv.js";
import { buildVulnReport, formatVulnSarif } from "./report.js";
import { DEFAULT_RESOLVER } from "./resolver.js";

const FIXTURES = join(import.meta.dirname, "__fixtures__", "osv");

function load(dir = FIXTURES): OsvRecord[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) return load(p);
      const r = parseOsvText(readFileSync(p, "utf8"), p).record;
      return r ? [r] : [];
    });
}

/** Index records the way a store does: by (base ecosystem, normalised name). */
function index(records: OsvRecord[]): Map<string, OsvRecord[]> {
  const m = new Map<string, OsvRecord[]>();
  for (const r of records)
    for (const k of new Set(r.affected.map((a) => advisoryKey(a.package.ecosystem, a.package.name))))
      m.set(k, [...(m.get(k) ?? []), r]);
  return m;
}

const ALL = index(load());
// The severity of a CVSS v4 record comes from cvss4Score (tested against FIRST's calculator in cvss.test.ts).
const JINJA_CVSS4 = cvss4Score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N");

function pkg(p: Partial<Package> & Pick<Package, "type" | "name" | "version">): Package {
  return { purl: `pkg:${p.type}/${p.name}@${p.version}`, locations: [], ...p };
}

const debianImage: Sbom = {
  subject: { kind: "image", name: "registry.example/app:1.0" },
  os: { id: "debian", versionId: "12", codename: "bookworm" },
  layers: [{ diffId: "sha256:aaa" }],
  packages: [
    pkg({
      type: "deb",
      name: "libssl3",
      version: "3.0.11-1~deb12u1",
      sourceName: "openssl",
      purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12",
      layerDiffId: "sha256:aaa",
      locations: ["var/lib/dpkg/status"],
    }),
    pkg({
      type: "deb",
      name: "openssl",
      version: "3.0.11-1~deb12u2",
      purl: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12",
    }),
    pkg({ type: "npm", name: "semver", version: "7.5.1" }),
    pkg({ type: "npm", name: "semver", version: "7.5.2" }),
    pkg({ type: "npm", name: "json5", version: "2.2.1" }),
    pkg({ type: "pypi", name: "py", version: "1.11.0" }),
    pkg({ type: "pypi", name: "jinja2", version: "3.1.2" }),
    pkg({ type: "maven", name: "log4j-core", group: "org.apache.logging.log4j", version: "2.14.1" }),
    pkg({ type: "golang", name: "golang.org/x/net", version: "v0.10.0" }),
    pkg({ type: "generic", name: "busybox", version: "1.36" }),
  ],
};

describe("matchPackages", () => {
  const result = matchPackages(debianImage, ALL, { resolver: DEFAULT_RESOLVER });

  it("finds each vulnerability once per package, with merged aliases and fix", () => {
    expect(
      result.findings.map((f) => [
        f.package.name,
        f.installed,
        f.vulnerabilityId,
        f.aliases,
        f.fixedVersions,
        f.severity,
        f.severitySource,
        f.remediation,
      ]),
    ).toEqual([
      [
        "golang.org/x/net",
        "v0.10.0",
        "CVE-2023-39325",
        ["GHSA-4374-p667-p6c8", "GO-2023-2102"],
        ["0.17.0"],
        "info",
        "unknown",
        "fix available: >= 0.17.0",
      ],
      [
        "jinja2",
        "3.1.2",
        "CVE-2024-22195",
        ["GHSA-h5c8-rqwp-cp95"],
        ["3.1.3"],
        JINJA_CVSS4?.severity,
        "cvss",
        "fix available: >= 3.1.3",
      ],
      [
        "libssl3",
        "3.0.11-1~deb12u1",
        "CVE-2023-5363",
        ["CVE-2023-5678", "DEBIAN-CVE-2023-5363", "DSA-5532-1"],
        ["3.0.11-1~deb12u2"],
        "high",
        "cvss",
        "fix available: >= 3.0.11-1~deb12u2",
      ],
      [
        "log4j-core",
        "2.14.1",
        "CVE-2021-44228",
        ["GHSA-jfh8-c2jp-5v3q"],
        ["2.15.0"],
        "critical",
        "cvss",
        "fix available: >= 2.15.0",
      ],
      [
        "py",
        "1.11.0",
        "CVE-2022-42969",
        ["GHSA-w596-4wvx-j9j6", "PYSEC-2022-42969"],
        [],
        "info",
        "unknown",
        "no fix available",
      ],
      [
        "semver",
        "7.5.1",
        "CVE-2022-25883",
        ["GHSA-c2qf-rxjj-qqgw"],
        ["7.5.2"],
        "high",
        "cvss",
        "fix available: >= 7.5.2",
      ],
    ]);
  });

  it("builds a complete finding for a binary package matched through its source package", () => {
    const f = result.findings.find((x) => x.package.name === "libssl3");
    const resource = { apiVersion: "palisade.dev/v1", kind: "Image", name: "registry.example/app:1.0" };
    const base = makeFinding({
      ruleId: "CVE-2023-5363",
      title: "openssl - security update",
      severity: "high",
      resource,
      fieldPath: "packages[pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12]",
      evidence: "libssl3@3.0.11-1~deb12u1",
      message:
        "libssl3 3.0.11-1~deb12u1 is affected by CVE-2023-5363 (CVE-2023-5678, DEBIAN-CVE-2023-5363, DSA-5532-1): openssl - security update",
      remediation: "fix available: >= 3.0.11-1~deb12u2",
      compliance: [],
      category: "vulnerability",
      discriminator: "var/lib/dpkg/status",
    });
    expect(f).toEqual({
      ...base,
      vulnerabilityId: "CVE-2023-5363",
      aliases: ["CVE-2023-5678", "DEBIAN-CVE-2023-5363", "DSA-5532-1"],
      package: {
        name: "libssl3",
        type: "deb",
        purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12",
        ecosystem: "Debian",
        lookupName: "openssl",
      },
      installed: "3.0.11-1~deb12u1",
      fixedVersions: ["3.0.11-1~deb12u2"],
      cvss: cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
      severitySource: "cvss",
      summary: "openssl - security update",
      layerDiffId: "sha256:aaa",
      advisories: ["DEBIAN-CVE-2023-5363", "DSA-5532-1"],
    });
  });

  it("reports what it could not match as coverage", () => {
    expect(result.coverage).toEqual([
      {
        reason: "unsupported",
        subject: "packages of type generic",
        message:
          "1 package(s) of type generic have no known OSV ecosystem (or the OS is unknown); not matched",
      },
    ]);
  });

  it("applies distro advisories only to their release", () => {
    const bullseye: Sbom = {
      ...debianImage,
      os: { id: "debian", versionId: "11" },
      packages: [pkg({ type: "deb", name: "openssl", version: "1.1.1n-0+deb11u4" })],
    };
    const ubuntu: Sbom = {
      ...debianImage,
      os: { id: "ubuntu", versionId: "22.04" },
      packages: [pkg({ type: "deb", name: "openssl", version: "3.0.2-0ubuntu1.10" })],
    };
    const alpine: Sbom = {
      ...debianImage,
      os: { id: "alpine", versionId: "3.19.1" },
      packages: [pkg({ type: "apk", name: "libcrypto3", version: "3.1.4-r0", sourceName: "openssl" })],
    };
    const alpineOld: Sbom = { ...alpine, os: { id: "alpine", versionId: "3.17.5" } };
    const ids = (s: Sbom) =>
      matchPackages(s, ALL, { resolver: DEFAULT_RESOLVER }).findings.map(
        (f) => `${f.vulnerabilityId} ${f.fixedVersions.join(",")}`,
      );
    expect([ids(bullseye), ids(ubuntu), ids(alpine), ids(alpineOld)]).toEqual([
      ["CVE-2023-2650 1.1.1n-0+deb11u5"],
      ["UBUNTU-CVE-2023-5363 3.0.2-0ubuntu1.12"],
      ["CVE-2023-5678 3.1.4-r1"],
      [],
    ]);
  });

  it("is deterministic whatever the input order", () => {
    const reversed = { ...debianImage, packages: [...debianImage.packages].reverse() };
    const shuffledDb = new Map([...ALL].reverse().map(([k, v]) => [k, [...v].reverse()]));
    expect(matchPackages(reversed, shuffledDb, { resolver: DEFAULT_RESOLVER })).toEqual(result);
  });

  it("asks the store for each package's source and binary name once", () => {
    expect(packageQueries(debianImage).map((q) => q.key)).toEqual(
      [
        advisoryKey("Debian", "libssl3"),
        advisoryKey("Debian", "openssl"),
        advisoryKey("Go", "golang.org/x/net"),
        advisoryKey("Maven", "log4j-core"),
        advisoryKey("Maven", "org.apache.logging.log4j:log4j-core"),
        advisoryKey("PyPI", "jinja2"),
        advisoryKey("PyPI", "py"),
        advisoryKey("npm", "json5"),
        advisoryKey("npm", "semver"),
      ].sort(),
    );
  });
});

describe("primaryId", () => {
  it("prefers the CVE, then GHSA, then the smallest id", () => {
    expect([
      primaryId(["DSA-1", "CVE-2", "GHSA-x"]),
      primaryId(["PYSEC-1", "GHSA-b", "GHSA-a"]),
      primaryId(["DSA-2", "DLA-1"]),
    ]).toEqual(["CVE-2", "GHSA-a", "DLA-1"]);
  });
});

describe("pathological cases", () => {
  it("one advisory naming 2,000 packages, matched against those 2,000: each affected entry is read a few times, not per package", () => {
    const n = 2_000;
    const entries = Array.from({ length: n }, (_, i) => ({
      package: { ecosystem: "npm", name: `pkg-${i}` },
      ranges: [{ type: "ECOSYSTEM" as const, events: [{ introduced: "0" }, { fixed: "2.0.0" }] }],
      versions: [],
      severity: [],
    }));
    let reads = 0;
    // Count element reads of `affected`: matching used to walk every entry for every package (n x n = 4 million).
    const affected = new Proxy(entries, {
      get(target, prop, receiver) {
        if (typeof prop === "string" && /^\d+$/.test(prop)) reads++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const wide: OsvRecord = {
      id: "WIDE-1",
      modified: "m",
      aliases: [],
      related: [],
      upstream: [],
      severity: [],
      affected,
    };
    const sbom: Sbom = {
      subject: { kind: "sbom", name: "wide" },
      layers: [],
      packages: Array.from({ length: n }, (_, i) => pkg({ type: "npm", name: `pkg-${i}`, version: "1.0.0" })),
    };
    const r = matchPackages(sbom, index([wide]), { resolver: DEFAULT_RESOLVER });
    expect([r.findings.length, reads <= 4 * n]).toEqual([n, true]);
  });

  it("a GIT-only advisory for a matching package yields coverage, not a finding", () => {
    const rec: OsvRecord = {
      id: "OSV-9",
      modified: "m",
      aliases: [],
      related: [],
      upstream: [],
      severity: [],
      affected: [
        {
          package: { ecosystem: "npm", name: "left-pad" },
          ranges: [{ type: "GIT", repo: "r", events: [{ introduced: "a" }] }],
          versions: [],
          severity: [],
        },
      ],
    };
    const sbom: Sbom = {
      subject: { kind: "sbom", name: "s.json" },
      layers: [],
      packages: [pkg({ type: "npm", name: "left-pad", version: "1.0.0" })],
    };
    expect(matchPackages(sbom, index([rec]), { resolver: DEFAULT_RESOLVER })).toEqual({
      findings: [],
      coverage: [
        {
          reason: "unsupported",
          subject: "OSV-9 npm/left-pad",
          message: "ranges[0]: GIT range cannot be evaluated against a package version",
        },
      ],
    });
  });

  it("distro packages with no OS information are reported, not matched against every release", () => {
    const sbom: Sbom = {
      subject: { kind: "sbom", name: "s.json" },
      layers: [],
      packages: [pkg({ type: "deb", name: "openssl", version: "1.0" })],
    };
    expect(matchPackages(sbom, ALL, { resolver: DEFAULT_RESOLVER }).coverage.map((c) => c.subject)).toEqual([
      "packages of type deb",
    ]);
  });

  it("a package declared at a lockfile line gives its finding that file and line (SARIF points there)", () => {
    const sbom: Sbom = {
      subject: { kind: "directory", name: "repo" },
      layers: [],
      packages: [
        pkg({
          type: "npm",
          name: "semver",
          version: "7.5.1",
          locations: ["web/package-lock.json"],
          line: 812,
        }),
      ],
    };
    const [f] = matchPackages(sbom, ALL, { resolver: DEFAULT_RESOLVER }).findings;
    expect([f?.vulnerabilityId, f?.location]).toEqual([
      "CVE-2022-25883",
      { file: "web/package-lock.json", line: 812, column: 1 },
    ]);
    const report = buildVulnReport(sbom, f ? [f] : [], [], {
      version: "0",
      database: { advisories: 1, stale: false },
    });
    const sarif = JSON.parse(formatVulnSarif(report));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "web/package-lock.json" },
      region: { startLine: 812 },
    });
  });

  it("a distro package's purl distro qualifier gives its release when the filesystem has no os-release", () => {
    const sbom: Sbom = {
      subject: { kind: "directory", name: "repo" },
      layers: [],
      packages: [
        pkg({
          type: "apk",
          name: "libssl3",
          version: "3.1.2-r0",
          sourceName: "openssl",
          purl: "pkg:apk/alpine/libssl3@3.1.2-r0?arch=x86_64&upstream=openssl&distro=alpine-3.18.2",
          locations: ["base.cdx.json"],
        }),
      ],
    };
    expect(
      matchPackages(sbom, ALL, { resolver: DEFAULT_RESOLVER }).findings.map((f) => f.vulnerabilityId),
    ).toEqual(["CVE-2023-5678"]);
    expect(
      ["alpine-3.18.2", "debian-12", "opensuse-leap-15.5", "wolfi", "%zz", "1bad"].map((d) =>
        packageOs(
          { ...pkg({ type: "rpm", name: "x", version: "1" }), purl: `pkg:rpm/x@1?distro=${d}` },
          undefined,
        ),
      ),
    ).toEqual([
      { id: "alpine", versionId: "3.18.2" },
      { id: "debian", versionId: "12" },
      { id: "opensuse-leap", versionId: "15.5" },
      { id: "wolfi" },
      undefined,
      undefined,
    ]);
  });

  it("the Go standard library at a toolchain version (go1.21.3, as build info and syft write it) is matched", () => {
    const rec = parseOsvText(
      JSON.stringify({
        id: "GO-2023-2185",
        modified: "2023-11-08T00:00:00Z",
        aliases: ["CVE-2023-45283"],
        affected: [
          {
            package: { ecosystem: "Go", name: "stdlib" },
            ranges: [
              {
                type: "SEMVER",
                events: [
                  { introduced: "0" },
                  { fixed: "1.20.11" },
                  { introduced: "1.21.0-0" },
                  { fixed: "1.21.4" },
                ],
              },
            ],
          },
        ],
      }),
      "GO-2023-2185.json",
    ).record as OsvRecord;
    const sbom: Sbom = {
      subject: { kind: "image", name: "app" },
      layers: [],
      packages: [
        pkg({ type: "golang", name: "stdlib", version: "go1.21.3", locations: ["usr/local/bin/app"] }),
        pkg({ type: "golang", name: "stdlib", version: "1.21.4", locations: ["go.mod"], line: 5 }),
      ],
    };
    const r = matchPackages(sbom, index([rec]), { resolver: DEFAULT_RESOLVER });
    expect([r.findings.map((f) => [f.vulnerabilityId, f.installed, f.fixedVersions]), r.coverage]).toEqual([
      [["CVE-2023-45283", "go1.21.3", ["1.21.4"]]],
      [],
    ]);
  });
});
