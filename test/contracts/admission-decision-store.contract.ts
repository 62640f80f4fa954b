import { describe, expect, it } from "vitest";
import type { AdmissionDecisionInput, StoredAdmissionDecision } from "../../src/adapters/store/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const decision = (n: number, extra: Partial<AdmissionDecisionInput> = {}): AdmissionDecisionInput => ({
  at: new Date(Date.UTC(2026, 11, 5, 2, 0, n)),
  uid: `uid-${n}`,
  endpoint: "validate",
  allowed: n % 2 === 0,
  evaluated: "pod",
  operation: "CREATE",
  kind: "Pod",
  namespace: n % 3 === 0 ? "payments" : "shop",
  name: `web-${n}`,
  user: "system:serviceaccount:kube-system:replicaset-controller",
  rules: n % 2 === 0 ? [] : ["pss/privileged", "image/forbidden-tag"],
  details: {
    message: n % 2 === 0 ? null : `pods "web-${n}" is forbidden`,
    warnings: [],
    violations: [{ rule: "pss/privileged", mode: "enforce", message: 'quote " and é' }],
  },
  ...extra,
});

/** What a stored decision reads back as. */
const stored = (
  seq: number,
  n: number,
  extra: Partial<AdmissionDecisionInput> = {},
): StoredAdmissionDecision => {
  const { at, ...rest } = decision(n, extra);
  return {
    ...rest,
    cluster: rest.cluster ?? "",
    seq,
    at: at.toISOString(),
    rules: [...new Set(rest.rules)].sort(),
  };
};

/**
 * The AdmissionDecisionStore port: append in batches, newest first, filters, keyset pages, retention.
 * `offThread`: the backend runs its statements on a thread of its own (the webhook's writer), so the caller's
 * event loop is free whatever the steps are, and how many of its turns a prune spans is a matter of scheduling.
 */
export function describeAdmissionDecisionStoreContract(
  name: string,
  make: MakeStores,
  opts: { offThread?: boolean } = {},
): void {
  describe(`AdmissionDecisionStore (${name})`, () => {
    const open = storesOpener(make);

    it("is empty, then lists what was appended newest first, whole", async () => {
      const s = await open();
      expect(await s.admissionDecisions.list()).toEqual({ items: [] });
      await s.admissionDecisions.append([decision(1), decision(2)]);
      await s.admissionDecisions.append([]);
      await s.admissionDecisions.append([decision(3)]);
      expect(await s.admissionDecisions.list()).toEqual({
        items: [stored(3, 3), stored(2, 2), stored(1, 1)],
      });
    });

    it("filters by namespace, allowed, rule (whole rule ids only), uid and time, and pages by cursor", async () => {
      const s = await open();
      await s.admissionDecisions.append(Array.from({ length: 12 }, (_, i) => decision(i + 1)));
      const seqs = async (q: Parameters<typeof s.admissionDecisions.list>[0]) =>
        (await s.admissionDecisions.list(q)).items.map((d) => d.seq);
      expect(await seqs({ namespace: "payments" })).toEqual([12, 9, 6, 3]);
      expect(await seqs({ allowed: false, namespace: "shop" })).toEqual([11, 7, 5, 1]);
      expect(await seqs({ rule: "pss/privileged", limit: 2 })).toEqual([11, 9]);
      expect(await seqs({ rule: "pss/priv" })).toEqual([]);
      expect(await seqs({ rule: 'x"y' })).toEqual([]);
      expect(await seqs({ uid: "uid-4" })).toEqual([4]);
      expect(await seqs({ from: decision(3).at, to: decision(6).at })).toEqual([5, 4, 3]);

      const pages: number[][] = [];
      let after: string | undefined;
      do {
        const page = await s.admissionDecisions.list({ limit: 5, after });
        pages.push(page.items.map((d) => d.seq));
        after = page.next;
      } while (after !== undefined);
      expect(pages).toEqual([
        [12, 11, 10, 9, 8],
        [7, 6, 5, 4, 3],
        [2, 1],
      ]);
      await expect(s.admissionDecisions.list({ after: "not-a-cursor" })).rejects.toMatchObject({
        code: "INPUT",
      });
    });

    it('keeps each decision\'s cluster and filters by it ("": decisions recorded without one)', async () => {
      const s = await open();
      await s.admissionDecisions.append([
        decision(1, { cluster: "east" }),
        decision(2),
        decision(3, { cluster: "west" }),
        decision(4, { cluster: "east" }),
      ]);
      const seqs = async (q: Parameters<typeof s.admissionDecisions.list>[0]) =>
        (await s.admissionDecisions.list(q)).items.map((d) => d.seq);
      expect(await seqs({ cluster: "east" })).toEqual([4, 1]);
      expect(await seqs({ cluster: "west", namespace: "payments" })).toEqual([3]);
      expect(await seqs({ cluster: "" })).toEqual([2]);
      expect(await seqs({ cluster: "nowhere" })).toEqual([]);
      expect((await s.admissionDecisions.list({ uid: "uid-1" })).items).toEqual([
        stored(1, 1, { cluster: "east" }),
      ]);
      expect((await s.admissionDecisions.list({ uid: "uid-2" })).items[0]?.cluster).toBe("");
    });

    it("prunes by age and by count, keeping the newest", async () => {
      const s = await open();
      await s.admissionDecisions.append(Array.from({ length: 10 }, (_, i) => decision(i + 1)));
      expect(await s.admissionDecisions.prune({ before: decision(4).at })).toBe(3);
      expect(await s.admissionDecisions.prune({ keep: 4 })).toBe(3);
      expect((await s.admissionDecisions.list()).items.map((d) => d.seq)).toEqual([10, 9, 8, 7]);
      expect(await s.admissionDecisions.prune({ keep: 100 })).toBe(0);
      expect(await s.admissionDecisions.prune({})).toBe(0);
      // New decisions never reuse a pruned seq.
      await s.admissionDecisions.append([decision(11)]);
      expect((await s.admissionDecisions.list({ limit: 1 })).items[0]?.seq).toBe(11);
      expect(await s.admissionDecisions.prune({ keep: 0 })).toBe(5);
      expect(await s.admissionDecisions.list()).toEqual({ items: [] });
      await expect(s.admissionDecisions.prune({ keep: -1 })).rejects.toMatchObject({ code: "INPUT" });
    });

    it("prunes in steps of `chunk` rows to the same result, the event loop running between the steps", async () => {
      const s = await open();
      // Times out of order with seq (a clock stepped back): by age is by time, by count is by seq.
      const ats = [5, 1, 2, 9, 3, 10, 11, 4, 12, 13, 14, 15, 16];
      await s.admissionDecisions.append(ats.map((t, i) => decision(i + 1, { at: decision(t).at })));
      let turns = 0;
      let counting = true;
      const tick = () => {
        turns++;
        if (counting) setImmediate(tick);
      };
      setImmediate(tick);
      // By age: seq 2, 3, 5, 8 (times 1, 2, 3, 4); by count, of the rest, all but the newest 5: seq 1, 4, 6, 7.
      expect(await s.admissionDecisions.prune({ before: decision(5).at, keep: 5 }, { chunk: 2 })).toBe(8);
      counting = false;
      expect((await s.admissionDecisions.list()).items.map((d) => d.seq)).toEqual([13, 12, 11, 10, 9]);
      // Several steps by age and by count, each a turn of the caller's loop at least where they run on its
      // thread; off-thread, the writer's own loop runs between them (the next case: appends land meanwhile).
      expect(turns).toBeGreaterThanOrEqual(opts.offThread === true ? 1 : 3);
      expect(await s.admissionDecisions.prune({ keep: 5 }, { chunk: 2 })).toBe(0);
      expect(await s.admissionDecisions.prune({ keep: 4 }, { chunk: 1 })).toBe(1);
      expect(await s.admissionDecisions.prune({ keep: 0 }, { chunk: 3 })).toBe(4);
      expect(await s.admissionDecisions.list()).toEqual({ items: [] });
      await expect(s.admissionDecisions.prune({ keep: 1 }, { chunk: 0 })).rejects.toMatchObject({
        code: "INPUT",
      });
    });

    it("keeps decisions appended while a chunked prune runs (they are newer than any it deletes)", async () => {
      const s = await open();
      await s.admissionDecisions.append(Array.from({ length: 8 }, (_, i) => decision(i + 1)));
      const pruning = s.admissionDecisions.prune({ keep: 2 }, { chunk: 1 });
      await s.admissionDecisions.append([decision(9), decision(10)]);
      // Which rows count as the newest 2 depends on whether the prune read them before the append landed (a
      // network store may take either order); either way the new decisions stay and the count says what went.
      const deleted = await pruning;
      expect(deleted === 6 || deleted === 8).toBe(true);
      expect((await s.admissionDecisions.list()).items.map((d) => d.seq)).toEqual(
        deleted === 6 ? [10, 9, 8, 7] : [10, 9],
      );
    });

    it("refuses a decision without a uid or with a bad time, and records nothing of its batch", async () => {
      const s = await open();
      await expect(
        s.admissionDecisions.append([decision(1), decision(2, { uid: "" })]),
      ).rejects.toMatchObject({ code: "INPUT" });
      await expect(
        s.admissionDecisions.append([decision(3, { at: new Date(Number.NaN) })]),
      ).rejects.toMatchObject({ code: "INPUT" });
      expect(await s.admissionDecisions.list()).toEqual({ items: [] });
    });
  });
}
