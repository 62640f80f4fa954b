import { describe, expect, it } from "vitest";
import {
  controllerRef,
  isWorkloadKind,
  lookupResourceName,
  POD_TEMPLATE_PATHS,
  parseApiVersion,
  primaryOwnerRef,
  resourceForKind,
  WORKLOAD_KINDS,
} from "./index.js";

describe("parseApiVersion (schema.ParseGroupVersion)", () => {
  it.each([
    ["v1", { group: "", version: "v1" }],
    ["apps/v1", { group: "apps", version: "v1" }],
    ["rbac.authorization.k8s.io/v1", { group: "rbac.authorization.k8s.io", version: "v1" }],
    ["", { group: "", version: "" }],
    ["a/b/c", undefined],
  ])("%j -> %j", (s, gv) => expect(parseApiVersion(s)).toEqual(gv));
});

describe("resource names", () => {
  it("resolves plural, singular and short names, and kind to resource", () => {
    expect(["deployments", "deployment", "deploy"].map((n) => lookupResourceName(n))).toEqual(
      Array(3).fill({ resource: "deployments", group: "apps", kind: "Deployment" }),
    );
    expect(resourceForKind("networking.k8s.io", "NetworkPolicy")).toEqual({
      resource: "networkpolicies",
      group: "networking.k8s.io",
      kind: "NetworkPolicy",
    });
    expect(resourceForKind("", "Deployment")).toBeUndefined();
    expect(lookupResourceName("constructor")).toBeUndefined();
  });
});

describe("workload kinds", () => {
  it("every workload kind has pod template paths", () => {
    for (const k of WORKLOAD_KINDS) expect(POD_TEMPLATE_PATHS[k]).toBeDefined();
    expect(isWorkloadKind("Deployment")).toBe(true);
    expect(isWorkloadKind("toString")).toBe(false);
  });
});

describe("owner references", () => {
  it("the first controller reference wins; without one, the first reference", () => {
    const a = { kind: "ReplicaSet", name: "a" };
    const b = { kind: "ReplicaSet", name: "b", controller: true };
    const c = { kind: "Deployment", name: "c", controller: true };
    expect(controllerRef([a, b, c])).toBe(b);
    expect(primaryOwnerRef([a, b, c])).toBe(b);
    expect(controllerRef([a])).toBeUndefined();
    expect(primaryOwnerRef([a])).toBe(a);
    expect(primaryOwnerRef([])).toBeUndefined();
  });
});
