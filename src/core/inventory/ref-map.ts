/**
 * Maps keyed by an object's cluster, namespace, kind and name (or cluster and uid) with no key string made per
 * object (issue: scale). Resolving the owner graph of a 1M-object snapshot keys every workload candidate (about
 * 600k Deployments, ReplicaSets, Pods, Jobs) by name and by uid: one joined key string each was tens of MiB held
 * at the end of the load, when the inventory is largest. Nested maps keyed by the strings the objects already hold
 * make no new string, and lookups make none either.
 *
 * An absent cluster or namespace is the same key as the empty one, as in a joined key.
 */
export class RefMap<V> {
  private readonly scopes = new Map<string, Map<string, Map<string, Map<string, V>>>>();

  get(cluster: string | undefined, ns: string | undefined, kind: string, name: string): V | undefined {
    return this.scopes
      .get(cluster ?? "")
      ?.get(ns ?? "")
      ?.get(kind)
      ?.get(name);
  }

  has(cluster: string | undefined, ns: string | undefined, kind: string, name: string): boolean {
    return this.get(cluster, ns, kind, name) !== undefined;
  }

  /** Set the value of a key; a later value for the same key replaces the earlier one. */
  set(cluster: string | undefined, ns: string | undefined, kind: string, name: string, value: V): void {
    inner(inner(inner(this.scopes, cluster ?? ""), ns ?? ""), kind).set(name, value);
  }
}

/** Objects by cluster and uid (see {@link RefMap}). */
export class UidMap<V> {
  private readonly clusters = new Map<string, Map<string, V>>();

  get(cluster: string | undefined, uid: string): V | undefined {
    return this.clusters.get(cluster ?? "")?.get(uid);
  }

  /** Set the value of a key; a later value for the same key replaces the earlier one. */
  set(cluster: string | undefined, uid: string, value: V): void {
    inner(this.clusters, cluster ?? "").set(uid, value);
  }
}

function inner<K, V>(outer: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let m = outer.get(key);
  if (m === undefined) {
    m = new Map();
    outer.set(key, m);
  }
  return m;
}
