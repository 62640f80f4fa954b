/**
 * Store latency for /metrics: every asynchronous method of every store in the bundle is timed into one histogram
 * labelled by store and operation (`findings`/`list`, `snapshots`/`putSnapshot`...), failures counted apart. The
 * stores are wrapped, not changed: the services receive the same ports.
 */

import type { Histogram } from "prom-client";
import type { Stores } from "../../adapters/store/index.js";

type Timer = Histogram<"store" | "operation" | "result">;

function instrument<T extends object>(store: T, name: string, histogram: Timer): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function" || typeof prop !== "string") return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const started = process.hrtime.bigint();
        const observe = (result: "ok" | "error") =>
          histogram.observe(
            { store: name, operation: prop, result },
            Number(process.hrtime.bigint() - started) / 1e9,
          );
        const out = method.apply(target, args);
        if (!(out instanceof Promise)) return out;
        return out.then(
          (v) => {
            observe("ok");
            return v;
          },
          (e: unknown) => {
            observe("error");
            throw e;
          },
        );
      };
    },
  });
}

/** The same stores, each operation timed into `histogram`. */
export function instrumentStores(stores: Stores, histogram: Timer): Stores {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(stores) as (keyof Stores)[]) {
    const v = stores[key];
    out[key] = typeof v === "object" && v !== null ? instrument(v, key, histogram) : v;
  }
  // close and location live on the bundle itself (a method may sit on a prototype, not in Object.keys).
  // changeMark is not timed: it is read per request and costs about a microsecond.
  const mark = stores.changeMark?.bind(stores);
  return Object.assign(out, {
    location: stores.location,
    close: () => stores.close(),
    ...(mark !== undefined ? { changeMark: mark } : {}),
  }) as unknown as Stores;
}
