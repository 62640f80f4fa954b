import type { CoverageEntry } from "../findings/index.js";
import type { Package } from "../sbom/index.js";

/**
 * A package as a cataloger sees it: without purl (which needs the OS, known only once the whole filesystem is
 * read) and without layer of origin (which needs every layer). A package read from an SBOM document keeps the
 * purl the document gives it.
 */
export type CatalogedPackage = Omit<Package, "purl" | "layerDiffId" | "layerIndex"> & {
  purl?: string | undefined;
};

/** What parsing one file yields. Partial failures are values: a bad stanza is a coverage entry, not a throw. */
export interface CatalogResult {
  packages: CatalogedPackage[];
  coverage: CoverageEntry[];
}

/** The catalogers, each named after the package database or artifact it reads. */
// biome-ignore format: one cataloger a line, so that adding one is a one-line change
export type CatalogerId =
  | "dpkg"
  | "apk"
  | "rpm"
  | "npm"
  | "python"
  | "go"
  | "java"
  | "os-release"
  | "poetry"
  | "pipfile"
  | "uv"
  | "requirements"
  | "gradle"
  | "pom"
  | "php"
  | "ruby"
  | "dotnet"
  | "rust"
  | "sbom-document"
  | "gomod"
  | "mix"
  | "pubspec";

/** Catalogers whose input is read by an adapter step (sqlite, zip, ELF) rather than parsed from bytes in core. */
export type AdapterCatalogerId = "rpm" | "go" | "java" | "os-release";

/** Catalogers that parse a file's bytes alone, in core. */
export type TextCatalogerId = Exclude<CatalogerId, AdapterCatalogerId>;

/** Build a result with a single coverage entry. */
export function failed(reason: CoverageEntry["reason"], subject: string, message: string): CatalogResult {
  return { packages: [], coverage: [{ reason, subject, message }] };
}
