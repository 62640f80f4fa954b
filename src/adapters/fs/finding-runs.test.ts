import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareFindings, type Finding, makeFinding } from "../../core/findings/index.js";
import { diskRunStore } from "./finding-runs.js";

const parent = mkdtempSync(join(tmpdir(), "palisade-runs-test-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const finding = (i: number, message: string): Finding =>
  makeFinding({
    ruleId: `PAL-T-${String(i % 7).padStart(3, "0")}`,
    title: "t",
    severity: "low",
    category: "test",
    resource: { apiVersion: "v1", kind: "Pod", namespace: `ns-${i % 3}`, name: `p${i}` },
    location: { file: "f.yaml", line: i, column: 1 },
    message,
    remediation: "r",
    compliance: [{ framework: "nsa", id: "x", title: "y" }],
  });

describe("diskRunStore", () => {
  it("gives back each run's findings as written, across read chunks and multi-byte characters", () => {
    const store = diskRunStore(parent);
    // Messages of 1-3 KiB with 2-, 3- and 4-byte characters: lines and characters straddle every 128 KiB chunk.
    const runs = [0, 1, 2].map((r) =>
      Array.from({ length: 400 }, (_, i) =>
        finding(r * 1000 + i, `${"é€😀\u2028".repeat(100 + ((i * 37) % 300))} "quoted"\n${i}`),
      ).sort(compareFindings),
    );
    for (const run of runs) store.write(run);
    const dirs = readdirSync(parent).filter((d) => d.startsWith("palisade-findings-"));
    expect(dirs).toHaveLength(1);
    // In any interleaving, and more than once.
    const b = [...store.read(1)];
    expect([...store.read(0)]).toEqual(JSON.parse(JSON.stringify(runs[0])));
    expect(b).toEqual(JSON.parse(JSON.stringify(runs[1])));
    expect([...store.read(2)]).toEqual(JSON.parse(JSON.stringify(runs[2])));
    expect([...store.read(3)]).toEqual([]);
    store.dispose();
    expect(existsSync(join(parent, dirs[0] as string))).toBe(false);
  });

  it("creates nothing until a run is written", () => {
    const store = diskRunStore(parent);
    store.dispose();
    expect(readdirSync(parent).filter((d) => d.startsWith("palisade-findings-"))).toEqual([]);
  });
});
