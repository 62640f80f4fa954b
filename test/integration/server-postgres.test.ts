import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { openStores } from "../../src/adapters/store/index.js";
import { describeMultiClusterApi } from "../contracts/multi-cluster-api.contract.js";
import { describeServerApi } from "../contracts/server-api.contract.js";

/**
 * The server API suite against a real PostgreSQL: each bundle in a freshly named schema
 * (palisade_srv_<pid>_<random>), every schema dropped after the file.
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

afterAll(async () => {
  if (!UP || schemas.length === 0) return;
  const c = new pg.Client({ connectionString: URL_BASE });
  await c.connect();
  try {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await c.end();
  }
});

// No silent skip: an unreachable PostgreSQL fails this file.
it("PostgreSQL is reachable", () => {
  expect(UP ? "reachable" : `PostgreSQL is not reachable at ${new URL(URL_BASE).host}`).toBe("reachable");
});

/** A bundle in a fresh schema, dropped after the file. */
function freshStores() {
  const schema = `palisade_srv_${process.pid}_${randomBytes(6).toString("hex")}`;
  schemas.push(schema);
  const u = new URL(URL_BASE);
  u.searchParams.set("schema", schema);
  return openStores(u.toString());
}

if (UP) {
  describeServerApi("PostgreSQL", freshStores);
  describeMultiClusterApi("PostgreSQL", freshStores);
}
