/**
 * The sensor's events endpoint: the cluster's tools post runtime events to the sensor, which forwards them to the
 * fleet (services/sensor/events.ts). `POST /events/{source}` takes the same bodies as the server's
 * `POST /api/v1/clusters/{cluster}/events/{source}`: Falco's HTTP output (`http_output.url`), the API server's
 * webhook audit backend, Hubble flows or flow logs as JSON lines or CSV; `Content-Encoding: gzip` accepted.
 *
 * A body is answered 202 once it is in the disk buffer, so a transport outage loses nothing the sensor said it
 * took. Bodies larger than a transport message are cut into parts record by record. With a token configured, a
 * request without `Authorization: Bearer <token>` is refused (401); with a certificate and key, it is HTTPS.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { gunzipSync } from "node:zlib";
import { MAX_EVENTS_MESSAGE_BYTES } from "../../adapters/fleet/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { FORWARDED_SOURCES, type ForwardedSource, splitForwardedBody } from "../../core/runtime/index.js";
import type { EventForwarder } from "../../services/sensor/index.js";

export interface EventsEndpointOptions {
  cluster: string;
  host: string;
  port: number;
  forwarder: EventForwarder;
  /** HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Required as `Authorization: Bearer <token>` when set. */
  token?: string | undefined;
  /** Largest body accepted, once decompressed (default 16 MiB). */
  maxBytes?: number | undefined;
  /** Largest transport message (default {@link MAX_EVENTS_MESSAGE_BYTES}). */
  maxMessageBytes?: number | undefined;
  now: () => Date;
  log: (line: string) => void;
}

export interface EventsEndpointStats {
  /** Requests answered 202. */
  requests: number;
  /** Requests refused, by reason. */
  rejected: Record<string, number>;
  /** Records left out because one alone was larger than a transport message. */
  tooLarge: number;
}

export interface EventsEndpoint {
  address: string;
  stats(): EventsEndpointStats;
  close(): Promise<void>;
}

export const DEFAULT_EVENTS_BODY_BYTES = 16 * 1024 * 1024;

const digest = (s: string) => createHash("sha256").update(s).digest();

export async function startEventsEndpoint(o: EventsEndpointOptions): Promise<EventsEndpoint> {
  const maxBytes = o.maxBytes ?? DEFAULT_EVENTS_BODY_BYTES;
  const maxMessage = o.maxMessageBytes ?? MAX_EVENTS_MESSAGE_BYTES;
  const tokenDigest = o.token === undefined ? undefined : digest(o.token);
  const stats: EventsEndpointStats = { requests: 0, rejected: {}, tooLarge: 0 };
  const refuse = (res: ServerResponse, status: number, reason: string, message: string) => {
    stats.rejected[reason] = (stats.rejected[reason] ?? 0) + 1;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code: reason, message } }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (req.method === "GET" && path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    const m = /^\/events\/([a-z0-9-]+)$/.exec(path);
    if (m === null) return refuse(res, 404, "not-found", `no route ${req.method} ${path}`);
    if (req.method !== "POST") return refuse(res, 405, "method", "POST events to this path");
    if (tokenDigest !== undefined) {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), tokenDigest))
        return refuse(res, 401, "unauthorized", "a valid bearer token is required");
    }
    const source = m[1] as string;
    if (!(FORWARDED_SOURCES as readonly string[]).includes(source))
      return refuse(res, 404, "source", `unknown source ${source}: one of ${FORWARDED_SOURCES.join(", ")}`);
    const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip")
      return refuse(res, 415, "encoding", `content-encoding ${encoding} is not accepted (gzip or none)`);
    // Read at most the cap (compressed bodies are capped again once inflated).
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > maxBytes) {
        over = true;
        break;
      }
      chunks.push(c);
    }
    if (over) {
      refuse(res, 413, "too-large", `the body is over ${maxBytes} bytes`);
      req.destroy();
      return;
    }
    let bytes = Buffer.concat(chunks);
    if (encoding === "gzip") {
      try {
        bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
      } catch (e) {
        const tooBig = (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
        return tooBig
          ? refuse(res, 413, "too-large", `the body is over ${maxBytes} bytes once decompressed`)
          : refuse(res, 400, "gzip", `the body is not valid gzip: ${(e as Error).message}`);
      }
    }
    const { parts, tooLarge } = splitForwardedBody(bytes.toString("utf8"), maxMessage - 512);
    if (tooLarge > 0) {
      stats.tooLarge += tooLarge;
      o.log(
        `events: ${tooLarge} ${source} records larger than a transport message (${maxMessage} bytes) left out`,
      );
    }
    const receivedAt = o.now().toISOString();
    const base = randomBytes(12).toString("base64url");
    for (let i = 0; i < parts.length; i++)
      await o.forwarder.accept({
        id: `${base}-${i}`,
        cluster: o.cluster,
        source: source as ForwardedSource,
        receivedAt,
        body: parts[i] as string,
      });
    stats.requests++;
    res.writeHead(202, { "content-type": "application/json" });
    res.end(JSON.stringify({ accepted: parts.length, tooLarge }));
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      o.log(`events: ${(e as Error).message}`);
      if (!res.headersSent)
        refuse(res, 503, "unavailable", "the events could not be stored; send them again");
      else res.destroy();
    });
  };
  const server: Server =
    o.tls === undefined ? createHttpServer(listener) : createHttpsServer(o.tls, listener);
  // A slow or stalled client cannot hold a connection for ever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(new PalisadeError("IO", `--events-listen ${o.host}:${o.port}: ${e.message}`, { cause: e })),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address();
  const address =
    a && typeof a === "object" ? `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}` : "";
  return {
    address,
    stats: () => ({ ...stats, rejected: { ...stats.rejected } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
