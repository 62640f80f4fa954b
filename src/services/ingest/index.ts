/**
 * Use case: ingest one cluster snapshot. Load it through the inventory service, evaluate it through the scan
 * service, then record what it held: every object as a version in the cluster's inventory history and every
 * finding with first/last seen (findings no longer reported are resolved). The reader of the snapshot, the
 * stores, the clock and the content hash are the caller's, so the server and a future `palisade push --local`
 * run the same code.
 */

import type {
  FindingStore,
  FindingUpsertResult,
  InventorySnapshotStore,
  KnownImageStore,
  RemediationStore,
  SnapshotObject,
  SnapshotResult,
} from "../../adapters/store/ports.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { Exception } from "../../core/exceptions/index.js";
import type { CoverageEntry, Severity } from "../../core/findings/index.js";
import type { RawObject } from "../../core/inventory/index.js";
import {
  advance,
  buildImpactIndex,
  observationScope,
  observeRemediation,
  workloadUsages,
} from "../../core/lineage/index.js";
import { appendAll } from "../../core/util/index.js";
import type { InventoryReaders } from "../inventory/index.js";
import { type LineageStores, loadLineageState } from "../lineage/index.js";
import { assumedRbacDefaults } from "../rbac/index.js";
import { scan } from "../scan/index.js";

/** Cluster names as they appear in URLs and stores: DNS-label-like, so they never need escaping. */
export const CLUSTER_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

export interface IngestRequest {
  cluster: string;
  /** Name of the snapshot in sources and coverage (e.g. "upload:prod"). */
  display: string;
  /** Exceptions in force for this cluster: the findings they match are not recorded. */
  exceptions?: readonly Exception[] | undefined;
}

export interface IngestDeps {
  /** Reads the snapshot named `display` (the request body). */
  readSnapshot: NonNullable<InventoryReaders["snapshots"]>;
  stores: {
    snapshots: InventorySnapshotStore;
    findings: FindingStore;
    /**
     * With these, remediation records are advanced by the snapshot (the images its workloads run against the
     * known images and advisories); without them, they are left as they are.
     */
    images?: KnownImageStore | undefined;
    vulns?: LineageStores["vulns"] | undefined;
    remediation?: RemediationStore | undefined;
    location?: string | undefined;
  };
  now: () => Date;
  /** Content hash of an object's JSON text: equal hashes mean the object did not change. */
  hash: (text: string) => string;
  /** Version written into the scan report. */
  version: string;
}

export interface IngestSummary {
  cluster: string;
  observedAt: string;
  objects: number;
  snapshot: SnapshotResult;
  findings: FindingUpsertResult & { total: number; bySeverity: Partial<Record<Severity, number>> };
  /** Remediation records after this snapshot: how many changed state, how many there are. */
  remediation?: { transitions: number; records: number } | undefined;
  coverage: CoverageEntry[];
}

/** Load, evaluate and record one snapshot of `cluster`; answers what changed. */
export async function ingestSnapshot(req: IngestRequest, deps: IngestDeps): Promise<IngestSummary> {
  if (!CLUSTER_NAME.test(req.cluster))
    throw new PalisadeError("INPUT", `cluster name ${JSON.stringify(req.cluster)} is not a DNS label`, {
      context: { field: "cluster" },
    });
  const observedAt = deps.now();
  const { loaded, report } = await scan(
    {
      sources: { snapshots: [req.display] },
      // A pushed snapshot is a kubectl snapshot: the same bootstrap RBAC policy as `palisade scan` assumes.
      options: { version: deps.version, rbac: assumedRbacDefaults() },
      exceptions: req.exceptions,
    },
    {
      readers: {
        // Every object is marked with its cluster: remediation observations then cover this cluster only. A
        // reader that streams (the fleet object state) hands its objects to the inventory as it reads them.
        snapshots: async (files, budget, sink) => {
          const mark =
            sink === undefined
              ? undefined
              : (o: RawObject) => {
                  o.cluster = req.cluster;
                  sink(o);
                };
          const r = await deps.readSnapshot(files, budget, mark);
          for (const o of r.objects) o.cluster = req.cluster;
          return r;
        },
      },
      now: () => observedAt,
    },
  );
  // Serialised once: the text hashed is the text stored.
  const objects: SnapshotObject[] = loaded.inventory.objects.map((o) => {
    const json = JSON.stringify(o.raw);
    return { key: o.ref, uid: o.uid, hash: deps.hash(json), object: o.raw, json };
  });
  const snapshot = await deps.stores.snapshots.putSnapshot(req.cluster, observedAt, "all", objects);
  const findings = report.findings.filter((f) => f.suppressed === undefined);
  const upsert = await deps.stores.findings.upsertEvaluation(req.cluster, observedAt, findings);
  const bySeverity: Partial<Record<Severity, number>> = {};
  for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  const coverage = [...report.coverage];
  const { images, vulns, remediation } = deps.stores;
  let remediated: IngestSummary["remediation"];
  if (images !== undefined && vulns !== undefined && remediation !== undefined) {
    const state = await loadLineageState({ images, vulns, location: deps.stores.location ?? "store" });
    // Without known images there is nothing to observe; without advisories no record could open.
    if (state.images.length > 0 && state.advisories > 0) {
      const index = buildImpactIndex(state.lineage, state.vulns, workloadUsages(loaded.inventory));
      appendAll(coverage, index.coverage);
      const observation = observeRemediation(index, observationScope(loaded.inventory));
      const transitions = await remediation.update((current) => {
        const r = advance(current, observation, observedAt);
        return { records: r.records, result: r.transitions.length };
      });
      remediated = { transitions, records: (await remediation.listRecords()).length };
    }
  }
  return {
    cluster: req.cluster,
    observedAt: observedAt.toISOString(),
    objects: objects.length,
    snapshot,
    findings: { ...upsert, total: findings.length, bySeverity },
    ...(remediated !== undefined ? { remediation: remediated } : {}),
    coverage,
  };
}
