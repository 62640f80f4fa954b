import { describe, expect, it } from "vitest";
import { prng } from "../../../test/support/prng.js";
import { compareFindings, type Finding, makeFinding } from "../findings/index.js";
import { findingBytes, memoryRunStore, mergeSorted, runSorter } from "./index.js";

/** Findings with few distinct keys, so that many compare equal (ties must keep the order they were added in). */
function findings(n: number, seed: number): Finding[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const f = makeFinding({
      ruleId: `PAL-T-00${Math.floor(rand() * 3)}`,
      title: "t",
      severity: "low",
      category: "test",
      resource: { apiVersion: "v1", kind: "Pod", namespace: "ns", name: `p${Math.floor(rand() * 4)}` },
      location: { file: `f${Math.floor(rand() * 2)}.yaml`, line: Math.floor(rand() * 5), column: 1 },
      message: `#${i}`,
      remediation: "r",
      compliance: [],
    });
    return f;
  });
}

describe("runSorter", () => {
  it.each([1, 2, 7, 64, 1000])("gives a stable sort of what was added, in runs of %i", (perRun) => {
    for (const seed of [1, 2, 3]) {
      const input = findings(300, seed);
      const sorter = runSorter(memoryRunStore(), perRun);
      for (const f of input) sorter.add(f);
      const out = sorter.finish();
      const want = [...input].sort(compareFindings).map((f) => f.message);
      expect(out.length).toBe(input.length);
      expect([...out].map((f) => f.message)).toEqual(want);
    }
  });

  it("writes a run only when the findings held pass the byte budget, and sorts the same", () => {
    const input = findings(300, 4);
    const want = [...input].sort(compareFindings).map((f) => f.message);
    const total = input.reduce((n, f) => n + findingBytes(f), 0);
    for (const [budget, runs] of [
      [Number.POSITIVE_INFINITY, 0],
      [total + 1, 0],
      [Math.ceil(total / 6), 5],
    ] as const) {
      const store = memoryRunStore();
      let written = 0;
      const counted = {
        write: (run: readonly Finding[]) => {
          written++;
          store.write(run);
        },
        read: store.read,
      };
      const sorter = runSorter(counted, Number.POSITIVE_INFINITY, budget);
      for (const f of input) sorter.add(f);
      const out = sorter.finish();
      expect({ written, order: [...out].map((f) => f.message) }).toEqual({ written: runs, order: want });
    }
  });

  it("gives nothing for nothing", () => {
    const out = runSorter(memoryRunStore(), 4).finish();
    expect(out.length).toBe(0);
    expect([...out]).toEqual([]);
  });
});

describe("mergeSorted", () => {
  it("merges sorted sequences, the earlier sequence first on ties, and empty ones", () => {
    const all = findings(200, 9).sort(compareFindings);
    const parts: Finding[][] = [[], [], [], []];
    for (const [i, f] of all.entries()) parts[(i * 7) % 3]?.push(f);
    const merged = [...mergeSorted(parts)].map((f) => f.message);
    const want = parts
      .flatMap((p, src) => p.map((f) => ({ f, src })))
      .sort((a, b) => compareFindings(a.f, b.f) || a.src - b.src)
      .map((x) => x.f.message);
    expect(merged).toEqual(want);
  });
});
