import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { Budget, isBudgetExceeded } from "../../core/budget/index.js";
import { type CatalogerId, isElf, matchCataloger, type PackageTracker } from "../../core/catalog/index.js";
import { isPalisadeError, PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { byteCapStream } from "../fs/index.js";
import { catalogFile, isEmptyResult } from "./catalog-file.js";
import { VerifyingStream } from "./digest.js";
import { zstdDecompress } from "./zstd.js";

type TarEntry = AsyncIterable<Buffer> & { header: tar.Header; resume(): void };

/**
 * Limits of one image analysis. They become {@link Budget}s: one per image (decompressed bytes, layers) with a
 * child per layer (tar entries) and per archive inside it (see catalog-file.ts), so a part can never exceed the
 * whole. A file or layer over its own limit is a coverage entry; the image over its decompressed-bytes budget is
 * a LIMIT error naming the image and layer (an SBOM missing the rest of the image must not look complete).
 */
export interface LayerBudgets {
  /** Largest file read into memory for cataloging (package DBs, jars, binaries). */
  maxFileBytes: number;
  /** Most tar entries read from one layer. */
  maxEntries: number;
  /** Most layers analysed. */
  maxLayers: number;
  /**
   * Decompressed layer bytes (tar streams) read for one image, all layers together. The default is sized for
   * the largest real images (CUDA/ML images run to 10-15 GiB uncompressed); a 132 KB zstd layer can claim 4 GiB.
   */
  maxImageBytes: number;
}

export const DEFAULT_BUDGETS: LayerBudgets = {
  maxFileBytes: 64 * 1024 * 1024,
  maxEntries: 1_000_000,
  maxLayers: 128,
  maxImageBytes: 16 * 1024 * 1024 * 1024,
};

/** The budget of one image: decompressed bytes and layers; each layer is a child of it. */
export function imageBudget(name: string, budgets: LayerBudgets): Budget {
  return new Budget(name, { bytes: budgets.maxImageBytes, layers: budgets.maxLayers });
}

/** Compression detected from the first bytes of a blob (media types lie; magic numbers do not). */
export type Compression = "gzip" | "zstd" | "none";

export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip"; // RFC 1952
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd"; // RFC 8878
  return "none";
}

/** Peek the first bytes of a stream, returning them and a stream that still yields everything. */
async function peek(src: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = src[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  const buffered: Buffer[] = [];
  let done = false;
  while (head.length < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    buffered.push(r.value as Buffer);
    head = Buffer.concat([head, r.value as Buffer]);
  }
  async function* rest() {
    yield* buffered;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value as Buffer;
    }
  }
  return { head, stream: Readable.from(rest(), { objectMode: false }) };
}

export type SafePath = { ok: true; path: string; normalised: boolean } | { ok: false; reason: string };

/**
 * Normalise a tar member name to a clean relative path. Absolute names are made relative to the image root
 * (as container runtimes apply them: containerd `archive.Apply` joins every name under the root); a `..`
 * that would climb above the root is rejected — the classic tar path traversal.
 */
export function normaliseTarPath(name: string): SafePath {
  if (name.includes("\0")) return { ok: false, reason: "NUL byte in name" };
  const parts: string[] = [];
  const absolute = name.startsWith("/");
  for (const seg of name.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return { ok: false, reason: "path climbs above the root" };
      parts.pop();
      continue;
    }
    parts.push(seg);
  }
  return { ok: true, path: parts.join("/"), normalised: absolute };
}

/** Where a symlink at `path` pointing to `target` lands; undefined when it climbs out of the root. */
export function resolveLinkTarget(path: string, target: string): string | undefined {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  const joined = target.startsWith("/") ? target : `${dir}/${target}`;
  const r = normaliseTarPath(joined);
  return r.ok ? r.path : undefined;
}

async function readAll(entry: AsyncIterable<Buffer>, cap: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of entry) {
    n += c.length;
    if (n > cap) return undefined;
    chunks.push(c);
  }
  return Buffer.concat(chunks, n);
}

async function drain(entry: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of entry) {
    // discard
  }
}

/** Is this entry possibly a Go binary? Executable regular files only: build info lives in ELF binaries. */
function maybeBinary(mode: number | undefined, size: number, budget: number): boolean {
  return mode !== undefined && (mode & 0o111) !== 0 && size >= 64 && size <= budget;
}

/**
 * Stream one layer through decompression (by magic) and tar parsing, feeding the tracker: collected files are
 * cataloged on the spot (only their parse results are kept, so memory stays bounded), whiteouts and opaque
 * markers applied. The decompressed tar is verified against the layer's diff_id when one is given.
 *
 * Format problems (corrupt gzip/zstd, malformed tar) become coverage entries and the layer is committed with
 * what was read before the fault; INTEGRITY errors (digest mismatch) are rethrown — a tampered image yields
 * no SBOM.
 */
export async function processLayer(
  blob: Readable,
  opts: {
    diffId?: string | undefined;
    subject: string;
    tracker: PackageTracker;
    budgets: LayerBudgets;
    /** This layer's budget, a child of the image's ({@link imageBudget}); standalone when absent. */
    budget?: Budget | undefined;
  },
): Promise<CoverageEntry[]> {
  const coverage: CoverageEntry[] = [];
  const { tracker, budgets, subject } = opts;
  const budget = opts.budget ?? imageBudget(subject, budgets).child(subject, { entries: budgets.maxEntries });
  const note = (reason: CoverageEntry["reason"], message: string, sub = subject) =>
    coverage.push({ reason, subject: sub, message });
  let extract: tar.Extract | undefined;
  const failures: unknown[] = [];
  try {
    const { head, stream } = await peek(blob, 4);
    const compression = detectCompression(head);
    let tarStream: Readable = stream;
    const fail = (e: unknown) => {
      failures.push(e);
      extract?.destroy(e as Error);
    };
    stream.on("error", fail);
    if (compression === "gzip") {
      const gunzip = createGunzip();
      gunzip.on("error", (e) =>
        fail(new PalisadeError("INPUT", `corrupt gzip stream: ${e.message}`, { cause: e })),
      );
      tarStream = stream.pipe(gunzip);
    } else if (compression === "zstd") {
      // Pulled lazily: a zstd block of 4 bytes may regenerate 128 KiB, so decoding must follow the consumer.
      const z = Readable.from(zstdDecompress(stream, budget), { objectMode: false });
      z.on("error", fail);
      tarStream = z;
    }
    // Every decompressed byte is charged to the layer, and so to the image: a layer bomb stops at the budget.
    const counted = byteCapStream(subject, Number.MAX_SAFE_INTEGER, budget);
    counted.on("error", fail);
    tarStream = tarStream.pipe(counted);
    if (opts.diffId) {
      const v = new VerifyingStream(opts.diffId, `layer ${opts.diffId} (uncompressed)`);
      v.on("error", fail);
      tarStream = tarStream.pipe(v);
    }
    extract = tar.extract();
    tarStream.pipe(extract);
    const unsafe: string[] = [];
    const layerFiles = new Map<string, ReturnType<typeof catalogFile>>();
    for await (const raw of extract) {
      // tar-stream's streamx Readable is async-iterable over Buffers; its type does not say so.
      const entry = raw as unknown as TarEntry;
      if (!budget.fits("entries")) {
        note("limit", `layer has more than ${budget.limitOf("entries")} entries; the rest was not analysed`);
        entry.resume();
        tarStream.unpipe(extract);
        extract.destroy();
        break;
      }
      budget.charge("entries");
      const h = entry.header;
      // tar-stream reads a pax size with parseInt ("12abc" is 12): anything but a decimal count means the
      // stream is not where a conforming reader would be, so the rest of the layer cannot be trusted.
      const paxSize = (h.pax as Record<string, string> | undefined)?.size;
      if (paxSize !== undefined && !/^\d{1,15}$/.test(paxSize))
        throw new PalisadeError(
          "INPUT",
          `tar member ${JSON.stringify(h.name.slice(0, 200))}: pax size ${JSON.stringify(paxSize.slice(0, 32))} is not a decimal byte count`,
        );
      const np = normaliseTarPath(h.name);
      if (!np.ok) {
        unsafe.push(`${h.name}: ${np.reason}`);
        await drain(entry);
        continue;
      }
      const path = np.path;
      if (np.normalised) unsafe.push(`${h.name}: absolute path, read as /${path}`);
      if (path === "") {
        await drain(entry);
        continue;
      }
      const slash = path.lastIndexOf("/");
      const dir = slash >= 0 ? path.slice(0, slash) : "";
      const base = path.slice(slash + 1);
      if (base === ".wh..wh..opq") {
        tracker.opaque(dir);
        await drain(entry);
        continue;
      }
      if (base.startsWith(".wh.")) {
        tracker.whiteout(`${dir ? `${dir}/` : ""}${base.slice(4)}`);
        await drain(entry);
        continue;
      }
      const size = h.size ?? 0;
      if (h.type === "file" || h.type === "contiguous-file") {
        const id: CatalogerId | undefined = matchCataloger(path) ?? tracker.linkedCataloger(path);
        if (id) {
          if (size > budgets.maxFileBytes) {
            note(
              "limit",
              `${size} bytes exceeds the ${budgets.maxFileBytes}-byte file budget; not cataloged`,
              path,
            );
            tracker.hide(path, false);
            await drain(entry);
            continue;
          }
          const data = await readAll(entry, budgets.maxFileBytes);
          if (!data) {
            note("limit", `more than ${budgets.maxFileBytes} bytes; not cataloged`, path);
            tracker.hide(path, false);
            continue;
          }
          const tracked = catalogFile(id, path, data, budget);
          layerFiles.set(path, tracked);
          tracker.put(path, tracked);
          continue;
        }
        if (maybeBinary(h.mode, size, budgets.maxFileBytes)) {
          const data = await readAll(entry, budgets.maxFileBytes);
          if (data && isElf(data)) {
            const tracked = catalogFile("go", path, data);
            if (!isEmptyResult(tracked.result)) {
              layerFiles.set(path, tracked);
              tracker.put(path, tracked);
              continue;
            }
          }
          tracker.hide(path, false);
          continue;
        }
        tracker.hide(path, false);
        await drain(entry);
        continue;
      }
      if (h.type === "directory") {
        tracker.hide(path, true);
      } else if (h.type === "symlink") {
        // A target that climbs out of the root is noted as unsafe (it would escape on a naive extractor).
        if (h.linkname && resolveLinkTarget(path, h.linkname) === undefined)
          unsafe.push(`${path}: symlink to ${h.linkname} escapes the root`);
        // Recorded for resolution inside the image root (a database path may be a link); never followed
        // out of it: `..` stops at the root, as in the container.
        tracker.link(path, h.linkname ?? "");
      } else if (h.type === "link") {
        // Hardlink: same content as an earlier member of this layer. Reuse its catalog result when collected.
        const target = h.linkname ? normaliseTarPath(h.linkname) : undefined;
        const same = target?.ok ? layerFiles.get(target.path) : undefined;
        if (!target?.ok) unsafe.push(`${path}: hardlink to ${h.linkname} escapes the root`);
        if (same && matchCataloger(path)) tracker.put(path, same);
        else tracker.hide(path, false);
      } else {
        tracker.hide(path, false);
      }
      await drain(entry);
    }
    if (unsafe.length > 0) {
      note(
        "unsafe",
        `${unsafe.length} unsafe tar member name(s) (normalised or skipped): ${unsafe.slice(0, 5).join("; ")}${unsafe.length > 5 ? "; ..." : ""}`,
      );
    }
  } catch (e) {
    failures.push(e);
  }
  // Prefer the root cause (a decompressor, digest or budget error) over the tar parser's "unexpected end".
  // A tampered layer and an image over its budget yield no SBOM; a corrupt layer is a coverage entry.
  const fatal = failures.find((f) => isPalisadeError(f) && (f.code === "INTEGRITY" || isBudgetExceeded(f)));
  if (fatal) throw fatal;
  const first = failures.find((f) => isPalisadeError(f)) ?? failures[0];
  if (first !== undefined) {
    const msg = first instanceof Error ? first.message : String(first);
    const unsupported = isPalisadeError(first) && first.code === "UNSUPPORTED";
    note(unsupported ? "unsupported" : "parse-error", `layer unreadable past this point: ${msg}`);
  }
  tracker.commitLayer();
  return coverage;
}
