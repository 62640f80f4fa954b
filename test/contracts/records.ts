/** Remediation records for the store contracts and the advancer processes (no test framework here). */
import type { RemediationStore } from "../../src/adapters/store/index.js";
import type { RemediationRecord } from "../../src/core/lineage/index.js";

/** A minimal, valid remediation record; `reopenCount` doubles as a counter in the concurrency tests. */
export function record(key: string, count = 0, at = "2025-01-01T00:00:00.000Z"): RemediationRecord {
  return {
    key,
    vulnerabilityId: key.split("|")[0] ?? key,
    aliases: [],
    family: key.split("|")[1] ?? "",
    severity: "high",
    package: "openssl",
    fixedVersions: [],
    fixImage: "a/base:1",
    state: "open",
    openedAt: at,
    updatedAt: at,
    stateSince: at,
    reopenCount: count,
    patchedImages: [],
    totals: { workloads: 0, replicas: 0, vulnerableReplicas: 0, fixedReplicas: 0 },
    rollouts: [],
    workloads: [],
    history: [{ state: "open", at }],
  };
}

/** One advance: add 1 to the counter of `key` (creating the record), returning the new count. */
export function bump(store: RemediationStore, key: string): Promise<number> {
  return store.update((current) => {
    const next = (current.find((r) => r.key === key)?.reopenCount ?? 0) + 1;
    return { records: [record(key, next)], result: next };
  });
}
