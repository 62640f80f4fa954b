import { describe, expect, it } from "vitest";
import type { StoredAlert } from "../../src/adapters/store/index.js";
import type { DedupedAlert } from "../../src/core/runtime/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const T0 = Date.UTC(2026, 11, 4, 10, 0, 0);
const NOW = new Date("2026-12-05T00:00:00.000Z");

const alert = (ruleId: string, key: string, extra: Partial<DedupedAlert> = {}): DedupedAlert => ({
  ruleId,
  title: `rule ${ruleId}`,
  severity: "high",
  category: "audit",
  time: T0,
  evidence: `evidence of ${key}`,
  origin: { source: "k8s-audit", file: "upload", line: 1 },
  key,
  workload: { kind: "Deployment", namespace: "shop", name: "web" },
  team: "alpha",
  firstSeen: T0,
  lastSeen: T0,
  count: 1,
  ...extra,
});

const stored = (cluster: string, a: DedupedAlert, updatedAt = NOW): StoredAlert => {
  const { firstSeen, lastSeen, count, ...rest } = a;
  return {
    cluster,
    ruleId: a.ruleId,
    key: a.key,
    severity: a.severity,
    alert: rest,
    firstSeen: new Date(firstSeen).toISOString(),
    lastSeen: new Date(lastSeen).toISOString(),
    count,
    updatedAt: updatedAt.toISOString(),
  };
};

/** The AlertStore port: deduplicated by (cluster, rule, key) across batches, filtered, paged in one order. */
export function describeAlertStoreContract(name: string, make: MakeStores): void {
  describe(`AlertStore (${name})`, () => {
    const open = storesOpener(make);

    it("stores new alerts whole and answers them as opened", async () => {
      const s = await open();
      const a = alert("PAL-RT-AUDIT-004", "shop/web exec");
      expect(await s.alerts.record("prod", [a], NOW)).toEqual({ opened: [stored("prod", a)], merged: 0 });
      expect(await s.alerts.list()).toEqual({ items: [stored("prod", a)] });
      expect(await s.alerts.record("prod", [], NOW)).toEqual({ opened: [], merged: 0 });
    });

    it("merges a known alert: counts add, first/last seen widen, the earlier event's evidence stays", async () => {
      const s = await open();
      const first = alert("R1", "k", { count: 2, lastSeen: T0 + 5_000 });
      await s.alerts.record("prod", [first], NOW);
      const later = new Date(NOW.getTime() + 60_000);
      const r = await s.alerts.record(
        "prod",
        [
          alert("R1", "k", {
            time: T0 + 9_000,
            firstSeen: T0 + 9_000,
            lastSeen: T0 + 9_000,
            evidence: "new",
          }),
        ],
        later,
      );
      expect(r).toEqual({ opened: [], merged: 1 });
      expect((await s.alerts.list()).items).toEqual([
        stored("prod", { ...first, count: 3, lastSeen: T0 + 9_000 }, later),
      ]);
      // An out-of-order event earlier than every one seen: its evidence stands for the alert.
      const early = alert("R1", "k", {
        time: T0 - 1_000,
        firstSeen: T0 - 1_000,
        lastSeen: T0 - 1_000,
        evidence: "early",
      });
      await s.alerts.record("prod", [early], later);
      expect((await s.alerts.list()).items).toEqual([
        stored("prod", { ...early, count: 4, lastSeen: T0 + 9_000 }, later),
      ]);
    });

    it("keeps clusters apart, and merges repeats inside one batch", async () => {
      const s = await open();
      const a = alert("R1", "k");
      const r = await s.alerts.record("prod", [a, { ...a, count: 2 }], NOW);
      expect(r.merged).toBe(1);
      expect(r.opened.map((o) => o.count)).toEqual([3]);
      await s.alerts.record("dev", [a], NOW);
      expect((await s.alerts.list()).items.map((i) => [i.cluster, i.count])).toEqual([
        ["dev", 1],
        ["prod", 3],
      ]);
    });

    it("filters by cluster, namespace, team, severity, rule and last seen; pages in (cluster, rule, key) order", async () => {
      const s = await open();
      const noWorkload = (a: DedupedAlert): DedupedAlert => {
        const { workload: _w, team: _t, ...rest } = a;
        return rest;
      };
      const audit = noWorkload(
        alert("PAL-RT-AUDIT-007", "binding x", {
          severity: "critical",
          resource: { resource: "clusterrolebindings", name: "x" },
          user: "alice",
        }),
      );
      const secret = noWorkload(
        alert("PAL-RT-AUDIT-009", "pay secret", {
          severity: "low",
          resource: { resource: "secrets", namespace: "pay", name: "db" },
        }),
      );
      const feed = alert("PAL-RT-FEED-001", "shop/web 203.0.113.9", {
        lastSeen: T0 + 3_600_000,
        category: "threat-feed",
      });
      await s.alerts.record("prod", [feed, secret, audit], NOW);
      await s.alerts.record("dev", [feed], NOW);
      const keys = async (q: Parameters<typeof s.alerts.list>[0]) =>
        (await s.alerts.list(q)).items.map((i) => `${i.cluster}:${i.ruleId}`);
      expect(await keys({ cluster: "prod" })).toEqual([
        "prod:PAL-RT-AUDIT-007",
        "prod:PAL-RT-AUDIT-009",
        "prod:PAL-RT-FEED-001",
      ]);
      expect(await keys({ namespace: "pay" })).toEqual(["prod:PAL-RT-AUDIT-009"]);
      expect(await keys({ namespace: "shop", cluster: "dev" })).toEqual(["dev:PAL-RT-FEED-001"]);
      expect(await keys({ team: "alpha" })).toEqual(["dev:PAL-RT-FEED-001", "prod:PAL-RT-FEED-001"]);
      expect(await keys({ severity: ["critical", "low"] })).toEqual([
        "prod:PAL-RT-AUDIT-007",
        "prod:PAL-RT-AUDIT-009",
      ]);
      expect(await keys({ ruleId: "PAL-RT-AUDIT-009" })).toEqual(["prod:PAL-RT-AUDIT-009"]);
      expect(await keys({ lastSeenSince: new Date(T0 + 1_000) })).toEqual([
        "dev:PAL-RT-FEED-001",
        "prod:PAL-RT-FEED-001",
      ]);
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const p = await s.alerts.list({ limit: 1, ...(after ? { after } : {}) });
        pages.push(p.items.map((i) => `${i.cluster}:${i.ruleId}`));
        after = p.next;
      } while (after !== undefined);
      expect(pages).toEqual([
        ["dev:PAL-RT-FEED-001"],
        ["prod:PAL-RT-AUDIT-007"],
        ["prod:PAL-RT-AUDIT-009"],
        ["prod:PAL-RT-FEED-001"],
      ]);
      await expect(s.alerts.list({ after: "bm9wZQ" })).rejects.toMatchObject({ code: "INPUT" });
    });

    it("keeps keys with NUL, quotes, non-ASCII text and ordering by code unit", async () => {
      const s = await open();
      const odd = [alert("R", 'a\u0000"b" é'), alert("R", "a"), alert("R", "a\u0001"), alert("R", "B")];
      await s.alerts.record("prod", odd, NOW);
      expect((await s.alerts.list()).items.map((i) => i.key)).toEqual(["B", "a", 'a\u0000"b" é', "a\u0001"]);
      expect((await s.alerts.list()).items[2]?.alert.key).toBe('a\u0000"b" é');
    });

    it("refuses an alert without a rule, with an unknown severity or a bad count (nothing stored)", async () => {
      const s = await open();
      await expect(s.alerts.record("prod", [alert("R", "ok"), alert("", "x")], NOW)).rejects.toMatchObject({
        code: "INPUT",
      });
      await expect(
        s.alerts.record("prod", [alert("R", "x", { severity: "urgent" as "high" })], NOW),
      ).rejects.toMatchObject({ code: "INPUT" });
      await expect(s.alerts.record("prod", [alert("R", "x", { count: 0 })], NOW)).rejects.toMatchObject({
        code: "INPUT",
      });
      expect(await s.alerts.list()).toEqual({ items: [] });
    });
  });
}
