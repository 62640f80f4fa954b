/**
 * Live cluster source: lists every kind the analyzers read through the Kubernetes API, with pagination.
 * Partial failures are values (coverage entries), in the manner of Backstage's `{ responses, errors }` fetch:
 * a 403 on Secrets never hides the Pods. Every exchange is bounded (issue: hardening): a timeout per request and
 * for the whole read, a page budget per kind, a byte budget per response, per item and per run, and list bodies
 * are parsed as streams. What a bound stops is a coverage entry, so a cut read never looks complete.
 */

import { dirname } from "node:path";
import { Budget, isBudgetExceeded } from "../../core/budget/index.js";
import { isPalisadeError, PalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import { type RawObject, slimObject } from "../../core/inventory/index.js";
import { redactSecretsInText } from "../../core/secrets/index.js";
import { isRecord } from "../../core/util/index.js";
import { byteCapStream, readRegularText } from "../fs/index.js";
import type { LoadResult } from "../manifests/index.js";
import { checkValue, streamJsonObjects, stripSecrets } from "../manifests/index.js";
import { type ApiRequest, type ApiResponse, httpTransport } from "./http.js";

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

/** Bounds of one live read. Every field has a default ({@link DEFAULT_LIVE_LIMITS}). */
export interface LiveLimits {
  /** One request, from sending it to the end of its body. The API server cuts its own requests at 60 s. */
  requestTimeoutMs: number;
  /** The whole read: kinds not finished by then are coverage entries (reason "limit"). */
  timeoutMs: number;
  /** Pages per kind (a server that always sends a new `continue` token). 10,000 pages of 500 is 5M objects. */
  maxPages: number;
  /** Bytes of one response body. 500 objects of at most ~1.5 MiB each (etcd's limit) fit. */
  maxResponseBytes: number;
  /** Bytes of one object in a list (and any single string in it). */
  maxItemBytes: number;
  /** Bytes of every response of the read together. */
  maxBytes: number;
}

export const DEFAULT_LIVE_LIMITS: Readonly<LiveLimits> = {
  requestTimeoutMs: 30_000,
  timeoutMs: 600_000,
  maxPages: 10_000,
  maxResponseBytes: 1024 * 1024 * 1024,
  maxItemBytes: 4 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024 * 1024,
};

/** Options of {@link listKinds}, the transport-independent part of the live read. */
export interface ListOptions {
  /** Origin written into every object's source, e.g. `cluster:prod`. */
  origin: string;
  cluster: string;
  /** How the server is named in messages (origin and path of its URL, never credentials). */
  server?: string;
  namespace?: string;
  kinds?: readonly KindDescriptor[];
  /** Page size (`limit`), 500 like kubectl. */
  pageSize?: number;
  concurrency?: number;
  limits?: Partial<LiveLimits>;
  /**
   * Also read the API server's `/version` (kept as a `palisade.dev/v1` ClusterVersion object) and each Node's
   * kubelet configuration through `nodes/{name}/proxy/configz` (KubeletConfiguration objects named after their
   * nodes), for node analysis. What cannot be read is coverage.
   */
  nodeDetails?: boolean;
}

type Resolved = ListOptions & { pageSize: number; limits: LiveLimits; server: string };

/** Body bytes read from an answer that is not a list (a Status, /version, discovery). */
const SMALL_BODY_BYTES = 4 * 1024 * 1024;
/** Item problems reported per kind; the rest are counted in one entry. */
const MAX_PROBLEMS_PER_KIND = 10;
/** Nesting accepted in an object (as for manifests); a list adds two levels. */
const MAX_OBJECT_DEPTH = 200;

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

/**
 * One exchange bounded by the request timeout and the run's deadline. `read` consumes the body under the same
 * signal, so a server that sends headers and then trickles (or stops) is cut too.
 */
class Exchanges {
  readonly run = new AbortController();
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly request: ApiRequest,
    private readonly o: Resolved,
    readonly budget: Budget,
  ) {
    this.timer = setTimeout(() => this.run.abort(new PalisadeError("LIMIT", "deadline")), o.limits.timeoutMs);
  }

  close(): void {
    clearTimeout(this.timer);
  }

  get expired(): boolean {
    return this.run.signal.aborted;
  }

  async exchange<T>(path: string, read: (res: ApiResponse, signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.any([this.run.signal, AbortSignal.timeout(this.o.limits.requestTimeoutMs)]);
    const res = await this.request(path, signal);
    try {
      return await read(res, signal);
    } finally {
      if (!res.body.destroyed) res.body.destroy();
    }
  }

  /** Why a request failed without an HTTP answer, in words (server-provided text redacted). */
  failure(e: unknown): { reason: CoverageEntry["reason"]; text: string } {
    if (this.expired)
      return {
        reason: "limit",
        text: `the live read's overall timeout of ${seconds(this.o.limits.timeoutMs)} passed`,
      };
    const name = (e as { name?: unknown } | null)?.name;
    if (name === "TimeoutError" || name === "AbortError")
      return {
        reason: "unreachable",
        text: `no complete answer within ${seconds(this.o.limits.requestTimeoutMs)}`,
      };
    if (isBudgetExceeded(e) || (isPalisadeError(e) && e.code === "LIMIT"))
      return { reason: "limit", text: e.message };
    if (isPalisadeError(e)) return { reason: "invalid", text: e.message };
    return { reason: "unreachable", text: redactSecretsInText(e instanceof Error ? e.message : String(e)) };
  }
}

const seconds = (ms: number): string => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)} s`;

/** Read at most `max` bytes of a body as text; the rest is not read. */
async function readSmall(
  body: AsyncIterable<Buffer>,
  max = SMALL_BODY_BYTES,
): Promise<{ text: string; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    const room = max - size;
    if (c.length > room) {
      chunks.push(c.subarray(0, room));
      return { text: Buffer.concat(chunks).toString("utf8"), cut: true };
    }
    chunks.push(c);
    size += c.length;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), cut: false };
}

/**
 * The `message` of a Kubernetes Status body, redacted: the text comes from the server (or whatever proxy answered
 * in its place), and a reflecting proxy has been seen echoing the request's bearer token into it.
 */
async function statusMessage(body: AsyncIterable<Buffer>): Promise<string | undefined> {
  try {
    const { text } = await readSmall(body, 64 * 1024);
    const s: unknown = JSON.parse(text);
    return isRecord(s) && typeof s.message === "string" && s.message !== ""
      ? redactSecretsInText(s.message)
      : undefined;
  } catch {
    return undefined;
  }
}

type Entry = (reason: CoverageEntry["reason"], message: string) => CoverageEntry;
interface KindResult {
  objects: RawObject[];
  coverage: CoverageEntry[];
}

/** A failed answer (not 200) as a coverage entry; `what` is "listing pods cluster-wide". */
async function answerEntry(res: ApiResponse, what: string, entry: Entry): Promise<CoverageEntry> {
  const why = await statusMessage(res.body);
  if (res.status === 403) return entry("forbidden", `RBAC forbade ${what}${why ? ` (${why})` : ""}`);
  if (res.status === 401) return entry("forbidden", `the API server rejected the credentials (401) ${what}`);
  return entry("unreachable", `${what} failed with HTTP ${res.status}${why ? `: ${why}` : ""}`);
}

async function listOne(x: Exchanges, k: KindDescriptor, o: Resolved): Promise<KindResult> {
  const ns = k.namespaced ? o.namespace : undefined;
  const where = scopeText(k, o.namespace);
  const what = `listing ${k.resource} ${where}`;
  const entry: Entry = (reason, message) => {
    const e: CoverageEntry = { reason, message, subject: o.origin, kind: k.kind };
    if (ns !== undefined) e.namespace = ns;
    return e;
  };
  // With -n, the namespace itself is read by name: listing every namespace would widen the read.
  if (k.kind === "Namespace" && o.namespace !== undefined) return getSingleNamespace(x, k, o, entry);
  const budget = x.budget.child(what, { pages: o.limits.maxPages });
  const objects: RawObject[] = [];
  const problems: CoverageEntry[] = [];
  let dropped = 0;
  const seenTokens = new Set<string>();
  let cont: string | undefined;
  let restarted = false;
  const stopped = (e: CoverageEntry): KindResult => {
    // Objects accepted before the stop are kept; the entry says the list is incomplete.
    if (objects.length > 0) e.message += ` (${objects.length} objects read before it stopped)`;
    return finish([e]);
  };
  const finish = (more: CoverageEntry[]): KindResult => {
    const coverage = [...problems, ...more];
    if (dropped > 0)
      coverage.push(entry("invalid", `${dropped} more ${k.kind} items ${where} were rejected`));
    return { objects, coverage };
  };
  const scoped = (m: string) => (m.startsWith(what) ? m : `${what}: ${m}`);
  const problem = (p: { reason: CoverageEntry["reason"]; message: string }) => {
    if (problems.length < MAX_PROBLEMS_PER_KIND) problems.push(entry(p.reason, p.message));
    else dropped++;
  };
  for (;;) {
    if (x.expired) return stopped(entry("limit", `${what} stopped: ${x.failure(undefined).text}`));
    try {
      budget.charge("pages");
    } catch (e) {
      if (!isBudgetExceeded(e)) throw e;
      return stopped(entry("limit", `${what} stopped after ${o.limits.maxPages} pages (page budget)`));
    }
    const path = `${listPath(k, ns)}?limit=${o.pageSize}${cont !== undefined ? `&continue=${encode(cont)}` : ""}`;
    let outcome:
      | { kind: "page"; next: string | undefined }
      | { kind: "answer"; status: number; entry?: CoverageEntry };
    try {
      outcome = await x.exchange(path, async (res, signal) => {
        if (res.status === 410 && cont !== undefined && !restarted) return { kind: "answer", status: 410 };
        if (res.status !== 200) {
          if (res.status === 404)
            return {
              kind: "answer",
              status: 404,
              entry: entry(
                "unserved",
                `${k.apiVersion} ${k.resource} is not served by this cluster (404 on ${listPath(k, ns)})`,
              ),
            };
          return { kind: "answer", status: res.status, entry: await answerEntry(res, what, entry) };
        }
        const capped = res.body.pipe(
          byteCapStream(`${what}: one response`, o.limits.maxResponseBytes, budget),
        );
        let sourceError: unknown;
        res.body.on("error", (e) => {
          sourceError = e;
          capped.destroy(e);
        });
        signal.addEventListener("abort", () => capped.destroy(signal.reason as Error), { once: true });
        // The shared streaming List reader (adapters/manifests): each item is parsed alone as soon as its text is
        // complete; the page is never held whole. Items of this page are kept only once the reader has seen a
        // List (an object with `items`): a 200 that is a single object or an array is not a list answer.
        const page: RawObject[] = [];
        let list: Record<string, unknown> | undefined;
        for await (const ev of streamJsonObjects(capped, {
          file: `${o.origin} ${listPath(k, ns)}`,
          maxItemBytes: o.limits.maxItemBytes,
          maxDepth: MAX_OBJECT_DEPTH,
        })) {
          if (ev.type === "object") {
            const accepted = acceptItem(ev.raw.object, k, o, objects.length + page.length, problem);
            if (accepted) page.push(accepted);
          } else if (ev.type === "list") list = ev.list;
          else if (ev.entry.reason === "limit" || ev.entry.reason === "parse-error") {
            // The reader reports a failed source as coverage; a timeout or a dropped connection is said as such.
            if (signal.aborted) throw signal.reason;
            if (sourceError !== undefined && !isBudgetExceeded(sourceError)) throw sourceError;
            // A broken or oversized answer: nothing after it can be trusted; stop here (which also stops reading a
            // hostile body instead of scanning the rest of it).
            return {
              kind: "answer",
              status: 200,
              entry: entry(ev.entry.reason, `${scoped(ev.entry.message)} (listing stopped)`),
            };
          } else problem({ reason: ev.entry.reason, message: scoped(ev.entry.message) });
        }
        if (list === undefined)
          return {
            kind: "answer",
            status: 200,
            entry: entry("invalid", `${what}: the response is not a Kubernetes list`),
          };
        for (const r of page) objects.push(r);
        const meta = isRecord(list.metadata) ? list.metadata : {};
        return {
          kind: "page",
          next: typeof meta.continue === "string" && meta.continue !== "" ? meta.continue : undefined,
        };
      });
    } catch (e) {
      const f = x.failure(e);
      // Errors from the stream reader already start with `what`; the others say what stopped.
      const text =
        f.reason === "unreachable"
          ? `cannot reach the API server ${o.server} ${what}: ${f.text}`
          : f.text.startsWith(what)
            ? f.text
            : `${what} stopped: ${f.text}`;
      return stopped(entry(f.reason, text));
    }
    if (outcome.kind === "answer") {
      if (outcome.status === 410) {
        // 410 Gone: the continue token expired (etcd compaction). Re-list from the start once, as kubectl does.
        restarted = true;
        cont = undefined;
        objects.length = 0;
        problems.length = 0;
        dropped = 0;
        seenTokens.clear();
        continue;
      }
      return stopped(outcome.entry ?? entry("unreachable", `${what} failed with HTTP ${outcome.status}`));
    }
    if (outcome.next === undefined) return finish([]);
    if (seenTokens.has(outcome.next))
      return stopped(entry("invalid", `${what}: the server repeated a continue token`));
    seenTokens.add(outcome.next);
    cont = outcome.next;
  }
}

function acceptItem(
  item: unknown,
  k: KindDescriptor,
  o: ListOptions,
  index: number,
  problem: (p: { reason: CoverageEntry["reason"]; message: string }) => void,
): RawObject | undefined {
  if (!isRecord(item)) {
    problem({ reason: "invalid", message: `a ${k.kind} item in the list is not an object` });
    return undefined;
  }
  const bad = checkValue(item, MAX_OBJECT_DEPTH);
  if (bad) {
    problem(
      bad.kind === "unsafe"
        ? {
            reason: "unsafe",
            message: `a ${k.kind} from the API server has a forbidden key "${bad.key}"; rejected`,
          }
        : { reason: "limit", message: `a ${k.kind} from the API server is nested too deeply; rejected` },
    );
    return undefined;
  }
  // List items come without apiVersion/kind (the list carries them): restore them so objects are complete.
  // Secret values are dropped here, before the object is kept anywhere, and so is what no analysis reads
  // (managedFields, last-applied copies, pod conditions) as for files. The type comes from the request path, which
  // the server answered: client-go decodes list items the same way (inferListItemType is for files).
  // The type is set before stripSecrets looks at it: an item claiming another kind in a Secret list is a Secret.
  const object = slimObject(stripSecrets({ ...item, apiVersion: k.apiVersion, kind: k.kind }));
  return { object, source: { file: o.origin, line: 0, column: 0, index }, cluster: o.cluster };
}

async function getSingleNamespace(
  x: Exchanges,
  k: KindDescriptor,
  o: Resolved,
  entry: Entry,
): Promise<KindResult> {
  const ns = o.namespace!;
  const what = `reading namespace ${ns}`;
  try {
    return await x.exchange(`/api/v1/namespaces/${encode(ns)}`, async (res) => {
      if (res.status === 404)
        return { objects: [], coverage: [entry("missing", `namespace ${ns} does not exist`)] };
      if (res.status !== 200) return { objects: [], coverage: [await answerEntry(res, what, entry)] };
      const { text, cut } = await readSmall(res.body, o.limits.maxItemBytes);
      if (cut)
        return {
          objects: [],
          coverage: [entry("limit", `${what}: the object is larger than ${o.limits.maxItemBytes} bytes`)],
        };
      let item: unknown;
      try {
        item = JSON.parse(text);
      } catch {
        return { objects: [], coverage: [entry("invalid", `${what}: response is not JSON`)] };
      }
      const problems: CoverageEntry[] = [];
      const obj = acceptItem(item, k, o, 0, (p) => problems.push(entry(p.reason, p.message)));
      return { objects: obj ? [obj] : [], coverage: problems };
    });
  } catch (e) {
    const f = x.failure(e);
    return {
      objects: [],
      coverage: [entry(f.reason, `cannot reach the API server ${o.server} ${what}: ${f.text}`)],
    };
  }
}

/**
 * Before listing: is anyone answering, and which group versions are served? `/version` is readable by everyone
 * (system:public-info-viewer), so any HTTP answer proves the server is there; no answer means nothing can be read,
 * and every kind is reported at once instead of each waiting for its own timeout. `/apis` (discovery) says which
 * groups are served, so a kind of an absent group is reported as unserved without a request.
 */
async function probe(x: Exchanges): Promise<{
  failure?: { reason: CoverageEntry["reason"]; text: string };
  served?: Set<string>;
  version?: Record<string, unknown>;
}> {
  let version: Record<string, unknown> | undefined;
  try {
    version = await x.exchange("/version", async (res) => {
      const { text, cut } = await readSmall(res.body, 64 * 1024);
      if (res.status !== 200 || cut) return undefined;
      try {
        const v: unknown = JSON.parse(text);
        return isRecord(v) && !checkValue(v, 4) ? v : undefined;
      } catch {
        return undefined;
      }
    });
  } catch (e) {
    return { failure: x.failure(e) };
  }
  try {
    const served = await x.exchange("/apis", async (res) => {
      if (res.status !== 200) return undefined;
      const { text, cut } = await readSmall(res.body);
      if (cut) return undefined;
      const list: unknown = JSON.parse(text);
      if (!isRecord(list) || !Array.isArray(list.groups)) return undefined;
      const set = new Set<string>(["v1"]);
      for (const g of list.groups)
        if (isRecord(g) && Array.isArray(g.versions))
          for (const v of g.versions)
            if (isRecord(v) && typeof v.groupVersion === "string") set.add(v.groupVersion);
      return set;
    });
    return { ...(served === undefined ? {} : { served }), ...(version ? { version } : {}) };
  } catch {
    // Discovery is an optimisation: without it every kind is listed and a 404 says what is not served.
    return version ? { version } : {};
  }
}

/**
 * List the kinds through a request function (transport-independent: tests may pass any). At most `concurrency`
 * kinds are read at once; results are assembled in the order of `kinds`.
 */
export async function listKinds(request: ApiRequest, opts: ListOptions): Promise<LoadResult> {
  const kinds = opts.kinds ?? LIVE_KINDS;
  const limits: LiveLimits = { ...DEFAULT_LIVE_LIMITS, ...opts.limits };
  const o: Resolved = { pageSize: 500, ...opts, limits, server: opts.server ?? opts.origin };
  const x = new Exchanges(request, o, new Budget(`live read of ${o.origin}`, { bytes: limits.maxBytes }));
  const results: KindResult[] = new Array(kinds.length);
  try {
    const p = await probe(x);
    const whole = (k: KindDescriptor, reason: CoverageEntry["reason"], message: string): KindResult => {
      const e: CoverageEntry = { reason, message, subject: o.origin, kind: k.kind };
      if (k.namespaced && o.namespace !== undefined) e.namespace = o.namespace;
      return { objects: [], coverage: [e] };
    };
    if (p.failure) {
      const f = p.failure;
      return assemble(
        kinds.map((k) =>
          whole(k, f.reason, `cannot reach the API server ${o.server}: ${f.text}; ${k.resource} not read`),
        ),
      );
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < kinds.length) {
        const i = next++;
        const k = kinds[i]!;
        if (p.served && !p.served.has(k.apiVersion))
          results[i] = whole(
            k,
            "unserved",
            `${k.apiVersion} ${k.resource} is not served by this cluster (discovery)`,
          );
        else results[i] = await listOne(x, k, o);
      }
    };
    const n = Math.max(1, Math.min(opts.concurrency ?? 4, kinds.length));
    await Promise.all(Array.from({ length: n }, worker));
    if (opts.nodeDetails) results.push(await nodeDetails(x, o, p.version, results));
  } finally {
    x.close();
  }
  return assemble(results);
}

/** Most nodes whose kubelet configuration one read asks for; the rest is one coverage entry. */
const MAX_CONFIGZ_NODES = 5_000;

/**
 * The API server's version and every listed Node's kubelet configuration (`GET /api/v1/nodes/{name}/proxy/configz`,
 * which the API server proxies to the kubelet: it needs RBAC `get` on `nodes/proxy`, and a kubelet the API server
 * can reach). Failures are counted per cause, one coverage entry each.
 */
async function nodeDetails(
  x: Exchanges,
  o: Resolved,
  version: Record<string, unknown> | undefined,
  results: readonly KindResult[],
): Promise<KindResult> {
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  const source = { file: o.origin, line: 0, column: 0 };
  if (version)
    objects.push({
      object: {
        apiVersion: "palisade.dev/v1",
        kind: "ClusterVersion",
        metadata: { name: o.cluster },
        serverVersion: version,
      },
      source,
      cluster: o.cluster,
    });
  else
    coverage.push({
      reason: "not-evaluated",
      subject: o.origin,
      message:
        "the API server's /version did not answer with a version: the control plane's version is unknown",
    });
  const names: string[] = [];
  for (const r of results)
    for (const obj of r.objects)
      if (obj.object.kind === "Node") {
        const md = obj.object.metadata;
        if (isRecord(md) && typeof md.name === "string") names.push(md.name);
      }
  const failures = new Map<string, { reason: CoverageEntry["reason"]; nodes: string[] }>();
  const fail = (why: string, reason: CoverageEntry["reason"], node: string) => {
    const f = failures.get(why) ?? { reason, nodes: [] };
    f.nodes.push(node);
    failures.set(why, f);
  };
  const todo = names.slice(0, MAX_CONFIGZ_NODES);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length && !x.expired) {
      const name = todo[next++] as string;
      try {
        await x.exchange(`/api/v1/nodes/${encode(name)}/proxy/configz`, async (res) => {
          if (res.status !== 200) {
            const why =
              res.status === 403
                ? "RBAC forbade get on nodes/proxy (403)"
                : `the API server answered HTTP ${res.status} (kubelet unreachable through the API server proxy?)`;
            fail(why, "not-evaluated", name);
            return;
          }
          const { text, cut } = await readSmall(res.body, 1024 * 1024);
          let cfg: unknown;
          try {
            cfg = cut ? undefined : JSON.parse(text);
          } catch {
            cfg = undefined;
          }
          const kc = isRecord(cfg) ? cfg.kubeletconfig : undefined;
          if (!isRecord(kc) || checkValue(kc, 16)) {
            fail("configz did not answer a kubeletconfig object", "invalid", name);
            return;
          }
          objects.push({
            object: {
              ...kc,
              apiVersion: "kubelet.config.k8s.io/v1beta1",
              kind: "KubeletConfiguration",
              metadata: { name },
            },
            source,
            cluster: o.cluster,
          });
        });
      } catch (e) {
        const f = x.failure(e);
        fail(f.text, "not-evaluated", name);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, todo.length) }, worker));
  if (names.length > todo.length)
    coverage.push({
      reason: "limit",
      subject: o.origin,
      message: `kubelet configuration read for the first ${MAX_CONFIGZ_NODES} of ${names.length} nodes`,
    });
  for (const [why, f] of [...failures].sort((a, b) => cmp(a[0], b[0]))) {
    f.nodes.sort(cmp);
    coverage.push({
      reason: f.reason,
      subject: o.origin,
      kind: "Node",
      message: `kubelet configuration of ${f.nodes.length} node(s) not read (e.g. ${f.nodes.slice(0, 3).join(", ")}): ${why}`,
    });
  }
  // Deterministic order whatever the order answers came in.
  objects.sort((a, b) => {
    const na = String((a.object.metadata as { name?: unknown }).name);
    const nb = String((b.object.metadata as { name?: unknown }).name);
    return a.object.kind === b.object.kind ? cmp(na, nb) : a.object.kind === "ClusterVersion" ? -1 : 1;
  });
  return { objects, coverage };
}

function assemble(results: readonly KindResult[]): LoadResult {
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  for (const r of results) {
    for (const x of r.objects) objects.push(x);
    for (const c of r.coverage) coverage.push(c);
  }
  return { objects, coverage, files: 0 };
}

/** Largest kubeconfig read (they are a few KiB; exec plugin configs and many contexts stay far below). */
const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Read a live cluster through a kubeconfig (any auth @kubernetes/client-node supports: bearer token, client
 * certificates, exec plugins). A broken kubeconfig or unknown context is an error naming the file, context and
 * field; everything that fails per kind (403, 404, unreachable, a bound hit) is coverage.
 */
export async function loadLiveCluster(opts: {
  kubeconfig: string;
  context?: string;
  namespace?: string;
  concurrency?: number;
  limits?: Partial<LiveLimits>;
  /** Page size, 500 like kubectl. */
  pageSize?: number;
  /** Also read /version and each node's kubelet configuration (see {@link ListOptions.nodeDetails}). */
  nodeDetails?: boolean;
}): Promise<LoadResult> {
  const { request, context, server } = await kubeconfigTransport(opts.kubeconfig, opts.context);
  const list: ListOptions = {
    origin: `cluster:${context}`,
    cluster: context,
    server,
  };
  if (opts.namespace !== undefined) list.namespace = opts.namespace;
  if (opts.concurrency !== undefined) list.concurrency = opts.concurrency;
  if (opts.limits !== undefined) list.limits = opts.limits;
  if (opts.pageSize !== undefined) list.pageSize = opts.pageSize;
  if (opts.nodeDetails) list.nodeDetails = true;
  return listKinds(request, list);
}

/**
 * The API transport of a kubeconfig's context (any auth @kubernetes/client-node supports: bearer token, client
 * certificates, exec plugins), or of the pod's ServiceAccount when `kubeconfig` is `in-cluster` (client-go's
 * InClusterConfig). A broken kubeconfig or unknown context is an error naming the file, context and field.
 * `server` is the API server's URL for messages (origin and path, never credentials).
 */
export async function kubeconfigTransport(
  kubeconfig: string,
  contextName?: string,
): Promise<{ request: ApiRequest; context: string; server: string }> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  if (kubeconfig === "in-cluster") {
    try {
      kc.loadFromCluster();
    } catch (e) {
      throw kubeconfigError(e, kubeconfig);
    }
  } else {
    // Read with the file policy of every input (regular files only, capped): a FIFO or /dev/zero named as the
    // kubeconfig would block or never end.
    const text = await readRegularText(kubeconfig, { maxBytes: MAX_KUBECONFIG_BYTES, what: "kubeconfig" });
    try {
      kc.loadFromString(text);
      // As loadFromFile does: certificate and token file paths are relative to the kubeconfig's directory.
      kc.makePathsAbsolute(dirname(kubeconfig));
    } catch (e) {
      throw kubeconfigError(e, kubeconfig);
    }
  }
  if (contextName !== undefined) {
    if (!kc.getContextObject(contextName))
      throw new PalisadeError("USAGE", `context "${contextName}" is not in the kubeconfig`, {
        context: { file: kubeconfig },
      });
    kc.setCurrentContext(contextName);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    const why =
      typeof context === "string" && context !== ""
        ? `kubeconfig has no cluster for context "${context}"`
        : "kubeconfig has no current-context (and no --context was given), or is not a kubeconfig";
    throw new PalisadeError("INPUT", why, {
      context: { file: kubeconfig },
    });
  }
  const server = serverUrl(cluster.server, { file: kubeconfig, context, cluster: cluster.name });
  return {
    request: httpTransport(kc, server),
    context,
    server: redactSecretsInText(`${server.origin}${server.pathname.replace(/\/$/, "")}`),
  };
}

/**
 * The cluster's `server` as a URL, or an INPUT error naming the kubeconfig file, context and field. Like client-go,
 * a server without a scheme (`host:6443`) means https. The value itself is not quoted: a server URL may carry
 * userinfo.
 */
export function serverUrl(server: unknown, at: { file: string; context: string; cluster: string }): URL {
  const fail = (why: string) =>
    new PalisadeError(
      "INPUT",
      `context "${at.context}": cluster "${at.cluster}" has ${why} in clusters[name=${at.cluster}].cluster.server`,
      { context: { file: at.file, field: `clusters[name=${at.cluster}].cluster.server` } },
    );
  if (typeof server !== "string" || server.trim() === "") throw fail("no server URL");
  const s = server.trim();
  let url: URL;
  try {
    // `host:6443` has no scheme; `http:/` and `ftp://x` have one (a scheme is not followed by a port number).
    url = new URL(/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(s) ? s : `https://${s}`);
  } catch {
    throw fail("a server URL that does not parse");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw fail(
      `a server URL with scheme "${url.protocol.slice(0, 16)}" (only https and http are API server URLs)`,
    );
  if (url.hostname === "") throw fail("a server URL without a host");
  return url;
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
  return new PalisadeError(
    "INPUT",
    `cannot load kubeconfig: ${redactSecretsInText(message.split("\n", 1)[0] ?? "")}`,
    {
      context: { file },
    },
  );
}

export type { ApiRequest, ApiResponse } from "./http.js";
export {
  type BackoffOptions,
  DEFAULT_WATCH_BACKOFF,
  type NamespaceLabelCache,
  type NamespaceWatchStats,
  watchBackoffMs,
  watchNamespaceLabels,
} from "./namespace-watch.js";
export * from "./reflector.js";
