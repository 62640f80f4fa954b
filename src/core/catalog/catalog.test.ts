import { describe, expect, it } from "vitest";
import {
  catalogJavaArchive,
  catalogRpmHeaders,
  isDpkgPath,
  isNpmPackageJsonPath,
  makePurl,
  matchCataloger,
  parseApkInstalled,
  parseDpkgStatus,
  parseNpmLock,
  parseNpmPackageJson,
  parseOsRelease,
  parsePythonMetadata,
  parseRpmHeader,
  parseSourceRpm,
  parseYarnLock,
} from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("dpkg", () => {
  it("parses status with Source, source version in parens, and skips removed packages", () => {
    const text = `Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u1)
Version: 3.0.11-1~deb12u2
Description: SSL
 multi-line description
 .

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Source: bash

Package: oldpkg
Status: deinstall ok config-files
Version: 1.0

Package: tzdata
Status: install ok triggers-pending
Architecture: all
Version: 2024a-0+deb12u1
`;
    expect(parseDpkgStatus(enc(text), "var/lib/dpkg/status")).toEqual({
      packages: [
        {
          type: "deb",
          name: "libssl3",
          version: "3.0.11-1~deb12u2",
          sourceName: "openssl",
          sourceVersion: "3.0.11-1~deb12u1",
          arch: "amd64",
          locations: ["var/lib/dpkg/status"],
        },
        {
          type: "deb",
          name: "bash",
          version: "5.2.15-2+b2",
          sourceName: "bash",
          sourceVersion: "5.2.15-2+b2",
          arch: "amd64",
          locations: ["var/lib/dpkg/status"],
        },
        {
          type: "deb",
          name: "tzdata",
          version: "2024a-0+deb12u1",
          sourceName: "tzdata",
          sourceVersion: "2024a-0+deb12u1",
          arch: "all",
          locations: ["var/lib/dpkg/status"],
        },
      ],
      coverage: [],
    });
  });

  it("matches status and distroless status.d files but not md5sums", () => {
    expect([
      isDpkgPath("var/lib/dpkg/status"),
      isDpkgPath("var/lib/dpkg/status.d/base-files"),
      isDpkgPath("var/lib/dpkg/status.d/base-files.md5sums"),
      isDpkgPath("var/lib/dpkg/status-old"),
    ]).toEqual([true, true, false, false]);
  });

  describe("pathological cases", () => {
    it("reports stanzas without Package or Version and keeps the rest", () => {
      const r = parseDpkgStatus(enc("Version: 1\n\nPackage: x\n\nPackage: ok\nVersion: 2\n"), "s");
      expect(r).toEqual({
        packages: [
          { type: "deb", name: "ok", version: "2", sourceName: "ok", sourceVersion: "2", locations: ["s"] },
        ],
        coverage: [
          { reason: "parse-error", subject: "s", message: "dpkg stanza without Package" },
          { reason: "parse-error", subject: "s", message: "dpkg stanza without Version (package x)" },
        ],
      });
    });
    it("survives binary garbage, CRLF and a lone continuation line", () => {
      const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x0a, 0x20, 0x41, 0x0d, 0x0a]);
      expect(parseDpkgStatus(bytes, "s").packages).toEqual([]);
      expect(parseDpkgStatus(enc("Package: a\r\nVersion: 1\r\n"), "s").packages.map((p) => p.name)).toEqual([
        "a",
      ]);
    });
  });
});

describe("apk", () => {
  it("parses installed records with origin as source", () => {
    const text =
      "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:libc.musl-x86_64.so.1\n\nP:libcrypto3\nV:3.1.4-r0\nA:x86_64\nL:Apache-2.0\no:openssl\n";
    expect(parseApkInstalled(enc(text), "lib/apk/db/installed")).toEqual({
      packages: [
        {
          type: "apk",
          name: "musl",
          version: "1.2.4-r2",
          sourceName: "musl",
          sourceVersion: "1.2.4-r2",
          arch: "x86_64",
          licenses: ["MIT"],
          locations: ["lib/apk/db/installed"],
        },
        {
          type: "apk",
          name: "libcrypto3",
          version: "3.1.4-r0",
          sourceName: "openssl",
          sourceVersion: "3.1.4-r0",
          arch: "x86_64",
          licenses: ["Apache-2.0"],
          locations: ["lib/apk/db/installed"],
        },
      ],
      coverage: [],
    });
  });
  describe("pathological cases", () => {
    it("reports a record without version and bounds record count", () => {
      expect(parseApkInstalled(enc("P:x\n\nP:y\nV:1\n\nP:z\nV:2\n"), "db", 1)).toEqual({
        packages: [
          { type: "apk", name: "y", version: "1", sourceName: "y", sourceVersion: "1", locations: ["db"] },
        ],
        coverage: [
          { reason: "parse-error", subject: "db", message: "apk record without V: (package x)" },
          { reason: "limit", subject: "db", message: "too many apk records; rest ignored" },
        ],
      });
    });
  });
});

describe("os-release", () => {
  it("parses quoted values and codenames", () => {
    const t =
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
    expect(parseOsRelease(enc(t))).toEqual({
      id: "debian",
      versionId: "12",
      codename: "bookworm",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
    });
    expect(parseOsRelease(enc("ID=alpine\nVERSION_ID=3.19.1\n"))).toEqual({
      id: "alpine",
      versionId: "3.19.1",
    });
  });
  describe("pathological cases", () => {
    it("returns undefined without ID and ignores junk lines", () => {
      expect(parseOsRelease(enc("# c\nNAME=x\n=y\nlower=z\n"))).toBeUndefined();
    });
  });
});

describe("npm", () => {
  it("reads installed package.json and only node_modules paths", () => {
    expect(
      parseNpmPackageJson(
        enc('{"name":"@babel/core","version":"7.23.0","license":"MIT"}'),
        "app/node_modules/@babel/core/package.json",
      ),
    ).toEqual({
      packages: [
        {
          type: "npm",
          name: "@babel/core",
          version: "7.23.0",
          licenses: ["MIT"],
          locations: ["app/node_modules/@babel/core/package.json"],
        },
      ],
      coverage: [],
    });
    expect([
      isNpmPackageJsonPath("node_modules/a/package.json"),
      isNpmPackageJsonPath("x/node_modules/@s/a/package.json"),
      isNpmPackageJsonPath("node_modules/a/lib/package.json"),
      isNpmPackageJsonPath("app/package.json"),
    ]).toEqual([true, true, false, false]);
  });
  it("reads lockfile v3 packages and v1 nested dependencies", () => {
    const v3 = {
      lockfileVersion: 3,
      packages: {
        "": { name: "root" },
        "node_modules/a": { version: "1.0.0" },
        "node_modules/a/node_modules/@s/b": { version: "2.0.0" },
        "node_modules/w": { link: true },
      },
    };
    expect(
      parseNpmLock(enc(JSON.stringify(v3)), "package-lock.json").packages.map(
        (p) => `${p.name}@${p.version}`,
      ),
    ).toEqual(["@s/b@2.0.0", "a@1.0.0"]);
    const v1 = {
      lockfileVersion: 1,
      dependencies: {
        a: { version: "1.0.0", dependencies: { b: { version: "0.1.0" } } },
        l: { version: "file:../l" },
      },
    };
    expect(
      parseNpmLock(enc(JSON.stringify(v1)), "package-lock.json").packages.map(
        (p) => `${p.name}@${p.version}`,
      ),
    ).toEqual(["a@1.0.0", "b@0.1.0"]);
  });
  it("reads yarn.lock v1", () => {
    const y =
      '# yarn lockfile v1\n\n"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.22.13":\n  version "7.22.13"\n  resolved "x"\n\nlodash@^4.17.21:\n  version "4.17.21"\n';
    expect(parseYarnLock(enc(y), "yarn.lock").packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      "@babel/code-frame@7.22.13",
      "lodash@4.17.21",
    ]);
  });
  describe("pathological cases", () => {
    it("malformed JSON is a coverage entry; __proto__ keys are dropped", () => {
      expect(parseNpmPackageJson(enc("{nope"), "p").coverage[0]?.reason).toBe("parse-error");
      const r = parseNpmLock(
        enc('{"packages":{"__proto__":{"version":"1"},"node_modules/x":{"version":"1"}}}'),
        "l",
      );
      expect(r.packages.map((p) => p.name)).toEqual(["x"]);
      expect(({} as Record<string, unknown>).version).toBeUndefined();
    });
    it("package.json without version yields nothing", () => {
      expect(parseNpmPackageJson(enc('{"name":"x"}'), "p")).toEqual({ packages: [], coverage: [] });
    });
  });
});

describe("python", () => {
  it("reads METADATA headers, not the body", () => {
    const t =
      "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\nName: not-this\n";
    expect(
      parsePythonMetadata(enc(t), "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA"),
    ).toEqual({
      packages: [
        {
          type: "pypi",
          name: "requests",
          version: "2.31.0",
          licenses: ["Apache 2.0"],
          locations: ["usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA"],
        },
      ],
      coverage: [],
    });
  });
  describe("pathological cases", () => {
    it("missing Version is a coverage entry", () => {
      expect(parsePythonMetadata(enc("Name: x\n"), "m")).toEqual({
        packages: [],
        coverage: [
          { reason: "parse-error", subject: "m", message: "Python metadata without Name or Version" },
        ],
      });
    });
  });
});

describe("java", () => {
  it("prefers pom.properties, falls back to the manifest, then the file name", () => {
    const pom = enc(
      "#Generated by Maven\ngroupId=org.apache.commons\nartifactId=commons-lang3\nversion=3.12.0\n",
    );
    expect(catalogJavaArchive({ location: "app.jar", pomProperties: [pom] })).toEqual([
      {
        type: "maven",
        group: "org.apache.commons",
        name: "commons-lang3",
        version: "3.12.0",
        locations: ["app.jar"],
      },
    ]);
    const mf = enc(
      "Manifest-Version: 1.0\nImplementation-Title: thing\nImplementation-Version: 1.\n 2.3\nImplementation-Vendor-Id: org.x\n",
    );
    expect(catalogJavaArchive({ location: "t.jar", pomProperties: [], manifest: mf })).toEqual([
      { type: "maven", group: "org.x", name: "thing", version: "1.2.3", locations: ["t.jar"] },
    ]);
    expect(
      catalogJavaArchive({ location: "a.war:WEB-INF/lib/guava-32.1.2-jre.jar", pomProperties: [] }),
    ).toEqual([
      {
        type: "maven",
        name: "guava",
        version: "32.1.2-jre",
        locations: ["a.war:WEB-INF/lib/guava-32.1.2-jre.jar"],
      },
    ]);
  });
});

/** Build an rpm header blob the way rpm lays it out (tests the parser against hand-made layouts). */
function rpmBlob(entries: [number, number, Uint8Array, number][]): Uint8Array {
  const il = entries.length;
  let data = new Uint8Array(0);
  const idx = new Uint8Array(il * 16);
  const v = new DataView(idx.buffer);
  entries.forEach(([tag, type, bytes, count], i) => {
    v.setUint32(i * 16, tag);
    v.setUint32(i * 16 + 4, type);
    v.setUint32(i * 16 + 8, data.length);
    v.setUint32(i * 16 + 12, count);
    const n = new Uint8Array(data.length + bytes.length);
    n.set(data);
    n.set(bytes, data.length);
    data = n;
  });
  const out = new Uint8Array(8 + idx.length + data.length);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, il);
  ov.setUint32(4, data.length);
  out.set(idx, 8);
  out.set(data, 8 + idx.length);
  return out;
}
const cstr = (s: string) => enc(`${s}\0`);
const i32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

describe("rpm header", () => {
  it("parses name, EVR, arch, source rpm and license", () => {
    const blob = rpmBlob([
      [1000, 6, cstr("openssl-libs"), 1],
      [1001, 6, cstr("3.0.7"), 1],
      [1002, 6, cstr("24.el9"), 1],
      [1003, 4, i32(1), 1],
      [1022, 6, cstr("x86_64"), 1],
      [1044, 6, cstr("openssl-3.0.7-24.el9.src.rpm"), 1],
      [1014, 6, cstr("ASL 2.0"), 1],
    ]);
    expect(catalogRpmHeaders([blob], "var/lib/rpm/rpmdb.sqlite")).toEqual({
      packages: [
        {
          type: "rpm",
          name: "openssl-libs",
          version: "1:3.0.7-24.el9",
          arch: "x86_64",
          licenses: ["ASL 2.0"],
          sourceName: "openssl",
          sourceVersion: "1:3.0.7-24.el9",
          locations: ["var/lib/rpm/rpmdb.sqlite"],
        },
      ],
      coverage: [],
    });
    expect(parseSourceRpm("java-17-openjdk-17.0.9.0.9-2.el9.src.rpm")).toEqual({
      name: "java-17-openjdk",
      version: "17.0.9.0.9-2.el9",
    });
  });
  describe("pathological cases", () => {
    it("rejects out-of-range counts, offsets and truncation; one bad blob does not stop the rest", () => {
      const good = rpmBlob([
        [1000, 6, cstr("a"), 1],
        [1001, 6, cstr("1"), 1],
        [1002, 6, cstr("1"), 1],
      ]);
      const huge = new Uint8Array(8);
      new DataView(huge.buffer).setUint32(0, 0x7fffffff);
      const truncated = good.subarray(0, good.length - 3);
      const badOffset = good.slice();
      new DataView(badOffset.buffer).setUint32(8 + 8, 9999);
      const unterminated = rpmBlob([
        [1001, 6, cstr("1"), 1],
        [1002, 6, cstr("1"), 1],
        [1000, 6, enc("abc"), 1],
      ]);
      expect(() => parseRpmHeader(huge)).toThrow(/index count/);
      expect(() => parseRpmHeader(truncated)).toThrow(/truncated/);
      expect(() => parseRpmHeader(badOffset)).toThrow(/outside data/);
      const r = catalogRpmHeaders([huge, good, unterminated], "db");
      expect(r.packages.map((p) => p.name)).toEqual(["a"]);
      expect(r.coverage.map((c) => c.message)).toEqual([
        "rpm header #1: rpm header index count 2147483647 out of range",
        "rpm header #3: rpm tag 1000: unterminated string",
      ]);
    });
  });
});

describe("purl", () => {
  const os = { id: "debian", versionId: "12" };
  it("builds distro-qualified purls", () => {
    expect(
      makePurl(
        { type: "deb", name: "libssl3", version: "1:3.0.11-1~deb12u2", arch: "amd64", locations: [] },
        os,
      ),
    ).toBe("pkg:deb/debian/libssl3@1:3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
    expect(
      makePurl(
        { type: "rpm", name: "bash", version: "2:5.1-6.el9", arch: "x86_64", locations: [] },
        { id: "rhel", versionId: "9.3" },
      ),
    ).toBe("pkg:rpm/redhat/bash@5.1-6.el9?arch=x86_64&distro=rhel-9.3&epoch=2");
    expect(makePurl({ type: "npm", name: "@babel/core", version: "7.0.0", locations: [] }, os)).toBe(
      "pkg:npm/%40babel/core@7.0.0",
    );
    expect(makePurl({ type: "golang", name: "github.com/a/b", version: "v1.2.3", locations: [] }, os)).toBe(
      "pkg:golang/github.com/a/b@v1.2.3",
    );
    expect(makePurl({ type: "maven", group: "g.h", name: "a", version: "1", locations: [] }, os)).toBe(
      "pkg:maven/g.h/a@1",
    );
    expect(
      makePurl(
        { type: "apk", name: "musl", version: "1.2.4-r2", arch: "x86_64", locations: [] },
        { id: "alpine", versionId: "3.19.1" },
      ),
    ).toBe("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1");
  });
});

describe("matchCataloger", () => {
  it("routes paths to catalogers", () => {
    const paths = [
      "etc/os-release",
      "var/lib/dpkg/status",
      "lib/apk/db/installed",
      "var/lib/rpm/rpmdb.sqlite",
      "usr/lib/node_modules/npm/node_modules/semver/package.json",
      "srv/app/package-lock.json",
      "usr/lib/python3.11/site-packages/pip-23.0.dist-info/METADATA",
      "opt/app.jar",
      "usr/bin/ls",
    ];
    expect(paths.map(matchCataloger)).toEqual([
      "os-release",
      "dpkg",
      "apk",
      "rpm",
      "npm",
      "npm",
      "python",
      "java",
      undefined,
    ]);
  });
});
