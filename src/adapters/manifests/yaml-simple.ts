import { Document, type DocumentOptions, isScalar, type ParseOptions, type SchemaOptions } from "yaml";
import { parseFieldPath } from "../../core/inventory/index.js";
import { FORBIDDEN_KEYS } from "../../core/util/index.js";

/**
 * A fast path for the YAML most manifests are: block mappings and sequences, one-line plain and quoted scalars,
 * comments, `{}` and `[]`, `---` between documents. The `yaml` package runs a lexer, a CST parser and a composer in V8's
 * interpreter on first use, which was a fifth of a one-file scan; this reads such text line by line.
 *
 * It must give exactly what the `yaml` package gives (values, document numbering, positions for `locate`), so it
 * accepts a deliberately small subset and answers `undefined` for anything else, and the caller parses the whole
 * text with the `yaml` package: tabs, CR, flow collections (`[`, `{` opening a value), block scalars (`|`, `>`),
 * anchors, aliases, tags, directives, `...`, multi-line scalars, escapes in double quotes, keys that are not
 * simple words or that YAML 1.1 resolves to something other than a string (`on`, `y`, `0`, `<<`), duplicate and
 * forbidden keys, and documents that are not mappings. Plain scalars are resolved
 * with the same schema tags (YAML 1.1 with the manifest loader's options), by the same first-match rule as the
 * `yaml` package's composer. yaml-simple.test.ts checks it against the `yaml` package on the fixtures, the example
 * manifests, hostile cases and random documents.
 */

/** A node of a simple document: where it starts, and its children for `locate`. */
export type SimpleNode =
  | { kind: "map"; start: number; keys: Map<string, { keyStart: number; value: SimpleNode }> }
  | { kind: "seq"; start: number; items: SimpleNode[] }
  | { kind: "scalar"; start: number };

export interface SimpleDocument {
  value: Record<string, unknown>;
  root: SimpleNode;
}

interface Line {
  indent: number;
  /** Offset of the first character after the indentation. */
  at: number;
  /** The line after its indentation, without the line break. */
  text: string;
}

/** Nesting this deep or deeper is left to the `yaml` package (and its depth checks). */
const MAX_DEPTH = 64;
/** The `yaml` package refuses implicit keys of 1024 characters or more. */
const MAX_KEY = 1000;
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*:(?= |$)/;
/** Characters that cannot start a plain scalar here (YAML indicators; `-` is handled apart). */
const INDICATOR = new Set([..."?:,[]{}#&*!|>'\"%@`"]);

class NotSimple extends Error {}
function notSimple(): never {
  throw new NotSimple();
}

type Resolver = (plain: string) => unknown;
type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

const resolvers = new WeakMap<YamlOptions, Resolver>();

/** Resolve a plain scalar as the `yaml` package's composer does with these options (findScalarTagByTest). */
function plainResolver(options: YamlOptions): Resolver {
  let r = resolvers.get(options);
  if (r === undefined) {
    r = makeResolver(options);
    resolvers.set(options, r);
  }
  return r;
}

function makeResolver(options: YamlOptions): Resolver {
  const doc = new Document(null, options);
  const schema = doc.schema as unknown as {
    tags: {
      default?: boolean | "key";
      test?: RegExp;
      resolve: (s: string, onError: (m: string) => void, o: unknown) => unknown;
    }[];
    compat: unknown;
  };
  // With a compat schema the composer also warns on ambiguous scalars: not modelled, so never simple.
  if (schema.compat) return () => notSimple();
  const tags = schema.tags.filter((t) => t.default === true && t.test !== undefined);
  const opts = doc.options;
  const anyTag = anyOf(tags.map((t) => t.test as RegExp));
  return (plain) => {
    // Most scalars of a manifest are strings that no tag's test matches: one regular expression tells.
    if (anyTag !== undefined && !anyTag.test(plain)) return plain;
    const tag = tags.find((t) => t.test?.test(plain));
    if (!tag) return plain;
    const res = tag.resolve(plain, notSimple, opts);
    return isScalar(res) ? res.value : res;
  };
}

/**
 * One regular expression matching exactly the strings some of `tests` matches (their alternation), or undefined
 * when they cannot be joined as they are (flags, which would differ or keep state; numbered or named groups, which
 * joining renumbers). The `yaml` package's scalar tests are anchored patterns without either.
 */
export function anyOf(tests: readonly RegExp[]): RegExp | undefined {
  if (
    tests.length === 0 ||
    tests.some((t) => t.flags !== "" || /\\[1-9]|\\k<|\((?!\?(?::|=|!|<=|<!))/.test(t.source))
  )
    return undefined;
  return new RegExp(tests.map((t) => `(?:${t.source})`).join("|"));
}

/**
 * Parse `text` if it is in the simple subset; `undefined` when it is not (parse it with the `yaml` package). One
 * entry per document as the `yaml` package numbers them; `null` for an empty one (comments only).
 * `options` are the manifest loader's YAML options (scalars resolve with them).
 */
export function parseSimpleYaml(
  text: string,
  options: YamlOptions,
  maxDepth: number,
): (SimpleDocument | null)[] | undefined {
  if (text.includes("\t") || text.includes("\r")) return undefined;
  try {
    return parseDocuments(text, plainResolver(options), Math.min(maxDepth, MAX_DEPTH));
  } catch (e) {
    if (e instanceof NotSimple) return undefined;
    throw e;
  }
}

function parseDocuments(text: string, resolve: Resolver, maxDepth: number): (SimpleDocument | null)[] {
  // Documents as runs of lines between `---` markers. As in the `yaml` package, every marker starts a document
  // (one with nothing but comments is an empty document, which still counts), and lines before the first marker
  // are a document only if they hold content.
  const docs: Line[][] = [];
  let current: Line[] = [];
  let markers = 0;
  let at = 0;
  while (at <= text.length) {
    let end = text.indexOf("\n", at);
    if (end === -1) end = text.length;
    let indent = 0;
    while (at + indent < end && text.charCodeAt(at + indent) === 32) indent++;
    const body = text.slice(at + indent, end);
    if (body === "" || body.startsWith("#")) {
      // Blank or comment line.
    } else if (indent === 0 && (body.startsWith("---") || body.startsWith("...") || body.startsWith("%"))) {
      if (body !== "---") notSimple();
      if (markers > 0 || current.length > 0) docs.push(current);
      current = [];
      markers++;
    } else current.push({ indent, at: at + indent, text: body });
    at = end + 1;
  }
  if (markers > 0 || current.length > 0) docs.push(current);
  return docs.map((lines) => {
    if (lines.length === 0) return null;
    const p = new Reader(lines, resolve, maxDepth);
    if (lines[0]!.indent !== 0) notSimple();
    const { value, node } = p.node(0, 0);
    if (p.i !== lines.length || node.kind !== "map") notSimple();
    return { value: value as Record<string, unknown>, root: node };
  });
}

class Reader {
  i = 0;
  constructor(
    private readonly lines: Line[],
    private readonly resolve: Resolver,
    private readonly maxDepth: number,
  ) {}

  /** The block node starting at the current line, whose indentation is `indent`. */
  node(indent: number, depth: number): { value: unknown; node: SimpleNode } {
    // The loader reports maps and sequences at maxDepth or deeper (scanDocument): left to the `yaml` path.
    if (depth >= this.maxDepth) notSimple();
    const line = this.lines[this.i]!;
    if (line.indent !== indent) notSimple();
    if (isSeqEntry(line.text)) return this.seq(indent, depth);
    if (KEY.test(line.text)) return this.map(indent, depth);
    return notSimple();
  }

  private map(indent: number, depth: number): { value: unknown; node: SimpleNode } {
    const value: Record<string, unknown> = {};
    const keys = new Map<string, { keyStart: number; value: SimpleNode }>();
    const start = this.lines[this.i]!.at;
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.indent < indent) break;
      if (line.indent > indent) notSimple();
      const m = KEY.exec(line.text);
      if (!m) {
        // A sequence at the map's indentation is the previous key's value (handled there), else an error.
        return notSimple();
      }
      const raw = m[0].slice(0, -1);
      if (raw.length > MAX_KEY) notSimple();
      const key = this.resolve(raw);
      if (typeof key !== "string" || key !== raw || FORBIDDEN_KEYS.has(key) || keys.has(key)) notSimple();
      const rest = line.text.slice(m[0].length);
      const valueAt = line.at + m[0].length + leadingSpaces(rest);
      const inline = stripComment(rest.trimStart());
      this.i++;
      let v: unknown;
      let n: SimpleNode;
      if (inline === "") {
        const next = this.lines[this.i];
        if (next && next.indent > indent) ({ value: v, node: n } = this.node(next.indent, depth + 1));
        else if (next && next.indent === indent && isSeqEntry(next.text)) {
          if (depth + 1 >= this.maxDepth) notSimple();
          ({ value: v, node: n } = this.seq(indent, depth + 1));
        } else {
          v = null;
          n = { kind: "scalar", start: valueAt };
        }
      } else if (inline === "{}" || inline === "[]") {
        ({ value: v, node: n } = emptyCollection(inline, valueAt));
        const next = this.lines[this.i];
        if (next && next.indent > indent) notSimple();
      } else {
        v = this.scalar(inline);
        n = { kind: "scalar", start: valueAt };
        const next = this.lines[this.i];
        if (next && next.indent > indent) notSimple();
      }
      value[key] = v;
      keys.set(key, { keyStart: line.at, value: n });
    }
    return { value, node: { kind: "map", start, keys } };
  }

  private seq(indent: number, depth: number): { value: unknown; node: SimpleNode } {
    const value: unknown[] = [];
    const items: SimpleNode[] = [];
    const start = this.lines[this.i]!.at;
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.indent < indent) break;
      if (line.indent > indent) notSimple();
      if (!isSeqEntry(line.text)) break;
      // `- x`: exactly one space, then the item.
      if (line.text.length < 3 || line.text.charCodeAt(2) === 32) notSimple();
      const rest = line.text.slice(2);
      if (isSeqEntry(rest)) notSimple();
      if (KEY.test(rest)) {
        // `- key: value`: a map whose keys sit two columns in; the line is read again as its first entry.
        this.lines[this.i] = { indent: indent + 2, at: line.at + 2, text: rest };
        if (depth + 1 >= this.maxDepth) notSimple();
        const { value: v, node: n } = this.map(indent + 2, depth + 1);
        value.push(v);
        items.push(n);
      } else {
        const inline = stripComment(rest);
        if (inline === "{}" || inline === "[]") {
          const e = emptyCollection(inline, line.at + 2);
          value.push(e.value);
          items.push(e.node);
        } else {
          value.push(this.scalar(inline));
          items.push({ kind: "scalar", start: line.at + 2 });
        }
        this.i++;
        const next = this.lines[this.i];
        if (next && next.indent > indent) notSimple();
      }
    }
    return { value, node: { kind: "seq", start, items } };
  }

  /** A one-line scalar (comment already removed): single- or double-quoted without escapes, or plain. */
  private scalar(s: string): unknown {
    const q = s[0];
    if (q === '"') {
      if (s.length < 2 || !s.endsWith('"')) notSimple();
      const inner = s.slice(1, -1);
      if (inner.includes('"') || inner.includes("\\")) notSimple();
      return inner;
    }
    if (q === "'") {
      if (s.length < 2 || !s.endsWith("'")) notSimple();
      const inner = s.slice(1, -1);
      if (inner.replaceAll("''", "").includes("'")) notSimple();
      return inner.replaceAll("''", "'");
    }
    if (q === undefined || INDICATOR.has(q) || (q === "-" && (s.length === 1 || s[1] === " "))) notSimple();
    // `a: b` inside a value is a nested mapping on one line (an error); `a:` at the end is a key.
    if (s.includes(": ") || s.endsWith(":") || s.includes(" #")) notSimple();
    return this.resolve(s);
  }
}

/** `{}` or `[]`: the one flow collection read here. */
function emptyCollection(inline: "{}" | "[]", start: number): { value: unknown; node: SimpleNode } {
  return inline === "{}"
    ? { value: {}, node: { kind: "map", start, keys: new Map() } }
    : { value: [], node: { kind: "seq", start, items: [] } };
}

const isSeqEntry = (text: string): boolean => text === "-" || text.startsWith("- ");

function leadingSpaces(s: string): number {
  let n = 0;
  while (n < s.length && s.charCodeAt(n) === 32) n++;
  return n;
}

/**
 * The value text of a line without its comment: a `#` after a space starts one. Quoted values end at their closing
 * quote; what follows must be a comment or nothing.
 */
function stripComment(s: string): string {
  if (s.startsWith("#")) return "";
  const q = s[0];
  if (q === '"' || q === "'") {
    let end = s.indexOf(q, 1);
    if (q === "'") while (end !== -1 && s[end + 1] === "'") end = s.indexOf(q, end + 2);
    if (end === -1) return notSimple();
    const after = s.slice(end + 1);
    const t = after.trimStart();
    if (t !== "" && !(t.startsWith("#") && after.length > t.length)) notSimple();
    return s.slice(0, end + 1);
  }
  const c = s.indexOf(" #");
  return (c === -1 ? s : s.slice(0, c)).trimEnd();
}

/** Offset of the node a field path names in a simple document (a map entry's key), as `locate` reports it. */
export function simpleNodeOffset(root: SimpleNode, fieldPath: string): number | undefined {
  let segs: ReturnType<typeof parseFieldPath>;
  try {
    segs = parseFieldPath(fieldPath);
  } catch {
    return undefined;
  }
  let node = root;
  let pos = node.start;
  for (const seg of segs) {
    if (node.kind === "map" && typeof seg === "string") {
      const e = node.keys.get(seg);
      if (!e) return undefined;
      pos = e.keyStart;
      node = e.value;
    } else if (node.kind === "seq" && typeof seg === "number") {
      const item = node.items[seg];
      if (!item) return undefined;
      pos = item.start;
      node = item;
    } else return undefined;
  }
  return pos;
}
