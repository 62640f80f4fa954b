/**
 * Dart `pubspec.lock` (dart.dev/tools/pub/glossary#lockfile). Pub writes it as block YAML of a fixed shape:
 * `packages:` maps each package name to `dependency`, `description`, `source` and `version`; `sdks:` follows.
 * That shape is read line by line by indentation (plain, single- and double-quoted scalars, and a flow
 * mapping `{...}` for a hand-written description), not with a general YAML parser. Only `source: hosted`
 * packages are Pub releases (sdk, path and git ones are not); one hosted anywhere but pub.dev carries its
 * server as the purl's `repository_url` qualifier.
 */
import type { CoverageEntry } from "../findings/index.js";
import { FORBIDDEN_KEYS } from "../util/index.js";
import type { CatalogedPackage, CatalogResult } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";

const MAX_PACKAGES = 200_000;
/** Pub writes short lines (a sha256 is the longest value); a longer one is not read (the key pattern backtracks). */
const MAX_LINE = 64 * 1024;
/** The public repository: pub.dev, and its former name. */
const DEFAULT_HOSTS: ReadonlySet<string> = new Set(["https://pub.dev", "https://pub.dartlang.org"]);

export function isPubspecLockPath(path: string): boolean {
  return baseName(path) === "pubspec.lock";
}

/** A YAML scalar as pub writes it: "double", 'single' or plain; undefined when it is a flow collection. */
function scalar(raw: string): string | undefined {
  const v = raw.trim();
  if (v.startsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v.slice(1, v.endsWith('"') ? -1 : undefined);
    }
  }
  if (v.startsWith("'")) return v.slice(1, v.endsWith("'") ? -1 : undefined).replace(/''/g, "'");
  if (v.startsWith("{") || v.startsWith("[")) return undefined;
  return v.replace(/\s+#.*$/, "");
}

/** `{name: x, url: "y"}` as a flat map (pub's descriptions hold no nested collections). */
function flowMap(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = raw.trim().replace(/^\{/, "").replace(/\}$/, "");
  for (const part of body.split(",")) {
    const i = part.indexOf(":");
    if (i > 0) out.set(part.slice(0, i).trim(), scalar(part.slice(i + 1)) ?? "");
  }
  return out;
}

interface Entry {
  name: string;
  line: number;
  fields: Map<string, string>;
  description: Map<string, string>;
}

export function parsePubspecLock(data: Uint8Array, path: string): CatalogResult {
  const coverage: CoverageEntry[] = [];
  const problem = (line: number, message: string) =>
    coverage.push({ reason: "invalid", subject: path, location: { file: path, line, column: 1 }, message });
  const entries: Entry[] = [];
  let inPackages = false;
  let sawPackages = false;
  let cur: Entry | undefined;
  let inDescription = false;
  const lines = decodeUtf8(data).split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    if (raw.length > MAX_LINE) {
      problem(line, `pubspec.lock: a line of ${raw.length} characters (over ${MAX_LINE}); skipped`);
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    const m = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^:#]+?)\s*:(?:\s+(.*))?$/.exec(raw);
    if (!m?.[1]) {
      if (inPackages)
        problem(line, `pubspec.lock: not a "key: value" line: ${JSON.stringify(raw.trim().slice(0, 60))}`);
      continue;
    }
    const key = scalar(m[1]) ?? m[1];
    const value = m[2];
    if (indent === 0) {
      inPackages = key === "packages";
      sawPackages ||= inPackages;
      cur = undefined;
      continue;
    }
    if (!inPackages) continue;
    if (indent === 2) {
      inDescription = false;
      if (FORBIDDEN_KEYS.has(key)) {
        problem(line, `pubspec.lock: package name "${key}" refused`);
        cur = undefined;
        continue;
      }
      if (entries.length >= MAX_PACKAGES) {
        coverage.push({ reason: "limit", subject: path, message: `more than ${MAX_PACKAGES} packages` });
        break;
      }
      cur = { name: key, line, fields: new Map(), description: new Map() };
      entries.push(cur);
    } else if (indent === 4 && cur) {
      inDescription = key === "description" && (value === undefined || value.trim() === "");
      if (key === "description" && value?.trim().startsWith("{")) cur.description = flowMap(value);
      else if (value !== undefined && !cur.fields.has(key)) cur.fields.set(key, scalar(value) ?? "");
    } else if (indent >= 6 && cur && inDescription && value !== undefined) {
      if (!cur.description.has(key)) cur.description.set(key, scalar(value) ?? "");
    }
  }
  if (!sawPackages && lines.some((l) => l.trim() !== "" && !l.trim().startsWith("#")))
    coverage.push({ reason: "parse-error", subject: path, message: "pubspec.lock: no packages: section" });
  const packages: CatalogedPackage[] = [];
  for (const e of entries) {
    const source = e.fields.get("source");
    if (source !== "hosted") {
      if (source === undefined) problem(e.line, `pubspec.lock: ${e.name} has no source`);
      continue; // sdk, path and git packages are not Pub releases
    }
    const version = e.fields.get("version");
    if (!version) {
      problem(e.line, `pubspec.lock: ${e.name} has no version`);
      continue;
    }
    const name = e.description.get("name") || e.name;
    const pkg: CatalogedPackage = { type: "pub", name, version, locations: [path], line: e.line };
    const url = e.description.get("url")?.replace(/\/+$/, "");
    if (url && !DEFAULT_HOSTS.has(url)) pkg.purlQualifiers = { repository_url: url };
    packages.push(pkg);
  }
  return { packages, coverage };
}
