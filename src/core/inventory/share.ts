/**
 * Structural sharing of equal parts of loaded objects (issue: scale). A large snapshot repeats the same values
 * across objects: every container of a Helm chart's Deployments has the same resources, probes, security context,
 * ports and mounts, every object of a release the same labels, and strings such as `IfNotPresent`,
 * `/dev/termination-log` or a creation time are one JSON.parse copy each. Equal subtrees are made one object, held
 * once, by hashing them bottom up: a subtree's key names its children by the number given to each distinct child
 * already seen, so a key is about as long as its own fields, never its whole subtree.
 *
 * Sharing is only sound for data nothing writes to once loaded (a scan's inventory: rules read it, never write it),
 * and only changes identity: equal values stay equal, in the same key order, so JSON output is byte-identical.
 * Frozen values (the shared empty maps and lists) are left as they are, and so is anything that is not plain JSON
 * data (a prototype other than `Object.prototype`, `Array.prototype`, none, or the string maps' one).
 */

/**
 * Distinct values remembered before the table starts over: a few MiB at most, during a load only. At 100k
 * generated objects 2^14 and 2^17 shared as much (what repeats, repeats often).
 */
const MAX_ENTRIES = 1 << 15;

/** A value's key in the table: a string is its own key, a number or another scalar is tagged. */
type Key = string;

export interface ValueSharing {
  /**
   * `value` with every part equal to one seen before replaced by that one (in place: the parts of `value` are
   * rewritten, so `value` must be the caller's own). The result is `value` itself or an equal value seen before.
   */
  share<T>(value: T): T;
  /** The distinct values remembered now (for tests and measurements). */
  size(): number;
}

/**
 * A table of shared values. `maxEntries`: when the table holds this many distinct values it is emptied and filled
 * again from what comes next, so its memory is bounded whatever the input (values seen often are shared again
 * soon; values seen once cost nothing once dropped).
 */
export function valueSharing(maxEntries = MAX_ENTRIES): ValueSharing {
  /** Canonical values by key. */
  let byKey = new Map<Key, unknown>();
  /** Canonical strings (a string is its own key: no key string made per string read). */
  let strings = new Map<string, string>();
  /** The number of each canonical object or array, used in its parents' keys. */
  let ids = new Map<object, number>();
  let next = 0;
  /** A tag per prototype seen (objects of different prototypes are never equal). */
  const protos = new Map<object | null, string>();

  const protoTag = (v: object): string | undefined => {
    const p = Object.getPrototypeOf(v) as object | null;
    let tag = protos.get(p);
    if (tag === undefined) {
      // Plain data only: JSON objects and arrays, maps without a prototype, and the string maps' frozen prototype
      // (core/util asStringMap), which holds nothing.
      if (
        p !== Object.prototype &&
        p !== Array.prototype &&
        p !== null &&
        !(Object.isFrozen(p) && Object.getOwnPropertyNames(p).length === 0)
      )
        return undefined;
      tag = `${protos.size}`;
      protos.set(p, tag);
    }
    return tag;
  };

  /** Empty the table when it is full (see {@link valueSharing}). */
  const room = (): void => {
    if (byKey.size + strings.size < maxEntries) return;
    byKey = new Map();
    strings = new Map();
    ids = new Map();
  };

  /** The key of a value already shared (its children canonical), or undefined when it cannot be shared. */
  const keyOf = (v: unknown): Key | undefined => {
    switch (typeof v) {
      case "string":
        return `s${v}`;
      case "number":
        return Object.is(v, -0) ? "n-0" : `n${v}`;
      case "boolean":
        return v ? "t" : "f";
      case "object": {
        if (v === null) return "z";
        const id = ids.get(v);
        return id === undefined ? undefined : `o${id}`;
      }
      default:
        return undefined;
    }
  };

  const share = (v: unknown): unknown => {
    if (typeof v === "string") {
      const hit = strings.get(v);
      if (hit !== undefined) return hit;
      room();
      strings.set(v, v);
      return v;
    }
    if (typeof v !== "object" || v === null) return v;
    if (ids.has(v) || Object.isFrozen(v)) return v;
    const tag = protoTag(v);
    if (tag === undefined) return v;
    let key: string;
    let ok = true;
    if (Array.isArray(v)) {
      key = `[${tag}`;
      for (let i = 0; i < v.length; i++) {
        const c = share(v[i]);
        // Equal strings compare equal: write a string back whatever it is (the canonical copy).
        if (c !== v[i] || typeof c === "string") v[i] = c;
        const ck = keyOf(c);
        if (ck === undefined) ok = false;
        else if (ok) key += `,${ck.length}:${ck}`;
      }
    } else {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      key = `{${tag}`;
      for (let i = 0; i < keys.length; i++) {
        const name = keys[i] as string;
        const c = share(o[name]);
        if (c !== o[name] || typeof c === "string") o[name] = c;
        const ck = keyOf(c);
        if (ck === undefined) ok = false;
        else if (ok) key += `,${name.length}:${name}=${ck.length}:${ck}`;
      }
    }
    // A part that cannot be shared (an accessor, a class instance) makes its parents unshareable too; its
    // shareable siblings were shared above all the same.
    if (!ok) return v;
    const hit = byKey.get(key);
    if (hit !== undefined) return hit;
    room();
    byKey.set(key, v);
    ids.set(v, next++);
    return v;
  };

  return {
    share: <T>(value: T): T => share(value) as T,
    size: () => byKey.size + strings.size,
  };
}
