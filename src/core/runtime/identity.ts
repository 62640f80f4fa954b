/**
 * Service identity posture: for each observed workload-to-workload flow, whether it is covered by a NetworkPolicy
 * (the destination is isolated for ingress, or the source for egress: some policy of that type selects its pods)
 * and whether it was mutually authenticated (Hubble's `auth_type` set and not `DISABLED`, i.e. Cilium's mutual
 * authentication, https://docs.cilium.io/en/stable/network/servicemesh/mutual-authentication/). The share of flows
 * neither covered nor authenticated is the figure per destination namespace.
 */
import { cmp } from "../findings/index.js";
import type { Inventory } from "../inventory/index.js";
import { matchesSelector } from "../k8s/index.js";
import { type ParsedPolicy, parseNetworkPolicy } from "../netpol/index.js";
import type { WorkloadRef } from "./attribution.js";
import type { EnrichedEvent } from "./enrich.js";
import { workloadFactsKey } from "./enrich.js";

export interface IdentityNamespace {
  namespace: string;
  flows: number;
  covered: number;
  authenticated: number;
  /** Neither covered by a policy nor authenticated. */
  exposedFlows: number;
  /** exposedFlows / flows, rounded to 3 decimals. */
  exposedShare: number;
}

export class IdentityTally {
  private readonly byNs = new Map<string, IdentityNamespace>();
  private readonly policies: ParsedPolicy[];
  private readonly isolation = new Map<string, { ingress: boolean; egress: boolean }>();
  unattributed = 0;

  constructor(private readonly inventory: Inventory) {
    this.policies = inventory.networkPolicies.flatMap((o) => parseNetworkPolicy(o).policy ?? []);
  }

  private isolated(w: WorkloadRef): { ingress: boolean; egress: boolean } {
    const key = workloadFactsKey(w);
    const hit = this.isolation.get(key);
    if (hit) return hit;
    const wl = this.inventory.workloads.find(
      (x) => x.ref.kind === w.kind && (x.ref.namespace ?? "") === w.namespace && x.ref.name === w.name,
    );
    const out = { ingress: false, egress: false };
    if (wl)
      for (const p of this.policies)
        if (p.namespace === w.namespace && matchesSelector(p.podSelector, wl.podLabels)) {
          out.ingress ||= p.isolates.ingress;
          out.egress ||= p.isolates.egress;
        }
    this.isolation.set(key, out);
    return out;
  }

  add(e: EnrichedEvent): void {
    const ev = e.event;
    if (ev.kind !== "flow") return;
    const src = e.src?.workload;
    const dst = e.dst?.workload;
    if (!src || !dst) {
      this.unattributed++;
      return;
    }
    const covered = this.isolated(dst).ingress || this.isolated(src).egress;
    const authenticated = ev.authType !== undefined && ev.authType !== "DISABLED";
    let n = this.byNs.get(dst.namespace);
    if (!n) {
      n = {
        namespace: dst.namespace,
        flows: 0,
        covered: 0,
        authenticated: 0,
        exposedFlows: 0,
        exposedShare: 0,
      };
      this.byNs.set(dst.namespace, n);
    }
    n.flows++;
    if (covered) n.covered++;
    if (authenticated) n.authenticated++;
    if (!covered && !authenticated) n.exposedFlows++;
  }

  list(): IdentityNamespace[] {
    return [...this.byNs.values()]
      .map((n) => ({ ...n, exposedShare: Math.round((n.exposedFlows / n.flows) * 1000) / 1000 }))
      .sort((a, b) => cmp(a.namespace, b.namespace));
  }
}
