import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { PalisadeError } from "../../core/errors/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import { isRecord } from "../../core/util/index.js";
import { digestOf, isValidDigest, verified } from "./digest.js";
import {
  type Descriptor,
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  MEDIA,
  parseImageManifest,
  parseIndex,
  parseJsonDocument,
  parsePlatform,
} from "./manifest.js";
import {
  caCertificates,
  certificateError,
  isCertificateError,
  isPlainTextPeer,
  type RegistryCa,
  secureContextWithCa,
} from "./registry-tls.js";
import {
  DEFAULT_PLATFORM,
  type ImageSource,
  type ImageSourceDescriptor,
  type ResolvedImage,
  type ResolvedLayer,
  resolveManifestDocument,
  type SourceOptions,
  verifyDescriptor,
} from "./source.js";

/** Credentials for a registry: basic (username/password) or a pre-issued bearer token. */
export interface RegistryAuth {
  username?: string | undefined;
  password?: string | undefined;
  /** Used as-is as a bearer token (e.g. a cloud provider's short-lived token). */
  token?: string | undefined;
}

export interface RegistryOptions extends SourceOptions {
  auth?: RegistryAuth | undefined;
  /**
   * Allow plain http to a registry that is not on the loopback interface. Without it, http is used only for
   * localhost/127.0.0.0/8/::1 (where there is no network to eavesdrop on) and every other registry needs https.
   */
  dangerouslyAllowHttp?: boolean | undefined;
  /**
   * Force the scheme. Default: https for every host; for a loopback host https is tried first and plain http
   * used when the peer answers in plain text (a registry on 127.0.0.1 with or without TLS both work).
   */
  plainHttp?: boolean | undefined;
  /**
   * Extra trusted CA certificates (PEM; each string or buffer may hold several), for registries whose
   * certificates come from a private CA. Added to Node's bundled roots and NODE_EXTRA_CA_CERTS, never replacing
   * them; certificate verification is never disabled.
   */
  ca?: RegistryCa | undefined;
  /** Time limit for each metadata request (manifests, config, tokens). Default 30 s. */
  timeoutMs?: number | undefined;
  /** Time limit for one layer download. Default 15 min. */
  blobTimeoutMs?: number | undefined;
  /**
   * Aborts every request of the client (a caller's overall budget, over the per-request limits above): a slow
   * body or a chain of slow requests stops there.
   */
  signal?: AbortSignal | undefined;
}

const MAX_REDIRECTS = 5;
const MAX_TOKEN_BYTES = 1024 * 1024;

/** Statuses whose responses have no body (Fetch standard "null body status"). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** Whether a host (with optional port) is a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A parsed `WWW-Authenticate` challenge (RFC 7235 auth-param syntax, Docker token auth spec). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="https://auth",service="registry",scope="repository:a/b:pull"` (or `Basic realm=...`). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!m?.[1]) return undefined;
  const params: Record<string, string> = Object.create(null);
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2] ?? "";
  re.lastIndex = 0;
  let p: RegExpExecArray | null = re.exec(rest);
  while (p !== null) {
    params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
    if (re.lastIndex >= rest.length) break;
    p = re.exec(rest);
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** Read a response body whole, refusing one over `maxBytes` (declared or streamed). */
export async function readBody(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  const len = Number(res.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(len) && len > maxBytes) {
    await res.body?.cancel();
    throw new PalisadeError("LIMIT", `${what}: ${len} bytes exceeds ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new PalisadeError("LIMIT", `${what}: larger than ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks, n);
}

/**
 * A client for the OCI Distribution API v2 (distribution-spec spec.md): manifests and blobs, anonymous,
 * basic and bearer-token auth (Docker "Token Authentication Specification"), redirects to blob storage
 * (with credentials dropped when leaving the registry's origin), digests verified on everything read.
 */
export class RegistryClient {
  /** "auto": loopback without a forced scheme, https until the peer turns out to speak plain http. */
  private scheme: "http" | "https" | "auto";
  private bearer: string | undefined;
  private basic = false;
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent: HttpsAgent;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly opts: RegistryOptions = {},
  ) {
    const loopback = isLoopbackHost(registry);
    if (opts.plainHttp && !loopback && !opts.dangerouslyAllowHttp)
      throw new PalisadeError(
        "USAGE",
        `refusing plain http to ${registry}: use https or dangerouslyAllowHttp`,
      );
    this.scheme = opts.plainHttp === true ? "http" : opts.plainHttp === false || !loopback ? "https" : "auto";
    // One agent per client: its TLS context carries this client's CAs, and no pooled connection verified
    // against another client's trust anchors is ever reused here.
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      ...(opts.ca !== undefined ? { secureContext: secureContextWithCa(caCertificates(opts.ca)) } : {}),
    });
    if (opts.auth?.token) this.bearer = opts.auth.token;
  }

  /** The registry's base URL with the scheme in use (https while a loopback registry is being probed). */
  get base(): string {
    return `${this.scheme === "http" ? "http" : "https"}://${this.registry}`;
  }

  /** Close pooled connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * One GET with node:http(s) (fetch cannot take per-request CAs on Node 20 without the undici package),
   * as a Fetch `Response` whose body streams the socket.
   */
  private send(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    const https = url.protocol === "https:";
    return new Promise<Response>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        { method: "GET", headers, signal, agent: https ? this.httpsAgent : this.httpAgent },
        (res) => {
          const status = res.statusCode ?? 0;
          let h: Headers;
          try {
            h = new Headers();
            for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
              h.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
            if (status < 200 || status > 599) throw new Error(`status ${status}`);
          } catch (e) {
            res.destroy();
            reject(
              new PalisadeError(
                "REMOTE",
                `${url.origin}: malformed HTTP response (${(e as Error).message})`,
                {
                  cause: e,
                  context: { url: url.origin },
                },
              ),
            );
            return;
          }
          if (NULL_BODY_STATUS.has(status)) {
            res.resume();
            resolve(new Response(null, { status, headers: h }));
            return;
          }
          const body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
          resolve(new Response(body, { status, headers: h }));
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  /**
   * {@link send}, resolving the scheme of a loopback registry on its first request: https, and plain http only
   * when the peer answered in plain text. A certificate failure is never a reason to fall back to http.
   */
  private async sendResolvingScheme(
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{ res: Response; url: URL }> {
    const probing = this.scheme === "auto" && url.protocol === "https:" && url.host === this.registry;
    try {
      const res = await this.send(url, headers, signal);
      if (probing) this.scheme = "https";
      return { res, url };
    } catch (e) {
      if (!probing || !isPlainTextPeer(e)) throw e;
      this.scheme = "http";
      const plain = new URL(url);
      plain.protocol = "http:";
      return { res: await this.send(plain, headers, signal), url: plain };
    }
  }

  /** A network failure as a PalisadeError: certificate problems named as such, the rest as network errors. */
  private networkError(e: unknown, url: URL, signal: AbortSignal): PalisadeError {
    if (e instanceof PalisadeError) return e;
    if (isCertificateError(e)) return certificateError(e, url.host);
    return new PalisadeError(
      "IO",
      `${signal.aborted ? "timeout" : "network error"} fetching ${url.origin}${url.pathname}`,
      { cause: e, context: { url: url.origin } },
    );
  }

  private checkUrl(u: URL): void {
    if (u.protocol === "https:") return;
    if (u.protocol === "http:" && (isLoopbackHost(u.host) || this.opts.dangerouslyAllowHttp)) return;
    throw new PalisadeError("UNSAFE", `refusing to follow ${u.protocol} URL ${u.origin}`, {
      context: { url: u.origin },
    });
  }

  private authHeader(): string | undefined {
    if (this.bearer) return `Bearer ${this.bearer}`;
    if (this.basic && this.opts.auth?.username !== undefined)
      return `Basic ${Buffer.from(`${this.opts.auth.username}:${this.opts.auth.password ?? ""}`).toString("base64")}`;
    return undefined;
  }

  /** GET with auth challenge handling and manual redirects. */
  async get(path: string, accept: string | undefined, timeoutMs: number): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.opts.signal ? AbortSignal.any([timeout, this.opts.signal]) : timeout;
    for (let attempt = 0; attempt < 2; attempt++) {
      let url = new URL(`${this.base}${path}`);
      let sameOrigin = true;
      let res: Response | undefined;
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        this.checkUrl(url);
        const headers: Record<string, string> = {};
        if (accept) headers.accept = accept;
        const auth = sameOrigin ? this.authHeader() : undefined;
        if (auth) headers.authorization = auth;
        try {
          ({ res, url } = await this.sendResolvingScheme(url, headers, signal));
        } catch (e) {
          throw this.networkError(e, url, signal);
        }
        if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
          await res.body?.cancel();
          const next = new URL(res.headers.get("location") as string, url);
          sameOrigin = sameOrigin && next.origin === new URL(this.base).origin;
          url = next;
          res = undefined;
          continue;
        }
        break;
      }
      if (!res) throw new PalisadeError("REMOTE", `more than ${MAX_REDIRECTS} redirects for ${path}`);
      if (res.status === 401 && attempt === 0 && sameOrigin) {
        const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
        await res.body?.cancel();
        if (challenge?.scheme === "bearer" && !this.opts.auth?.token) {
          this.bearer = await this.fetchToken(challenge, signal);
          continue;
        }
        if (challenge?.scheme === "basic" && this.opts.auth?.username !== undefined && !this.basic) {
          this.basic = true;
          continue;
        }
        throw new PalisadeError(
          "FORBIDDEN",
          `${this.registry}: authentication required${this.opts.auth ? " (credentials refused)" : ""}`,
          {
            context: { url: this.base },
          },
        );
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new PalisadeError(
          "FORBIDDEN",
          `${this.registry}: access to ${this.repository} denied (HTTP ${res.status})`,
          {
            context: { url: this.base },
          },
        );
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new PalisadeError(
          "INPUT",
          `${this.registry}/${this.repository}: ${path.split("/").slice(-2).join(" ")} not found`,
          {
            context: { url: this.base },
          },
        );
      }
      if (res.status >= 400 || res.status >= 300) {
        await res.body?.cancel();
        throw new PalisadeError("REMOTE", `${this.registry}: HTTP ${res.status} for ${path}`, {
          context: { url: this.base },
        });
      }
      return res;
    }
    throw new PalisadeError("FORBIDDEN", `${this.registry}: authentication failed`);
  }

  /** Docker token spec: GET realm?service=...&scope=..., with basic credentials when we have them. */
  private async fetchToken(ch: Challenge, signal: AbortSignal): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw new PalisadeError("REMOTE", `${this.registry}: bearer challenge without realm`);
    const url = new URL(realm);
    this.checkUrl(url);
    if (ch.params.service) url.searchParams.set("service", ch.params.service);
    url.searchParams.set("scope", ch.params.scope ?? `repository:${this.repository}:pull`);
    const headers: Record<string, string> = {};
    const a = this.opts.auth;
    if (a?.username !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${a.username}:${a.password ?? ""}`).toString("base64")}`;
    let res: Response;
    try {
      // Redirects are not followed (the response is then not ok): a token must come from the realm named.
      res = await this.send(url, headers, signal);
    } catch (e) {
      if (isCertificateError(e)) throw certificateError(e, url.host);
      throw new PalisadeError("IO", `token request to ${url.origin} failed`, {
        cause: e,
        context: { url: url.origin },
      });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new PalisadeError("FORBIDDEN", `${url.origin}: token request refused (HTTP ${res.status})`, {
        context: { url: url.origin },
      });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new PalisadeError("REMOTE", `${url.origin}: token request HTTP ${res.status}`, {
        context: { url: url.origin },
      });
    }
    const bytes = await readBody(res, MAX_TOKEN_BYTES, "token response");
    let body: unknown;
    try {
      body = parseJsonDocument(bytes, "token response");
    } catch (e) {
      // V8's JSON error quotes the text around the fault, which here is the token: keep only the code.
      const code = e instanceof PalisadeError ? e.code : "INPUT";
      throw new PalisadeError(code, `${url.origin}: token response is not valid JSON`, {
        context: { url: url.origin },
      });
    }
    const token = isRecord(body) ? (body.token ?? body.access_token) : undefined;
    if (typeof token !== "string" || token === "")
      throw new PalisadeError("REMOTE", `${url.origin}: token response without token`);
    return token;
  }

  /** Fetch a manifest by tag or digest, verifying its digest (the requested one, else Docker-Content-Digest). */
  async manifest(reference: string): Promise<{ bytes: Buffer; digest: string; mediaType: string }> {
    const res = await this.get(
      `/v2/${this.repository}/manifests/${encodeURIComponent(reference)}`,
      MANIFEST_ACCEPT,
      this.opts.timeoutMs ?? 30_000,
    );
    const bytes = await readBody(res, MAX_MANIFEST_BYTES, `manifest ${reference}`);
    const expected = isValidDigest(reference)
      ? reference
      : (res.headers.get("docker-content-digest") ?? undefined);
    const got = digestOf(bytes, expected ?? "sha256:");
    if (expected && isValidDigest(expected) && got !== expected)
      throw new PalisadeError(
        "INTEGRITY",
        `manifest ${reference}: digest mismatch, expected ${expected}, got ${got}`,
        {
          context: { digest: expected },
        },
      );
    return {
      bytes,
      digest: got,
      mediaType: (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "",
    };
  }

  /** Read a small blob (config) or a child manifest fully, verified. */
  async readDescriptor(d: Descriptor, maxBytes: number, what: string): Promise<Buffer> {
    if (d.size > maxBytes) throw new PalisadeError("LIMIT", `${what}: ${d.size} bytes exceeds ${maxBytes}`);
    const isManifest = (
      [MEDIA.OCI_INDEX, MEDIA.OCI_MANIFEST, MEDIA.DOCKER_LIST, MEDIA.DOCKER_MANIFEST] as string[]
    ).includes(d.mediaType);
    const path = `/v2/${this.repository}/${isManifest ? "manifests" : "blobs"}/${d.digest}`;
    const res = await this.get(path, isManifest ? MANIFEST_ACCEPT : undefined, this.opts.timeoutMs ?? 30_000);
    const bytes = await readBody(res, maxBytes, what);
    verifyDescriptor(bytes, d, what);
    return bytes;
  }

  /** Stream a blob, verified against digest and size as it streams. */
  async blob(digest: string, size: number | undefined): Promise<Readable> {
    const res = await this.get(
      `/v2/${this.repository}/blobs/${digest}`,
      undefined,
      this.opts.blobTimeoutMs ?? 15 * 60_000,
    );
    if (!res.body) throw new PalisadeError("REMOTE", `blob ${digest}: empty response`);
    const len = Number(res.headers.get("content-length") ?? "NaN");
    if (size !== undefined && Number.isFinite(len) && len !== size) {
      await res.body.cancel();
      throw new PalisadeError(
        "INTEGRITY",
        `blob ${digest}: server sends ${len} bytes, descriptor declares ${size}`,
        { context: { digest } },
      );
    }
    return verified(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      digest,
      `layer ${digest}`,
      size,
    );
  }
}

/** Cap on one page of a catalog or tag list. */
const MAX_LIST_BYTES = 8 * 1024 * 1024;
/** Cap on one attestation document (a DSSE envelope or an in-toto statement). */
export const MAX_ATTESTATION_BYTES = 4 * 1024 * 1024;
/** Media types that carry in-toto statements (bare, or in a DSSE envelope as cosign writes them). */
const ATTESTATION_MEDIA = new Set([
  "application/vnd.in-toto+json",
  "application/vnd.dsse.envelope.v1+json",
  "application/vnd.dev.cosign.simplesigning.v1+json",
]);

/** The next page of a paginated list: the `Link: <...>; rel="next"` header (distribution-spec "Listing"). */
function nextLink(res: Response): string | undefined {
  const link = res.headers.get("link");
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return m?.[1];
}

/** A page of names: `{repositories: [...]}` or `{tags: [...]}`; anything else is an error. */
function namesOf(bytes: Buffer, key: "repositories" | "tags", what: string): string[] {
  const doc = parseJsonDocument(bytes, what);
  const list = isRecord(doc) ? doc[key] : undefined;
  if (list === null) return []; // distribution answers `"tags": null` for a repository with none
  if (!Array.isArray(list) || !list.every((x) => typeof x === "string"))
    throw new PalisadeError("INPUT", `${what}: no ${key} array`);
  return list as string[];
}

/** Repositories or tags of a registry: the names and whether the list was cut at `max`. */
export interface NameList {
  names: string[];
  truncated: boolean;
}

/** Paginated names (catalog or tags), following `Link` within the registry, at most `max`. */
async function listNames(
  client: RegistryClient,
  firstPath: string,
  key: "repositories" | "tags",
  max: number,
  timeoutMs: number,
): Promise<NameList> {
  const names: string[] = [];
  let path: string | undefined = firstPath;
  for (let page = 0; path !== undefined; page++) {
    if (names.length >= max || page >= 1_000) return { names: names.slice(0, max), truncated: true };
    const res = await client.get(path, "application/json", timeoutMs);
    const next = nextLink(res);
    appendNames(
      names,
      namesOf(await readBody(res, MAX_LIST_BYTES, key), key, `${key} of ${client.registry}`),
    );
    // Only a relative link, or one to the same origin, is followed: credentials never leave the registry.
    if (next === undefined) path = undefined;
    else {
      const u = new URL(next, client.base);
      path = u.origin === new URL(client.base).origin ? `${u.pathname}${u.search}` : undefined;
    }
  }
  return names.length > max ? { names: names.slice(0, max), truncated: true } : { names, truncated: false };
}

function appendNames(into: string[], more: string[]): void {
  for (const n of more) into.push(n);
}

/** Repositories a registry lists (`GET /v2/_catalog`, paginated); FORBIDDEN/INPUT when it does not list them. */
export async function listRepositories(
  registry: string,
  opts: RegistryOptions,
  max: number,
): Promise<NameList> {
  const client = new RegistryClient(registry, "", opts);
  try {
    return await listNames(
      client,
      `/v2/_catalog?n=${Math.min(max, 1000)}`,
      "repositories",
      max,
      opts.timeoutMs ?? 30_000,
    );
  } finally {
    client.close();
  }
}

/** Tags of a repository (`GET /v2/<name>/tags/list`, paginated). */
export async function listTags(
  registry: string,
  repository: string,
  opts: RegistryOptions,
  max: number,
): Promise<NameList> {
  const client = new RegistryClient(registry, repository, opts);
  try {
    return await listNames(
      client,
      `/v2/${repository}/tags/list?n=${Math.min(max, 1000)}`,
      "tags",
      max,
      opts.timeoutMs ?? 30_000,
    );
  } finally {
    client.close();
  }
}

/**
 * Resolve a reference to one platform's manifest and config, never reading a layer blob: what base finding
 * compares (the config's diff_ids are the layer chain).
 */
export async function inspectImage(
  registry: string,
  repository: string,
  reference: string,
  opts: RegistryOptions,
): Promise<ResolvedImage> {
  const client = new RegistryClient(registry, repository, opts);
  try {
    const m = await client.manifest(reference);
    const platform = opts.platform ? parsePlatform(opts.platform) : DEFAULT_PLATFORM;
    return await resolveManifestDocument(
      m.bytes,
      m.digest,
      m.mediaType,
      (d, max, what) => client.readDescriptor(d, max, what),
      platform,
    );
  } finally {
    client.close();
  }
}

/**
 * The attestation documents attached to an image (parsed JSON, not yet interpreted): manifests the OCI referrers
 * API lists for `digest` (`GET /v2/<name>/referrers/<digest>`, else the referrers tag schema `sha256-<hex>`), the
 * cosign attestation tag `sha256-<hex>.att`, and BuildKit attestation manifests in the image's index
 * (`vnd.docker.reference.digest` naming the image). Their layers are small statement blobs, never image layers.
 * A registry without any of these answers an empty list.
 */
export async function attestationDocuments(
  registry: string,
  repository: string,
  digest: string,
  opts: RegistryOptions & { index?: string | undefined },
): Promise<unknown[]> {
  const client = new RegistryClient(registry, repository, opts);
  const timeout = opts.timeoutMs ?? 30_000;
  const hexTag = digest.replace(":", "-");
  const manifests: Descriptor[] = [];
  const tryIndex = async (load: () => Promise<Buffer | undefined>): Promise<void> => {
    const bytes = await load().catch((e: unknown) => {
      if (e instanceof PalisadeError && e.code === "INPUT") return undefined; // 404: none there
      throw e;
    });
    if (bytes === undefined) return;
    const idx = parseIndex(parseJsonDocument(bytes, `referrers of ${digest}`));
    for (const d of idx.manifests) manifests.push(d);
  };
  try {
    await tryIndex(async () => {
      const res = await client.get(`/v2/${repository}/referrers/${digest}`, MEDIA.OCI_INDEX, timeout);
      return readBody(res, MAX_MANIFEST_BYTES, "referrers");
    });
    if (manifests.length === 0) await tryIndex(async () => (await client.manifest(hexTag)).bytes);
    if (opts.index !== undefined)
      await tryIndex(async () => {
        const idx = (await client.manifest(opts.index as string)).bytes;
        const parsed = parseIndex(parseJsonDocument(idx, `index ${opts.index}`));
        const mine = parsed.manifests.filter(
          (d) => d.annotations?.["vnd.docker.reference.digest"] === digest,
        );
        return Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: mine }));
      });
    const cosign = await client.manifest(`${hexTag}.att`).catch((e: unknown) => {
      if (e instanceof PalisadeError && e.code === "INPUT") return undefined;
      throw e;
    });
    const docs: unknown[] = [];
    const layersOf = async (bytes: Buffer, what: string): Promise<void> => {
      const m = parseImageManifest(parseJsonDocument(bytes, what), what);
      for (const l of m.layers.slice(0, 64)) {
        if (!ATTESTATION_MEDIA.has(l.mediaType)) continue;
        const b = await client.readDescriptor(l, MAX_ATTESTATION_BYTES, `attestation ${l.digest}`);
        docs.push(parseJsonDocument(b, `attestation ${l.digest}`));
      }
    };
    if (cosign) await layersOf(cosign.bytes, `${hexTag}.att`);
    for (const d of manifests.slice(0, 64)) {
      const b = await client.readDescriptor(d, MAX_MANIFEST_BYTES, `referrer ${d.digest}`);
      await layersOf(b, `referrer ${d.digest}`);
    }
    return docs;
  } finally {
    client.close();
  }
}

/** An image in an OCI / Docker registry. */
export class RegistrySource implements ImageSource {
  readonly transport = "registry" as const;
  readonly name: string;
  private readonly client: RegistryClient;

  constructor(
    registry: string,
    repository: string,
    private readonly reference: string,
    private readonly opts: RegistryOptions = {},
    display?: string,
  ) {
    this.client = new RegistryClient(registry, repository, opts);
    this.name = display ?? `${registry}/${repository}${isValidDigest(reference) ? "@" : ":"}${reference}`;
  }

  async resolve(): Promise<ResolvedImage> {
    const m = await this.client.manifest(this.reference);
    const platform = this.opts.platform ? parsePlatform(this.opts.platform) : DEFAULT_PLATFORM;
    return resolveManifestDocument(
      m.bytes,
      m.digest,
      m.mediaType,
      (d, max, what) => this.client.readDescriptor(d, max, what),
      platform,
    );
  }

  async openLayer(layer: ResolvedLayer): Promise<Readable> {
    if (!layer.blob.digest) throw new PalisadeError("INPUT", "registry layer without digest");
    return this.client.blob(layer.blob.digest, layer.blob.size);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/**
 * `registry:HOST/REPO[:TAG|@DIGEST]`, `docker://REF`, or a bare reference (the fallback: any spec no other source
 * claims). Docker Hub defaults apply.
 */
export const REGISTRY_SOURCE: ImageSourceDescriptor<
  "registry",
  { registry: string; repository: string; reference: string; display: string }
> = {
  transport: "registry",
  prefixes: ["registry:", "docker://"],
  fallback: true,
  parse(refText) {
    const r = parseImageRef(refText);
    if (!r.ok) throw new PalisadeError("USAGE", `invalid image reference "${refText}": ${r.error}`);
    const { registry, repository, tag, digest } = r.ref;
    return {
      registry: registry === "docker.io" ? "registry-1.docker.io" : registry,
      repository,
      reference: digest ?? tag ?? "latest",
      display: `${registry}/${repository}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`,
    };
  },
  open: (s, opts) =>
    new RegistrySource(
      s.registry,
      s.repository,
      s.reference,
      {
        platform: opts.platform,
        auth: opts.auth,
        dangerouslyAllowHttp: opts.dangerouslyAllowHttp,
        ca: opts.ca,
        timeoutMs: opts.timeoutMs,
        blobTimeoutMs: opts.blobTimeoutMs,
      },
      s.display,
    ),
};
