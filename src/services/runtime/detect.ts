/**
 * Use case: run the detections over ingested events (audit rules, threat feeds, baseline drift) and deduplicate
 * what they report. New alerts (the first of their key) are handed to `onAlert` as they happen, so a router can
 * send them while the input is still being read; the deduplicated list (with counts) is the answer.
 */
import {
  AlertDeduper,
  type DedupedAlert,
  detectAudit,
  detectThreats,
  type EnrichedEvent,
  type EventLineError,
  type ParsedFeed,
  type RuntimeAlert,
  ThreatIndex,
  type WorkloadFacts,
} from "../../core/runtime/index.js";
import {
  type EventInput,
  type IngestEventsOptions,
  type IngestEventsSummary,
  ingestEvents,
} from "./ingest.js";

/** A detector: alerts for one enriched event. */
export type Detector = (e: EnrichedEvent) => readonly RuntimeAlert[];

export const auditDetector: Detector = (e) => detectAudit(e.event);

/** Threat-feed detection over these feeds; `facts` give the labels a suggested policy selects by. */
export function threatDetector(
  feeds: readonly ParsedFeed[],
  facts: ReadonlyMap<string, WorkloadFacts>,
): Detector {
  const index = new ThreatIndex(feeds);
  return (e) => detectThreats(e, index, facts);
}

/** Threat-feed detection over an index that changes (a {@link FeedRefresher}'s): each event uses the latest. */
export function refreshingThreatDetector(
  feeds: { current(): ThreatIndex },
  facts: ReadonlyMap<string, WorkloadFacts>,
): Detector {
  return (e) => detectThreats(e, feeds.current(), facts);
}

export interface DetectOptions extends IngestEventsOptions {
  detectors: readonly Detector[];
  maxAlerts?: number;
}

export interface DetectHooks {
  onAlert?: (a: DedupedAlert) => void | Promise<void>;
  onError?: (e: EventLineError) => void;
}

export interface DetectResult {
  summary: IngestEventsSummary;
  alerts: DedupedAlert[];
  /** Distinct alerts evicted to stay within `maxAlerts` (lowest severity, least recently seen first). */
  overflow: number;
  /** The evicted alerts counted by rule. */
  evictedByRule: Record<string, number>;
}

export async function detectAlerts(
  inputs: readonly EventInput[],
  options: DetectOptions,
  hooks: DetectHooks = {},
): Promise<DetectResult> {
  const dedup = new AlertDeduper(options.maxAlerts);
  const summary = await ingestEvents(inputs, options, {
    ...(hooks.onError ? { onError: hooks.onError } : {}),
    onEvent: async (e) => {
      for (const d of options.detectors)
        for (const a of d(e)) {
          const fresh = dedup.add(a);
          if (fresh && hooks.onAlert) await hooks.onAlert(fresh);
        }
    },
  });
  return {
    summary,
    alerts: dedup.list(),
    overflow: dedup.overflow,
    evictedByRule: { ...dedup.evictedByRule },
  };
}
