/**
 * The API's changes besides snapshots: exceptions (created with a reason, a scope and an expiry), API tokens,
 * images (an SBOM), advisories (OSV JSON), and the audit log every one of them is written to (who, what, when).
 */
import { randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { JsonValue, StoredException, Stores } from "../../adapters/store/index.js";
import { type Exception, parseExceptions } from "../../core/exceptions/index.js";
import { canonicalRef, knownImageFromSbom } from "../../core/lineage/index.js";
import { parseSbomDocument } from "../../core/sbom/index.js";
import { type OsvRecord, parseOsvRecord } from "../../core/vuln/index.js";
import { rememberImages } from "../../services/images/index.js";
import { checkRole, issueToken, type Principal, type TokenStore } from "./auth.js";
import { errorBody } from "./read-routes.js";
import { ERROR_SCHEMA, type RouteSpec } from "./schemas.js";

type Schema = Record<string, unknown>;
type Route = (
  spec: RouteSpec,
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
) => void;

export interface WriteRouteDeps {
  stores: Stores;
  /** Where tokens issued through the API go: the store the server verifies tokens against. */
  tokens: TokenStore;
  now: () => Date;
  /** Called after a change the read views depend on (images, advisories). */
  changed: () => void;
}

const ANY_OBJECT: Schema = { type: "object", additionalProperties: true };
const GLOBS: Schema = {
  type: "array",
  minItems: 1,
  maxItems: 100,
  items: { type: "string", minLength: 1, maxLength: 253 },
};

/** The body of POST /api/v1/exceptions: the exceptions file's entry, plus the clusters it applies to. */
export const EXCEPTION_BODY_SCHEMA: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["reason", "expires"],
  properties: {
    rules: GLOBS,
    namespaces: GLOBS,
    workloads: GLOBS,
    images: GLOBS,
    labels: { type: "object", maxProperties: 20, additionalProperties: { type: "string", maxLength: 253 } },
    reason: { type: "string", minLength: 1, maxLength: 2000 },
    expires: { type: "string", maxLength: 40, description: "YYYY-MM-DD or an ISO date-time, in the future" },
    owner: { type: "string", maxLength: 253 },
    clusters: { type: "array", maxItems: 100, items: { type: "string", maxLength: 253 } },
  },
};

const STORED_EXCEPTION_SCHEMA: Schema = {
  type: "object",
  required: ["id", "exception", "createdBy", "createdAt"],
  properties: {
    id: { type: "string" },
    exception: ANY_OBJECT,
    clusters: { type: "array", items: { type: "string" } },
    createdBy: { type: "string" },
    createdAt: { type: "string", format: "date-time" },
    revoked: {
      type: "object",
      required: ["at", "by"],
      properties: {
        at: { type: "string", format: "date-time" },
        by: { type: "string" },
        reason: { type: "string" },
      },
    },
    active: { type: "boolean", description: "in force: not revoked and not expired" },
  },
};

/** Who did it, for the audit log: the token's id (never the token), or the OIDC subject. */
export const actorOf = (p: Principal | undefined): string => p?.id ?? "unknown";

/** Whether an exception is in force at `now` (expiry is the end of that day, as the scan judges it). */
export function exceptionActive(e: { expires?: string | undefined }, now: Date): boolean {
  if (e.expires === undefined) return true;
  const end = /^\d{4}-\d{2}-\d{2}$/.test(e.expires)
    ? Date.parse(`${e.expires}T23:59:59.999Z`)
    : Date.parse(e.expires);
  return Number.isFinite(end) && end >= now.getTime();
}

/** Stored exceptions as the scan reads them (those of `cluster` not revoked, each checked again: the store may be older). */
export function exceptionsFor(stored: readonly StoredException[], cluster: string): Exception[] {
  const list = stored
    .filter((s) => s.revoked === undefined)
    .filter((s) => s.clusters === undefined || s.clusters.includes(cluster))
    .map((s) => ({ ...(s.exception as Record<string, unknown>), id: s.id }));
  return parseExceptions(list).exceptions;
}

export function registerWriteRoutes(route: Route, deps: WriteRouteDeps): void {
  const { stores, now } = deps;

  route(
    {
      method: "POST",
      url: "/api/v1/exceptions",
      bodyLimit: 64 * 1024,
      access: "exceptions",
      summary:
        "Create an exception (scope: rules, namespaces, workloads, images, labels; reason; expiry), applied from the next snapshot of each cluster; audited",

      schema: { body: EXCEPTION_BODY_SCHEMA, response: { 201: STORED_EXCEPTION_SCHEMA, 400: ERROR_SCHEMA } },
    },
    async (req, reply) => {
      const { clusters, ...entry } = req.body as { clusters?: string[] } & Record<string, unknown>;
      const { exceptions, issues } = parseExceptions([entry]);
      const first = issues[0];
      if (first !== undefined || exceptions[0] === undefined)
        return reply
          .code(400)
          .send(
            errorBody(
              "INPUT",
              `${(first?.path ?? "").replace(/^exceptions\[0\]\.?/, "") || "body"}: ${first?.message ?? "invalid"}`,
            ),
          );
      const at = now();
      if (!exceptionActive({ expires: entry.expires as string }, at))
        return reply.code(400).send(errorBody("INPUT", "expires: the date is already past"));
      const id = `exc_${randomBytes(8).toString("hex")}`;
      const { id: _positional, source: _source, ...exception } = exceptions[0];
      const stored: StoredException = {
        id,
        exception: exception as unknown as JsonValue,
        ...(clusters !== undefined ? { clusters } : {}),
        createdBy: actorOf(req.principal),
        createdAt: at.toISOString(),
      };
      await stores.exceptions.put(stored);
      await stores.audit.append({
        at,
        actor: stored.createdBy,
        action: "exception.create",
        subject: id,
        details: {
          ...(exception as unknown as Record<string, JsonValue>),
          ...(stored.clusters ? { clusters: stored.clusters } : {}),
        },
      });
      return reply.code(201).send({ ...stored, active: true });
    },
  );

  route(
    {
      method: "POST",
      url: "/api/v1/exceptions/:id/revoke",
      bodyLimit: 16 * 1024,
      access: "exceptions",
      summary:
        "Revoke an exception before its expiry (optional reason): its findings are reported again from the next snapshot of each cluster; audited",
      schema: {
        params: {
          type: "object",
          required: ["id"],
          properties: { id: { type: "string", maxLength: 64, pattern: "^exc_[0-9a-f]+$" } },
        },
        body: {
          type: "object",
          additionalProperties: false,
          properties: { reason: { type: "string", minLength: 1, maxLength: 2000 } },
        },
        response: { 200: STORED_EXCEPTION_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const { reason } = (req.body ?? {}) as { reason?: string };
      const at = now();
      const by = actorOf(req.principal);
      let revoked: StoredException | undefined;
      try {
        revoked = await stores.exceptions.revoke(id, {
          at: at.toISOString(),
          by,
          ...(reason !== undefined ? { reason } : {}),
        });
      } catch (e) {
        if ((e as { code?: string }).code === "INPUT")
          return reply.code(409).send(errorBody("CONFLICT", `exception ${id} is already revoked`));
        throw e;
      }
      if (revoked === undefined) return reply.code(404).send(errorBody("NOT_FOUND", `no exception ${id}`));
      await stores.audit.append({
        at,
        actor: by,
        action: "exception.revoke",
        subject: id,
        details: reason !== undefined ? { reason } : {},
      });
      return { ...revoked, active: false };
    },
  );

  route(
    {
      method: "GET",
      url: "/api/v1/exceptions",
      access: "read",
      summary:
        "Exceptions with their expiry (a team-viewer sees those its team owns); ?active=true: only those in force; ?cluster=: those that apply to the cluster (its own and those of every cluster)",
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            active: { type: "boolean" },
            cluster: { type: "string", maxLength: 253 },
            limit: { type: "integer", minimum: 1, maximum: 1000 },
            after: { type: "string", maxLength: 32, pattern: "^[0-9]+$" },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: {
              items: { type: "array", items: STORED_EXCEPTION_SCHEMA },
              next: { type: "string" },
            },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { active?: boolean; cluster?: string; limit?: number; after?: string };
      const at = now();
      const team = req.principal?.role === "team-viewer" ? req.principal.team : undefined;
      const items = (await stores.exceptions.list())
        .map((s) => ({
          ...s,
          active: s.revoked === undefined && exceptionActive(s.exception as { expires?: string }, at),
        }))
        .filter((s) => q.active === undefined || s.active === q.active)
        .filter((s) => q.cluster === undefined || s.clusters === undefined || s.clusters.includes(q.cluster))
        .filter(
          (s) => req.principal?.role !== "team-viewer" || (s.exception as { owner?: string }).owner === team,
        );
      const limit = q.limit ?? 100;
      const from = q.after === undefined ? 0 : Number(q.after);
      const page = items.slice(from, from + limit);
      return from + limit < items.length ? { items: page, next: String(from + limit) } : { items: page };
    },
  );

  route(
    {
      method: "GET",
      url: "/api/v1/audit",
      access: "audit",
      summary:
        "The audit log (admin and security): every change (exception created or revoked, token issued, images and advisories added), who and when, oldest first",
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            from: { type: "string", format: "date-time" },
            to: { type: "string", format: "date-time" },
            limit: { type: "integer", minimum: 1, maximum: 1000 },
            after: { type: "string", maxLength: 1024 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: ANY_OBJECT }, next: { type: "string" } },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { from?: string; to?: string; limit?: number; after?: string };
      return stores.audit.list({
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        limit: q.limit,
        after: q.after,
      });
    },
  );

  route(
    {
      method: "POST",
      url: "/api/v1/tokens",
      bodyLimit: 4 * 1024,
      access: "admin",
      summary: "Issue an API token (shown once in the answer; only its digest is kept); audited",

      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["role"],
          properties: {
            role: { type: "string", enum: ["admin", "security", "team-viewer", "ingest"] },
            team: { type: "string", minLength: 1, maxLength: 253 },
          },
        },
        response: {
          201: {
            type: "object",
            required: ["id", "token", "role"],
            properties: {
              id: { type: "string" },
              token: { type: "string" },
              role: { type: "string" },
              team: { type: "string" },
            },
          },
          400: ERROR_SCHEMA,
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { role: string; team?: string };
      const who = checkRole(body.role, body.team);
      const at = now();
      const { token, record } = await issueToken(deps.tokens, who, at);
      await stores.audit.append({
        at,
        actor: actorOf(req.principal),
        action: "token.create",
        subject: record.id,
        details: { role: who.role, ...(who.team !== undefined ? { team: who.team } : {}) },
      });
      return reply
        .code(201)
        .send({ id: record.id, token, role: who.role, ...(who.team ? { team: who.team } : {}) });
    },
  );

  route(
    {
      method: "POST",
      url: "/api/v1/images",
      bodyLimit: 64 * 1024 * 1024,
      access: "ingest",
      summary:
        "Add an analysed image: its SBOM (CycloneDX as `palisade sbom` writes it, SPDX, Trivy or Grype JSON); ?ref= names it (repeatable); audited",
      requestBody: "SBOM",
      rawBody: true,
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { ref: { type: "array", maxItems: 20, items: { type: "string", maxLength: 512 } } },
        },
        response: { 200: ANY_OBJECT, 400: ERROR_SCHEMA },
      },
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body))
        return reply.code(400).send(errorBody("INPUT", "send the SBOM as JSON"));
      const refs = (req.query as { ref?: string[] }).ref ?? [];
      for (const r of refs)
        if (canonicalRef(r) === undefined)
          return reply.code(400).send(errorBody("INPUT", `ref ${r} is not an image reference`));
      const { sbom } = parseSbomDocument(req.body.toString("utf8"), "request body");
      const image = knownImageFromSbom(sbom, refs);
      await rememberImages([image], { images: stores.images, now });
      await stores.audit.append({
        at: now(),
        actor: actorOf(req.principal),
        action: "image.add",
        subject: image.digest,
        details: { refs: image.refs, packages: image.packages.length },
      });
      deps.changed();
      return {
        digest: image.digest,
        refs: image.refs,
        platform: image.platform,
        layers: image.layers.length,
        packages: image.packages.length,
      };
    },
  );

  route(
    {
      method: "POST",
      url: "/api/v1/advisories",
      bodyLimit: 64 * 1024 * 1024,
      access: "ingest",
      summary:
        "Add OSV advisories: one OSV JSON record or an array of them; invalid records are named, the rest kept; audited",
      requestBody: "OSV JSON",
      schema: { response: { 200: ANY_OBJECT, 400: ERROR_SCHEMA } },
    },
    async (req, reply) => {
      const body = req.body;
      const list = Array.isArray(body) ? body : [body];
      if (list.length > 10_000)
        return reply.code(413).send(errorBody("LIMIT", "at most 10000 records per request"));
      const records: OsvRecord[] = [];
      const rejected: { index: number; message: string }[] = [];
      list.forEach((r, i) => {
        const parsed = parseOsvRecord(r, `record ${i}`);
        if (parsed.record) records.push(parsed.record);
        else
          rejected.push({ index: i, message: parsed.coverage.map((c) => c.message).join("; ") || "invalid" });
      });
      const written =
        records.length > 0 ? await stores.vulns.putRecords(records) : { written: 0, unchanged: 0 };
      if (records.length > 0) await stores.vulns.markImported(now().toISOString());
      await stores.audit.append({
        at: now(),
        actor: actorOf(req.principal),
        action: "advisories.import",
        subject: `${records.length} records`,
        details: {
          ids: records.slice(0, 50).map((r) => r.id),
          written: written.written,
          rejected: rejected.length,
        },
      });
      deps.changed();
      return { received: list.length, ...written, rejected };
    },
  );
}
