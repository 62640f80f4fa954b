/**
 * Python source trees: what a project pins, from the lockfiles of its tools (poetry.lock, Pipfile.lock, uv.lock)
 * and from `==`-pinned requirements files. Each package keeps the line of its entry. Packages from local paths
 * (editable, directory, file, virtual) are not PyPI releases and are left out; a requirement that is not pinned
 * has no version to match and is a coverage entry naming its line.
 */
import type { CoverageEntry } from "../findings/index.js";
import { isRecord } from "../util/index.js";
import { jsonPathKey, jsonValueLines, parseJsonFile } from "./json-lines.js";
import { type CatalogedPackage, type CatalogResult, failed } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";
import { readTomlTables, type TomlRead, type TomlValue } from "./toml.js";

/** Packages kept from one lockfile; past it, a limit coverage entry. */
export const MAX_LOCK_PACKAGES = 200_000;

export function isPoetryLockPath(path: string): boolean {
  return baseName(path) === "poetry.lock";
}
export function isPipfileLockPath(path: string): boolean {
  return baseName(path) === "Pipfile.lock";
}
export function isUvLockPath(path: string): boolean {
  return baseName(path) === "uv.lock";
}
/** `requirements.txt`, `requirements-dev.txt`, `requirements.in.txt`..., and any `.txt` in a `requirements/` folder. */
export function isRequirementsPath(path: string): boolean {
  const b = baseName(path);
  return /^requirements[\w.-]*\.txt$/i.test(b) || /(?:^|\/)requirements\/[^/]+\.txt$/i.test(path);
}

/** Collects packages with a cap, once per (name, version). */
class Collector {
  readonly packages: CatalogedPackage[] = [];
  readonly coverage: CoverageEntry[] = [];
  private readonly seen = new Set<string>();
  constructor(
    private readonly path: string,
    private readonly max = MAX_LOCK_PACKAGES,
  ) {}
  add(p: CatalogedPackage): void {
    const key = `${p.group ?? ""}\u0000${p.name}\u0000${p.version}`;
    if (this.seen.has(key)) return;
    if (this.packages.length >= this.max) {
      if (!this.coverage.some((c) => c.reason === "limit"))
        this.coverage.push({
          reason: "limit",
          subject: this.path,
          message: `more than ${this.max} packages; the rest were not read`,
        });
      return;
    }
    this.seen.add(key);
    this.packages.push(p);
  }
  problem(reason: CoverageEntry["reason"], line: number, message: string): void {
    this.coverage.push({
      reason,
      subject: this.path,
      location: { file: this.path, line, column: 1 },
      message,
    });
  }
  result(): CatalogResult {
    return { packages: this.packages, coverage: this.coverage };
  }
}

/** A TOML read's syntax error and refused keys as coverage (the packages before an error are kept). */
function tomlProblems(r: TomlRead, out: Collector, what: string): void {
  for (const w of r.warnings) out.problem("invalid", w.line, `${what}: ${w.message}`);
  if (r.error) out.problem("parse-error", r.error.line, `${what}: ${r.error.message}; read up to this line`);
}

const str = (v: TomlValue | undefined): string | undefined =>
  typeof v === "string" && v !== "" ? v : undefined;

/**
 * poetry.lock (python-poetry: `[[package]]` tables with name, version and an optional `[package.source]` whose
 * `type` is git, url, file, directory or legacy). Directory and file sources are local code, not releases.
 */
export function parsePoetryLock(data: Uint8Array, path: string): CatalogResult {
  const r = readTomlTables(decodeUtf8(data));
  const out = new Collector(path);
  const pending: { name: string; version: string; line: number; local: boolean }[] = [];
  let last: (typeof pending)[number] | undefined;
  for (const t of r.tables) {
    if (t.header[0] !== "package") continue;
    if (t.array && t.header.length === 1) {
      const name = str(t.values.name);
      const version = str(t.values.version);
      last = undefined;
      if (!name || !version) {
        out.problem("invalid", t.line, "a [[package]] without a name or version string");
        continue;
      }
      last = { name, version, line: t.line, local: false };
      pending.push(last);
      // Poetry 1.x wrote the source inline in some versions: `source = { type = "directory", url = "..." }`.
      const inline = t.values.source;
      if (isRecord(inline) && isLocalPoetrySource(inline.type)) last.local = true;
    } else if (!t.array && t.header.length === 2 && t.header[1] === "source" && last) {
      if (isLocalPoetrySource(t.values.type)) last.local = true;
    }
  }
  for (const p of pending)
    if (!p.local)
      out.add({ type: "pypi", name: p.name, version: p.version, locations: [path], line: p.line });
  tomlProblems(r, out, "poetry.lock");
  return out.result();
}

function isLocalPoetrySource(type: unknown): boolean {
  return type === "directory" || type === "file";
}

/**
 * uv.lock (astral-sh/uv "lockfile"): `[[package]]` tables with name, version and a `source` inline table whose
 * key says where it comes from (registry, git, url, path, directory, editable, virtual). The project itself and
 * local paths are not releases.
 */
export function parseUvLock(data: Uint8Array, path: string): CatalogResult {
  const r = readTomlTables(decodeUtf8(data));
  const out = new Collector(path);
  for (const t of r.tables) {
    if (!(t.array && t.header.length === 1 && t.header[0] === "package")) continue;
    const name = str(t.values.name);
    const version = str(t.values.version);
    const source = t.values.source;
    const local =
      isRecord(source) && ["path", "directory", "editable", "virtual"].some((k) => Object.hasOwn(source, k));
    if (local) continue;
    if (!name || !version) {
      out.problem("invalid", t.line, "a [[package]] without a name or version string");
      continue;
    }
    out.add({ type: "pypi", name, version, locations: [path], line: t.line });
  }
  tomlProblems(r, out, "uv.lock");
  return out.result();
}

/**
 * Pipfile.lock (pipenv): JSON with `default` and `develop` objects mapping names to `{ "version": "==1.2.3" }`;
 * entries pinned by `path`, `file` or `git` have no version and are not releases.
 */
export function parsePipfileLock(data: Uint8Array, path: string): CatalogResult {
  const parsed = parseJsonFile(data, path);
  if (!parsed.ok) return parsed.result;
  const doc = parsed.value;
  if (!isRecord(doc)) return failed("parse-error", path, "Pipfile.lock is not a JSON object");
  const lines = jsonValueLines(decodeUtf8(data), 2);
  const out = new Collector(path);
  for (const section of ["default", "develop"] as const) {
    const deps = doc[section];
    if (deps === undefined) continue;
    if (!isRecord(deps)) {
      out.problem("invalid", lines.get(section) ?? 1, `Pipfile.lock: "${section}" is not an object`);
      continue;
    }
    for (const [name, v] of Object.entries(deps)) {
      const line = lines.get(jsonPathKey(section, name)) ?? 1;
      if (!isRecord(v)) {
        out.problem("invalid", line, `Pipfile.lock: ${section}.${name} is not an object`);
        continue;
      }
      if (typeof v.version !== "string") {
        if (v.path === undefined && v.file === undefined && v.git === undefined && v.editable !== true)
          out.problem("invalid", line, `Pipfile.lock: ${section}.${name} has no version string`);
        continue;
      }
      const m = /^\s*===?\s*([^\s;,]+)\s*$/.exec(v.version);
      if (!m?.[1] || m[1].includes("*")) {
        out.problem("unsupported", line, `Pipfile.lock: ${name} ${v.version} is not an exact pin`);
        continue;
      }
      out.add({ type: "pypi", name, version: m[1], locations: [path], line });
    }
  }
  return out.result();
}

/** PEP 508 name (packaging.python.org "Names and normalization"). */
const PEP508_NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$/;

/**
 * A requirements file (pip "Requirements File Format"): one requirement a line, `\` joins lines, `#` after
 * whitespace starts a comment, lines starting with `-` are options (`-r`, `-c`, `-e`, `--hash` ...). Only
 * `name==version` (or `===`) pins a release; anything else (a range, a URL, a wildcard) is reported.
 */
export function parseRequirements(data: Uint8Array, path: string): CatalogResult {
  const out = new Collector(path);
  const rawLines = decodeUtf8(data).split(/\r?\n/);
  for (let i = 0; i < rawLines.length; i++) {
    const line = i + 1;
    // Continuations are joined once at the end (appending to a growing string would copy it per line).
    const parts = [rawLines[i] as string];
    while ((parts[parts.length - 1] as string).endsWith("\\") && i + 1 < rawLines.length) {
      parts[parts.length - 1] = (parts[parts.length - 1] as string).slice(0, -1);
      parts.push(rawLines[++i] as string);
    }
    let text = parts.join("");
    text = text.replace(/(?:^|\s)#.*$/, "").trim();
    if (text === "" || text.startsWith("-")) continue;
    // Per-requirement options (--hash=..., --global-option) follow the requirement.
    text = text.replace(/\s+--?[A-Za-z][\w-]*(?:[= ]\S+)?/g, "").trim();
    const spec = text.split(";")[0]?.trim() ?? "";
    if (/^[a-z+]+:\/\//i.test(spec) || spec.includes(" @ ") || /^[./]/.test(spec)) {
      out.problem(
        "unsupported",
        line,
        `${spec.slice(0, 80)}: a URL or path requirement has no version to match`,
      );
      continue;
    }
    const m = PEP508_NAME.exec(spec);
    if (!m?.[1]) {
      out.problem("invalid", line, `not a requirement: ${JSON.stringify(spec.slice(0, 80))}`);
      continue;
    }
    const pin = /^===?\s*([^\s,*]+)$/.exec(m[2]?.trim() ?? "");
    if (!pin?.[1]) {
      out.problem(
        "unsupported",
        line,
        `${m[1]}${m[2] ? ` ${m[2].trim()}` : ""}: not pinned with ==, so there is no version to match`,
      );
      continue;
    }
    out.add({ type: "pypi", name: m[1], version: pin[1], locations: [path], line });
  }
  return out.result();
}
