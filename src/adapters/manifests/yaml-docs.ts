import {
  Composer,
  type CST,
  type Document,
  type DocumentOptions,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type ParsedNode,
  type ParseOptions,
  Parser,
  parseDocument,
  type SchemaOptions,
  type Tags,
  type YAMLMap,
} from "yaml";
import type { CoverageEntry, SourceLocation } from "../../core/findings/index.js";
import {
  inferListItemType,
  listItemKind,
  needsListType,
  parseFieldPath,
  type RawObject,
  slimObject,
  stripSecretValues,
} from "../../core/inventory/index.js";
import { FORBIDDEN_KEYS, isRecord } from "../../core/util/index.js";
import type { LoadLimits, LoadResult } from "./limits.js";
import { checkValue } from "./safety.js";
import { parseSimpleYaml, simpleNodeOffset } from "./yaml-simple.js";

const YAML_ORG = "tag:yaml.org,2002:";
/** YAML 1.1 tags Kubernetes never produces and that do not map to JSON (Date, Uint8Array, Set, Map). */
const DROPPED_TAGS = new Set([`${YAML_ORG}binary`, `${YAML_ORG}omap`, `${YAML_ORG}pairs`, `${YAML_ORG}set`]);

/**
 * Parse options matching what Kubernetes does with a manifest.
 *
 * kubectl and the API server decode YAML with sigs.k8s.io/yaml, which runs a fork of go-yaml v2 (a YAML 1.1
 * parser) and converts the result to JSON without a target type (unstructured). So, as in YAML 1.1:
 * - `y|Y|yes|Yes|YES|on|On|ON` are `true` and `n|N|no|No|NO|off|Off|OFF` are `false` (goyaml.v2/resolve.go);
 * - `0755` is octal, `0b101` binary; `<<` merge keys work.
 * Where go-yaml v2 departs from YAML 1.1 we follow go-yaml:
 * - base-60 numbers (`1:20`) are strings ("purposefully unsupported" in resolve.go), so the sexagesimal tags
 *   are removed;
 * - timestamps stay the strings written (go-yaml would turn `2001-12-14` into a time and back into an RFC 3339
 *   string; no Kubernetes field is a YAML timestamp, and keeping the text avoids JS Date objects);
 * - `!!binary`, `!!set`, `!!omap`, `!!pairs` are not resolved (they have no JSON form);
 * - duplicate keys are accepted and the last one wins (go-yaml v2 only rejects them in strict mode, which
 *   kubectl does not use for decoding).
 */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: "1.1",
  schema: "yaml-1.1",
  merge: true,
  uniqueKeys: false,
  prettyErrors: false,
  logLevel: "silent",
  customTags: (tags: Tags) =>
    tags.filter((t) => {
      const tag = t as { tag: string; format?: string };
      return !(tag.format === "TIME" || tag.tag === `${YAML_ORG}timestamp` || DROPPED_TAGS.has(tag.tag));
    }),
};

/**
 * Nesting depth of a CST token, computed iteratively. The Composer recurses once per level, so a document
 * nested thousands deep must be refused before composing: near the stack limit V8 can abort the process
 * (an uncatchable out-of-memory in the regexp compiler was observed at 100k levels), not just throw.
 */
function cstDepthExceeds(token: CST.Token, maxDepth: number): number | undefined {
  const stack: { t: CST.Token | undefined; depth: number }[] = [{ t: token, depth: 0 }];
  while (stack.length > 0) {
    const { t, depth } = stack.pop()!;
    if (t === undefined) continue;
    if (t.type === "document") stack.push({ t: t.value, depth });
    else if (t.type === "block-map" || t.type === "block-seq" || t.type === "flow-collection") {
      if (depth >= maxDepth) return t.offset;
      for (const it of t.items as { key?: CST.Token | null; value?: CST.Token }[]) {
        if (it.key) stack.push({ t: it.key, depth: depth + 1 });
        stack.push({ t: it.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/** A range of the text to parse, or the position of a document left out. */
export type Segment = { start: number; end: number } | { skipAt: number };

const DOC_MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;

/**
 * Split the text into the ranges that are safe to hand to the CST parser, leaving out every document whose
 * flow collections (`[`, `{`) nest deeper than `maxDepth`: the parser keeps one stack entry per level, so a
 * 64 MiB file of `[` would need gigabytes. Uses yaml's own Lexer, so brackets inside quoted or block scalars
 * do not count; skipped documents end at the next document marker. Block nesting needs indentation, so its
 * depth is bounded by the file size, and it is checked on the CST before composing.
 */
export function flowSafeSegments(text: string, maxDepth: number): Segment[] {
  let opens = 0;
  for (let i = 0; i < text.length && opens <= maxDepth; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) opens++;
  }
  if (opens <= maxDepth) return [{ start: 0, end: text.length }];
  const segments: Segment[] = [];
  let base = 0;
  restart: while (base < text.length) {
    let off = base;
    let depth = 0;
    let docStart = base;
    let afterScalarMarker = false;
    for (const tok of new Lexer().lex(base === 0 ? text : text.slice(base))) {
      if (afterScalarMarker) {
        afterScalarMarker = false;
        off += tok.length;
        continue;
      }
      // Lexer control tokens (document mode, scalar marker, flow error end) take no room in the source.
      if (tok === "\x1f") {
        afterScalarMarker = true;
        continue;
      }
      if (tok === "\x02" || tok === "\x18") continue;
      if (tok === "---" || tok === "...") {
        depth = 0;
        if (tok === "---") docStart = off;
      } else if (tok === "[" || tok === "{") {
        depth++;
        if (depth > maxDepth) {
          if (docStart > base) segments.push({ start: base, end: docStart });
          segments.push({ skipAt: off });
          DOC_MARKER.lastIndex = off;
          let m = DOC_MARKER.exec(text);
          // "..." ends the document but the next one starts after it.
          while (m && m[0] === "...") m = DOC_MARKER.exec(text);
          base = m?.index ?? text.length;
          continue restart;
        }
      } else if (tok === "]" || tok === "}") depth = Math.max(0, depth - 1);
      off += tok.length;
    }
    segments.push({ start: base, end: text.length });
    break;
  }
  return segments;
}

/** Compose documents one CST token at a time, dropping documents nested too deep to compose safely. */
function* composeSafely(
  text: string,
  maxDepth: number,
  tooDeep: (offset: number) => void,
): Generator<Document.Parsed> {
  const parser = new Parser();
  const composer = new Composer(YAML_OPTIONS);
  for (const token of parser.parse(text)) {
    if (token.type === "document") {
      const at = cstDepthExceeds(token, maxDepth);
      if (at !== undefined) {
        tooDeep(at);
        continue;
      }
    }
    yield* composer.next(token);
  }
  yield* composer.end(false, text.length);
}

/** What `locate` needs to find a node again: the file text, its line index, and each document's span. */
interface FileIndex {
  /** The source text, with Secret values blanked (same length, newlines kept) once parsing is over. */
  text: string;
  lines: LineCounter;
  cache?: { span: DocSpan; doc: Document.Parsed; lineStart: number };
}

interface DocSpan {
  start: number;
  end: number;
  /**
   * While the document is kept (see {@link KEEP_DOCS_BYTES}): the offset in the text of the node a field path
   * names, from the document as composed at load (or as the simple-YAML fast path read it).
   */
  kept?: ((fieldPath: string) => number | undefined) | undefined;
}

/**
 * YAML source, in UTF-16 code units, whose composed documents are kept for `locate` across the files still
 * referenced. `locate` re-parses a document each time it is first asked about it, which holds only the text in
 * memory (large inputs) but doubles the parse of every document with a finding: for a one-file CI scan that second
 * parse was a tenth of the run. Kept documents take about 20x their source in memory, hence the bound; files
 * beyond it, and files that held Secret values (their documents would keep the values alive), re-parse as before.
 */
const KEEP_DOCS_BYTES = 4 * 1024 * 1024;
let keptBytes = 0;
/** Gives a file's share of the budget back once nothing can locate in it any more. */
const keptRelease = new FinalizationRegistry<number>((bytes) => {
  keptBytes -= bytes;
});

/** Location of a byte offset; `yaml`'s LineCounter gives 1-based line and column. */
function posAt(lines: LineCounter, file: string, offset: number): SourceLocation {
  const p = lines.linePos(offset);
  return { file, line: p.line, column: p.col };
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a sequence";
  if (typeof v === "string") return "a string";
  return `a ${typeof v}`;
}

/**
 * Walk a document's syntax tree (not its aliases' expansions) iteratively. Reports the first forbidden key or
 * too-deep node, whether the document uses aliases, and the value ranges of Secret data (to blank them in the
 * text kept for `locate`).
 */
function scanDocument(
  doc: Document.Parsed,
  maxDepth: number,
): {
  problem?: { kind: "unsafe" | "depth"; offset: number; key?: string };
  hasAlias: boolean;
} {
  let hasAlias = false;
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isAlias(node)) {
      hasAlias = true;
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    const at = (node as ParsedNode).range[0];
    if (depth >= maxDepth) return { problem: { kind: "depth", offset: at }, hasAlias };
    for (const item of node.items) {
      if (isPair(item)) {
        let key: unknown = item.key;
        if (isAlias(key)) {
          hasAlias = true;
          key = key.resolve(doc);
        }
        if (isScalar(key) && FORBIDDEN_KEYS.has(String(key.value))) {
          const offset = (item.key as ParsedNode | null)?.range[0] ?? at;
          return { problem: { kind: "unsafe", offset, key: String(key.value) }, hasAlias };
        }
        if (isMap(key) || isSeq(key)) stack.push({ node: key, depth: depth + 1 });
        stack.push({ node: item.value, depth: depth + 1 });
      } else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return { hasAlias };
}

function getPair(map: YAMLMap, key: string): { key: ParsedNode; value: unknown } | undefined {
  for (let i = map.items.length - 1; i >= 0; i--) {
    const p = map.items[i]!;
    if (!isScalar(p.key)) continue;
    const v = p.key.value;
    // A YAML 1.1 merge key resolves to Symbol("<<") rather than the string.
    if (String(v) === key || (typeof v === "symbol" && v.description === key))
      return p as { key: ParsedNode; value: unknown };
  }
  return undefined;
}

/** Value ranges to blank in a Secret (`data`, `stringData`), or in the Secrets of a List. */
function secretValueRanges(
  doc: Document.Parsed,
  root: unknown,
  out: [number, number][],
  listItemKindName?: string,
): void {
  if (!isMap(root)) return;
  const kind = getPair(root, "kind")?.value;
  const apiVersion = getPair(root, "apiVersion")?.value;
  // An item of a typed list (SecretList) names no kind of its own: it is what the list says (as client-go reads it).
  const untyped = kind === undefined && apiVersion === undefined;
  const kindName = isScalar(kind) ? String(kind.value) : untyped ? (listItemKindName ?? "") : "";
  if (kindName === "Secret") {
    for (const field of ["data", "stringData"]) {
      const v = getPair(root, field)?.value;
      const m = isAlias(v) ? v.resolve(doc) : v;
      if (isMap(m)) {
        for (const p of m.items) {
          const r = (p.value as ParsedNode | null)?.range;
          if (r) out.push([r[0], r[1]]);
        }
      } else {
        const r = (m as ParsedNode | null)?.range;
        if (r) out.push([r[0], r[1]]);
      }
    }
  } else if (kindName.endsWith("List")) {
    const items = getPair(root, "items")?.value;
    const itemKind = listItemKind(kindName);
    if (isSeq(items)) for (const it of items.items) secretValueRanges(doc, it, out, itemKind);
  }
}

/** Replace every character in the ranges except line breaks by a space: positions stay valid, values vanish. */
function blank(text: string, ranges: [number, number][]): string {
  ranges.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (e <= at) continue;
    const from = Math.max(s, at);
    parts.push(text.slice(at, from));
    parts.push(text.slice(from, e).replace(/[^\r\n]/g, " "));
    at = e;
  }
  parts.push(text.slice(at));
  // join() builds a new flat string, so the original text (with the values) is not kept alive by slices.
  return parts.join("");
}

/**
 * Find the node a field path names in one document: the document composed at load when it was kept, else
 * re-parsed from the kept text.
 */
function locateIn(fi: FileIndex, span: DocSpan, file: string, fieldPath: string): SourceLocation | undefined {
  if (span.kept) {
    const pos = span.kept(fieldPath);
    return pos === undefined ? undefined : posAt(fi.lines, file, pos);
  }
  let cached = fi.cache;
  if (cached?.span !== span) {
    const p = fi.lines.linePos(span.start);
    const lineStart = span.start - (p.col - 1);
    // Pad with spaces up to the node's column so indentation is unchanged and offsets map back 1:1.
    const src = " ".repeat(p.col - 1) + fi.text.slice(span.start, span.end);
    const doc = parseDocument(src, YAML_OPTIONS) as Document.Parsed;
    cached = { span, doc, lineStart };
    fi.cache = cached;
  }
  const pos = nodeOffset(cached.doc, fieldPath);
  return pos === undefined ? undefined : posAt(fi.lines, file, cached.lineStart + pos);
}

/** Offset, in the text the document was parsed from, of the node a field path names (a map entry's key). */
function nodeOffset(doc: Document.Parsed, fieldPath: string): number | undefined {
  let segs: ReturnType<typeof parseFieldPath>;
  try {
    segs = parseFieldPath(fieldPath);
  } catch {
    return undefined;
  }
  let node: unknown = doc.contents;
  let pos = (node as ParsedNode | null)?.range[0];
  if (pos === undefined) return undefined;
  for (const seg of segs) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node) && typeof seg === "string") {
      const pair = findInMap(doc, node, seg, 0);
      if (!pair) return undefined;
      pos = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as ParsedNode | undefined;
      if (!item) return undefined;
      pos = item.range[0];
      node = item;
    } else return undefined;
  }
  return pos;
}

/** A key in a map, following `<<` merge keys (YAML 1.1 merge type; explicit keys take precedence). */
function findInMap(
  doc: Document.Parsed,
  map: YAMLMap,
  key: string,
  depth: number,
): { key: ParsedNode; value: unknown } | undefined {
  const direct = getPair(map, key);
  if (direct || depth > 8) return direct;
  const merge = getPair(map, "<<");
  if (!merge) return undefined;
  const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
  for (const s of sources) {
    const m = isAlias(s) ? s.resolve(doc) : s;
    if (isMap(m)) {
      const found = findInMap(doc, m, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Parse multi-document YAML text into raw objects. Documents are composed one at a time (the document cap
 * stops parsing early); a broken document becomes a coverage entry and the next ones still load.
 * Text in the simple subset of yaml-simple.ts is read by that fast path instead, when its documents can be kept.
 * `keepDocuments` overrides the budget of {@link KEEP_DOCS_BYTES} and `simple: false` turns the fast path off
 * (tests compare the ways of parsing and locating).
 */
export function parseYamlText(
  text: string,
  file: string,
  limits: LoadLimits,
  options: { keepDocuments?: boolean; simple?: boolean } = {},
): LoadResult {
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  // Lines are indexed over the whole text once; segments are parsed separately with their base offset.
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
  const fi: FileIndex = { text, lines };
  const keep = options.keepDocuments ?? keptBytes + text.length <= KEEP_DOCS_BYTES;
  if (keep) {
    keptBytes += text.length;
    keptRelease.register(fi, text.length, fi);
  }
  if (keep && options.simple !== false) {
    const simple = parseSimpleYaml(text, YAML_OPTIONS, limits.maxDepth);
    if (
      simple &&
      simple.length > 0 &&
      simple.length < limits.maxDocuments &&
      !simple.some((d) => d !== null && holdsSecrets(d.value))
    ) {
      for (const [i, d] of simple.entries()) {
        // An empty document (comments only) counts in the numbering, as in the `yaml` path.
        if (d === null) continue;
        const loc = posAt(lines, file, d.root.start);
        const span: DocSpan = {
          start: d.root.start,
          end: d.root.start,
          kept: (p) => simpleNodeOffset(d.root, p),
        };
        objects.push({
          object: slimLoaded(d.value),
          source: {
            file,
            line: loc.line,
            column: loc.column,
            index: i,
            locate: (fieldPath) => locateIn(fi, span, file, fieldPath),
          },
        });
      }
      return { objects, coverage, files: 1 };
    }
  }
  const spans: DocSpan[] = [];
  const secretRanges: [number, number][] = [];
  let index = -1;
  let stripped = false;
  let stop = false;
  const entry = (reason: CoverageEntry["reason"], offset: number, message: string): void => {
    coverage.push({ reason, message, subject: file, location: posAt(lines, file, offset) });
  };
  const tooDeep = (offset: number): void => {
    index++;
    entry("limit", offset, `document ${index + 1}: nested deeper than ${limits.maxDepth} levels; skipped`);
  };

  const handle = (doc: Document.Parsed, base: number): void => {
    index++;
    if (index >= limits.maxDocuments) {
      entry(
        "limit",
        base + doc.range[0],
        `more than ${limits.maxDocuments} documents; document ${index + 1} and the rest of the file were not read`,
      );
      stop = true;
      return;
    }
    const err = doc.errors[0];
    if (err) {
      // RESOURCE_EXHAUSTION: yaml caught a stack overflow while composing.
      const limit = err.code === "RESOURCE_EXHAUSTION";
      entry(
        limit ? "limit" : "parse-error",
        base + err.pos[0],
        `document ${index + 1}: YAML ${err.code}: ${err.message}`,
      );
      return;
    }
    const contents = doc.contents as ParsedNode | null;
    // Helm and Kustomize output has empty documents and comment-only documents: not objects, not errors.
    if (contents === null || (isScalar(contents) && contents.value === null)) return;
    const start = base + contents.range[0];
    const scan = scanDocument(doc, limits.maxDepth);
    if (scan.problem) {
      const unsafe = scan.problem.kind === "unsafe";
      entry(
        unsafe ? "unsafe" : "limit",
        base + scan.problem.offset,
        unsafe
          ? `document ${index + 1}: forbidden key "${scan.problem.key}" (prototype pollution); document rejected`
          : `document ${index + 1}: nested deeper than ${limits.maxDepth} levels; skipped`,
      );
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (e) {
      const alias = e instanceof ReferenceError && /alias/i.test(e.message);
      entry(
        alias ? "limit" : "parse-error",
        start,
        alias
          ? `document ${index + 1}: YAML aliases expand beyond the budget of ${limits.maxAliasCount} (alias bomb?); skipped`
          : `document ${index + 1}: ${e instanceof Error ? e.message : String(e)}`,
      );
      return;
    }
    if (scan.hasAlias) {
      // Aliases can nest an anchored tree inside another: check the expanded value too.
      const p = checkValue(value, limits.maxDepth);
      if (p) {
        entry(
          p.kind === "unsafe" ? "unsafe" : "limit",
          start,
          p.kind === "unsafe"
            ? `document ${index + 1}: forbidden key "${p.key}" (prototype pollution); document rejected`
            : `document ${index + 1}: nested deeper than ${limits.maxDepth} levels once aliases are expanded; skipped`,
        );
        return;
      }
    }
    if (!isRecord(value)) {
      entry("invalid", start, `document ${index + 1} is ${describeType(value)}, not an object`);
      return;
    }
    const ranges: [number, number][] = [];
    secretValueRanges(doc, contents, ranges);
    for (const [s, e] of ranges) secretRanges.push([base + s, base + e]);
    const clean = stripSecrets(value);
    if (clean !== value || ranges.length > 0) stripped = true;
    const object = slimLoaded(clean);
    const kept = (fieldPath: string): number | undefined => {
      const pos = nodeOffset(doc, fieldPath);
      return pos === undefined ? undefined : base + pos;
    };
    const span: DocSpan = { start, end: base + contents.range[2], kept: keep ? kept : undefined };
    spans.push(span);
    const loc = posAt(lines, file, start);
    objects.push({
      object,
      source: {
        file,
        line: loc.line,
        column: loc.column,
        index,
        locate: (fieldPath) => locateIn(fi, span, file, fieldPath),
      },
    });
  };

  for (const seg of flowSafeSegments(text, limits.maxDepth)) {
    if (stop) break;
    if ("skipAt" in seg) {
      index++;
      entry(
        "limit",
        seg.skipAt,
        `document ${index + 1}: flow collections nested deeper than ${limits.maxDepth} levels; skipped`,
      );
      continue;
    }
    const part = seg.start === 0 && seg.end === text.length ? text : text.slice(seg.start, seg.end);
    try {
      for (const doc of composeSafely(part, limits.maxDepth, (o) => tooDeep(seg.start + o))) {
        handle(doc, seg.start);
        if (stop) break;
      }
    } catch (e) {
      // Last resort: anything the parser throws ends this part of the file, never the run.
      entry(
        e instanceof RangeError ? "limit" : "parse-error",
        seg.start,
        `document ${index + 2}: ${e instanceof Error ? e.message : String(e)}; the rest of this part of the file was not read`,
      );
    }
  }
  if (stripped && keep) {
    for (const span of spans) span.kept = undefined;
    keptRelease.unregister(fi);
    keptBytes -= text.length;
  }
  if (stripped) {
    fi.text = blank(text, secretRanges);
    // Parsed strings can be slices of the source text and would keep the Secret values alive with it:
    // a JSON round trip gives every kept string its own storage.
    for (const o of objects) o.object = JSON.parse(JSON.stringify(o.object)) as Record<string, unknown>;
  }
  return { objects, coverage, files: 1 };
}

/** Whether {@link stripSecrets} would look inside the object (a Secret, or a List that may hold Secrets). */
function holdsSecrets(o: Record<string, unknown>): boolean {
  return o.kind === "Secret" || (typeof o.kind === "string" && o.kind.endsWith("List"));
}

/** Drop Secret values at load time, for a Secret or the Secrets inside a List. */
export function stripSecrets(o: Record<string, unknown>): Record<string, unknown> {
  if (o.kind === "Secret") return stripSecretValues(o);
  if (typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items)) {
    let changed = false;
    const items = o.items.map((it: unknown) => {
      if (!isRecord(it)) return it;
      // Items of a SecretList carry no kind: type them from the list before deciding, or their values survive.
      const typed = needsListType(it) ? inferListItemType(o, it) : it;
      const s = stripSecrets(typed);
      if (s === typed) return it;
      changed = true;
      return s;
    });
    return changed ? { ...o, items } : o;
  }
  return o;
}

/** {@link slimObject} for a loaded object, or for each item of a List. */
export function slimLoaded(o: Record<string, unknown>): Record<string, unknown> {
  if (typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items)) {
    let changed = false;
    const items = o.items.map((it: unknown) => {
      if (!isRecord(it)) return it;
      const s = slimObject(it);
      if (s !== it) changed = true;
      return s;
    });
    return changed ? { ...o, items } : o;
  }
  return slimObject(o);
}
