import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { offThreadDecisionWriter, openStores } from "../../adapters/store/index.js";
import type {
  AdmissionDecisionInput,
  AdmissionDecisionStore,
  DecisionPruneOptions,
} from "../../adapters/store/ports.js";
import { DecisionRecorder, decisionRecord, expandDecisionDetails } from "./index.js";

const at = new Date("2026-12-05T02:00:00Z");
const input = (n: number): AdmissionDecisionInput =>
  decisionRecord(
    {
      uid: `u${n}`,
      allowed: false,
      warnings: ["w"],
      auditAnnotations: {},
      violations: [
        { rule: "pss/privileged", mode: "enforce", fieldPath: "spec.containers[0]", message: "privileged" },
        {
          rule: "image/forbidden-tag",
          mode: "warn",
          fieldPath: "spec.containers[0].image",
          message: "latest",
          exception: { id: "legacy", reason: "migrating" },
        },
        { rule: "pss/privileged", mode: "enforce", fieldPath: "spec.containers[1]", message: "privileged" },
      ],
      evaluated: "pod",
      dryRun: false,
      status: { status: "Failure", code: 403, message: "denied", reason: "Forbidden" },
    },
    {
      kind: { group: "", version: "v1", kind: "Pod" },
      namespace: "shop",
      name: `p${n}`,
      operation: "CREATE",
      userInfo: { username: "alice", groups: [] },
    },
    "validate",
    new Date(at.getTime() + n),
    "east",
  );

const options = (store: Pick<AdmissionDecisionStore, "append" | "prune">, log: string[] = []) => ({
  store,
  maxBuffered: 100,
  batchSize: 40,
  flushEveryMs: 10,
  retention: { maxAgeMs: 3_600_000, maxCount: 1_000 },
  pruneEveryMs: 60_000,
  pruneChunk: 1_000,
  now: () => at,
  log: (l: string) => log.push(l),
});

describe("decisionRecord", () => {
  it("keeps who asked for what, the answer, each violation with its exception, and the distinct rules", () => {
    const { details, ...record } = input(1);
    expect(record).toEqual({
      at: new Date(at.getTime() + 1),
      uid: "u1",
      cluster: "east",
      endpoint: "validate",
      allowed: false,
      evaluated: "pod",
      operation: "CREATE",
      kind: "Pod",
      namespace: "shop",
      name: "p1",
      user: "alice",
      rules: ["image/forbidden-tag", "pss/privileged"],
    });
    expect(expandDecisionDetails(details)).toEqual({
      message: "denied",
      warnings: ["w"],
      dryRun: false,
      exemption: null,
      violations: [
        {
          rule: "pss/privileged",
          mode: "enforce",
          fieldPath: "spec.containers[0]",
          message: "privileged",
          exception: null,
        },
        {
          rule: "image/forbidden-tag",
          mode: "warn",
          fieldPath: "spec.containers[0].image",
          message: "latest",
          exception: { id: "legacy", reason: "migrating" },
        },
        {
          rule: "pss/privileged",
          mode: "enforce",
          fieldPath: "spec.containers[1]",
          message: "privileged",
          exception: null,
        },
      ],
    });
  });
});

describe("DecisionRecorder", () => {
  it("writes buffered decisions in batches to the store", async () => {
    const stores = await openStores("memory:");
    const sizes: number[] = [];
    const store = {
      append: (b: readonly AdmissionDecisionInput[]) => {
        sizes.push(b.length);
        return stores.admissionDecisions.append(b);
      },
      prune: (r: { before?: Date; keep?: number }, o?: DecisionPruneOptions) =>
        stores.admissionDecisions.prune(r, o),
    };
    const rec = new DecisionRecorder(options(store));
    for (let i = 1; i <= 90; i++) rec.record(input(i));
    await rec.close();
    expect(sizes).toEqual([40, 40, 10]);
    expect(rec.stats()).toEqual({ recorded: 90, dropped: 0, failedBatches: 0, pruned: 0, buffered: 0 });
    const page = await stores.admissionDecisions.list({ limit: 2 });
    expect(page.items.map((d) => d.uid)).toEqual(["u90", "u89"]);
    await stores.close();
  });

  it("lets the event loop run between batches (a backlog is never written in one hold)", async () => {
    const stores = await openStores("memory:");
    const events: string[] = [];
    const store = {
      append: (b: readonly AdmissionDecisionInput[]) => {
        events.push(`batch of ${b.length}`);
        return stores.admissionDecisions.append(b);
      },
      prune: (r: { before?: Date; keep?: number }, o?: DecisionPruneOptions) =>
        stores.admissionDecisions.prune(r, o),
    };
    const rec = new DecisionRecorder(options(store));
    for (let i = 1; i <= 90; i++) rec.record(input(i));
    setImmediate(() => events.push("a review's I/O"));
    await rec.close();
    expect(events).toEqual(["batch of 40", "a review's I/O", "batch of 40", "batch of 10"]);
    await stores.close();
  });

  it("never waits for a slow store: past the buffer, decisions are dropped and counted", async () => {
    // Test double: a store that never answers (no real store can be made to hang on cue).
    let calls = 0;
    const hanging = {
      append: () => {
        calls++;
        return new Promise<void>(() => {});
      },
      prune: async () => 0,
    };
    const rec = new DecisionRecorder(options(hanging));
    for (let i = 1; i <= 100; i++) rec.record(input(i));
    void rec.flush(); // the first batch of 40 goes to the store and never comes back
    for (let i = 101; i <= 200; i++) rec.record(input(i));
    expect(calls).toBe(1);
    expect(rec.stats()).toEqual({ recorded: 0, dropped: 60, failedBatches: 0, pruned: 0, buffered: 100 });
  });

  it("a batch the store refuses is dropped, counted and logged; later batches still go", async () => {
    const stores = await openStores("memory:");
    const log: string[] = [];
    let fail = true;
    const store = {
      append: async (b: readonly AdmissionDecisionInput[]) => {
        if (fail) throw new Error("database is locked");
        await stores.admissionDecisions.append(b);
      },
      prune: (r: { before?: Date; keep?: number }, o?: DecisionPruneOptions) =>
        stores.admissionDecisions.prune(r, o),
    };
    const rec = new DecisionRecorder(options(store, log));
    for (let i = 1; i <= 30; i++) rec.record(input(i));
    await rec.flush();
    fail = false;
    for (let i = 31; i <= 35; i++) rec.record(input(i));
    await rec.close();
    expect(rec.stats()).toEqual({ recorded: 5, dropped: 30, failedBatches: 1, pruned: 0, buffered: 0 });
    expect(log).toEqual(["cannot record 30 admission decisions (dropped): database is locked"]);
    await stores.close();
  });

  it("applies retention by age and count as it flushes", async () => {
    const stores = await openStores("memory:");
    await stores.admissionDecisions.append([{ ...input(1), at: new Date("2026-12-01T00:00:00Z") }]);
    const rec = new DecisionRecorder({
      ...options(stores.admissionDecisions),
      retention: { maxAgeMs: 86_400_000, maxCount: 3 },
    });
    for (let i = 2; i <= 6; i++) rec.record(input(i));
    await rec.close();
    expect(rec.stats().pruned).toBe(3);
    expect((await stores.admissionDecisions.list()).items.map((d) => d.uid)).toEqual(["u6", "u5", "u4"]);
    await stores.close();
  });

  it("prunes in steps beside the writes: a backlog past retention never stops decisions being written", async () => {
    const stores = await openStores("memory:");
    const old = new Date("2026-12-01T00:00:00Z");
    await stores.admissionDecisions.append(
      Array.from({ length: 40 }, (_, i) => ({ ...input(100 + i), at: old })),
    );
    const events: string[] = [];
    const chunks: (number | undefined)[] = [];
    const store = {
      append: async (b: readonly AdmissionDecisionInput[]) => {
        events.push(`append ${b.length}`);
        await stores.admissionDecisions.append(b);
      },
      prune: async (r: { before?: Date; keep?: number }, o?: DecisionPruneOptions) => {
        chunks.push(o?.chunk);
        const n = await stores.admissionDecisions.prune(r, o);
        events.push(`pruned ${n}`);
        return n;
      },
    };
    const rec = new DecisionRecorder({
      ...options(store),
      retention: { maxAgeMs: 86_400_000 },
      pruneChunk: 4,
    });
    rec.record(input(1));
    await rec.flush(); // writes one, starts the prune: 41 rows in steps of 4
    rec.record(input(2));
    await rec.flush(); // written while the prune goes on
    events.push("second flush done");
    await rec.close();
    expect(events).toEqual(["append 1", "append 1", "second flush done", "pruned 40"]);
    expect(chunks).toEqual([4]);
    expect(rec.stats()).toEqual({ recorded: 2, dropped: 0, failedBatches: 0, pruned: 40, buffered: 0 });
    expect((await stores.admissionDecisions.list()).items.map((d) => d.uid)).toEqual(["u2", "u1"]);
    await stores.close();
  });

  it("with batches in flight, posts the next without waiting for the store; counts each as it is answered", async () => {
    const stores = await openStores("memory:");
    // Test double: a store whose writes complete when the test says (a real one cannot be held on cue).
    const held: (() => void)[] = [];
    const sizes: number[] = [];
    const store = {
      append: (b: readonly AdmissionDecisionInput[]) => {
        sizes.push(b.length);
        const written = stores.admissionDecisions.append(b);
        return new Promise<void>((resolve) => held.push(() => resolve(written)));
      },
      prune: async () => 0,
    };
    const rec = new DecisionRecorder({ ...options(store), maxBatchesInFlight: 2 });
    for (let i = 1; i <= 100; i++) rec.record(input(i));
    const flushed = rec.flush();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // Two batches out, none answered: the third waits for a free slot.
    expect(sizes).toEqual([40, 40]);
    expect(rec.stats()).toMatchObject({ recorded: 0, buffered: 20 });
    held.shift()?.();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(sizes).toEqual([40, 40, 20]);
    expect(rec.stats()).toMatchObject({ recorded: 40, buffered: 0 });
    for (const release of held.splice(0)) release();
    await flushed;
    expect(rec.stats()).toEqual({ recorded: 100, dropped: 0, failedBatches: 0, pruned: 0, buffered: 0 });
    await stores.close();
  });

  it("with the off-thread writer, buffers rows made at record time: a bad decision is dropped alone, logged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-recorder-"));
    try {
      const stores = await openStores(join(dir, "palisade.db"));
      const writer = offThreadDecisionWriter(stores);
      if (writer === undefined) throw new Error("a SQLite file's bundle has an off-thread writer");
      const log: string[] = [];
      const rec = new DecisionRecorder({ ...options(writer, log), retention: {} });
      rec.record(input(1));
      rec.record({ ...input(2), uid: "" });
      rec.record({ ...input(3), at: new Date(Number.NaN) });
      rec.record(input(4));
      // Made into rows as recorded: the refused ones never reach the buffer, and never fail the batch.
      expect(rec.stats()).toEqual({ recorded: 0, dropped: 2, failedBatches: 0, pruned: 0, buffered: 2 });
      await rec.close();
      await writer.close();
      expect(rec.stats()).toEqual({ recorded: 2, dropped: 2, failedBatches: 0, pruned: 0, buffered: 0 });
      expect(log).toEqual([
        "cannot record admission decision  (dropped): admission decision: no uid",
        "cannot record admission decision u3 (dropped): admission decision: bad time",
      ]);
      // Read back whole, as the store's own append writes them.
      const direct = await openStores("memory:");
      await direct.admissionDecisions.append([input(4), input(1)].reverse());
      const strip = (items: readonly object[]) => items.map(({ seq: _, ...rest }: { seq?: unknown }) => rest);
      expect(strip((await stores.admissionDecisions.list()).items)).toEqual(
        strip((await direct.admissionDecisions.list()).items),
      );
      await direct.close();
      await stores.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loses nothing on shutdown with the off-thread SQLite writer and batches in flight; all readable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-recorder-"));
    try {
      const stores = await openStores(join(dir, "palisade.db"));
      const writer = offThreadDecisionWriter(stores);
      if (writer === undefined) throw new Error("a SQLite file's bundle has an off-thread writer");
      const rec = new DecisionRecorder({
        ...options(writer),
        maxBuffered: 10_000,
        batchSize: 25,
        maxBatchesInFlight: 8,
        retention: {},
      });
      // Recorded in three bursts with flushes started between them, then closed at once, as serve stops.
      for (let i = 1; i <= 3000; i++) {
        rec.record(input(i));
        if (i % 1000 === 0) void rec.flush();
      }
      await rec.close();
      await writer.close();
      expect(rec.stats()).toEqual({ recorded: 3000, dropped: 0, failedBatches: 0, pruned: 0, buffered: 0 });
      const uids: string[] = [];
      for (let after: string | undefined; ; ) {
        const page = await stores.admissionDecisions.list({ limit: 500, after });
        uids.push(...page.items.map((d) => d.uid));
        if (page.next === undefined) break;
        after = page.next;
      }
      // Newest first, each once, in the order recorded.
      expect(uids).toEqual(Array.from({ length: 3000 }, (_, i) => `u${3000 - i}`));
      await stores.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
