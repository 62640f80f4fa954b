/**
 * Live cluster source: lists every kind the analyzers read through the Kubernetes API, with pagination.
 * Partial failures are values (coverage entries), in the manner of Backstage's `{ responses, errors }` fetch:
 * a 403 on Secrets never hides the Pods.
 */

import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import type { RawObject } from "../../core/inventory/index.js";
import { isRecord } from "../../core/util/index.js";
import type { LoadResult } from "../manifests/index.js";
import { checkValue, stripSecrets } from "../manifests/index.js";
import { type ApiGet, httpGetter } from "./http.js";

/** A kind to list: plain data (group/version, plural resource, scope). */
export interface KindDescriptor {
  /** apiVersion as written in objects: "v1", "apps/v1". */
  apiVersion: string;
  kind: string;
  /** Plural resource name in the URL. */
  resource: string;
  namespaced: boolean;
}

/** Every kind the analyzers read. Order is the output order (deterministic whatever the completion order). */
export const LIVE_KINDS: readonly KindDescriptor[] = [
  { apiVersion: "v1", kind: "Namespace", resource: "namespaces", namespaced: false },
  { apiVersion: "v1", kind: "Node", resource: "nodes", namespaced: false },
  { apiVersion: "v1", kind: "Pod", resource: "pods", namespaced: true },
  { apiVersion: "apps/v1", kind: "Deployment", resource: "deployments", namespaced: true },
  { apiVersion: "apps/v1", kind: "ReplicaSet", resource: "replicasets", namespaced: true },
  { apiVersion: "apps/v1", kind: "StatefulSet", resource: "statefulsets", namespaced: true },
  { apiVersion: "apps/v1", kind: "DaemonSet", resource: "daemonsets", namespaced: true },
  { apiVersion: "batch/v1", kind: "Job", resource: "jobs", namespaced: true },
  { apiVersion: "batch/v1", kind: "CronJob", resource: "cronjobs", namespaced: true },
  { apiVersion: "v1", kind: "ReplicationController", resource: "replicationcontrollers", namespaced: true },
  { apiVersion: "v1", kind: "ServiceAccount", resource: "serviceaccounts", namespaced: true },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", resource: "roles", namespaced: true },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    resource: "clusterroles",
    namespaced: false,
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    resource: "rolebindings",
    namespaced: true,
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    resource: "clusterrolebindings",
    namespaced: false,
  },
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    resource: "networkpolicies",
    namespaced: true,
  },
  { apiVersion: "v1", kind: "Service", resource: "services", namespaced: true },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress", resource: "ingresses", namespaced: true },
  { apiVersion: "v1", kind: "ConfigMap", resource: "configmaps", namespaced: true },
  { apiVersion: "v1", kind: "Secret", resource: "secrets", namespaced: true },
];

/** Options of {@link listKinds}, the transport-independent part of the live read. */
export interface ListOptions {
  /** Origin written into every object's source, e.g. `cluster:prod`. */
  origin: string;
  cluster: string;
  namespace?: string;
  kinds?: readonly KindDescriptor[];
  /** Page size (`limit`), 500 like kubectl. */
  pageSize?: number;
  /** Pages per kind before giving up (a server that never stops sending `continue`). */
  maxPages?: number;
  concurrency?: number;
}

const encode = encodeURIComponent;

/** The collection path: `/api/v1/pods`, `/apis/apps/v1/namespaces/x/deployments`. */
export function listPath(k: KindDescriptor, namespace: string | undefined): string {
  const base = k.apiVersion.includes("/") ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  return k.namespaced && namespace !== undefined
    ? `${base}/namespaces/${encode(namespace)}/${k.resource}`
    : `${base}/${k.resource}`;
}

function scopeText(k: KindDescriptor, namespace: string | undefined): string {
  return k.namespaced && namespace !== undefined ? `in namespace ${namespace}` : "cluster-wide";
}

/** Status `message` of a Kubernetes Status body, if any (the API server explains 403s there). */
function statusMessage(body: string): string | undefined {
  try {
    const s: unknown = JSON.parse(body);
    return isRecord(s) && typeof s.message === "string" ? s.message : undefined;
  } catch {
    return undefined;
  }
}

async function listOne(
  get: ApiGet,
  k: KindDescriptor,
  o: Required<Pick<ListOptions, "pageSize" | "maxPages">> & ListOptions,
): Promise<{ objects: RawObject[]; coverage: CoverageEntry[] }> {
  const ns = k.namespaced ? o.namespace : undefined;
  const where = scopeText(k, o.namespace);
  const entry = (reason: CoverageEntry["reason"], message: string): CoverageEntry => {
    const e: CoverageEntry = { reason, message, subject: o.origin, kind: k.kind };
    if (ns !== undefined) e.namespace = ns;
    return e;
  };
  // With -n, the namespace itself is read by name: listing every namespace would widen the read.
  if (k.kind === "Namespace" && o.namespace !== undefined) {
    return getSingleNamespace(get, k, o, entry);
  }
  const objects: RawObject[] = [];
  const seenTokens = new Set<string>();
  let cont: string | undefined;
  let restarted = false;
  for (let page = 0; ; page++) {
    if (page >= o.maxPages) {
      return {
        objects,
        coverage: [entry("limit", `listing ${k.resource} ${where} stopped after ${o.maxPages} pages`)],
      };
    }
    const query = `?limit=${o.pageSize}${cont !== undefined ? `&continue=${encode(cont)}` : ""}`;
    const path = listPath(k, ns) + query;
    let res: Awaited<ReturnType<ApiGet>>;
    try {
      res = await get(path);
    } catch (e) {
      return {
        objects: [],
        coverage: [
          entry(
            "unreachable",
            `cannot reach the API server listing ${k.resource} ${where}: ${e instanceof Error ? e.message : String(e)}`,
          ),
        ],
      };
    }
    if (res.status === 403 || res.status === 401) {
      const why = statusMessage(res.body);
      return {
        objects: [],
        coverage: [
          entry(
            "forbidden",
            res.status === 403
              ? `RBAC forbade listing ${k.resource} ${where}${why ? ` (${why})` : ""}`
              : `the API server rejected the credentials (401) listing ${k.resource} ${where}`,
          ),
        ],
      };
    }
    if (res.status === 404) {
      return {
        objects: [],
        coverage: [
          entry(
            "unserved",
            `${k.apiVersion} ${k.resource} is not served by this cluster (404 on ${listPath(k, ns)})`,
          ),
        ],
      };
    }
    if (res.status === 410 && cont !== undefined && !restarted) {
      // 410 Gone: the continue token expired (etcd compaction). Re-list from the start once, as kubectl does.
      restarted = true;
      cont = undefined;
      objects.length = 0;
      seenTokens.clear();
      continue;
    }
    if (res.status !== 200) {
      const why = statusMessage(res.body);
      return {
        objects: [],
        coverage: [
          entry(
            "unreachable",
            `listing ${k.resource} ${where} failed with HTTP ${res.status}${why ? `: ${why}` : ""}`,
          ),
        ],
      };
    }
    let list: unknown;
    try {
      list = JSON.parse(res.body);
    } catch {
      return {
        objects: [],
        coverage: [entry("invalid", `listing ${k.resource} ${where}: response is not JSON`)],
      };
    }
    if (!isRecord(list) || !Array.isArray(list.items)) {
      return {
        objects: [],
        coverage: [entry("invalid", `listing ${k.resource} ${where}: response has no items`)],
      };
    }
    const problems: CoverageEntry[] = [];
    for (const item of list.items) {
      const accepted = acceptItem(item, k, o, objects.length, problems, entry);
      if (accepted) objects.push(accepted);
    }
    if (problems.length > 0) return { objects, coverage: problems };
    const meta = isRecord(list.metadata) ? list.metadata : {};
    const next = typeof meta.continue === "string" && meta.continue !== "" ? meta.continue : undefined;
    if (next === undefined) return { objects, coverage: [] };
    if (seenTokens.has(next)) {
      return {
        objects,
        coverage: [entry("invalid", `listing ${k.resource} ${where}: the server repeated a continue token`)],
      };
    }
    seenTokens.add(next);
    cont = next;
  }
}

function acceptItem(
  item: unknown,
  k: KindDescriptor,
  o: ListOptions,
  index: number,
  problems: CoverageEntry[],
  entry: (reason: CoverageEntry["reason"], message: string) => CoverageEntry,
): RawObject | undefined {
  if (!isRecord(item)) {
    problems.push(entry("invalid", `a ${k.kind} item in the list is not an object`));
    return undefined;
  }
  const bad = checkValue(item, 200);
  if (bad) {
    problems.push(
      entry(
        bad.kind === "unsafe" ? "unsafe" : "limit",
        bad.kind === "unsafe"
          ? `a ${k.kind} from the API server has a forbidden key "${bad.key}"; rejected`
          : `a ${k.kind} from the API server is nested too deeply; rejected`,
      ),
    );
    return undefined;
  }
  // List items come without apiVersion/kind (the list carries them): restore them so objects are complete.
  // Secret values are dropped here, before the object is kept anywhere.
  const object = stripSecrets({ apiVersion: k.apiVersion, kind: k.kind, ...item });
  object.apiVersion = k.apiVersion;
  object.kind = k.kind;
  return { object, source: { file: o.origin, line: 0, column: 0, index }, cluster: o.cluster };
}

async function getSingleNamespace(
  get: ApiGet,
  k: KindDescriptor,
  o: ListOptions,
  entry: (reason: CoverageEntry["reason"], message: string) => CoverageEntry,
): Promise<{ objects: RawObject[]; coverage: CoverageEntry[] }> {
  const ns = o.namespace!;
  let res: Awaited<ReturnType<ApiGet>>;
  try {
    res = await get(`/api/v1/namespaces/${encode(ns)}`);
  } catch (e) {
    return {
      objects: [],
      coverage: [
        entry(
          "unreachable",
          `cannot reach the API server reading namespace ${ns}: ${e instanceof Error ? e.message : String(e)}`,
        ),
      ],
    };
  }
  if (res.status === 403 || res.status === 401)
    return { objects: [], coverage: [entry("forbidden", `RBAC forbade reading namespace ${ns}`)] };
  if (res.status === 404)
    return { objects: [], coverage: [entry("missing", `namespace ${ns} does not exist`)] };
  if (res.status !== 200)
    return {
      objects: [],
      coverage: [entry("unreachable", `reading namespace ${ns} failed with HTTP ${res.status}`)],
    };
  let item: unknown;
  try {
    item = JSON.parse(res.body);
  } catch {
    return { objects: [], coverage: [entry("invalid", `reading namespace ${ns}: response is not JSON`)] };
  }
  const problems: CoverageEntry[] = [];
  const obj = acceptItem(item, k, o, 0, problems, entry);
  return { objects: obj ? [obj] : [], coverage: problems };
}

/**
 * List the kinds through a GET function (transport-independent: tests may pass any getter). At most
 * `concurrency` requests run at once; results are assembled in the order of `kinds`.
 */
export async function listKinds(get: ApiGet, opts: ListOptions): Promise<LoadResult> {
  const kinds = opts.kinds ?? LIVE_KINDS;
  const o = { pageSize: 500, maxPages: 10_000, ...opts };
  const results: { objects: RawObject[]; coverage: CoverageEntry[] }[] = new Array(kinds.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < kinds.length) {
      const i = next++;
      results[i] = await listOne(get, kinds[i]!, o);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, kinds.length));
  await Promise.all(Array.from({ length: n }, worker));
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  for (const r of results) {
    for (const x of r.objects) objects.push(x);
    for (const c of r.coverage) coverage.push(c);
  }
  return { objects, coverage, files: 0 };
}

/**
 * Read a live cluster through a kubeconfig (any auth @kubernetes/client-node supports: bearer token, client
 * certificates, exec plugins). A broken kubeconfig or unknown context is a usage error; everything that fails
 * per kind (403, 404, unreachable) is coverage.
 */
export async function loadLiveCluster(opts: {
  kubeconfig: string;
  context?: string;
  namespace?: string;
  concurrency?: number;
}): Promise<LoadResult> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(opts.kubeconfig);
  } catch (e) {
    throw kubeconfigError(e, opts.kubeconfig);
  }
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context))
      throw new PalisadeError("USAGE", `context "${opts.context}" is not in the kubeconfig`, {
        context: { file: opts.kubeconfig },
      });
    kc.setCurrentContext(opts.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    const why =
      typeof context === "string" && context !== ""
        ? `kubeconfig has no cluster for context "${context}"`
        : "kubeconfig has no current-context (and no --context was given), or is not a kubeconfig";
    throw new PalisadeError("INPUT", why, {
      context: { file: opts.kubeconfig },
    });
  }
  const get = await httpGetter(kc, cluster.server);
  const list: ListOptions = { origin: `cluster:${context}`, cluster: context };
  if (opts.namespace !== undefined) list.namespace = opts.namespace;
  if (opts.concurrency !== undefined) list.concurrency = opts.concurrency;
  return listKinds(get, list);
}

/**
 * A kubeconfig that does not load. js-yaml's message quotes the lines around a syntax error, and those lines
 * hold bearer tokens and client keys: only the reason and position are kept. The cause is not attached, so
 * nothing prints the original message later.
 */
function kubeconfigError(e: unknown, file: string): PalisadeError {
  const x = e as { reason?: unknown; mark?: { line?: unknown; column?: unknown } } | null;
  if (typeof x?.reason === "string" && typeof x.mark?.line === "number" && typeof x.mark.column === "number")
    return new PalisadeError("INPUT", `cannot load kubeconfig: ${x.reason}`, {
      context: { file, line: x.mark.line + 1, column: x.mark.column + 1 },
    });
  const message = e instanceof Error ? e.message : String(e);
  return new PalisadeError("INPUT", `cannot load kubeconfig: ${message.split("\n", 1)[0]}`, {
    context: { file },
  });
}
