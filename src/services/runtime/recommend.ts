/**
 * Use case: propose NetworkPolicies from the flows of event inputs, attributed over the snapshots, and replay
 * every recorded flow through the exact evaluator against the latest snapshot (its current policies, then with
 * the proposal) to show what the proposal would have dropped.
 */
import { PalisadeError } from "../../core/errors/index.js";
import {
  FlowAggregator,
  type FlowSkips,
  type IdentityNamespace,
  IdentityTally,
  type MeshOptions,
  type Recommendation,
  type RecommendOptions,
  recommendPolicies,
} from "../../core/runtime/index.js";
import {
  type EventInput,
  type IngestEventsOptions,
  type IngestEventsSummary,
  ingestEvents,
} from "./ingest.js";

export interface RecommendResult {
  recommendation: Recommendation;
  summary: IngestEventsSummary;
  skipped: FlowSkips;
}

export async function recommendFromEvents(
  inputs: readonly EventInput[],
  options: IngestEventsOptions & RecommendOptions & { maxTuples?: number },
  hooks: {
    onError?: Parameters<typeof ingestEvents>[2] extends { onError?: infer F } | undefined ? F : never;
  } = {},
): Promise<RecommendResult> {
  const latest = [...options.snapshots].sort((a, b) => b.at - a.at)[0];
  if (!latest) throw new PalisadeError("USAGE", "a recommendation needs at least one snapshot (--snapshot)");
  const agg = new FlowAggregator(options.maxTuples);
  const summary = await ingestEvents(inputs, options, {
    ...(hooks.onError ? { onError: hooks.onError } : {}),
    onEvent: (e) => agg.add(e),
  });
  const recommendation = recommendPolicies(agg.list(), latest.inventory, options);
  return { recommendation, summary, skipped: agg.skipped };
}

/** Use case: the service identity figure per namespace from the flows of event inputs (latest snapshot's policies). */
export async function identityFromEvents(
  inputs: readonly EventInput[],
  options: IngestEventsOptions & { mesh?: MeshOptions },
  hooks: {
    onError?: Parameters<typeof ingestEvents>[2] extends { onError?: infer F } | undefined ? F : never;
  } = {},
): Promise<{ namespaces: IdentityNamespace[]; unattributed: number; summary: IngestEventsSummary }> {
  const latest = [...options.snapshots].sort((a, b) => b.at - a.at)[0];
  if (!latest)
    throw new PalisadeError("USAGE", "the identity figure needs at least one snapshot (--snapshot)");
  const tally = new IdentityTally(latest.inventory, options.mesh ?? {});
  const summary = await ingestEvents(inputs, options, {
    ...(hooks.onError ? { onError: hooks.onError } : {}),
    onEvent: (e) => tally.add(e),
  });
  for (const c of tally.coverage) summary.coverage.push(c);
  return { namespaces: tally.list(), unattributed: tally.unattributed, summary };
}
