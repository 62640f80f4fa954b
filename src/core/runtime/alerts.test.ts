import { describe, expect, it } from "vitest";
import { AlertDeduper, type RuntimeAlert } from "./index.js";

const alert = (key: string, time: number, severity: RuntimeAlert["severity"] = "info"): RuntimeAlert => ({
  ruleId: severity === "info" ? "PAL-RT-DRIFT-002" : "PAL-RT-FEED-001",
  title: "t",
  severity,
  category: severity === "info" ? "drift" : "threat-feed",
  time,
  evidence: `e ${key} ${time}`,
  origin: { source: "hubble", file: "f", line: time },
  key,
});

describe("AlertDeduper", () => {
  it("merges repeats of a key: first evidence (earliest event), first and last seen, count", () => {
    const d = new AlertDeduper();
    expect(d.add(alert("a", 20))).toMatchObject({ count: 1, firstSeen: 20 });
    expect(d.add(alert("a", 30))).toBeUndefined();
    expect(d.add(alert("a", 10))).toBeUndefined(); // out of order: its evidence stands
    expect(d.list()).toEqual([{ ...alert("a", 10), firstSeen: 10, lastSeen: 30, count: 3 }]);
  });

  it("stays within its cap: evicts the least recently seen alert of the lowest severity, and counts it by rule", () => {
    const d = new AlertDeduper(3);
    d.add(alert("crit", 1, "critical"));
    d.add(alert("i1", 2));
    d.add(alert("i2", 3));
    d.add(alert("i1", 4)); // i1 is now more recently seen than i2
    expect(d.add(alert("i3", 5))).toMatchObject({ key: "i3" }); // new alerts are always taken
    expect(d.list().map((a) => a.key)).toEqual(["crit", "i1", "i3"]);
    // Only critical alerts left to evict once no lower severity is present.
    const c = new AlertDeduper(2);
    c.add(alert("c1", 1, "critical"));
    c.add(alert("c2", 2, "critical"));
    c.add(alert("c3", 3, "critical"));
    expect(c.list().map((a) => a.key)).toEqual(["c2", "c3"]);
    expect(d.overflow).toBe(1);
    expect(d.evictedByRule).toEqual({ "PAL-RT-DRIFT-002": 1 });
    // An evicted alert that happens again is new again (routed again), not lost.
    expect(d.add(alert("i2", 6))).toMatchObject({ key: "i2", count: 1 });
    expect(d.overflow).toBe(2);
  });

  it("keeps memory flat under a stream of distinct keys", () => {
    const d = new AlertDeduper(100);
    for (let i = 0; i < 100_000; i++) d.add(alert(`k${i}`, i, i % 1000 === 0 ? "high" : "info"));
    const kept = d.list();
    expect(kept).toHaveLength(100);
    // Every high alert is kept ahead of the info ones (there are exactly 100 of them).
    expect(kept.every((a) => a.severity === "high")).toBe(true);
    expect(d.overflow).toBe(100_000 - 100);
    // Less severe than everything kept: still answered as new (routed), counted, not kept.
    expect(d.add(alert("late-info", 200_000))).toMatchObject({ key: "late-info", count: 1 });
    expect(d.list()).toHaveLength(100);
    expect(d.evictedByRule).toEqual({ "PAL-RT-DRIFT-002": 100_000 - 100 + 1 });
  });
});
