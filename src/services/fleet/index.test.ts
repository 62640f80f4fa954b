import { describe, expect, it } from "vitest";
import { openStores, type SnapshotObject } from "../../adapters/store/index.js";
import type { ResourceRef } from "../../core/findings/index.js";
import { buildInventory } from "../../core/inventory/index.js";
import { buildImpactIndex, workloadUsages } from "../../core/lineage/index.js";
import { loadLineageState } from "../lineage/index.js";
import { loadFleetView } from "./index.js";

const NOW = new Date("2026-12-01T00:00:00.000Z");
const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

const template = (image: string, labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: "app", image }], initContainers: [{ name: "init", image: "busybox:1" }] },
});

/** A pod owned by `owner`, on `node`, running `digest` (or finished, or not yet reporting a status). */
function pod(
  ns: string,
  name: string,
  owner: { kind: string; name: string; uid: string; apiVersion: string } | undefined,
  opts: { node?: string; digest?: string; phase?: string; created?: string; image?: string },
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}`,
      labels: { app: owner?.name ?? name },
      creationTimestamp: opts.created ?? "2026-11-01T00:00:00Z",
      ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}),
    },
    spec: {
      ...(opts.node ? { nodeName: opts.node } : {}),
      containers: [{ name: "app", image: opts.image ?? "registry.example/web:1" }],
    },
    status: {
      phase: opts.phase ?? "Running",
      ...(opts.digest
        ? {
            containerStatuses: [{ name: "app", imageID: `registry.example/web@${opts.digest}` }],
            initContainerStatuses: [{ name: "init", imageID: `docker.io/library/busybox@${D2}` }],
          }
        : {}),
    },
  };
}

/**
 * One cluster's objects: a Deployment with its ReplicaSet and pods (running on two digests and two platforms, one
 * finished), pods whose ReplicaSet is absent (their workload stands on a member's template), a bare pod, a
 * LoadBalancer Service and the Nodes.
 */
function objects(): Record<string, unknown>[] {
  const rs = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d", uid: "uid-rs" };
  const gone = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "api-5c", uid: "uid-gone" };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { team: "payments" } } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop", uid: "uid-web" },
      spec: { replicas: 4, template: template("registry.example/web:1", { app: "web" }) },
    },
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: "web-7d",
        namespace: "shop",
        uid: "uid-rs",
        annotations: { "deployment.kubernetes.io/revision": "3" },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "uid-web", controller: true },
        ],
      },
      spec: { replicas: 4, template: template("registry.example/web:1", { app: "web" }) },
    },
    pod("shop", "web-7d-a", rs, { node: "n1", digest: D1 }),
    pod("shop", "web-7d-b", rs, { node: "n2", digest: D1 }),
    pod("shop", "web-7d-c", rs, { node: "n1", digest: D2 }),
    pod("shop", "web-7d-d", rs, { node: "n1", digest: D1, phase: "Succeeded" }),
    pod("shop", "api-5c-a", gone, { node: "n1", digest: D2, image: "registry.example/api:2" }),
    pod("shop", "api-5c-b", gone, {
      node: "n2",
      digest: D2,
      image: "registry.example/api:3",
      created: "2026-11-02T00:00:00Z",
    }),
    pod("shop", "api-5c-c", gone, { image: "registry.example/api:2", phase: "Pending" }),
    pod("shop", "debug", undefined, { node: "n2", digest: D1 }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "shop" },
      spec: { type: "LoadBalancer", selector: { app: "web" } },
    },
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n1" },
      status: { nodeInfo: { operatingSystem: "linux", architecture: "amd64" } },
    },
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n2", labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64" } },
    },
  ];
}

function snapshotObject(o: Record<string, unknown>): SnapshotObject {
  const m = o.metadata as { name: string; namespace?: string; uid?: string };
  const key: ResourceRef = {
    apiVersion: o.apiVersion as string,
    kind: o.kind as string,
    name: m.name,
    ...(m.namespace ? { namespace: m.namespace } : {}),
  };
  return { key, hash: JSON.stringify(o), ...(m.uid ? { uid: m.uid } : {}), object: o };
}

async function viewOf(order: Record<string, unknown>[]) {
  const stores = await openStores("memory:");
  try {
    await stores.snapshots.putSnapshot("prod", NOW, "all", order.map(snapshotObject));
    return await loadFleetView({ stores, now: () => NOW });
  } finally {
    await stores.close();
  }
}

describe("loadFleetView", () => {
  it("gives the index a whole, uncompacted inventory in key order gives, whatever order the store reads in", async () => {
    const all = objects();
    const stores = await openStores("memory:");
    let expected: ReturnType<typeof buildImpactIndex>;
    try {
      await stores.snapshots.putSnapshot("prod", NOW, "all", all.map(snapshotObject));
      const state = await loadLineageState(stores);
      const sorted = await stores.snapshots.objectsAt("prod", NOW);
      const inventory = buildInventory(
        sorted.map((v) => ({ object: v.object as Record<string, unknown>, cluster: "prod" })),
      );
      expected = buildImpactIndex(state.lineage, state.vulns, workloadUsages(inventory));
    } finally {
      await stores.close();
    }
    // The usages this fixture is about, so the comparison below cannot pass on empty indexes.
    expect(
      expected.workloads.map((w) => ({
        ref: `${w.ref.kind}/${w.ref.name}`,
        replicas: w.replicas,
        exposed: w.exposed,
        team: w.team,
        app: w.containers.find((c) => c.name === "app"),
      })),
    ).toEqual([
      {
        ref: "Deployment/web",
        replicas: 3,
        exposed: true,
        team: "payments",
        app: {
          name: "app",
          image: "registry.example/web:1",
          running: [
            { digest: D1, replicas: 1, platform: "linux/amd64" },
            { digest: D1, replicas: 1, platform: "linux/arm64" },
            { digest: D2, replicas: 1, platform: "linux/amd64" },
          ],
        },
      },
      {
        ref: "Pod/debug",
        replicas: 1,
        exposed: false,
        team: "payments",
        app: {
          name: "app",
          image: "registry.example/web:1",
          running: [{ digest: D1, replicas: 1, platform: "linux/arm64" }],
        },
      },
      {
        ref: "ReplicaSet/api-5c",
        replicas: 3,
        exposed: false,
        team: "payments",
        app: {
          name: "app",
          image: "registry.example/api:3",
          running: [
            { digest: D2, replicas: 1, platform: "linux/amd64" },
            { digest: D2, replicas: 1, platform: "linux/arm64" },
          ],
        },
      },
    ]);
    const inOrder = await viewOf(all);
    const reversed = await viewOf([...all].reverse());
    expect(inOrder.index).toEqual(expected);
    expect(reversed.index).toEqual(expected);
    expect(reversed.coverage).toEqual(inOrder.coverage);
    // The view keeps the index and the lineage state, not the inventory it was built from.
    expect(Object.keys(inOrder).sort()).toEqual(["clusters", "coverage", "index", "state"]);
  });
});
