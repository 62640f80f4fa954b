import { isRecord } from "../util/index.js";
import { jsonPathKey, jsonValueLines, parseJsonFile } from "./json-lines.js";
import { type CatalogedPackage, type CatalogResult, failed } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";

/** Installed packages: `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json`. */
export function isNpmPackageJsonPath(path: string): boolean {
  return /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(path);
}

/** Lock files outside node_modules (the hidden `node_modules/.package-lock.json` duplicates installed data). */
export function isNpmLockPath(path: string): boolean {
  const b = baseName(path);
  return (b === "package-lock.json" || b === "yarn.lock") && !path.split("/").includes("node_modules");
}

function licenseOf(v: unknown): string[] | undefined {
  if (typeof v === "string" && v !== "") return [v];
  if (isRecord(v) && typeof v.type === "string") return [v.type];
  return undefined;
}

/** One installed package's package.json. Files without name or version (workspace stubs) yield nothing. */
export function parseNpmPackageJson(data: Uint8Array, path: string): CatalogResult {
  const r = parseJsonFile(data, path);
  if (!r.ok) return r.result;
  if (!isRecord(r.value)) return failed("parse-error", path, "package.json is not an object");
  const { name, version } = r.value;
  if (typeof name !== "string" || typeof version !== "string" || name === "" || version === "")
    return { packages: [], coverage: [] };
  const pkg: CatalogedPackage = { type: "npm", name, version, locations: [path] };
  const lic = licenseOf(r.value.license);
  if (lic) pkg.licenses = lic;
  return { packages: [pkg], coverage: [] };
}

/** The package name a `node_modules/...` key of lockfile v2/v3 `packages` denotes (the last node_modules hop). */
function nameFromLockKey(key: string): string | undefined {
  const i = key.lastIndexOf("node_modules/");
  return i < 0 ? undefined : key.slice(i + "node_modules/".length) || undefined;
}

/**
 * package-lock.json (npm docs "package-lock.json"): lockfileVersion 2 and 3 list every installed package under
 * `packages` keyed by its node_modules path (the "" key is the root project); version 1 nests `dependencies`.
 * Links (`link: true`) point at workspace folders and are not registry packages.
 */
export function parseNpmLock(data: Uint8Array, path: string, maxPackages = 200_000): CatalogResult {
  const r = parseJsonFile(data, path);
  if (!r.ok) return r.result;
  if (!isRecord(r.value)) return failed("parse-error", path, "package-lock.json is not an object");
  const packages: CatalogedPackage[] = [];
  const coverage: CatalogResult["coverage"] = [];
  const seen = new Set<string>();
  // The line of each entry: its key under `packages` (v2, v3) or under nested `dependencies` (v1).
  const pk = r.value.packages;
  const lines = jsonValueLines(decodeUtf8(data), isRecord(pk) ? 2 : 2 * 66);
  const add = (name: string, version: string, at: string) => {
    const key = `${name}@${version}`;
    if (seen.has(key)) return;
    if (packages.length >= maxPackages) {
      if (coverage.length === 0)
        coverage.push({ reason: "limit", subject: path, message: "too many lock entries" });
      return;
    }
    seen.add(key);
    const pkg: CatalogedPackage = { type: "npm", name, version, locations: [path] };
    const line = lines.get(at);
    if (line !== undefined) pkg.line = line;
    packages.push(pkg);
  };
  if (isRecord(pk)) {
    for (const [key, v] of Object.entries(pk)) {
      if (key === "" || !isRecord(v) || v.link === true) continue;
      const name = typeof v.name === "string" ? v.name : nameFromLockKey(key);
      if (name && typeof v.version === "string") add(name, v.version, jsonPathKey("packages", key));
    }
  } else {
    // lockfileVersion 1: walk nested dependencies iteratively (bounded depth via explicit stack).
    const stack: [unknown, number, string][] = [[r.value.dependencies, 0, "dependencies"]];
    while (stack.length > 0) {
      const [deps, depth, at] = stack.pop() as [unknown, number, string];
      if (!isRecord(deps) || depth > 64) continue;
      for (const [name, v] of Object.entries(deps)) {
        if (!isRecord(v)) continue;
        const here = jsonPathKey(at, name);
        if (typeof v.version === "string" && !v.version.startsWith("file:")) add(name, v.version, here);
        stack.push([v.dependencies, depth + 1, jsonPathKey(here, "dependencies")]);
      }
    }
  }
  packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
  return { packages, coverage };
}

/**
 * yarn.lock v1 (classic): entries start at column 0 with one or more comma-separated `name@range` specifiers
 * ending in `:`; an indented `version "x"` line gives the resolved version. Berry (v2+) files are YAML with
 * `version: x`; both spellings are accepted.
 */
export function parseYarnLock(data: Uint8Array, path: string): CatalogResult {
  const packages: CatalogedPackage[] = [];
  const seen = new Set<string>();
  let current: string | undefined;
  let currentLine = 0;
  for (const [i, line] of decodeUtf8(data).split(/\r?\n/).entries()) {
    if (line === "" || line.startsWith("#")) continue;
    if (!line.startsWith(" ")) {
      currentLine = i + 1;
      const first = line.replace(/:$/, "").split(",")[0]?.trim().replace(/^"|"$/g, "") ?? "";
      // The name is everything before the last '@' that is not the scope's leading '@'.
      const at = first.lastIndexOf("@");
      current = at > 0 ? first.slice(0, at) : undefined;
      if (current === "__metadata") current = undefined;
      continue;
    }
    const m = /^\s+version:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (m?.[1] && current) {
      const key = `${current}@${m[1]}`;
      if (!seen.has(key)) {
        seen.add(key);
        packages.push({ type: "npm", name: current, version: m[1], locations: [path], line: currentLine });
      }
      current = undefined;
    }
  }
  return { packages, coverage: [] };
}
