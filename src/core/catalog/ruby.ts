import { type CatalogedPackage, type CatalogResult, failed } from "./model.js";
import { baseName, decodeUtf8, forEachLine } from "./text.js";

/** Most gems read from one Gemfile.lock. */
export const MAX_LOCKED_GEMS = 100_000;

/**
 * Bundler lock files (`Gemfile.lock`, or `gems.locked` beside a `gems.rb`). One inside an installed gem's
 * directory (`.../gems/<name>-<version>/Gemfile.lock`) is that gem's own development lock, never installed.
 */
export function isGemfileLockPath(path: string): boolean {
  const b = baseName(path);
  return (b === "Gemfile.lock" || b === "gems.locked") && !path.split("/").slice(0, -2).includes("gems");
}

/**
 * Installed gem specifications: `<GEM_HOME>/specifications/<name>-<version>[-<platform>].gemspec`, and the
 * default gems that ship with Ruby under `specifications/default/`.
 */
export function isGemspecPath(path: string): boolean {
  return /(?:^|\/)specifications\/(?:default\/)?[^/]+\.gemspec$/.test(path);
}

/**
 * A locked version is `1.15.4` or, for a platform-specific gem, `1.15.4-x86_64-linux` (Bundler's
 * LazySpecification#to_s): the platform follows the first `-` (gem versions never contain one).
 */
function splitPlatform(v: string): { version: string; platform?: string } {
  const dash = v.indexOf("-");
  if (dash <= 0) return { version: v };
  const platform = v.slice(dash + 1);
  return platform === "ruby" || platform === ""
    ? { version: v.slice(0, dash) }
    : { version: v.slice(0, dash), platform };
}

/**
 * Gemfile.lock (Bundler's LockfileParser): top-level sections `GEM`, `GIT`, `PATH` (each a `remote:` and a
 * `specs:` list), then `PLATFORMS`, `DEPENDENCIES`, `BUNDLED WITH`. A spec is a line indented by exactly four
 * spaces, `name (version)`; its dependencies are indented by six and are not packages by themselves.
 */
export function parseGemfileLock(data: Uint8Array, path: string): CatalogResult {
  const out: CatalogResult = { packages: [], coverage: [] };
  const seen = new Set<string>();
  let section = "";
  let inSpecs = false;
  let bad = 0;
  forEachLine(decodeUtf8(data), (line, lineNo) => {
    if (line.trim() === "") return;
    if (!line.startsWith(" ")) {
      section = line.trim();
      inSpecs = false;
      return;
    }
    if (section !== "GEM" && section !== "GIT" && section !== "PATH") return;
    if (/^ {2}specs:\s*$/.test(line)) {
      inSpecs = true;
      return;
    }
    if (/^ {2}\S/.test(line)) {
      inSpecs = false;
      return;
    }
    if (!inSpecs || !/^ {4}\S/.test(line)) return;
    const m = /^ {4}([^\s(]+) \(([^)\s]+)\)\s*$/.exec(line);
    if (!m?.[1] || !m[2]) {
      bad++;
      return;
    }
    const { version, platform } = splitPlatform(m[2]);
    const key = `${m[1]}\u0000${version}\u0000${platform ?? ""}`;
    if (seen.has(key)) return;
    if (out.packages.length >= MAX_LOCKED_GEMS) {
      out.coverage.push({
        reason: "limit",
        subject: path,
        message: `more than ${MAX_LOCKED_GEMS} gems; the rest were not read`,
      });
      return false;
    }
    seen.add(key);
    const pkg: CatalogedPackage = { type: "gem", name: m[1], version, locations: [path], line: lineNo };
    if (platform) pkg.arch = platform;
    out.packages.push(pkg);
    return;
  });
  if (bad > 0)
    out.coverage.push({
      reason: "parse-error",
      subject: path,
      message: `${bad} spec line${bad === 1 ? "" : "s"} not of the form 'name (version)'`,
    });
  return out;
}

/** The strings of a Ruby literal `"a"`, `'a'`, `"a".freeze` or an array of them. */
function rubyStrings(expr: string): string[] {
  return [...expr.matchAll(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1] ?? m[2] ?? "");
}

/**
 * An installed gem specification, as `gem install` writes it (Gem::Specification#to_ruby): a `# stub: name
 * version platform require_paths` comment, then `Gem::Specification.new do |s|` with `s.name = "rack".freeze`,
 * `s.version = "2.2.8"`, `s.platform = "x86_64-linux".freeze`, `s.licenses = ["MIT".freeze]`. The code is read as
 * text, never evaluated; the attribute assignments win over the stub comment.
 */
export function parseGemspec(data: Uint8Array, path: string): CatalogResult {
  const text = decodeUtf8(data.subarray(0, 1024 * 1024));
  const lines = text.split("\n");
  let name: string | undefined;
  let version: string | undefined;
  let platform: string | undefined;
  let nameLine: number | undefined;
  let licenses: string[] | undefined;
  let stub: string[] | undefined;
  for (const [i, line] of lines.entries()) {
    const s = /^# stub: (\S+) (\S+) (\S+)/.exec(line);
    if (s && !stub) stub = [s[1] as string, s[2] as string, s[3] as string];
    const a = /^\s*\w+\.(name|version|platform|licenses?)\s*=\s*(.*)$/.exec(line);
    if (!a?.[1] || a[2] === undefined) continue;
    const v = rubyStrings(a[2]);
    switch (a[1]) {
      case "name":
        if (name === undefined && v[0]) {
          name = v[0];
          nameLine = i + 1;
        }
        break;
      case "version":
        // `s.version = "2.2.8"` or `Gem::Version.new("2.2.8")`
        if (version === undefined && v[0]) version = v[0];
        break;
      case "platform":
        if (platform === undefined && v[0]) platform = v[0];
        break;
      default:
        if (licenses === undefined && v.length > 0) licenses = v;
    }
  }
  if (!name && stub) [name, version, platform] = [stub[0], version ?? stub[1], platform ?? stub[2]];
  if (!name || !version) return failed("parse-error", path, "gem specification without name or version");
  const pkg: CatalogedPackage = { type: "gem", name, version, locations: [path] };
  if (nameLine !== undefined) pkg.line = nameLine;
  if (platform && platform !== "ruby") pkg.arch = platform;
  if (licenses) pkg.licenses = licenses;
  return { packages: [pkg], coverage: [] };
}

/** Gemfile.lock or an installed gemspec, by name. */
export function parseRubyFile(data: Uint8Array, path: string): CatalogResult {
  return path.endsWith(".gemspec") ? parseGemspec(data, path) : parseGemfileLock(data, path);
}
