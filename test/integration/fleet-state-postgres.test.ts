/**
 * The fleet object state (ClusterStateStore) on the real PostgreSQL at 127.0.0.1:5432: the one contract suite
 * every backend runs (memory runs it in src/adapters/fleet/memory-state.test.ts), each case on a fresh schema,
 * dropped after the file. The transport end to end under faults is test/integration/fleet-faults.test.ts.
 */
import { randomBytes } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { openPgClusterState } from "../../src/adapters/fleet/index.js";
import { describeClusterStateContract } from "../contracts/cluster-state-store.contract.js";

const PG_URL = process.env.PALISADE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = tcpConnect({ host, port });
    const finish = (ok: boolean) => {
      s.destroy();
      done(ok);
    };
    s.setTimeout(5_000, () => finish(false));
    s.once("connect", () => finish(true));
    s.once("error", () => finish(false));
  });
}

const PG_UP = await reachable(new URL(PG_URL).hostname, Number(new URL(PG_URL).port || 5432));

// No silent skip: a missing server fails here, naming what to start.
it("PostgreSQL is reachable", () => {
  expect(PG_UP ? "reachable" : `PostgreSQL is not reachable at ${new URL(PG_URL).host}`).toBe("reachable");
});

const schemas: string[] = [];
const freshSchema = () => {
  const s = `palisade_fleet_${process.pid}_${randomBytes(5).toString("hex")}`;
  schemas.push(s);
  return s;
};
afterAll(async () => {
  if (!PG_UP || schemas.length === 0) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

if (PG_UP)
  describeClusterStateContract("PostgreSQL", () => openPgClusterState(PG_URL, { schema: freshSchema() }));
