import { describe, expect, it } from "vitest";
import type { Finding, RuleMeta } from "../findings/index.js";
import { buildInventory } from "../inventory/index.js";
import { collectHits, type InventoryRule, runRules } from "./engine.js";

const META: RuleMeta = {
  id: "PAL-TEST-001",
  title: "test",
  severity: "low",
  category: "test",
  rationale: "test",
  remediation: "test",
  compliance: [],
};

const configMaps = (n: number) =>
  buildInventory(
    Array.from({ length: n }, (_, i) => ({
      object: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `cm-${i}`, namespace: "ns" },
        data: {},
      },
    })),
  );

describe("inventory rules yield their hits one at a time (issue: scale)", () => {
  it("each hit becomes a finding handed to emit before the rule goes on to the next object", () => {
    const inv = configMaps(3);
    const events: string[] = [];
    const rule: InventoryRule = {
      meta: META,
      scope: "inventory",
      *check(env) {
        for (const cm of env.inv.configMaps) {
          events.push(`checked ${cm.ref.name}`);
          yield { object: cm, fieldPath: "data", message: `hit ${cm.ref.name}` };
        }
      },
    };
    const emitted: Finding[] = [];
    const r = runRules([rule], inv, {}, (f) => {
      events.push(`emitted ${f.message}`);
      emitted.push(f);
    });
    expect(events).toEqual([
      "checked cm-0",
      "emitted hit cm-0",
      "checked cm-1",
      "emitted hit cm-1",
      "checked cm-2",
      "emitted hit cm-2",
    ]);
    expect(r.findings).toEqual([]);
    // Without emit, the same findings are returned, sorted.
    expect(runRules([rule], inv).findings).toEqual(emitted);
  });

  it("a rule that throws part-way: runRules reports the hits yielded before and a not-evaluated entry; collectHits none", () => {
    const inv = configMaps(2);
    const rule: InventoryRule = {
      meta: META,
      scope: "inventory",
      *check(env) {
        const [first] = env.inv.configMaps;
        if (first) yield { object: first, fieldPath: "data", message: "before the bug" };
        throw new Error("bug");
      },
    };
    const r = runRules([rule], inv);
    expect(r.findings.map((f) => f.message)).toEqual(["before the bug"]);
    expect(r.coverage).toEqual([
      { reason: "not-evaluated", message: "rule PAL-TEST-001 could not evaluate the inventory: bug" },
    ]);
    expect(collectHits([rule], inv, { rule: () => true, object: () => true })).toEqual([]);
  });

  it("readers made per call report an invalid field once, as one reader per object did", () => {
    const inv = buildInventory([
      { object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "ns" }, data: 7 } },
    ]);
    const rule: InventoryRule = {
      meta: META,
      scope: "inventory",
      check(env) {
        for (const cm of env.inv.configMaps) {
          env.reader(cm).rec(cm.raw, "data", "");
          env.reader(cm).rec(cm.raw, "data", "");
        }
        return [];
      },
    };
    expect(runRules([rule], inv).coverage).toEqual([
      {
        reason: "invalid",
        message: "ConfigMap ns/cm: data is number, expected object; not evaluated",
        kind: "ConfigMap",
        namespace: "ns",
      },
    ]);
  });
});
