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

/** Distinct alerts kept by default: about 1-2 KiB each (evidence, workload facts, a suggested policy), ~40 MiB. */
export const DEFAULT_MAX_ALERT_KEYS = 20_000;

const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

/**
 * Deduplicate alerts. Memory is bounded by `maxKeys` distinct alerts. Past it, room is made by evicting the least
 * recently seen alert of the lowest severity present (info drift goes before a critical threat-feed hit), and
 * evictions are counted (`overflow`, and per rule in `evictedByRule`): never silent. A new alert less severe than
 * everything kept is answered as new (so it is routed) and counted, but not kept. New alerts are thus always
 * routed; an evicted alert that happens again is new again, so a receiver may hear of it twice — a repeated
 * notification rather than a lost one.
 */
export class AlertDeduper {
  /** One map per severity, each in least-recently-seen-first order (a Map keeps insertion order). */
  private readonly bySeverity = new Map<Severity, Map<string, DedupedAlert>>(
    SEVERITIES.map((s) => [s, new Map<string, DedupedAlert>()]),
  );
  private size = 0;
  /** Distinct alerts evicted to stay within `maxKeys`. */
  overflow = 0;
  readonly evictedByRule: Record<string, number> = Object.create(null);
  constructor(private readonly maxKeys = DEFAULT_MAX_ALERT_KEYS) {}

  private find(k: string): [Map<string, DedupedAlert>, DedupedAlert] | undefined {
    for (const m of this.bySeverity.values()) {
      const a = m.get(k);
      if (a) return [m, a];
    }
    return undefined;
  }

  /** Add one alert; answers it when it is new (the first of its key), so a router can send it once. */
  add(a: RuntimeAlert): DedupedAlert | undefined {
    const k = `${a.ruleId}\u0000${a.key}`;
    const hit = this.find(k);
    if (hit) {
      const [m, seen] = hit;
      seen.count++;
      // Out-of-order events: the earliest event's evidence stands for the alert.
      if (a.time < seen.firstSeen)
        Object.assign(seen, a, { firstSeen: a.time, lastSeen: seen.lastSeen, count: seen.count });
      if (a.time > seen.lastSeen) seen.lastSeen = a.time;
      // Seen again: now the most recently seen of its severity (which the earlier evidence may have changed).
      m.delete(k);
      (this.bySeverity.get(seen.severity) as Map<string, DedupedAlert>).set(k, seen);
      return undefined;
    }
    const d: DedupedAlert = { ...a, firstSeen: a.time, lastSeen: a.time, count: 1 };
    if (this.size >= this.maxKeys) {
      const lowest = SEVERITIES.find((s) => (this.bySeverity.get(s)?.size ?? 0) > 0);
      // Less severe than everything kept: routed (it is new), counted, not kept.
      if (lowest === undefined || SEVERITIES.indexOf(d.severity) < SEVERITIES.indexOf(lowest)) {
        this.count(d);
        return d;
      }
      this.evictOne();
    }
    (this.bySeverity.get(d.severity) as Map<string, DedupedAlert>).set(k, d);
    this.size++;
    return d;
  }

  private evictOne(): void {
    for (const m of this.bySeverity.values()) {
      const first = m.entries().next();
      if (first.done) continue;
      const [k, a] = first.value;
      m.delete(k);
      this.size--;
      this.count(a);
      return;
    }
  }

  private count(a: RuntimeAlert): void {
    this.overflow++;
    this.evictedByRule[a.ruleId] = (this.evictedByRule[a.ruleId] ?? 0) + 1;
  }

  /** Every alert, most severe first, then by first seen, rule and key. */
  list(): DedupedAlert[] {
    return [...this.bySeverity.values()]
      .flatMap((m) => [...m.values()])
      .sort(
        (a, b) =>
          SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
          a.firstSeen - b.firstSeen ||
          cmp(a.ruleId, b.ruleId) ||
          cmp(a.key, b.key),
      );
  }
}
