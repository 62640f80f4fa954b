/**
 * Runtime use cases: attribute the addresses of ingested events to the workloads that held them at the event's
 * time, from inventory snapshots taken at different times.
 */

import type { CoverageEntry } from "../../core/findings/index.js";
import {
  type Attribution,
  buildAttributionIndex,
  type EventLineError,
  observationsFromSnapshots,
  type ParsedEvents,
  type RuntimeEvent,
  type TimedInventory,
} from "../../core/runtime/index.js";

export interface AttributedEvent {
  event: RuntimeEvent;
  /** For flows: the source and destination attribution at the event's time. */
  src?: Attribution;
  dst?: Attribution;
}

export interface AttributionReport {
  events: AttributedEvent[];
  errors: EventLineError[];
  counts: ParsedEvents["counts"];
  coverage: CoverageEntry[];
}

/** Attribute every flow's addresses over the snapshots; other events pass through. Events sorted by time, file, line. */
export function attributeEvents(
  snapshots: readonly TimedInventory[],
  parsed: ParsedEvents,
): AttributionReport {
  const { observations, coverage } = observationsFromSnapshots(snapshots);
  const index = buildAttributionIndex(observations);
  const events = parsed.events
    .map(
      (event): AttributedEvent =>
        event.kind === "flow"
          ? {
              event,
              src: index.attribute(event.src.ip, event.time),
              dst: index.attribute(event.dst.ip, event.time),
            }
          : { event },
    )
    .sort(
      (a, b) =>
        a.event.time - b.event.time ||
        (a.event.file < b.event.file ? -1 : a.event.file > b.event.file ? 1 : 0) ||
        a.event.line - b.event.line,
    );
  return { events, errors: parsed.errors, counts: parsed.counts, coverage: coverage.concat(index.coverage) };
}

export type { BaselineChange } from "./baselines.js";
export {
  changeBaseline,
  openBaselineBook,
  parseWorkloadRef,
  retireBaselines,
  saveBaselineBook,
} from "./baselines.js";
export type { ClusterEventsConfig, ClusterEventsDeps, ClusterEventsResult } from "./cluster-events.js";
export { ClusterEvents } from "./cluster-events.js";
export type { DetectHooks, DetectOptions, Detector, DetectResult } from "./detect.js";
export { auditDetector, detectAlerts, refreshingThreatDetector, threatDetector } from "./detect.js";
export type {
  FeedOutcome,
  FeedRefresherOptions,
  FeedRefreshReport,
  FeedRefreshResult,
  FeedSpec,
  FeedStatus,
  Timer,
} from "./feeds.js";
export { FeedRefresher, systemTimer } from "./feeds.js";
export type { ConsumeEventsOptions, ForwardedBodyResult } from "./forwarded.js";
export { consumeForwardedEvents } from "./forwarded.js";
export type {
  EventInput,
  IngestEventsHooks,
  IngestEventsOptions,
  IngestEventsSummary,
  PreparedEnricher,
  StageCounts,
} from "./ingest.js";
export { ingestEvents, prepareEnricher } from "./ingest.js";
export type { RecommendResult } from "./recommend.js";
export { identityFromEvents, recommendFromEvents } from "./recommend.js";
