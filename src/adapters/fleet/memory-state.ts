/** In-memory {@link ClusterStateStore}: the reference of the contract suite, and small single-process setups. */
import {
  applyDeltas,
  compareRows,
  DEFAULT_STATE_PAGE,
  liveObjects,
  newestPerObject,
  type ObjectDelta,
  type ObjectStateRow,
} from "../../core/deltas/index.js";
import { cmp } from "../../core/findings/index.js";
import type { ApplyResult, ClusterStateStore } from "./ports.js";

export function openMemoryClusterState(): ClusterStateStore {
  const rows = new Map<string, ObjectStateRow>();
  const copy = (r: ObjectStateRow): ObjectStateRow => structuredClone(r);
  return {
    async apply(deltas: readonly ObjectDelta[]): Promise<ApplyResult> {
      // Work on a copy so a failure leaves nothing half-applied, like a transaction.
      const next = new Map(rows);
      const clusters = new Set<string>();
      let applied = 0;
      for (const d of newestPerObject(deltas)) {
        if (applyDeltas(next, [structuredClone(d)]) === 0) continue;
        applied++;
        clusters.add(d.cluster);
      }
      rows.clear();
      for (const [k, v] of next) rows.set(k, v);
      return { applied, ignored: deltas.length - applied, clusters: [...clusters].sort(cmp) };
    },
    async objects(cluster) {
      return liveObjects(rows.values(), cluster).map(copy);
    },
    async rows(cluster) {
      return [...rows.values()]
        .filter((r) => r.cluster === cluster)
        .sort(compareRows)
        .map(copy);
    },
    async *livePages(cluster, pageSize = DEFAULT_STATE_PAGE) {
      const size = Math.max(1, pageSize);
      let after: string | undefined;
      for (;;) {
        // Read the map again for each page, as the other stores query again: changes in between are seen.
        const page = [...rows.values()]
          .filter(
            (r) => r.cluster === cluster && !r.deleted && (after === undefined || cmp(r.uid, after) > 0),
          )
          .sort((a, b) => cmp(a.uid, b.uid))
          .slice(0, size)
          .map(copy);
        if (page.length === 0) return;
        yield page;
        if (page.length < size) return;
        after = (page[page.length - 1] as ObjectStateRow).uid;
      }
    },
    async tryExclusive(_name, fn) {
      return { ran: true as const, value: await fn() };
    },
    async clusters() {
      return [...new Set([...rows.values()].map((r) => r.cluster))].sort(cmp);
    },
    async close() {},
  };
}
