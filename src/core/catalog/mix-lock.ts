/**
 * Elixir `mix.lock` (Mix writes it with `inspect`: a map from dependency name to a tuple). Hex dependencies are
 * `{:hex, :package, "version", "inner checksum", [managers], [deps], "repo", "outer checksum"}` (older Mix
 * wrote fewer trailing elements); git and path dependencies (`{:git, url, ref, opts}`) are not Hex releases. The
 * repo is "hexpm" for the public registry and "hexpm:org" for an organization's private packages, whose purl
 * names the organization as namespace (purl-spec "hex"). The file is read with a small parser of the Elixir
 * term subset Mix writes (maps, tuples, lists, keyword lists, atoms, strings, numbers), never evaluated.
 */
import type { CoverageEntry } from "../findings/index.js";
import type { CatalogedPackage, CatalogResult } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";

const MAX_DEPTH = 64;
/** Where a string's plain run stops: its end or an escape. */
const STRING_STOP = /["\\]/g;
const MAX_PACKAGES = 200_000;

export function isMixLockPath(path: string): boolean {
  return baseName(path) === "mix.lock" && !/(?:^|\/)deps\//.test(path);
}

type Term =
  | string
  | number
  | boolean
  | null
  | { atom: string }
  | { tuple: Term[] }
  | Term[]
  | { map: { key: Term; value: Term; line: number }[] };

class TermError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

class TermReader {
  private pos = 0;
  private line = 1;
  constructor(private readonly s: string) {}

  private blank(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === "\n") {
        this.line++;
        this.pos++;
      } else if (c === " " || c === "\t" || c === "\r") this.pos++;
      else if (c === "#") {
        const nl = s.indexOf("\n", this.pos);
        this.pos = nl < 0 ? s.length : nl;
      } else break;
    }
  }

  document(): Term {
    const t = this.term(0);
    this.blank();
    if (this.pos < this.s.length) throw new TermError(this.line, "unexpected text after the term");
    return t;
  }

  term(depth: number): Term {
    if (depth > MAX_DEPTH) throw new TermError(this.line, `nested deeper than ${MAX_DEPTH}`);
    this.blank();
    const s = this.s;
    const c = s[this.pos];
    if (c === undefined) throw new TermError(this.line, "unexpected end of file");
    if (c === "%" && s[this.pos + 1] === "{") {
      this.pos += 2;
      return this.mapBody(depth);
    }
    if (c === "{") {
      this.pos++;
      return { tuple: this.sequence("}", depth) };
    }
    if (c === "[") {
      this.pos++;
      return this.sequence("]", depth);
    }
    if (c === '"') return this.string();
    if (c === ":") {
      this.pos++;
      if (s[this.pos] === '"') return { atom: this.string() };
      const m = /^[A-Za-z_][A-Za-z0-9_@]*[?!]?/.exec(s.slice(this.pos, this.pos + 256));
      if (!m) throw new TermError(this.line, "malformed atom");
      this.pos += m[0].length;
      return { atom: m[0] };
    }
    const m = /^(?:-?\d[\d_]*(?:\.\d+)?|true|false|nil)/.exec(s.slice(this.pos, this.pos + 64));
    if (!m) throw new TermError(this.line, `unexpected ${JSON.stringify(c)}`);
    this.pos += m[0].length;
    if (m[0] === "true" || m[0] === "false") return m[0] === "true";
    if (m[0] === "nil") return null;
    return Number(m[0].replace(/_/g, ""));
  }

  /** Elements up to `close`; `key: value` keyword pairs become `{tuple: [atom, value]}` as in Elixir. */
  private sequence(close: string, depth: number): Term[] {
    const out: Term[] = [];
    for (;;) {
      this.blank();
      if (this.s[this.pos] === close) {
        this.pos++;
        return out;
      }
      const kw = /^([A-Za-z_][A-Za-z0-9_]*[?!]?): /.exec(this.s.slice(this.pos, this.pos + 256));
      if (kw?.[1]) {
        this.pos += kw[0].length;
        out.push({ tuple: [{ atom: kw[1] }, this.term(depth + 1)] });
      } else out.push(this.term(depth + 1));
      this.blank();
      if (this.s[this.pos] === ",") this.pos++;
      else if (this.s[this.pos] !== close) throw this.unexpected(`expected , or ${close}`);
    }
  }

  /** `%{"key": value, ...}` (keyword-style string keys) or `%{key => value, ...}`. */
  private mapBody(depth: number): Term {
    const entries: { key: Term; value: Term; line: number }[] = [];
    for (;;) {
      this.blank();
      if (this.s[this.pos] === "}") {
        this.pos++;
        return { map: entries };
      }
      const line = this.line;
      let key: Term;
      if (this.s[this.pos] === '"') {
        key = this.string();
        if (this.s[this.pos] === ":") this.pos++;
        else this.expectArrow();
      } else {
        key = this.term(depth + 1);
        this.expectArrow();
      }
      entries.push({ key, value: this.term(depth + 1), line });
      if (entries.length > MAX_PACKAGES) throw new TermError(this.line, `more than ${MAX_PACKAGES} entries`);
      this.blank();
      if (this.s[this.pos] === ",") this.pos++;
      else if (this.s[this.pos] !== "}") throw this.unexpected("expected , or }");
    }
  }

  /** The error for what stands at the cursor: the end of the text (a truncated file) or an unexpected token. */
  private unexpected(wanted: string): TermError {
    return new TermError(
      this.line,
      this.pos >= this.s.length ? "unexpected end of file (truncated?)" : wanted,
    );
  }

  private expectArrow(): void {
    this.blank();
    if (!this.s.startsWith("=>", this.pos))
      throw new TermError(this.line, "expected => or : after a map key");
    this.pos += 2;
  }

  private string(): string {
    const s = this.s;
    let out = "";
    let i = this.pos + 1;
    for (;;) {
      STRING_STOP.lastIndex = i;
      const m = STRING_STOP.exec(s);
      if (!m) throw new TermError(this.line, "unterminated string");
      out += s.slice(i, m.index);
      if (m[0] === "\\") {
        const e = s[m.index + 1] ?? "";
        out += e === "n" ? "\n" : e === "t" ? "\t" : e;
        i = m.index + 2;
        continue;
      }
      for (let k = this.pos; k < m.index; k++) if (s.charCodeAt(k) === 10) this.line++;
      this.pos = m.index + 1;
      return out;
    }
  }
}

const atom = (t: Term | undefined): string | undefined =>
  t !== null && typeof t === "object" && "atom" in t ? t.atom : undefined;

/** Parse mix.lock: one package per Hex entry, at the line of its key. */
export function parseMixLock(data: Uint8Array, path: string): CatalogResult {
  const coverage: CoverageEntry[] = [];
  let doc: Term;
  try {
    doc = new TermReader(decodeUtf8(data)).document();
  } catch (e) {
    if (!(e instanceof TermError)) throw e;
    return {
      packages: [],
      coverage: [
        {
          reason: "parse-error",
          subject: path,
          location: { file: path, line: e.line, column: 1 },
          message: `mix.lock: ${e.message}`,
        },
      ],
    };
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc) || !("map" in doc))
    return {
      packages: [],
      coverage: [{ reason: "parse-error", subject: path, message: "mix.lock is not a map" }],
    };
  const packages: CatalogedPackage[] = [];
  for (const { key, value, line } of doc.map) {
    const t = value !== null && typeof value === "object" && "tuple" in value ? value.tuple : undefined;
    const scm = atom(t?.[0]);
    if (scm !== "hex") {
      if (scm === undefined)
        coverage.push({
          reason: "invalid",
          subject: path,
          location: { file: path, line, column: 1 },
          message: `mix.lock: the entry ${JSON.stringify(typeof key === "string" ? key : "?")} is not a {:scm, ...} tuple`,
        });
      continue; // :git and :path dependencies are not Hex releases
    }
    const name = atom(t?.[1]);
    const version = t?.[2];
    if (!name || typeof version !== "string" || version === "") {
      coverage.push({
        reason: "invalid",
        subject: path,
        location: { file: path, line, column: 1 },
        message: "mix.lock: a :hex entry without a package atom and version string",
      });
      continue;
    }
    const pkg: CatalogedPackage = { type: "hex", name, version, locations: [path], line };
    const repo = t?.[6];
    if (typeof repo === "string" && repo.startsWith("hexpm:") && repo.length > 6) pkg.group = repo.slice(6);
    packages.push(pkg);
  }
  return { packages, coverage };
}
