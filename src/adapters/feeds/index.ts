/**
 * Reading threat feeds from files and URLs. A URL feed is cached on disk (one file per URL, named by the URL's
 * SHA-256) and fetched again when the copy is older than `maxAgeMs` (conditionally, with the copy's ETag /
 * Last-Modified: a 304 renews the copy); when a refresh fails and a copy exists, the
 * copy is used and the answer says it is stale, so an unreachable feed server never silently empties the feed.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import { readRegularText } from "../fs/index.js";

export const MAX_FEED_BYTES = 64 << 20;

export interface FeedText {
  /** The name feeds and messages use: the file path, or the URL without credentials and query. */
  name: string;
  text: string;
  /** Set when a URL could not be refreshed and a cached copy was used. */
  stale?: { fetchedAt: string; error: string };
  fetched?: boolean;
}

export interface FeedReadOptions {
  /** Where URL feeds are cached; without it, a URL is fetched on every read. */
  cacheDir?: string;
  maxAgeMs: number;
  now: Date;
  timeoutMs?: number;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** GET with optional validators: a 304 answers no text; any other status but 2xx is an error. */
async function fetchConditional(
  u: URL,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<
  ({ status: 200 } & { text: string; etag?: string; lastModified?: string }) | { status: 304; text: "" }
> {
  const res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow", headers });
  if (res.status === 304) {
    await res.body?.cancel();
    return { status: 304, text: "" };
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const len = Number(res.headers.get("content-length") ?? 0);
  if (len > MAX_FEED_BYTES) throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    if (!reader) break;
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_FEED_BYTES) {
      await reader.cancel();
      throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const etag = res.headers.get("etag");
  const lastModified = res.headers.get("last-modified");
  return {
    status: 200,
    text: Buffer.concat(chunks).toString("utf8"),
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
  };
}

/**
 * What tells whether a feed changed since it was last read: a URL's `ETag` and `Last-Modified` (sent back as
 * `If-None-Match` and `If-Modified-Since`, RFC 9110 section 13.1), a file's modification time, size and inode (a
 * file replaced by rename gets a new inode even when its time and size match).
 */
export interface FeedValidators {
  etag?: string;
  lastModified?: string;
  mtimeMs?: number;
  size?: number;
  ino?: number;
}

export type FeedPoll =
  | { status: "unchanged" }
  | { status: "changed"; name: string; text: string; validators: FeedValidators };

/** The port a feed refresher reads through. */
export type FeedPoller = (source: string, previous: FeedValidators | undefined) => Promise<FeedPoll>;

/**
 * Read a feed only if it changed: a file when its time, size or inode differ, a URL by a conditional GET (a
 * server without validators is read in full every time). Failures throw (`IO`), naming the feed.
 */
export async function pollFeed(
  source: string,
  previous: FeedValidators | undefined,
  opts: { timeoutMs?: number } = {},
): Promise<FeedPoll> {
  if (!isUrl(source)) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(source);
    } catch (e) {
      throw new PalisadeError(
        "IO",
        `cannot read threat feed ${source}: ${(e as { code?: string }).code ?? e}`,
        {
          cause: e,
        },
      );
    }
    const v = { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino };
    if (previous && previous.mtimeMs === v.mtimeMs && previous.size === v.size && previous.ino === v.ino)
      return { status: "unchanged" };
    const text = await readRegularText(source, { maxBytes: MAX_FEED_BYTES, what: "threat feed" });
    return { status: "changed", name: source, text, validators: v };
  }
  const u = new URL(source);
  const name = `${u.protocol}//${u.host}${u.pathname}`;
  const headers: Record<string, string> = {};
  if (previous?.etag) headers["if-none-match"] = previous.etag;
  if (previous?.lastModified) headers["if-modified-since"] = previous.lastModified;
  try {
    const r = await fetchConditional(u, opts.timeoutMs ?? 30_000, headers);
    if (r.status === 304) return { status: "unchanged" };
    return {
      status: "changed",
      name,
      text: r.text,
      validators: {
        ...(r.etag ? { etag: r.etag } : {}),
        ...(r.lastModified ? { lastModified: r.lastModified } : {}),
      },
    };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new PalisadeError("IO", `cannot fetch threat feed ${name}: ${err.cause?.code ?? err.message}`, {
      cause: e,
    });
  }
}

export async function readFeedText(source: string, opts: FeedReadOptions): Promise<FeedText> {
  if (!isUrl(source))
    return {
      name: source,
      text: await readRegularText(source, { maxBytes: MAX_FEED_BYTES, what: "threat feed" }),
    };
  const u = new URL(source);
  const name = `${u.protocol}//${u.host}${u.pathname}`;
  const cache = opts.cacheDir
    ? join(opts.cacheDir, `${createHash("sha256").update(source).digest("hex")}.feed`)
    : undefined;
  // When the copy was fetched, by the caller's clock (kept beside it; a file's mtime is another clock).
  let cachedAt: Date | undefined;
  if (cache)
    cachedAt = await readFile(`${cache}.fetched-at`, "utf8").then(
      (t) => (Number.isFinite(Date.parse(t)) ? new Date(t) : undefined),
      () => undefined,
    );
  const age = cachedAt ? opts.now.getTime() - cachedAt.getTime() : Number.NaN;
  if (cache && cachedAt && age >= 0 && age < opts.maxAgeMs)
    return { name, text: await readFile(cache, "utf8") };
  // The validators of the cached copy (its ETag / Last-Modified), sent back so an unchanged feed costs a 304.
  let validators: FeedValidators | undefined;
  if (cache && cachedAt)
    validators = await readFile(`${cache}.validators`, "utf8").then(
      (t) => {
        const v = JSON.parse(t) as Record<string, unknown>;
        return {
          ...(typeof v.etag === "string" ? { etag: v.etag } : {}),
          ...(typeof v.lastModified === "string" ? { lastModified: v.lastModified } : {}),
        };
      },
      () => undefined,
    );
  try {
    const headers: Record<string, string> = {};
    if (validators?.etag) headers["if-none-match"] = validators.etag;
    if (validators?.lastModified) headers["if-modified-since"] = validators.lastModified;
    const r = await fetchConditional(u, opts.timeoutMs ?? 30_000, headers);
    if (r.status === 304 && cache) {
      await writeFile(`${cache}.fetched-at`, opts.now.toISOString());
      return { name, text: await readFile(cache, "utf8"), fetched: true };
    }
    if (r.status === 304) throw new Error("HTTP 304 to an unconditional request");
    const text = r.text;
    if (cache && opts.cacheDir) {
      await mkdir(opts.cacheDir, { recursive: true });
      await writeFile(`${cache}.tmp`, text);
      await rename(`${cache}.tmp`, cache);
      await writeFile(
        `${cache}.validators`,
        JSON.stringify({
          ...(r.etag ? { etag: r.etag } : {}),
          ...(r.lastModified ? { lastModified: r.lastModified } : {}),
        }),
      );
      await writeFile(`${cache}.fetched-at`, opts.now.toISOString());
    }
    return { name, text, fetched: true };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why = err.cause?.code ?? err.message;
    if (cache && cachedAt)
      return {
        name,
        text: await readFile(cache, "utf8"),
        stale: { fetchedAt: cachedAt.toISOString(), error: why },
      };
    throw new PalisadeError("IO", `cannot fetch threat feed ${name}: ${why}`, { cause: e });
  }
}
