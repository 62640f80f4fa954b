import { inflateSync } from "node:zlib";
import { Budget, isBudgetExceeded } from "../../core/budget/index.js";
import {
  AUDITABLE_SECTION,
  type CatalogedPackage,
  type CatalogerId,
  type CatalogResult,
  catalogGoBinary,
  catalogJavaArchive,
  catalogTextFile,
  elfSection,
  isJavaArchivePath,
  parseAuditableJson,
  parseOsRelease,
  parseProperties,
  type TrackedFile,
} from "../../core/catalog/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { appendAll } from "../../core/util/index.js";
import { catalogRpmDb } from "./rpmdb.js";
import { readZipDirectory, readZipEntry, type ZipEntry } from "./zip.js";

/** Per-member cap inside a Java archive (pom.properties and manifests are tiny; nested jars are bounded). */
const MAX_ZIP_MEMBER = 64 * 1024 * 1024;
const MAX_NESTED_JARS = 1000;
/**
 * One Java archive, nested archives included: bytes inflated and central-directory entries. A real fat jar is
 * at most the file budget (64 MiB) and stores its nested jars, so 128 MiB inflated leaves room; an 83 KB jar
 * whose thousands of entries all point at one deflated member would otherwise inflate to gigabytes.
 */
export const JAVA_ARCHIVE_LIMITS = { "inflated bytes": 128 * 1024 * 1024, "zip entries": 200_000 } as const;

/**
 * Keep only what the cataloger reads from a pom.properties (group, artifact, version), once per distinct triple:
 * an archive may list the same member thousands of times, and its inflated bytes must not stay in memory.
 */
function keepPom(pom: Map<string, Uint8Array>, data: Uint8Array): void {
  const p = parseProperties(data);
  const key = `groupId=${p.get("groupId") ?? ""}\nartifactId=${p.get("artifactId") ?? ""}\nversion=${p.get("version") ?? ""}\n`;
  if (!pom.has(key)) pom.set(key, Buffer.from(key));
}

function javaPackages(
  buf: Buffer,
  location: string,
  depth: number,
  coverage: CoverageEntry[],
  archive: Budget,
  out: CatalogedPackage[],
): void {
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(buf, 100_000, archive);
  } catch (e) {
    if (isBudgetExceeded(e)) throw e;
    coverage.push({
      reason: "parse-error",
      subject: location,
      message: `java archive: ${(e as Error).message}`,
    });
    return;
  }
  const pom = new Map<string, Uint8Array>();
  let manifest: Uint8Array | undefined;
  let nested = 0;
  // The archive's own packages come first, nested ones after, as before; on a budget stop both are kept.
  const inner: CatalogedPackage[] = [];
  const own = () => catalogJavaArchive({ location, pomProperties: [...pom.values()], manifest });
  for (const e of entries) {
    try {
      if (/^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(e.name))
        keepPom(pom, readZipEntry(buf, e, 1024 * 1024, archive));
      else if (e.name === "META-INF/MANIFEST.MF") manifest = readZipEntry(buf, e, 1024 * 1024, archive);
      else if (depth === 0 && isJavaArchivePath(e.name) && !e.name.endsWith("/")) {
        // Nested jars (WEB-INF/lib, BOOT-INF/lib) one level deep, as Spring Boot and servlet containers load them.
        if (++nested > MAX_NESTED_JARS) {
          if (nested === MAX_NESTED_JARS + 1)
            coverage.push({
              reason: "limit",
              subject: location,
              message: `more than ${MAX_NESTED_JARS} nested archives`,
            });
          continue;
        }
        const data = readZipEntry(buf, e, MAX_ZIP_MEMBER, archive);
        javaPackages(data, `${location}:${e.name}`, 1, coverage, archive, inner);
      }
    } catch (err) {
      if (isBudgetExceeded(err)) {
        appendAll(out, own(), inner);
        throw err;
      }
      coverage.push({
        reason: "parse-error",
        subject: `${location}:${e.name}`,
        message: (err as Error).message,
      });
    }
  }
  appendAll(out, own(), inner);
}

/**
 * Catalog one collected file with the cataloger chosen for it (IO-backed steps — zip, sqlite — live here).
 * `budget` is the layer's (or walk's): an archive's budget is a child of it.
 */
export function catalogFile(id: CatalogerId, path: string, data: Buffer, budget?: Budget): TrackedFile {
  switch (id) {
    case "os-release":
      return { result: { packages: [], coverage: [] }, os: parseOsRelease(data) };
    case "rpm":
      return { result: catalogRpmDb(data, path, budget) };
    case "java": {
      const coverage: CoverageEntry[] = [];
      const packages: CatalogedPackage[] = [];
      const archive = (budget ?? new Budget(path, {})).child(`java archive ${path}`, JAVA_ARCHIVE_LIMITS);
      try {
        javaPackages(data, path, 0, coverage, archive, packages);
      } catch (e) {
        if (!isBudgetExceeded(e)) throw e;
        // What was read before the stop is kept; the entry says the archive was not read to its end.
        coverage.push({
          reason: "limit",
          subject: path,
          message: `${e.message}; the rest of the archive was not read`,
        });
      }
      return { result: { packages, coverage } };
    }
    case "go":
      return { result: catalogBinary(data, path) };
    default:
      return { result: catalogTextFile(id, data, path) };
  }
}

/**
 * Largest decompressed dependency list read from a cargo-auditable binary: cargo-auditable's own reader
 * (auditable-info `Limits::decompressed_json_size`) stops at 8 MiB; real lists are a few KiB.
 */
export const AUDITABLE_MAX_JSON = 8 * 1024 * 1024;

/**
 * The packages an ELF binary records about how it was built: Go build info, and the crates a binary built with
 * cargo-auditable lists in its zlib-compressed `.dep-v0` section (inflated here, bounded; parsed in core).
 */
export function catalogBinary(data: Buffer, path: string): CatalogResult {
  const go = catalogGoBinary(data, path);
  const section = elfSection(data, AUDITABLE_SECTION);
  if (!section) return go;
  let json: Buffer;
  try {
    json = inflateSync(section, { maxOutputLength: AUDITABLE_MAX_JSON });
  } catch (e) {
    const tooBig = (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
    go.coverage.push({
      reason: tooBig ? "limit" : "parse-error",
      subject: path,
      message: tooBig
        ? `${AUDITABLE_SECTION}: the dependency list inflates to more than ${AUDITABLE_MAX_JSON} bytes; not read`
        : `${AUDITABLE_SECTION}: not a zlib stream (${(e as Error).message})`,
    });
    return go;
  }
  const rust = parseAuditableJson(json, path);
  return { packages: [...go.packages, ...rust.packages], coverage: [...go.coverage, ...rust.coverage] };
}

/** Whether a result is worth tracking (a Go-looking ELF with no build info is just a binary). */
export function isEmptyResult(r: CatalogResult): boolean {
  return r.packages.length === 0 && r.coverage.length === 0;
}
