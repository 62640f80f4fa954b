/**
 * Cluster infrastructure: node components (kubelet, kube-proxy, container runtime, bundled runc, kernel), OS and
 * managed pool per Node, the control plane's version; their vulnerabilities through the OSV matcher, an upgrade
 * plan, host hardening signals, and `vuln impact` through the nodes to the workloads scheduled there. Pure.
 */
export type { HostAccessLink } from "./hardening.js";
export {
  hostAccessLinks,
  KUBELET_CONFIG_KIND,
  kubeletConfigFindings,
  NODE_RULES,
  osEolFindings,
} from "./hardening.js";
export type { InfraImpact } from "./impact.js";
export { formatInfraImpact, infraImpact } from "./impact.js";
export { buildInfraInventory, CLUSTER_VERSION_KIND, COMPONENT_PACKAGES } from "./inventory.js";
export { kernelComponent } from "./kernel.js";
export type { InfraMatchResult, InfraVulnFinding } from "./match.js";
export { infraQueryKeys, matchInfra, upgradeAdvice } from "./match.js";
export type {
  AdvisoryPackage,
  ComponentRole,
  ControlPlane,
  ControlPlaneSource,
  InfraInventory,
  NodeComponent,
  NodeInventory,
  NodePool,
} from "./model.js";
export type { UpgradeStep } from "./plan.js";
export { buildUpgradePlan } from "./plan.js";
export type { NodeReportEntry, NodesReport, NodesReportOptions } from "./report.js";
export {
  analyzeNodes,
  asScanFinding,
  buildNodesReport,
  formatNodesJson,
  formatNodesTable,
  NODES_REPORT_SCHEMA,
  nodesFailAt,
} from "./report.js";
export type { NodeOs, OsLifecycle } from "./tables.js";
export {
  bundledRunc,
  CONTAINERD_RUNC,
  CONTAINERD_RUNC_SOURCES,
  containerdBundling,
  OS_LIFECYCLE,
  osLifecycle,
  parseOsImage,
} from "./tables.js";
export type { ComponentVersion } from "./versions.js";
export { compareUpstream, parseComponentVersion, splitRuntimeVersion } from "./versions.js";
