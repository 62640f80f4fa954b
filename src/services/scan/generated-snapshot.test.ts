/**
 * Differential test of the bounded-memory scan (issue: scale) on a generated snapshot with the realistic mix of
 * bench/gen-snapshot.ts: the scan service (members compacted at load) and its streaming form (findings sorted in
 * runs on disk as produced, merged as written) give reports byte-identical to the reference path, the whole
 * inventory kept and every finding in memory (core/scan runScan).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSnapshot } from "../../../bench/gen-snapshot.js";
import { readConfigFile } from "../../adapters/config/index.js";
import { diskRunStore } from "../../adapters/fs/index.js";
import { loadSnapshotFiles } from "../../adapters/manifests/index.js";
import { formatJson, formatJsonChunks, formatSarif, formatSarifChunks } from "../../core/report/index.js";
import { runScan } from "../../core/scan/index.js";
import { loadExceptions } from "../exceptions/index.js";
import { type InventoryReaders, loadInventory } from "../inventory/index.js";
import { type ScanRequest, scan, scanStreaming } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-generated-snapshot-"));
const file = join(dir, "snapshot.json");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await writeSnapshot(file, 4000, 7);
  writeFileSync(
    join(dir, "exceptions.yaml"),
    [
      "exceptions:",
      "  - id: team-a",
      "    namespaces: [ns-1*]",
      "    reason: Accepted.",
      "    expires: 2027-01-31",
      "  - id: old",
      "    rules: [PAL-POD-002]",
      "    reason: Gone.",
      "    expires: 2026-01-01",
      "",
    ].join("\n"),
  );
}, 60_000);

const readers: InventoryReaders = {
  snapshots: (files, budget) => loadSnapshotFiles([...files], { cwd: dir, budget }),
};
const now = new Date("2026-06-01T00:00:00Z");

async function both(options: ScanRequest["options"], exceptionsFile?: string) {
  const req: ScanRequest = { sources: { snapshots: [file] }, exceptionsFile, options };
  const deps = { readers, readConfig: (p: string) => readConfigFile(p, dir), now: () => now };
  const { report } = await scan(req, deps);
  // Small runs, so that the merge of many files is what is compared.
  const runs = diskRunStore(dir);
  const streamed = (await scanStreaming(req, { ...deps, runs, findingsPerRun: 500 })).report;
  const loaded = await loadInventory({ snapshots: [file] }, readers);
  const exc = exceptionsFile
    ? await loadExceptions(exceptionsFile, (p) => readConfigFile(p, dir))
    : { exceptions: [], coverage: [] };
  const reference = runScan(loaded.inventory, {
    ...options,
    exceptions: exc.exceptions,
    now,
    files: loaded.files,
    coverage: [...loaded.coverage, ...exc.coverage],
  });
  return { report, reference, streamed, runs };
}

describe("scan of a generated snapshot (bounded-memory path against the whole-inventory reference)", () => {
  it("writes byte-identical JSON and SARIF", async () => {
    const { report, reference, streamed, runs } = await both({ version: "0.0.0-test" });
    expect(report.findings.length).toBeGreaterThan(4000);
    const json = formatJson(reference);
    const sarif = formatSarif(reference);
    expect([...formatJsonChunks(report)].join("")).toBe(json);
    expect([...formatSarifChunks(report)].join("")).toBe(sarif);
    expect(readdirSync(dir).filter((f) => f.startsWith("palisade-findings-"))).toHaveLength(1);
    expect([...formatJsonChunks(streamed)].join("")).toBe(json);
    // Runs are read again for a second output.
    expect([...formatSarifChunks(streamed)].join("")).toBe(sarif);
    runs.dispose();
    expect(readdirSync(dir).filter((f) => f.startsWith("palisade-findings-"))).toEqual([]);
  }, 60_000);

  it("with exceptions and report filters", async () => {
    const { report, reference, streamed, runs } = await both(
      { version: "0.0.0-test", severities: ["high", "medium"], excludeNamespaces: ["ns-2*"] },
      "exceptions.yaml",
    );
    expect(report.summary.suppressed).toBeGreaterThan(0);
    expect(report.exceptions.unused).toEqual([]);
    expect([...formatJsonChunks(report)].join("")).toBe(formatJson(reference));
    expect([...formatJsonChunks(streamed)].join("")).toBe(formatJson(reference));
    runs.dispose();
  }, 60_000);

  it.each(["nsa", "pss-restricted"] as const)(
    "with --framework %s",
    async (framework) => {
      const { reference, streamed, runs } = await both({ version: "0.0.0-test", framework });
      expect(reference.findings.length).toBeGreaterThan(0);
      expect([...formatJsonChunks(streamed)].join("")).toBe(formatJson(reference));
      runs.dispose();
    },
    60_000,
  );
});
