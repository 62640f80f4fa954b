/**
 * Exact NetworkPolicy analysis: connectivity between workloads and external ranges, what-if diffs, and findings.
 *
 * Semantics follow the networking.k8s.io/v1 API reference and the concepts page
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/). Modelling choices where Kubernetes
 * leaves behaviour to the implementation:
 * - ipBlock peers match cluster-external addresses only; pod-to-pod traffic is decided by selectors (the API says
 *   whether an ipBlock matches pod IPs is implementation-defined; most plugins treat pod IPs as pods).
 * - hostNetwork pods are left out (reported as coverage).
 * - A named port that several containers of a pod declare with different numbers resolves to all of them.
 * - An edge from a workload to itself stands for traffic between its pods (replicas), which policies govern; a
 *   pod talking to its own IP is not policed by most implementations (upstream e2e "AllowLoopback").
 * - Workloads are grouped by owner (a Deployment's pods are one endpoint) and their pod template labels.
 */
export type { IpFamily, IpRange } from "./cidr.js";
export { formatRange, parseCidr, parseRange, partitionAddressSpace } from "./cidr.js";
export type {
  ChangedEdge,
  Connectivity,
  ConnectivityDiff,
  ConnectivityOptions,
  Edge,
  Endpoint,
  RangeEndpoint,
  WorkloadEndpoint,
} from "./connectivity.js";
export {
  analyzeConnectivity,
  compareEndpoints,
  DEFAULT_MAX_EDGES,
  diffConnectivity,
  isRangeEndpoint,
} from "./connectivity.js";
export { NETPOL_RULES, netpolFindings } from "./findings.js";
export { endpointText, formatConnectivityDot, formatConnectivityText, formatDiffText } from "./format.js";
export type { ParsedPolicy, Peer, PolicyIssue, PolicyRule, PortSpec } from "./policy.js";
export { parseNetworkPolicy } from "./policy.js";
export type { ConnectionsJson, ConnSet, IntervalSet, Protocol } from "./ports.js";
export type { Selector } from "./selector.js";
export { matchesSelector, parseSelector } from "./selector.js";
