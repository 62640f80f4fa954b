/**
 * Inventory sources read from files: manifests (YAML/JSON, directories, stdin), cluster snapshots
 * (`kubectl get -o json`) and the ownership file. Bad input never aborts a load: it becomes coverage.
 */
import { isUtf8 } from "node:buffer";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import type { OwnershipConfig, RawObject } from "../../core/inventory/index.js";
import { parseJsonText } from "./json-docs.js";
import { DEFAULT_SNAPSHOT_LIMITS, type LoadLimits, type LoadResult, resolveLimits } from "./limits.js";
import { parseOwnershipText } from "./ownership.js";
import { parseYamlText } from "./yaml-docs.js";

export { scanItemPositions } from "./json-docs.js";
export type { LoadLimits, LoadResult } from "./limits.js";
export { DEFAULT_LIMITS, DEFAULT_SNAPSHOT_LIMITS } from "./limits.js";
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
 * node_modules are skipped. Symlinks are followed, but a directory already on the current path (a loop) or
 * already walked is not entered again.
 */
async function walk(dir: FileRef, ancestors: readonly string[], s: WalkState): Promise<void> {
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
      await walk(f, [...ancestors, key], s);
    } else if (st.isFile() && MANIFEST_EXT.test(name)) {
      addFile(s, f);
    }
  }
}

async function readSource(
  f: FileRef,
  limits: LoadLimits,
  coverage: CoverageEntry[],
): Promise<string | undefined> {
  let buf: Buffer;
  try {
    const st = await stat(f.abs);
    if (st.isDirectory()) {
      coverage.push({
        reason: "invalid",
        message: `${f.display} is a directory; skipped`,
        subject: f.display,
      });
      return undefined;
    }
    if (st.size > limits.maxFileBytes) {
      coverage.push({
        reason: "limit",
        message: `${f.display} is ${st.size} bytes, larger than the limit of ${limits.maxFileBytes}; skipped`,
        subject: f.display,
      });
      return undefined;
    }
    buf = await readFile(f.abs);
  } catch (e) {
    coverage.push({ reason: ioReason(e), message: ioMessage(e, f.display), subject: f.display });
    return undefined;
  }
  // The file may have grown between stat and read.
  if (buf.length > limits.maxFileBytes) {
    coverage.push({
      reason: "limit",
      message: `${f.display} is larger than the limit of ${limits.maxFileBytes} bytes; skipped`,
      subject: f.display,
    });
    return undefined;
  }
  return decode(buf, f.display, coverage);
}

async function readStdin(
  stdin: NodeJS.ReadableStream,
  limits: LoadLimits,
  coverage: CoverageEntry[],
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > limits.maxFileBytes) {
      coverage.push({
        reason: "limit",
        message: `standard input is larger than the limit of ${limits.maxFileBytes} bytes; skipped`,
        subject: "-",
      });
      return undefined;
    }
    chunks.push(b);
  }
  return decode(Buffer.concat(chunks), "-", coverage);
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
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(abs);
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
      await walk({ abs, display: p }, [key], s);
      out.push(...s.out.slice(before));
    } else {
      // A file named explicitly is read whatever its extension.
      const before = s.out.length;
      addFile(s, { abs, display: p });
      out.push(...s.out.slice(before));
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
  opts: { stdin?: NodeJS.ReadableStream; cwd?: string; limits?: Partial<LoadLimits> } = {},
): Promise<LoadResult> {
  const limits = resolveLimits(opts.limits);
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  const s: WalkState = { out: [], coverage, limits, visited: new Set(), full: false };
  const sources = await expandPaths(paths, opts.cwd ?? process.cwd(), s);
  let files = 0;
  for (const src of sources) {
    const display = src === "-" ? "-" : src.display;
    let text: string | undefined;
    if (src === "-") {
      if (!opts.stdin) {
        coverage.push({
          reason: "missing",
          message: "'-' given but no standard input is available",
          subject: "-",
        });
        continue;
      }
      text = await readStdin(opts.stdin, limits, coverage);
    } else text = await readSource(src, limits, coverage);
    files++;
    if (text === undefined) continue;
    const r = /\.json$/i.test(display)
      ? (parseJsonText(stripBom(text), display, limits, { strict: true }) as LoadResult)
      : parseManifestText(text, display, limits);
    for (const o of r.objects) objects.push(o);
    for (const c of r.coverage) coverage.push(c);
  }
  return { objects, coverage, files };
}

function stripBom(t: string): string {
  return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
}

/**
 * Load cluster snapshots: the JSON of `kubectl get <kinds> -A -o json` (a List), an array, or a single object.
 * Parsed with JSON.parse in one go (fast for 100 MB files); YAML snapshots (`-o yaml`) go through the YAML path.
 */
export async function loadSnapshotFiles(
  files: string[],
  opts: { cwd?: string; limits?: Partial<LoadLimits> } = {},
): Promise<LoadResult> {
  const limits = resolveLimits(opts.limits, DEFAULT_SNAPSHOT_LIMITS);
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  const cwd = opts.cwd ?? process.cwd();
  for (const p of files) {
    const abs = resolve(cwd, p);
    try {
      await stat(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new PalisadeError("INPUT", `no such snapshot file: ${p}`, { cause: e, context: { file: p } });
    }
    const text = await readSource({ abs, display: p }, limits, coverage);
    if (text === undefined) continue;
    const body = stripBom(text);
    const first = /\S/.exec(body)?.[0];
    const r =
      first === "{" || first === "["
        ? (parseJsonText(body, p, limits, { strict: true }) as LoadResult)
        : parseYamlText(body, p, limits);
    for (const o of r.objects) objects.push(o);
    for (const c of r.coverage) coverage.push(c);
  }
  return { objects, coverage, files: files.length };
}

/** Read and validate an ownership file (see {@link parseOwnershipText} for the format). */
export async function loadOwnershipFile(path: string, opts: { cwd?: string } = {}): Promise<OwnershipConfig> {
  const abs = resolve(opts.cwd ?? process.cwd(), path);
  let buf: Buffer;
  try {
    buf = await readFile(abs);
  } catch (e) {
    throw new PalisadeError(
      "INPUT",
      `cannot read ownership file: ${(e as NodeJS.ErrnoException).code ?? e}`,
      {
        cause: e,
        context: { file: path },
      },
    );
  }
  if (buf.length > 16 * 1024 * 1024)
    throw new PalisadeError("LIMIT", "ownership file larger than 16 MiB", { context: { file: path } });
  const coverage: CoverageEntry[] = [];
  const text = decode(buf, path, coverage);
  if (text === undefined)
    throw new PalisadeError("INPUT", coverage[0]?.message ?? "unreadable ownership file", {
      context: { file: path },
    });
  return parseOwnershipText(stripBom(text), path);
}
