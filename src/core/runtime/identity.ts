/**
 * Service identity posture: for each observed workload-to-workload flow, whether it is covered by a NetworkPolicy
 * (the destination is isolated for ingress, or the source for egress: some policy of that type selects its pods)
 * and whether it was mutually authenticated (Hubble's `auth_type` set and not `DISABLED`, i.e. Cilium's mutual
 * authentication, https://docs.cilium.io/en/stable/network/servicemesh/mutual-authentication/), or by a service mesh
 * whose configuration is in the inventory (Istio PeerAuthentication and enrolment, Linkerd injection and policy:
 * see mesh.ts). The share of flows neither covered nor authenticated is the figure per destination namespace.
 */
import { cmp } from "../findings/index.js";
import type { Inventory } from "../inventory/index.js";
import { matchesSelector } from "../k8s/index.js";
import { type ParsedPolicy, parseNetworkPolicy } from "../netpol/index.js";
import type { WorkloadRef } from "./attribution.js";
import type { EnrichedEvent } from "./enrich.js";
import { workloadFactsKey } from "./enrich.js";
import { MeshIdentity, type MeshOptions } from "./mesh.js";

export interface IdentityNamespace {
  namespace: string;
  flows: number;
  covered: number;
  authenticated: number;
  /** Neither covered by a policy nor authenticated. */
  exposedFlows: number;
  /** exposedFlows / flows, rounded to 3 decimals. */
  exposedShare: number;
  /** Authenticated flows by what says so (a flow Hubble and a mesh both vouch for counts once, for Hubble). */
  authenticatedBy: { hubble: number; istio: number; linkerd: number };
  /** Flows to a destination whose mesh configuration accepts only authenticated clients on that port. */
  meshRequired: number;
}

export class IdentityTally {
  private readonly byNs = new Map<string, IdentityNamespace>();
  private readonly policies: ParsedPolicy[];
  private readonly isolation = new Map<string, { ingress: boolean; egress: boolean }>();
  private readonly mesh: MeshIdentity;
  unattributed = 0;

  constructor(
    private readonly inventory: Inventory,
    mesh: MeshOptions = {},
  ) {
    this.policies = inventory.networkPolicies.flatMap((o) => parseNetworkPolicy(o).policy ?? []);
    this.mesh = new MeshIdentity(inventory, mesh);
  }

  /** Mesh configuration that could not be read (it is ignored, not guessed). */
  get coverage() {
    return this.mesh.coverage;
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
    const hubble = ev.authType !== undefined && ev.authType !== "DISABLED";
    const mesh = this.mesh.flow(src, dst, ev.dst.port, ev.protocol);
    const authenticated = hubble || mesh.authenticated;
    let n = this.byNs.get(dst.namespace);
    if (!n) {
      n = {
        namespace: dst.namespace,
        flows: 0,
        covered: 0,
        authenticated: 0,
        exposedFlows: 0,
        exposedShare: 0,
        authenticatedBy: { hubble: 0, istio: 0, linkerd: 0 },
        meshRequired: 0,
      };
      this.byNs.set(dst.namespace, n);
    }
    n.flows++;
    if (covered) n.covered++;
    if (authenticated) n.authenticated++;
    if (hubble) n.authenticatedBy.hubble++;
    else if (mesh.by) n.authenticatedBy[mesh.by]++;
    if (mesh.required) n.meshRequired++;
    if (!covered && !authenticated) n.exposedFlows++;
  }

  list(): IdentityNamespace[] {
    return [...this.byNs.values()]
      .map((n) => ({
        ...n,
        authenticatedBy: { ...n.authenticatedBy },
        exposedShare: Math.round((n.exposedFlows / n.flows) * 1000) / 1000,
      }))
      .sort((a, b) => cmp(a.namespace, b.namespace));
  }
}
