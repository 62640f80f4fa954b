/**
 * The server's composition root: one fastify instance wired with the stores, clock, token store and limits it
 * is given (every piece replaceable, like the CLI's), its routes declared once in {@link ROUTES}-style entries
 * whose JSON Schemas fastify validates requests with and {@link openApiDocument} publishes.
 */
import { hash } from "node:crypto";
import type { Readable } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { AlertSink } from "../../adapters/alerts/index.js";
import type { ClusterStateStore } from "../../adapters/fleet/index.js";
import { loadSnapshotStream } from "../../adapters/manifests/index.js";
import type { FindingQuery, Stores } from "../../adapters/store/index.js";
import { isPalisadeError, PalisadeError } from "../../core/errors/index.js";
import { type Severity, summariseTeams } from "../../core/findings/index.js";
import { applyDeltaValues } from "../../services/deltas/index.js";
import { type FleetView, loadFleetView } from "../../services/fleet/index.js";
import { ingestSnapshot } from "../../services/ingest/index.js";
import { ClusterEvents, type ClusterEventsConfig } from "../../services/runtime/index.js";
import { VERSION } from "../cli/version.js";
import { type Access, grants, type Principal, type TokenStore, verifyToken } from "./auth.js";
import { collectingAfter } from "./build-garbage.js";
import { registerDashboard } from "./dashboard.js";
import { looksLikeJwt, type OidcVerifier } from "./oidc.js";
import { registerReadRoutes } from "./read-routes.js";
import {
  type AnswerClaim,
  keptWhileUnchanged,
  ResponseCache,
  type ResponseCacheLimits,
  readAfterTurn,
} from "./response-cache.js";
import { registerRuntimeRoutes } from "./runtime-routes.js";
import {
  ERROR_SCHEMA,
  FINDING_SCHEMA,
  FINDINGS_PAGE_SCHEMA,
  FINDINGS_QUERY_SCHEMA,
  INGEST_SUMMARY_SCHEMA,
  OVERVIEW_SCHEMA,
  openApiDocument,
  type RouteSpec,
  WHOAMI_SCHEMA,
} from "./schemas.js";
import {
  AuthFailureLimiter,
  type AuthFailureLimits,
  DEFAULT_AUTH_FAILURE_LIMITS,
  securityHeaders,
} from "./security.js";
import { snapshotBody } from "./snapshot-body.js";
import { instrumentStores } from "./store-metrics.js";
import { exceptionsFor, registerWriteRoutes } from "./write-routes.js";

export interface ServerLimits {
  /** Largest request body as sent (compressed or not), bytes. */
  maxBodyBytes: number;
  /** Largest snapshot once decompressed, bytes. */
  maxSnapshotBytes: number;
  /** Largest runtime events body, as sent and once decompressed, bytes. */
  maxEventBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  maxBodyBytes: 256 * 1024 * 1024,
  maxSnapshotBytes: 1024 * 1024 * 1024,
  maxEventBytes: 64 * 1024 * 1024,
});

export interface ServerOptions {
  stores: Stores;
  now: () => Date;
  auth: {
    tokens: TokenStore;
    /** Verifies OIDC bearer tokens (JWTs) when configured. */
    oidc?: OidcVerifier | undefined;
  };
  /** Failed authentications allowed per client address (default 20 a minute). */
  authFailures?: Partial<AuthFailureLimits> | undefined;
  limits?: Partial<ServerLimits> | undefined;
  /** pino options or false (tests); default false. */
  logger?: boolean | Record<string, unknown> | undefined;
  /** HTTPS: PEM key and certificate. */
  https?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Runtime events: detections configured for this server (threat feeds, baselines) and where new alerts go. */
  runtime?:
    | { config?: ClusterEventsConfig | undefined; sinks?: readonly AlertSink[] | undefined }
    | undefined;
  /** Read answers kept per store state (default: 2,048 answers, 64 Mi characters); false: none kept. */
  responseCache?: Partial<ResponseCacheLimits> | false | undefined;
  /** Serve the web dashboard at `/`: the built directory (`dist/web`), or undefined root for a "not built" page. */
  dashboard?: { root: string | undefined } | undefined;
  /** The registry /metrics serves, when other parts (the fleet consumer) add to it; default a new one. */
  metrics?: Registry | undefined;
  /**
   * The fleet object state (what the JetStream consumer applies deltas to): when given, sensors without NATS post
   * their deltas to `POST /api/v1/clusters/{cluster}/deltas`, applied by the same service.
   */
  fleetState?: ClusterStateStore | undefined;
  /**
   * Evaluations from the fleet object state: deltas posted mark their cluster, and a posted snapshot of a cluster
   * is ingested exclusively with that cluster's evaluations.
   */
  fleetEvaluation?:
    | {
        changed(clusters: readonly string[]): void;
        exclusive<T>(cluster: string, fn: () => Promise<T>): Promise<T>;
      }
    | undefined;
}

/** Most deltas in one POST of deltas, and the largest such body: a sensor sends batches of at most 500. */
export const MAX_POSTED_DELTAS = 5_000;
export const MAX_DELTAS_BODY_BYTES = 16 * 1024 * 1024;

const POSTED_DELTAS_SCHEMA = {
  type: "object",
  required: ["received", "applied", "ignored", "rejected"],
  properties: {
    received: { type: "integer" },
    applied: { type: "integer", description: "objects changed" },
    ignored: {
      type: "integer",
      description:
        "valid deltas that changed nothing: sent before (same message id), older than the stored change",
    },
    rejected: {
      type: "array",
      items: {
        type: "object",
        required: ["index", "message"],
        properties: { index: { type: "integer" }, message: { type: "string" } },
      },
    },
  },
};

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    /** Key of this request's answer in the response cache; set on a cacheable route's miss. */
    cacheKey?: string;
    /** Set when this request computes the answer other requests for the same key wait for. */
    cacheClaim?: AnswerClaim;
    /** The store's change mark as read for this request (after it was read), when the store has one. */
    storeMark?: Promise<string>;
    /** The stored state this request's answer is keyed on, read once per request (cache key and fleet view). */
    storeState?: Promise<{ key: string; clusters: { cluster: string; latest: string }[] }>;
  }
  interface FastifyContextConfig {
    access?: Access | "public";
    rawBody?: boolean;
    cache?: boolean;
  }
}

const SEVERITY_SET = new Set<string>(["critical", "high", "medium", "low", "info"]);

/** Status for a typed error raised while handling a request. */
function statusOf(e: PalisadeError): number {
  switch (e.code) {
    case "INPUT":
    case "UNSAFE":
    case "USAGE":
    case "UNSUPPORTED":
      return 400;
    case "LIMIT":
      return 413;
    case "FORBIDDEN":
      return 403;
    default:
      return 500;
  }
}

/** Build the server (not listening): `inject` it in tests, `listen` it in `palisade serve`. */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
  const { now } = opts;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.maxBodyBytes,
    // An unknown query parameter is an error, not silently dropped (fastify's default strips it).
    ajv: { customOptions: { removeAdditional: false } },
    ...(opts.https ? { https: opts.https } : {}),
    // Fail closed on a request that stalls: the snapshot route reads big bodies, nothing should take minutes.
    requestTimeout: 300_000,
  }) as unknown as FastifyInstance;

  // The stored state a read answer depends on, its key [generation, revision, clusters]: a write through this
  // server bumps the generation; the store revision (Stores.revision) moves with every commit that changes what a
  // cached answer or the fleet view reads, whoever made it (`palisade vuln db import` into this store, another
  // replica on the same PostgreSQL, a snapshot sent again with the same time), but not with an admission
  // decision, which `admission serve` records many times a second into the same store. The clusters' latest
  // snapshot times stay in the key: they are read anyway (the fleet view is built over those clusters).
  let generation = 0;
  // The revision, the clusters' latest times and the tokens are read again only when the store's change mark
  // moved (SQLite: any commit, this process's or another's, decisions included: a cheap read then, and the key
  // stays), the mark read once per turn of the event loop, after the turn's requests were read, and once per
  // request (its token, its cache key and the fleet view share it); a backend without a mark (PostgreSQL) is read
  // per request, the revision and the clusters in one statement (Stores.revisionAndClusters), concurrent requests
  // sharing a read started after they came (shareInFlight). The tokens are kept by the mark only when they live in
  // the marked bundle.
  const changeMark = opts.stores.changeMark?.bind(opts.stores);
  const turnMark = changeMark === undefined ? undefined : readAfterTurn(changeMark);
  const markOf = async (req: FastifyRequest): Promise<string | undefined> => {
    if (turnMark === undefined) return undefined;
    req.storeMark ??= turnMark();
    return req.storeMark;
  };
  const both = opts.stores.revisionAndClusters?.bind(opts.stores);
  const keptState = keptWhileUnchanged(async () => {
    const { revision, clusters } =
      both !== undefined
        ? await both()
        : { revision: await stores.revision(), clusters: await stores.snapshots.clusters() };
    // Serialised once per reading, not once per request.
    return { stored: JSON.stringify([revision, clusters]), clusters };
  });
  // Read before the answer's data (a commit in between moves the key of the next request, never this one's), and
  // once per request: its cache key and the fleet view it answers from share the reading (on PostgreSQL, a round
  // trip less on a miss).
  const storeState = (req: FastifyRequest) => {
    req.storeState ??= (async () => {
      const { stored, clusters } = await keptState(await markOf(req));
      return { key: `${generation}:${stored}`, clusters };
    })();
    return req.storeState;
  };
  const tokenStore = opts.auth.tokens;
  const keptTokens = keptWhileUnchanged(() => tokenStore.list());
  const tokensMarked = tokenStore === opts.stores.tokens;
  const tokensFor = (req: FastifyRequest): TokenStore => ({
    put: (t) => tokenStore.put(t),
    list: async () => keptTokens(tokensMarked ? await markOf(req) : undefined),
  });

  const registry = opts.metrics ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: "palisade_" });
  const latency = new Histogram({
    name: "palisade_http_request_duration_seconds",
    help: "HTTP request latency by method, route and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const ingested = new Counter({
    name: "palisade_snapshots_ingested_total",
    help: "Snapshots received, by result (accepted, rejected)",
    labelNames: ["result"],
    registers: [registry],
  });
  const ingestedObjects = new Counter({
    name: "palisade_snapshot_objects_ingested_total",
    help: "Objects recorded from accepted snapshots",
    registers: [registry],
  });
  const notEvaluated = new Counter({
    name: "palisade_snapshot_coverage_total",
    help: "What accepted snapshots held that was not evaluated (objects over a cap, unparsable items), by reason",
    labelNames: ["reason"],
    registers: [registry],
  });
  const storeLatency = new Histogram({
    name: "palisade_store_operation_duration_seconds",
    help: "Store latency by store, operation and result",
    labelNames: ["store", "operation", "result"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const stores = instrumentStores(opts.stores, storeLatency);

  // Bodies are read as bytes: a snapshot is parsed by the snapshot loader (streamed, budgeted), never by
  // JSON.parse of the whole text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ["application/json", "application/octet-stream"],
    { parseAs: "buffer", bodyLimit: limits.maxBodyBytes },
    (req, body, done) => {
      if (req.routeOptions.config?.rawBody === true) return done(null, body);
      try {
        // Prototype keys are refused, not merged: a body never reaches Object.assign with them.
        done(
          null,
          JSON.parse((body as Buffer).toString("utf8"), (k, v) => {
            if (k === "__proto__" || k === "constructor" || k === "prototype")
              throw new PalisadeError("UNSAFE", `forbidden key ${k} in the body`);
            return v;
          }),
        );
      } catch (e) {
        done(isPalisadeError(e) ? e : new PalisadeError("INPUT", "body is not valid JSON"));
      }
    },
  );
  // Text bodies (CSV flow logs, JSON lines) are taken by the routes that read bytes, refused by the others.
  app.addContentTypeParser(
    ["text/plain", "text/csv", "application/x-ndjson", "application/jsonl"],
    { parseAs: "buffer", bodyLimit: limits.maxBodyBytes },
    (req, body, done) => {
      if (req.routeOptions.config?.rawBody === true) return done(null, body);
      done(
        Object.assign(new Error("this route takes application/json"), {
          statusCode: 415,
          code: "UNSUPPORTED",
        }),
      );
    },
  );

  app.addHook("onResponse", async (req, reply) => {
    latency.observe(
      { method: req.method, route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // Deny by default: a route without an access entry is refused to everyone.
  const authFailures = new AuthFailureLimiter({ ...DEFAULT_AUTH_FAILURE_LIMITS, ...opts.authFailures }, now);
  const oidc = opts.auth.oidc;
  const headers = securityHeaders(opts.https !== undefined);
  // Every answer, errors and the dashboard included, carries the security headers; no CORS header is ever sent.
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.headers(headers);
    return payload;
  });

  app.addHook("onRequest", async (req, reply) => {
    const access = req.routeOptions.config?.access;
    if (access === "public") return;
    if (access === undefined && req.routeOptions.url !== undefined)
      return reply.code(403).send(errorBody("FORBIDDEN", "route has no access rule"));
    // A client that failed too often is refused before its token is looked at.
    const wait = authFailures.retryAfter(req.ip);
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      return reply.code(429).send(errorBody("RATE_LIMITED", "too many failed authentications; try later"));
    }
    const header = req.headers.authorization;
    const token = typeof header === "string" ? /^Bearer (\S+)$/i.exec(header)?.[1] : undefined;
    let principal = token ? await verifyToken(tokensFor(req), token) : undefined;
    if (principal === undefined && token !== undefined && oidc !== undefined && looksLikeJwt(token))
      principal = await oidc(token);
    if (principal === undefined) {
      authFailures.fail(req.ip);
      reply.header("www-authenticate", 'Bearer realm="palisade"');
      return reply.code(401).send(errorBody("UNAUTHENTICATED", "a valid bearer token is required"));
    }
    if (access === undefined || !grants(principal.role, access))
      return reply
        .code(403)
        .send(errorBody("FORBIDDEN", `role ${principal.role} may not ${req.method} this route`));
    req.principal = principal;
  });

  // Read answers per state of the store (generation, store revision, clusters' latest snapshots) and caller scope.
  const responses =
    opts.responseCache === false
      ? undefined
      : new ResponseCache({
          maxEntries: opts.responseCache?.maxEntries ?? 2048,
          maxBytes: opts.responseCache?.maxBytes ?? 64 * 1024 * 1024,
        });
  if (responses !== undefined) {
    app.addHook("preHandler", async (req, reply) => {
      if (req.method !== "GET" || req.routeOptions.config?.cache !== true) return;
      const p = req.principal;
      const key = `${(await storeState(req)).key}\n${p?.role ?? ""}:${p?.role === "team-viewer" ? p.team : ""}\n${req.url}`;
      let hit = responses.get(key);
      // Another request is computing this very answer (a burst of clients after a snapshot): wait for it rather
      // than run the same query and serialisation again. (No await without one: the claim below must follow the
      // miss within the same step, or every request of a burst would claim.)
      const computing = hit === undefined ? responses.pending(key) : undefined;
      if (computing !== undefined) hit = await computing;
      if (hit === undefined) {
        req.cacheKey = key;
        if (responses.pending(key) === undefined) req.cacheClaim = responses.claim(key);
        return;
      }
      return reply.header("content-type", hit.type).send(hit.body);
    });
    app.addHook("onSend", async (req, reply, payload) => {
      if (req.cacheKey === undefined) return payload;
      if (reply.statusCode === 200 && typeof payload === "string") {
        // Kept as bytes and sent as such from now on: a hit neither serialises nor encodes the answer again.
        const answer = {
          type: String(reply.getHeader("content-type") ?? "application/json; charset=utf-8"),
          body: Buffer.from(payload, "utf8"),
        };
        if (req.cacheClaim !== undefined) req.cacheClaim.settle(answer);
        else responses.set(req.cacheKey, answer);
        return answer.body;
      }
      // Nothing to share (an error, another status): the waiters compute their own answers.
      req.cacheClaim?.settle();
      return payload;
    });
    // A request that ends without sending (the client went away) still wakes whoever waits for its answer.
    const release = async (req: FastifyRequest) => req.cacheClaim?.settle();
    app.addHook("onResponse", release);
    app.addHook("onRequestAbort", release);
  }

  app.setErrorHandler((err, req, reply) => {
    if (isPalisadeError(err)) return reply.code(statusOf(err)).send(errorBody(err.code, err.message));
    const e = err as { statusCode?: number; code?: string; message: string; validation?: unknown };
    if (e.validation !== undefined) return reply.code(400).send(errorBody("INPUT", e.message));
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
      return reply.code(e.statusCode).send(errorBody(e.code ?? "INPUT", e.message));
    req.log.error({ err }, "request failed");
    return reply.code(500).send(errorBody("INTERNAL", "internal error"));
  });

  const routes: RouteSpec[] = [];
  const route = (
    spec: RouteSpec,
    handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ): void => {
    routes.push(spec);
    const options = {
      method: spec.method,
      url: spec.url,
      schema: spec.schema,
      config: { access: spec.access, rawBody: spec.rawBody === true, cache: spec.cache === true },
      ...(spec.bodyLimit !== undefined ? { bodyLimit: Math.min(spec.bodyLimit, limits.maxBodyBytes) } : {}),
      handler,
    };
    if (spec.streamBody !== true) {
      app.route(options);
      return;
    }
    // A streamed body reaches the handler unread (in its own context, so only this route parses that way): the
    // handler caps and decompresses it as it reads, and nothing holds the whole snapshot.
    app.register(async (child) => {
      child.removeAllContentTypeParsers();
      child.addContentTypeParser(["application/json", "application/octet-stream"], (_req, payload, done) =>
        done(null, payload),
      );
      child.route(options);
    });
  };

  route(
    { method: "GET", url: "/healthz", access: "public", summary: "The process is up", schema: {} },
    async () => ({ status: "ok" }),
  );
  route(
    { method: "GET", url: "/readyz", access: "public", summary: "The store answers", schema: {} },
    async (_req, reply) => {
      try {
        await stores.findings.list({ limit: 1 });
        return { status: "ready" };
      } catch {
        return reply.code(503).send({ status: "store unreachable" });
      }
    },
  );
  route(
    { method: "GET", url: "/metrics", access: "read", summary: "Prometheus metrics", schema: {} },
    async (_req, reply) => {
      reply.header("content-type", registry.contentType);
      return registry.metrics();
    },
  );
  route(
    {
      method: "GET",
      url: "/api/v1/openapi.json",
      access: "public",
      summary: "This API as an OpenAPI 3.1 document",
      schema: {},
    },
    async () => openApiDocument(routes, VERSION),
  );

  route(
    {
      method: "POST",
      url: "/api/v1/clusters/:cluster/snapshots",
      access: "ingest",
      streamBody: true,
      summary:
        "Ingest a cluster snapshot: the JSON of `kubectl get ... -A -o json` (Content-Encoding: gzip accepted)",
      requestBody: "kubectl List JSON",
      schema: {
        params: {
          type: "object",
          required: ["cluster"],
          properties: { cluster: { type: "string", pattern: "^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$" } },
        },
        response: { 200: INGEST_SUMMARY_SCHEMA, 400: ERROR_SCHEMA, 413: ERROR_SCHEMA },
      },
    },
    async (req, reply) => {
      const { cluster } = req.params as { cluster: string };
      const raw = req.body as Readable | undefined;
      const reject = (code: number, error: string, message: string) => {
        ingested.inc({ result: "rejected" });
        raw?.resume();
        return reply.code(code).send(errorBody(error, message));
      };
      if (raw === undefined || typeof raw.pipe !== "function")
        return reject(400, "INPUT", "send the snapshot as application/json");
      const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
      if (encoding !== "gzip" && encoding !== "identity")
        return reject(415, "UNSUPPORTED", `content-encoding ${encoding} is not accepted`);
      const body = snapshotBody(raw, { gzip: encoding === "gzip", ...limits });
      const exceptions = exceptionsFor(await stores.exceptions.list(), cluster);
      const exclusive = opts.fleetEvaluation?.exclusive.bind(opts.fleetEvaluation) ?? ((_c, fn) => fn());
      const summary = await exclusive(cluster, () =>
        ingestSnapshot(
          { cluster, display: `upload:${cluster}`, exceptions },
          {
            readSnapshot: async (files, budget) => {
              const r = await loadSnapshotStream(body.chunks, files[0] ?? `upload:${cluster}`, {
                budget,
              }).catch((e: unknown) => {
                throw body.failure() ?? e;
              });
              // A body cut short (over a cap, bad gzip) is refused whole: a partial snapshot would close versions
              // and resolve findings of every object it misses.
              const failed = body.failure();
              if (failed !== undefined) throw failed;
              return r;
            },
            stores,
            now,
            hash: (text) => hash("sha256", text, "hex"),
            version: VERSION,
          },
        ),
      ).catch((e: unknown) => {
        ingested.inc({ result: "rejected" });
        raw.resume();
        throw e;
      });
      ingested.inc({ result: "accepted" });
      ingestedObjects.inc(summary.objects);
      for (const c of summary.coverage) notEvaluated.inc({ reason: c.reason });
      generation++;
      return summary;
    },
  );

  const fleetState = opts.fleetState;
  if (fleetState !== undefined) {
    const posted = new Counter({
      name: "palisade_fleet_posted_deltas_total",
      help: "Deltas posted by sensors without NATS, by result (applied, ignored: sent before or stale, rejected: malformed)",
      labelNames: ["result"],
      registers: [registry],
    });
    for (const result of ["applied", "ignored", "rejected"]) posted.inc({ result }, 0);
    route(
      {
        method: "POST",
        url: "/api/v1/clusters/:cluster/deltas",
        access: "ingest",
        bodyLimit: MAX_DELTAS_BODY_BYTES,
        summary: `Apply a sensor's deltas (as it would publish them to JetStream) to the fleet object state, in one transaction: {"deltas": [...]}, at most ${MAX_POSTED_DELTAS} of this cluster; a delta sent again changes nothing`,
        requestBody: "deltas JSON",
        schema: {
          params: {
            type: "object",
            required: ["cluster"],
            properties: { cluster: { type: "string", pattern: "^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$" } },
          },
          body: {
            type: "object",
            required: ["deltas"],
            additionalProperties: false,
            properties: { deltas: { type: "array", items: {} } },
          },
          response: { 200: POSTED_DELTAS_SCHEMA, 400: ERROR_SCHEMA, 413: ERROR_SCHEMA },
        },
      },
      async (req, reply) => {
        const { cluster } = req.params as { cluster: string };
        const { deltas } = req.body as { deltas: unknown[] };
        if (deltas.length > MAX_POSTED_DELTAS)
          return reply
            .code(413)
            .send(errorBody("LIMIT", `${deltas.length} deltas: at most ${MAX_POSTED_DELTAS} per request`));
        const r = await applyDeltaValues(deltas, fleetState, cluster);
        // Marked for evaluation, not evaluated here: the answer means "committed", as a JetStream ack does.
        opts.fleetEvaluation?.changed(r.clusters);
        posted.inc({ result: "applied" }, r.applied);
        posted.inc({ result: "ignored" }, r.ignored);
        posted.inc({ result: "rejected" }, r.rejected.length);
        return r;
      },
    );
  }

  route(
    {
      method: "GET",
      url: "/api/v1/findings",
      access: "read",
      cache: true,
      summary:
        "Findings, newest evaluation's copy, filtered and paginated (a team-viewer sees its team's only)",
      schema: { querystring: FINDINGS_QUERY_SCHEMA, response: { 200: FINDINGS_PAGE_SCHEMA } },
    },
    async (req, reply) => {
      const q = req.query as {
        cluster?: string;
        namespace?: string;
        severity?: string;
        team?: string;
        open?: boolean;
        since?: string;
        resolvedSince?: string;
        limit?: number;
        after?: string;
      };
      const team = teamScope(req.principal, q.team);
      if (team === false)
        return reply.code(403).send(errorBody("FORBIDDEN", "a team token reads its own team only"));
      const severity = q.severity?.split(",").filter((s) => s !== "");
      const bad = severity?.find((s) => !SEVERITY_SET.has(s));
      if (bad !== undefined) return reply.code(400).send(errorBody("INPUT", `unknown severity ${bad}`));
      const query: FindingQuery = {
        cluster: q.cluster,
        namespace: q.namespace,
        severity: severity as Severity[] | undefined,
        team,
        openOnly: q.open,
        firstSeenSince: q.since === undefined ? undefined : new Date(q.since),
        resolvedSince: q.resolvedSince === undefined ? undefined : new Date(q.resolvedSince),
        limit: q.limit,
        after: q.after,
      };
      return stores.findings.list(query);
    },
  );

  route(
    {
      method: "GET",
      url: "/api/v1/whoami",
      access: "read",
      summary:
        "Who the token acts as: its id (never the token), role and team (the dashboard shows what the role may do)",
      schema: { response: { 200: WHOAMI_SCHEMA } },
    },
    async (req) => {
      const p = req.principal;
      if (p === undefined) throw new PalisadeError("INTERNAL", "an authenticated route without a principal");
      return { id: p.id, role: p.role, ...(p.team !== undefined ? { team: p.team } : {}) };
    },
  );

  route(
    {
      method: "GET",
      url: "/api/v1/overview",
      access: "read",
      cache: true,
      summary:
        "Per team: open critical, high and all, new in the week before the newest observation, resolved, MTTR and its four-week trend (a team-viewer sees its team's only)",
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            cluster: { type: "string", maxLength: 253 },
            team: { type: "string", maxLength: 253 },
          },
        },
        response: { 200: OVERVIEW_SCHEMA },
      },
    },
    async (req, reply) => {
      const q = req.query as { cluster?: string; team?: string };
      const team = teamScope(req.principal, q.team);
      if (team === false)
        return reply.code(403).send(errorBody("FORBIDDEN", "a team token reads its own team only"));
      return summariseTeams(await stores.findings.stats({ cluster: q.cluster, team }));
    },
  );

  route(
    {
      method: "GET",
      url: "/api/v1/findings/:id",
      access: "read",
      cache: true,
      summary: "One finding (with evidence and file/field location); ?cluster= picks the cluster's copy",
      schema: {
        params: { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 200 } } },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { cluster: { type: "string", maxLength: 253 } },
        },
        response: { 200: FINDING_SCHEMA, 404: ERROR_SCHEMA },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const { cluster } = req.query as { cluster?: string };
      const team = teamScope(req.principal, undefined);
      const found = (
        await stores.findings.list({ id, cluster, team: team === false ? undefined : team, limit: 1 })
      ).items[0];
      if (found === undefined) return reply.code(404).send(errorBody("NOT_FOUND", `no finding ${id}`));
      return found;
    },
  );

  if (opts.dashboard !== undefined) registerDashboard(app, opts.dashboard.root);

  // The current state of the fleet, computed once per change of what it reads (snapshots, images, advisories,
  // whoever wrote them): keyed like the cached answers, so an admission decision never drops it (about 30 s to
  // build again at 1M pods).
  let cached: { key: string; view: Promise<FleetView> } | undefined;
  const view = async (req: FastifyRequest): Promise<FleetView> => {
    const { key, clusters } = await storeState(req);
    if (cached?.key !== key) {
      // The build's dead inventory (about 2 GiB at 1M pods) is collected once it is done (build-garbage.ts).
      const v = collectingAfter(() =>
        loadFleetView(
          { stores, now },
          clusters.map((c) => c.cluster),
        ),
      );
      cached = { key, view: v };
      v.catch(() => {
        if (cached?.view === v) cached = undefined;
      });
    }
    return cached.view;
  };
  registerReadRoutes((spec, handler) => route({ ...spec, cache: spec.cache ?? true }, handler), {
    stores,
    now,
    view,
    scopeOf: (p, q) => {
      const team = teamScope(p, q.team);
      if (team === false) return false;
      return { cluster: q.cluster, namespace: q.namespace, team };
    },
  });
  registerRuntimeRoutes(app, route, {
    stores,
    events: new ClusterEvents({ stores, now }, opts.runtime?.config ?? {}),
    sinks: opts.runtime?.sinks ?? [],
    registry,
    maxEventBytes: limits.maxEventBytes,
    teamScope,
  });
  registerWriteRoutes(route, {
    stores,
    tokens: opts.auth.tokens,
    now,
    changed: () => {
      generation++;
    },
  });

  return app;
}

/**
 * The team a request is confined to: a team-viewer's own team (asking for another is refused: false), else the
 * team asked for (or none).
 */
function teamScope(p: Principal | undefined, asked: string | undefined): string | undefined | false {
  if (p?.role !== "team-viewer") return asked;
  if (asked !== undefined && asked !== p.team) return false;
  return p.team;
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
