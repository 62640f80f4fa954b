import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  openStores,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
  SchemaTooNewError,
} from "../../src/adapters/store/index.js";
import { migratePg, PgConnection } from "../../src/adapters/store/postgres/index.js";
import { dg, img } from "../../src/core/lineage/__fixtures__/images.js";
import type { WorkloadBaseline } from "../../src/core/runtime/index.js";
import { finding } from "../contracts/finding-store.contract.js";
import { describeRemediationConcurrency, describeStoresContracts, rec, record } from "../contracts/index.js";
import { type CliResult, runCli } from "../support/cli.js";

/**
 * Every store port against a real PostgreSQL (the same contract suites the unit run gives memory and SQLite),
 * concurrent remediation advancers, schema migrations from the pre-migration schema, and the whole lineage flow
 * through the CLI with PALISADE_DB=postgres://... against the default SQLite file. Each schema is freshly named
 * (palisade_test_<pid>_<random>) and dropped after the file.
 */
const URL_BASE = process.env.PALISADE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

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
async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: URL_BASE });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const tmp = mkdtempSync(join(tmpdir(), "palisade-stores-pg-"));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  if (!UP || schemas.length === 0) return;
  await admin(async (c) => {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });
});

// No silent skip: the machine and CI run PostgreSQL, so an unreachable server fails this file.
it("PostgreSQL is reachable", () => {
  expect(
    UP
      ? "reachable"
      : `PostgreSQL is not reachable at ${new URL(URL_BASE).host} (set PALISADE_TEST_PG_URL or start it)`,
  ).toBe("reachable");
});

describe.runIf(UP)("stores on PostgreSQL", () => {
  describeStoresContracts("postgres", () => openStores(urlFor(freshSchema())));

  describeRemediationConcurrency("postgres, two pools on one schema", async () => {
    const url = urlFor(freshSchema());
    const a = await openStores(url);
    const b = await openStores(url);
    return [
      a.remediation,
      b.remediation,
      async () => {
        await a.close();
        await b.close();
      },
    ];
  });

  it("two advancers in two processes lose no update (both start on a schema that does not exist yet)", async () => {
    const url = urlFor(freshSchema());
    const script = resolve("test/support/remediation-advancer.ts");
    const run = () =>
      promisify(execFile)(process.execPath, ["--import", "tsx", script, url, "30"], { timeout: 60_000 });
    await Promise.all([run(), run()]);
    const stores = await openStores(url);
    try {
      expect((await stores.remediation.listRecords()).map((r) => [r.key, r.reopenCount])).toEqual([
        ["K|a", 60],
      ]);
    } finally {
      await stores.close();
    }
  }, 90_000);

  describe("schema migrations", () => {
    it("are numbered 1..n in order", () => {
      expect(PG_MIGRATIONS.map((m) => m.version)).toEqual(
        Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1),
      );
    });

    it("a schema left at every earlier version migrates to the schema a new one has", async () => {
      const describeSchema = (schema: string) =>
        admin(async (c) => ({
          columns: (
            await c.query(
              `SELECT table_name, column_name, data_type, is_nullable, column_default
               FROM information_schema.columns WHERE table_schema = $1
               ORDER BY table_name COLLATE "C", column_name COLLATE "C"`,
              [schema],
            )
          ).rows,
          indexes: (
            await c.query(
              `SELECT indexname, replace(indexdef, $1, 'S') AS def FROM pg_indexes WHERE schemaname = $2
               ORDER BY indexname COLLATE "C"`,
              [`"${schema}"`, schema],
            )
          ).rows.map((r: { indexname: string; def: string }) => ({
            ...r,
            def: r.def.replaceAll(schema, "S"),
          })),
          applied: (await c.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`))
            .rows,
        }));
      const fresh = freshSchema();
      await (await openStores(urlFor(fresh))).close();
      const want = await describeSchema(fresh);
      expect(want.applied).toHaveLength(PG_SCHEMA_VERSION);
      for (let k = 1; k < PG_SCHEMA_VERSION; k++) {
        const schema = freshSchema();
        // A connection that runs only the first k migrations (openPgConnection would run them all).
        const pool = new pg.Pool({ connectionString: URL_BASE, max: 1 });
        try {
          await migratePg(new PgConnection(pool, schema, URL_BASE, 10_000), PG_MIGRATIONS.slice(0, k));
        } finally {
          await pool.end();
        }
        expect((await describeSchema(schema)).applied).toHaveLength(k);
        await (await openStores(urlFor(schema))).close();
        expect({ from: k, ...(await describeSchema(schema)) }).toEqual({ from: k, ...want });
      }
    });

    it("migration 13 keeps every baseline stored before, as the local book (cluster '')", async () => {
      const schema = freshSchema();
      const pool = new pg.Pool({ connectionString: URL_BASE, max: 1 });
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
      try {
        await migratePg(new PgConnection(pool, schema, URL_BASE, 10_000), PG_MIGRATIONS.slice(0, 12));
        await pool.query(
          `INSERT INTO "${schema}".runtime_baselines (key, body, updated_at) VALUES ($1, $2, $3)`,
          ["shop/Deployment/web", JSON.stringify(body), "2026-01-01T00:00:00.000Z"],
        );
      } finally {
        await pool.end();
      }
      const stores = await openStores(urlFor(schema));
      try {
        expect(await stores.baselines.baselineClusters()).toEqual([""]);
        expect(await stores.baselines.listBaselines("")).toEqual({ baselines: [body], coverage: [] });
        await stores.baselines.putBaselines("prod", [body], new Date("2026-01-02T00:00:00.000Z"));
        expect(await stores.baselines.baselineClusters()).toEqual(["", "prod"]);
      } finally {
        await stores.close();
      }
    });

    it("migration 15 keeps every finding's first and last seen; each stored row is rewritten once, then only on change", async () => {
      const schema = freshSchema();
      const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();
      const a = finding("R1", "ns", "a");
      const b = finding("R2", "ns", "b");
      const pool = new pg.Pool({ connectionString: URL_BASE, max: 1 });
      try {
        await migratePg(new PgConnection(pool, schema, URL_BASE, 10_000), PG_MIGRATIONS.slice(0, 14));
        for (const [f, last, resolved] of [
          [a, day(2), null],
          [b, day(1), day(2)],
        ] as const)
          await pool.query(
            `INSERT INTO "${schema}".findings (cluster, id, rule_id, severity, namespace, team, first_seen, last_seen, resolved_at, finding)
             VALUES ('prod', $1, 'r', 'high', 'ns', NULL, $2, $3, $4, $5)`,
            [f.id, day(1), last, resolved, JSON.stringify(f)],
          );
      } finally {
        await pool.end();
      }
      const stores = await openStores(urlFor(schema));
      try {
        const seen = async () =>
          (await stores.findings.list({ cluster: "prod" })).items
            .map((f) => [f.finding.id, f.firstSeen, f.lastSeen, f.resolvedAt])
            .sort((x, y) => ((x[0] ?? "") < (y[0] ?? "") ? -1 : 1));
        const versions = () =>
          admin(async (c) =>
            (await c.query(`SELECT id, xmin::text AS v FROM "${schema}".findings ORDER BY id`)).rows.map(
              (r: { id: string; v: string }) => `${r.id}@${r.v}`,
            ),
          );
        expect(await seen()).toEqual(
          [
            [a.id, day(1), day(2), undefined],
            [b.id, day(1), day(1), day(2)],
          ].sort((x, y) => ((x[0] ?? "") < (y[0] ?? "") ? -1 : 1)),
        );
        await stores.findings.upsertEvaluation("prod", new Date(day(3)), [a]);
        const once = await versions();
        // Reported again unchanged: no new row version (xmin) for it.
        await stores.findings.upsertEvaluation("prod", new Date(day(4)), [a]);
        expect(await versions()).toEqual(once);
        await stores.findings.upsertEvaluation("prod", new Date(day(5)), []);
        expect(await seen()).toEqual(
          [
            [a.id, day(1), day(4), day(5)],
            [b.id, day(1), day(1), day(2)],
          ].sort((x, y) => ((x[0] ?? "") < (y[0] ?? "") ? -1 : 1)),
        );
      } finally {
        await stores.close();
      }
    });

    it("an open finding reported again unchanged gets no new row version; a changed one does", async () => {
      const schema = freshSchema();
      const stores = await openStores(urlFor(schema));
      const day = (d: number) => new Date(Date.UTC(2026, 0, d));
      const versions = () =>
        admin(async (c) =>
          Object.fromEntries(
            (await c.query(`SELECT id, xmin::text AS v FROM "${schema}".findings`)).rows.map(
              (r: { id: string; v: string }) => [r.id, r.v],
            ),
          ),
        );
      try {
        const a = finding("R1", "ns", "a");
        const b = finding("R2", "ns", "b");
        await stores.findings.upsertEvaluation("prod", day(1), [a, b]);
        const v1 = await versions();
        await stores.findings.upsertEvaluation("prod", day(2), [a, b]);
        expect(await versions()).toEqual(v1);
        await stores.findings.upsertEvaluation("prod", day(3), [a, { ...b, message: "changed" }]);
        const v3 = await versions();
        expect([v3[a.id] === v1[a.id], v3[b.id] === v1[b.id]]).toEqual([true, false]);
        expect(
          (await stores.findings.list({ cluster: "prod" })).items.map((f) => [f.firstSeen, f.lastSeen]),
        ).toEqual([
          [day(1).toISOString(), day(3).toISOString()],
          [day(1).toISOString(), day(3).toISOString()],
        ]);
      } finally {
        await stores.close();
      }
    });

    it("migrate a schema made by the previous version (schema_version 1) in place, data intact, once", async () => {
      const schema = freshSchema();
      const r = rec("A-1", "2024-01-01T00:00:00Z", [["npm", "a"]]);
      // The DDL and rows the pre-migration PgVulnStore wrote.
      await admin(async (c) => {
        await c.query(`
          CREATE SCHEMA "${schema}";
          CREATE TABLE "${schema}".schema_version (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), version integer NOT NULL);
          CREATE TABLE "${schema}".meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
          CREATE TABLE "${schema}".advisories (rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE, modified text COLLATE "C" NOT NULL, ecosystems text[] NOT NULL, record text NOT NULL);
          CREATE TABLE "${schema}".affected (ecosystem text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, rid bigint NOT NULL REFERENCES "${schema}".advisories (rid) ON DELETE CASCADE, PRIMARY KEY (ecosystem, name, rid));
          CREATE INDEX affected_by_advisory ON "${schema}".affected (rid);
          INSERT INTO "${schema}".schema_version (version) VALUES (1);
          INSERT INTO "${schema}".meta VALUES ('imported_at', '2024-01-02T00:00:00.000Z');
        `);
        const rid = (
          await c.query(
            `INSERT INTO "${schema}".advisories (id, modified, ecosystems, record) VALUES ($1, $2, '{npm}', $3) RETURNING rid`,
            [r.id, r.modified, JSON.stringify(r)],
          )
        ).rows[0].rid;
        await c.query(`INSERT INTO "${schema}".affected VALUES ('npm', 'a', $1)`, [rid]);
      });
      for (let round = 0; round < 2; round++) {
        const stores = await openStores(urlFor(schema));
        try {
          if (round === 0) {
            await stores.images.putImages([img(1, ["a/app:1"], ["x"])], new Date("2025-01-01T00:00:00Z"));
            await stores.remediation.update(() => ({ records: [record("CVE-1|a/app")], result: 0 }));
          }
          expect([
            (await stores.vulns.lookup(["npm\u0000a"])).get("npm\u0000a"),
            (await stores.vulns.status()).importedAt,
            (await stores.images.listImages()).images.map((i) => i.image.digest),
            await stores.remediation.listRecords(),
          ]).toEqual([[r], "2024-01-02T00:00:00.000Z", [dg(1)], [record("CVE-1|a/app")]]);
        } finally {
          await stores.close();
        }
      }
      const [applied, legacy] = await admin(async (c) => [
        (await c.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`)).rows,
        (await c.query(`SELECT version FROM "${schema}".schema_version`)).rows,
      ]);
      expect(applied).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      // The previous Palisade's marker stays: it can still read its tables.
      expect(legacy).toEqual([{ version: 1 }]);
    });

    it("a schema newer than this Palisade is refused with a typed error", async () => {
      const schema = freshSchema();
      await (await openStores(urlFor(schema))).close();
      await admin((c) =>
        c.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, 'from the future')`, [
          PG_SCHEMA_VERSION + 1,
        ]),
      );
      const err = await openStores(urlFor(schema)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaTooNewError);
      expect(err).toMatchObject({
        code: "UNSUPPORTED",
        found: PG_SCHEMA_VERSION + 1,
        supported: PG_SCHEMA_VERSION,
      });
    });

    it("the audit log refuses UPDATE and DELETE in the database itself", async () => {
      const schema = freshSchema();
      const stores = await openStores(urlFor(schema));
      await stores.audit.append({ at: new Date(0), actor: "a", action: "b", subject: "c" });
      await stores.close();
      await admin(async (c) => {
        await expect(c.query(`UPDATE "${schema}".audit_log SET actor = 'x'`)).rejects.toThrow(/append-only/);
        await expect(c.query(`DELETE FROM "${schema}".audit_log`)).rejects.toThrow(/append-only/);
      });
    });
  });

  describe("the lineage flow through the CLI", () => {
    const DEMO = "examples/demo";
    const REFS = readFileSync(join(DEMO, "images", "refs.txt"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ") as [string, string, string]);
    const before = join(DEMO, "snapshots", "before.json");
    const after = join(DEMO, "snapshots", "after.json");

    /** Every command of the flow, in order, with its clock; outputs compared whole. */
    const FLOW: [argv: string[], now: string][] = [
      ...REFS.map(([d, ref]): [string[], string] => [
        ["images", "add", `oci:${join(DEMO, "images", d)}`, "--ref", ref],
        "2025-03-01T00:00:00Z",
      ]),
      [["images", "list"], "2025-03-01T00:00:00Z"],
      [["images", "list", "-o", "json"], "2025-03-01T00:00:00Z"],
      [["images", "tree"], "2025-03-01T00:00:00Z"],
      [["images", "tree", "-o", "json"], "2025-03-01T00:00:00Z"],
      [["images", "tree", "-o", "dot"], "2025-03-01T00:00:00Z"],
      [["vuln", "impact", "CVE-2099-0001", "--snapshot", before], "2025-03-01T00:00:00Z"],
      [["vuln", "impact", "CVE-2099-0001", "--snapshot", before, "-o", "json"], "2025-03-01T00:00:00Z"],
      [["vuln", "impact", "CVE-2099-0002", "--snapshot", after, "-o", "json"], "2025-03-01T00:00:00Z"],
      [["vuln", "plan", "--snapshot", before], "2025-03-01T00:00:00Z"],
      [["vuln", "plan", "--snapshot", before, "-o", "json"], "2025-03-01T00:00:00Z"],
      // Three snapshots: the fix rolls out, then the old digest returns (the record reopens).
      [["vuln", "status", "--snapshot", before, "-o", "json"], "2025-03-01T09:00:00Z"],
      [["vuln", "status", "--snapshot", after], "2025-03-04T17:30:00Z"],
      [["vuln", "status", "--snapshot", before, "-o", "json"], "2025-03-06T08:00:00Z"],
      [["vuln", "status"], "2025-03-07T00:00:00Z"],
      [["vuln", "status", "-o", "json"], "2025-03-07T00:00:00Z"],
    ];

    async function flow(env: NodeJS.ProcessEnv): Promise<(CliResult & { argv: string })[]> {
      const imported = await runCli(["vuln", "db", "import", join(DEMO, "advisories")], {
        env,
        now: new Date("2025-03-01T00:00:00Z"),
      });
      expect([imported.code, imported.stderr]).toEqual([0, ""]);
      const out: (CliResult & { argv: string })[] = [];
      for (const [argv, now] of FLOW)
        out.push({ argv: argv.join(" "), ...(await runCli(argv, { env, now: new Date(now) })) });
      return out;
    }

    it("gives identical output with PALISADE_DB=postgres://... and with the default SQLite file", async () => {
      const home = join(tmp, "home");
      const viaSqlite = await flow({ HOME: home });
      const viaPg = await flow({ HOME: join(tmp, "unused-home"), PALISADE_DB: urlFor(freshSchema()) });
      expect(viaSqlite.every((r) => r.code === 0)).toBe(true);
      // The default file was used (nothing else named a database).
      expect(readFileSync(join(home, ".local", "share", "palisade", "palisade.db")).length).toBeGreaterThan(
        0,
      );
      expect(viaPg).toEqual(viaSqlite);
      // The flow did what it says: the record closed, then reopened when the old digest returned.
      const last = JSON.parse(viaPg[viaPg.length - 1]?.stdout ?? "{}") as {
        records: { vulnerabilityId: string; state: string; reopenCount: number }[];
      };
      expect(last.records.find((r) => r.vulnerabilityId === "CVE-2099-0001")).toMatchObject({
        reopenCount: 1,
      });
    }, 120_000);
  });
});
