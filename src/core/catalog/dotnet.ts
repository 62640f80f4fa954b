import { isRecord } from "../util/index.js";
import { jsonPathKey, jsonValueLines, parseJsonFile } from "./json-lines.js";
import { type CatalogedPackage, type CatalogResult, failed } from "./model.js";
import { baseName } from "./text.js";

/** Most packages read from one .NET file. */
export const MAX_NUGET_PACKAGES = 100_000;

/** A published app's `<app>.deps.json`, or a restore lock file `packages.lock.json`. */
export function isDotnetPath(path: string): boolean {
  const b = baseName(path);
  return (b.endsWith(".deps.json") && b.length > ".deps.json".length) || b === "packages.lock.json";
}

/**
 * `libraries` types that are NuGet packages. `package` is an ordinary dependency; `runtimepack` is the .NET
 * runtime a self-contained app carries (`runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0`, the
 * package id after the `runtimepack.` prefix), which is where advisories against the runtime land. `project`
 * (the app itself, a referenced project) and `reference` (a bare assembly) are not packages.
 */
const LIBRARY_TYPES: ReadonlySet<string> = new Set(["package", "runtimepack"]);

function adder(path: string, out: CatalogResult) {
  const seen = new Set<string>();
  let limited = false;
  return (name: string, version: string, line: number | undefined) => {
    // NuGet ids are case-insensitive; versions are compared as written here (one lock file writes one form).
    const key = `${name.toLowerCase()}\u0000${version}`;
    if (seen.has(key)) return;
    if (out.packages.length >= MAX_NUGET_PACKAGES) {
      if (!limited)
        out.coverage.push({
          reason: "limit",
          subject: path,
          message: `more than ${MAX_NUGET_PACKAGES} packages; the rest were not read`,
        });
      limited = true;
      return;
    }
    seen.add(key);
    const pkg: CatalogedPackage = { type: "nuget", name, version, locations: [path] };
    if (line !== undefined) pkg.line = line;
    out.packages.push(pkg);
  };
}

/**
 * `*.deps.json` (dotnet/runtime docs/design/features/host-dependency-resolution, "deps.json"): `libraries` maps
 * `Name/Version` to `{type, serviceable, sha512, path, hashPath}`. Only that map is read: `targets` repeats the
 * same keys per runtime with the assets to load.
 */
export function parseDepsJson(data: Uint8Array, path: string): CatalogResult {
  const r = parseJsonFile(data, path);
  if (!r.ok) return r.result;
  if (!isRecord(r.value)) return failed("parse-error", path, "deps.json is not an object");
  const libs = r.value.libraries;
  if (!isRecord(libs)) return failed("parse-error", path, "deps.json has no libraries object");
  const out: CatalogResult = { packages: [], coverage: [] };
  const add = adder(path, out);
  const lines = jsonValueLines(r.text, 2);
  let bad = 0;
  for (const [key, lib] of Object.entries(libs)) {
    if (!isRecord(lib) || typeof lib.type !== "string") {
      bad++;
      continue;
    }
    if (!LIBRARY_TYPES.has(lib.type)) continue;
    const slash = key.lastIndexOf("/");
    let name = slash > 0 ? key.slice(0, slash) : "";
    const version = slash > 0 ? key.slice(slash + 1) : "";
    if (lib.type === "runtimepack" && name.startsWith("runtimepack."))
      name = name.slice("runtimepack.".length);
    if (name === "" || version === "") {
      bad++;
      continue;
    }
    add(name, version, lines.get(jsonPathKey("libraries", key)));
  }
  if (bad > 0)
    out.coverage.push({
      reason: "parse-error",
      subject: path,
      message: `${bad} librar${bad === 1 ? "y" : "ies"} not of the form "Name/Version": {type}`,
    });
  return out;
}

/**
 * `packages.lock.json` (NuGet "Enable repeatable package restores using a lock file"): `dependencies` maps each
 * target framework (and `framework/runtime-identifier`) to package ids with `type` (Direct, Transitive,
 * CentralTransitive, Project) and `resolved`. Projects are not packages; a package locked for several
 * frameworks at one version is one package, at the line of its first entry.
 */
export function parsePackagesLock(data: Uint8Array, path: string): CatalogResult {
  const r = parseJsonFile(data, path);
  if (!r.ok) return r.result;
  if (!isRecord(r.value)) return failed("parse-error", path, "packages.lock.json is not an object");
  const deps = r.value.dependencies;
  if (!isRecord(deps)) return failed("parse-error", path, "packages.lock.json has no dependencies object");
  const out: CatalogResult = { packages: [], coverage: [] };
  const add = adder(path, out);
  const lines = jsonValueLines(r.text, 3);
  let bad = 0;
  for (const [framework, pkgs] of Object.entries(deps)) {
    if (!isRecord(pkgs)) {
      bad++;
      continue;
    }
    for (const [name, p] of Object.entries(pkgs)) {
      if (!isRecord(p)) {
        bad++;
        continue;
      }
      if (p.type === "Project") continue;
      if (typeof p.resolved !== "string" || p.resolved === "" || name === "") {
        bad++;
        continue;
      }
      add(name, p.resolved, lines.get(jsonPathKey("dependencies", framework, name)));
    }
  }
  if (bad > 0)
    out.coverage.push({
      reason: "parse-error",
      subject: path,
      message: `${bad} entr${bad === 1 ? "y" : "ies"} of dependencies without a resolved version`,
    });
  return out;
}

/** deps.json or packages.lock.json, by name. */
export function parseDotnetFile(data: Uint8Array, path: string): CatalogResult {
  return baseName(path) === "packages.lock.json" ? parsePackagesLock(data, path) : parseDepsJson(data, path);
}
