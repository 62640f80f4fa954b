import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { matchCataloger, PackageTracker } from "./index.js";
import { parseGradleLockfile, parsePomXml } from "./java-source.js";

const DIR = join(import.meta.dirname, "__fixtures__", "source", "java");
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const enc = (s: string) => new TextEncoder().encode(s);
const mvn = (group: string, name: string, version: string, file: string, line: number) => ({
  type: "maven",
  group,
  name,
  version,
  locations: [file],
  line,
});

describe("Java source files", () => {
  it("are matched by path", () => {
    expect(
      [
        "gradle.lockfile",
        "app/buildscript-gradle.lockfile",
        "settings-gradle.lockfile",
        "app/gradle/dependency-locks/compileClasspath.lockfile",
        "svc/pom.xml",
        "x.lockfile",
        "pom.xml.bak",
      ].map(matchCataloger),
    ).toEqual(["gradle", "gradle", "gradle", "gradle", "pom", undefined, undefined]);
  });

  it("gradle.lockfile: one package per locked coordinate, at its line; empty= lines are not packages", () => {
    expect(parseGradleLockfile(read("gradle.lockfile"), "gradle.lockfile")).toEqual({
      packages: [
        mvn("com.fasterxml.jackson.core", "jackson-databind", "2.13.2", "gradle.lockfile", 4),
        mvn("com.google.guava", "guava", "31.0.1-jre", "gradle.lockfile", 5),
        mvn("junit", "junit", "4.13.2", "gradle.lockfile", 6),
        mvn("org.apache.logging.log4j", "log4j-core", "2.14.1", "gradle.lockfile", 7),
      ],
      coverage: [],
    });
    expect(parseGradleLockfile(read("buildscript-gradle.lockfile"), "b").packages).toEqual([
      mvn("org.springframework.boot", "spring-boot-gradle-plugin", "2.6.4", "b", 4),
    ]);
    // Gradle 4.8-5 per-configuration files: no "=confs".
    expect(
      parseGradleLockfile(enc("# comment\nio.netty:netty-codec:4.1.68.Final\n"), "c.lockfile").packages,
    ).toEqual([mvn("io.netty", "netty-codec", "4.1.68.Final", "c.lockfile", 2)]);
  });

  it("pom.xml: explicit versions, properties resolved within the pom, managed versions, and what cannot be known", () => {
    const r = parsePomXml(read("pom.xml"), "svc/pom.xml");
    expect(r.packages).toEqual([
      mvn("org.apache.logging.log4j", "log4j-core", "2.14.1", "svc/pom.xml", 39),
      mvn("com.example", "orders-api", "3.1.0", "svc/pom.xml", 44),
      mvn("org.yaml", "snakeyaml", "1.30", "svc/pom.xml", 49),
      {
        ...mvn("io.netty", "netty-tcnative-boringssl-static", "2.0.52.Final", "svc/pom.xml", 53),
        purlQualifiers: { classifier: "linux-x86_64" },
      },
      mvn("junit", "junit", "4.13.2", "svc/pom.xml", 73),
      {
        ...mvn("com.fasterxml.jackson", "jackson-bom", "2.13.4", "svc/pom.xml", 23),
        purlQualifiers: { type: "pom" },
      },
    ]);
    expect(r.coverage.map((c) => [c.reason, c.location?.line, c.message])).toEqual([
      [
        "not-evaluated",
        59,
        "com.fasterxml.jackson.core:jackson-databind: no version in this pom (inherited from a parent pom or a BOM)",
      ],
      [
        "not-evaluated",
        63,
        "commons-io:commons-io: version ${commons-io.version}: ${commons-io.version} is not defined in this pom",
      ],
      ["not-evaluated", 68, "org.slf4j:slf4j-api: version range [1.7,2.0) is not one version"],
    ]);
  });

  it("purls carry the group as namespace and type/classifier as qualifiers", () => {
    const t = new PackageTracker();
    t.put("pom.xml", { result: parsePomXml(read("pom.xml"), "pom.xml") });
    t.commitLayer();
    const purls = t.finish({ kind: "directory", name: "x" }, []).sbom.packages.map((p) => p.purl);
    expect(purls).toContain(
      "pkg:maven/io.netty/netty-tcnative-boringssl-static@2.0.52.Final?classifier=linux-x86_64",
    );
    expect(purls).toContain("pkg:maven/com.fasterxml.jackson/jackson-bom@2.13.4?type=pom");
    expect(purls).toContain("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
  });

  describe("pathological cases", () => {
    it("a truncated pom is a parse error; a pom that is not a <project> says so", () => {
      const text = readFileSync(join(DIR, "pom.xml"), "utf8");
      expect(parsePomXml(enc(text.slice(0, 1500)), "pom.xml").coverage.map((c) => c.reason)).toEqual([
        "parse-error",
      ]);
      expect(parsePomXml(enc("<settings/>"), "pom.xml").coverage[0]?.message).toBe(
        "pom.xml: the root element is not <project>",
      );
    });

    it("DOCTYPE and entities (XXE, billion laughs) are refused", () => {
      const xxe =
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><project>&x;</project>';
      expect(parsePomXml(enc(xxe), "pom.xml").coverage[0]?.message).toMatch(/DOCTYPE/);
    });

    it("property cycles and self-expanding properties stop, as unresolved", () => {
      const pom = (props: string) =>
        enc(
          `<project><properties>${props}</properties><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>\${v}</version></dependency></dependencies></project>`,
        );
      expect(parsePomXml(pom("<v>${w}</v><w>${v}</w>"), "p").coverage[0]?.message).toBe(
        "g:a: version ${v}: ${(a reference cycle)} is not defined in this pom",
      );
      expect(
        parsePomXml(
          pom(
            "<v>${w}${w}</v><w>${x}${x}${x}${x}</w><x>${y}${y}${y}${y}</x><y>${z}${z}${z}${z}</y><z>0123456789012345678901234567890123456789</z>",
          ),
          "p",
        ).coverage[0]?.message,
      ).toMatch(/expands past 4096/);
      expect(parsePomXml(pom("<__proto__>1</__proto__>"), "p").coverage[0]?.message).toBe(
        "g:a: version ${v}: ${v} is not defined in this pom",
      );
    });

    it("wrong shapes: dependencies without coordinates, malformed lock lines", () => {
      const r = parsePomXml(
        enc("<project><dependencies><dependency><version>1</version></dependency></dependencies></project>"),
        "p",
      );
      expect(r.coverage.map((c) => c.message)).toEqual([
        "pom.xml: a <dependency> without groupId or artifactId",
      ]);
      const g = parseGradleLockfile(enc("a:b=c\n:::\ng:a:1=x\n\u0000\u0001"), "gradle.lockfile");
      expect([g.packages.length, g.coverage.map((c) => c.location?.line)]).toEqual([1, [1, 2, 4]]);
    });

    it("huge: 200,001 lock entries stop at the cap", () => {
      const many = Array.from({ length: 200_001 }, (_, i) => `g:a${i}:1.0=runtimeClasspath`).join("\n");
      const r = parseGradleLockfile(enc(many), "gradle.lockfile");
      expect([r.packages.length, r.coverage.map((c) => c.reason)]).toEqual([200_000, ["limit"]]);
    });
  });
});
