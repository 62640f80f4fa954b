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

/** The BaselineStore port: baselines round-trip whole, ordered by key; a save replaces only what it names. */
export function describeBaselineStoreContract(name: string, make: MakeStores): void {
  describe(`BaselineStore (${name})`, () => {
    const open = storesOpener(make);

    it("is empty, then lists what was put, ordered by workload key", async () => {
      const s = await open();
      expect(await s.baselines.listBaselines()).toEqual({ baselines: [], coverage: [] });
      await s.baselines.putBaselines([baseline("web"), baseline("api")], new Date("2026-12-04T10:00:00Z"));
      expect(await s.baselines.listBaselines()).toEqual({
        baselines: [baseline("api"), baseline("web")],
        coverage: [],
      });
    });

    it("replaces the baselines a save names and keeps the others", async () => {
      const s = await open();
      await s.baselines.putBaselines([baseline("web"), baseline("api")], new Date("2026-12-04T10:00:00Z"));
      const promoted = baseline("web", {
        state: "enforcing",
        stateSince: 5000,
        observations: 300,
        novelty: 0.01,
      });
      await s.baselines.putBaselines([promoted], new Date("2026-12-04T11:00:00Z"));
      expect((await s.baselines.listBaselines()).baselines).toEqual([baseline("api"), promoted]);
    });

    it("deletes the baselines it is asked to, ignoring keys it does not hold", async () => {
      const s = await open();
      await s.baselines.putBaselines(
        [baseline("web"), baseline("api"), baseline("db", { goneSince: 5000, expired: 3 })],
        new Date("2026-12-04T10:00:00Z"),
      );
      await s.baselines.deleteBaselines(["shop/Deployment/api", "shop/Deployment/nope"]);
      await s.baselines.deleteBaselines([]);
      expect((await s.baselines.listBaselines()).baselines).toEqual([
        baseline("db", { goneSince: 5000, expired: 3 }),
        baseline("web"),
      ]);
    });

    it("keeps item names with spaces, slashes, quotes and non-ASCII text", async () => {
      const s = await open();
      const odd = baseline("weird", {
        processes: { '/usr/bin/py thon "x" é\\u0001': { firstSeen: 1, lastSeen: 2, count: 3 } },
      });
      await s.baselines.putBaselines([odd], new Date("2026-12-04T10:00:00Z"));
      expect((await s.baselines.listBaselines()).baselines).toEqual([odd]);
    });
  });
}
