/**
 * The API's JSON Schemas: fastify validates requests and serialises responses with them, and
 * {@link openApiDocument} publishes the same objects as the OpenAPI 3.1 document, so the document cannot drift
 * from what the server checks.
 */
import type { Access } from "./auth.js";

type Schema = Record<string, unknown>;

/** One route as declared: what fastify registers and what the OpenAPI document lists. */
export interface RouteSpec {
  method: "GET" | "POST";
  /** fastify form (`:param`). */
  url: string;
  access: Access | "public";
  summary: string;
  /** A body that is not JSON-Schema-validated (the snapshot): its description. */
  requestBody?: string | undefined;
  /** The handler reads the body as bytes (a snapshot, an SBOM), not as parsed JSON. */
  rawBody?: boolean | undefined;
  /** The handler reads the body as a stream (a snapshot of any size): nothing buffers it before the handler. */
  streamBody?: boolean | undefined;
  /** A GET whose answer depends only on the stored state and the caller's scope: kept per state (response-cache.ts). */
  cache?: boolean | undefined;
  /** Largest body of this route, bytes (default: the server's limit). */
  bodyLimit?: number | undefined;
  schema: {
    params?: Schema;
    querystring?: Schema;
    /** A JSON body, validated by fastify and published as the request body. */
    body?: Schema;
    response?: Record<number, Schema>;
  };
}

export const ERROR_SCHEMA: Schema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
};

/** The answer of GET /api/v1/whoami. */
export const WHOAMI_SCHEMA: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["id", "role"],
  properties: {
    id: { type: "string", description: "the token's id (tok_...) or the OIDC subject, never the token" },
    role: { type: "string", enum: ["admin", "security", "team-viewer", "ingest"] },
    team: { type: "string", description: "a team-viewer's team" },
  },
};

/** A stored finding: the finding itself is the report's finding shape (docs/report-schema). */
export const FINDING_SCHEMA: Schema = {
  type: "object",
  required: ["cluster", "finding", "firstSeen", "lastSeen"],
  properties: {
    cluster: { type: "string" },
    finding: { type: "object", additionalProperties: true },
    firstSeen: { type: "string", format: "date-time" },
    lastSeen: { type: "string", format: "date-time" },
    resolvedAt: { type: "string", format: "date-time" },
  },
};

export const FINDINGS_PAGE_SCHEMA: Schema = {
  type: "object",
  required: ["items"],
  properties: { items: { type: "array", items: FINDING_SCHEMA }, next: { type: "string" } },
};

export const FINDINGS_QUERY_SCHEMA: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    cluster: { type: "string", maxLength: 253 },
    namespace: { type: "string", maxLength: 253 },
    severity: {
      type: "string",
      maxLength: 64,
      description: "comma-separated: critical,high,medium,low,info",
    },
    team: { type: "string", maxLength: 253 },
    open: { type: "boolean", description: "only findings not resolved" },
    since: {
      type: "string",
      format: "date-time",
      description: "only findings first seen at or after (new since)",
    },
    resolvedSince: {
      type: "string",
      format: "date-time",
      description: "only findings resolved at or after (resolved since)",
    },
    limit: { type: "integer", minimum: 1, maximum: 1000 },
    after: { type: "string", maxLength: 1024 },
  },
};

const COUNTS: Schema = { type: "object", additionalProperties: { type: "integer" } };

export const INGEST_SUMMARY_SCHEMA: Schema = {
  type: "object",
  required: ["cluster", "observedAt", "objects", "snapshot", "findings", "coverage"],
  properties: {
    cluster: { type: "string" },
    observedAt: { type: "string", format: "date-time" },
    objects: { type: "integer" },
    snapshot: {
      type: "object",
      properties: {
        opened: { type: "integer" },
        closed: { type: "integer" },
        unchanged: { type: "integer" },
      },
    },
    findings: {
      type: "object",
      properties: {
        total: { type: "integer" },
        opened: { type: "integer" },
        updated: { type: "integer" },
        reopened: { type: "integer" },
        resolved: { type: "integer" },
        bySeverity: COUNTS,
      },
    },
    remediation: {
      type: "object",
      properties: { transitions: { type: "integer" }, records: { type: "integer" } },
    },
    coverage: { type: "array", items: { type: "object", additionalProperties: true } },
  },
};

/** `/a/:b` -> `/a/{b}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** The OpenAPI 3.1 document of the routes given. */
export function openApiDocument(routes: readonly RouteSpec[], version: string): Schema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: Schema[] = [];
    const params = r.schema.params?.properties as Record<string, Schema> | undefined;
    for (const [name, schema] of Object.entries(params ?? {}))
      parameters.push({ name, in: "path", required: true, schema });
    const query = r.schema.querystring?.properties as Record<string, Schema> | undefined;
    for (const [name, schema] of Object.entries(query ?? {}))
      parameters.push({ name, in: "query", required: false, schema });
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(r.schema.response ?? { 200: {} }))
      responses[status] = { description: status, content: { "application/json": { schema } } };
    if (r.access !== "public") {
      responses["401"] = { description: "no valid token" };
      responses["403"] = { description: "the token's role does not allow this" };
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      "x-palisade-access": r.access,
      parameters,
      responses,
      ...(r.access === "public" ? { security: [] } : {}),
      ...(r.schema.body !== undefined
        ? { requestBody: { required: true, content: { "application/json": { schema: r.schema.body } } } }
        : {}),
      ...(r.requestBody !== undefined
        ? {
            requestBody: {
              required: true,
              description: r.requestBody,
              content: { "application/json": { schema: { type: "object" } } },
            },
          }
        : {}),
    };
    const path = openApiPath(r.url);
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: op };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Palisade API", version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}

/** A recorded admission decision (what the webhook answered, about what, and why). */
export const ADMISSION_DECISION_SCHEMA: Schema = {
  type: "object",
  required: [
    "seq",
    "at",
    "uid",
    "cluster",
    "endpoint",
    "allowed",
    "evaluated",
    "operation",
    "kind",
    "namespace",
    "name",
    "user",
    "rules",
    "details",
  ],
  properties: {
    seq: { type: "integer" },
    at: { type: "string", format: "date-time" },
    uid: { type: "string" },
    cluster: {
      type: "string",
      description: "the cluster the webhook serves (admission serve --cluster); empty when it names none",
    },
    endpoint: { type: "string", enum: ["validate", "mutate"] },
    allowed: { type: "boolean" },
    evaluated: {
      type: "string",
      description: "pod, controller, ... or failure (the failure policy answered)",
    },
    operation: { type: "string" },
    kind: { type: "string" },
    namespace: { type: "string" },
    name: { type: "string" },
    user: { type: "string" },
    rules: { type: "array", items: { type: "string" }, description: "the rules violated" },
    details: {
      type: "object",
      additionalProperties: true,
      description:
        "message, warnings, dryRun, exemption, violations (rule, mode, fieldPath, message, exception)",
    },
  },
};

export const ADMISSION_DECISIONS_PAGE_SCHEMA: Schema = {
  type: "object",
  required: ["items"],
  properties: { items: { type: "array", items: ADMISSION_DECISION_SCHEMA }, next: { type: "string" } },
};

/** GET /api/v1/overview: core/findings `FindingsOverview`. */
export const OVERVIEW_SCHEMA: Schema = {
  type: "object",
  required: ["findings", "teams"],
  properties: {
    findings: { type: "integer" },
    latest: { type: "string", format: "date-time" },
    teams: {
      type: "array",
      items: {
        type: "object",
        required: ["open", "critical", "high", "newThisWeek", "resolved", "trend"],
        properties: {
          team: { type: "string", description: "absent: findings of no team" },
          open: { type: "integer" },
          critical: { type: "integer" },
          high: { type: "integer" },
          newThisWeek: { type: "integer" },
          resolved: { type: "integer" },
          mttrSeconds: { type: "number" },
          trend: { type: "array", items: { type: ["number", "null"] }, minItems: 4, maxItems: 4 },
        },
      },
    },
  },
};
