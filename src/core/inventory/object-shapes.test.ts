/**
 * What a large inventory holds per object depends on V8's object layout (issue: scale): fields given when an
 * object is made sit inside it, fields added later (or past the fourth of an object built field by field, or made
 * by JSON.parse) in a separate backing store, about 40 bytes more per object. The objects every snapshot object
 * keeps are made in one shape: the same hidden class ("map") as an object literal of the same fields, which V8
 * makes with every field inside the object. Checked with V8's own %HaveSameMap (natives syntax, for this test only).
 */
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { buildInventory, compactMember } from "./build.js";

setFlagsFromString("--allow-natives-syntax");
const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (
  a: unknown,
  b: unknown,
) => boolean;

describe("object shapes of a scan's inventory", () => {
  it("an inventory object is made with all its fields, absent ones undefined", () => {
    const [o] = buildInventory(
      [{ object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n" } } }],
      { compactMembers: "scan" },
    ).objects;
    expect(Object.keys(o ?? {})).toEqual([
      "ref",
      "uid",
      "labels",
      "annotations",
      "raw",
      "source",
      "cluster",
      "origin",
      "ownerReferences",
    ]);
    const literal = {
      ref: 1,
      uid: 1,
      labels: 1,
      annotations: 1,
      raw: 1,
      source: 1,
      cluster: 1,
      origin: 1,
      ownerReferences: 1,
    };
    expect(haveSameMap(o, literal)).toBe(true);
  });

  it("the usual top level of an object (without bookkeeping, or a compacted member) keeps its five fields inside", () => {
    const raw = JSON.parse(
      '{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"n","uid":"u"},"spec":{},"status":{}}',
    );
    const [svc] = buildInventory([{ object: raw }], { compactMembers: "scan" }).objects;
    expect(Object.keys(svc?.raw ?? {})).toEqual(["apiVersion", "kind", "metadata", "spec", "status"]);
    expect(svc?.raw.metadata).toEqual({ name: "s", namespace: "n" });
    expect(haveSameMap(svc?.raw, { apiVersion: 1, kind: 1, metadata: 1, spec: 1, status: 1 })).toBe(true);
    const pod = compactMember(
      JSON.parse(
        '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}}',
      ),
      true,
    );
    // A member's fields keep compactMember's order: status before spec.
    expect(Object.keys(pod)).toEqual(["apiVersion", "kind", "metadata", "status", "spec"]);
    expect(haveSameMap(pod, { apiVersion: 1, kind: 1, metadata: 1, status: 1, spec: 1 })).toBe(true);
    // Other top levels keep their fields and order.
    const odd = compactMember(
      { kind: "Pod", apiVersion: "v1", spec: { nodeName: "n1" }, metadata: { name: "p" } },
      true,
    );
    expect(Object.keys(odd)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
  });
});
