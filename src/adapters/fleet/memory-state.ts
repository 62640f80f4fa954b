/** In-memory {@link ClusterStateStore}: the reference of the contract suite, and small single-process setups. */
import {
  applyDeltas,
  compareRows,
  liveObjects,
  newestPerObject,
  type ObjectDelta,
  type ObjectStateRow,
} from "../../core/deltas/index.js";
import type { ApplyResult, ClusterStateStore } from "./ports.js";

export function openMemoryClusterState(): ClusterStateStore {
  const rows = new Map<string, ObjectStateRow>();
  const copy = (r: ObjectStateRow): ObjectStateRow => structuredClone(r);
  return {
    async apply(deltas: readonly ObjectDelta[]): Promise<ApplyResult> {
      // Work on a copy so a failure leaves nothing half-applied, like a transaction.
      const next = new Map(rows);
      const applied = applyDeltas(
        next,
        newestPerObject(deltas).map((d) => structuredClone(d)),
      );
      rows.clear();
      for (const [k, v] of next) rows.set(k, v);
      return { applied, ignored: deltas.length - applied };
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
    async close() {},
  };
}
