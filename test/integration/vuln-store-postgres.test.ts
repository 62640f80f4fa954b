import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  MemoryVulnStore,
  PgVulnStore,
  recordKeys,
  SqliteVulnStore,
  type VulnStore,
} from "../../src/adapters/store/index.js";
import { toCycloneDx } from "../../src/core/sbom/index.js";
import { APP_SBOM } from "../../src/core/vuln/__fixtures__/app-sbom.js";
import { advisoryKey, type OsvRecord } from "../../src/core/vuln/index.js";
import { describeVulnStoreContract, rec } from "../contracts/index.js";
import { runCli } from "../support/cli.js";
import { importOsvPaths } from "../support/osv-import.js";

/**
 * The VulnStore contract against a real PostgreSQL. Every store opened here lives in its own freshly named
 * schema (palisade_test_<pid>_<random>), dropped after the file, so parallel test files, parallel CI jobs on
 * one server and re-runs after a crash never see each other's rows.
 */
const URL_BASE = process.env.PALISADE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const OSV = resolve("src/core/vuln/__fixtures__/osv");
const NOW = new Date("2024-06-01T00:00:00Z");

async function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 5432) });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(2_000, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

const UP = await reachable(URL_BASE);
const SKIP_REASON = `PostgreSQL is not reachable at ${new URL(URL_BASE).host} (set PALISADE_TEST_PG_URL or start it; CI does)`;

const schemas: string[] = [];
function freshSchema(): string {
  const s = `palisade_test_${process.pid}_${randomBytes(6).toString("hex")}`;
  schemas.push(s);
  return s;
}
const urlFor = (schema: string): string => {
  const u = new URL(URL_BASE);
  u.searchParams.set("schema", schema);
  return u.toString();
};

const tmp = mkdtempSync(join(tmpdir(), "palisade-pg-"));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  if (!UP || schemas.length === 0) return;
  const admin = new pg.Client({ connectionString: URL_BASE });
  await admin.connect();
  try {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await admin.end();
  }
});

if (!UP) {
  // CI starts PostgreSQL: there an unreachable server is a failure, not a skip.
  if (process.env.CI !== undefined)
    it("PostgreSQL is reachable in CI", () => {
      expect(SKIP_REASON).toBe("reachable");
    });
  else it.skip(`PgVulnStore contract and integration tests: skipped, ${SKIP_REASON}`, () => {});
}

describe.runIf(UP)("PgVulnStore", () => {
  describeVulnStoreContract("postgres", () => PgVulnStore.open(URL_BASE, { schema: freshSchema() }));

  const opened: VulnStore[] = [];
  const open = async (
    url: string,
    opts: { schema?: string; lockTimeoutMs?: number } = {},
  ): Promise<PgVulnStore> => {
    const s = await PgVulnStore.open(url, opts);
    opened.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  it("shares one database: a second store (another fleet member) sees writes, and state persists", async () => {
    const schema = freshSchema();
    const a = await open(urlFor(schema));
    const b = await open(urlFor(schema));
    const r = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
    await a.putRecords([r]);
    await a.markImported("2024-01-02T00:00:00.000Z");
    await a.close();
    const c = await open(URL_BASE, { schema });
    expect([await b.lookup(["npm\u0000a"]), (await c.status()).importedAt]).toEqual([
      new Map([["npm\u0000a", [r]]]),
      "2024-01-02T00:00:00.000Z",
    ]);
  });

  it("creates the schema once when fleet members start together", async () => {
    const schema = freshSchema();
    const stores = await Promise.all([1, 2, 3, 4].map(() => open(urlFor(schema))));
    const admin = new pg.Client({ connectionString: URL_BASE });
    await admin.connect();
    const version = await admin.query(`SELECT version FROM "${schema}".schema_version`);
    await admin.end();
    expect([stores.length, version.rows]).toEqual([4, [{ version: 1 }]]);
  });

  it("converges on the newest copy when importers write the same ids concurrently", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(urlFor(schema)), await open(urlFor(schema))];
    const ids = Array.from({ length: 300 }, (_, i) => `C-${String(i).padStart(3, "0")}`);
    const older = ids.map((id) => rec(id, "2024-01-01T00:00:00Z", [["npm", `old-${id}`]]));
    const newer = ids.map((id) => rec(id, "2024-02-01T00:00:00Z", [["npm", `new-${id}`]]));
    // Opposite orders in the two batches: lock ordering must not deadlock.
    await Promise.all([a.putRecords(older), b.putRecords([...newer].reverse())]);
    const got = await a.lookup(ids.flatMap((id) => [`npm\u0000old-${id}`, `npm\u0000new-${id}`]));
    expect([got.size, (await a.status()).packages]).toEqual([300, 300]);
    expect(got).toEqual(new Map(newer.map((r) => [`npm\u0000new-${r.id}`, [r]])));
  });

  it("writes batches larger than one statement, and records with more index rows than one statement", async () => {
    const s = await open(URL_BASE, { schema: freshSchema() });
    const many = Array.from({ length: 12_000 }, (_, i) =>
      rec(`M-${i}`, "2024-01-01T00:00:00Z", [
        ["npm", `p${i % 4_000}`],
        ["PyPI", `q${i}`],
      ]),
    );
    const wide = rec(
      "W-1",
      "2024-01-01T00:00:00Z",
      Array.from({ length: 21_000 }, (_, i): [string, string] => ["Go", `example.com/m${i}`]),
    );
    expect(await s.putRecords([...many, wide])).toEqual({ written: 12_001, unchanged: 0 });
    const st = await s.status();
    const hits = await s.lookup(["npm\u0000p7", "Go\u0000example.com/m20999", "PyPI\u0000q11999"]);
    expect([
      st.advisories,
      st.packages,
      st.byEcosystem,
      [...hits].map(([k, v]) => [k, v.map((r) => r.id)]),
    ]).toEqual([
      12_001,
      4_000 + 12_000 + 21_000,
      { Go: 1, PyPI: 12_000, npm: 12_000 },
      [
        ["npm\u0000p7", ["M-4007", "M-7", "M-8007"]],
        ["Go\u0000example.com/m20999", ["W-1"]],
        ["PyPI\u0000q11999", ["M-11999"]],
      ],
    ]);
  });

  it("imports the OSV fixtures exactly as the SQLite and in-memory stores do (differential)", async () => {
    const pgStore = await open(URL_BASE, { schema: freshSchema() });
    const sqlite = new SqliteVulnStore(join(tmp, "diff.db"));
    const memory = new MemoryVulnStore();
    const results = [];
    for (const s of [pgStore, sqlite, memory])
      results.push(await importOsvPaths(s, [OSV], { now: () => NOW }));
    // Every key any fixture record is indexed under, plus one that matches nothing.
    const keys = [
      ...new Set((await fixtureRecords()).flatMap((r) => recordKeys(r, advisoryKey))),
      "npm\u0000not-there",
    ];
    const views = [];
    for (const s of [pgStore, sqlite, memory])
      views.push({ status: await s.status(), byKey: await s.lookup(keys) });
    sqlite.close();
    expect(results[0]).toEqual(results[1]);
    expect(views[0]).toEqual(views[1]);
    expect(views[0]).toEqual(views[2]);
    expect([views[0]?.status.advisories, views[0]?.byKey.size]).toEqual([12, keys.length - 1]);
  });

  it("an import closed without finishing (its connection gone, as a killed process) reads as interrupted", async () => {
    const schema = freshSchema();
    const a = await PgVulnStore.open(urlFor(schema));
    const r = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
    await a.beginImport("2024-01-02T00:00:00.000Z");
    await a.putRecords([r]);
    await a.finishImport("2024-01-02T00:01:00.000Z");
    await a.beginImport("2024-01-03T00:00:00.000Z");
    await a.putRecords([rec("B-1", "2024-01-01T00:00:00Z", [["npm", "b"]])]);
    await a.close();
    const b = await open(urlFor(schema));
    const st = await b.status();
    expect([
      st.importState,
      st.importStartedAt,
      st.importedAt,
      st.advisories,
      await b.lookup(["npm\u0000a"]),
    ]).toEqual([
      "interrupted",
      "2024-01-03T00:00:00.000Z",
      "2024-01-02T00:01:00.000Z",
      1,
      new Map([["npm\u0000a", [r]]]),
    ]);
  });

  it("one import at a time: a second waits for the lock, then fails with a clear message after its timeout", async () => {
    const schema = freshSchema();
    const a = await open(urlFor(schema));
    const b = await open(urlFor(schema), { lockTimeoutMs: 300 });
    await a.beginImport("2024-01-02T00:00:00.000Z");
    const runningSeenByB = (await b.status()).importState;
    const refused = await Promise.resolve(b.beginImport("2024-01-02T00:00:01.000Z")).then(
      () => "started",
      (e: { code: string; message: string }) => [e.code, e.message],
    );
    await a.finishImport("2024-01-02T00:01:00.000Z");
    await b.beginImport("2024-01-02T00:02:00.000Z");
    await b.finishImport("2024-01-02T00:03:00.000Z");
    expect([runningSeenByB, refused, (await a.status()).importState]).toEqual([
      "running",
      [
        "IO",
        "cannot start the import: another `palisade vuln db import` is writing this database; gave up after waiting 0.3 s: retry when it has finished, or wait longer with --lock-timeout SECONDS",
      ],
      "complete",
    ]);
  });

  it("a hand-edited advisory row is reported as a damaged database (INTEGRITY), not a crash", async () => {
    const schema = freshSchema();
    const s = await open(urlFor(schema));
    await s.putRecords([rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]])]);
    const admin = new pg.Client({ connectionString: URL_BASE });
    await admin.connect();
    await admin.query(`UPDATE "${schema}".advisories SET record = '{"id": "A-1", "affected": 5'`);
    await admin.end();
    await expect(Promise.resolve(s.lookup(["npm\u0000a"]))).rejects.toMatchObject({
      code: "INTEGRITY",
      message: expect.stringMatching(
        /^vulnerability database is damaged \(advisory "A-1": not valid JSON\): rebuild it/,
      ),
    });
  });

  it("CLI: --db and PALISADE_DB take a postgres:// URL; scan output equals the SQLite backend's", async () => {
    // After the newest fixture record (2024-06-21), so no record is dated in the future and none is stale.
    const NOW = new Date("2024-06-25T00:00:00Z");
    const url = urlFor(freshSchema());
    const withPassword = url.replace("postgres@", "postgres:secret@");
    const imp = await runCli(["vuln", "db", "import", OSV, "--db", url], { now: NOW, cwd: tmp });
    const st = await runCli(["vuln", "db", "status", "-o", "json"], {
      now: NOW,
      cwd: tmp,
      env: { PALISADE_DB: withPassword },
    });
    expect([imp.code, imp.stderr, st.code, st.stderr]).toEqual([0, "", 0, ""]);
    expect(imp.stdout).toMatch(
      /^imported 12 records from 12 files in \d+ ms: 12 written, 0 unchanged, 0 problems\n$/,
    );
    const status = JSON.parse(st.stdout);
    expect([status.path, status.advisories, status.importedAt, status.ageDays]).toEqual([
      // The store redacts the password; the CLI's credential guard (every write) then drops the userinfo.
      withPassword.replace(/\/\/[^@/]*@/, "//"),
      12,
      NOW.toISOString(),
      3,
    ]);

    const sbomFile = join(tmp, "app.cdx.json");
    writeFileSync(sbomFile, JSON.stringify(toCycloneDx(APP_SBOM, { now: NOW })));
    await runCli(["vuln", "db", "import", OSV, "--db", "ref.sqlite"], { now: NOW, cwd: tmp });
    const viaPg = await runCli(["vuln", "scan", "--sbom", sbomFile, "-o", "json", "--db", url], {
      now: NOW,
      cwd: tmp,
    });
    const viaSqlite = await runCli(["vuln", "scan", "--sbom", sbomFile, "-o", "json", "--db", "ref.sqlite"], {
      now: NOW,
      cwd: tmp,
    });
    expect([viaPg.code, viaPg.stderr, JSON.parse(viaPg.stdout).summary.active]).toEqual([0, "", 2]);
    expect(viaPg.stdout).toBe(viaSqlite.stdout);
  });

  describe("pathological cases", () => {
    it("refuses a schema written by another version rather than misreading it", async () => {
      const schema = freshSchema();
      await (await open(urlFor(schema))).close();
      const admin = new pg.Client({ connectionString: URL_BASE });
      await admin.connect();
      await admin.query(`UPDATE "${schema}".schema_version SET version = 99`);
      await admin.end();
      await expect(PgVulnStore.open(urlFor(schema))).rejects.toMatchObject({ code: "UNSUPPORTED" });
    });

    it("refuses schema names that are not plain identifiers, and URLs of other schemes", async () => {
      for (const schema of ['x"; DROP TABLE t; --', "Upper", "", "a".repeat(64)])
        await expect(PgVulnStore.open(URL_BASE, { schema })).rejects.toMatchObject({ code: "INPUT" });
      await expect(PgVulnStore.open("mysql://127.0.0.1/test")).rejects.toMatchObject({ code: "INPUT" });
    });

    it("reports an unreachable server as an IO error naming the URL without its password", async () => {
      const err = await PgVulnStore.open("postgres://u:hunter2@127.0.0.1:1/test").catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "IO", context: { url: "postgres://u:***@127.0.0.1:1/test" } });
      expect(String((err as Error).message)).not.toContain("hunter2");
    });
  });
});

async function fixtureRecords(): Promise<OsvRecord[]> {
  const m = new MemoryVulnStore();
  const all: OsvRecord[] = [];
  const put = m.putRecords.bind(m);
  m.putRecords = (records) => {
    all.push(...records);
    return put(records);
  };
  await importOsvPaths(m, [OSV], { now: () => NOW });
  return all;
}
