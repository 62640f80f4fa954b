import type { CatalogedPackage, CatalogResult } from "./model.js";
import { failed } from "./model.js";
import { decodeUtf8, parseStanzas } from "./text.js";

/** Installed distributions: `*.dist-info/METADATA` (wheels, PEP 376/627) and `*.egg-info/PKG-INFO` (setuptools). */
export function isPythonMetadataPath(path: string): boolean {
  return (
    /\.dist-info\/METADATA$/.test(path) || /\.egg-info\/PKG-INFO$/.test(path) || /\.egg-info$/.test(path)
  );
}

/**
 * Core metadata (packaging.python.org "Core metadata specifications"): RFC 822 headers, the body after the
 * first blank line is the description and is ignored. Name and Version are required.
 */
export function parsePythonMetadata(data: Uint8Array, path: string): CatalogResult {
  const text = decodeUtf8(data);
  const headerEnd = text.search(/\r?\n\r?\n/);
  const { stanzas } = parseStanzas(headerEnd >= 0 ? text.slice(0, headerEnd) : text, 1);
  const h = stanzas[0];
  const name = h?.get("Name");
  const version = h?.get("Version");
  if (!h || !name || !version) return failed("parse-error", path, "Python metadata without Name or Version");
  const pkg: CatalogedPackage = { type: "pypi", name, version, locations: [path] };
  const lic = h.get("License-Expression") || h.get("License");
  if (lic && lic !== "UNKNOWN" && !lic.includes("\n")) pkg.licenses = [lic];
  return { packages: [pkg], coverage: [] };
}
