import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PalisadeError } from "../errors/index.js";
import { fromCycloneDxJson, toCycloneDx } from "./cyclonedx.js";
import type { Sbom } from "./model.js";
import { parseSbomDocument } from "./parse.js";
import { formatPurl, parsePurl } from "./purl.js";
import { fromSpdxJson, toSpdx } from "./spdx.js";
import { parseXml } from "./xml.js";

const FIX = join(import.meta.dirname, "__fixtures__");
const now = new Date("2024-05-01T12:00:00Z");

const sbom: Sbom = {
  subject: { kind: "image", name: "registry.example/app:1.0", digest: "sha256:abcd" },
  os: { id: "debian", versionId: "12", codename: "bookworm", prettyName: "Debian GNU/Linux 12 (bookworm)" },
  layers: [{ diffId: "sha256:1111" }, { diffId: "sha256:2222" }],
  packages: [
    {
      type: "deb",
      name: "libssl3",
      version: "3.0.11-1~deb12u1",
      purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12",
      sourceName: "openssl",
      sourceVersion: "3.0.11-1~deb12u1",
      arch: "amd64",
      licenses: ["Apache-2.0"],
      locations: ["var/lib/dpkg/status"],
      layerDiffId: "sha256:1111",
      layerIndex: 0,
    },
    {
      type: "maven",
      name: "log4j-core",
      group: "org.apache.logging.log4j",
      version: "2.14.1",
      purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
      locations: ["app/lib/log4j-core-2.14.1.jar"],
      layerDiffId: "sha256:2222",
      layerIndex: 1,
    },
    {
      type: "npm",
      name: "@babel/core",
      version: "7.22.0",
      purl: "pkg:npm/%40babel/core@7.22.0",
      locations: [],
    },
  ],
};

describe("CycloneDX", () => {
  it("round-trips Sbom -> CycloneDX JSON -> Sbom", () => {
    const doc = toCycloneDx(sbom, { now });
    expect(fromCycloneDxJson(JSON.parse(JSON.stringify(doc)), "x.cdx.json")).toEqual({
      ...sbom,
      packages: [...sbom.packages].sort((a, b) => (a.purl < b.purl ? -1 : 1)),
    });
  });

  it("is deterministic: same content, same serialNumber; the clock only sets the timestamp", () => {
    const a = toCycloneDx(sbom, { now });
    const b = toCycloneDx(
      { ...sbom, packages: [...sbom.packages].reverse() },
      { now: new Date("2030-01-01T00:00:00Z") },
    );
    expect([a.serialNumber, JSON.stringify(a.components)]).toEqual([
      b.serialNumber,
      JSON.stringify(b.components),
    ]);
    expect(a.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("reads CycloneDX XML components, nested components and properties", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <metadata><component type="container"><name>app &amp; co</name></component></metadata>
  <components>
    <component type="library" bom-ref="a">
      <group>org.apache.logging.log4j</group><name>log4j-core</name><version>2.14.1</version>
      <purl>pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1</purl>
      <licenses><license><id>Apache-2.0</id></license></licenses>
      <components>
        <component type="library"><name>semver</name><version>7.5.1</version><purl><![CDATA[pkg:npm/semver@7.5.1]]></purl></component>
      </components>
    </component>
    <!-- a comment -->
    <component type="operating-system"><name>alpine</name><version>3.19.1</version></component>
  </components>
</bom>`;
    expect(parseSbomDocument(xml, "b.xml")).toEqual({
      format: "cyclonedx-xml",
      sbom: {
        subject: { kind: "sbom", name: "app & co" },
        os: { id: "alpine", versionId: "3.19.1" },
        layers: [],
        packages: [
          {
            type: "maven",
            name: "log4j-core",
            group: "org.apache.logging.log4j",
            version: "2.14.1",
            purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            licenses: ["Apache-2.0"],
            locations: [],
          },
          { type: "npm", name: "semver", version: "7.5.1", purl: "pkg:npm/semver@7.5.1", locations: [] },
        ],
      },
    });
  });
});

describe("SPDX 2.3", () => {
  it("writes purls as external references and reads them back", () => {
    const doc = toSpdx(sbom, { now });
    const back = fromSpdxJson(JSON.parse(JSON.stringify(doc)), "x.spdx.json");
    expect(back).toEqual({
      subject: { kind: "sbom", name: "registry.example/app:1.0" },
      layers: [],
      packages: [...sbom.packages]
        .sort((a, b) => (a.purl < b.purl ? -1 : 1))
        .map(({ layerIndex: _l, ...p }) => p),
    });
    expect((doc.creationInfo as { created: string }).created).toBe("2024-05-01T12:00:00.000Z");
  });

  it("the tag-value form of a document reads as its JSON form does", () => {
    const doc = toSpdx(sbom, { now }) as {
      spdxVersion: string;
      name: string;
      packages: Record<string, unknown>[];
      relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
    };
    // SPDX 2.3 clause 5: one `Tag: value` per line, multi-line values in <text>, a package per PackageName.
    const lines = [
      `SPDXVersion: ${doc.spdxVersion}`,
      "SPDXID: SPDXRef-DOCUMENT",
      `DocumentName: ${doc.name}`,
    ];
    for (const r of doc.relationships)
      lines.push(`Relationship: ${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`);
    for (const p of doc.packages) {
      lines.push("", `PackageName: ${p.name}`, `SPDXID: ${p.SPDXID}`);
      if (p.versionInfo) lines.push(`PackageVersion: ${p.versionInfo}`);
      if (p.licenseDeclared) lines.push(`PackageLicenseDeclared: ${p.licenseDeclared}`);
      if (p.sourceInfo) lines.push(`PackageSourceInfo: <text>${p.sourceInfo}</text>`);
      if (p.comment) lines.push(`PackageComment: <text>${p.comment}</text>`);
      for (const r of (p.externalRefs ?? []) as Record<string, string>[])
        lines.push(`ExternalRef: ${r.referenceCategory} ${r.referenceType} ${r.referenceLocator}`);
    }
    const read = parseSbomDocument(`# written by hand\n${lines.join("\r\n")}\n`, "x.spdx");
    expect(read.format).toBe("spdx-tag-value");
    expect(read.sbom).toEqual(fromSpdxJson(JSON.parse(JSON.stringify(doc)), "x.spdx"));
    expect(read.sbom.packages.length).toBe(sbom.packages.length);
  });
});

describe("scanner reports", () => {
  it("reads a Trivy report (packages with epoch/release, vulnerabilities-only results)", () => {
    const { format, sbom: s } = parseSbomDocument(
      readFileSync(join(FIX, "trivy.json"), "utf8"),
      "trivy.json",
    );
    expect(format).toBe("trivy-json");
    expect(s).toEqual({
      subject: { kind: "image", name: "debian:12" },
      os: { id: "debian", versionId: "12.2" },
      layers: [{ diffId: "sha256:1111" }],
      packages: [
        {
          type: "deb",
          name: "libssl3",
          version: "3.0.11-1~deb12u1",
          purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12.2",
          sourceName: "openssl",
          sourceVersion: "3.0.11-1~deb12u1",
          arch: "amd64",
          layerDiffId: "sha256:1111",
          locations: [],
        },
        {
          type: "deb",
          name: "tar",
          version: "1:1.34+dfsg-1.2+deb12u1",
          purl: "pkg:deb/debian/tar@1.34%2Bdfsg-1.2%2Bdeb12u1?arch=amd64&epoch=1",
          sourceName: "tar",
          sourceVersion: "1:1.34+dfsg-1.2+deb12u1",
          layerDiffId: "sha256:1111",
          locations: [],
        },
        {
          type: "npm",
          name: "semver",
          version: "7.5.1",
          purl: "pkg:npm/semver@7.5.1",
          locations: ["app/package-lock.json"],
        },
      ],
    });
  });

  it("reads a Grype report", () => {
    const { format, sbom: s } = parseSbomDocument(
      readFileSync(join(FIX, "grype.json"), "utf8"),
      "grype.json",
    );
    expect([format, s]).toEqual([
      "grype-json",
      {
        subject: { kind: "image", name: "alpine-app:1" },
        os: { id: "alpine", versionId: "3.19.1" },
        layers: [],
        packages: [
          {
            type: "apk",
            name: "libcrypto3",
            version: "3.1.4-r0",
            purl: "pkg:apk/alpine/libcrypto3@3.1.4-r0?arch=x86_64&upstream=openssl&distro=alpine-3.19.1",
            sourceName: "openssl",
            locations: ["/lib/apk/db/installed"],
            layerDiffId: "sha256:1111",
          },
          {
            type: "maven",
            name: "log4j-core",
            group: "org.apache.logging.log4j",
            version: "2.14.1",
            purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            locations: ["/app/lib/log4j-core-2.14.1.jar"],
            layerDiffId: "sha256:2222",
          },
        ],
      },
    ]);
  });
});

describe("purl", () => {
  it("parses and formats with percent-decoding and sorted qualifiers", () => {
    const p = parsePurl("pkg:npm/%40babel/core@7.22.0?b=2&a=1#sub");
    expect(p).toEqual({
      type: "npm",
      namespace: "@babel",
      name: "core",
      version: "7.22.0",
      qualifiers: Object.assign(Object.create(null), { a: "1", b: "2" }),
    });
    expect(p && formatPurl(p)).toBe("pkg:npm/%40babel/core@7.22.0?a=1&b=2");
  });
});

describe("pathological cases", () => {
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
      return undefined;
    } catch (e) {
      return e instanceof PalisadeError ? e.code : `non-palisade: ${String(e)}`;
    }
  };

  it.each([
    ["DOCTYPE", `<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x "y">]><bom/>`, "UNSAFE"],
    ["external entity", `<!DOCTYPE bom SYSTEM "file:///etc/passwd"><bom/>`, "UNSAFE"],
    [
      "undeclared entity reference",
      `<bom><components><component><name>&xxe;</name></component></components></bom>`,
      "UNSAFE",
    ],
    ["mismatched tags", `<bom><components></bom>`, "INPUT"],
    ["unclosed root", `<bom><components>`, "INPUT"],
    ["two roots", `<bom/><bom/>`, "INPUT"],
    ["deep nesting", `${"<a>".repeat(300)}${"</a>".repeat(300)}`, "LIMIT"],
    ["not bom", `<html/>`, "INPUT"],
  ])("XML: %s -> %s", (_n, xml, expected) => {
    expect(code(() => parseSbomDocument(xml, "x.xml"))).toBe(expected);
  });

  it.each([
    ["__proto__ key", `{"bomFormat":"CycloneDX","components":[{"name":"a","__proto__":{"x":1}}]}`, "UNSAFE"],
    ["truncated JSON", `{"bomFormat":"CycloneDX","compo`, "INPUT"],
    ["unknown document", `{"hello":"world"}`, "UNSUPPORTED"],
    ["JSON array", `[1,2]`, "INPUT"],
  ])("JSON: %s -> %s", (_n, text, expected) => {
    expect(code(() => parseSbomDocument(text, "x.json"))).toBe(expected);
  });

  it("numeric character references decode, predefined entities only", () => {
    expect(parseXml("<a x='&#x41;&#66;&lt;'>&quot;&apos;</a>")).toEqual({
      name: "a",
      attributes: Object.assign(Object.create(null), { x: "AB<" }),
      children: [],
      text: `"'`,
      offset: 0,
    });
  });

  it("components with missing fields are skipped or kept generic, never crash", () => {
    const s = fromCycloneDxJson(
      {
        bomFormat: "CycloneDX",
        components: [null, 5, { name: 3 }, { name: "x" }, { name: "y", purl: "not-a-purl" }],
      },
      "w.json",
    );
    expect(s.packages.map((p) => [p.type, p.name, p.version, p.purl])).toEqual([
      ["generic", "x", "", ""],
      ["generic", "y", "", "not-a-purl"],
    ]);
  });
});
