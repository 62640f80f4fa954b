/**
 * Runtime alerts: what a detection (audit rule, threat feed, baseline drift) reports about one event, and their
 * deduplication into one alert per (rule, workload or subject, key) with first/last seen and a count.
 */
import { cmp, SEVERITY_RANK, type Severity } from "../findings/index.js";
import type { WorkloadRef } from "./attribution.js";
import type { EnrichedSide } from "./enrich.js";
import type { EventSource } from "./events.js";

export type AlertCategory = "audit" | "threat-feed" | "drift";

/** One alert from one event. */
export interface RuntimeAlert {
  ruleId: string;
  title: string;
  severity: Severity;
  category: AlertCategory;
  /** Event time (ms since the epoch). */
  time: number;
  /** What fired it, redacted: never a secret's value. */
  evidence: string;
  /** Where the evidence event was read. */
  origin: { source: EventSource; file: string; line: number };
  /** Groups repeats of the same alert: the rule plus what the alert is about (not the time). */
  key: string;
  workload?: WorkloadRef;
  team?: string;
  images?: string[];
  vulns?: string[];
  exposed?: boolean;
  /** The Kubernetes object an audit alert is about. */
  resource?: { resource: string; namespace?: string; name?: string };
  /** The user an audit alert is about. */
  user?: string;
  /** A NetworkPolicy that would block what a threat-feed alert saw. */
  suggestedPolicy?: Record<string, unknown>;
  remediation?: string;
}

/** Alerts with the same key merged: the first event's evidence, first/last seen and how many. */
export interface DedupedAlert extends RuntimeAlert {
  firstSeen: number;
  lastSeen: number;
  count: number;
}

/** Workload facts of an enriched side, copied onto an alert. */
export function workloadFieldsOf(
  side: EnrichedSide | undefined,
): Pick<RuntimeAlert, "workload" | "team" | "images" | "vulns" | "exposed"> {
  if (!side?.workload) return {};
  return {
    workload: side.workload,
    ...(side.team ? { team: side.team } : {}),
    ...(side.images ? { images: side.images } : {}),
    ...(side.vulns ? { vulns: side.vulns } : {}),
    ...(side.exposed === undefined ? {} : { exposed: side.exposed }),
  };
}

/**
 * Deduplicate alerts. Memory is bounded by `maxKeys` distinct alerts: past it, new keys are counted in
 * `overflow` (never silently dropped) and existing ones keep counting.
 */
export class AlertDeduper {
  private readonly byKey = new Map<string, DedupedAlert>();
  overflow = 0;
  constructor(private readonly maxKeys = 100_000) {}

  /** Add one alert; answers whether it is new (the first of its key), so a router can send it once. */
  add(a: RuntimeAlert): DedupedAlert | undefined {
    const k = `${a.ruleId}\u0000${a.key}`;
    const seen = this.byKey.get(k);
    if (seen) {
      seen.count++;
      // Out-of-order events: the earliest event's evidence stands for the alert.
      if (a.time < seen.firstSeen)
        Object.assign(seen, a, { firstSeen: a.time, lastSeen: seen.lastSeen, count: seen.count });
      if (a.time > seen.lastSeen) seen.lastSeen = a.time;
      return undefined;
    }
    if (this.byKey.size >= this.maxKeys) {
      this.overflow++;
      return undefined;
    }
    const d: DedupedAlert = { ...a, firstSeen: a.time, lastSeen: a.time, count: 1 };
    this.byKey.set(k, d);
    return d;
  }

  /** Every alert, most severe first, then by first seen, rule and key. */
  list(): DedupedAlert[] {
    return [...this.byKey.values()].sort(
      (a, b) =>
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
        a.firstSeen - b.firstSeen ||
        cmp(a.ruleId, b.ruleId) ||
        cmp(a.key, b.key),
    );
  }
}
