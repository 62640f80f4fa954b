/**
 * Use case: ingest runtime events from several inputs as streams, enrich each with the workload behind it, and
 * count what every stage received, accepted and dropped (and why). Memory is bounded: lines are handled one at a
 * time, events are handed to the caller's `onEvent` and not kept, and at most `maxErrors` line errors are kept for
 * the summary (all of them are counted and passed to `onError`).
 */
import type { CoverageEntry } from "../../core/findings/index.js";
import type { RemediationRecord } from "../../core/lineage/index.js";
import {
  buildAttributionIndex,
  createEnricher,
  type DropReason,
  type EnrichedEvent,
  type Enricher,
  type EventLineError,
  EventLineParser,
  type EventSource,
  MAX_EVENT_LINE_BYTES,
  type NamedNetwork,
  observationsFromSnapshots,
  type TimedInventory,
  type WorkloadDirectory,
  workloadDirectory,
} from "../../core/runtime/index.js";

/** One input: a name for messages (file path or "-") and its lines. */
export interface EventInput {
  name: string;
  lines: AsyncIterable<string | { overLong: true; bytes: number }>;
  source?: EventSource | "auto";
}

export interface StageCounts {
  stage: "read" | "parse" | "enrich";
  received: number;
  accepted: number;
  dropped: number;
  /** Why records were dropped (parse), or what enrichment could not resolve (enrich: sides left unknown). */
  reasons: Record<string, number>;
}

export interface IngestEventsSummary {
  inputs: { name: string; lines: number; received: number; accepted: number; dropped: number }[];
  stages: StageCounts[];
  /** The first `maxErrors` line errors, in input order. */
  errors: EventLineError[];
  errorsTruncated: number;
  coverage: CoverageEntry[];
  /** Earliest and latest event time seen (ms), for the report. */
  window?: { from: number; to: number };
}

export interface IngestEventsOptions {
  snapshots: readonly TimedInventory[];
  /** Remediation records from the store, for open vulnerabilities; none when no store is given. */
  records?: readonly RemediationRecord[];
  networks?: readonly NamedNetwork[];
  clusterCidrs?: readonly string[];
  skewMs?: number;
  maxErrors?: number;
  /** Address intervals kept at most (bounded memory; past it, coverage says attribution is incomplete). */
  maxIntervals?: number;
  /** An enricher already built from these snapshots (to share its workload directory with detectors). */
  prepared?: PreparedEnricher;
}

export interface PreparedEnricher {
  enricher: Enricher;
  coverage: CoverageEntry[];
  directory: WorkloadDirectory;
}

export interface IngestEventsHooks {
  /** Each enriched event, in input order; a returned promise is awaited (back-pressure). */
  onEvent?: (e: EnrichedEvent) => void | Promise<void>;
  onError?: (e: EventLineError) => void;
}

/** Build the enricher for a set of snapshots once; the CLI, the server and benchmarks share it. */
export function prepareEnricher(options: IngestEventsOptions): PreparedEnricher {
  const { observations, coverage } = observationsFromSnapshots(options.snapshots);
  const index = buildAttributionIndex(
    observations,
    options.maxIntervals === undefined ? {} : { maxIntervals: options.maxIntervals },
  );
  const dir = workloadDirectory(options.snapshots, options.records ?? []);
  const enricher = createEnricher(index, {
    facts: dir.facts,
    pods: dir.pods,
    ...(options.networks ? { networks: options.networks } : {}),
    ...(options.clusterCidrs ? { clusterCidrs: options.clusterCidrs } : {}),
    ...(options.skewMs ? { skewMs: options.skewMs } : {}),
  });
  return { enricher, coverage: [...coverage, ...index.coverage], directory: dir };
}

const bump = (r: Record<string, number>, k: string, n = 1) => {
  r[k] = (r[k] ?? 0) + n;
};

export async function ingestEvents(
  inputs: readonly EventInput[],
  options: IngestEventsOptions,
  hooks: IngestEventsHooks = {},
): Promise<IngestEventsSummary> {
  const { enricher, coverage: prepCoverage } = options.prepared ?? prepareEnricher(options);
  const coverage = [...prepCoverage];
  const maxErrors = options.maxErrors ?? 1000;
  const read: StageCounts = { stage: "read", received: 0, accepted: 0, dropped: 0, reasons: {} };
  const parse: StageCounts = { stage: "parse", received: 0, accepted: 0, dropped: 0, reasons: {} };
  const enrich: StageCounts = { stage: "enrich", received: 0, accepted: 0, dropped: 0, reasons: {} };
  const errors: EventLineError[] = [];
  let errorsTruncated = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const perInput: IngestEventsSummary["inputs"] = [];
  const onError = (e: EventLineError) => {
    bump(parse.reasons, e.reason);
    if (errors.length < maxErrors) errors.push(e);
    else errorsTruncated++;
    hooks.onError?.(e);
  };

  for (const input of inputs) {
    const parser = new EventLineParser(input.name, input.source ?? "auto");
    const counts = { name: input.name, lines: 0, received: 0, accepted: 0, dropped: 0 };
    let lineNo = 0;
    for await (const item of input.lines) {
      lineNo++;
      counts.lines++;
      read.received++;
      let r: ReturnType<EventLineParser["parse"]>;
      if (typeof item === "string") r = parser.parse(item, lineNo);
      else
        r = {
          events: [],
          errors: [
            {
              file: input.name,
              line: lineNo,
              reason: "too-long" satisfies DropReason,
              message: `line longer than ${MAX_EVENT_LINE_BYTES} bytes (${item.bytes}); not read`,
            },
          ],
          received: 1,
        };
      // The read stage passes on every line that holds a record; blank, comment and header lines end here.
      if (r.received > 0) read.accepted++;
      else read.reasons.skipped = (read.reasons.skipped ?? 0) + 1;
      parse.received += r.received;
      counts.received += r.received;
      parse.dropped += r.errors.length;
      counts.dropped += r.errors.length;
      for (const e of r.errors) onError(e);
      for (const ev of r.events) {
        parse.accepted++;
        counts.accepted++;
        enrich.received++;
        if (ev.time < from) from = ev.time;
        if (ev.time > to) to = ev.time;
        const out = enricher.enrich(ev);
        enrich.accepted++;
        for (const s of [out.src, out.dst, out.subject])
          if (s && (s.kind === "unknown" || s.kind === "ambiguous")) bump(enrich.reasons, s.kind);
          else if (s?.skewed) bump(enrich.reasons, "skewed");
        const p = hooks.onEvent?.(out);
        if (p) await p;
      }
    }
    perInput.push(counts);
  }
  return {
    inputs: perInput,
    stages: [read, parse, enrich],
    errors,
    errorsTruncated,
    coverage,
    ...(from <= to ? { window: { from, to } } : {}),
  };
}
