/**
 * Runtime: events from the tools clusters already run (Hubble, Falco, Tetragon, the API server's audit log),
 * attributed to the workloads that held their addresses at the time.
 */

export type { AlertCategory, DedupedAlert, RuntimeAlert } from "./alerts.js";
export { AlertDeduper, DEFAULT_MAX_ALERT_KEYS, workloadFieldsOf } from "./alerts.js";
export type {
  AddressHolder,
  AddressObservation,
  Attribution,
  AttributionIndex,
  AttributionIndexOptions,
  UnattributedReason,
  WorkloadRef,
} from "./attribution.js";
export {
  addressKey,
  buildAttributionIndex,
  DEFAULT_MAX_INTERVALS,
  describeHolder,
  holderKey,
} from "./attribution.js";
export type { AuditRule } from "./audit-rules.js";
export { AUDIT_RULES, detectAudit, SENSITIVE_HOST_PATHS } from "./audit-rules.js";
export type {
  BaselineEvictions,
  BaselineItem,
  BaselineOptions,
  BaselineState,
  BaselineTransition,
  WorkloadBaseline,
} from "./baseline.js";
export {
  BaselineBook,
  baselineKey,
  confidenceOf,
  DEFAULT_MAX_BASELINE_ITEMS,
  DEFAULT_MAX_BASELINES,
  DEFAULT_MAX_TOTAL_BASELINE_ITEMS,
  DEFAULT_MIN_OBSERVATIONS,
  inventoryScope,
  newBaseline,
  observationsOf,
  parseBaseline,
  peerName,
  presentWorkloads,
} from "./baseline.js";
export type { OverLongRecord } from "./body-records.js";
export { bodyRecords } from "./body-records.js";
export type {
  EnrichedEvent,
  EnrichedSide,
  Enricher,
  EnrichOptions,
  NamedNetwork,
  SideKind,
  WorkloadFacts,
} from "./enrich.js";
export { createEnricher, workloadFactsKey } from "./enrich.js";
export type {
  AuditObject,
  DropReason,
  Endpoint,
  EventLineError,
  EventPod,
  EventSource,
  LineResult,
  ParsedEvents,
  RuntimeEvent,
} from "./events.js";
export {
  detectEventSource,
  EVENT_SOURCES,
  EventLineParser,
  MAX_EVENT_LINE_BYTES,
  parseEventLines,
} from "./events.js";
export type { WorkloadDirectory } from "./facts.js";
export { workloadDirectory } from "./facts.js";
export type { FeedEntry, FeedMatch, ParsedFeed } from "./feeds.js";
export { parseFeed, ThreatIndex } from "./feeds.js";
export type { ForwardedEvents, ForwardedSource } from "./forwarded.js";
export { encodedBytes, FORWARDED_SOURCES, parseForwardedEvents, splitForwardedBody } from "./forwarded.js";
export type { IdentityNamespace } from "./identity.js";
export { IdentityTally } from "./identity.js";
export type { IstioMode, MeshAuthentication, MeshOptions } from "./mesh.js";
export { MeshIdentity } from "./mesh.js";
export { policyName, stableLabels } from "./policy-labels.js";
export type {
  FlowPeer,
  FlowSkips,
  FlowTuple,
  Recommendation,
  RecommendOptions,
} from "./recommend.js";
export { FlowAggregator, peerText, recommendPolicies } from "./recommend.js";
export type { TimedInventory } from "./snapshots.js";
export { addressesOf, observationsFromSnapshots } from "./snapshots.js";
export { blockingPolicy, detectThreats } from "./threat-detect.js";
