/**
 * Host signals available without an agent: operating systems past end of life (osImage and a dated table),
 * kubelet configuration (KubeletConfiguration objects: a live read's `nodes/{name}/proxy/configz`, or a snapshot
 * that carries them), and privileged DaemonSets with host mounts (posture's findings) linked to the nodes they run
 * on.
 */
import {
  type CoverageEntry,
  cmp,
  type Finding,
  makeFinding,
  type ResourceRef,
  type RuleMeta,
} from "../findings/index.js";
import type { Inventory, KObject } from "../inventory/index.js";
import { asString, isRecord } from "../util/index.js";
import type { NodeInventory } from "./model.js";
import { osLifecycle } from "./tables.js";

/** Kind and apiVersion of the kubelet's configuration, as `configz` answers it (`{"kubeletconfig": {...}}`). */
export const KUBELET_CONFIG_KIND = {
  apiVersion: "kubelet.config.k8s.io/v1beta1",
  kind: "KubeletConfiguration",
} as const;

const meta = (
  id: string,
  title: string,
  severity: RuleMeta["severity"],
  rationale: string,
  remediation: string,
  cis?: string,
): RuleMeta => ({
  id,
  title,
  severity,
  category: "node",
  rationale,
  remediation,
  compliance: cis ? [{ framework: "cis", id: cis }] : [],
});

export const NODE_RULES: readonly RuleMeta[] = [
  meta(
    "PAL-NODE-001",
    "Node operating system past end of life",
    "high",
    "An OS release past the end of its security support gets no fixes for its kernel and packages.",
    "Move the node pool to a supported node image.",
  ),
  meta(
    "PAL-NODE-002",
    "Kubelet allows anonymous requests",
    "high",
    "authentication.anonymous.enabled lets unauthenticated clients reach the kubelet API (with AlwaysAllow: exec in any pod).",
    "Set authentication.anonymous.enabled: false in the kubelet configuration.",
    "4.2.1",
  ),
  meta(
    "PAL-NODE-003",
    "Kubelet read-only port enabled",
    "medium",
    "The read-only port (10255) serves pod specs and metrics without authentication.",
    "Set readOnlyPort: 0 in the kubelet configuration.",
    "4.2.4",
  ),
  meta(
    "PAL-NODE-004",
    "Kubelet authorizes every request",
    "critical",
    "authorization.mode AlwaysAllow lets any client the kubelet authenticates run commands in every pod of the node.",
    "Set authorization.mode: Webhook in the kubelet configuration.",
    "4.2.2",
  ),
];

const RULE = new Map(NODE_RULES.map((r) => [r.id, r]));

function finding(
  ruleId: string,
  resource: ResourceRef,
  fieldPath: string,
  evidence: string,
  message: string,
): Finding {
  const r = RULE.get(ruleId) as RuleMeta;
  return makeFinding({
    ruleId,
    title: r.title,
    severity: r.severity,
    resource,
    fieldPath,
    evidence,
    message,
    remediation: r.remediation,
    compliance: r.compliance,
    category: r.category,
  });
}

/** PAL-NODE-001: OS releases past their end of security support at `now`. */
export function osEolFindings(nodes: readonly NodeInventory[], now: Date): Finding[] {
  const out: Finding[] = [];
  const today = now.toISOString().slice(0, 10);
  for (const n of nodes) {
    const lc = osLifecycle(n.os);
    if (!lc || lc.eol >= today) continue;
    out.push(
      finding(
        "PAL-NODE-001",
        n.ref,
        "status.nodeInfo.osImage",
        n.os.osImage,
        `Node ${n.ref.name} runs ${lc.name}, past the end of its security support on ${lc.eol} (${lc.source})`,
      ),
    );
  }
  return out;
}

/** PAL-NODE-002..004 from KubeletConfiguration objects, and coverage for nodes whose configuration is unknown. */
export function kubeletConfigFindings(inv: Inventory): { findings: Finding[]; coverage: CoverageEntry[] } {
  const configs = new Map<string, KObject>();
  for (const o of inv.objects)
    if (o.ref.kind === KUBELET_CONFIG_KIND.kind) configs.set(`${o.cluster ?? ""}\u0000${o.ref.name}`, o);
  const findings: Finding[] = [];
  const unknown: string[] = [];
  for (const n of inv.nodes) {
    const cfg = configs.get(`${n.cluster ?? ""}\u0000${n.ref.name}`);
    if (!cfg) {
      unknown.push(n.ref.name);
      continue;
    }
    const c = cfg.raw;
    const auth = isRecord(c.authentication) ? c.authentication : {};
    const anon = isRecord(auth.anonymous) ? auth.anonymous.enabled : undefined;
    // KubeletConfiguration v1beta1 defaults are the safe ones (anonymous false, readOnlyPort 0, Webhook): only
    // a value that says otherwise fires. configz answers the effective configuration, every field set.
    if (anon === true)
      findings.push(
        finding(
          "PAL-NODE-002",
          n.ref,
          "kubeletconfig.authentication.anonymous.enabled",
          "true",
          `the kubelet of Node ${n.ref.name} accepts anonymous requests`,
        ),
      );
    const port = c.readOnlyPort;
    if (typeof port === "number" && port !== 0)
      findings.push(
        finding(
          "PAL-NODE-003",
          n.ref,
          "kubeletconfig.readOnlyPort",
          String(port),
          `the kubelet of Node ${n.ref.name} serves the unauthenticated read-only port ${port}`,
        ),
      );
    const authz = isRecord(c.authorization) ? asString(c.authorization.mode) : undefined;
    if (authz === "AlwaysAllow")
      findings.push(
        finding(
          "PAL-NODE-004",
          n.ref,
          "kubeletconfig.authorization.mode",
          authz,
          `the kubelet of Node ${n.ref.name} authorizes every request (AlwaysAllow)`,
        ),
      );
  }
  const coverage: CoverageEntry[] = [];
  if (unknown.length > 0) {
    unknown.sort(cmp);
    coverage.push({
      reason: "missing",
      subject: "kubelet configuration",
      kind: "Node",
      message: `kubelet configuration of ${unknown.length} node(s) not read (e.g. ${unknown.slice(0, 3).join(", ")}): a live read asks nodes/{name}/proxy/configz (needs RBAC get on nodes/proxy); a snapshot may carry KubeletConfiguration objects named after their nodes`,
    });
  }
  return { findings, coverage };
}

/** Rule ids of posture findings that, on one DaemonSet, make it a privileged host-mounting agent. */
const PRIVILEGED_RULES = new Set(["PAL-POD-001", "PAL-POD-028"]);
const HOST_MOUNT_RULES = new Set(["PAL-POD-006", "PAL-POD-007", "PAL-POD-008", "PAL-POD-039"]);

/** A privileged DaemonSet with host mounts, and the nodes its pods run on. */
export interface HostAccessLink {
  daemonSet: ResourceRef;
  cluster?: string | undefined;
  /** Posture rules that found it (sorted). */
  rules: string[];
  /** Nodes its pods are scheduled on (spec.nodeName), sorted; empty when the input has none of its pods. */
  nodes: string[];
}

/** Link posture's privileged, host-mounting DaemonSets to the nodes their pods run on. */
export function hostAccessLinks(inv: Inventory, posture: readonly Finding[]): HostAccessLink[] {
  const rulesBy = new Map<string, Set<string>>();
  const key = (r: ResourceRef) => `${r.namespace ?? ""}\u0000${r.name}`;
  for (const f of posture) {
    const w = f.workload ?? f.resource;
    if (w.kind !== "DaemonSet") continue;
    if (!PRIVILEGED_RULES.has(f.ruleId) && !HOST_MOUNT_RULES.has(f.ruleId)) continue;
    const s = rulesBy.get(key(w)) ?? new Set<string>();
    s.add(f.ruleId);
    rulesBy.set(key(w), s);
  }
  const out: HostAccessLink[] = [];
  for (const w of inv.workloads) {
    if (w.kind !== "DaemonSet") continue;
    const rules = rulesBy.get(key(w.ref));
    if (!rules) continue;
    const list = [...rules];
    if (!list.some((r) => PRIVILEGED_RULES.has(r)) || !list.some((r) => HOST_MOUNT_RULES.has(r))) continue;
    const nodes = new Set<string>();
    for (const p of w.pods) {
      const spec = isRecord(p.raw.spec) ? p.raw.spec : {};
      const nodeName = asString(spec.nodeName);
      if (nodeName) nodes.add(nodeName);
    }
    const link: HostAccessLink = { daemonSet: w.ref, rules: list.sort(cmp), nodes: [...nodes].sort(cmp) };
    if (w.object.cluster !== undefined) link.cluster = w.object.cluster;
    out.push(link);
  }
  return out.sort(
    (a, b) =>
      cmp(a.cluster ?? "", b.cluster ?? "") ||
      cmp(a.daemonSet.namespace ?? "", b.daemonSet.namespace ?? "") ||
      cmp(a.daemonSet.name, b.daemonSet.name),
  );
}
