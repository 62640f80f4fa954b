/**
 * Differential test of the scan's smallest member form (issue: scale): `scanStreaming` keeps of a workload's
 * members (Pods, ReplicaSets, Jobs) only what the analyzers read (`compactMembers: "scan"`, compacted as they
 * arrive); the reference keeps every object whole and every finding in memory (core/scan runScan). The JSON reports
 * must be byte-identical over every fixture directory of the repository and the demo (owner graphs, Rollouts,
 * absent owners, malformed fields), and over generated snapshots of several shapes: the realistic mix (each owner
 * written before its members), the same reversed (members before their owners), the same
 * with the workloads removed (members then stand for absent owners and one of them lends its template), and with
 * the ReplicaSets removed as well (Pods name owners that are absent and own nothing else). The RBAC and
 * NetworkPolicy analyzers hand their findings over as produced (`emit`) instead of returning them sorted: the same
 * findings, and equal ones in the same order, as a stable sort of what was emitted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSnapshot } from "../../../bench/gen-snapshot.js";
import { loadManifestPaths, loadSnapshotFiles } from "../../adapters/manifests/index.js";
import { cmp, compareFindings, type Finding } from "../../core/findings/index.js";
import { netpolFindings } from "../../core/netpol/index.js";
import { buildRbacIndex, rbacFindings } from "../../core/rbac/index.js";
import { formatJson, formatJsonChunks } from "../../core/report/index.js";
import { memoryRunStore, runScan } from "../../core/scan/index.js";
import { type InventoryReaders, type InventorySources, loadInventory } from "../inventory/index.js";
import { assumedRbacDefaults } from "../rbac/index.js";
import { scanStreaming } from "./index.js";

const root = join(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "palisade-member-compaction-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Readers as the CLI has them: files read again when the owner graph needs a template that was dropped. */
const readers: InventoryReaders = {
  rereadable: true,
  manifests: (paths, budget, sink) =>
    loadManifestPaths([...paths], { cwd: root, budget, ...(sink ? { onObject: sink } : {}) }),
  snapshots: (files, budget, sink) =>
    loadSnapshotFiles([...files], { cwd: root, budget, ...(sink ? { onObject: sink } : {}) }),
};
const now = new Date("2026-06-01T00:00:00Z");
const options = { version: "0.0.0-test", rbac: assumedRbacDefaults(undefined) };

/** The report of the scan's streaming path and of the whole-inventory reference, as JSON text. */
async function both(sources: InventorySources): Promise<{ streamed: string; reference: string }> {
  const { report } = await scanStreaming(
    { sources, options },
    { readers, now: () => now, runs: memoryRunStore(), findingsPerRun: 50 },
  );
  const streamed = [...formatJsonChunks(report)].join("");
  const loaded = await loadInventory(sources, readers);
  const reference = formatJson(
    runScan(loaded.inventory, { ...options, now, files: loaded.files, coverage: loaded.coverage }),
  );
  return { streamed, reference };
}

/** Every `__fixtures__` directory under src/, and the demo's manifests. */
function fixtureDirs(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === "node_modules") continue;
      const p = join(d, e.name);
      if (e.name === "__fixtures__") out.push(relative(root, p));
      else walk(p);
    }
  };
  walk(join(root, "src"));
  return [...out.sort(), "examples/demo/manifests"];
}

describe("scan with members kept as the analyzers read them, against the whole inventory", () => {
  it.each(fixtureDirs())(
    "gives the same JSON report for %s",
    async (d) => {
      expect(statSync(join(root, d)).isDirectory()).toBe(true);
      const { streamed, reference } = await both({ manifests: [d] });
      expect(streamed).toBe(reference);
    },
    60_000,
  );

  it("gives the same JSON report for the demo's snapshots", async () => {
    const snaps = readdirSync(join(root, "examples/demo/snapshots"))
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => `examples/demo/snapshots/${f}`);
    expect(snaps.length).toBeGreaterThan(0);
    const { streamed, reference } = await both({ snapshots: snaps });
    expect(streamed).toBe(reference);
  }, 60_000);

  describe("generated snapshots", () => {
    type Item = { kind: string };
    const keep =
      (test: (kind: string) => boolean) =>
      (items: Item[]): Item[] =>
        items.filter((o) => test(o.kind));
    const shapes: Record<string, (items: Item[]) => Item[]> = {
      "realistic mix (owners read before their members)": (items) => items,
      "owners read after their members (the list reversed)": (items) => [...items].reverse(),
      "workloads absent (members stand for their owners)": keep(
        (k) => !["Deployment", "StatefulSet", "DaemonSet", "CronJob"].includes(k),
      ),
      "workloads and ReplicaSets absent": keep(
        (k) => !["Deployment", "StatefulSet", "DaemonSet", "CronJob", "ReplicaSet"].includes(k),
      ),
    };
    beforeAll(async () => {
      const full = join(dir, "full.json");
      await writeSnapshot(full, 2500, 11);
      const list = JSON.parse(readFileSync(full, "utf8")) as { items: Item[] };
      Object.values(shapes).forEach((shape, i) => {
        writeFileSync(
          join(dir, `shape-${i}.json`),
          JSON.stringify({ ...list, items: shape(list.items) }, null, 4),
        );
      });
    }, 60_000);

    it("RBAC and NetworkPolicy findings emitted as produced are the returned ones, once sorted", async () => {
      const { inventory: inv } = await loadInventory({ snapshots: [join(dir, "shape-0.json")] }, readers);
      const idx = buildRbacIndex(inv, assumedRbacDefaults(undefined));
      const rbac: Finding[] = [];
      expect(rbacFindings(inv, idx, (f) => rbac.push(f)).findings).toEqual([]);
      const rbacSorted = rbacFindings(inv, buildRbacIndex(inv, assumedRbacDefaults(undefined))).findings;
      expect(rbac.length).toBeGreaterThan(50);
      expect(rbac.sort((a, b) => cmp(a.id, b.id))).toEqual(rbacSorted);
      const net: Finding[] = [];
      expect(netpolFindings(inv, {}, (f) => net.push(f)).findings).toEqual([]);
      expect(net.length).toBeGreaterThan(50);
      expect(net.sort(compareFindings)).toEqual(netpolFindings(inv).findings);
    }, 60_000);

    it.each(Object.keys(shapes).map((name, i) => [name, i] as const))(
      "gives the same JSON report: %s",
      async (_name, i) => {
        const { streamed, reference } = await both({ snapshots: [join(dir, `shape-${i}.json`)] });
        expect(JSON.parse(reference).findings.length).toBeGreaterThan(100);
        expect(streamed).toBe(reference);
      },
      60_000,
    );
  });
});
