import { describe, expect, it } from "vitest";
import type { FindingStore, StoredFinding } from "../../src/adapters/store/index.js";
import { type Finding, makeFinding, type Severity } from "../../src/core/findings/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const T = (day: number) => new Date(Date.UTC(2025, 0, day));
const iso = (day: number) => T(day).toISOString();

export function finding(
  ruleId: string,
  ns: string | undefined,
  name: string,
  severity: Severity = "high",
): Finding {
  return makeFinding({
    ruleId,
    title: ruleId,
    severity,
    resource: { apiVersion: "apps/v1", kind: "Deployment", ...(ns ? { namespace: ns } : {}), name },
    message: `${ruleId} on ${name}`,
    remediation: "fix it",
    compliance: [],
    category: "workload",
  });
}

async function all(s: FindingStore, q: Parameters<FindingStore["list"]>[0] = {}): Promise<StoredFinding[]> {
  const out: StoredFinding[] = [];
  let after: string | undefined;
  do {
    const page = await s.list({ ...q, after });
    out.push(...page.items);
    after = page.next;
  } while (after !== undefined);
  return out;
}

/** The FindingStore contract: every backend runs this one suite. */
export function describeFindingStoreContract(name: string, make: MakeStores): void {
  describe(`FindingStore contract: ${name}`, () => {
    const open = storesOpener(make);

    it("stats: team, severity, first and last seen and resolution of each finding, by cluster and team, ordered by id", async () => {
      const s = (await open()).findings;
      const a = { ...finding("R1", "ns", "a", "critical"), team: "alpha" };
      const b = finding("R2", "ns", "b", "low");
      const c = { ...finding("R3", "ns", "c"), team: "alpha" };
      await s.upsertEvaluation("prod", T(1), [a, b, c]);
      await s.upsertEvaluation("prod", T(2), [a, b]);
      await s.upsertEvaluation("dev", T(2), [a]);
      const byId = [a, b, c].sort((x, y) => (x.id < y.id ? -1 : 1));
      const stat = (f: Finding) =>
        f === c
          ? { team: "alpha", severity: "high", firstSeen: iso(1), lastSeen: iso(1), resolvedAt: iso(2) }
          : {
              ...(f.team ? { team: f.team } : {}),
              severity: f.severity,
              firstSeen: iso(1),
              lastSeen: iso(2),
            };
      expect(await s.stats({ cluster: "prod" })).toEqual(byId.map(stat));
      expect(await s.stats({ cluster: "prod", team: "alpha" })).toEqual(
        byId.filter((f) => f !== b).map(stat),
      );
      expect(await s.stats()).toEqual([
        { team: "alpha", severity: "critical", firstSeen: iso(2), lastSeen: iso(2) },
        ...byId.map(stat),
      ]);
    });

    it("filters by team, by id, by first seen since and by resolved since, in the store (pages stay full)", async () => {
      const s = (await open()).findings;
      const mk = (rule: string, name: string, team: string) => ({ ...finding(rule, "ns", name), team });
      const a = mk("R1", "a", "alpha");
      const b = mk("R2", "b", "beta");
      const c = mk("R3", "c", "alpha");
      const d = mk("R4", "d", "alpha");
      await s.upsertEvaluation("prod", T(1), [a, b, c]);
      await s.upsertEvaluation("prod", T(3), [a, b, d]);
      const ids = (xs: StoredFinding[]) => xs.map((x) => x.finding.id);
      const sorted = (xs: Finding[]) => xs.map((x) => x.id).sort();
      expect(ids(await all(s, { team: "alpha" }))).toEqual(sorted([a, c, d]));
      const first = await s.list({ team: "alpha", limit: 1 });
      expect(first.items.length).toBe(1);
      expect(first.next).toBeDefined();
      expect(ids(await all(s, { team: "alpha", limit: 1 }))).toEqual(sorted([a, c, d]));
      expect(ids(await all(s, { team: "gamma" }))).toEqual([]);
      expect(await all(s, { id: b.id })).toEqual([
        { cluster: "prod", finding: b, firstSeen: iso(1), lastSeen: iso(3) },
      ]);
      expect(ids(await all(s, { firstSeenSince: T(2) }))).toEqual([d.id]);
      expect(ids(await all(s, { resolvedSince: T(2) }))).toEqual([c.id]);
      expect(ids(await all(s, { resolvedSince: T(4) }))).toEqual([]);
    });

    it("tracks firstSeen, lastSeen and resolvedAt by stable id across evaluations, per cluster", async () => {
      const s = (await open()).findings;
      const a = finding("R1", "ns", "a");
      const b = finding("R2", "ns", "b");
      expect(await s.upsertEvaluation("prod", T(1), [a, b])).toEqual({
        opened: 2,
        updated: 0,
        reopened: 0,
        resolved: 0,
      });
      expect(await s.upsertEvaluation("staging", T(1), [a])).toEqual({
        opened: 1,
        updated: 0,
        reopened: 0,
        resolved: 0,
      });
      expect(await s.upsertEvaluation("prod", T(2), [a])).toEqual({
        opened: 0,
        updated: 1,
        reopened: 0,
        resolved: 1,
      });
      expect(await s.upsertEvaluation("prod", T(3), [a, b])).toEqual({
        opened: 0,
        updated: 1,
        reopened: 1,
        resolved: 0,
      });
      const sorted = [a, b].sort((x, y) => (x.id < y.id ? -1 : 1));
      const row = (
        cluster: string,
        f: Finding,
        first: number,
        last: number,
        resolved?: number,
      ): StoredFinding => ({
        cluster,
        finding: f,
        firstSeen: iso(first),
        lastSeen: iso(last),
        ...(resolved === undefined ? {} : { resolvedAt: iso(resolved) }),
      });
      expect(await all(s, { cluster: "prod" })).toEqual(
        sorted.map((f) => (f === a ? row("prod", a, 1, 3) : row("prod", b, 1, 3))),
      );
      await s.upsertEvaluation("prod", T(4), []);
      expect(await all(s)).toEqual([
        ...sorted.map((f) => (f === a ? row("prod", a, 1, 3, 4) : row("prod", b, 1, 3, 4))),
        row("staging", a, 1, 1),
      ]);
      expect(await all(s, { openOnly: true })).toEqual([row("staging", a, 1, 1)]);
    });

    it("a finding reported again is rewritten whole (severity, team, message), new and known ones in one evaluation", async () => {
      const s = (await open()).findings;
      const a = finding("R1", "ns", "a");
      await s.upsertEvaluation("prod", T(1), [a]);
      const changed: Finding = { ...a, severity: "critical", team: "blue", message: "now critical" };
      const b = { ...finding("R2", "ns", "b"), team: "blue" };
      expect(await s.upsertEvaluation("prod", T(2), [changed, b])).toEqual({
        opened: 1,
        updated: 1,
        reopened: 0,
        resolved: 0,
      });
      const blue = await all(s, { team: "blue", severity: ["critical"] });
      expect(blue).toEqual([{ cluster: "prod", finding: changed, firstSeen: iso(1), lastSeen: iso(2) }]);
      expect((await all(s, { namespace: "ns", team: "blue" })).map((f) => f.finding.id).sort()).toEqual(
        [a.id, b.id].sort(),
      );
    });

    it("lastSeen over unchanged, changed, resolved and reopened findings: the latest evaluation that reported each, per cluster", async () => {
      const s = (await open()).findings;
      const a = finding("R1", "ns", "a");
      const b = finding("R2", "ns", "b");
      const c = { ...finding("R3", "ns", "c"), team: "alpha" };
      const b2: Finding = { ...b, message: "changed" };
      await s.upsertEvaluation("prod", T(1), [a, b, c]);
      expect(await s.upsertEvaluation("prod", T(2), [a, b, c])).toEqual({
        opened: 0,
        updated: 3,
        reopened: 0,
        resolved: 0,
      });
      await s.upsertEvaluation("prod", T(3), [a, b2]);
      await s.upsertEvaluation("staging", T(3), [a]);
      const row = (f: Finding, first: number, last: number, resolved?: number): StoredFinding => ({
        cluster: "prod",
        finding: f,
        firstSeen: iso(first),
        lastSeen: iso(last),
        ...(resolved === undefined ? {} : { resolvedAt: iso(resolved) }),
      });
      const byId = (xs: StoredFinding[]) => [...xs].sort((x, y) => (x.finding.id < y.finding.id ? -1 : 1));
      expect(await all(s, { cluster: "prod" })).toEqual(byId([row(a, 1, 3), row(b2, 1, 3), row(c, 1, 2, 3)]));
      expect(await s.upsertEvaluation("prod", T(4), [a, b2, c])).toEqual({
        opened: 0,
        updated: 2,
        reopened: 1,
        resolved: 0,
      });
      await s.upsertEvaluation("prod", T(5), [a]);
      await s.upsertEvaluation("staging", T(6), [a]);
      expect(await all(s, { cluster: "prod" })).toEqual(
        byId([row(a, 1, 5), row(b2, 1, 4, 5), row(c, 1, 4, 5)]),
      );
      expect(await all(s, { cluster: "staging" })).toEqual([
        { cluster: "staging", finding: a, firstSeen: iso(3), lastSeen: iso(6) },
      ]);
      const ids = (xs: StoredFinding[]) => xs.map((x) => x.finding.id);
      expect(ids(await all(s, { cluster: "prod", firstSeenSince: T(2) }))).toEqual([]);
      expect(ids(await all(s, { cluster: "prod", resolvedSince: T(5) }))).toEqual([b.id, c.id].sort());
      expect(ids(await all(s, { openOnly: true }))).toEqual([a.id, a.id]);
      expect(await s.stats({ cluster: "prod", team: "alpha" })).toEqual([
        { team: "alpha", severity: "high", firstSeen: iso(1), lastSeen: iso(4), resolvedAt: iso(5) },
      ]);
      expect(await s.stats({ cluster: "prod" })).toEqual(
        byId([row(a, 1, 5), row(b2, 1, 4, 5), row(c, 1, 4, 5)]).map((r) => ({
          ...(r.finding.team ? { team: r.finding.team } : {}),
          severity: r.finding.severity,
          firstSeen: r.firstSeen,
          lastSeen: r.lastSeen,
          ...(r.resolvedAt ? { resolvedAt: r.resolvedAt } : {}),
        })),
      );
    });

    it("filters by namespace, severity and rule, and pages in (cluster, id) order", async () => {
      const s = (await open()).findings;
      const fs = Array.from({ length: 25 }, (_, i) =>
        finding(`R${i % 3}`, i % 2 ? "odd" : "even", `w${i}`, (["low", "medium", "high"] as const)[i % 3]),
      );
      await s.upsertEvaluation("c2", T(1), fs.slice(0, 10));
      await s.upsertEvaluation("c1", T(1), fs);
      const everything = await all(s, { limit: 4 });
      const key = (f: StoredFinding) => [f.cluster, f.finding.id];
      expect(everything.map(key)).toEqual(
        [...fs.map((f) => ["c1", f.id]), ...fs.slice(0, 10).map((f) => ["c2", f.id])].sort((x, y) =>
          x[0] !== y[0]
            ? (x[0] as string) < (y[0] as string)
              ? -1
              : 1
            : (x[1] as string) < (y[1] as string)
              ? -1
              : 1,
        ),
      );
      const page = await s.list({ limit: 7 });
      expect([page.items.length, typeof page.next]).toEqual([7, "string"]);
      const odd = await all(s, { cluster: "c1", namespace: "odd", severity: ["high", "low"], limit: 2 });
      expect(odd.map((f) => f.finding.resource.name).sort()).toEqual(
        fs
          .filter((_, i) => i % 2 === 1 && i % 3 !== 1)
          .map((f) => f.resource.name)
          .sort(),
      );
      const r2 = await all(s, { ruleId: "R2" });
      expect(r2.every((f) => f.finding.ruleId === "R2") && r2.length).toBe(8 + 3);
    });

    describe("pathological cases", () => {
      it("refuses duplicate ids in one evaluation (nothing written), bad cursors and bad limits", async () => {
        const s = (await open()).findings;
        const a = finding("R1", "ns", "a");
        await expect(s.upsertEvaluation("c", T(1), [a, a])).rejects.toMatchObject({ code: "INPUT" });
        expect(await all(s)).toEqual([]);
        await expect(s.list({ after: "not-a-cursor" })).rejects.toMatchObject({ code: "INPUT" });
        await expect(s.list({ limit: 0 })).rejects.toMatchObject({ code: "INPUT" });
      });
    });
  });
}
