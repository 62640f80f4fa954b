import { isRecord } from "../util/index.js";
import { jsonPathKeyOf, jsonValueLines, parseJsonFile } from "./json-lines.js";
import { type CatalogedPackage, type CatalogResult, failed } from "./model.js";
import { baseName } from "./text.js";

/** Most packages read from one Composer file (a large Laravel or Drupal app has a few hundred). */
export const MAX_COMPOSER_PACKAGES = 100_000;

/**
 * Composer files: an application's `composer.lock`, and what `composer install` wrote under
 * `vendor/composer/installed.json`. A composer.lock inside `vendor/` belongs to a dependency's own development
 * and was never installed, so it is not read.
 */
export function isComposerPath(path: string): boolean {
  if (path.endsWith("vendor/composer/installed.json")) return path.split("/").at(-3) === "vendor";
  return baseName(path) === "composer.lock" && !path.split("/").includes("vendor");
}

/**
 * One list of Composer package objects (getcomposer.org "composer.lock" / "installed.json": each has `name`
 * `vendor/package` and `version` as installed, e.g. `v6.4.1`, `1.2.3`, `dev-main`; `license` is an array of SPDX
 * ids). Entries without both are counted and reported once.
 */
function readPackages(
  list: unknown,
  at: (string | number)[],
  path: string,
  lines: Map<string, number>,
  out: CatalogResult,
): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    out.coverage.push({ reason: "parse-error", subject: path, message: `${at.join(".")} is not an array` });
    return;
  }
  let bad = 0;
  for (const [i, v] of list.entries()) {
    if (out.packages.length >= MAX_COMPOSER_PACKAGES) {
      out.coverage.push({
        reason: "limit",
        subject: path,
        message: `more than ${MAX_COMPOSER_PACKAGES} packages; the rest were not read`,
      });
      return;
    }
    const name = isRecord(v) ? v.name : undefined;
    const version = isRecord(v) ? v.version : undefined;
    if (typeof name !== "string" || typeof version !== "string" || name === "" || version === "") {
      bad++;
      continue;
    }
    const pkg: CatalogedPackage = { type: "composer", name, version, locations: [path] };
    const line = lines.get(jsonPathKeyOf([...at, i, "name"])) ?? lines.get(jsonPathKeyOf([...at, i]));
    if (line !== undefined) pkg.line = line;
    const lic = isRecord(v) && Array.isArray(v.license) ? v.license.filter((l) => typeof l === "string") : [];
    if (lic.length > 0) pkg.licenses = lic as string[];
    out.packages.push(pkg);
  }
  if (bad > 0)
    out.coverage.push({
      reason: "parse-error",
      subject: path,
      message: `${bad} entr${bad === 1 ? "y" : "ies"} of ${at.join(".")} without a string name and version`,
    });
}

/**
 * `composer.lock`: `packages` and `packages-dev` (both installed by a plain `composer install`). The line of each
 * package is that of its `name`.
 */
export function parseComposerLock(data: Uint8Array, path: string): CatalogResult {
  const r = parseJsonFile(data, path);
  if (!r.ok) return r.result;
  if (!isRecord(r.value)) return failed("parse-error", path, "composer.lock is not an object");
  const lines = jsonValueLines(r.text, 3);
  const out: CatalogResult = { packages: [], coverage: [] };
  readPackages(r.value.packages, ["packages"], path, lines, out);
  readPackages(r.value["packages-dev"], ["packages-dev"], path, lines, out);
  return out;
}

/**
 * `vendor/composer/installed.json`: Composer 1 writes a bare array of packages; Composer 2 an object with
 * `packages` (dev packages included, named again in `dev-package-names`).
 */
export function parseComposerInstalled(data: Uint8Array, path: string): CatalogResult {
  const r = parseJsonFile(data, path);
  if (!r.ok) return r.result;
  const out: CatalogResult = { packages: [], coverage: [] };
  if (Array.isArray(r.value)) readPackages(r.value, [], path, jsonValueLines(r.text, 2), out);
  else if (isRecord(r.value)) {
    if (r.value.packages === undefined) return failed("parse-error", path, "installed.json has no packages");
    readPackages(r.value.packages, ["packages"], path, jsonValueLines(r.text, 3), out);
  } else return failed("parse-error", path, "installed.json is neither an array nor an object");
  return out;
}

/** composer.lock or installed.json, by name. */
export function parseComposerFile(data: Uint8Array, path: string): CatalogResult {
  return baseName(path) === "installed.json"
    ? parseComposerInstalled(data, path)
    : parseComposerLock(data, path);
}
