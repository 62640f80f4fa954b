import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { openStores, type Stores } from "../../src/adapters/store/index.js";
import { issueToken, memoryTokenStore } from "../../src/apps/server/auth.js";
import { bundledDemoDir, loadDemo } from "../../src/apps/server/demo.js";
import { buildServer } from "../../src/apps/server/server.js";
import { describeMultiClusterApi } from "../contracts/multi-cluster-api.contract.js";
import { describeServerApi } from "../contracts/server-api.contract.js";
import { decision } from "../contracts/store-revision.contract.js";
import { demoAdvisoryAs } from "../support/osv-import.js";

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
function freshUrl(): string {
  const schema = `palisade_srv_${process.pid}_${randomBytes(6).toString("hex")}`;
  schemas.push(schema);
  const u = new URL(URL_BASE);
  u.searchParams.set("schema", schema);
  return u.toString();
}
const freshStores = () => openStores(freshUrl());

if (UP) {
  describeServerApi("PostgreSQL", freshStores);
  describeMultiClusterApi("PostgreSQL", freshStores);

  it("two replicas on one database: an advisory written through one is in the other's next answer; a decision recorded meanwhile keeps the other's kept answers", async () => {
    const url = freshUrl();
    const at = new Date("2026-01-01T00:00:00.000Z");
    const [sa, sb] = [await openStores(url), await openStores(url)];
    await loadDemo(sa, bundledDemoDir(), () => at);
    let findingReads = 0;
    const { findings } = sb;
    const counted: Stores = {
      ...sb,
      close: () => sb.close(),
      findings: Object.assign(Object.create(findings) as typeof findings, {
        list: (q?: Parameters<typeof findings.list>[0]) => {
          findingReads++;
          return findings.list(q);
        },
      }),
    };
    const tokens = memoryTokenStore();
    const admin = (await issueToken(tokens, { role: "admin" }, at)).token;
    const headers = { authorization: `Bearer ${admin}` };
    const a = buildServer({ stores: sa, now: () => at, auth: { tokens } });
    const b = buildServer({ stores: counted, now: () => at, auth: { tokens } });
    try {
      const get = async (url: string) => {
        const r = await b.inject({ url, headers });
        expect(r.statusCode, r.body).toBe(200);
        return r.body;
      };
      const vulns = () => get("/api/v1/vulnerabilities?limit=1000");
      expect(await vulns()).not.toMatch(/CVE-2099-0777/);
      const posted = await a.inject({
        method: "POST",
        url: "/api/v1/advisories",
        headers: { ...headers, "content-type": "application/json" },
        payload: JSON.stringify(demoAdvisoryAs("DEBIAN-CVE-2099-0777", "CVE-2099-0777")),
      });
      expect(posted.statusCode, posted.body).toBe(200);
      expect(await vulns()).toMatch(/CVE-2099-0777/);

      const kept = await get("/api/v1/findings?limit=1000");
      const reads = findingReads;
      await sa.admissionDecisions.append([decision("u1", { at, allowed: false, rules: ["pss/privileged"] })]);
      expect(await get("/api/v1/findings?limit=1000")).toBe(kept);
      expect(findingReads).toBe(reads);
    } finally {
      await a.close();
      await b.close();
      await sa.close();
      await sb.close();
    }
  });
}
