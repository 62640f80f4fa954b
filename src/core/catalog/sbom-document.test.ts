import { describe, expect, it } from "vitest";
import {
  matchCataloger,
  PackageTracker,
  parseApkInstalled,
  parseSbomDocumentFile,
  purlIdentity,
} from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** A Wolfi per-package SBOM as melange writes it into /var/lib/db/sbom (SPDX 2.3 JSON, three purls per package). */
const WOLFI_GLIBC = JSON.stringify({
  SPDXID: "SPDXRef-DOCUMENT",
  name: "apk-glibc-2.39-r6",
  spdxVersion: "SPDX-2.3",
  creationInfo: { created: "2024-05-01T00:00:00Z", creators: ["Tool: melange (v0.6.0)"] },
  dataLicense: "CC0-1.0",
  documentNamespace: "https://spdx.org/spdxdocs/chainguard/melange/abc",
  documentDescribes: ["SPDXRef-Package-glibc-2.39-r6"],
  packages: [
    {
      SPDXID: "SPDXRef-Package-glibc-2.39-r6",
      name: "glibc",
      versionInfo: "2.39-r6",
      filesAnalyzed: false,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "LGPL-2.1-or-later",
      downloadLocation: "NOASSERTION",
      originator: "Organization: Wolfi",
      supplier: "Organization: Wolfi",
      externalRefs: [
        {
          referenceCategory: "PACKAGE_MANAGER",
          referenceLocator: "pkg:apk/wolfi/glibc@2.39-r6?arch=x86_64",
          referenceType: "purl",
        },
        {
          referenceCategory: "PACKAGE_MANAGER",
          referenceLocator:
            "pkg:generic/glibc@2.39?download_url=http%3A%2F%2Fftp.gnu.org%2Fgnu%2Flibc%2Fglibc-2.39.tar.xz",
          referenceType: "purl",
        },
      ],
    },
  ],
  relationships: [
    {
      spdxElementId: "SPDXRef-DOCUMENT",
      relationshipType: "DESCRIBES",
      relatedSpdxElement: "SPDXRef-Package-glibc-2.39-r6",
    },
  ],
});

/** An application's CycloneDX 1.5 BOM (as `cyclonedx-npm` writes it) with one component also installed. */
const APP_BOM = JSON.stringify({
  bomFormat: "CycloneDX",
  specVersion: "1.5",
  version: 1,
  metadata: { component: { type: "application", name: "app", version: "1.0.0" } },
  components: [
    { type: "library", name: "express", version: "4.18.2", purl: "pkg:npm/express@4.18.2" },
    { type: "library", name: "lodash", version: "4.17.20", purl: "pkg:npm/lodash@4.17.20" },
    {
      type: "library",
      group: "@babel",
      name: "core",
      version: "7.22.0",
      purl: "pkg:npm/%40babel/core@7.22.0",
    },
  ],
});

/** The SPDX 2.3 spec's tag-value form of a document with one package (clause 5). */
const TAG_VALUE = `## Document Information
SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: sample
DocumentNamespace: https://example.com/sample
Creator: Tool: example
Created: 2024-01-01T00:00:00Z
Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app

PackageName: app
SPDXID: SPDXRef-app
PackageVersion: 2.0
PackageDownloadLocation: NOASSERTION

## Package
PackageName: requests
SPDXID: SPDXRef-requests
PackageVersion: 2.31.0
PackageDownloadLocation: NOASSERTION
PackageLicenseDeclared: Apache-2.0
PackageComment: <text>pinned for
the API client</text>
ExternalRef: PACKAGE-MANAGER purl pkg:pypi/requests@2.31.0

FileName: ./setup.py
SPDXID: SPDXRef-file
`;

describe("SBOM documents as a package source", () => {
  it("files named by the CycloneDX and SPDX conventions are SBOM documents; other JSON is not", () => {
    expect(
      [
        "var/lib/db/sbom/glibc-2.39-r6.spdx.json",
        "srv/app/bom.json",
        "srv/app/BOM.XML",
        "srv/app/app.cdx.json",
        "srv/app/app.cyclonedx.xml",
        "srv/app/sbom.spdx",
        "srv/app/package.json", // an application's manifest, not an installed package
        "srv/app/.spdx",
        "srv/app/tsconfig.json",
      ].map((p) => matchCataloger(p) ?? "-"),
    ).toEqual([
      "sbom-document",
      "sbom-document",
      "sbom-document",
      "sbom-document",
      "sbom-document",
      "sbom-document",
      "-",
      "-",
      "-",
    ]);
  });

  it("a Wolfi per-package SPDX document gives its apk package with the document's purl and path", () => {
    const path = "var/lib/db/sbom/glibc-2.39-r6.spdx.json";
    expect(parseSbomDocumentFile(enc(WOLFI_GLIBC), path)).toEqual({
      packages: [
        {
          type: "apk",
          name: "glibc",
          version: "2.39-r6",
          purl: "pkg:apk/wolfi/glibc@2.39-r6?arch=x86_64",
          arch: "x86_64",
          licenses: ["LGPL-2.1-or-later"],
          locations: [path],
        },
      ],
      coverage: [],
    });
  });

  it("a CycloneDX XML document, nested components flattened", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <components>
    <component type="library">
      <group>org.apache.logging.log4j</group><name>log4j-core</name><version>2.14.1</version>
      <purl>pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1</purl>
      <components>
        <component type="library"><name>log4j-api</name><version>2.14.1</version>
          <purl>pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1</purl></component>
      </components>
    </component>
  </components>
</bom>`;
    expect(
      parseSbomDocumentFile(enc(xml), "opt/app/bom.xml").packages.map((p) => `${p.purl} ${p.locations}`),
    ).toEqual([
      "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1 opt/app/bom.xml",
      "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 opt/app/bom.xml",
    ]);
  });

  it("an SPDX tag-value document (multi-line text; the described package is the subject, not a dependency)", () => {
    const r = parseSbomDocumentFile(enc(TAG_VALUE), "sbom.spdx");
    expect(r).toEqual({
      packages: [
        {
          type: "pypi",
          name: "requests",
          version: "2.31.0",
          purl: "pkg:pypi/requests@2.31.0",
          licenses: ["Apache-2.0"],
          locations: ["sbom.spdx"],
        },
      ],
      coverage: [],
    });
  });

  it("de-duplicated by purl against what the filesystem showed; the document joins the package's locations", () => {
    const t = new PackageTracker();
    t.put("etc/os-release", {
      result: { packages: [], coverage: [] },
      os: { id: "wolfi", versionId: "20230201" },
    });
    t.put("lib/apk/db/installed", {
      result: parseApkInstalled(
        enc("P:glibc\nV:2.39-r6\nA:x86_64\no:glibc\n\nP:express-js\nV:1\nA:x86_64\n\n"),
        "lib/apk/db/installed",
      ),
    });
    t.put("srv/app/node_modules/express/package.json", {
      result: {
        packages: [
          {
            type: "npm",
            name: "express",
            version: "4.18.2",
            locations: ["srv/app/node_modules/express/package.json"],
          },
        ],
        coverage: [],
      },
    });
    t.put("var/lib/db/sbom/glibc-2.39-r6.spdx.json", {
      result: parseSbomDocumentFile(enc(WOLFI_GLIBC), "var/lib/db/sbom/glibc-2.39-r6.spdx.json"),
    });
    t.put("srv/app/bom.json", { result: parseSbomDocumentFile(enc(APP_BOM), "srv/app/bom.json") });
    t.put("srv/app/app.cdx.json", { result: parseSbomDocumentFile(enc(APP_BOM), "srv/app/app.cdx.json") });
    t.commitLayer();
    const { sbom, coverage } = t.finish({ kind: "image", name: "t" }, [{ diffId: "sha256:l0" }]);
    expect(coverage).toEqual([]);
    expect(sbom.packages.map((p) => `${p.purl} ${p.locations.join(",")} ${p.layerIndex}`)).toEqual([
      "pkg:apk/wolfi/express-js@1?arch=x86_64&distro=wolfi-20230201 lib/apk/db/installed 0",
      "pkg:apk/wolfi/glibc@2.39-r6?arch=x86_64&distro=wolfi-20230201 lib/apk/db/installed,var/lib/db/sbom/glibc-2.39-r6.spdx.json 0",
      "pkg:npm/express@4.18.2 srv/app/node_modules/express/package.json,srv/app/app.cdx.json,srv/app/bom.json 0",
      "pkg:npm/lodash@4.17.20 srv/app/app.cdx.json,srv/app/bom.json 0",
      "pkg:npm/%40babel/core@7.22.0 srv/app/app.cdx.json,srv/app/bom.json 0",
    ]);
  });

  it("purl identity: qualifiers and subpath dropped, names compared as their ecosystem compares them", () => {
    expect([
      purlIdentity("pkg:apk/wolfi/glibc@2.39-r6?arch=x86_64&distro=wolfi-20230201"),
      purlIdentity("pkg:apk/wolfi/glibc@2.39-r6?arch=x86_64#sub/path"),
      purlIdentity("pkg:pypi/Zope.Interface@6.0"),
      purlIdentity("pkg:pypi/zope-interface@6.0"),
      purlIdentity("pkg:nuget/Newtonsoft.Json@13.0.1"),
      purlIdentity("pkg:npm/Express@4.18.2"),
      purlIdentity("not a purl"),
    ]).toEqual([
      "apk/wolfi/glibc@2.39-r6",
      "apk/wolfi/glibc@2.39-r6",
      "pypi//zope-interface@6.0",
      "pypi//zope-interface@6.0",
      "nuget//newtonsoft.json@13.0.1",
      "npm//Express@4.18.2",
      "not a purl",
    ]);
  });

  describe("pathological cases", () => {
    const P = "srv/bom.json";
    const one = (text: string) => parseSbomDocumentFile(enc(text), P);
    it("truncated, not an object, prototype keys, a scanner report, an unknown format: one entry each", () => {
      expect(
        [
          one(APP_BOM.slice(0, 100)),
          one("[1,2]"),
          one('{"bomFormat":"CycloneDX","specVersion":"1.5","__proto__":{"x":1}}'),
          one('{"SchemaVersion":2,"Results":[]}'),
          one('{"name":"not an sbom"}'),
          one("SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>never closed\n"),
          one("SPDXVersion: SPDX-2.3\nthis line has no tag\n"),
        ].map((r) => [r.packages.length, r.coverage.map((c) => `${c.reason}: ${c.message}`)]),
      ).toEqual([
        [0, [expect.stringMatching(/^parse-error: sbom document: invalid JSON/)]],
        [0, ["parse-error: sbom document: SBOM must be a JSON object"]],
        [0, ["parse-error: sbom document: forbidden key __proto__"]],
        [
          0,
          [
            "unsupported: sbom document: a trivy-json scanner report, not an SBOM; not read as a package source",
          ],
        ],
        [
          0,
          [
            "unsupported: sbom document: unrecognised SBOM: expected CycloneDX, SPDX 2.3, Trivy or Grype JSON, CycloneDX XML or SPDX tag-value",
          ],
        ],
        [0, ["parse-error: sbom document: SPDX tag-value line 3: <text> without </text>"]],
        [0, ["parse-error: sbom document: SPDX tag-value line 2: not a Tag: value line"]],
      ]);
    });

    it("wrong types inside a valid document are skipped, not fatal", () => {
      const r = one(
        JSON.stringify({
          bomFormat: "CycloneDX",
          specVersion: "1.5",
          components: [
            { name: 5 },
            "x",
            null,
            { type: "library", name: "ok", version: "1", purl: "pkg:npm/ok@1" },
          ],
        }),
      );
      expect(r.packages.map((p) => p.purl)).toEqual(["pkg:npm/ok@1"]);
    });
  });
});
