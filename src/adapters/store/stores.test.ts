import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { describeAdmissionDecisionStoreContract } from "../../../test/contracts/admission-decision-store.contract.js";
import { finding } from "../../../test/contracts/finding-store.contract.js";
import {
  describeRemediationConcurrency,
  describeStoresContracts,
  describeVulnStoreContract,
  rec,
  record,
} from "../../../test/contracts/index.js";
import { decision } from "../../../test/contracts/store-revision.contract.js";
import { dg, img } from "../../core/lineage/__fixtures__/images.js";
import type { WorkloadBaseline } from "../../core/runtime/index.js";
import {
  type AdmissionDecisionStore,
  MemoryVulnStore,
  migrateSqlite,
  offThreadDecisionWriter,
  openStores,
  SchemaTooNewError,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
  type SqliteDatabase,
  SqliteVulnStore,
} from "./index.js";

const tmp = mkdtempSync(join(tmpdir(), "palisade-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type RawDb = {
  exec(s: string): void;
  prepare(s: string): {
    run(...a: unknown[]): unknown;
    all(...a: unknown[]): unknown[];
    get(...a: unknown[]): unknown;
  };
  close(): void;
};
const RawDatabase = createRequire(import.meta.url)("better-sqlite3") as new (f: string) => RawDb;

let n = 0;
const freshFile = () => join(tmp, `db-${n++}`, "palisade.db");
const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();

/**
 * Count the rows written to `findings` of the store file from now on (a trigger on another connection: the
 * store's own statements fire it too). The count so far, each call.
 */
function countFindingWrites(file: string): () => number {
  const db = new RawDatabase(file);
  db.exec(`
CREATE TABLE finding_writes (n INTEGER NOT NULL);
INSERT INTO finding_writes VALUES (0);
CREATE TRIGGER finding_inserted AFTER INSERT ON findings BEGIN UPDATE finding_writes SET n = n + 1; END;
CREATE TRIGGER finding_updated AFTER UPDATE ON findings BEGIN UPDATE finding_writes SET n = n + 1; END;
`);
  db.close();
  return () => {
    const r = new RawDatabase(file);
    try {
      return (r.prepare("SELECT n FROM finding_writes").get() as { n: number }).n;
    } finally {
      r.close();
    }
  };
}
// One contract per port, every backend (STYLE.md convention 8). PostgreSQL runs the same suites against a real
// server in test/integration/stores-postgres.test.ts.
describeStoresContracts("memory", () => openStores("memory:"));
describeStoresContracts("sqlite (:memory:)", () => openStores(":memory:"), { changeMark: true });
describeStoresContracts("sqlite (file)", () => openStores(freshFile()), { changeMark: true });
// The webhook's way: decisions appended and pruned by a worker thread with its own connection, read by the bundle.
describeAdmissionDecisionStoreContract(
  "sqlite (file, written off-thread)",
  async () => {
    const stores = await openStores(freshFile());
    const writer = offThreadDecisionWriter(stores);
    if (writer === undefined) throw new Error("a SQLite file's bundle has an off-thread writer");
    const admissionDecisions: AdmissionDecisionStore = {
      append: (d) => writer.append(d),
      prune: (r, o) => writer.prune(r, o),
      list: (q) => stores.admissionDecisions.list(q),
    };
    return new Proxy(stores, {
      get(target, key) {
        if (key === "admissionDecisions") return admissionDecisions;
        if (key === "close")
          return async () => {
            await writer.close();
            await target.close();
          };
        const v: unknown = Reflect.get(target, key);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  },
  { offThread: true },
);
it("sqlite: the change mark moves with commits of other connections to the file (another bundle, the off-thread writer, another process's), not with reads", async () => {
  const file = freshFile();
  const a = await openStores(file);
  const b = await openStores(file);
  const writer = offThreadDecisionWriter(b);
  try {
    const mark = () => a.changeMark?.();
    const seen = [mark()];
    expect(seen[0]).toMatch(/^\d+:\d+$/);
    await b.tokens.list();
    await b.snapshots.clusters();
    expect(mark()).toBe(seen[0]);
    const moved = async (write: () => Promise<unknown> | unknown) => {
      await write();
      const m = mark();
      expect(seen).not.toContain(m);
      seen.push(m);
    };
    await moved(() => b.snapshots.putSnapshot("prod", new Date("2026-01-01T00:00:00.000Z"), "all", []));
    await moved(() => writer?.append([decision("u1")]));
    // A connection of its own, as another process has.
    await moved(() => {
      const raw = new RawDatabase(file);
      try {
        raw
          .prepare("INSERT INTO api_tokens (id, digest, role, team, created_at) VALUES (?, ?, ?, ?, ?)")
          .run("tok_b", "b".repeat(64), "admin", null, "2026-01-01T00:00:00.000Z");
      } finally {
        raw.close();
      }
    });
    expect((await a.tokens.list()).map((t) => t.id)).toEqual(["tok_b"]);
    expect(mark()).toBe(seen.at(-1));
  } finally {
    await writer?.close();
    await b.close();
    await a.close();
  }
});
it("no off-thread writer for an in-memory bundle (nothing else can open it)", async () => {
  for (const s of [await openStores(":memory:"), await openStores("memory:")]) {
    expect(offThreadDecisionWriter(s)).toBeUndefined();
    await s.close();
  }
});
describeVulnStoreContract("memory (alone)", () => new MemoryVulnStore());
describeVulnStoreContract("sqlite (alone, file)", () => new SqliteVulnStore(freshFile()));

// Two processes, each with its own connection to one file, advancing the same record: BEGIN IMMEDIATE
// serialises them. (Within one process better-sqlite3 is synchronous, so only processes can interleave.)
describe("RemediationStore concurrency: sqlite, two processes on one file", () => {
  it("two advancers in two processes lose no update (both start on a file that does not exist yet)", async () => {
    const file = freshFile();
    const script = resolve("test/support/remediation-advancer.ts");
    const run = () =>
      promisify(execFile)(process.execPath, ["--import", "tsx", script, file, "40"], { timeout: 60_000 });
    await Promise.all([run(), run()]);
    const stores = await openStores(file);
    try {
      expect((await stores.remediation.listRecords()).map((r) => [r.key, r.reopenCount])).toEqual([
        ["K|a", 80],
      ]);
    } finally {
      await stores.close();
    }
  }, 90_000);
});
describeRemediationConcurrency("sqlite, two connections in one process", async () => {
  const file = freshFile();
  const a = await openStores(file);
  const b = await openStores(file);
  return [
    a.remediation,
    b.remediation,
    async () => {
      await a.close();
      await b.close();
    },
  ];
});

describe("SqliteVulnStore", () => {
  it("persists across reopen", async () => {
    const file = join(tmp, "persist", "p.db");
    const s1 = new SqliteVulnStore(file);
    const r = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
    await s1.putRecords([r]);
    await s1.markImported("2024-01-02T00:00:00.000Z");
    await s1.close();
    const s2 = new SqliteVulnStore(file);
    expect([(await s2.lookup(["npm\u0000a"])).get("npm\u0000a"), (await s2.status()).importedAt]).toEqual([
      [r],
      "2024-01-02T00:00:00.000Z",
    ]);
    await s2.close();
  });
});

describe("SqliteVulnStore imports", () => {
  it("an import closed without finishing (as a killed process) leaves the previous data and reads as interrupted", async () => {
    const file = join(tmp, "interrupted", "p.db");
    const s1 = new SqliteVulnStore(file);
    const a = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
    await s1.beginImport("2024-01-02T00:00:00.000Z");
    await s1.putRecords([a]);
    await s1.finishImport("2024-01-02T00:01:00.000Z");
    await s1.beginImport("2024-01-03T00:00:00.000Z");
    await s1.putRecords([rec("B-1", "2024-01-01T00:00:00Z", [["npm", "b"]])]);
    await s1.close();
    const s2 = new SqliteVulnStore(file);
    const st = await s2.status();
    expect([
      st.importState,
      st.importStartedAt,
      st.importedAt,
      st.advisories,
      await s2.lookup(["npm\u0000a"]),
    ]).toEqual([
      "interrupted",
      "2024-01-03T00:00:00.000Z",
      "2024-01-02T00:01:00.000Z",
      1,
      new Map([["npm\u0000a", [a]]]),
    ]);
    // The next import that finishes makes it complete again.
    await s2.beginImport("2024-01-04T00:00:00.000Z");
    await s2.finishImport("2024-01-04T00:01:00.000Z");
    expect((await s2.status()).importState).toBe("complete");
    await s2.close();
  });
});

/** The DDL and rows Palisade wrote before schema migrations existed (vulnerability schema "2", lineage "1"). */
function makePreviousSchemaFile(file: string): void {
  const db = new RawDatabase(file);
  db.exec(`
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE advisories (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, modified TEXT NOT NULL, ecosystems TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE affected (key TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (key, rid)) WITHOUT ROWID;
CREATE INDEX affected_by_advisory ON affected (rid);
CREATE TABLE lineage_schema (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE known_images (digest TEXT PRIMARY KEY, platform TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, image TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE known_image_refs (ref TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (ref, digest)) WITHOUT ROWID;
CREATE TABLE remediation_records (key TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at TEXT NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '2'), ('imported_at', '2024-01-02T00:00:00.000Z');
INSERT INTO lineage_schema VALUES ('version', '1');
`);
  const r = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
  db.prepare("INSERT INTO advisories (rid, id, modified, ecosystems, record) VALUES (1, ?, ?, ?, ?)").run(
    r.id,
    r.modified,
    '["npm"]',
    JSON.stringify(r),
  );
  db.prepare("INSERT INTO affected VALUES (?, 1)").run("npm\u0000a");
  db.prepare("INSERT INTO known_images VALUES (?, '', ?, ?, ?)").run(
    dg(1),
    "2025-01-01T00:00:00.000Z",
    "2025-01-02T00:00:00.000Z",
    JSON.stringify(img(1, ["a/app:1"], ["x"])),
  );
  db.prepare("INSERT INTO known_image_refs VALUES ('a/app:1', ?)").run(dg(1));
  const k = record("CVE-1|a/app");
  db.prepare("INSERT INTO remediation_records VALUES (?, ?, ?, ?)").run(
    k.key,
    k.state,
    k.updatedAt,
    JSON.stringify(k),
  );
  db.close();
}

describe("SQLite schema migrations", () => {
  it("are numbered 1..n in order", () => {
    expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual(
      Array.from({ length: SQLITE_SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it("migrate a database made by the previous schema in place, data intact, once", async () => {
    const file = join(tmp, "previous", "palisade.db");
    rmSync(join(tmp, "previous"), { recursive: true, force: true });
    createRequire(import.meta.url)("node:fs").mkdirSync(join(tmp, "previous"), { recursive: true });
    makePreviousSchemaFile(file);
    for (let round = 0; round < 2; round++) {
      const stores = await openStores(file);
      try {
        expect([
          (await stores.vulns.lookup(["npm\u0000a"])).get("npm\u0000a"),
          (await stores.vulns.status()).importedAt,
          (await stores.images.listImages()).images.map((i) => [i.image.digest, i.image.refs, i.firstSeen]),
          await stores.remediation.listRecords(),
        ]).toEqual([
          [rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]])],
          "2024-01-02T00:00:00.000Z",
          [[dg(1), ["docker.io/a/app:1"], "2025-01-01T00:00:00.000Z"]],
          [record("CVE-1|a/app")],
        ]);
        // The new stores work on the migrated file.
        await stores.audit.append({ at: new Date(0), actor: "t", action: "migrated", subject: file });
      } finally {
        await stores.close();
      }
    }
    const db = new RawDatabase(file);
    const applied = db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    const markers = [
      db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get(),
      db.prepare("SELECT value FROM lineage_schema WHERE key = 'version'").get(),
    ];
    db.close();
    expect(applied).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // The previous Palisade's markers stay: the file is still readable by it.
    expect(markers).toEqual([{ value: "2" }, { value: "1" }]);
  });

  it("a database left at every earlier version migrates to the schema a new database has", async () => {
    const schemaOf = (file: string) => {
      const db = new RawDatabase(file);
      const objects = db
        .prepare(
          "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .all();
      const applied = db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
      db.close();
      return { objects, applied };
    };
    const fresh = freshFile();
    await (await openStores(fresh)).close();
    const want = schemaOf(fresh);
    expect(want.applied).toHaveLength(SQLITE_SCHEMA_VERSION);
    for (let k = 1; k < SQLITE_SCHEMA_VERSION; k++) {
      const file = freshFile();
      mkdirSync(join(file, ".."), { recursive: true });
      const db = new RawDatabase(file);
      migrateSqlite(db as unknown as SqliteDatabase, file, SQLITE_MIGRATIONS.slice(0, k));
      db.close();
      expect(schemaOf(file).applied).toHaveLength(k);
      await (await openStores(file)).close();
      expect({ from: k, ...schemaOf(file) }).toEqual({ from: k, ...want });
    }
  });

  it("migration 10 keeps every finding (moved into a rowid table, the key still unique)", async () => {
    const file = freshFile();
    mkdirSync(join(file, ".."), { recursive: true });
    const db = new RawDatabase(file);
    migrateSqlite(db as unknown as SqliteDatabase, file, SQLITE_MIGRATIONS.slice(0, 9));
    const finding = { id: "f1", ruleId: "r", severity: "high", team: "alpha" };
    db.prepare(
      "INSERT INTO findings (cluster, id, rule_id, severity, namespace, team, first_seen, last_seen, resolved_at, finding) VALUES ('prod', 'f1', 'r', 'high', 'shop', 'alpha', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', NULL, ?)",
    ).run(JSON.stringify(finding));
    db.close();
    const stores = await openStores(file);
    const page = await stores.findings.list({ team: "alpha" });
    await stores.close();
    expect(page.items).toEqual([
      {
        cluster: "prod",
        finding,
        firstSeen: "2026-01-01T00:00:00.000Z",
        lastSeen: "2026-01-02T00:00:00.000Z",
      },
    ]);
  });

  it("migration 16 keeps every finding's first and last seen; each stored row is rewritten once, then only on change", async () => {
    const file = freshFile();
    mkdirSync(join(file, ".."), { recursive: true });
    const db = new RawDatabase(file);
    migrateSqlite(db as unknown as SqliteDatabase, file, SQLITE_MIGRATIONS.slice(0, 15));
    const a = finding("R1", "ns", "a");
    const b = finding("R2", "ns", "b");
    const insert = db.prepare(
      "INSERT INTO findings (cluster, id, rule_id, severity, namespace, team, first_seen, last_seen, resolved_at, finding) VALUES ('prod', ?, 'r', 'high', 'ns', NULL, ?, ?, ?, ?)",
    );
    insert.run(a.id, day(1), day(2), null, JSON.stringify(a));
    insert.run(b.id, day(1), day(1), day(2), JSON.stringify(b));
    db.close();
    const stores = await openStores(file);
    try {
      const seen = async () =>
        (await stores.findings.list({ cluster: "prod" })).items.map((f) => [
          f.finding.id,
          f.firstSeen,
          f.lastSeen,
          f.resolvedAt,
        ]);
      const byId = (xs: (string | undefined)[][]) =>
        xs.sort((x, y) => ((x[0] ?? "") < (y[0] ?? "") ? -1 : 1));
      expect(await seen()).toEqual(
        byId([
          [a.id, day(1), day(2), undefined],
          [b.id, day(1), day(1), day(2)],
        ]),
      );
      const writes = countFindingWrites(file);
      await stores.findings.upsertEvaluation("prod", new Date(day(3)), [a]);
      await stores.findings.upsertEvaluation("prod", new Date(day(4)), [a]);
      expect(writes()).toBe(1);
      await stores.findings.upsertEvaluation("prod", new Date(day(5)), []);
      expect(writes()).toBe(2);
      expect(await seen()).toEqual(
        byId([
          [a.id, day(1), day(4), day(5)],
          [b.id, day(1), day(1), day(2)],
        ]),
      );
    } finally {
      await stores.close();
    }
  });

  it("an open finding reported again unchanged costs no row write; new, changed, reopened and resolved ones one each", async () => {
    const file = freshFile();
    const stores = await openStores(file);
    try {
      const a = finding("R1", "ns", "a");
      const b = finding("R2", "ns", "b");
      const c = finding("R3", "ns", "c");
      await stores.findings.upsertEvaluation("prod", new Date(day(1)), [a, b, c]);
      const writes = countFindingWrites(file);
      await stores.findings.upsertEvaluation("prod", new Date(day(2)), [a, b, c]);
      expect(writes()).toBe(0);
      await stores.findings.upsertEvaluation("prod", new Date(day(3)), [a, { ...b, message: "changed" }]);
      expect(writes()).toBe(2);
      await stores.findings.upsertEvaluation("prod", new Date(day(4)), [a, { ...b, message: "changed" }, c]);
      expect(writes()).toBe(3);
      expect(
        (await stores.findings.list({ cluster: "prod", openOnly: true })).items.map((f) => f.lastSeen),
      ).toEqual([day(4), day(4), day(4)]);
    } finally {
      await stores.close();
    }
  });

  it("migration 14 keeps every baseline stored before, as the local book (cluster '')", async () => {
    const file = freshFile();
    mkdirSync(join(file, ".."), { recursive: true });
    const db = new RawDatabase(file);
    migrateSqlite(db as unknown as SqliteDatabase, file, SQLITE_MIGRATIONS.slice(0, 13));
    const body: WorkloadBaseline = {
      workload: { kind: "Deployment", namespace: "shop", name: "web" },
      state: "observing",
      learningFrom: 1,
      windowMs: 2,
      stateSince: 3,
      observations: 4,
      novelty: 0.5,
      processes: {},
      peers: {},
      overflow: 0,
    };
    db.prepare("INSERT INTO runtime_baselines (key, body, updated_at) VALUES (?, ?, ?)").run(
      "shop/Deployment/web",
      JSON.stringify(body),
      "2026-01-01T00:00:00.000Z",
    );
    db.close();
    const stores = await openStores(file);
    try {
      expect(await stores.baselines.baselineClusters()).toEqual([""]);
      expect(await stores.baselines.listBaselines("")).toEqual({ baselines: [body], coverage: [] });
    } finally {
      await stores.close();
    }
  });

  it("a database newer than this Palisade is refused with a typed error, and left as it is", async () => {
    const file = freshFile();
    await (await openStores(file)).close();
    const db = new RawDatabase(file);
    db.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 'x')",
    ).run(SQLITE_SCHEMA_VERSION + 1);
    db.close();
    const err = await openStores(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect(err).toMatchObject({
      code: "UNSUPPORTED",
      found: SQLITE_SCHEMA_VERSION + 1,
      supported: SQLITE_SCHEMA_VERSION,
      context: { file },
    });
    expect(String((err as Error).message)).toContain(`schema version ${SQLITE_SCHEMA_VERSION + 1}`);
  });

  it("opening an up-to-date database takes no lock: it opens while an import holds the write lock", async () => {
    const file = freshFile();
    const importer = new SqliteVulnStore(file);
    await importer.beginImport("2025-01-01T00:00:00.000Z");
    try {
      const reader = await openStores(file, { lockTimeoutMs: 50 });
      expect((await reader.vulns.status()).importState).toBe("running");
      await reader.close();
    } finally {
      await importer.abortImport();
      await importer.close();
    }
  });

  it("refuses previous-schema tables whose marker says another version", async () => {
    const file = join(tmp, "other-lineage", "p.db");
    createRequire(import.meta.url)("node:fs").mkdirSync(join(tmp, "other-lineage"), { recursive: true });
    makePreviousSchemaFile(file);
    const db = new RawDatabase(file);
    db.exec("UPDATE lineage_schema SET value = '99' WHERE key = 'version'");
    db.close();
    await expect(openStores(file)).rejects.toMatchObject({
      code: "UNSUPPORTED",
      message: expect.stringContaining("schema 99"),
    });
  });
});

describe("openStores", () => {
  it("with create: false, a missing SQLite file is not created and reads as empty", async () => {
    const file = join(tmp, "absent", "palisade.db");
    const stores = await openStores(file, { create: false });
    expect([
      stores.location,
      (await stores.images.listImages()).images,
      (await stores.vulns.status()).advisories,
      createRequire(import.meta.url)("node:fs").existsSync(file),
    ]).toEqual([file, [], 0, false]);
    await stores.close();
  });
});

describe("pathological cases", () => {
  it("an unreadable stored image is a coverage entry; the rest still loads", async () => {
    const file = freshFile();
    const s = await openStores(file);
    await s.images.putImages([img(1, ["a/b:1"], ["x"]), img(2, ["a/c:1"], ["y"])], new Date(0));
    await s.close();
    const db = new RawDatabase(file);
    db.prepare("UPDATE known_images SET image = ? WHERE digest = ?").run('{"__proto__": {"x": 1}}', dg(2));
    db.close();
    const again = await openStores(file);
    const r = await again.images.listImages();
    await again.close();
    expect([r.images.map((i) => i.image.digest), r.coverage.map((c) => [c.reason, c.subject])]).toEqual([
      [dg(1)],
      [["invalid", dg(2)]],
    ]);
  });

  it("a damaged remediation record is an INTEGRITY error naming the file", async () => {
    const file = freshFile();
    const s = await openStores(file);
    await s.remediation.update(() => ({ records: [record("K|a")], result: 0 }));
    await s.close();
    const db = new RawDatabase(file);
    db.prepare("UPDATE remediation_records SET record = ?").run('{"constructor": 1}');
    db.close();
    const again = await openStores(file);
    await expect(again.remediation.listRecords()).rejects.toMatchObject({
      code: "INTEGRITY",
      context: { file },
    });
    await again.close();
  });
});
