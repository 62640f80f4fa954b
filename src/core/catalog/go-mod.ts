/**
 * go.mod for source scans (go.dev/ref/mod "go.mod files"): the modules a main module requires, with `replace`
 * directives applied as the go command applies them, `// indirect` requirements flagged, and the standard
 * library as `stdlib` at the `toolchain` (else `go`) version, as osv-scanner reports it. A module replaced by a
 * local directory is not a published module version: it is left out and said.
 */
import type { CoverageEntry } from "../findings/index.js";
import type { CatalogedPackage, CatalogResult } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";

const MAX_PACKAGES = 200_000;

export function isGoModPath(path: string): boolean {
  // The module cache (GOMODCACHE, .../pkg/mod/...) holds the go.mod of every downloaded dependency: those
  // describe other modules' requirements, not what was built, and vendor/ copies are not scanned either.
  return baseName(path) === "go.mod" && !/(?:^|\/)pkg\/mod\//.test(path) && !/(?:^|\/)vendor\//.test(path);
}

interface Require {
  path: string;
  version: string;
  indirect: boolean;
  line: number;
}
interface Replace {
  oldPath: string;
  oldVersion?: string | undefined;
  newPath: string;
  newVersion?: string | undefined;
  line: number;
}

/** Split a go.mod line into tokens: bare words and quoted strings ("..." with escapes, `...` raw). */
function tokens(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === " " || c === "\t") i++;
    else if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(line.slice(i));
      if (!m) return undefined;
      try {
        out.push(JSON.parse(m[0]) as string);
      } catch {
        return undefined;
      }
      i += m[0].length;
    } else if (c === "`") {
      const end = line.indexOf("`", i + 1);
      if (end < 0) return undefined;
      out.push(line.slice(i + 1, end));
      i = end + 1;
    } else if (line.startsWith("=>", i)) {
      out.push("=>");
      i += 2;
    } else {
      const m = /^[^\s"`]+/.exec(line.slice(i)) as RegExpExecArray;
      // "=>" glued to a word: split it off.
      const w = m[0];
      const arrow = w.indexOf("=>");
      const word = arrow > 0 ? w.slice(0, arrow) : w;
      out.push(word);
      i += word.length;
    }
  }
  return out;
}

const isLocalPath = (p: string) =>
  p.startsWith("./") || p.startsWith("../") || p.startsWith("/") || p === "." || p === "..";

export function parseGoMod(data: Uint8Array, path: string): CatalogResult {
  const coverage: CoverageEntry[] = [];
  const problem = (line: number, reason: CoverageEntry["reason"], message: string) =>
    coverage.push({ reason, subject: path, location: { file: path, line, column: 1 }, message });
  const requires: Require[] = [];
  const replaces: Replace[] = [];
  let goVersion: { version: string; line: number } | undefined;
  let toolchain: { version: string; line: number } | undefined;
  let block: string | undefined;
  const lines = decodeUtf8(data).split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const lineNo = i + 1;
    const comment = raw.indexOf("//");
    const indirect = comment >= 0 && /^\/\/\s*indirect(?:;|\s*$)/.test(raw.slice(comment).trim());
    const body = (comment >= 0 ? raw.slice(0, comment) : raw).trim();
    if (body === "") continue;
    let toks = tokens(body);
    if (!toks) {
      problem(lineNo, "parse-error", "go.mod: unterminated quoted string");
      continue;
    }
    if (block !== undefined) {
      if (toks[0] === ")" && toks.length === 1) {
        block = undefined;
        continue;
      }
    } else {
      const verb = toks[0] as string;
      if (toks[1] === "(" && toks.length === 2) {
        block = verb;
        continue;
      }
      toks = toks.slice(1);
      if (verb === "go") {
        if (toks[0]) goVersion = { version: toks[0], line: lineNo };
        continue;
      }
      if (verb === "toolchain") {
        if (toks[0]) toolchain = { version: toks[0], line: lineNo };
        continue;
      }
      if (verb !== "require" && verb !== "replace") continue; // module, exclude, retract, godebug, tool, ignore
      block = undefined;
      handle(verb, toks, lineNo, indirect);
      continue;
    }
    handle(block, toks, lineNo, indirect);
  }

  function handle(verb: string, toks: string[], line: number, indirect: boolean): void {
    if (verb === "require") {
      const [p, v] = toks;
      if (toks.length !== 2 || !p || !v)
        problem(line, "invalid", `go.mod: require wants "path version": ${toks.join(" ")}`);
      else requires.push({ path: p, version: v, indirect, line });
    } else if (verb === "replace") {
      const arrow = toks.indexOf("=>");
      const left = toks.slice(0, arrow);
      const right = toks.slice(arrow + 1);
      if (arrow < 1 || left.length > 2 || right.length < 1 || right.length > 2 || !left[0] || !right[0])
        problem(
          line,
          "invalid",
          `go.mod: replace wants "path [version] => path [version]": ${toks.join(" ")}`,
        );
      else
        replaces.push({
          oldPath: left[0],
          oldVersion: left[1],
          newPath: right[0],
          newVersion: right[1],
          line,
        });
    }
  }

  const packages: CatalogedPackage[] = [];
  const seen = new Set<string>();
  for (const r of requires) {
    // The go command refuses a path required twice; listing it once is enough.
    if (seen.has(`${r.path} ${r.version}`)) continue;
    seen.add(`${r.path} ${r.version}`);
    if (packages.length >= MAX_PACKAGES) {
      coverage.push({ reason: "limit", subject: path, message: `more than ${MAX_PACKAGES} requirements` });
      break;
    }
    // A replace naming the version wins over one for every version of the path (go.dev/ref/mod#go-mod-file-replace).
    const rep =
      replaces.find((x) => x.oldPath === r.path && x.oldVersion === r.version) ??
      replaces.find((x) => x.oldPath === r.path && x.oldVersion === undefined);
    let name = r.path;
    let version = r.version;
    if (rep) {
      if (isLocalPath(rep.newPath) || rep.newVersion === undefined) {
        problem(
          rep.line,
          "not-evaluated",
          `${r.path} ${r.version} is replaced by the local directory ${rep.newPath}`,
        );
        continue;
      }
      name = rep.newPath;
      version = rep.newVersion;
    }
    const pkg: CatalogedPackage = { type: "golang", name, version, locations: [path], line: r.line };
    if (r.indirect) pkg.indirect = true;
    packages.push(pkg);
  }
  const std = toolchain
    ? { version: toolchain.version.replace(/^go/, "").replace(/[-+].*$/, ""), line: toolchain.line }
    : goVersion;
  if (std && /^\d+(?:\.\d+){0,2}(?:rc\d+|beta\d+)?$/.test(std.version))
    packages.push({
      type: "golang",
      name: "stdlib",
      version: std.version,
      locations: [path],
      line: std.line,
    });
  return { packages, coverage };
}
