import { describe, expect, it } from "vitest";
import { cmp, type Finding, makeFinding } from "../../core/findings/index.js";
import { encodeObjectKey, planEvaluation, planSnapshot } from "./platform-rows.js";
import type { SnapshotObject } from "./ports.js";

function withId(id: string): Finding {
  return {
    ...makeFinding({
      ruleId: "PAL-T-1",
      title: "t",
      severity: "low",
      resource: { apiVersion: "v1", kind: "Pod", namespace: "a", name: id },
      message: "m",
      remediation: "r",
      compliance: [],
      category: "workload",
    }),
    id,
  };
}

describe("planEvaluation", () => {
  it("writes in UTF-16 code unit order of ids (as cmp orders them, astral characters below U+FF01), resolves the missing in that order, counts each kind", () => {
    // Code-unit order and code-point order differ here: U+1F600 is the surrogate pair D83D DE00, below U+FF01.
    const ids = ["b", "\uFF01", "\u{1F600}", "a", "B", "a\u0000", "é", "aa"];
    const current = [
      { id: "a", firstSeen: "t0" },
      { id: "aa", firstSeen: "t0", resolvedAt: "t1" },
      { id: "zz", firstSeen: "t0" },
      { id: "\u{1F601}", firstSeen: "t0" },
      { id: "gone-already", firstSeen: "t0", resolvedAt: "t1" },
    ];
    const plan = planEvaluation(current, "t2", ids.map(withId));
    expect(plan.upsert.map((u) => u.finding.id)).toEqual([...ids].sort(cmp));
    expect(plan.upsert.map((u) => u.finding.id)).toEqual([
      "B",
      "a",
      "a\u0000",
      "aa",
      "b",
      "é",
      "\u{1F600}",
      "\uFF01",
    ]);
    expect(plan.upsert.filter((u) => u.known).map((u) => [u.finding.id, u.firstSeen])).toEqual([
      ["a", "t0"],
      ["aa", "t0"],
    ]);
    expect(plan.upsert.find((u) => u.finding.id === "b")).toMatchObject({ firstSeen: "t2", known: false });
    expect(plan.resolve).toEqual(["\u{1F601}", "zz"].sort(cmp));
    expect(plan.resolve).toEqual(["zz", "\u{1F601}"]);
    expect(plan.result).toEqual({ opened: 6, updated: 1, reopened: 1, resolved: 2 });
  });

  it("refuses an id reported twice", () => {
    expect(() => planEvaluation([], "t", [withId("x"), withId("y"), withId("x")])).toThrow(
      /reports finding x twice/,
    );
  });
});

describe("planSnapshot", () => {
  const obj = (namespace: string, name: string, hash = "h"): SnapshotObject => ({
    key: { apiVersion: "v1", kind: "ConfigMap", namespace, name },
    hash,
    object: {},
  });
  const cur = (id: number, namespace: string, name: string, hash = "h") => ({
    id,
    key: encodeObjectKey({ apiVersion: "v1", kind: "ConfigMap", namespace, name }),
    hash,
  });

  it("decodes a stored key only when a partial scope has to judge a vanished object", () => {
    const current = [
      cur(1, "a", "keep"),
      cur(2, "a", "gone"),
      cur(3, "b", "elsewhere"),
      cur(4, "a", "changed"),
    ];
    const objects = [obj("a", "keep"), obj("a", "changed", "h2"), obj("a", "new")];
    const scoped = planSnapshot(current, { namespaces: ["a"] }, objects);
    expect(scoped.close.sort()).toEqual([2, 4]);
    expect(scoped.open.map((o) => o.object.key.name)).toEqual(["changed", "new"]);
    expect(scoped.result).toEqual({ opened: 2, closed: 2, unchanged: 1 });
    const all = planSnapshot(current, "all", objects);
    expect(all.close.sort()).toEqual([2, 3, 4]);
    expect(all.result).toEqual({ opened: 2, closed: 3, unchanged: 1 });
    // A stored key that is not [apiVersion, kind, namespace, name] is damage, found when it must be read.
    const damaged = [{ id: 9, key: "not json", hash: "h" }];
    expect(planSnapshot(damaged, "all", []).close).toEqual([9]);
    expect(() => planSnapshot(damaged, { namespaces: ["a"] }, [])).toThrow();
  });
});
