/**
 * Contract of {@link ClusterStateStore}: every backend (memory, SQLite, PostgreSQL) must agree with the reference rule of
 * core/deltas (`applyDeltas`) on any sequence of batches, including redeliveries and out-of-order changes.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { ClusterStateStore } from "../../src/adapters/fleet/index.js";
import {
  applyDeltas,
  compareRows,
  type ObjectDelta,
  type ObjectStateRow,
} from "../../src/core/deltas/index.js";

export function delta(
  cluster: string,
  uid: string,
  rv: number,
  op: "upsert" | "delete" = "upsert",
  name = `pod-${uid}`,
): ObjectDelta {
  return {
    cluster,
    op,
    key: { apiVersion: "v1", kind: "Pod", namespace: "default", name },
    uid,
    resourceVersion: String(rv),
    ...(op === "upsert" ? { object: { metadata: { name, uid, resourceVersion: String(rv) } } } : {}),
  };
}

/** The rows the reference rule gives for `batches` applied in order, for `cluster`. */
export function referenceRows(
  batches: readonly (readonly ObjectDelta[])[],
  cluster: string,
): ObjectStateRow[] {
  const rows = new Map<string, ObjectStateRow>();
  for (const b of batches) applyDeltas(rows, b);
  return [...rows.values()].filter((r) => r.cluster === cluster).sort(compareRows);
}

export function describeClusterStateContract(name: string, make: () => Promise<ClusterStateStore>): void {
  describe(`ClusterStateStore contract: ${name}`, () => {
    const opened: ClusterStateStore[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const open = async () => {
      const s = await make();
      opened.push(s);
      return s;
    };

    it("applies an upsert, then the same delta again changes nothing", async () => {
      const s = await open();
      expect(await s.apply([delta("a", "u1", 5)])).toEqual({ applied: 1, ignored: 0, clusters: ["a"] });
      expect(await s.apply([delta("a", "u1", 5)])).toEqual({ applied: 0, ignored: 1, clusters: [] });
      expect(await s.objects("a")).toEqual(referenceRows([[delta("a", "u1", 5)]], "a"));
    });

    it("never lets an older resourceVersion overwrite a newer one (compared as integers, not text)", async () => {
      const s = await open();
      await s.apply([delta("a", "u1", 10)]);
      expect(await s.apply([delta("a", "u1", 9)])).toEqual({ applied: 0, ignored: 1, clusters: [] });
      expect((await s.objects("a")).map((r) => r.resourceVersion)).toEqual(["10"]);
    });

    it("orders resourceVersions beyond 64 bits (up to 40 digits) as integers", async () => {
      const s = await open();
      const big = (rv: string) => ({ ...delta("a", "u1", 1), resourceVersion: rv });
      await s.apply([big("99999999999999999999")]);
      expect(await s.apply([big("100000000000000000000")])).toEqual({
        applied: 1,
        ignored: 0,
        clusters: ["a"],
      });
      expect(await s.apply([big("99999999999999999999")])).toEqual({ applied: 0, ignored: 1, clusters: [] });
      expect((await s.rows("a")).map((r) => r.resourceVersion)).toEqual(["100000000000000000000"]);
    });

    it("keeps a tombstone: a late upsert does not resurrect a deleted object", async () => {
      const s = await open();
      await s.apply([delta("a", "u1", 3), delta("a", "u1", 7, "delete")]);
      await s.apply([delta("a", "u1", 5)]);
      expect(await s.objects("a")).toEqual([]);
      expect(await s.rows("a")).toEqual([
        {
          cluster: "a",
          uid: "u1",
          key: { apiVersion: "v1", kind: "Pod", namespace: "default", name: "pod-u1" },
          resourceVersion: "7",
          deleted: true,
          object: null,
        },
      ]);
    });

    it("keeps clusters apart and cluster-scoped keys without a namespace", async () => {
      const s = await open();
      const node: ObjectDelta = {
        cluster: "b",
        op: "upsert",
        key: { apiVersion: "v1", kind: "Node", name: "n1" },
        uid: "u1",
        resourceVersion: "1",
        object: { metadata: { name: "n1" } },
      };
      await s.apply([delta("a", "u1", 2), node]);
      expect(await s.objects("b")).toEqual([
        { cluster: "b", uid: "u1", key: node.key, resourceVersion: "1", deleted: false, object: node.object },
      ]);
      expect((await s.objects("a")).length).toBe(1);
      expect(await s.objects("c")).toEqual([]);
    });

    it("keeps objects whose text holds quotes, backslashes, braces, commas, NULL and non-ASCII unchanged", async () => {
      // The PostgreSQL backend sends a batch as arrays: every element must come back as it went in.
      const s = await open();
      const odd = ['"', "\\", "{a,b}", "NULL", "null", "", "line\nbreak", "é ✓ 𝄞", '\\"}', "'; --"];
      const deltas = odd.map((text, i) => ({
        ...delta("a", `odd${i}`, 10 + i),
        object: { metadata: { name: `pod-odd${i}`, annotations: { text, [text || "empty"]: [text] } } },
      }));
      expect(await s.apply(deltas)).toEqual({ applied: odd.length, ignored: 0, clusters: ["a"] });
      expect(await s.rows("a")).toEqual(referenceRows([deltas], "a"));
    });

    it("names the clusters a batch changed, and only those", async () => {
      const s = await open();
      await s.apply([delta("north", "n1", 5)]);
      // north's delta again (a redelivery) changes nothing: only east and west are named.
      expect(
        await s.apply([delta("west", "w1", 1), delta("north", "n1", 5), delta("east", "e1", 2, "delete")]),
      ).toEqual({ applied: 2, ignored: 1, clusters: ["east", "west"] });
      expect(await s.clusters()).toEqual(["east", "north", "west"]);
    });

    it("reads a cluster's live objects page by page, each once, tombstones and other clusters left out", async () => {
      const s = await open();
      const deltas = Array.from({ length: 23 }, (_, i) =>
        delta("a", `u${String(i).padStart(2, "0")}`, 10 + i),
      );
      await s.apply([...deltas, delta("a", "u05", 99, "delete"), delta("b", "u50", 1)]);
      const pages: ObjectStateRow[][] = [];
      for await (const p of s.livePages("a", 5)) pages.push(p);
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 2]);
      expect(pages.flat().sort(compareRows)).toEqual(await s.objects("a"));
      // A change committed between two pages is read in one of its versions, never twice.
      const seen: string[] = [];
      let changed = false;
      for await (const p of s.livePages("a", 4)) {
        for (const r of p) seen.push(r.uid);
        if (!changed) {
          changed = true;
          await s.apply([delta("a", "u20", 200), delta("a", "u00", 300)]);
        }
      }
      expect(seen.length).toBe(new Set(seen).size);
      expect(new Set(seen)).toEqual(new Set((await s.objects("a")).map((r) => r.uid)));
      const none: ObjectStateRow[][] = [];
      for await (const p of s.livePages("nowhere")) none.push(p);
      expect(none).toEqual([]);
    });

    it("runs a function under an exclusive name", async () => {
      const s = await open();
      expect(await s.tryExclusive("a", async () => 7)).toEqual({ ran: true, value: 7 });
      await expect(
        s.tryExclusive("a", async () => {
          throw new Error("evaluation failed");
        }),
      ).rejects.toThrow("evaluation failed");
      // Released after a failure too.
      expect(await s.tryExclusive("a", async () => 8)).toEqual({ ran: true, value: 8 });
    });

    it("agrees with the reference rule on any batches (redeliveries, reordering, deletes)", async () => {
      const arbDelta = fc
        .record({
          cluster: fc.constantFrom("a", "b"),
          uid: fc.constantFrom("u1", "u2", "u3"),
          rv: fc.integer({ min: 1, max: 30 }),
          del: fc.boolean(),
        })
        .map((x) => delta(x.cluster, x.uid, x.rv, x.del ? "delete" : "upsert"));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(arbDelta, { maxLength: 6 }), { maxLength: 5 }),
          async (batches) => {
            const s = await make();
            try {
              for (const b of batches) await s.apply(b);
              for (const c of ["a", "b"]) expect(await s.rows(c)).toEqual(referenceRows(batches, c));
            } finally {
              await s.close();
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
