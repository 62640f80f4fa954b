import { describe, expect, it } from "vitest";
import type { WorkloadBaseline } from "../../src/core/runtime/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const baseline = (name: string, extra: Partial<WorkloadBaseline> = {}): WorkloadBaseline => ({
  workload: { kind: "Deployment", namespace: "shop", name },
  state: "learning",
  learningFrom: 1000,
  windowMs: 60_000,
  stateSince: 1000,
  observations: 2,
  novelty: 0.5,
  processes: { "/bin/sh": { firstSeen: 1000, lastSeen: 2000, count: 2 } },
  peers: { "egress workload:shop/Deployment/db TCP/5432": { firstSeen: 1000, lastSeen: 1000, count: 1 } },
  overflow: 0,
  ...extra,
});

/**
 * The BaselineStore port: baselines round-trip whole, ordered by key, per cluster; a save replaces only what it
 * names, in its cluster.
 */
export function describeBaselineStoreContract(name: string, make: MakeStores): void {
  describe(`BaselineStore (${name})`, () => {
    const open = storesOpener(make);
    const at = new Date("2026-12-04T10:00:00Z");

    it("is empty, then lists what was put, ordered by workload key", async () => {
      const s = await open();
      expect(await s.baselines.listBaselines("prod")).toEqual({ baselines: [], coverage: [] });
      expect(await s.baselines.baselineClusters()).toEqual([]);
      await s.baselines.putBaselines("prod", [baseline("web"), baseline("api")], at);
      expect(await s.baselines.listBaselines("prod")).toEqual({
        baselines: [baseline("api"), baseline("web")],
        coverage: [],
      });
    });

    it("replaces the baselines a save names and keeps the others", async () => {
      const s = await open();
      await s.baselines.putBaselines("prod", [baseline("web"), baseline("api")], at);
      const promoted = baseline("web", {
        state: "enforcing",
        stateSince: 5000,
        observations: 300,
        novelty: 0.01,
      });
      await s.baselines.putBaselines("prod", [promoted], new Date("2026-12-04T11:00:00Z"));
      expect((await s.baselines.listBaselines("prod")).baselines).toEqual([baseline("api"), promoted]);
    });

    it("deletes the baselines it is asked to, ignoring keys it does not hold", async () => {
      const s = await open();
      await s.baselines.putBaselines(
        "prod",
        [baseline("web"), baseline("api"), baseline("db", { goneSince: 5000, expired: 3 })],
        at,
      );
      await s.baselines.deleteBaselines("prod", ["shop/Deployment/api", "shop/Deployment/nope"]);
      await s.baselines.deleteBaselines("prod", []);
      expect((await s.baselines.listBaselines("prod")).baselines).toEqual([
        baseline("db", { goneSince: 5000, expired: 3 }),
        baseline("web"),
      ]);
    });

    it("keeps item names with spaces, slashes, quotes and non-ASCII text", async () => {
      const s = await open();
      const odd = baseline("weird", {
        processes: { '/usr/bin/py thon "x" é\\u0001': { firstSeen: 1, lastSeen: 2, count: 3 } },
      });
      await s.baselines.putBaselines("prod", [odd], at);
      expect((await s.baselines.listBaselines("prod")).baselines).toEqual([odd]);
    });

    describe("clusters", () => {
      it("keeps the same namespace/kind/name of two clusters apart, and the local book ('') apart from both", async () => {
        const s = await open();
        const prodWeb = baseline("web", { state: "enforcing", observations: 500 });
        const stageWeb = baseline("web", { processes: {} });
        const localWeb = baseline("web", { observations: 7 });
        await s.baselines.putBaselines("prod", [prodWeb, baseline("api")], at);
        await s.baselines.putBaselines("stage", [stageWeb], at);
        await s.baselines.putBaselines("", [localWeb], at);
        expect((await s.baselines.listBaselines("prod")).baselines).toEqual([baseline("api"), prodWeb]);
        expect((await s.baselines.listBaselines("stage")).baselines).toEqual([stageWeb]);
        expect((await s.baselines.listBaselines("")).baselines).toEqual([localWeb]);
        expect((await s.baselines.listBaselines("dev")).baselines).toEqual([]);
        expect(await s.baselines.baselineClusters()).toEqual(["", "prod", "stage"]);
      });

      it("a save or a delete in one cluster leaves the same key of another as it was", async () => {
        const s = await open();
        await s.baselines.putBaselines("prod", [baseline("web")], at);
        await s.baselines.putBaselines("stage", [baseline("web")], at);
        const promoted = baseline("web", { state: "enforcing" });
        await s.baselines.putBaselines("stage", [promoted], at);
        expect((await s.baselines.listBaselines("prod")).baselines).toEqual([baseline("web")]);
        await s.baselines.deleteBaselines("prod", ["shop/Deployment/web"]);
        expect((await s.baselines.listBaselines("prod")).baselines).toEqual([]);
        expect((await s.baselines.listBaselines("stage")).baselines).toEqual([promoted]);
        expect(await s.baselines.baselineClusters()).toEqual(["stage"]);
      });
    });
  });
}
