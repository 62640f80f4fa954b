/**
 * Namespace labels from a watch (list, then watch, relisting on errors with client-node's informer): what the
 * admission webhook reads per request without calling the API server. Read through a kubeconfig as every other
 * live input is.
 */
import { dirname } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import type { Labels } from "../../core/k8s/index.js";
import { readRegularText } from "../fs/index.js";

export interface NamespaceLabelCache {
  /** Labels of a namespace; undefined when it is not (yet) known. */
  get(namespace: string): Labels | undefined;
  /** True once the first list has been received. */
  synced(): boolean;
  stop(): Promise<void>;
}

/** Start watching namespaces; resolves once the informer started (it keeps retrying on errors in the background). */
export async function watchNamespaceLabels(opts: {
  kubeconfig: string;
  context?: string | undefined;
  onError?: ((e: unknown) => void) | undefined;
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
  const labels = new Map<string, Labels>();
  let synced = false;
  const informer = k8s.makeInformer(kc, "/api/v1/namespaces", () => api.listNamespace());
  const put = (ns: { metadata?: { name?: string; labels?: Record<string, string> } }) => {
    const name = ns.metadata?.name;
    if (name) labels.set(name, { ...(ns.metadata?.labels ?? {}) });
  };
  informer.on("add", put);
  informer.on("update", put);
  informer.on("delete", (ns) => {
    if (ns.metadata?.name) labels.delete(ns.metadata.name);
  });
  informer.on("connect", () => {
    synced = true;
  });
  informer.on("error", (e) => {
    opts.onError?.(e);
    // The informer stops on error: start it again after a pause, keeping what is cached.
    setTimeout(() => informer.start().catch((err: unknown) => opts.onError?.(err)), 2000).unref();
  });
  await informer.start();
  synced = true;
  return {
    get: (ns) => labels.get(ns),
    synced: () => synced,
    stop: async () => {
      await informer.stop();
    },
  };
}
