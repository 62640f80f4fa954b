/**
 * A TOML reader for lockfiles (poetry.lock, uv.lock, Cargo.lock): TOML v1.0.0 (toml.io/en/v1.0.0) read as the
 * sequence of its tables in file order, each with the line of its header, rather than merged into one tree.
 * Lockfiles are `[[package]]` arrays of tables followed by sub-tables of the last element (`[package.extras]`,
 * `[package.source]`); the sequence keeps each package's line and keeps a later package from being merged into
 * an earlier one. Values are strings, numbers, booleans, arrays and inline tables (dates and times stay strings).
 * Keys named `__proto__`, `constructor` or `prototype` are refused (a warning) and never assigned. Nesting and
 * table count are capped; a syntax error stops the read with its line, and the tables before it are kept.
 */
import { FORBIDDEN_KEYS } from "../util/index.js";

export type TomlValue = string | number | boolean | TomlValue[] | TomlObject;
export interface TomlObject {
  [key: string]: TomlValue;
}

/** One `[table]`, `[[array.table]]` or the root table (empty header), with what it assigns. */
export interface TomlTable {
  /** Header key path: `[[package]]` is ["package"], `[package.source]` is ["package", "source"]. */
  header: string[];
  /** `[[...]]`: an element of an array of tables. */
  array: boolean;
  /** 1-based line of the header (1 for the root table). */
  line: number;
  values: TomlObject;
  /** 1-based line of each top-level key assigned in this table (dotted keys under their first part). */
  keyLines: Record<string, number>;
}

export interface TomlRead {
  tables: TomlTable[];
  /** The first syntax error or cap; what came before it is in `tables`. */
  error?: { line: number; message: string } | undefined;
  /** Refused keys and duplicate assignments, each with its line. */
  warnings: { line: number; message: string }[];
}

export const TOML_LIMITS: { readonly maxTables: number; readonly maxDepth: number } = {
  maxTables: 1_000_000,
  maxDepth: 64,
};

class TomlError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

const BARE_KEY = /[A-Za-z0-9_-]/;
/** Where a basic string's plain run stops: its end, an escape, or a (forbidden) line end. */
const BASIC_STOP = /["\\\n]/g;
const MULTI_STOP = /"""|\\/g;
const ESCAPES: Readonly<Record<string, string>> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  '"': '"',
  "\\": "\\",
};

/** Read a TOML document's tables in order. */
export function readTomlTables(text: string, limits = TOML_LIMITS): TomlRead {
  const p = new Reader(text, limits);
  return p.run();
}

class Reader {
  private pos = 0;
  private readonly lineStarts: number[] = [0];
  private readonly tables: TomlTable[] = [];
  private readonly warnings: { line: number; message: string }[] = [];

  constructor(
    private readonly s: string,
    private readonly limits: typeof TOML_LIMITS,
  ) {
    for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) this.lineStarts.push(i + 1);
  }

  /** 1-based line of an offset (binary search over line starts). */
  lineAt(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  run(): TomlRead {
    let cur: TomlTable = { header: [], array: false, line: 1, values: {}, keyLines: {} };
    this.tables.push(cur);
    try {
      if (this.s.charCodeAt(0) === 0xfeff) this.pos = 1;
      for (;;) {
        this.skipBlank(true);
        if (this.pos >= this.s.length) break;
        const start = this.pos;
        if (this.s[this.pos] === "[") {
          const array = this.s[this.pos + 1] === "[";
          this.pos += array ? 2 : 1;
          this.skipBlank(false);
          const header = this.key();
          this.skipBlank(false);
          if (!this.s.startsWith(array ? "]]" : "]", this.pos))
            throw new TomlError(this.pos, `expected ${array ? "]]" : "]"} to close the table header`);
          this.pos += array ? 2 : 1;
          this.endOfLine();
          if (this.tables.length >= this.limits.maxTables)
            throw new TomlError(start, `more than ${this.limits.maxTables} tables`);
          cur = { header, array, line: this.lineAt(start), values: {}, keyLines: {} };
          this.tables.push(cur);
          continue;
        }
        const key = this.key();
        this.skipBlank(false);
        if (this.s[this.pos] !== "=") throw new TomlError(this.pos, "expected = after a key");
        this.pos++;
        this.skipBlank(false);
        const value = this.value(0);
        this.endOfLine();
        const line = this.lineAt(start);
        if (this.assign(cur.values, key, value, line) && !((key[0] as string) in cur.keyLines))
          cur.keyLines[key[0] as string] = line;
      }
      return { tables: this.tables, warnings: this.warnings };
    } catch (e) {
      if (!(e instanceof TomlError)) throw e;
      return {
        tables: this.tables,
        warnings: this.warnings,
        error: { line: this.lineAt(Math.min(e.pos, this.s.length)), message: e.message },
      };
    }
  }

  /** Assign a dotted key; refuses prototype keys and says so. Returns whether it was assigned. */
  private assign(into: TomlObject, key: string[], value: TomlValue, line: number): boolean {
    let obj = into;
    for (const [i, k] of key.entries()) {
      if (FORBIDDEN_KEYS.has(k)) {
        this.warnings.push({ line, message: `key "${k}" refused` });
        return false;
      }
      if (i === key.length - 1) {
        if (Object.hasOwn(obj, k)) {
          this.warnings.push({ line, message: `key "${key.join(".")}" assigned twice; the first is kept` });
          return false;
        }
        obj[k] = value;
        return true;
      }
      const next = Object.hasOwn(obj, k) ? obj[k] : undefined;
      if (next === undefined) {
        const created: TomlObject = {};
        obj[k] = created;
        obj = created;
      } else if (typeof next === "object" && !Array.isArray(next)) obj = next;
      else {
        this.warnings.push({ line, message: `key "${key.join(".")}" extends a value that is not a table` });
        return false;
      }
    }
    return false;
  }

  /** Spaces and tabs, comments, and (when `newlines`) line ends. */
  private skipBlank(newlines: boolean): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === " " || c === "\t") this.pos++;
      else if (c === "#") {
        const nl = s.indexOf("\n", this.pos);
        this.pos = nl < 0 ? s.length : nl;
      } else if (newlines && (c === "\n" || (c === "\r" && s[this.pos + 1] === "\n")))
        this.pos += c === "\r" ? 2 : 1;
      else break;
    }
  }

  private endOfLine(): void {
    this.skipBlank(false);
    const c = this.s[this.pos];
    if (c === undefined) return;
    if (c === "\n") {
      this.pos++;
      return;
    }
    if (c === "\r" && this.s[this.pos + 1] === "\n") {
      this.pos += 2;
      return;
    }
    throw new TomlError(this.pos, `unexpected ${JSON.stringify(c)} after a value`);
  }

  /** A dotted key: bare or quoted parts separated by dots. */
  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const c = this.s[this.pos];
      if (c === '"' || c === "'") {
        if (this.s.startsWith(c.repeat(3), this.pos))
          throw new TomlError(this.pos, "a key cannot be multi-line");
        parts.push(c === '"' ? this.basicString() : this.literalString());
      } else {
        const start = this.pos;
        while (this.pos < this.s.length && BARE_KEY.test(this.s[this.pos] as string)) this.pos++;
        if (this.pos === start) throw new TomlError(this.pos, "expected a key");
        parts.push(this.s.slice(start, this.pos));
      }
      this.skipBlank(false);
      if (this.s[this.pos] !== ".") return parts;
      this.pos++;
    }
  }

  private value(depth: number): TomlValue {
    if (depth > this.limits.maxDepth)
      throw new TomlError(this.pos, `values nested deeper than ${this.limits.maxDepth}`);
    const s = this.s;
    const c = s[this.pos];
    if (c === '"') return s.startsWith('"""', this.pos) ? this.multilineBasic() : this.basicString();
    if (c === "'") return s.startsWith("'''", this.pos) ? this.multilineLiteral() : this.literalString();
    if (c === "[") return this.array(depth);
    if (c === "{") return this.inlineTable(depth);
    const m = /^[0-9A-Za-z_:.+-]+(?: [0-9][0-9:.+Z-]*)?/.exec(s.slice(this.pos, this.pos + 128));
    if (!m)
      throw new TomlError(this.pos, c === undefined ? "expected a value" : `unexpected ${JSON.stringify(c)}`);
    const word = m[0];
    this.pos += word.length;
    if (word === "true") return true;
    if (word === "false") return false;
    if (/^[+-]?(?:0|[1-9](?:_?[0-9])*)$/.test(word)) return Number(word.replace(/_/g, ""));
    if (/^[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?$/.test(word))
      return Number(word.replace(/_/g, ""));
    if (/^0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*$/.test(word))
      return Number.parseInt(word.slice(2).replace(/_/g, ""), 16);
    if (/^0o[0-7](?:_?[0-7])*$/.test(word)) return Number.parseInt(word.slice(2).replace(/_/g, ""), 8);
    if (/^0b[01](?:_?[01])*$/.test(word)) return Number.parseInt(word.slice(2).replace(/_/g, ""), 2);
    if (/^[+-]?(?:inf|nan)$/.test(word))
      return word.endsWith("inf") ? (word.startsWith("-") ? -Infinity : Infinity) : Number.NaN;
    // Offset date-times, local dates and times: kept as written.
    if (/^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}/.test(word)) return word;
    throw new TomlError(this.pos - word.length, `unexpected ${JSON.stringify(word.slice(0, 32))}`);
  }

  private array(depth: number): TomlValue[] {
    const out: TomlValue[] = [];
    this.pos++;
    for (;;) {
      this.skipBlank(true);
      if (this.s[this.pos] === "]") {
        this.pos++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.skipBlank(true);
      const c = this.s[this.pos];
      if (c === ",") this.pos++;
      else if (c !== "]") throw new TomlError(this.pos, "expected , or ] in an array");
    }
  }

  private inlineTable(depth: number): TomlObject {
    const out: TomlObject = {};
    const start = this.pos;
    this.pos++;
    this.skipBlank(false);
    if (this.s[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      const key = this.key();
      this.skipBlank(false);
      if (this.s[this.pos] !== "=") throw new TomlError(this.pos, "expected = in an inline table");
      this.pos++;
      this.skipBlank(false);
      this.assign(out, key, this.value(depth + 1), this.lineAt(start));
      this.skipBlank(false);
      const c = this.s[this.pos];
      this.pos++;
      if (c === "}") return out;
      if (c !== ",") throw new TomlError(this.pos - 1, "expected , or } in an inline table");
      this.skipBlank(false);
    }
  }

  private basicString(): string {
    const s = this.s;
    let out = "";
    let i = this.pos + 1;
    for (;;) {
      BASIC_STOP.lastIndex = i;
      const m = BASIC_STOP.exec(s);
      if (!m) throw new TomlError(this.pos, "unterminated string");
      out += s.slice(i, m.index);
      i = m.index;
      const c = s[i];
      if (c === '"') {
        this.pos = i + 1;
        return out;
      }
      if (c === "\n") throw new TomlError(i, "newline in a single-line string");
      const [esc, next] = this.escape(i);
      out += esc;
      i = next;
    }
  }

  /** The escape at `i` (a backslash): its text and the offset after it. */
  private escape(i: number): [string, number] {
    const e = this.s[i + 1] ?? "";
    if (Object.hasOwn(ESCAPES, e)) return [ESCAPES[e] as string, i + 2];
    if (e === "u" || e === "U") {
      const n = e === "u" ? 4 : 8;
      const hex = this.s.slice(i + 2, i + 2 + n);
      const cp = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === n ? Number.parseInt(hex, 16) : -1;
      if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        throw new TomlError(i, `invalid unicode escape \\${e}${hex}`);
      return [String.fromCodePoint(cp), i + 2 + n];
    }
    throw new TomlError(i, `invalid escape \\${e}`);
  }

  private literalString(): string {
    const end = this.s.indexOf("'", this.pos + 1);
    const nl = this.s.indexOf("\n", this.pos + 1);
    if (end < 0 || (nl >= 0 && nl < end)) throw new TomlError(this.pos, "unterminated literal string");
    const out = this.s.slice(this.pos + 1, end);
    this.pos = end + 1;
    return out;
  }

  private multilineBasic(): string {
    const s = this.s;
    let i = this.pos + 3;
    if (s[i] === "\n") i++;
    else if (s[i] === "\r" && s[i + 1] === "\n") i += 2;
    let out = "";
    for (;;) {
      MULTI_STOP.lastIndex = i;
      const m = MULTI_STOP.exec(s);
      if (!m) throw new TomlError(this.pos, "unterminated multi-line string");
      out += s.slice(i, m.index);
      i = m.index;
      if (s[i] === '"') {
        // Up to two quotes may end the content right before the closing delimiter.
        let q = 3;
        while (q < 5 && s[i + q] === '"') q++;
        out += '"'.repeat(q - 3);
        this.pos = i + q;
        return out;
      }
      // A backslash at the end of a line trims the line end and following whitespace.
      const rest = /^\\[ \t]*\r?\n[\s]*/.exec(s.slice(i, i + 4096));
      if (rest) {
        i += rest[0].length;
        continue;
      }
      const [esc, next] = this.escape(i);
      out += esc;
      i = next;
    }
  }

  private multilineLiteral(): string {
    let i = this.pos + 3;
    if (this.s[i] === "\n") i++;
    else if (this.s[i] === "\r" && this.s[i + 1] === "\n") i += 2;
    const end = this.s.indexOf("'''", i);
    if (end < 0) throw new TomlError(this.pos, "unterminated multi-line literal string");
    let q = 3;
    while (q < 5 && this.s[end + q] === "'") q++;
    this.pos = end + q;
    return this.s.slice(i, end) + "'".repeat(q - 3);
  }
}
