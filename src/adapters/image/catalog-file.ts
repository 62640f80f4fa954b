import {
  type CatalogedPackage,
  type CatalogerId,
  type CatalogResult,
  catalogGoBinary,
  catalogJavaArchive,
  catalogTextFile,
  isJavaArchivePath,
  parseOsRelease,
  type TrackedFile,
} from "../../core/catalog/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { catalogRpmSqlite } from "./rpmdb.js";
import { readZipDirectory, readZipEntry, type ZipEntry } from "./zip.js";

/** Per-member cap inside a Java archive (pom.properties and manifests are tiny; nested jars are bounded). */
const MAX_ZIP_MEMBER = 64 * 1024 * 1024;
const MAX_NESTED_JARS = 1000;

function javaPackages(
  buf: Buffer,
  location: string,
  depth: number,
  coverage: CoverageEntry[],
): CatalogedPackage[] {
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(buf);
  } catch (e) {
    coverage.push({
      reason: "parse-error",
      subject: location,
      message: `java archive: ${(e as Error).message}`,
    });
    return [];
  }
  const pom: Uint8Array[] = [];
  let manifest: Uint8Array | undefined;
  const out: CatalogedPackage[] = [];
  let nested = 0;
  for (const e of entries) {
    try {
      if (/^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(e.name))
        pom.push(readZipEntry(buf, e, 1024 * 1024));
      else if (e.name === "META-INF/MANIFEST.MF") manifest = readZipEntry(buf, e, 1024 * 1024);
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
        out.push(...javaPackages(readZipEntry(buf, e, MAX_ZIP_MEMBER), `${location}:${e.name}`, 1, coverage));
      }
    } catch (err) {
      coverage.push({
        reason: "parse-error",
        subject: `${location}:${e.name}`,
        message: (err as Error).message,
      });
    }
  }
  return [...catalogJavaArchive({ location, pomProperties: pom, manifest }), ...out];
}

/** Catalog one collected file with the cataloger chosen for it (IO-backed steps — zip, sqlite — live here). */
export function catalogFile(id: CatalogerId, path: string, data: Buffer): TrackedFile {
  switch (id) {
    case "os-release":
      return { result: { packages: [], coverage: [] }, os: parseOsRelease(data) };
    case "rpm":
      return { result: catalogRpmSqlite(data, path) };
    case "java": {
      const coverage: CoverageEntry[] = [];
      const packages = javaPackages(data, path, 0, coverage);
      return { result: { packages, coverage } };
    }
    case "go":
      return { result: catalogGoBinary(data, path) };
    default:
      return { result: catalogTextFile(id, data, path) };
  }
}

/** Whether a result is worth tracking (a Go-looking ELF with no build info is just a binary). */
export function isEmptyResult(r: CatalogResult): boolean {
  return r.packages.length === 0 && r.coverage.length === 0;
}
