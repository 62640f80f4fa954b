/**
 * Java source trees: Gradle dependency lockfiles and Maven `pom.xml` files with explicit versions. Each package
 * keeps the line of its entry. A pom's `${...}` references are resolved within the same pom (its `<properties>`,
 * `project.version`/`project.groupId` and the parent's); a version that is not known from the file alone (an
 * unresolved property, a range, one managed by a parent or BOM) is a coverage entry naming the line.
 */
import type { CoverageEntry } from "../findings/index.js";
import { parseXml, type XmlElement, xmlChild, xmlLocalName } from "../sbom/index.js";
import type { CatalogedPackage, CatalogResult } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";

/** Packages kept from one file; past it, a limit coverage entry. */
const MAX_PACKAGES = 200_000;

/**
 * `gradle.lockfile` and `buildscript-gradle.lockfile` (Gradle 6+, one per project), `settings-gradle.lockfile`,
 * and the older one-file-per-configuration `gradle/dependency-locks/<configuration>.lockfile`.
 */
export function isGradleLockfilePath(path: string): boolean {
  const b = baseName(path);
  return (
    b === "gradle.lockfile" ||
    b === "buildscript-gradle.lockfile" ||
    b === "settings-gradle.lockfile" ||
    /(?:^|\/)gradle\/dependency-locks\/[^/]+\.lockfile$/.test(path)
  );
}

export function isPomXmlPath(path: string): boolean {
  return baseName(path) === "pom.xml";
}

function located(
  path: string,
  line: number,
  reason: CoverageEntry["reason"],
  message: string,
): CoverageEntry {
  return { reason, subject: path, location: { file: path, line, column: 1 }, message };
}

/**
 * A Gradle lockfile (docs.gradle.org "Locking dependency versions"): `group:artifact:version=conf1,conf2` per
 * line, `empty=confs` for configurations that resolved nothing, `#` comments. The per-configuration files of
 * Gradle 4.8-5 have `group:artifact:version` lines without `=`.
 */
export function parseGradleLockfile(data: Uint8Array, path: string): CatalogResult {
  const packages: CatalogedPackage[] = [];
  const coverage: CoverageEntry[] = [];
  const seen = new Set<string>();
  const lines = decodeUtf8(data).split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const text = raw.trim();
    if (text === "" || text.startsWith("#") || text.startsWith("empty=")) continue;
    const coords = text.split("=")[0] as string;
    const parts = coords.split(":");
    const [group, name, version] = parts;
    if (parts.length !== 3 || !group || !name || !version) {
      coverage.push(
        located(
          path,
          i + 1,
          "invalid",
          `not a group:artifact:version lock entry: ${JSON.stringify(text.slice(0, 80))}`,
        ),
      );
      continue;
    }
    const key = coords;
    if (seen.has(key)) continue;
    if (packages.length >= MAX_PACKAGES) {
      coverage.push({ reason: "limit", subject: path, message: `more than ${MAX_PACKAGES} lock entries` });
      break;
    }
    seen.add(key);
    packages.push({ type: "maven", group, name, version, locations: [path], line: i + 1 });
  }
  return { packages, coverage };
}

/** 1-based line of an offset, from the offsets of line starts. */
function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

const text = (el: XmlElement | undefined, name: string): string | undefined => {
  const t = el ? xmlChild(el, name)?.text.trim() : undefined;
  return t === "" ? undefined : t;
};

/** How deep `${a}` -> `${b}` -> ... chains are followed before a reference counts as unresolved. */
const MAX_PROPERTY_DEPTH = 16;

/** The properties a pom defines for itself: `<properties>` and the project's and parent's coordinates. */
function pomProperties(project: XmlElement): Map<string, string> {
  const props = new Map<string, string>();
  const parent = xmlChild(project, "parent");
  const version = text(project, "version") ?? text(parent, "version");
  const groupId = text(project, "groupId") ?? text(parent, "groupId");
  const artifactId = text(project, "artifactId");
  const builtins: [string, string | undefined][] = [
    ["project.version", version],
    ["pom.version", version],
    ["version", version],
    ["project.groupId", groupId],
    ["pom.groupId", groupId],
    ["groupId", groupId],
    ["project.artifactId", artifactId],
    ["artifactId", artifactId],
    ["project.parent.version", text(parent, "version")],
    ["parent.version", text(parent, "version")],
    ["project.parent.groupId", text(parent, "groupId")],
    ["parent.groupId", text(parent, "groupId")],
  ];
  // <properties> first: Maven's model interpolation prefers them over the model for plain names.
  for (const p of xmlChild(project, "properties")?.children ?? [])
    if (!props.has(p.name)) props.set(p.name, p.text.trim());
  for (const [k, v] of builtins) if (v !== undefined && !props.has(k)) props.set(k, v);
  return props;
}

/** `${name}` references replaced; the first unresolvable name when one is left. */
function interpolate(value: string, props: Map<string, string>): { value: string; unresolved?: string } {
  let out = value;
  for (let depth = 0; depth <= MAX_PROPERTY_DEPTH; depth++) {
    if (!out.includes("${")) return { value: out };
    let missing: string | undefined;
    out = out.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      const v = props.get(name);
      if (v === undefined) {
        missing ??= name;
        return whole;
      }
      return v;
    });
    if (missing !== undefined) return { value: out, unresolved: missing };
    if (out.length > 4096) return { value: out.slice(0, 80), unresolved: "(expands past 4096 characters)" };
  }
  return { value: out, unresolved: "(a reference cycle)" };
}

/** An exact version: a plain version, or the single-version range `[1.2.3]`. Ranges are undefined. */
function exactVersion(v: string): string | undefined {
  const single = /^\[\s*([^,[\]()\s]+)\s*\]$/.exec(v);
  if (single?.[1]) return single[1];
  if (/[[\](),]/.test(v) || /\s/.test(v)) return undefined;
  return v;
}

/**
 * pom.xml (maven.apache.org POM reference): `project/dependencies/dependency` and
 * `project/dependencyManagement/dependencies/dependency`, each with groupId, artifactId and version (type and
 * classifier become purl qualifiers). A dependency without a version takes it from the same pom's
 * dependencyManagement; otherwise it is inherited from a parent or a BOM that is not in this file.
 */
export function parsePomXml(data: Uint8Array, path: string): CatalogResult {
  const source = decodeUtf8(data);
  let root: XmlElement;
  try {
    root = parseXml(source);
  } catch (e) {
    return {
      packages: [],
      coverage: [{ reason: "parse-error", subject: path, message: `pom.xml: ${(e as Error).message}` }],
    };
  }
  if (xmlLocalName(root.name) !== "project")
    return {
      packages: [],
      coverage: [
        { reason: "parse-error", subject: path, message: "pom.xml: the root element is not <project>" },
      ],
    };
  const starts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  const props = pomProperties(root);
  const management = xmlChild(root, "dependencyManagement");
  const managed = management ? xmlChild(management, "dependencies") : undefined;
  const direct = xmlChild(root, "dependencies");
  // Direct dependencies first: one also pinned in dependencyManagement points at its own line.
  const deps = [...(direct?.children ?? []), ...(managed?.children ?? [])].filter(
    (d) => xmlLocalName(d.name) === "dependency",
  );
  const packages: CatalogedPackage[] = [];
  const coverage: CoverageEntry[] = [];
  const seen = new Set<string>();
  // Versions dependencyManagement pins, by group:artifact (after interpolation).
  const managedVersion = new Map<string, string>();
  for (const d of managed?.children ?? []) {
    const g = interpolate(text(d, "groupId") ?? "", props).value;
    const a = interpolate(text(d, "artifactId") ?? "", props).value;
    const v = text(d, "version");
    if (v !== undefined && !managedVersion.has(`${g}:${a}`)) managedVersion.set(`${g}:${a}`, v);
  }
  for (const d of deps) {
    const line = lineOf(starts, d.offset);
    const g = interpolate(text(d, "groupId") ?? "", props);
    const a = interpolate(text(d, "artifactId") ?? "", props);
    if (!g.value || !a.value) {
      coverage.push(located(path, line, "invalid", "pom.xml: a <dependency> without groupId or artifactId"));
      continue;
    }
    const coords = `${g.value}:${a.value}`;
    if (g.unresolved || a.unresolved) {
      coverage.push(
        located(
          path,
          line,
          "not-evaluated",
          `${coords}: \${${g.unresolved ?? a.unresolved}} is not defined in this pom`,
        ),
      );
      continue;
    }
    const declared = text(d, "version") ?? managedVersion.get(coords);
    if (declared === undefined) {
      coverage.push(
        located(
          path,
          line,
          "not-evaluated",
          `${coords}: no version in this pom (inherited from a parent pom or a BOM)`,
        ),
      );
      continue;
    }
    const v = interpolate(declared, props);
    if (v.unresolved) {
      coverage.push(
        located(
          path,
          line,
          "not-evaluated",
          `${coords}: version ${declared}: \${${v.unresolved}} is not defined in this pom`,
        ),
      );
      continue;
    }
    const version = exactVersion(v.value);
    if (!version) {
      coverage.push(
        located(path, line, "not-evaluated", `${coords}: version range ${v.value} is not one version`),
      );
      continue;
    }
    const qualifiers: Record<string, string> = {};
    const type = interpolate(text(d, "type") ?? "", props).value;
    const classifier = interpolate(text(d, "classifier") ?? "", props).value;
    // purl-spec "maven": type defaults to jar and is given only when it is something else.
    if (type && type !== "jar") qualifiers.type = type;
    if (classifier) qualifiers.classifier = classifier;
    const key = `${coords}:${version}:${qualifiers.type ?? ""}:${qualifiers.classifier ?? ""}`;
    if (seen.has(key)) continue;
    if (packages.length >= MAX_PACKAGES) {
      coverage.push({ reason: "limit", subject: path, message: `more than ${MAX_PACKAGES} dependencies` });
      break;
    }
    seen.add(key);
    const pkg: CatalogedPackage = {
      type: "maven",
      group: g.value,
      name: a.value,
      version,
      locations: [path],
      line,
    };
    if (Object.keys(qualifiers).length > 0) pkg.purlQualifiers = qualifiers;
    packages.push(pkg);
  }
  return { packages, coverage };
}
