/**
 * Use case: runtime events of one cluster as a server receives them (a request body at a time). Each body is read
 * line by line, attributed with the cluster's stored snapshots (the address holdings of its last snapshots, so a
 * reused address resolves to the pod that held it at the event's time), run through the detections (audit rules,
 * the configured threat feeds, baseline drift when enabled), and its deduplicated alerts are merged into the alert
 * store. The alerts stored for the first time are answered, so the caller routes each alert once.
 *
 * The attribution of a cluster is built once per snapshot: it is rebuilt when the cluster's latest snapshot
 * changes, and requests arriving meanwhile share the one being built.
 */
import type { StoredAlert, Stores } from "../../adapters/store/ports.js";
import { buildInventory, type RawObject } from "../../core/inventory/index.js";
import {
  BaselineBook,
  type NamedNetwork,
  type ParsedFeed,
  type ThreatIndex,
  type TimedInventory,
} from "../../core/runtime/index.js";
import {
  auditDetector,
  type Detector,
  detectAlerts,
  refreshingThreatDetector,
  threatDetector,
} from "./detect.js";
import {
  type EventInput,
  type IngestEventsSummary,
  type PreparedEnricher,
  prepareEnricher,
} from "./ingest.js";

export interface ClusterEventsConfig {
  feeds?: readonly ParsedFeed[];
  /** Threat feeds kept fresh while the server runs (a `FeedRefresher`); used instead of `feeds` when given. */
  threats?: { current(): ThreatIndex };
  /** Learn per-workload baselines for this long (event time) and report drift after; off when absent. */
  baselineWindowMs?: number;
  autoPromoteConfidence?: number;
  networks?: readonly NamedNetwork[];
  clusterCidrs?: readonly string[];
  skewMs?: number;
  /** Snapshots of a cluster read for attribution, newest first (default 24). */
  snapshotHistory?: number;
  /** Line errors kept per request (all are counted). */
  maxErrors?: number;
  /** Save the baselines at most this often, in ms of the clock given (default 10 s); `flush` saves at once. */
  baselineSaveIntervalMs?: number;
}

export interface ClusterEventsDeps {
  stores: Pick<Stores, "snapshots" | "remediation" | "alerts" | "baselines">;
  now: () => Date;
}

export interface ClusterEventsResult {
  summary: IngestEventsSummary;
  /** Alerts stored for the first time (route these), and how many merged into stored ones. */
  opened: StoredAlert[];
  merged: number;
  /** Deduplicated alerts of this request, and distinct ones past the per-request limit (counted, not kept). */
  alerts: number;
  overflow: number;
}

interface ClusterContext {
  latest: string | undefined;
  prepared: PreparedEnricher;
  detectors: Detector[];
}

/** Events of the clusters a server receives; one per server (it holds the attribution of each cluster). */
export class ClusterEvents {
  private readonly contexts = new Map<string, Promise<ClusterContext>>();
  /** One book per cluster: a workload is known by namespace/kind/name, which two clusters may share. */
  private readonly baselines = new Map<string, Promise<BaselineBook>>();
  private lastSave = 0;

  constructor(
    private readonly deps: ClusterEventsDeps,
    private readonly config: ClusterEventsConfig = {},
  ) {}

  /** The cluster's attribution and detectors, built again when a newer snapshot of it is stored. */
  private async context(cluster: string): Promise<ClusterContext> {
    const latest = (await this.deps.stores.snapshots.snapshotTimes(cluster, 1))[0];
    const cached = this.contexts.get(cluster);
    if (cached) {
      const c = await cached.catch(() => undefined);
      if (c && c.latest === latest) return c;
      if (this.contexts.get(cluster) !== cached) return this.context(cluster);
    }
    const building = this.build(cluster, latest);
    this.contexts.set(cluster, building);
    building.catch(() => {
      if (this.contexts.get(cluster) === building) this.contexts.delete(cluster);
    });
    return building;
  }

  private async build(cluster: string, latest: string | undefined): Promise<ClusterContext> {
    const { snapshots: store, remediation } = this.deps.stores;
    const times = await store.snapshotTimes(cluster, this.config.snapshotHistory ?? 24);
    const snapshots: TimedInventory[] = [];
    for (const t of times) {
      const raws: RawObject[] = [];
      for (const v of await store.objectsAt(cluster, new Date(t)))
        if (v.object !== null && typeof v.object === "object")
          raws.push({ object: v.object as Record<string, unknown>, cluster });
      snapshots.push({ at: Date.parse(t), inventory: buildInventory(raws), label: `${cluster}@${t}` });
    }
    const prepared = prepareEnricher({
      snapshots,
      records: await remediation.listRecords(),
      ...(this.config.networks ? { networks: this.config.networks } : {}),
      ...(this.config.clusterCidrs ? { clusterCidrs: this.config.clusterCidrs } : {}),
      ...(this.config.skewMs ? { skewMs: this.config.skewMs } : {}),
    });
    if (times.length === 0)
      prepared.coverage.push({
        reason: "missing",
        message: `no snapshot of cluster ${cluster} is stored: addresses and pods are not attributed to workloads`,
      });
    const detectors: Detector[] = [auditDetector];
    if (this.config.threats)
      detectors.push(refreshingThreatDetector(this.config.threats, prepared.directory.facts));
    else if (this.config.feeds?.length)
      detectors.push(threatDetector(this.config.feeds, prepared.directory.facts));
    return { latest, prepared, detectors };
  }

  private book(cluster: string): Promise<BaselineBook> | undefined {
    const windowMs = this.config.baselineWindowMs;
    if (windowMs === undefined) return undefined;
    const cached = this.baselines.get(cluster);
    if (cached) return cached;
    const opening = this.deps.stores.baselines.listBaselines(cluster).then(
      ({ baselines }) =>
        new BaselineBook(
          {
            windowMs,
            ...(this.config.autoPromoteConfidence === undefined
              ? {}
              : { autoPromoteConfidence: this.config.autoPromoteConfidence }),
          },
          baselines,
        ),
    );
    this.baselines.set(cluster, opening);
    // A book that could not be read is read again by the next request, not kept as a failure.
    opening.catch(() => {
      if (this.baselines.get(cluster) === opening) this.baselines.delete(cluster);
    });
    return opening;
  }

  /** Read, attribute and judge one request's events of `cluster`; store its alerts. */
  async ingest(cluster: string, input: EventInput): Promise<ClusterEventsResult> {
    const ctx = await this.context(cluster);
    const book = await this.book(cluster);
    const detectors = book
      ? [...ctx.detectors, (e: Parameters<Detector>[0]) => book.observe(e)]
      : ctx.detectors;
    const r = await detectAlerts([input], {
      snapshots: [],
      prepared: ctx.prepared,
      detectors,
      ...(this.config.maxErrors === undefined ? {} : { maxErrors: this.config.maxErrors }),
    });
    const { opened, merged } = await this.deps.stores.alerts.record(cluster, r.alerts, this.deps.now());
    if (book && this.deps.now().getTime() - this.lastSave >= (this.config.baselineSaveIntervalMs ?? 10_000))
      await this.flush();
    return { summary: r.summary, opened, merged, alerts: r.alerts.length, overflow: r.overflow };
  }

  /** Save every cluster's baselines now (the server calls it when it closes). */
  async flush(): Promise<void> {
    const at = this.deps.now();
    this.lastSave = at.getTime();
    for (const [cluster, opening] of [...this.baselines].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const book = await opening.catch(() => undefined);
      if (book) await this.deps.stores.baselines.putBaselines(cluster, [...book.baselines.values()], at);
    }
  }
}
