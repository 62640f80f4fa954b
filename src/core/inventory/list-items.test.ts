import { describe, expect, it } from "vitest";
import { isStringMap } from "../util/index.js";
import { buildInventory } from "./build.js";
import { inferListItemType, listItemKind } from "./list-items.js";
import { slimObject } from "./slim.js";

describe("inferListItemType (client-go decodeToList)", () => {
  it("gives items of a typed list the list's kind without `List` and the list's apiVersion", () => {
    const list = { kind: "DeploymentList", apiVersion: "apps/v1" };
    expect(inferListItemType(list, { metadata: { name: "web" }, spec: {} })).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {},
    });
  });

  it("keeps an item that names its kind or apiVersion (client-go infers only when both are empty)", () => {
    const list = { kind: "PodList", apiVersion: "v1" };
    const named = { apiVersion: "v1", kind: "Pod", metadata: { name: "a" } };
    expect(inferListItemType(list, named)).toBe(named);
    const half = { kind: "Pod", metadata: { name: "a" } };
    expect(inferListItemType(list, half)).toBe(half);
    const empty = { kind: "", apiVersion: "", metadata: { name: "a" } };
    expect(inferListItemType(list, empty)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "a" },
    });
  });

  it("infers nothing from the generic List or a list without an apiVersion", () => {
    const item = { metadata: { name: "a" } };
    expect(inferListItemType({ kind: "List", apiVersion: "v1" }, item)).toBe(item);
    expect(inferListItemType({ kind: "PodList" }, item)).toBe(item);
    expect(listItemKind("List")).toBeUndefined();
    expect(listItemKind("ClusterRoleBindingList")).toBe("ClusterRoleBinding");
    expect(listItemKind("Pod")).toBeUndefined();
  });

  it("buildInventory expands a typed list (as `kubectl get --raw` returns it) into typed objects", () => {
    const inv = buildInventory([
      {
        object: {
          kind: "PodList",
          apiVersion: "v1",
          metadata: { resourceVersion: "918273" },
          items: [
            {
              metadata: { name: "debug", namespace: "shop" },
              spec: { containers: [{ name: "c", image: "busybox" }] },
            },
          ],
        },
      },
      {
        object: {
          kind: "NamespaceList",
          apiVersion: "v1",
          metadata: { resourceVersion: "1" },
          items: [{ metadata: { name: "shop", labels: { team: "payments" } } }],
        },
      },
    ]);
    expect(inv.coverage).toEqual([]);
    expect(inv.objects.map((o) => o.ref)).toEqual([
      { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "debug" },
      { apiVersion: "v1", kind: "Namespace", name: "shop" },
    ]);
    expect(inv.workloads.map((w) => [w.kind, w.team])).toEqual([["Pod", "payments"]]);
  });
});

describe("slimObject", () => {
  it("drops managedFields, last-applied (not on Secrets), pod conditions and bulky container status", () => {
    const applied = { "kubectl.kubernetes.io/last-applied-configuration": "{}", keep: "1" };
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", managedFields: [{ manager: "x" }], annotations: applied },
      spec: {},
      status: {
        phase: "Running",
        podIP: "10.0.0.1",
        conditions: [{ type: "Ready" }],
        containerStatuses: [
          { name: "c", image: "i", imageID: "d", ready: true, restartCount: 0, state: { running: {} } },
        ],
      },
    };
    const before = structuredClone(pod);
    expect(slimObject(pod)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", annotations: { keep: "1" } },
      spec: {},
      status: {
        phase: "Running",
        podIP: "10.0.0.1",
        containerStatuses: [{ name: "c", image: "i", imageID: "d", ready: true, restartCount: 0 }],
      },
    });
    expect(pod).toEqual(before);
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", annotations: applied } };
    expect(slimObject(secret)).toEqual(secret);
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } };
    expect(slimObject(cm)).toBe(cm);
  });

  it("makes labels and annotations the maps the inventory keeps, so an object holds each once", () => {
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "a", labels: { app: "x", team: "t" }, annotations: { note: "n" } },
      data: { a: "b" },
    };
    const before = structuredClone(cm);
    const slim = slimObject(cm);
    expect(slim).toEqual(before);
    expect(JSON.stringify(slim)).toBe(JSON.stringify(before));
    expect(cm).toEqual(before);
    const meta = slim.metadata as Record<string, unknown>;
    expect(isStringMap(meta.labels) && isStringMap(meta.annotations)).toBe(true);
    const [o] = buildInventory([{ object: slim }]).objects;
    expect(o?.labels).toBe(meta.labels);
    expect(o?.annotations).toBe(meta.annotations);
    // No key is inherited from the map's prototype.
    expect(o?.labels.constructor).toBeUndefined();
    // A map with a value that is not a string stays as written (the inventory keeps its own, with "1").
    const odd = { ...cm, metadata: { name: "c", labels: { replicas: 1 } } };
    expect(slimObject(odd)).toBe(odd);
    expect(buildInventory([{ object: odd }]).objects[0]?.labels).toEqual({ replicas: "1" });
  });
});
