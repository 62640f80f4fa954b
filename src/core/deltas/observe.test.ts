import { describe, expect, it } from "vitest";
import { REDACTED_VALUE } from "../inventory/index.js";
import { backoffDelay, observedDelta } from "./index.js";

const SECRET = { apiVersion: "v1", kind: "Secret", namespaced: true };
const POD = { apiVersion: "v1", kind: "Pod", namespaced: true };

describe("observedDelta", () => {
  it("an upsert carries the object typed from its kind, without managedFields", () => {
    const d = observedDelta("prod", "upsert", POD, {
      metadata: {
        name: "web",
        namespace: "shop",
        uid: "u-1",
        resourceVersion: "42",
        managedFields: [{ manager: "kubectl" }],
      },
      spec: { containers: [{ name: "c", image: "nginx" }] },
    });
    expect(d).toEqual({
      cluster: "prod",
      op: "upsert",
      key: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "web" },
      uid: "u-1",
      resourceVersion: "42",
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", namespace: "shop", uid: "u-1", resourceVersion: "42" },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      },
    });
  });

  it("a Secret keeps which keys held a value, never a value (data, stringData, last-applied)", () => {
    const d = observedDelta("prod", "upsert", SECRET, {
      metadata: {
        name: "db",
        namespace: "shop",
        uid: "u-2",
        resourceVersion: "7",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
            data: { password: "aHVudGVyMg==" },
          }),
        },
      },
      type: "Opaque",
      data: { password: "aHVudGVyMg==", empty: "" },
      stringData: { token: "s3cr3t" },
    });
    const text = JSON.stringify(d);
    expect(text).not.toContain("aHVudGVyMg==");
    expect(text).not.toContain("s3cr3t");
    expect(d).toMatchObject({
      object: {
        type: "Opaque",
        data: { password: REDACTED_VALUE, empty: "" },
        stringData: { token: REDACTED_VALUE },
      },
    });
  });

  it("a deletion inferred from a relist is dated by the list's resourceVersion and carries no object", () => {
    expect(
      observedDelta(
        "prod",
        "delete",
        POD,
        { metadata: { name: "web", namespace: "shop", uid: "u-1", resourceVersion: "42" } },
        "99",
      ),
    ).toEqual({
      cluster: "prod",
      op: "delete",
      key: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "web" },
      uid: "u-1",
      resourceVersion: "99",
    });
  });

  it("says why an object cannot become a delta", () => {
    expect(observedDelta("prod", "upsert", POD, {})).toBe("no metadata");
    expect(observedDelta("prod", "upsert", POD, { metadata: { uid: "u" } })).toBe("no name");
    expect(observedDelta("prod", "upsert", POD, { metadata: { name: "a" } })).toBe("no uid");
    expect(observedDelta("prod", "upsert", POD, { metadata: { name: "a", uid: "u" } })).toBe(
      "no resourceVersion",
    );
  });
});

describe("backoffDelay", () => {
  it("doubles per attempt up to the cap, with at most half of each step random", () => {
    const p = { initialMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, 0, p))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, 0.999999, p))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(3, 0.5, p)).toBe(300);
  });
});
