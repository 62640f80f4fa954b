/**
 * Namespace labels from a list-then-watch loop: what the admission webhook reads per request without calling the
 * API server. The loop is client-go's reflector in small: list (replace the cache, remember its resourceVersion),
 * watch from that resourceVersion (bookmarks keep it current), resume a watch that ended from the last
 * resourceVersion seen, relist when the server says it is too old (410 Gone, "Expired"), and after an error wait an
 * exponential backoff with jitter before trying again, so that many webhook replicas do not hammer a recovering API
 * server in step (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 * Readiness is false until the first list has filled the cache; afterwards a failing watch keeps the labels it has.
 */
import { dirname } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import type { Labels } from "../../core/k8s/index.js";
import { readRegularText } from "../fs/index.js";

export interface NamespaceWatchStats {
  lists: number;
  watches: number;
  /** Watches the server ended with 410 Gone (the resourceVersion was too old): each one relists. */
  gone: number;
  errors: number;
  /** The resourceVersion the next watch starts from. */
  resourceVersion?: string | undefined;
}

export interface NamespaceLabelCache {
  /** Labels of a namespace; undefined when it is not (yet) known. */
  get(namespace: string): Labels | undefined;
  /** True once the first list has been received. */
  synced(): boolean;
  stats(): NamespaceWatchStats;
  stop(): Promise<void>;
}

export interface BackoffOptions {
  /** First delay after an error, milliseconds. */
  baseMs: number;
  /** Largest delay. */
  maxMs: number;
}

export const DEFAULT_WATCH_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 500, maxMs: 30_000 });

/**
 * The delay before retry number `attempt` (0 for the first): `baseMs * 2^attempt` capped at `maxMs`, then jittered
 * to between half and all of it ("equal jitter": never zero, never in step with another replica).
 */
export function watchBackoffMs(
  attempt: number,
  random: number,
  opts: BackoffOptions = DEFAULT_WATCH_BACKOFF,
): number {
  const capped = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped / 2 + (capped / 2) * Math.min(Math.max(random, 0), 1));
}

type NamespaceObject = {
  metadata?: { name?: string; labels?: Record<string, string>; resourceVersion?: string };
};

/** Start the loop; resolves at once (the first list runs in the background: see `synced`). */
export async function watchNamespaceLabels(opts: {
  kubeconfig: string;
  context?: string | undefined;
  onError?: ((e: unknown) => void) | undefined;
  backoff?: BackoffOptions | undefined;
  /** A resourceVersion to watch from before the first list (an earlier run's): a 410 answer relists. */
  resumeFrom?: string | undefined;
  /** Server-side timeout of one watch, seconds (a watch that ends is resumed). */
  watchTimeoutSeconds?: number | undefined;
  random?: (() => number) | undefined;
}): Promise<NamespaceLabelCache> {
  const k8s = await import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  try {
    // "in-cluster": the pod's service account token and CA, as client-go's InClusterConfig.
    if (opts.kubeconfig === "in-cluster") kc.loadFromCluster();
    else {
      const text = await readRegularText(opts.kubeconfig, { maxBytes: 16 * 1024 * 1024, what: "kubeconfig" });
      kc.loadFromString(text);
      kc.makePathsAbsolute(dirname(opts.kubeconfig));
    }
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    throw new PalisadeError("INPUT", `not a kubeconfig: ${(e as Error).message}`, {
      cause: e,
      context: { file: opts.kubeconfig },
    });
  }
  if (opts.context !== undefined) kc.setCurrentContext(opts.context);
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const watcher = new k8s.Watch(kc);
  const backoff = opts.backoff ?? DEFAULT_WATCH_BACKOFF;
  const random = opts.random ?? Math.random;

  let labels = new Map<string, Labels>();
  let synced = false;
  let stopped = false;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  const stats: NamespaceWatchStats = { lists: 0, watches: 0, gone: 0, errors: 0 };
  let rv: string | undefined = opts.resumeFrom;

  const put = (ns: NamespaceObject) => {
    const name = ns.metadata?.name;
    if (name) labels.set(name, { ...(ns.metadata?.labels ?? {}) });
  };

  /** One watch from `from`: resolves with whether the server said Gone; rejects on an error. */
  const watchOnce = (from: string): Promise<{ gone: boolean }> =>
    new Promise((resolve, reject) => {
      let gone = false;
      let failure: unknown;
      watcher
        .watch(
          "/api/v1/namespaces",
          {
            resourceVersion: from,
            allowWatchBookmarks: true,
            timeoutSeconds: opts.watchTimeoutSeconds ?? 300,
          },
          (type: string, obj: NamespaceObject & { code?: number; message?: string; reason?: string }) => {
            if (type === "ERROR") {
              // A Status object: 410 Expired/Gone means our resourceVersion is older than the server keeps.
              if (obj.code === 410) gone = true;
              else
                failure = new Error(
                  `watch error ${obj.code ?? "?"} ${obj.reason ?? ""}: ${obj.message ?? ""}`,
                );
              current?.abort();
              return;
            }
            const v = obj.metadata?.resourceVersion;
            if (v) rv = v;
            if (type === "ADDED" || type === "MODIFIED") put(obj);
            else if (type === "DELETED" && obj.metadata?.name) labels.delete(obj.metadata.name);
          },
          (err: unknown) => {
            const e = failure ?? err;
            if (gone) resolve({ gone: true });
            else if (e && !stopped && !(e instanceof Error && e.name === "AbortError")) reject(e);
            else resolve({ gone: false });
          },
        )
        .then((c) => {
          current = c;
          if (stopped) c.abort();
        }, reject);
    });

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      t.unref();
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const loop = async () => {
    let attempt = 0;
    while (!stopped) {
      try {
        if (rv === undefined) {
          const list = await api.listNamespace();
          const next = new Map<string, Labels>();
          for (const ns of list.items)
            if (ns.metadata?.name) next.set(ns.metadata.name, { ...(ns.metadata.labels ?? {}) });
          labels = next;
          rv = list.metadata?.resourceVersion;
          stats.lists++;
          synced = true;
          attempt = 0;
          if (rv === undefined) throw new Error("namespace list has no resourceVersion");
        }
        stats.watches++;
        const { gone } = await watchOnce(rv);
        attempt = 0;
        if (gone) {
          stats.gone++;
          rv = undefined;
        }
      } catch (e) {
        if (stopped) break;
        stats.errors++;
        opts.onError?.(e);
        await sleep(watchBackoffMs(attempt++, random(), backoff));
      }
    }
  };
  const running = loop();

  return {
    get: (ns) => labels.get(ns),
    synced: () => synced,
    stats: () => ({ ...stats, resourceVersion: rv }),
    stop: async () => {
      stopped = true;
      current?.abort();
      wake?.();
      await running;
    },
  };
}
