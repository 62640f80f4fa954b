import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStores } from "../../adapters/store/index.js";
import { bundledDemoDir, DEMO_CLUSTER, ingestSnapshotFile, loadDemo } from "./demo.js";

describe("the bundled demo", () => {
  it("loads advisories, images and the 'before' snapshot; pushing 'after' closes the critical CVE's record", async () => {
    const stores = await openStores("memory:");
    try {
      const dir = bundledDemoDir();
      expect(dir).toBe(join(import.meta.dirname, "..", "..", "..", "examples", "demo"));
      const loaded = await loadDemo(stores, dir, () => new Date("2025-03-01T09:00:00.000Z"));
      expect(loaded.advisories).toBe(3);
      expect(loaded.images).toBe(7);
      expect(loaded.snapshot.cluster).toBe(DEMO_CLUSTER);
      expect(loaded.snapshot.findings.total).toBeGreaterThan(0);
      expect(loaded.snapshot.remediation?.records).toBeGreaterThan(0);
      const before = await stores.remediation.listRecords();
      const critical = before.filter((r) => r.vulnerabilityId === "CVE-2099-0001");
      expect(critical.length).toBeGreaterThan(0);
      expect(critical.every((r) => r.state !== "closed")).toBe(true);

      const after = await ingestSnapshotFile(
        stores,
        DEMO_CLUSTER,
        loaded.next,
        () => new Date("2025-03-04T17:30:00.000Z"),
      );
      expect(after.remediation?.transitions).toBeGreaterThan(0);
      const closed = (await stores.remediation.listRecords()).filter(
        (r) => r.vulnerabilityId === "CVE-2099-0001",
      );
      expect(closed.map((r) => r.state)).toEqual(critical.map(() => "closed"));
    } finally {
      await stores.close();
    }
  });
});
