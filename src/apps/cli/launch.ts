#!/usr/bin/env node
// The `palisade` executable (bundled to dist/cli/palisade.js by scripts/build.mjs). It loads the CLI's chunks
// (dist/cli/chunks/*.js, one per lazily loaded command path) as scripts compiled with V8's code cache, then runs
// the entry chunk (bin.ts).
//
// Why: Node 20 has no compile cache for modules (module.enableCompileCache is Node 22), so every run parsed and
// compiled each chunk it loaded, and compiled each function on its first call, before doing any work: a large
// part of a one-file scan. A code cache made at build time (by running a scan once, so it holds the functions a
// scan calls, not only the top level) lets V8 skip both. The chunks are CommonJS-shaped function bodies (the
// build converts esbuild's ESM chunks), because only scripts take a code cache without experimental flags.
//
// The cache is an optimisation only: a missing cache file means a normal compile, and a cache V8 refuses (another
// Node or V8 version, other V8 flags, another source length) is ignored by V8, which then compiles from source.
// V8 does not checksum a cache in release builds and crashes on a damaged one, so each file starts with the CRC-32
// of the V8 data (then four zero bytes: see CACHE_HEAD), checked before V8 sees it (zlib's CRC-32, Node 20.15 and
// later: crc32.ts; without it no cache is used: node:crypto alone would cost a tenth of what the cache saves); and
// every chunk name carries a hash of its content, so a cache cannot meet another build's chunk.
import {
  appendFileSync,
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Script } from "node:vm";
import { chunkUrl } from "./chunk-url.js";
import { findCrc32 } from "./crc32.js";

/** The entry chunk's file name (bin.ts bundled), set by scripts/build.mjs. */
declare const __PALISADE_ENTRY__: string;

/**
 * The pack's file name in chunks/ (scripts/build.mjs), or "": the chunks a scan of manifest files loads, in one
 * script with one code cache, so such a scan reads, checks and compiles one file instead of about fifty.
 */
declare const __PALISADE_PACK__: string;

/** Set by the build only: append the names of the chunks the run loaded to this file when the process exits. */
const LIST_ENV = "PALISADE_BUILD_CHUNK_LIST";

/** Set by the build's training run only: write each loaded chunk's code cache when the process exits. */
const WRITE_ENV = "PALISADE_BUILD_CODE_CACHE";

const CHUNKS = join(dirname(fileURLToPath(import.meta.url)), "chunks");
const CHUNKS_URL = pathToFileURL(CHUNKS).href;
/**
 * `require` for what is not a chunk: a built-in module from process.getBuiltinModule, anything else (better-sqlite3,
 * pg-native) through a require made on first use, resolved from this file as before. createRequire is node:module's,
 * and loading node:module also loads Node's ES module loader: four modules Node compiles from its own code cache at
 * every start, while a one-file scan requires built-ins only (docs/benchmarks.md, Start-up).
 */
let external: NodeJS.Require | undefined;
const externalRequire = (): NodeJS.Require =>
  (external ??= process.getBuiltinModule("node:module").createRequire(import.meta.url));
const nodeRequire = (id: string): unknown => process.getBuiltinModule(id) ?? externalRequire()(id);
/** What CommonJS also gives a module's `require` (the server's dependencies read `cache` and `main`). */
const REQUIRE_PROPERTIES: PropertyDescriptorMap = {
  resolve: { get: () => externalRequire().resolve },
  cache: { get: () => externalRequire().cache },
  main: { get: () => externalRequire().main },
};

interface ChunkModule {
  exports: unknown;
}
const loaded = new Map<string, ChunkModule>();
const compiled: { script: Script; cacheFile: string }[] = [];

/** Code cache of a chunk: beside it, `.cache` instead of `.js`. */
function cacheFileOf(chunkFile: string): string {
  return chunkFile.replace(/\.js$/, ".cache");
}

const crc32 = findCrc32();

/**
 * Bytes before the V8 data in a cache file: its CRC-32 (little-endian), then four zero bytes, so that the data
 * starts 8-byte aligned in the buffer it is read into. V8 copies cached data that is not pointer-aligned
 * before reading it: with a 4-byte head, a one-file scan copied the pack's whole cache (about 1 MB) once more.
 */
const CACHE_HEAD = 8;

/** Open `file` for reading and its size, or undefined when it cannot be opened. */
function openSized(file: string): { fd: number; size: number } | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return undefined;
  }
  try {
    return { fd, size: fstatSync(fd).size };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/** Read up to `buf.length` bytes of `fd` from its start into `buf`: how many were read. */
function readInto(fd: number, buf: Buffer): number {
  let n = 0;
  while (n < buf.length) {
    const k = readSync(fd, buf, n, buf.length - n, n);
    if (k === 0) break;
    n += k;
  }
  return n;
}

/**
 * A script's text and its cache file's V8 data (undefined when there is no cache file or its CRC-32 does not
 * match), read through one buffer: the text first (copied into a string), then the cache over it. Every
 * page of fresh memory costs a page fault on first touch (about 10 µs each on a virtual machine seen here): a
 * buffer per file touched the pack's 735 KB once more (docs/benchmarks.md, Start-up).
 */
function readScript(file: string, cacheFile: string): { source: string; cachedData: Buffer | undefined } {
  const script = openSized(file);
  if (script === undefined) return { source: readFileSync(file, "latin1"), cachedData: undefined };
  const cache = crc32 === undefined ? undefined : openSized(cacheFile);
  try {
    const buf = Buffer.allocUnsafe(Math.max(script.size, cache?.size ?? 0));
    // The build wrote each script in ASCII (esbuild escapes the rest), so the text is read as latin1 (no UTF-8
    // decoding) and compiled as is.
    const source = buf.toString("latin1", 0, readInto(script.fd, buf.subarray(0, script.size)));
    if (cache === undefined || crc32 === undefined || cache.size <= CACHE_HEAD)
      return { source, cachedData: undefined };
    const n = readInto(cache.fd, buf.subarray(0, cache.size));
    const data = buf.subarray(CACHE_HEAD, n);
    return { source, cachedData: n > CACHE_HEAD && crc32(data) === buf.readUInt32LE(0) ? data : undefined };
  } finally {
    closeSync(script.fd);
    if (cache !== undefined) closeSync(cache.fd);
  }
}

/** Write V8 code cache data after its head (through a temporary file, so no reader sees half of it). */
function writeCache(file: string, data: Buffer): void {
  if (crc32 === undefined) return;
  const head = Buffer.alloc(CACHE_HEAD);
  head.writeUInt32LE(crc32(data), 0);
  writeFileSync(`${file}.tmp`, Buffer.concat([head, data]));
  renameSync(`${file}.tmp`, file);
}

/** Compile a script of the bundle (a chunk or the pack) with its code cache, if any; its value is returned. */
function compile(file: string): unknown {
  const cacheFile = cacheFileOf(file);
  const { source, cachedData } = readScript(file, cacheFile);
  const script = new Script(source, cachedData ? { filename: file, cachedData } : { filename: file });
  compiled.push({ script, cacheFile });
  return script.runInThisContext();
}

type ChunkFunction = (...args: unknown[]) => void;

/**
 * The pack's chunks by file name, compiled on first use; empty when the build made no pack or it cannot be read
 * (the chunks are then compiled from their own files).
 */
let pack: Record<string, ChunkFunction> | undefined;
function packed(name: string): ChunkFunction | undefined {
  if (!__PALISADE_PACK__) return undefined;
  if (pack === undefined) {
    try {
      pack = compile(join(CHUNKS, __PALISADE_PACK__)) as Record<string, ChunkFunction>;
    } catch {
      pack = {};
    }
  }
  return Object.hasOwn(pack, name) ? pack[name] : undefined;
}

/** Load a chunk as CommonJS does (one module object, cycles see partial exports), from the pack or its file. */
function loadChunk(file: string): unknown {
  const hit = loaded.get(file);
  if (hit) return hit.exports;
  const module: ChunkModule = { exports: {} };
  loaded.set(file, module);
  // Each chunk is `(function (exports, require, module, __filename, __dirname, __importMetaUrl) {…})`.
  const fn = packed(file.slice(CHUNKS.length + 1)) ?? (compile(file) as ChunkFunction);
  const dir = dirname(file);
  const chunkRequire = Object.defineProperties(
    // Chunks name each other "./chunk-….js", in the same directory.
    (id: string): unknown => (id.startsWith("./") ? loadChunk(dir + id.slice(1)) : nodeRequire(id)),
    REQUIRE_PROPERTIES,
  );
  fn.call(
    module.exports,
    module.exports,
    chunkRequire,
    module,
    file,
    dir,
    chunkUrl(CHUNKS_URL, file.slice(CHUNKS.length + 1)) ?? pathToFileURL(file).href,
  );
  return module.exports;
}

if (process.env[LIST_ENV]) {
  // The build's listing run: which chunks this run loaded, in load order, for the pack.
  const listFile = process.env[LIST_ENV];
  process.on("exit", () => {
    const names = [...loaded.keys()].map((f) => f.slice(CHUNKS.length + 1));
    appendFileSync(listFile, `${names.join("\n")}\n`);
  });
}

if (process.env[WRITE_ENV] === "1") {
  // After the run, so the cache holds every function the run compiled, not only each chunk's top level.
  process.on("exit", () => {
    for (const { script, cacheFile } of compiled) writeCache(cacheFile, script.createCachedData());
  });
}

loadChunk(join(CHUNKS, __PALISADE_ENTRY__));
