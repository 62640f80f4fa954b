/**
 * A client of `palisade serve`'s API for the CLI (`palisade push`): one request with a bearer token, over HTTPS
 * verified against the system CAs plus an optional private CA, or plain HTTP to a loopback server only (a token
 * sent in clear over a network is a token given away), unless the caller says otherwise.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import type { Readable } from "node:stream";
import { PalisadeError } from "../../core/errors/index.js";

export interface ApiRequest {
  /** Base URL of the server, e.g. https://palisade.example:8443. */
  server: string;
  method: "GET" | "POST";
  /** Path and query, e.g. /api/v1/clusters/prod/snapshots. */
  path: string;
  token: string;
  /** PEM CA certificates to trust besides the system ones. */
  ca?: string | Buffer | undefined;
  headers?: Record<string, string> | undefined;
  body?: Buffer | Readable | undefined;
  /** Allow http:// to a host that is not loopback (the token travels unprotected). */
  dangerouslyAllowHttp?: boolean | undefined;
  /** Abandon the exchange when the socket is idle this long (default: no limit). */
  timeoutMs?: number | undefined;
  /** Largest answer read, bytes (default 16 MiB). */
  maxResponseBytes?: number | undefined;
}

export interface ApiResponse {
  status: number;
  /** The answer's text. */
  body: string;
}

const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || (isIP(h) === 4 && h.startsWith("127.")) || h === "::1";
};

/** Parse and check the server URL. */
export function serverUrl(server: string, dangerouslyAllowHttp = false): URL {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw new PalisadeError("USAGE", `--server ${server}: not a URL (e.g. https://palisade.example:8443)`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new PalisadeError("USAGE", `--server ${server}: expected an https:// URL`);
  if (u.username || u.password)
    throw new PalisadeError("USAGE", "--server: put the token in --token or PALISADE_TOKEN, not in the URL");
  if (u.protocol === "http:" && !isLoopback(u.hostname) && !dangerouslyAllowHttp)
    throw new PalisadeError(
      "USAGE",
      `--server ${u.origin}: plain http to a host that is not loopback would send the token in clear; use https (or --dangerously-allow-http)`,
    );
  return u;
}

/** Send one request; resolves with the status and the answer's text (never throws on an HTTP error status). */
export function apiRequest(req: ApiRequest): Promise<ApiResponse> {
  const base = serverUrl(req.server, req.dangerouslyAllowHttp);
  const url = new URL(req.path, base);
  const max = req.maxResponseBytes ?? 16 * 1024 * 1024;
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((done, fail) => {
    const r = send(
      url,
      {
        method: req.method,
        headers: { ...req.headers, authorization: `Bearer ${req.token}` },
        ...(url.protocol === "https:" && req.ca !== undefined ? { ca: req.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > max) {
            res.destroy(new PalisadeError("LIMIT", `answer of ${url.origin} is larger than ${max} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("error", fail);
        res.on("end", () =>
          done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    r.on("error", (e) =>
      fail(
        e instanceof PalisadeError
          ? e
          : new PalisadeError("IO", `cannot reach ${url.origin}: ${(e as Error).message}`, { cause: e }),
      ),
    );
    if (req.timeoutMs !== undefined)
      r.setTimeout(req.timeoutMs, () =>
        r.destroy(new PalisadeError("IO", `no answer from ${url.origin} within ${req.timeoutMs} ms`)),
      );
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else {
      req.body.on("error", (e) => r.destroy(e));
      req.body.pipe(r);
    }
  });
}
