/**
 * Behaviour baselines per workload (never per pod: replicas come and go, the workload's behaviour is what is
 * learned). A baseline holds the processes the workload executed and its network peers — another workload, a
 * Service, a node, or an external range (/24 for IPv4, /64 for IPv6, or the configured network's name) — with
 * direction, port and protocol.
 *
 * States:
 * - `learning`: everything seen is added, until the learning window (measured in event time, so replaying a
 *   week of logs learns a week) has passed since the first event.
 * - `observing`: the window is over; what is new is reported as `drift` with severity `info` and is NOT added:
 *   an operator reviews it, accepts items, and promotes the baseline.
 * - `enforcing`: enforcing by alert — what is new is an alert (severity by what drifted) with the evidence event.
 *   Nothing is ever blocked, and no baseline enters this state silently: promotion is an explicit call, or (with
 *   `autoPromoteConfidence`) a transition that is itself reported.
 *
 * Confidence is how settled the baseline is: 1 minus an exponentially weighted rate of novel observations
 * (alpha 1/50), scaled down while fewer than `minObservations` events were learned. A baseline that still sees
 * something new every few events has low confidence; one that has seen nothing new for hundreds of events is near 1.
 *
 * Expiry: with `itemTtlMs`, an item (process or peer) not seen for that long ages out — behaviour a workload
 * stopped having (a peer decommissioned, a migration job's binary) should not stay allowed forever. An item seen
 * again after its TTL counts as new, whether or not a sweep has removed it yet, so the answer does not depend on
 * when sweeps run. A workload missing from the inventory for longer than its learning window loses its baseline
 * ({@link BaselineBook.retire}): a workload of the same name created later learns afresh. Both are counted
 * (`expired` on the baseline, `evicted` on the book), never silent.
 */
import { cmp, type Severity } from "../findings/index.js";
import type { Inventory } from "../inventory/index.js";
import { parseCidr } from "../netpol/index.js";
import { type RuntimeAlert, workloadFieldsOf } from "./alerts.js";
import type { WorkloadRef } from "./attribution.js";
import { type EnrichedEvent, type EnrichedSide, workloadFactsKey } from "./enrich.js";

export type BaselineState = "learning" | "observing" | "enforcing";

export interface BaselineItem {
  firstSeen: number;
  lastSeen: number;
  count: number;
}

export interface WorkloadBaseline {
  workload: WorkloadRef;
  state: BaselineState;
  /** Event time of the first learned event; learning lasts `windowMs` from it. */
  learningFrom: number;
  windowMs: number;
  stateSince: number;
  observations: number;
  /** EWMA of novelty (0..1). */
  novelty: number;
  processes: Record<string, BaselineItem>;
  /** `egress|ingress <peer> <protocol>/<port>` -> item. */
  peers: Record<string, BaselineItem>;
  /** Items not added because the baseline was full. */
  overflow: number;
  /** Items aged out (not seen for the item TTL). */
  expired?: number;
  /** The first inventory time the workload was missing at; cleared when it is seen again. */
  goneSince?: number;
}

export interface BaselineOptions {
  windowMs: number;
  minObservations?: number;
  maxItems?: number;
  /** Promote observing -> enforcing once confidence reaches this (reported as a transition). Off by default. */
  autoPromoteConfidence?: number;
  /** Items not seen for this long (event time) age out. Off by default. */
  itemTtlMs?: number;
  /** Baselines kept at most (bounded memory); events of workloads past it are counted, not learned. */
  maxBaselines?: number;
  /** Items kept at most over all baselines; past it, new items count as the baseline's `overflow`. */
  maxTotalItems?: number;
}

/** What the book let go of, by reason: nothing leaves a baseline without being counted here. */
export interface BaselineEvictions {
  /** Items aged out past the item TTL. */
  expiredItems: number;
  /** Baselines dropped because their workload was gone from the inventory for longer than its window. */
  retiredBaselines: number;
  /** Observations of workloads that got no baseline because the book was full. */
  refusedObservations: number;
}

export interface BaselineTransition {
  workload: WorkloadRef;
  from: BaselineState;
  to: BaselineState;
  at: number;
  confidence: number;
  reason: string;
}

const ALPHA = 1 / 50;
export const DEFAULT_MIN_OBSERVATIONS = 100;
export const DEFAULT_MAX_BASELINE_ITEMS = 2000;
/** 2,000 items of about 150 bytes each: at most ~300 KiB per baseline, ~15 GiB never reached in practice. */
export const DEFAULT_MAX_BASELINES = 50_000;
/** Items over all baselines: about 150 bytes each, ~75 MiB. */
export const DEFAULT_MAX_TOTAL_BASELINE_ITEMS = 500_000;

export function confidenceOf(b: WorkloadBaseline, minObservations = DEFAULT_MIN_OBSERVATIONS): number {
  const volume = Math.min(1, b.observations / minObservations);
  return Math.round((1 - b.novelty) * volume * 1000) / 1000;
}

export function newBaseline(workload: WorkloadRef, at: number, windowMs: number): WorkloadBaseline {
  return {
    workload,
    state: "learning",
    learningFrom: at,
    windowMs,
    stateSince: at,
    observations: 0,
    novelty: 1,
    processes: {},
    peers: {},
    overflow: 0,
  };
}

/** The peer of one side of a flow as a baseline names it. */
export function peerName(s: EnrichedSide): string {
  switch (s.kind) {
    case "workload":
      return s.workload
        ? `workload:${s.workload.namespace}/${s.workload.kind}/${s.workload.name}`
        : "unknown";
    case "service":
      return `service:${s.service ?? "?"}`;
    case "node":
      return "node";
    case "ambiguous":
      return "ambiguous";
    default: {
      if (s.network) return `network:${s.network}`;
      const c = s.ip ? parseCidr(s.ip.includes(":") ? `${s.ip}/64` : `${s.ip}/24`) : undefined;
      return c
        ? `cidr:${s.ip?.includes(":") ? `${c.start.toString(16)}/64` : `${cidrText(c.start)}/24`}`
        : "unknown";
    }
  }
}

const cidrText = (v: bigint) => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");

/** What one enriched event contributes to which workload's baseline. */
export function observationsOf(
  e: EnrichedEvent,
): { workload: WorkloadRef; kind: "process" | "peer"; item: string; side?: EnrichedSide }[] {
  const ev = e.event;
  if (ev.kind === "process" && ev.type === "exec" && e.subject?.workload)
    return [{ workload: e.subject.workload, kind: "process", item: ev.binary, side: e.subject }];
  if (ev.kind !== "flow" || !e.src || !e.dst) return [];
  const port = `${ev.protocol}/${ev.dst.port ?? "*"}`;
  const out: ReturnType<typeof observationsOf> = [];
  if (e.src.workload)
    out.push({
      workload: e.src.workload,
      kind: "peer",
      item: `egress ${peerName(e.dst)} ${port}`,
      side: e.src,
    });
  if (e.dst.workload)
    out.push({
      workload: e.dst.workload,
      kind: "peer",
      item: `ingress ${peerName(e.src)} ${port}`,
      side: e.dst,
    });
  return out;
}

/**
 * A set of baselines advanced by events. Pure: the caller loads the baselines (from a store), feeds events in
 * any order and saves them; alerts and transitions are returned, never acted on.
 */
export class BaselineBook {
  readonly baselines = new Map<string, WorkloadBaseline>();
  readonly transitions: BaselineTransition[] = [];
  readonly evicted: BaselineEvictions = { expiredItems: 0, retiredBaselines: 0, refusedObservations: 0 };
  /** Keys of baselines retired since the book was opened (the store deletes them on save). */
  readonly retired: string[] = [];
  private readonly minObs: number;
  private readonly maxItems: number;
  private readonly maxBaselines: number;
  private readonly maxTotalItems: number;
  /** Items held over all baselines. */
  private items = 0;
  /** Items per item map, so the per-baseline cap costs no key listing per novel event. */
  private readonly sizes = new WeakMap<Record<string, BaselineItem>, number>();
  /** The latest event time seen, and when items are next swept (memory only: lookups check the TTL anyway). */
  private clock = Number.NEGATIVE_INFINITY;
  private nextSweep = Number.NEGATIVE_INFINITY;

  constructor(
    readonly options: BaselineOptions,
    initial: Iterable<WorkloadBaseline> = [],
  ) {
    this.minObs = options.minObservations ?? DEFAULT_MIN_OBSERVATIONS;
    this.maxItems = options.maxItems ?? DEFAULT_MAX_BASELINE_ITEMS;
    this.maxBaselines = options.maxBaselines ?? DEFAULT_MAX_BASELINES;
    this.maxTotalItems = options.maxTotalItems ?? DEFAULT_MAX_TOTAL_BASELINE_ITEMS;
    for (const b of initial) {
      this.baselines.set(workloadFactsKey(b.workload), b);
      this.items += Object.keys(b.processes).length + Object.keys(b.peers).length;
    }
  }

  /** Learn from or check one event; answers drift alerts. */
  observe(e: EnrichedEvent): RuntimeAlert[] {
    const alerts: RuntimeAlert[] = [];
    const t = e.event.time;
    const ttl = this.options.itemTtlMs;
    if (ttl !== undefined && t > this.clock) {
      this.clock = t;
      if (t >= this.nextSweep) {
        this.expire(t);
        this.nextSweep = t + Math.max(1, ttl / 8);
      }
    }
    for (const o of observationsOf(e)) {
      const key = workloadFactsKey(o.workload);
      let b = this.baselines.get(key);
      if (!b) {
        if (this.baselines.size >= this.maxBaselines) {
          this.evicted.refusedObservations++;
          continue;
        }
        b = newBaseline(o.workload, t, this.options.windowMs);
        this.baselines.set(key, b);
      }
      this.advance(b, t);
      const items = o.kind === "process" ? b.processes : b.peers;
      let seen = items[o.item];
      if (seen && ttl !== undefined && t - seen.lastSeen > ttl) {
        // Aged out, swept or not: seen again, it is new behaviour.
        const size = this.sizeOf(items);
        delete items[o.item];
        this.sizes.set(items, size - 1);
        this.expiredOne(b);
        seen = undefined;
      }
      if (b.state === "learning" || t < b.learningFrom + b.windowMs) {
        // Out-of-order events from inside the window still teach the baseline, whatever its state now.
        b.observations++;
        b.novelty = b.novelty * (1 - ALPHA) + (seen ? 0 : ALPHA);
        if (seen) {
          seen.count++;
          seen.firstSeen = Math.min(seen.firstSeen, t);
          seen.lastSeen = Math.max(seen.lastSeen, t);
        } else if (this.items >= this.maxTotalItems || this.sizeOf(items) >= this.maxItems) b.overflow++;
        else {
          const size = this.sizeOf(items);
          items[o.item] = { firstSeen: t, lastSeen: t, count: 1 };
          this.sizes.set(items, size + 1);
          this.items++;
        }
        continue;
      }
      if (seen) {
        seen.count++;
        seen.lastSeen = Math.max(seen.lastSeen, t);
        continue;
      }
      alerts.push(this.drift(b, o, e));
    }
    return alerts;
  }

  private drift(
    b: WorkloadBaseline,
    o: ReturnType<typeof observationsOf>[number],
    e: EnrichedEvent,
  ): RuntimeAlert {
    const enforcing = b.state === "enforcing";
    const severity: Severity = !enforcing
      ? "info"
      : o.kind === "process"
        ? "high"
        : o.item.includes(" cidr:")
          ? "high"
          : "medium";
    const w = b.workload;
    const what = o.kind === "process" ? `executed ${o.item}` : `new network peer: ${o.item}`;
    return {
      ruleId: o.kind === "process" ? "PAL-RT-DRIFT-001" : "PAL-RT-DRIFT-002",
      title:
        o.kind === "process"
          ? "Process outside the workload's baseline"
          : "Network peer outside the workload's baseline",
      severity,
      category: "drift",
      time: e.event.time,
      evidence: `${w.kind} ${w.namespace}/${w.name} ${what} (baseline ${b.state}, confidence ${confidenceOf(b, this.minObs)}): ${e.event.evidence}`,
      origin: { source: e.event.source, file: e.event.file, line: e.event.line },
      key: `${workloadFactsKey(w)}\u0000${o.item}`,
      ...workloadFieldsOf(o.side),
      remediation: enforcing
        ? "Investigate the evidence event; if the behaviour is expected, accept it into the baseline."
        : "The baseline is observing: review and accept expected behaviour, then promote it to enforcing.",
    };
  }

  /** learning -> observing once the window has passed in event time; observing -> enforcing when auto-promotion is on. */
  private advance(b: WorkloadBaseline, t: number): void {
    if (b.state === "learning" && t >= b.learningFrom + b.windowMs) {
      this.move(b, "observing", b.learningFrom + b.windowMs, "learning window elapsed");
    }
    const auto = this.options.autoPromoteConfidence;
    if (b.state === "observing" && auto !== undefined && confidenceOf(b, this.minObs) >= auto)
      this.move(b, "enforcing", t, `confidence reached ${auto} (automatic promotion)`);
  }

  private move(b: WorkloadBaseline, to: BaselineState, at: number, reason: string): void {
    this.transitions.push({
      workload: b.workload,
      from: b.state,
      to,
      at,
      confidence: confidenceOf(b, this.minObs),
      reason,
    });
    b.state = to;
    b.stateSince = at;
  }

  private sizeOf(items: Record<string, BaselineItem>): number {
    let n = this.sizes.get(items);
    if (n === undefined) {
      n = Object.keys(items).length;
      this.sizes.set(items, n);
    }
    return n;
  }

  private expiredOne(b: WorkloadBaseline): void {
    this.items--;
    b.expired = (b.expired ?? 0) + 1;
    this.evicted.expiredItems++;
  }

  /** Age out the items not seen for the item TTL at `now` (event time, or the caller's clock). */
  expire(now: number): number {
    const ttl = this.options.itemTtlMs;
    if (ttl === undefined) return 0;
    let n = 0;
    for (const b of this.baselines.values())
      for (const items of [b.processes, b.peers])
        for (const [k, v] of Object.entries(items))
          if (now - v.lastSeen > ttl) {
            delete items[k];
            this.sizes.delete(items);
            this.expiredOne(b);
            n++;
          }
    return n;
  }

  /**
   * Record which workloads an inventory taken at `at` shows (keys as {@link workloadFactsKey}); a baseline whose
   * workload has been missing for longer than its learning window is dropped (and its key listed in `retired`).
   * Call it once per snapshot, oldest first. With `scope`, only workloads of those namespaces are judged: a
   * snapshot of some namespaces says nothing about the others.
   */
  retire(present: ReadonlySet<string>, at: number, scope?: ReadonlySet<string>): WorkloadRef[] {
    const out: WorkloadRef[] = [];
    for (const [key, b] of this.baselines) {
      if (scope && !scope.has(b.workload.namespace)) continue;
      if (present.has(key)) {
        delete b.goneSince;
        continue;
      }
      b.goneSince ??= at;
      if (at - b.goneSince > b.windowMs) {
        this.baselines.delete(key);
        this.items -= Object.keys(b.processes).length + Object.keys(b.peers).length;
        this.retired.push(key);
        this.evicted.retiredBaselines++;
        out.push(b.workload);
      }
    }
    return out;
  }

  /** Promote a baseline to enforcing by an operator's decision. */
  promote(w: WorkloadRef, at: number): BaselineTransition | undefined {
    const b = this.baselines.get(workloadFactsKey(w));
    if (!b || b.state === "enforcing") return undefined;
    this.move(b, "enforcing", at, "promoted by an operator");
    return this.transitions[this.transitions.length - 1];
  }

  /** Accept an item (as drift reported it) into a baseline. */
  accept(w: WorkloadRef, kind: "process" | "peer", item: string, at: number): boolean {
    const b = this.baselines.get(workloadFactsKey(w));
    if (!b) return false;
    const items = kind === "process" ? b.processes : b.peers;
    if (!items[item]) {
      items[item] = { firstSeen: at, lastSeen: at, count: 0 };
      this.sizes.delete(items);
      this.items++;
    }
    return true;
  }

  /** Baselines sorted by workload, with their confidence. */
  list(): (WorkloadBaseline & { confidence: number })[] {
    return [...this.baselines.entries()]
      .sort(([a], [b]) => cmp(a, b))
      .map(([, b]) => ({ ...b, confidence: confidenceOf(b, this.minObs) }));
  }
}

const isItem = (v: unknown): v is BaselineItem =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as BaselineItem).firstSeen === "number" &&
  typeof (v as BaselineItem).lastSeen === "number" &&
  typeof (v as BaselineItem).count === "number";

function items(v: unknown): Record<string, BaselineItem> | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const out: Record<string, BaselineItem> = Object.create(null);
  for (const [k, x] of Object.entries(v)) {
    if (!isItem(x)) return undefined;
    out[k] = { firstSeen: x.firstSeen, lastSeen: x.lastSeen, count: x.count };
  }
  return out;
}

/** Validate a stored baseline (JSON parsed from a store row); undefined when it does not have the shape. */
export function parseBaseline(v: unknown): WorkloadBaseline | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const w = o.workload as Record<string, unknown> | undefined;
  const states: readonly unknown[] = ["learning", "observing", "enforcing"];
  const num = (k: string) => typeof o[k] === "number" && Number.isFinite(o[k]);
  if (
    typeof w !== "object" ||
    w === null ||
    typeof w.kind !== "string" ||
    typeof w.namespace !== "string" ||
    typeof w.name !== "string" ||
    !states.includes(o.state) ||
    !["learningFrom", "windowMs", "stateSince", "observations", "novelty", "overflow"].every(num)
  )
    return undefined;
  const processes = items(o.processes);
  const peers = items(o.peers);
  if (!processes || !peers) return undefined;
  return {
    workload: { kind: w.kind, namespace: w.namespace, name: w.name },
    state: o.state as BaselineState,
    learningFrom: o.learningFrom as number,
    windowMs: o.windowMs as number,
    stateSince: o.stateSince as number,
    observations: o.observations as number,
    novelty: o.novelty as number,
    processes,
    peers,
    overflow: o.overflow as number,
    ...(num("expired") ? { expired: o.expired as number } : {}),
    ...(num("goneSince") ? { goneSince: o.goneSince as number } : {}),
  };
}

/**
 * The namespaces an inventory speaks for, for {@link BaselineBook.retire}: every namespace when it lists Namespace
 * objects (`kubectl get namespaces` is cluster-wide, so a namespace missing from it is gone), else only the
 * namespaces its objects are in (a `-n shop` dump says nothing about `payments`).
 */
export function inventoryScope(inventory: Inventory): Set<string> | undefined {
  const listed = [...inventory.namespaces.values()].some((n) => n.object !== undefined);
  return listed ? undefined : new Set(inventory.namespaces.keys());
}

/** The workload keys an inventory shows (as baselines are keyed), for {@link BaselineBook.retire}. */
export function presentWorkloads(inventory: Inventory): Set<string> {
  return new Set(
    inventory.workloads.map((w) =>
      workloadFactsKey({ kind: w.ref.kind, namespace: w.ref.namespace ?? "", name: w.ref.name }),
    ),
  );
}

export const baselineKey = (b: WorkloadBaseline) => workloadFactsKey(b.workload);
