import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { finding } from "../../../../test/contracts/finding-store.contract.js";
import type { Finding, ResourceRef } from "../../../core/findings/index.js";
import { encodeObjectKey } from "../platform-rows.js";
import type { SnapshotObject, Stores } from "../ports.js";
import { openSqlite } from "./connection.js";
import { openSqliteStores } from "./index.js";

const tmp = mkdtempSync(join(tmpdir(), "palisade-ingest-writer-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = () => join(tmp, `s${n++}.db`);
const T = (hour: number) => new Date(Date.UTC(2026, 11, 5, hour));

const dep = (name: string): ResourceRef => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  namespace: "ns",
  name,
});
const obj = (name: string, hash: string, uid?: string): SnapshotObject => {
  const object = { metadata: { name, namespace: "ns", ...(uid ? { uid } : {}) }, hash };
  return { key: dep(name), hash, ...(uid ? { uid } : {}), object, json: JSON.stringify(object) };
};

/** Every stored row of the tables an ingest writes, in storage order. */
function dump(path: string): Record<"versions" | "snapshots" | "findings" | "evaluations", unknown[]> {
  const db = openSqlite(path);
  try {
    const all = (sql: string) => db.prepare(sql).all();
    return {
      versions: all("SELECT * FROM object_versions ORDER BY vid"),
      snapshots: all("SELECT * FROM inventory_snapshots ORDER BY cluster, observed_at"),
      findings: all("SELECT * FROM findings ORDER BY fid"),
      evaluations: all("SELECT * FROM finding_evaluations ORDER BY cluster"),
    };
  } finally {
    db.close();
  }
}

/** Three snapshots of one cluster: objects changed, vanished and new; findings changed, resolved, reopened. */
const STEPS: { at: Date; objects: SnapshotObject[]; findings: Finding[] }[] = [
  {
    at: T(1),
    objects: [obj("a", "h1", "u1"), obj("b", "h1"), obj("c", "h1")],
    findings: [finding("R1", "ns", "a"), finding("R2", "ns", "b"), finding("R1", "ns", "c", "low")],
  },
  {
    at: T(2),
    objects: [obj("a", "h2", "u1"), obj("c", "h1"), obj("d", "h1")],
    findings: [
      finding("R1", "ns", "a", "critical"),
      finding("R1", "ns", "c", "low"),
      finding("R3", "ns", "d"),
    ],
  },
  {
    at: T(3),
    objects: [obj("a", "h2", "u2"), obj("b", "h1"), obj("d", "h1")],
    findings: [finding("R2", "ns", "b"), finding("R3", "ns", "d")],
  },
];

function withStores(path: string, fn: (s: Stores) => Promise<void>): Promise<void> {
  const stores = openSqliteStores(path);
  return fn(stores).finally(() => stores.close());
}

describe("OffThreadIngestWriter", () => {
  it("stores, row for row, what putSnapshot and upsertEvaluation store, and answers the same", async () => {
    const [inThread, offThread] = [file(), file()];
    const answers: unknown[][] = [[], []];
    await withStores(inThread, async (s) => {
      for (const step of STEPS)
        answers[0]?.push({
          snapshot: await s.snapshots.putSnapshot("c1", step.at, "all", step.objects),
          findings: await s.findings.upsertEvaluation("c1", step.at, step.findings),
        });
    });
    await withStores(offThread, async (s) => {
      const writer = s.evaluatedSnapshots;
      expect(writer).toBeDefined();
      for (const step of STEPS)
        answers[1]?.push(await writer?.begin("c1", step.at, step.objects).finish(step.findings));
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(dump(offThread)).toEqual(dump(inThread));
    expect(dump(offThread).versions).toHaveLength(7);
  });

  it("stores nothing of a write that fails or is aborted (before, the versions were committed first)", async () => {
    const path = file();
    await withStores(path, async (s) => {
      const writer = s.evaluatedSnapshots;
      const twice = [finding("R1", "ns", "a"), finding("R1", "ns", "a")];
      await expect(writer?.begin("c1", T(1), STEPS[0]?.objects ?? []).finish(twice)).rejects.toMatchObject({
        code: "INPUT",
      });
      writer?.begin("c1", T(2), STEPS[1]?.objects ?? []).abort();
      // The worker is free again: a later write goes through.
      await writer?.begin("c2", T(3), STEPS[2]?.objects ?? []).finish([]);
    });
    const rows = dump(path);
    expect(rows.versions.map((v) => (v as { cluster: string }).cluster)).toEqual(["c2", "c2", "c2"]);
    expect(rows.snapshots).toHaveLength(1);
    expect(rows.findings).toEqual([]);
  });

  it("plans again on this thread when what it read changed before the worker held the lock", async () => {
    const path = file();
    await withStores(path, async (s) => {
      // Another writer holds the lock while the write is planned, and adds a version of "a" before releasing it.
      const other = openSqlite(path);
      other.prepare("BEGIN IMMEDIATE").run();
      const write = s.evaluatedSnapshots?.begin("c1", T(2), STEPS[0]?.objects ?? []);
      other
        .prepare(
          "INSERT INTO object_versions (cluster, key, uid, hash, object, valid_from) VALUES ('c1', ?, 'u1', 'h1', ?, ?)",
        )
        .run(encodeObjectKey(dep("a")), STEPS[0]?.objects[0]?.json, T(1).toISOString());
      other.prepare("COMMIT").run();
      other.close();
      const stored = await write?.finish([]);
      // Planned against the stored "a" (unchanged), not the empty cluster the first plan read.
      expect(stored?.snapshot).toEqual({ opened: 2, closed: 0, unchanged: 1 });
    });
    const open = dump(path).versions.filter((v) => (v as { valid_to: string | null }).valid_to === null);
    expect(open).toHaveLength(3);
  });

  it("refuses at once a write on its own connection while a write is open, instead of waiting for the lock", async () => {
    await withStores(file(), async (s) => {
      const write = s.evaluatedSnapshots?.begin("c1", T(1), STEPS[0]?.objects ?? []);
      await expect(
        s.audit.append({ at: T(1), actor: "a", action: "x", subject: "y", details: {} }),
      ).rejects.toMatchObject({ code: "INTERNAL" });
      await write?.finish(STEPS[0]?.findings ?? []);
      await s.audit.append({ at: T(1), actor: "a", action: "x", subject: "y", details: {} });
    });
  });
});
