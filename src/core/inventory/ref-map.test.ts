import { describe, expect, it } from "vitest";
import { RefMap, UidMap } from "./ref-map.js";

describe("RefMap", () => {
  it("keys by cluster, namespace, kind and name; an absent cluster or namespace is the empty one", () => {
    const m = new RefMap<number>();
    m.set(undefined, "a", "Deployment", "web", 1);
    m.set("c1", "a", "Deployment", "web", 2);
    m.set(undefined, "a", "ReplicaSet", "web", 3);
    m.set(undefined, undefined, "Node", "n1", 4);
    expect(m.get(undefined, "a", "Deployment", "web")).toBe(1);
    expect(m.get("", "a", "Deployment", "web")).toBe(1);
    expect(m.get("c1", "a", "Deployment", "web")).toBe(2);
    expect(m.get(undefined, "a", "ReplicaSet", "web")).toBe(3);
    expect(m.get(undefined, "", "Node", "n1")).toBe(4);
    expect(m.get(undefined, "b", "Deployment", "web")).toBeUndefined();
    expect(m.get(undefined, "a", "Deployment", "api")).toBeUndefined();
    expect(m.has(undefined, "a", "Deployment", "web")).toBe(true);
    expect(m.has(undefined, "a", "StatefulSet", "web")).toBe(false);
  });

  it("a later value for a key replaces the earlier one, as Map.set does", () => {
    const m = new RefMap<string>();
    m.set(undefined, "a", "Pod", "p", "first");
    m.set(undefined, "a", "Pod", "p", "second");
    expect(m.get(undefined, "a", "Pod", "p")).toBe("second");
  });

  it("names that a joined key would confuse stay apart", () => {
    const m = new RefMap<number>();
    m.set(undefined, "a\u0000b", "Pod", "c", 1);
    m.set(undefined, "a", "b\u0000Pod", "c", 2);
    expect(m.get(undefined, "a\u0000b", "Pod", "c")).toBe(1);
    expect(m.get(undefined, "a", "b\u0000Pod", "c")).toBe(2);
  });
});

describe("UidMap", () => {
  it("keys by cluster and uid", () => {
    const m = new UidMap<number>();
    m.set(undefined, "u1", 1);
    m.set("c1", "u1", 2);
    m.set(undefined, "u1", 3);
    expect(m.get("", "u1")).toBe(3);
    expect(m.get("c1", "u1")).toBe(2);
    expect(m.get("c2", "u1")).toBeUndefined();
  });
});
