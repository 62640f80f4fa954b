/**
 * Inventory sources read from files: manifests (YAML/JSON, directories, stdin), cluster snapshots
 * (`kubectl get -o json`) and the ownership file. Bad input never aborts a load: it becomes coverage.
 */
import { isUtf8 } from "node:buffer";
import {
  lstat as lstatCb,
  readdir as readdirCb,
  realpath as realpathCb,
  type Stats,
  stat as statCb,
  statSync,
} from "node:fs";
import { join, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { Budget, isBudgetExceeded } from "../../core/budget/index.js";
import { isPalisadeError, PalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import type { OwnershipConfig, RawObject } from "../../core/inventory/index.js";
import { byteCapStream, openRegularChunks, type RegularChunks, readRegularFile } from "../fs/index.js";
import { parseJsonText } from "./json-docs.js";
import { streamJsonObjects } from "./json-stream.js";
import { type LoadLimits, type LoadResult, resolveLimits } from "./limits.js";
import { parseOwnershipText } from "./ownership.js";
import { parseYamlText } from "./yaml-docs.js";

// The callback API of node:fs, promisified, rather than node:fs/promises: loading that module (with the readline,
// watcher and stream modules it requires) is a visible part of a one-file scan's start-up, which needs one stat.
// Named imports: a namespace import (`* as fs`) is copied, property by property, into a new object at load.
const stat = promisify(statCb);
const lstat = promisify(lstatCb);
const readdir = promisify(readdirCb);
// fs/promises realpath is the native realpath(3), as is this one (fs.realpath alone is a JavaScript walk).
const realpath = promisify(realpathCb.native);

export { scanItemPositions } from "./json-docs.js";
export type { JsonStreamEvent, JsonStreamLimits, JsonStreamOptions } from "./json-stream.js";
export { DEFAULT_JSON_STREAM_LIMITS, streamJsonObjects } from "./json-stream.js";
export type { LoadLimits, LoadResult } from "./limits.js";
export { DEFAULT_LIMITS, DEFAULT_SNAPSHOT_LIMITS, LIMIT_ENV, limitsFromEnv, parseLimit } from "./limits.js";
export { parseOwnershipText } from "./ownership.js";
export { checkValue } from "./safety.js";
export { stripSecrets } from "./yaml-docs.js";

const MANIFEST_EXT = /\.(ya?ml|json)$/i;
/** Binary detection as git and grep do it: a NUL byte in the first 8 KiB. */
const BINARY_SNIFF_BYTES = 8192;

/**
 * Parse manifest text (YAML, multi-document, or JSON) from one source. JSON-looking text goes through
 * JSON.parse first (fast, and exact JSON semantics); anything else, or JSON that does not parse, through
 * the YAML 1.1 parser.
 */
export function parseManifestText(text: string, file: string, limits?: Partial<LoadLimits>): LoadResult {
  const l = resolveLimits(limits);
  if (text.length > l.maxFileBytes) {
    return {
      objects: [],
      coverage: [
        {
          reason: "limit",
          message: `larger than the limit of ${l.maxFileBytes} bytes; skipped`,
          subject: file,
        },
      ],
      files: 1,
    };
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = /\S/.exec(body)?.[0];
  if (first === "{" || first === "[") {
    const r = parseJsonText(body, file, l, { strict: false });
    if (r) return r;
  }
  return parseYamlText(body, file, l);
}

/** Offset of the first byte that is not valid UTF-8, or -1. Only run when isUtf8 already said no. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
    }
    // Overlongs and surrogates (RFC 3629 section 4).
    const d1 = b[i + 1] ?? 0;
    if (
      (c === 0xe0 && d1 < 0xa0) ||
      (c === 0xed && d1 > 0x9f) ||
      (c === 0xf0 && d1 < 0x90) ||
      (c === 0xf4 && d1 > 0x8f)
    )
      return i;
    i += n + 1;
  }
  return -1;
}

/** Bytes to text, or a coverage entry: binary files and invalid UTF-8 are not parsed (kubectl rejects both). */
function decode(buf: Buffer, file: string, coverage: CoverageEntry[]): string | undefined {
  const nul = buf.subarray(0, BINARY_SNIFF_BYTES).indexOf(0);
  if (nul >= 0) {
    coverage.push({
      reason: "binary",
      message: `binary file (NUL byte at offset ${nul}); skipped`,
      subject: file,
    });
    return undefined;
  }
  if (!isUtf8(buf)) {
    const at = firstInvalidUtf8(buf);
    const before = buf.subarray(0, Math.max(0, at));
    let line = 1;
    let lineStart = 0;
    for (let i = before.indexOf(10); i >= 0; i = before.indexOf(10, i + 1)) {
      line++;
      lineStart = i + 1;
    }
    coverage.push({
      reason: "parse-error",
      message: `not valid UTF-8 (byte 0x${(buf[at] ?? 0).toString(16).padStart(2, "0")} at offset ${at}); skipped`,
      subject: file,
      location: { file, line, column: at - lineStart + 1 },
    });
    return undefined;
  }
  return buf.toString("utf8");
}

function ioReason(e: unknown): CoverageEntry["reason"] {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "EACCES" || code === "EPERM" ? "forbidden" : code === "ENOENT" ? "missing" : "invalid";
}

function ioMessage(e: unknown, what: string): string {
  const err = e as NodeJS.ErrnoException | undefined;
  const code = err?.code;
  if (code === "ELOOP") return `${what}: too many levels of symbolic links (symlink loop); skipped`;
  if (code === "EACCES" || code === "EPERM") return `${what}: permission denied; skipped`;
  if (code === "ENOENT") return `${what}: does not exist (dangling symlink?); skipped`;
  if (code === "EISDIR") return `${what}: is a directory; skipped`;
  return `${what}: cannot be read (${code ?? (e instanceof Error ? e.message : String(e))}); skipped`;
}

interface FileRef {
  abs: string;
  display: string;
}

interface WalkState {
  out: FileRef[];
  coverage: CoverageEntry[];
  limits: LoadLimits;
  /** dev:ino of every directory walked, so a directory reached twice (symlinks) is read once. */
  visited: Set<string>;
  full: boolean;
}

function addFile(s: WalkState, f: FileRef): void {
  if (s.out.length >= s.limits.maxFiles) {
    if (!s.full)
      s.coverage.push({
        reason: "limit",
        message: `more than ${s.limits.maxFiles} files; ${f.display} and the files after it were not read`,
        subject: f.display,
      });
    s.full = true;
    return;
  }
  s.out.push(f);
}

/**
 * Depth-first walk in code-unit order of names (deterministic across file systems). Hidden directories and
 * node_modules are skipped. Symlinks are followed while they stay inside the directory given (a symlink out of
 * it is reported, not followed); a directory already on the current path (a loop) or already walked is not
 * entered again.
 */
async function walk(
  dir: FileRef,
  ancestors: readonly string[],
  s: WalkState,
  root: { real: string; display: string },
): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(dir.abs)).sort(cmp);
  } catch (e) {
    s.coverage.push({
      reason: ioReason(e),
      message: ioMessage(e, `directory ${dir.display}`),
      subject: dir.display,
    });
    return;
  }
  for (const name of entries) {
    if (s.full) return;
    const f: FileRef = { abs: join(dir.abs, name), display: join(dir.display, name) };
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(f.abs);
    } catch (e) {
      s.coverage.push({ reason: ioReason(e), message: ioMessage(e, f.display), subject: f.display });
      continue;
    }
    if (st.isDirectory()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      // A symlink to a directory outside the directory given (`ln -s / everything`) would walk the whole file
      // system: only symlinks that stay inside it are followed.
      const link = await lstat(f.abs).catch(() => undefined);
      if (link?.isSymbolicLink()) {
        const target = await realpath(f.abs).catch(() => undefined);
        if (target === undefined || !(target === root.real || target.startsWith(root.real + sep))) {
          s.coverage.push({
            reason: "not-evaluated",
            message: `${f.display}: symlink to a directory outside ${root.display} (${target ?? "unresolvable"}); not followed`,
            subject: f.display,
          });
          continue;
        }
      }
      const key = `${st.dev}:${st.ino}`;
      if (ancestors.includes(key)) {
        s.coverage.push({
          reason: "invalid",
          message: `${f.display}: symlink loop (points back to a directory being walked); not followed`,
          subject: f.display,
        });
        continue;
      }
      if (s.visited.has(key)) {
        s.coverage.push({
          reason: "not-evaluated",
          message: `${f.display}: directory already read through another path; not read twice`,
          subject: f.display,
        });
        continue;
      }
      s.visited.add(key);
      await walk(f, [...ancestors, key], s, root);
    } else if (st.isFile() && MANIFEST_EXT.test(name)) {
      addFile(s, f);
    }
  }
}

/** A failure to open or read an input, as coverage: the run goes on with the other inputs. */
function readFailure(e: unknown, display: string): CoverageEntry {
  if (isBudgetExceeded(e))
    return {
      reason: "limit",
      message: `${display}: ${e.message.replace(/^[^:]*: /, "")}; skipped`,
      subject: display,
    };
  if (isPalisadeError(e) && e.code === "UNSAFE")
    return { reason: "unsafe", message: `${display}: ${e.message}; skipped`, subject: display };
  const cause = isPalisadeError(e) ? e.cause : e;
  return { reason: ioReason(cause), message: ioMessage(cause, display), subject: display };
}

/** Where one loader call puts what it reads, and the run-wide object budget it charges. */
interface Sink {
  objects: RawObject[];
  /** Where accepted objects go instead of `objects`, when the caller gave one. */
  onObject: ((raw: RawObject) => void) | undefined;
  coverage: CoverageEntry[];
  limits: LoadLimits;
  budget: Budget;
  /** Set once the object budget is spent: later inputs are not read. */
  full: boolean;
}

/** Accept one object, charging the run's object budget. Returns false once the budget is spent. */
function acceptObject(sink: Sink, raw: RawObject, display: string): boolean {
  if (sink.full) return false;
  if (!sink.budget.fits("objects")) {
    sink.full = true;
    sink.coverage.push({
      reason: "limit",
      message: `more than ${sink.limits.maxObjects} objects in all inputs (the limit: --max-objects, PALISADE_MAX_OBJECTS); objects from ${display} on were not read`,
      subject: display,
    });
    return false;
  }
  sink.budget.charge("objects");
  if (sink.onObject) sink.onObject(raw);
  else sink.objects.push(raw);
  return true;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** First character that is not whitespace (after a UTF-8 BOM), or undefined when the bytes are all blank. */
function firstSignificant(chunks: readonly Buffer[]): string | undefined {
  let atStart = true;
  for (const b of chunks) {
    let i = 0;
    if (atStart && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
    atStart = false;
    for (; i < b.length; i++) if (!WS.has(b[i] as number)) return String.fromCharCode(b[i] as number);
  }
  return undefined;
}

async function* prepend(
  head: Buffer[],
  rest: AsyncIterator<Buffer | string>,
): AsyncGenerator<Buffer | string> {
  for (const h of head) yield h;
  head.length = 0;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Read one input (a file's stream or stdin). JSON (a List, a typed list, an array) is streamed element by
 * element when it is a snapshot or larger than `maxFileBytes`, so the text is never held whole; smaller inputs and
 * YAML are read whole (YAML has no streaming parser with positions) and parsed as before. `strictJson`: the input
 * is JSON by name (`.json`, a snapshot), so JSON errors are reported as such instead of trying YAML.
 */
async function readInput(
  src: AsyncIterable<Buffer | string>,
  display: string,
  mode: { snapshot: boolean; strictJson: boolean },
  sink: Sink,
): Promise<void> {
  const { limits, coverage } = sink;
  const it = src[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let first: string | undefined;
  let stream = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const b = typeof r.value === "string" ? Buffer.from(r.value) : r.value;
      head.push(b);
      size += b.length;
      first ??= firstSignificant(head);
      const json = first === "{" || first === "[";
      if ((json && mode.snapshot) || (json && size > limits.maxFileBytes)) {
        stream = true;
        break;
      }
      if (size > limits.maxFileBytes) {
        coverage.push({
          reason: "limit",
          message: `${display} is larger than the limit of ${limits.maxFileBytes} bytes for YAML (--max-file-bytes, PALISADE_MAX_FILE_BYTES; JSON of any size is streamed); skipped`,
          subject: display,
        });
        await it.return?.();
        return;
      }
    }
  } catch (e) {
    coverage.push(readFailure(e, display));
    await it.return?.().catch(() => undefined);
    return;
  }
  if (stream) {
    const events = streamJsonObjects(prepend(head, it), {
      file: display,
      maxItems: limits.maxDocuments,
      maxItemBytes: limits.maxObjectBytes,
      maxDepth: limits.maxDepth,
    });
    for await (const ev of events) {
      if (ev.type === "object") {
        if (!acceptObject(sink, ev.raw, display)) break;
      } else if (ev.type === "coverage") coverage.push(ev.entry);
    }
    return;
  }
  const text = decode(Buffer.concat(head, size), display, coverage);
  if (text === undefined) return;
  const body = stripBom(text);
  const firstChar = /\S/.exec(body)?.[0];
  const r =
    mode.strictJson && (firstChar === "{" || firstChar === "[")
      ? (parseJsonText(body, display, limits, { strict: true }) as LoadResult)
      : mode.snapshot
        ? parseYamlText(body, display, limits)
        : parseManifestText(body, display, limits);
  for (const c of r.coverage) coverage.push(c);
  for (const o of r.objects) if (!acceptObject(sink, o, display)) break;
}

/** Resolve command-line paths; a path that does not exist is a usage error, not a silent pass. */
async function expandPaths(paths: string[], cwd: string, s: WalkState): Promise<(FileRef | "-")[]> {
  const out: (FileRef | "-")[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push("-");
      continue;
    }
    const abs = resolve(cwd, p);
    let st: Stats;
    try {
      // Synchronous: one stat per path given, and a one-file scan then does all its IO without libuv's thread
      // pool (adapters/fs openRegularChunks).
      st = statSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new PalisadeError("INPUT", `no such file or directory: ${p}`, {
          cause: e,
          context: { file: p },
        });
      s.coverage.push({ reason: ioReason(e), message: ioMessage(e, p), subject: p });
      continue;
    }
    if (st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (s.visited.has(key)) continue;
      s.visited.add(key);
      const before = s.out.length;
      await walk({ abs, display: p }, [key], s, { real: await realpath(abs), display: p });
      for (let i = before; i < s.out.length; i++) out.push(s.out[i] as FileRef);
    } else {
      // A file named explicitly is read whatever its extension.
      const before = s.out.length;
      addFile(s, { abs, display: p });
      for (let i = before; i < s.out.length; i++) out.push(s.out[i] as FileRef);
    }
  }
  return out;
}

/**
 * Load manifests from files, directories (recursive; .yaml, .yml, .json) and `-` (stdin), in the order given,
 * each directory in sorted order.
 */
export async function loadManifestPaths(
  paths: string[],
  opts: LoadOptions & { stdin?: NodeJS.ReadableStream } = {},
): Promise<LoadResult> {
  const sink = newSink(opts);
  const s: WalkState = {
    out: [],
    coverage: sink.coverage,
    limits: sink.limits,
    visited: new Set(),
    full: false,
  };
  const sources = await expandPaths(paths, opts.cwd ?? process.cwd(), s);
  let files = 0;
  for (const src of sources) {
    if (sink.full) break;
    if (src === "-") {
      if (!opts.stdin) {
        sink.coverage.push({
          reason: "missing",
          message: "'-' given but no standard input is available",
          subject: "-",
        });
        continue;
      }
      files++;
      const capped = (opts.stdin as Readable).pipe(
        byteCapStream("standard input", sink.limits.maxInputBytes, undefined, "-"),
      );
      await readInput(capped, "-", { snapshot: false, strictJson: false }, sink);
      continue;
    }
    files++;
    await readFileInput(src, { snapshot: false, strictJson: /\.json$/i.test(src.display) }, sink);
  }
  return { objects: sink.objects, coverage: sink.coverage, files };
}

/** Options of the loaders: limits (defaults sized for real clusters) and a run-wide budget shared across calls. */
export interface LoadOptions {
  cwd?: string;
  limits?: Partial<LoadLimits>;
  /** Run-wide budget (dimension `objects`); a new one with `limits.maxObjects` when absent. */
  budget?: Budget;
  /**
   * Hand each object to this as soon as it is read (in input order) instead of returning it: a streamed snapshot's
   * objects are then never all held. The result's `objects` is empty.
   */
  onObject?: (raw: RawObject) => void;
}

function newSink(opts: LoadOptions): Sink {
  const limits = resolveLimits(opts.limits);
  return {
    objects: [],
    onObject: opts.onObject,
    coverage: [],
    limits,
    budget: opts.budget ?? new Budget("inputs", { objects: limits.maxObjects }),
    full: false,
  };
}

async function readFileInput(
  f: FileRef,
  mode: { snapshot: boolean; strictJson: boolean },
  sink: Sink,
): Promise<void> {
  let chunks: RegularChunks;
  try {
    chunks = await openRegularChunks(f.abs, {
      maxBytes: sink.limits.maxInputBytes,
      what: mode.snapshot ? "snapshot" : "manifest",
    });
  } catch (e) {
    sink.coverage.push(readFailure(e, f.display));
    return;
  }
  try {
    await readInput(chunks, f.display, mode, sink);
  } finally {
    await chunks.close();
  }
}

function stripBom(t: string): string {
  return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
}

/**
 * Load cluster snapshots: the JSON of `kubectl get <kinds> -A -o json` (a List), a typed list from the API
 * server, an array, or a single object; `-o yaml` output too. JSON is streamed element by element (a 1M-object
 * snapshot is several GiB: it is never held whole); YAML is read whole, up to `maxFileBytes`.
 */
export async function loadSnapshotFiles(files: string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const sink = newSink(opts);
  const cwd = opts.cwd ?? process.cwd();
  for (const p of files) {
    if (sink.full) break;
    const abs = resolve(cwd, p);
    try {
      await stat(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new PalisadeError("INPUT", `no such snapshot file: ${p}`, { cause: e, context: { file: p } });
    }
    await readFileInput({ abs, display: p }, { snapshot: true, strictJson: true }, sink);
  }
  return { objects: sink.objects, coverage: sink.coverage, files: files.length };
}

/**
 * Load one cluster snapshot from a byte stream rather than a file (a request body): the same reading as
 * {@link loadSnapshotFiles}, `display` naming it in sources and coverage.
 */
export async function loadSnapshotStream(
  src: AsyncIterable<Buffer | string>,
  display: string,
  opts: LoadOptions = {},
): Promise<LoadResult> {
  const sink = newSink(opts);
  await readInput(src, display, { snapshot: true, strictJson: true }, sink);
  return { objects: sink.objects, coverage: sink.coverage, files: 1 };
}

/** Read and validate an ownership file (see {@link parseOwnershipText} for the format). */
export async function loadOwnershipFile(path: string, opts: { cwd?: string } = {}): Promise<OwnershipConfig> {
  const abs = resolve(opts.cwd ?? process.cwd(), path);
  let buf: Buffer;
  try {
    buf = await readRegularFile(abs, { maxBytes: MAX_OWNERSHIP_BYTES, what: "ownership file" });
  } catch (e) {
    if (isPalisadeError(e) && e.code !== "IO") throw withFile(e, path);
    const cause = isPalisadeError(e) ? e.cause : e;
    throw new PalisadeError(
      "INPUT",
      `cannot read ownership file: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      {
        cause,
        context: { file: path },
      },
    );
  }
  const coverage: CoverageEntry[] = [];
  const text = decode(buf, path, coverage);
  if (text === undefined)
    throw new PalisadeError("INPUT", coverage[0]?.message ?? "unreadable ownership file", {
      context: { file: path },
    });
  return parseOwnershipText(stripBom(text), path);
}

const MAX_OWNERSHIP_BYTES = 16 * 1024 * 1024;

/** The same error naming the path as the user wrote it (the fs adapter names the resolved path). */
function withFile(e: PalisadeError, file: string): PalisadeError {
  return new PalisadeError(e.code, e.message.replaceAll(resolve(file), file), {
    cause: e.cause ?? e,
    context: { ...e.context, file },
  });
}
