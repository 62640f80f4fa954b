/**
 * Exact NetworkPolicy analysis: connectivity between workloads and external ranges, what-if diffs, and findings.
 *
 * Semantics follow the networking.k8s.io/v1 API reference and the concepts page
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/). Modelling choices where Kubernetes
 * leaves behaviour to the implementation:
 * - By default ipBlock peers match cluster-external addresses only; pod-to-pod traffic is decided by selectors. The
 *   concepts page says ipBlock ranges "should be cluster-external IPs, since Pod IPs are ephemeral and
 *   unpredictable", and whether an ipBlock matches pod traffic is up to the plugin: some (Cilium for endpoints)
 *   do not, plugins that match packet addresses do. Option `ipBlockMatchesPods: true` gives the conservative answer
 *   for the latter: an ipBlock also matches a workload whose pods may hold an address inside its cidr and outside
 *   its excepts. A workload's possible addresses are the pod IPs in its running pods' status (`status.podIPs`,
 *   `status.podIP`) plus every address of the `podCidrs` option (any pod may be rescheduled onto any of them);
 *   workloads with neither match no ipBlock and are reported as coverage. The external ranges do not change with
 *   the mode. Rule PAL-NET-011 flags, in either mode, ipBlocks that overlap known pod IPs or a pod CIDR.
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
export type { NetpolFindingsOptions } from "./findings.js";
export { NETPOL_RULES, netpolFindings } from "./findings.js";
export {
  endpointText,
  formatConnectivityDot,
  formatConnectivityJsonChunks,
  formatConnectivityText,
  formatDiffText,
} from "./format.js";
export type { IpBlockPodOptions } from "./pod-addresses.js";
export { parsePodCidrs } from "./pod-addresses.js";
export type { ParsedPolicy, Peer, PolicyIssue, PolicyRule, PortSpec } from "./policy.js";
export { parseNetworkPolicy } from "./policy.js";
export type { ConnectionsJson, ConnSet, IntervalSet, Protocol } from "./ports.js";
