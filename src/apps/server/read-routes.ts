/**
 * The read API over the current state of the fleet: vulnerabilities and their impact, images and the image tree,
 * workloads, the remediation plan and records, RBAC escalation paths, NetworkPolicy connectivity, and the risk
 * queue. Every answer is computed for the caller's scope (a team-viewer's team, always), so a team never gets
 * another team's data, not even in totals; lists are paginated.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { StoredFinding, Stores } from "../../adapters/store/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { Severity } from "../../core/findings/index.js";
import { expandDecisionDetails } from "../../services/admission/index.js";
import {
  type FleetImpact,
  type FleetScope,
  type FleetView,
  fleetImpact,
  imageTree,
  listClusters,
  listImages,
  listVulnerabilities,
  listWorkloads,
  netpolEdges,
  rbacPaths,
  riskQueue,
  scopedPlan,
  scopedRemediations,
} from "../../services/fleet/index.js";
import type { Principal } from "./auth.js";
import { ADMISSION_DECISIONS_PAGE_SCHEMA, ERROR_SCHEMA, type RouteSpec } from "./schemas.js";

type Schema = Record<string, unknown>;
type Route = (
  spec: RouteSpec,
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
) => void;

const SEVERITIES = new Set<string>(["critical", "high", "medium", "low", "info"]);

const SCOPE_PROPS: Schema = {
  cluster: { type: "string", maxLength: 253 },
  namespace: { type: "string", maxLength: 253 },
  team: { type: "string", maxLength: 253 },
};
const PAGE_PROPS: Schema = {
  limit: { type: "integer", minimum: 1, maximum: 1000 },
  after: {
    type: "string",
    maxLength: 32,
    pattern: "^[0-9]+$",
    description: "the `next` of the previous page",
  },
};
const SEVERITY_PROP: Schema = {
  severity: { type: "string", maxLength: 64, description: "comma-separated: critical,high,medium,low,info" },
};

function query(extra: Schema = {}, paged = true): Schema {
  return {
    type: "object",
    additionalProperties: false,
    properties: { ...SCOPE_PROPS, ...(paged ? PAGE_PROPS : {}), ...extra },
  };
}

/** A page of `items` (any JSON object), with the cursor of the next page. */
function pageSchema(item: Schema): Schema {
  return {
    type: "object",
    required: ["items"],
    properties: { items: { type: "array", items: item }, next: { type: "string" } },
  };
}

const ANY_OBJECT: Schema = { type: "object", additionalProperties: true };
const STRINGS: Schema = { type: "array", items: { type: "string" } };

/**
 * The impact answer: the summary whole (totals, images, where to fix, namespaces, teams, each cluster's share), the
 * workloads a page at a time (`?limit=&after=`, as every list), with their total.
 */
const IMPACT_SCHEMA: Schema = {
  type: "object",
  additionalProperties: true,
  required: ["query", "vulnerabilityId", "aliases", "images", "fixAt", "workloads", "totals", "byCluster"],
  properties: {
    query: { type: "string" },
    vulnerabilityId: { type: "string" },
    aliases: STRINGS,
    severity: { type: "string" },
    images: { type: "array", items: ANY_OBJECT },
    fixAt: {
      type: "array",
      items: ANY_OBJECT,
      description: "where to fix: the image and package, fixed versions",
    },
    workloads: {
      type: "object",
      required: ["items", "total"],
      description:
        "a page of the affected workloads (each with its replicas and vulnerable replicas), in a stable order: `next` is the `after` of the following page; `total` counts them all",
      properties: {
        items: { type: "array", items: ANY_OBJECT },
        next: { type: "string" },
        total: { type: "integer" },
      },
    },
    namespaces: STRINGS,
    clusters: STRINGS,
    teams: STRINGS,
    totals: {
      type: "object",
      additionalProperties: { type: "integer" },
      description:
        "images, workloads, replicas, namespaces, clusters, teams: over every workload, not the page",
    },
    byCluster: { type: "array", items: ANY_OBJECT, description: "each cluster's share, over every workload" },
  },
};

interface ScopeQuery {
  cluster?: string;
  namespace?: string;
  team?: string;
  severity?: string;
  state?: string;
  image?: string;
  limit?: number;
  after?: string;
}

/** Offset paging over an answer computed whole (in a deterministic order). */
export function pageOf<T>(
  items: readonly T[],
  q: { limit?: number; after?: string },
): { items: T[]; next?: string } {
  const limit = q.limit ?? 100;
  const from = q.after === undefined ? 0 : Number(q.after);
  const page = items.slice(from, from + limit);
  return from + limit < items.length ? { items: page, next: String(from + limit) } : { items: page };
}

/**
 * An impact answer with its workloads paged: they grow with the fleet (2,002 of them, 381 KiB, for one CVE over
 * 1M pods), while the summary (totals, byCluster, images, where to fix) is computed over all of them and sent
 * whole on every page.
 */
export function impactPage(
  answer: FleetImpact,
  q: { limit?: number; after?: string },
): Omit<FleetImpact, "workloads"> & {
  workloads: { items: FleetImpact["workloads"]; next?: string; total: number };
} {
  const { workloads, ...summary } = answer;
  return { ...summary, workloads: { ...pageOf(workloads, q), total: workloads.length } };
}

export interface ReadRouteDeps {
  stores: Stores;
  now: () => Date;
  /** The fleet view, cached by the server until something is written (as of the request's reading of the store). */
  view: (req: FastifyRequest) => Promise<FleetView>;
  /** The caller's scope, or false when a team-viewer asks for another team. */
  scopeOf: (p: Principal | undefined, q: ScopeQuery) => FleetScope | false;
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function severities(text: string | undefined): Severity[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").filter((s) => s !== "");
  const bad = list.find((s) => !SEVERITIES.has(s));
  if (bad !== undefined) throw new PalisadeError("INPUT", `unknown severity ${bad}`);
  return list as Severity[];
}

/** Declare every read route on `route`. */
export function registerReadRoutes(route: Route, deps: ReadRouteDeps): void {
  /** Parse the scope; a team-viewer asking for another team is refused. */
  const scoped =
    (fn: (scope: FleetScope, q: ScopeQuery, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as ScopeQuery;
      const scope = deps.scopeOf(req.principal, q);
      if (scope === false)
        return reply.code(403).send(errorBody("FORBIDDEN", "a team token reads its own team only"));
      return fn(scope, q, req, reply);
    };

  route(
    {
      method: "GET",
      url: "/api/v1/clusters",
      access: "read",
      summary:
        "Clusters with a stored snapshot (when scoped: those where the scope has workloads), with the latest snapshot's time and the scope's workloads, replicas and namespaces in each",
      schema: {
        querystring: query(),
        response: {
          200: pageSchema({
            type: "object",
            required: ["cluster", "latestSnapshot", "workloads", "replicas", "namespaces"],
            properties: {
              cluster: { type: "string" },
              latestSnapshot: { type: "string", format: "date-time" },
              workloads: { type: "integer" },
              replicas: { type: "integer" },
              namespaces: { type: "integer" },
            },
          }),
        },
      },
    },
    scoped(async (scope, q, req) =>
      pageOf(listClusters(await deps.view(req), await deps.stores.snapshots.clusters(), scope), q),
    ),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/vulnerabilities",
      access: "read",
      summary:
        "Vulnerabilities of the images the scope runs (every known image unscoped), most severe and widest first; ?image=DIGEST: those one image carries (its bases' included)",
      schema: {
        querystring: query({
          ...SEVERITY_PROP,
          image: {
            type: "string",
            maxLength: 200,
            description: "an image digest or image tree node id: only the vulnerabilities that image carries",
          },
        }),
        response: { 200: pageSchema(ANY_OBJECT), 400: ERROR_SCHEMA },
      },
    },
    scoped(async (scope, q, req) =>
      pageOf(listVulnerabilities((await deps.view(req)).index, scope, severities(q.severity), q.image), q),
    ),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/vulnerabilities/:id/impact",
      access: "read",
      summary:
        "Who runs a vulnerability (any id or alias) across every cluster: images, namespaces, teams, each cluster's share (byCluster), where to fix it, and the totals, whole; the workloads with their replicas a page at a time (workloads: {items, next, total})",
      schema: {
        params: { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 200 } } },
        querystring: query(),
        response: { 200: IMPACT_SCHEMA, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA },
      },
    },
    scoped(async (scope, q, req, reply) => {
      const { id } = req.params as { id: string };
      const view = await deps.view(req);
      const answer = fleetImpact(view.index, id, scope);
      if (answer.vulnerabilityId === undefined)
        return reply.code(404).send(errorBody("NOT_FOUND", `no image the scope runs carries ${id}`));
      return impactPage(answer, q);
    }),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/images",
      access: "read",
      summary: "Known images (those the scope runs, when scoped) with usage and vulnerability counts",
      schema: { querystring: query(), response: { 200: pageSchema(ANY_OBJECT) } },
    },
    scoped(async (scope, q, req) => pageOf(listImages(await deps.view(req), scope), q)),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/images/tree",
      access: "read",
      summary:
        "The image tree (the scope's images and their bases, when scoped) with vulnerabilities per node",
      schema: { querystring: query({}, false), response: { 200: ANY_OBJECT } },
    },
    scoped(async (scope, _q, req) => imageTree(await deps.view(req), scope)),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/workloads",
      access: "read",
      summary: "Workloads with their images, replicas, exposure and vulnerability counts",
      schema: { querystring: query(), response: { 200: pageSchema(ANY_OBJECT) } },
    },
    scoped(async (scope, q, req) => pageOf(listWorkloads((await deps.view(req)).index, scope), q)),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/plan",
      access: "read",
      summary: "Prioritised fixes for the scope's workloads: per base image and per team",
      schema: { querystring: query({}, false), response: { 200: ANY_OBJECT } },
    },
    scoped(async (scope, _q, req) => scopedPlan(await deps.view(req), scope)),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/remediations",
      access: "read",
      summary:
        "Remediation records, one per vulnerability and image family across clusters: state, time to fix, the rollout (N/M replicas on the fixed digest) in total and per cluster (rollouts), narrowed to the scope's workloads",
      schema: {
        querystring: query({
          state: { type: "string", maxLength: 200, description: "comma-separated record states" },
        }),
        response: { 200: pageSchema(ANY_OBJECT) },
      },
    },
    scoped(async (scope, q) => {
      const states = q.state?.split(",").filter((s) => s !== "");
      return pageOf(scopedRemediations(await deps.stores.remediation.listRecords(), scope, states), q);
    }),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/rbac/paths",
      access: "read",
      summary:
        "Escalation paths to cluster-admin per cluster (scoped: the ServiceAccounts of the scope's namespaces)",
      schema: { querystring: query(), response: { 200: pageSchema(ANY_OBJECT) } },
    },
    scoped(async (scope, q, req) => {
      const view = await deps.view(req);
      return pageOf((await rbacPaths(deps, view.clusters, scope)).paths, q);
    }),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/netpol/connectivity",
      access: "read",
      summary:
        "Connections the NetworkPolicies allow, per cluster (scoped: connections between the scope's workloads and addresses)",
      schema: { querystring: query(), response: { 200: pageSchema(ANY_OBJECT) } },
    },
    scoped(async (scope, q, req) => {
      const view = await deps.view(req);
      return pageOf((await netpolEdges(deps, view.clusters, scope)).edges, q);
    }),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/risk",
      access: "read",
      summary:
        "One ranked queue of workloads across vulnerabilities, exposure and privilege (critical/high posture findings)",
      schema: { querystring: query(), response: { 200: pageSchema(ANY_OBJECT) } },
    },
    scoped(async (scope, q, req) => {
      const view = await deps.view(req);
      const findings: StoredFinding[] = [];
      let after: string | undefined;
      do {
        const page = await deps.stores.findings.list({
          cluster: scope.cluster,
          namespace: scope.namespace,
          team: scope.team,
          severity: ["critical", "high"],
          openOnly: true,
          limit: 1000,
          after,
        });
        for (const f of page.items) findings.push(f);
        after = page.next;
      } while (after !== undefined);
      return pageOf(
        riskQueue(
          view.index,
          scope,
          findings.map((f) => ({
            cluster: f.cluster,
            ref: f.finding.resource,
            ruleId: f.finding.ruleId,
            severity: f.finding.severity,
          })),
        ),
        q,
      );
    }),
  );

  route(
    {
      method: "GET",
      url: "/api/v1/admission/decisions",
      access: "read",
      // Not kept: decisions do not move the store revision (the webhook records them many times a second, and each
      // would drop every cached answer and the fleet view), so a kept page would miss those recorded since.
      cache: false,
      summary:
        "Admission decisions the webhooks recorded, newest first: allowed or not, each violated rule, the exception that matched; filtered by cluster, namespace, allowed, rule, uid and time",
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            cluster: {
              type: "string",
              maxLength: 253,
              description:
                "decisions of this cluster (admission serve --cluster); empty: those recorded without one",
            },
            namespace: { type: "string", maxLength: 253 },
            allowed: { type: "boolean" },
            rule: { type: "string", maxLength: 253 },
            uid: { type: "string", maxLength: 128 },
            from: { type: "string", format: "date-time" },
            to: { type: "string", format: "date-time" },
            limit: { type: "integer", minimum: 1, maximum: 1000 },
            after: { type: "string", maxLength: 1024, description: "the `next` of the previous page" },
          },
        },
        response: { 200: ADMISSION_DECISIONS_PAGE_SCHEMA, 403: ERROR_SCHEMA },
      },
    },
    async (req, reply) => {
      // Decisions are recorded per namespace, not per team: a team token is refused rather than shown others'.
      if (req.principal?.role === "team-viewer")
        return reply.code(403).send(errorBody("FORBIDDEN", "admission decisions are not scoped to a team"));
      const q = req.query as {
        cluster?: string;
        namespace?: string;
        allowed?: boolean;
        rule?: string;
        uid?: string;
        from?: string;
        to?: string;
        limit?: number;
        after?: string;
      };
      const page = await deps.stores.admissionDecisions.list({
        cluster: q.cluster,
        namespace: q.namespace,
        allowed: q.allowed,
        rule: q.rule,
        uid: q.uid,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        limit: q.limit,
        after: q.after,
      });
      // Stored compact (each violation's text once); shown with the message and warnings as they were answered.
      return { ...page, items: page.items.map((d) => ({ ...d, details: expandDecisionDetails(d.details) })) };
    },
  );
}
