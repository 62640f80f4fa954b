/**
 * Mutual authentication from service-mesh configuration in the inventory: Istio PeerAuthentication and sidecar (or
 * ambient) enrolment, Linkerd proxy injection and its inbound policy. For one observed flow between two workloads
 * it answers whether the connection was mutually authenticated by a mesh, and whether the destination's
 * configuration requires it.
 *
 * Istio (https://istio.io/latest/docs/reference/config/security/peer_authentication/,
 * https://istio.io/latest/docs/concepts/security/#peer-authentication):
 * - A PeerAuthentication without a selector in the root namespace (`istio-system` by default) is mesh-wide;
 *   without a selector elsewhere it is namespace-wide; with `selector.matchLabels` it applies to the matching
 *   workloads of its namespace. Selector policies in the root namespace are ignored (the reference says so).
 * - The most specific policy wins: workload, then namespace, then mesh. `UNSET` (or no `mtls`) inherits from the
 *   level above; with nothing set the mode is PERMISSIVE. When several policies of one level match, the oldest
 *   (creationTimestamp, then name) is used, as istiod does.
 * - `portLevelMtls` (keyed by the workload's container port, not the Service port) only applies in a policy with a
 *   selector; a port entry `UNSET` inherits the policy's own mode.
 * - STRICT accepts only mTLS; PERMISSIVE accepts both, and a client with a sidecar sends mTLS (auto mTLS); DISABLE
 *   turns it off. So a flow is authenticated when both pods are in the mesh and the destination's mode for the port
 *   is STRICT or PERMISSIVE; it is required when the mode is STRICT.
 * - In the mesh: the pod runs an `istio-proxy` container (the injected sidecar, or a native sidecar init
 *   container); without pods, the injection labels decide (a `false`/`disabled` label on the pod or namespace wins,
 *   then `sidecar.istio.io/inject: "true"`, `istio-injection: enabled` or an `istio.io/rev` label on the namespace).
 *   Ambient mode (`istio.io/dataplane-mode: ambient` on the namespace or pod, `none` on the pod opting out) is in
 *   the mesh: ztunnel carries the traffic over mTLS (HBONE).
 *
 * Linkerd (https://linkerd.io/2/features/automatic-mtls/, https://linkerd.io/2/reference/authorization-policy/):
 * - Meshed pods (a `linkerd-proxy` container, or without pods `linkerd.io/inject: enabled|ingress` on the pod
 *   template or, unless the pod says `disabled`, on the namespace) talk mTLS to each other automatically, except on
 *   ports that bypass the proxy (`config.linkerd.io/skip-inbound-ports` at the destination,
 *   `skip-outbound-ports` at the source; pod template or namespace annotation).
 * - Required: a Server selecting the destination pod and port is deny-by-default; the ServerAuthorizations
 *   (`spec.server.name` or `spec.server.selector`) and AuthorizationPolicies (`targetRef` the Server, or the
 *   Namespace) that authorize it decide. It is required when every one of them demands a mesh identity
 *   (`client.meshTLS`, or `requiredAuthenticationRefs` naming a MeshTLSAuthentication) and none lets
 *   unauthenticated clients in. Without a Server, the default inbound policy (the
 *   `config.linkerd.io/default-inbound-policy` annotation of the pod template, else the namespace, else the
 *   cluster default) requires it when it is `all-authenticated` or `cluster-authenticated`.
 */
import type { CoverageEntry } from "../findings/index.js";
import type { Inventory, KObject, Workload } from "../inventory/index.js";
import { matchesSelector, parseLabelSelector, type Selector } from "../k8s/index.js";
import type { WorkloadRef } from "./attribution.js";

export type IstioMode = "STRICT" | "PERMISSIVE" | "DISABLE";
const MODES: readonly string[] = ["UNSET", "STRICT", "PERMISSIVE", "DISABLE"];

export interface MeshAuthentication {
  /** Which mesh authenticated the connection, when one did. */
  by?: "istio" | "linkerd";
  authenticated: boolean;
  /** The destination's mesh configuration accepts only authenticated clients on this port. */
  required: boolean;
}

export interface MeshOptions {
  /** Istio's root namespace (mesh-wide policies). Default `istio-system`. */
  istioRootNamespace?: string;
  /** Linkerd's cluster-wide default inbound policy (`proxy.defaultInboundPolicy`). Default `all-unauthenticated`. */
  linkerdDefaultInboundPolicy?: string;
}

interface PeerAuth {
  namespace: string;
  name: string;
  created: string;
  selector?: Selector;
  mode: string;
  ports: Map<number, string>;
}

interface LinkerdServer {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  podSelector: Selector;
  port: string | number;
}

/** Authorization requirements: `mtls` demands a mesh identity, `open` lets unauthenticated clients in. */
type Authz = {
  namespace: string;
  server?: string;
  serverSelector?: Selector;
  allNamespace?: boolean;
  mtls: boolean;
};

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const rec = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const created = (o: KObject) => str(rec(o.raw.metadata)?.creationTimestamp) ?? "";
const group = (o: KObject) => o.ref.apiVersion.split("/")[0] ?? "";

/** `25,587,4190-4191` as a membership test. */
function portList(v: string | undefined): (p: number) => boolean {
  if (!v) return () => false;
  const ranges = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [a, b] = s.split("-").map(Number);
      return [a ?? Number.NaN, b ?? a ?? Number.NaN] as const;
    });
  return (p) => ranges.some(([a, b]) => p >= a && p <= b);
}

export class MeshIdentity {
  readonly coverage: CoverageEntry[] = [];
  private readonly peerAuths: PeerAuth[] = [];
  private readonly servers: LinkerdServer[] = [];
  private readonly authz: Authz[] = [];
  private readonly root: string;
  private readonly linkerdDefault: string;
  private readonly byRef = new Map<string, Workload>();

  constructor(
    readonly inventory: Inventory,
    options: MeshOptions = {},
  ) {
    this.root = options.istioRootNamespace ?? "istio-system";
    this.linkerdDefault = options.linkerdDefaultInboundPolicy ?? "all-unauthenticated";
    for (const w of inventory.workloads)
      this.byRef.set(`${w.ref.namespace ?? ""}/${w.ref.kind}/${w.ref.name}`, w);
    const meshTls = new Set<string>();
    for (const o of inventory.objects)
      if (group(o) === "policy.linkerd.io" && o.ref.kind === "MeshTLSAuthentication")
        meshTls.add(`${o.ref.namespace ?? ""}/${o.ref.name}`);
    for (const o of inventory.objects) {
      const g = group(o);
      const spec = rec(o.raw.spec) ?? {};
      const ns = o.ref.namespace ?? "";
      const where = `${o.ref.kind} ${ns}/${o.ref.name}`;
      if (g === "security.istio.io" && o.ref.kind === "PeerAuthentication") this.addPeerAuth(o, spec, where);
      else if (g === "policy.linkerd.io" && o.ref.kind === "Server") {
        const sel = parseLabelSelector(spec.podSelector, "nothing");
        const port = typeof spec.port === "number" || typeof spec.port === "string" ? spec.port : undefined;
        if (!sel.selector || port === undefined) {
          this.invalid(where, "spec.podSelector and spec.port are required");
          continue;
        }
        this.servers.push({
          namespace: ns,
          name: o.ref.name,
          labels: o.labels,
          podSelector: sel.selector,
          port,
        });
      } else if (g === "policy.linkerd.io" && o.ref.kind === "ServerAuthorization") {
        const server = rec(spec.server) ?? {};
        const client = rec(spec.client) ?? {};
        const sel =
          server.selector === undefined ? undefined : parseLabelSelector(server.selector, "nothing").selector;
        // `unauthenticated: true` lets any client in; `meshTLS` demands an identity (with or without names).
        const mtls = client.unauthenticated !== true && rec(client.meshTLS) !== undefined;
        this.authz.push({
          namespace: ns,
          ...(str(server.name) ? { server: str(server.name) as string } : {}),
          ...(sel ? { serverSelector: sel } : {}),
          mtls,
        });
      } else if (g === "policy.linkerd.io" && o.ref.kind === "AuthorizationPolicy") {
        const target = rec(spec.targetRef) ?? {};
        const refs = Array.isArray(spec.requiredAuthenticationRefs) ? spec.requiredAuthenticationRefs : [];
        const mtls = refs.some((r) => {
          const x = rec(r);
          return (
            x?.kind === "MeshTLSAuthentication" &&
            meshTls.has(`${str(x.namespace) ?? ns}/${str(x.name) ?? ""}`)
          );
        });
        if (target.kind === "Server")
          this.authz.push({ namespace: ns, server: str(target.name) ?? "", mtls });
        else if (target.kind === "Namespace") this.authz.push({ namespace: ns, allNamespace: true, mtls });
        // HTTPRoute and other targets authorize routes, not whole ports: left out of the port-level answer.
      }
    }
  }

  private invalid(where: string, why: string) {
    this.coverage.push({ reason: "invalid", message: `${where}: ${why}; ignored for mutual authentication` });
  }

  private addPeerAuth(o: KObject, spec: Record<string, unknown>, where: string) {
    const mode = str(rec(spec.mtls)?.mode) ?? "UNSET";
    if (!MODES.includes(mode))
      return this.invalid(where, `spec.mtls.mode ${JSON.stringify(mode)} is not a mode`);
    const labels = rec(rec(spec.selector)?.matchLabels);
    const ns = o.ref.namespace ?? "";
    let selector: Selector | undefined;
    if (labels && Object.keys(labels).length > 0) {
      if (ns === this.root) return; // ignored by istiod in the root namespace
      selector = parseLabelSelector({ matchLabels: labels }, "everything").selector;
      if (!selector) return this.invalid(where, "spec.selector.matchLabels is not a valid selector");
    }
    const ports = new Map<number, string>();
    for (const [k, v] of Object.entries(rec(spec.portLevelMtls) ?? {})) {
      const m = str(rec(v)?.mode) ?? "UNSET";
      const p = Number(k);
      if (!Number.isInteger(p) || p < 1 || p > 65535 || !MODES.includes(m)) {
        this.invalid(where, `spec.portLevelMtls.${k} is not a port with a mode`);
        continue;
      }
      ports.set(p, m);
    }
    this.peerAuths.push({
      namespace: ns,
      name: o.ref.name,
      created: created(o),
      ...(selector ? { selector } : {}),
      mode,
      ports,
    });
  }

  private workload(w: WorkloadRef): Workload | undefined {
    return this.byRef.get(`${w.namespace}/${w.kind}/${w.name}`);
  }

  private containersOf(w: Workload): Set<string> {
    const names = new Set<string>();
    const from = w.pods.length > 0 ? w.pods.map((p) => rec(p.raw.spec) ?? {}) : [];
    for (const spec of from)
      for (const key of ["containers", "initContainers"])
        for (const c of Array.isArray(spec[key]) ? (spec[key] as unknown[]) : [])
          if (str(rec(c)?.name)) names.add(str(rec(c)?.name) as string);
    return names;
  }

  /** Whether the workload is in Istio's mesh (sidecar or ambient). */
  inIstio(w: Workload): boolean {
    const ns = this.inventory.namespaces.get(w.ref.namespace ?? "");
    const nsl = ns?.labels ?? {};
    const pl = w.podLabels;
    if (pl["istio.io/dataplane-mode"] === "none") return false;
    if (pl["istio.io/dataplane-mode"] === "ambient" || nsl["istio.io/dataplane-mode"] === "ambient")
      return true;
    if (w.pods.length > 0) return this.containersOf(w).has("istio-proxy");
    const podInject = pl["sidecar.istio.io/inject"] ?? w.podAnnotations["sidecar.istio.io/inject"];
    if (podInject === "false" || nsl["istio-injection"] === "disabled") return false;
    return podInject === "true" || nsl["istio-injection"] === "enabled" || nsl["istio.io/rev"] !== undefined;
  }

  /** Whether the workload is meshed by Linkerd. */
  inLinkerd(w: Workload): boolean {
    if (w.pods.length > 0) return this.containersOf(w).has("linkerd-proxy");
    const own = w.podAnnotations["linkerd.io/inject"];
    if (own !== undefined) return own === "enabled" || own === "ingress";
    const ns = this.inventory.namespaces.get(w.ref.namespace ?? "")?.annotations["linkerd.io/inject"];
    return ns === "enabled" || ns === "ingress";
  }

  private linkerdConfig(w: Workload, key: string): string | undefined {
    return w.podAnnotations[key] ?? this.inventory.namespaces.get(w.ref.namespace ?? "")?.annotations[key];
  }

  /** Istio's effective mode for a workload and (container) port. */
  istioMode(w: Workload, port: number | undefined): IstioMode {
    const ns = w.ref.namespace ?? "";
    const oldest = (list: PeerAuth[]) =>
      list.sort((a, b) =>
        a.created < b.created ? -1 : a.created > b.created ? 1 : a.name < b.name ? -1 : 1,
      )[0];
    const workload = oldest(
      this.peerAuths.filter(
        (p) => p.namespace === ns && p.selector && matchesSelector(p.selector, w.podLabels),
      ),
    );
    const namespace = oldest(this.peerAuths.filter((p) => p.namespace === ns && !p.selector));
    const mesh = oldest(this.peerAuths.filter((p) => p.namespace === this.root && !p.selector));
    const chain = [
      port === undefined ? undefined : workload?.ports.get(port),
      workload?.mode,
      namespace?.mode,
      mesh?.mode,
    ];
    for (const m of chain) if (m && m !== "UNSET") return m as IstioMode;
    return "PERMISSIVE";
  }

  /** Whether Linkerd's policy for the destination port accepts only authenticated (meshed) clients. */
  linkerdRequired(w: Workload, port: number | undefined): boolean {
    const ns = w.ref.namespace ?? "";
    const named = new Map<string, number>();
    for (const c of w.podSpec.containers ?? [])
      for (const p of c.ports ?? []) if (p.name) named.set(p.name, p.containerPort);
    const server = this.servers.find(
      (s) =>
        s.namespace === ns &&
        matchesSelector(s.podSelector, w.podLabels) &&
        port !== undefined &&
        (typeof s.port === "number" ? s.port === port : named.get(s.port) === port),
    );
    if (!server) {
      const policy = this.linkerdConfig(w, "config.linkerd.io/default-inbound-policy") ?? this.linkerdDefault;
      return policy === "all-authenticated" || policy === "cluster-authenticated";
    }
    const applying = this.authz.filter(
      (a) =>
        a.namespace === ns &&
        (a.allNamespace === true ||
          a.server === server.name ||
          (a.serverSelector !== undefined && matchesSelector(a.serverSelector, server.labels))),
    );
    // No authorization: the Server denies everything (nothing gets in unauthenticated either).
    return applying.every((a) => a.mtls);
  }

  /** Mutual authentication of one TCP flow from `src` to `dst` on the destination's `port`. */
  flow(src: WorkloadRef, dst: WorkloadRef, port: number | undefined, protocol: string): MeshAuthentication {
    const s = this.workload(src);
    const d = this.workload(dst);
    if (!s || !d || protocol !== "TCP") return { authenticated: false, required: false };
    if (this.inIstio(d)) {
      const mode = this.istioMode(d, port);
      const required = mode === "STRICT";
      if (mode !== "DISABLE" && this.inIstio(s)) return { by: "istio", authenticated: true, required };
      return { authenticated: false, required };
    }
    if (this.inLinkerd(d)) {
      const required = this.linkerdRequired(d, port);
      const skipped =
        port !== undefined &&
        (portList(this.linkerdConfig(d, "config.linkerd.io/skip-inbound-ports"))(port) ||
          portList(this.linkerdConfig(s, "config.linkerd.io/skip-outbound-ports"))(port));
      if (!skipped && this.inLinkerd(s)) return { by: "linkerd", authenticated: true, required };
      return { authenticated: false, required: required && !skipped };
    }
    return { authenticated: false, required: false };
  }
}
