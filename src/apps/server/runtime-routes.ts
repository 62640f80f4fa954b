/**
 * Runtime events over HTTP: `POST /api/v1/clusters/{cluster}/events/{source}` takes what the tools a cluster runs
 * send (Falco's HTTP output, the API server's webhook audit backend, Hubble flows and flow logs as JSON lines or
 * CSV), and `GET /api/v1/alerts` lists the alerts the server keeps. New alerts are routed to the configured
 * receivers once, after they are stored; a receiver that fails is counted, never fails the request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Counter, type Registry } from "prom-client";
import type { AlertSink } from "../../adapters/alerts/index.js";
import type { StoredAlert, Stores } from "../../adapters/store/index.js";
import type { Severity } from "../../core/findings/index.js";
import { bodyRecords, type DedupedAlert, EVENT_SOURCES } from "../../core/runtime/index.js";
import type { ClusterEvents, EventInput } from "../../services/runtime/index.js";
import type { Principal } from "./auth.js";
import { decodeBody } from "./body.js";
import { ERROR_SCHEMA, type RouteSpec } from "./schemas.js";

type Schema = Record<string, unknown>;
type Route = (
  spec: RouteSpec,
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
) => void;

export interface RuntimeRouteDeps {
  stores: Stores;
  events: ClusterEvents;
  sinks: readonly AlertSink[];
  registry: Registry;
  /** Largest events body once decompressed, bytes. */
  maxEventBytes: number;
  teamScope: (p: Principal | undefined, asked: string | undefined) => string | undefined | false;
}

/** Sources a request may name: one of the event sources, or `auto` (told apart per line). */
export const EVENT_ROUTE_SOURCES = ["auto", ...EVENT_SOURCES] as const;

const SEVERITY_SET = new Set<string>(["critical", "high", "medium", "low", "info"]);
const STAGE_COUNTS: Schema = {
  type: "object",
  required: ["stage", "received", "accepted", "dropped", "reasons"],
  properties: {
    stage: { type: "string" },
    received: { type: "integer" },
    accepted: { type: "integer" },
    dropped: { type: "integer" },
    reasons: { type: "object", additionalProperties: { type: "integer" } },
  },
};

export const EVENTS_SUMMARY_SCHEMA: Schema = {
  type: "object",
  required: ["cluster", "source", "lines", "received", "accepted", "dropped", "errors", "stages", "alerts"],
  properties: {
    cluster: { type: "string" },
    source: { type: "string" },
    lines: { type: "integer", description: "lines read (for an EventList or a JSON array: its items)" },
    received: { type: "integer", description: "records read (blank and comment lines are not records)" },
    accepted: { type: "integer" },
    dropped: { type: "integer" },
    errors: {
      type: "array",
      description: "the first line errors (all are counted in dropped)",
      items: {
        type: "object",
        required: ["line", "reason", "message"],
        properties: {
          line: { type: "integer" },
          reason: { type: "string" },
          field: { type: "string" },
          message: { type: "string" },
        },
      },
    },
    errorsTruncated: { type: "integer" },
    stages: { type: "array", items: STAGE_COUNTS },
    alerts: {
      type: "object",
      required: ["new", "merged", "total"],
      properties: {
        new: { type: "integer", description: "alerts stored for the first time (routed to the receivers)" },
        merged: { type: "integer", description: "alerts merged into ones stored before" },
        total: { type: "integer", description: "distinct alerts of this request" },
        overflow: { type: "integer" },
      },
    },
    coverage: { type: "array", items: { type: "string" } },
  },
};

export const STORED_ALERT_SCHEMA: Schema = {
  type: "object",
  required: ["cluster", "ruleId", "key", "severity", "alert", "firstSeen", "lastSeen", "count"],
  properties: {
    cluster: { type: "string" },
    ruleId: { type: "string" },
    key: { type: "string" },
    severity: { type: "string" },
    alert: { type: "object", additionalProperties: true },
    firstSeen: { type: "string", format: "date-time" },
    lastSeen: { type: "string", format: "date-time" },
    count: { type: "integer" },
    updatedAt: { type: "string", format: "date-time" },
  },
};

const CLUSTER_PARAM: Schema = { type: "string", pattern: "^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$" };

async function* asAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}

/** A stored alert with its times as text (`alert.time` is milliseconds in the store). */
function alertJson(a: StoredAlert): unknown {
  return { ...a, alert: { ...a.alert, time: new Date(a.alert.time).toISOString() } };
}

const asDeduped = (a: StoredAlert): DedupedAlert => ({
  ...a.alert,
  firstSeen: Date.parse(a.firstSeen),
  lastSeen: Date.parse(a.lastSeen),
  count: a.count,
});

/** The events summary of one ingested body (the route's answer). */
export type EventsSummary = Record<string, unknown>;

/** Ingest one body of events into `cluster`'s alerts, counted and routed as the events route does. */
export type EventsIngester = (
  cluster: string,
  source: (typeof EVENT_ROUTE_SOURCES)[number],
  name: string,
  text: string,
) => Promise<EventsSummary>;

const INGESTERS = new WeakMap<FastifyInstance, EventsIngester>();

/** The events ingester of a server built with runtime routes (serve --nats hands it the events sensors forward). */
export function eventsIngester(app: FastifyInstance): EventsIngester | undefined {
  return INGESTERS.get(app);
}

export function registerRuntimeRoutes(app: FastifyInstance, route: Route, deps: RuntimeRouteDeps): void {
  const { stores, events, sinks, registry } = deps;
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const received = counter(
    "palisade_events_received_total",
    "Runtime event records received, by source and stage (read: lines, parse: records, enrich: events)",
    ["source", "stage"],
  );
  const accepted = counter(
    "palisade_events_accepted_total",
    "Runtime event records a stage passed on, by source and stage",
    ["source", "stage"],
  );
  const dropped = counter(
    "palisade_events_dropped_total",
    "Runtime event records dropped, by source, stage and reason (request: whole bodies refused)",
    ["source", "stage", "reason"],
  );
  const alertsCounter = counter(
    "palisade_alerts_total",
    "Runtime alerts from ingested events, by rule, severity and whether they were new or merged into a stored one",
    ["rule", "severity", "result"],
  );
  const deliveries = counter(
    "palisade_alert_deliveries_total",
    "New alerts sent to receivers, by receiver kind and result (delivered, failed, dropped: the queue was full)",
    ["sink", "result"],
  );

  // Deliveries run after the answer, so a slow receiver never holds a request. Each receiver has one request in
  // flight at a time, and what arrives meanwhile goes in its next request (up to MAX_BATCH alerts), so a burst
  // costs a few requests, not one per ingest; past MAX_PENDING alerts waiting, new ones are counted as dropped.
  const MAX_BATCH = 500;
  const MAX_PENDING = 50_000;
  const queues = sinks.map((sink) => ({ sink, pending: [] as DedupedAlert[], running: Promise.resolve() }));
  const drain = async (q: (typeof queues)[number]) => {
    while (q.pending.length > 0) {
      const batch = q.pending.splice(0, MAX_BATCH);
      const r = await q.sink.send(batch);
      deliveries.inc({ sink: q.sink.kind, result: r.ok ? "delivered" : "failed" }, batch.length);
      if (!r.ok)
        app.log.warn({ sink: q.sink.kind, target: q.sink.target, error: r.error }, "alerts not delivered");
    }
  };
  const deliver = (alerts: DedupedAlert[]) => {
    for (const q of queues) {
      const room = Math.max(0, MAX_PENDING - q.pending.length);
      if (alerts.length > room)
        deliveries.inc({ sink: q.sink.kind, result: "dropped" }, alerts.length - room);
      const idle = q.pending.length === 0;
      for (const a of alerts.slice(0, room)) q.pending.push(a);
      if (idle && q.pending.length > 0) q.running = q.running.then(() => drain(q));
    }
  };
  // A body over the route's limit is refused by fastify before the handler runs: counted here.
  app.addHook("onError", async (req, _reply, err) => {
    const source = (req.params as { source?: string } | undefined)?.source;
    if (
      req.routeOptions.url === "/api/v1/clusters/:cluster/events/:source" &&
      (err as { statusCode?: number }).statusCode === 413 &&
      (EVENT_ROUTE_SOURCES as readonly string[]).includes(source ?? "")
    )
      dropped.inc({ source: source as string, stage: "request", reason: "too-large" });
  });
  app.addHook("onClose", async () => {
    await Promise.all(queues.map((q) => q.running));
    await events.flush();
  });

  // One body of events, from the route or forwarded by a sensor over the fleet transport (the same code for both).
  const ingestText = async (
    cluster: string,
    source: (typeof EVENT_ROUTE_SOURCES)[number],
    name: string,
    text: string,
  ) => {
    const input: EventInput = { name, source, lines: asAsync(bodyRecords(text)) };
    const r = await events.ingest(cluster, input);
    const s = r.summary;

    for (const st of s.stages) {
      received.inc({ source, stage: st.stage }, st.received);
      accepted.inc({ source, stage: st.stage }, st.accepted);
      // Only the parse stage drops records; read's reasons are skipped lines, enrich's are unresolved sides.
      if (st.stage === "parse")
        for (const [reason, n] of Object.entries(st.reasons))
          dropped.inc({ source, stage: st.stage, reason }, n);
    }
    for (const a of r.opened) alertsCounter.inc({ rule: a.ruleId, severity: a.severity, result: "new" });
    if (r.merged > 0) alertsCounter.inc({ rule: "*", severity: "*", result: "merged" }, r.merged);
    if (r.opened.length > 0 && sinks.length > 0) deliver(r.opened.map(asDeduped));
    const i = s.inputs[0] ?? { lines: 0, received: 0, accepted: 0, dropped: 0 };
    return {
      cluster,
      source,
      lines: i.lines,
      received: i.received,
      accepted: i.accepted,
      dropped: i.dropped,
      errors: s.errors.map((e) => ({
        line: e.line,
        reason: e.reason,
        ...(e.field !== undefined ? { field: e.field } : {}),
        message: e.message,
      })),
      errorsTruncated: s.errorsTruncated,
      stages: s.stages,
      alerts: { new: r.opened.length, merged: r.merged, total: r.alerts, overflow: r.overflow },
      coverage: s.coverage.map((c) => c.message),
    };
  };
  INGESTERS.set(app, ingestText);

  route(
    {
      method: "POST",
      url: "/api/v1/clusters/:cluster/events/:source",
      access: "ingest",
      rawBody: true,
      bodyLimit: deps.maxEventBytes,
      summary:
        "Ingest runtime events of a cluster: Falco's HTTP output (one JSON event per request, or JSON lines), the API server's webhook audit backend (audit.k8s.io/v1 EventList), Hubble flows (JSON lines), flow logs (JSON lines, a JSON array or CSV with a header); Content-Encoding: gzip accepted. Events are attributed with the cluster's stored snapshots and run through the detections; malformed lines are counted and named by line, never fatal",
      requestBody: "events: JSON, JSON lines or CSV",
      schema: {
        params: {
          type: "object",
          required: ["cluster", "source"],
          properties: { cluster: CLUSTER_PARAM, source: { type: "string", enum: [...EVENT_ROUTE_SOURCES] } },
        },
        response: { 200: EVENTS_SUMMARY_SCHEMA, 400: ERROR_SCHEMA, 413: ERROR_SCHEMA, 415: ERROR_SCHEMA },
      },
    },
    async (req, reply) => {
      const { cluster, source } = req.params as {
        cluster: string;
        source: (typeof EVENT_ROUTE_SOURCES)[number];
      };
      const body = decodeBody(req, deps.maxEventBytes, "events body");
      if (!body.ok) {
        dropped.inc({ source, stage: "request", reason: body.reason });
        return reply.code(body.status).send({ error: { code: body.code, message: body.message } });
      }
      return ingestText(cluster, source, "body", body.bytes.toString("utf8"));
    },
  );

  route(
    {
      method: "GET",
      url: "/api/v1/alerts",
      access: "read",
      summary:
        "Runtime alerts, deduplicated per cluster, rule and subject, with first/last seen and count; filtered and paginated (a team-viewer sees its team's only)",
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            cluster: { type: "string", maxLength: 253 },
            namespace: { type: "string", maxLength: 253 },
            team: { type: "string", maxLength: 253 },
            severity: {
              type: "string",
              maxLength: 64,
              description: "comma-separated: critical,high,medium,low,info",
            },
            rule: { type: "string", maxLength: 128 },
            since: { type: "string", format: "date-time", description: "only alerts last seen at or after" },
            limit: { type: "integer", minimum: 1, maximum: 1000 },
            after: { type: "string", maxLength: 2048 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: STORED_ALERT_SCHEMA }, next: { type: "string" } },
          },
          400: ERROR_SCHEMA,
          403: ERROR_SCHEMA,
        },
      },
    },
    async (req, reply) => {
      const q = req.query as {
        cluster?: string;
        namespace?: string;
        team?: string;
        severity?: string;
        rule?: string;
        since?: string;
        limit?: number;
        after?: string;
      };
      const team = deps.teamScope(req.principal, q.team);
      if (team === false)
        return reply
          .code(403)
          .send({ error: { code: "FORBIDDEN", message: "a team token reads its own team only" } });
      const severity = q.severity?.split(",").filter((s) => s !== "");
      const bad = severity?.find((s) => !SEVERITY_SET.has(s));
      if (bad !== undefined)
        return reply.code(400).send({ error: { code: "INPUT", message: `unknown severity ${bad}` } });
      const page = await stores.alerts.list({
        cluster: q.cluster,
        namespace: q.namespace,
        team,
        severity: severity as Severity[] | undefined,
        ruleId: q.rule,
        lastSeenSince: q.since === undefined ? undefined : new Date(q.since),
        limit: q.limit,
        after: q.after,
      });
      return { items: page.items.map(alertJson), ...(page.next ? { next: page.next } : {}) };
    },
  );
}
