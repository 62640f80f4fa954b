import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type AdvisoryInput, MemoryVulnStore, type VulnStore } from "../../adapters/store/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { APP_SBOM } from "../../core/vuln/__fixtures__/app-sbom.js";
import {
  advisoryLookup,
  importAdvisories,
  type OpenVulnStore,
  readAdvisories,
  vulnDbStatus,
  vulnScan,
} from "./index.js";

const OSV = resolve("src/core/vuln/__fixtures__/osv");
const now = () => new Date("2024-06-25T00:00:00Z");
const fixture = (rel: string): AdvisoryInput => {
  const text = readFileSync(resolve(OSV, rel), "utf8");
  return { kind: "text", source: rel, text, bytes: Buffer.byteLength(text) };
};
async function* inputs(list: readonly AdvisoryInput[], fail?: Error): AsyncGenerator<AdvisoryInput> {
  yield* list;
  if (fail) throw fail;
}
/** An opener over one store that counts opens and closes (the store itself stays usable: memory). */
function opener(store: VulnStore): OpenVulnStore & { opened: number; closed: number } {
  const o = Object.assign(
    async () => {
      o.opened++;
      return {
        vulns: Object.assign(Object.create(store) as VulnStore, {
          close: async () => {
            o.closed++;
          },
        }),
        where: "memory:test",
      };
    },
    { opened: 0, closed: 0 },
  );
  return o;
}
const ADVISORIES = ["npm/GHSA-c2qf-rxjj-qqgw.json", "debian/DSA-5532-1.json", "debian/DLA-3530-1.json"];
async function imported(): Promise<MemoryVulnStore> {
  const store = new MemoryVulnStore();
  await importAdvisories(inputs(ADVISORIES.map(fixture)), { vulns: store, now });
  return store;
}

describe("importAdvisories", () => {
  it("parses what the reader yields, counts files, keeps problems as coverage and notes future dates", async () => {
    const store = new MemoryVulnStore();
    const r = await importAdvisories(
      inputs([
        fixture("npm/GHSA-c2qf-rxjj-qqgw.json"),
        { kind: "unreadable", entry: { reason: "limit", subject: "big.json", message: "too big" } },
        { kind: "problem", entry: { reason: "missing", subject: "absent", message: "ENOENT" } },
        { kind: "text", source: "bad.json", text: "{", bytes: 1 },
      ]),
      { vulns: store, now: () => new Date("2024-06-01T00:00:00Z") },
    );
    expect({ ...r, coverage: r.coverage.map((c) => `${c.reason} ${c.subject}`) }).toEqual({
      files: 3,
      records: 1,
      written: 1,
      unchanged: 0,
      coverage: ["limit big.json", "missing absent", "parse-error bad.json"],
      notes: [
        "1 record(s) have a modified time after the import time (e.g. GHSA-c2qf-rxjj-qqgw: 2024-06-21T21:33:53Z): imported, but not counted for the database's freshness",
      ],
    });
    expect((await store.status()).importState).toBe("complete");
  });

  it("a reader failure aborts the import: the store keeps what it held", async () => {
    const store = await imported();
    const before = await store.status();
    await expect(
      importAdvisories(
        inputs([fixture("pypi/PYSEC-2022-42969.json")], new PalisadeError("UNSAFE", "overlap")),
        {
          vulns: store,
          now,
          batchSize: 1,
        },
      ),
    ).rejects.toThrow("overlap");
    expect(await store.status()).toEqual(before);
  });
});

describe("the database check", () => {
  it("vuln db status: counts, age and the import problem of an empty database", async () => {
    const empty = opener(new MemoryVulnStore());
    const st = await vulnDbStatus({ open: empty, now });
    expect([st.where, st.status.advisories, st.fresh.stale, st.problem, empty.opened, empty.closed]).toEqual([
      "memory:test",
      0,
      true,
      "the vulnerability database memory:test holds no advisories: import OSV advisories with `palisade vuln db import PATH...`",
      1,
      1,
    ]);
    const full = await vulnDbStatus({ open: opener(await imported()), now });
    expect([full.status.advisories, full.fresh.ageDays, full.fresh.stale, full.problem]).toEqual([
      3,
      3,
      false,
      undefined,
    ]);
  });

  it("an incomplete database is refused with the caller's override, or read with a warning", async () => {
    const open = opener(new MemoryVulnStore());
    const policy = { override: "run anyway with --allow-incomplete-db" };
    await expect(readAdvisories(["npm\u0000semver"], policy, { open, now })).rejects.toThrow(
      "the vulnerability database memory:test holds no advisories: import OSV advisories with `palisade vuln db import PATH...`; run anyway with --allow-incomplete-db",
    );
    const read = await readAdvisories(
      ["npm\u0000semver"],
      { ...policy, allowIncomplete: true },
      { open, now },
    );
    expect([read.byKey.size, read.warnings, open.opened, open.closed]).toEqual([
      0,
      [
        "the vulnerability database memory:test holds no advisories: import OSV advisories with `palisade vuln db import PATH...`: results may miss vulnerabilities",
      ],
      2,
      2,
    ]);
  });

  it("the node lookup opens the store per lookup, closes it, and reports the database", async () => {
    const open = opener(await imported());
    const seen: string[][] = [];
    const lookup = advisoryLookup(
      { override: "run anyway" },
      { open, now, onRead: (r) => seen.push(r.warnings) },
    );
    const r = await lookup(["npm\u0000semver"]);
    expect([[...r.byKey.keys()], r.database, r.coverage, seen, open.opened, open.closed]).toEqual([
      ["npm\u0000semver"],
      {
        advisories: 3,
        newestModified: "2024-06-21T21:33:53Z",
        importedAt: now().toISOString(),
        stale: false,
      },
      [],
      [[]],
      1,
      1,
    ]);
  });
});

describe("vulnScan", () => {
  const request = {
    sbom: APP_SBOM,
    coverage: [],
    policy: { override: "scan anyway" },
    version: "0.0.0-test",
  };

  it("matches the SBOM, applies VEX documents in order and reports the database", async () => {
    const open = opener(await imported());
    const read: string[] = [];
    const events: string[] = [];
    const vex = {
      "@context": "https://openvex.dev/ns/v0.2.0",
      statements: [
        {
          vulnerability: { name: "GHSA-c2qf-rxjj-qqgw" },
          products: [{ "@id": "app:1", subcomponents: [{ "@id": "pkg:npm/semver" }] }],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
        },
      ],
    };
    const plain = await vulnScan({ ...request, vex: [] }, { open, now, readVex: async () => ({}) });
    const withVex = await vulnScan(
      { ...request, vex: ["a.json"] },
      {
        open,
        now,
        readVex: async (f) => {
          read.push(f);
          events.push("vex");
          return vex;
        },
        onDatabase: () => events.push("database"),
      },
    );
    const ids = (r: typeof plain) =>
      r.findings.map((f) => `${f.vulnerabilityId}${f.suppressed ? " (vex)" : ""}`);
    expect([ids(plain), ids(withVex), read, events, withVex.report.database, open.closed]).toEqual([
      ["CVE-2023-5363", "CVE-2022-25883"],
      ["CVE-2023-5363", "CVE-2022-25883 (vex)"],
      ["a.json"],
      ["database", "vex"],
      {
        advisories: 3,
        newestModified: "2024-06-21T21:33:53Z",
        importedAt: now().toISOString(),
        stale: false,
      },
      2,
    ]);
  });

  it("refuses an empty database before matching: no scan reads as all clear", async () => {
    const open = opener(new MemoryVulnStore());
    await expect(vulnScan({ ...request, vex: [] }, { open, now, readVex: async () => ({}) })).rejects.toThrow(
      /holds no advisories.*; scan anyway$/,
    );
    expect(open.closed).toBe(1);
  });
});
