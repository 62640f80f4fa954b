import { describe, expect, it } from "vitest";
import { buildInventory } from "../inventory/index.js";
import { type EnrichedEvent, IdentityTally, MeshIdentity, type MeshOptions } from "./index.js";

/** Objects shaped as the API server returns them (CRDs as their controllers' docs define them). */
const namespace = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels }, annotations },
});

interface AppOpts {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Sidecar containers of its running pod; without it the workload has no pods in the snapshot. */
  sidecars?: string[];
  ports?: { name: string; containerPort: number }[];
}

function app(ns: string, name: string, o: AppOpts = {}) {
  const labels = { app: name, ...(o.labels ?? {}) };
  const containers = [{ name, image: `registry.example/${name}:1`, ports: o.ports ?? [] }];
  const out: Record<string, unknown>[] = [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns, uid: `d-${ns}-${name}` },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels, annotations: o.annotations ?? {} }, spec: { containers } },
      },
    },
  ];
  if (o.sidecars) {
    out.push({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${name}-6b7c`,
        namespace: ns,
        uid: `rs-${ns}-${name}`,
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "Deployment", name, uid: `d-${ns}-${name}`, controller: true },
        ],
      },
      spec: { template: { metadata: { labels }, spec: { containers } } },
    });
    out.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${name}-6b7c-x1`,
        namespace: ns,
        uid: `p-${ns}-${name}`,
        labels,
        annotations: o.annotations ?? {},
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: `${name}-6b7c`,
            uid: `rs-${ns}-${name}`,
            controller: true,
          },
        ],
      },
      spec: {
        // istio-proxy as a native sidecar (an init container with restartPolicy Always), linkerd-proxy as a container.
        initContainers: o.sidecars.includes("istio-proxy")
          ? [
              { name: "istio-init", image: "istio/proxyv2" },
              { name: "istio-proxy", image: "istio/proxyv2", restartPolicy: "Always" },
            ]
          : [],
        containers: [
          ...containers,
          ...o.sidecars
            .filter((s) => s !== "istio-proxy")
            .map((s) => ({ name: s, image: `cr.l5d.io/linkerd/proxy` })),
        ],
      },
      status: { phase: "Running", podIP: "10.1.0.1" },
    });
  }
  return out;
}

const peerAuth = (
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  created = "2026-01-01T00:00:00Z",
  apiVersion = "security.istio.io/v1",
) => ({
  apiVersion,
  kind: "PeerAuthentication",
  metadata: { name, namespace: ns, creationTimestamp: created },
  spec,
});

const mesh = (objects: Record<string, unknown>[], o: MeshOptions = {}) =>
  new MeshIdentity(buildInventory(objects.map((object) => ({ object }))), o);

const W = (ns: string, name: string) => ({ kind: "Deployment", namespace: ns, name });

describe("MeshIdentity: Istio PeerAuthentication", () => {
  const base = [
    namespace("istio-system"),
    namespace("shop", { "istio-injection": "enabled" }),
    ...app("shop", "web", { sidecars: ["istio-proxy"] }),
    ...app("shop", "finance", { sidecars: ["istio-proxy"] }),
    ...app("shop", "legacy", { sidecars: [] }), // no sidecar: injected before the namespace was labelled
  ];
  const flow = (m: MeshIdentity, src: string, dst: string, port: number) =>
    m.flow(W("shop", src), W("shop", dst), port, "TCP");

  it("without any policy: PERMISSIVE, so two sidecars talk mTLS (auto mTLS) and nothing requires it", () => {
    const m = mesh(base);
    expect(flow(m, "web", "finance", 8080)).toEqual({ by: "istio", authenticated: true, required: false });
    // A client without a sidecar sends plaintext, which PERMISSIVE accepts.
    expect(flow(m, "legacy", "finance", 8080)).toEqual({ authenticated: false, required: false });
    expect(m.flow(W("shop", "web"), W("shop", "finance"), 53, "UDP")).toEqual({
      authenticated: false,
      required: false,
    });
  });

  it("resolves mesh, namespace, workload and port levels; UNSET inherits; portLevelMtls only under a selector", () => {
    const objects = [
      ...base,
      peerAuth("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuth("shop", "default", {
        mtls: { mode: "PERMISSIVE" },
        portLevelMtls: { 9090: { mode: "STRICT" } },
      }),
      peerAuth("shop", "finance", {
        selector: { matchLabels: { app: "finance" } },
        mtls: { mode: "STRICT" },
        portLevelMtls: { 8080: { mode: "DISABLE" }, 8443: { mode: "UNSET" } },
      }),
    ];
    const m = mesh(objects);
    const finance = m.inventory.workloads.find((w) => w.ref.name === "finance");
    const web = m.inventory.workloads.find((w) => w.ref.name === "web");
    if (!finance || !web) throw new Error("fixture");
    expect(m.istioMode(finance, 8080)).toBe("DISABLE");
    expect(m.istioMode(finance, 8443)).toBe("STRICT"); // port UNSET: the policy's own mode
    expect(m.istioMode(finance, 5432)).toBe("STRICT");
    // Namespace-wide PERMISSIVE beats the mesh's STRICT; its portLevelMtls is ignored (no selector).
    expect(m.istioMode(web, 9090)).toBe("PERMISSIVE");
    expect(flow(m, "web", "finance", 8080)).toEqual({ authenticated: false, required: false });
    expect(flow(m, "web", "finance", 5432)).toEqual({ by: "istio", authenticated: true, required: true });
    // STRICT with a client outside the mesh: required (the sidecar refuses it), not authenticated.
    expect(flow(m, "legacy", "finance", 5432)).toEqual({ authenticated: false, required: true });

    // Without the namespace policy the mesh-wide STRICT applies; a workload policy of mode UNSET inherits it.
    const inherit = mesh([
      ...base,
      peerAuth("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuth("shop", "web", {
        selector: { matchLabels: { app: "web" } },
        portLevelMtls: { 8080: { mode: "DISABLE" } },
      }),
    ]);
    const web2 = inherit.inventory.workloads.find((w) => w.ref.name === "web");
    if (!web2) throw new Error("fixture");
    expect([inherit.istioMode(web2, 8080), inherit.istioMode(web2, 80)]).toEqual(["DISABLE", "STRICT"]);
  });

  it("takes the oldest of competing policies, ignores selector policies in the root namespace, and reports invalid ones", () => {
    const m = mesh(
      [
        ...base,
        peerAuth("shop", "newer", { mtls: { mode: "DISABLE" } }, "2026-06-01T00:00:00Z"),
        peerAuth("shop", "older", { mtls: { mode: "STRICT" } }, "2026-02-01T00:00:00Z"),
        // A selector policy in the root namespace is ignored: mesh-root/gw gets the mesh-wide STRICT.
        namespace("mesh-root"),
        ...app("mesh-root", "gw", { sidecars: ["istio-proxy"] }),
        peerAuth("mesh-root", "scoped", {
          selector: { matchLabels: { app: "gw" } },
          mtls: { mode: "DISABLE" },
        }),
        peerAuth("shop", "typo", { selector: { matchLabels: { app: "legacy" } }, mtls: { mode: "STRIKT" } }),
        // The v1beta1 API is the same resource.
        peerAuth(
          "mesh-root",
          "default",
          { mtls: { mode: "STRICT" } },
          undefined,
          "security.istio.io/v1beta1",
        ),
      ],
      { istioRootNamespace: "mesh-root" },
    );
    expect(flow(m, "web", "finance", 80)).toEqual({ by: "istio", authenticated: true, required: true });
    expect(m.flow(W("shop", "web"), W("mesh-root", "gw"), 80, "TCP")).toEqual({
      by: "istio",
      authenticated: true,
      required: true,
    });
    expect(m.coverage).toEqual([
      {
        reason: "invalid",
        message:
          'PeerAuthentication shop/typo: spec.mtls.mode "STRIKT" is not a mode; ignored for mutual authentication',
      },
    ]);
  });

  it("decides enrolment from the pods' sidecars, else from injection labels; ambient namespaces are in the mesh", () => {
    const m = mesh([
      namespace("a", { "istio-injection": "enabled" }),
      namespace("b", { "istio.io/rev": "1-24" }),
      namespace("c", { "istio.io/dataplane-mode": "ambient" }),
      namespace("d"),
      ...app("a", "in"),
      ...app("a", "out", { labels: { "sidecar.istio.io/inject": "false" } }),
      ...app("b", "rev"),
      ...app("c", "amb"),
      ...app("c", "opted-out", { labels: { "istio.io/dataplane-mode": "none" } }),
      ...app("d", "asked", { labels: { "sidecar.istio.io/inject": "true" } }),
      ...app("d", "plain"),
    ]);
    const enrolled = m.inventory.workloads
      .filter((w) => m.inIstio(w))
      .map((w) => `${w.ref.namespace}/${w.ref.name}`)
      .sort();
    expect(enrolled).toEqual(["a/in", "b/rev", "c/amb", "d/asked"]);
  });
});

describe("MeshIdentity: Linkerd", () => {
  const base = [
    namespace("shop", {}, { "linkerd.io/inject": "enabled" }),
    ...app("shop", "web", { sidecars: ["linkerd-proxy"] }),
    ...app("shop", "db", { sidecars: ["linkerd-proxy"], ports: [{ name: "postgres", containerPort: 5432 }] }),
    ...app("shop", "cron", { sidecars: [] }),
  ];
  const flow = (m: MeshIdentity, src: string, dst: string, port: number) =>
    m.flow(W("shop", src), W("shop", dst), port, "TCP");

  it("meshed pods talk mTLS automatically; the default policy (all-unauthenticated) does not require it", () => {
    const m = mesh(base);
    expect(flow(m, "web", "db", 5432)).toEqual({ by: "linkerd", authenticated: true, required: false });
    expect(flow(m, "cron", "db", 5432)).toEqual({ authenticated: false, required: false });
  });

  it("a default inbound policy of cluster-authenticated (namespace annotation, or the cluster's) requires it", () => {
    const annotated = [
      namespace(
        "shop",
        {},
        {
          "linkerd.io/inject": "enabled",
          "config.linkerd.io/default-inbound-policy": "cluster-authenticated",
        },
      ),
      ...base.slice(1),
    ];
    expect(flow(mesh(annotated), "web", "db", 5432)).toEqual({
      by: "linkerd",
      authenticated: true,
      required: true,
    });
    expect(
      flow(mesh(base, { linkerdDefaultInboundPolicy: "all-authenticated" }), "cron", "db", 5432),
    ).toEqual({
      authenticated: false,
      required: true,
    });
  });

  const server = {
    apiVersion: "policy.linkerd.io/v1beta3",
    kind: "Server",
    metadata: { name: "db-postgres", namespace: "shop", labels: { tier: "data" } },
    spec: { podSelector: { matchLabels: { app: "db" } }, port: "postgres", proxyProtocol: "opaque" },
  };
  const meshTls = {
    apiVersion: "policy.linkerd.io/v1alpha1",
    kind: "MeshTLSAuthentication",
    metadata: { name: "web-only", namespace: "shop" },
    spec: { identityRefs: [{ kind: "ServiceAccount", name: "web" }] },
  };
  const authPolicy = {
    apiVersion: "policy.linkerd.io/v1alpha1",
    kind: "AuthorizationPolicy",
    metadata: { name: "db-postgres", namespace: "shop" },
    spec: {
      targetRef: { group: "policy.linkerd.io", kind: "Server", name: "db-postgres" },
      requiredAuthenticationRefs: [
        { group: "policy.linkerd.io", kind: "MeshTLSAuthentication", name: "web-only" },
      ],
    },
  };

  it("a Server on the named port with an AuthorizationPolicy naming a MeshTLSAuthentication requires it", () => {
    const m = mesh([...base, server, meshTls, authPolicy]);
    expect(flow(m, "web", "db", 5432)).toEqual({ by: "linkerd", authenticated: true, required: true });
    // Other ports of db are not behind the Server: the default policy applies.
    expect(flow(m, "web", "db", 9090).required).toBe(false);
  });

  it("a ServerAuthorization that lets unauthenticated clients in (by server selector) makes it not required", () => {
    const open = {
      apiVersion: "policy.linkerd.io/v1beta1",
      kind: "ServerAuthorization",
      metadata: { name: "db-any", namespace: "shop" },
      spec: { server: { selector: { matchLabels: { tier: "data" } } }, client: { unauthenticated: true } },
    };
    const meshOnly = {
      apiVersion: "policy.linkerd.io/v1beta1",
      kind: "ServerAuthorization",
      metadata: { name: "db-mesh", namespace: "shop" },
      spec: { server: { name: "db-postgres" }, client: { meshTLS: { serviceAccounts: [{ name: "web" }] } } },
    };
    expect(flow(mesh([...base, server, meshOnly]), "web", "db", 5432).required).toBe(true);
    expect(flow(mesh([...base, server, meshOnly, open]), "web", "db", 5432).required).toBe(false);
  });

  it("ports that skip the proxy are not authenticated; without pods, the inject annotation decides", () => {
    const skipped = [
      ...base.slice(0, 1),
      ...app("shop", "web", { sidecars: ["linkerd-proxy"] }),
      ...app("shop", "db", {
        sidecars: ["linkerd-proxy"],
        annotations: { "config.linkerd.io/skip-inbound-ports": "25,5400-5500" },
      }),
    ];
    expect(flow(mesh(skipped), "web", "db", 5432)).toEqual({ authenticated: false, required: false });
    expect(flow(mesh(skipped), "web", "db", 8080).authenticated).toBe(true);
    const m = mesh([
      namespace("shop", {}, { "linkerd.io/inject": "enabled" }),
      namespace("ops"),
      ...app("shop", "a"),
      ...app("shop", "b", { annotations: { "linkerd.io/inject": "disabled" } }),
      ...app("ops", "c", { annotations: { "linkerd.io/inject": "enabled" } }),
      ...app("ops", "d"),
    ]);
    expect(
      m.inventory.workloads
        .filter((w) => m.inLinkerd(w))
        .map((w) => w.ref.name)
        .sort(),
    ).toEqual(["a", "c"]);
  });
});

describe("IdentityTally with mesh configuration", () => {
  it("counts flows authenticated by Hubble, Istio or Linkerd, and those whose destination requires mTLS, per namespace", () => {
    const inv = buildInventory(
      [
        namespace("istio-system"),
        namespace("shop"),
        namespace("ops", {}, { "linkerd.io/inject": "enabled" }),
        ...app("shop", "web", { sidecars: ["istio-proxy"] }),
        ...app("shop", "db", { sidecars: ["istio-proxy"] }),
        ...app("shop", "cron", { sidecars: [] }),
        ...app("ops", "agent", { sidecars: ["linkerd-proxy"] }),
        ...app("ops", "store", { sidecars: ["linkerd-proxy"] }),
        peerAuth("shop", "db", { selector: { matchLabels: { app: "db" } }, mtls: { mode: "STRICT" } }),
      ].map((object) => ({ object })),
    );
    const tally = new IdentityTally(inv);
    let line = 0;
    const flow = (
      src: [string, string],
      dst: [string, string],
      port: number,
      authType?: string,
    ): EnrichedEvent => ({
      event: {
        kind: "flow",
        source: "hubble",
        file: "f",
        line: ++line,
        time: 0,
        severity: "info",
        src: { ip: "10.0.0.1", port: 40000 },
        dst: { ip: "10.0.0.2", port },
        protocol: "TCP",
        verdict: "FORWARDED",
        evidence: "e",
        ...(authType ? { authType } : {}),
      },
      src: { kind: "workload", ip: "10.0.0.1", workload: W(...src) },
      dst: { kind: "workload", ip: "10.0.0.2", workload: W(...dst) },
    });
    tally.add(flow(["shop", "web"], ["shop", "db"], 5432)); // istio, STRICT
    tally.add(flow(["shop", "cron"], ["shop", "db"], 5432)); // required, not authenticated
    tally.add(flow(["shop", "cron"], ["shop", "web"], 8080)); // neither
    tally.add(flow(["shop", "cron"], ["shop", "web"], 8080, "SPIRE")); // hubble
    tally.add(flow(["ops", "agent"], ["ops", "store"], 7000)); // linkerd
    expect(tally.list()).toEqual([
      {
        namespace: "ops",
        flows: 1,
        covered: 0,
        authenticated: 1,
        exposedFlows: 0,
        exposedShare: 0,
        authenticatedBy: { hubble: 0, istio: 0, linkerd: 1 },
        meshRequired: 0,
      },
      {
        namespace: "shop",
        flows: 4,
        covered: 0,
        authenticated: 2,
        exposedFlows: 2,
        exposedShare: 0.5,
        authenticatedBy: { hubble: 1, istio: 1, linkerd: 0 },
        meshRequired: 2,
      },
    ]);
  });
});
