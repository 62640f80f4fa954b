/**
 * Hostile inputs for the vulnerability database (issue 9 items 3, 9, 13, 14, 15, 16, 25 and the `vuln impact`
 * part of 17). Each class generates its input, runs the real CLI in a child (harness.ts), and asserts: exit code
 * at most 2, not killed, a generous RSS ceiling, the clear error, and that data accepted before is intact.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toCycloneDx } from "../../src/core/sbom/index.js";
import { APP_SBOM } from "../../src/core/vuln/__fixtures__/app-sbom.js";
import { type HostileRun, runHostile } from "./harness.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "src", "apps", "cli", "main.ts");
const OSV = join(ROOT, "src", "core", "vuln", "__fixtures__", "osv");
const NPM_GHSA = join(OSV, "npm", "GHSA-c2qf-rxjj-qqgw.json");
// Many small files are written for the zip64 archive: tmpfs when there is one keeps that quick.
const scratchRoot = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const tmp = mkdtempSync(join(scratchRoot, "palisade-hostile-vulndb-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

/** Generous ceilings: a bounded run, not a fast one. */
const MAX_RSS_MIB = 1024;
// cwd stays the repository root (the default): `--import tsx` resolves from there; every path given is absolute.
const run = (args: string[]) => runHostile(args, { killAfterMs: 50_000 });
function bounded(r: HostileRun): void {
  expect({ killed: r.killed, signal: r.signal, codeAtMost2: r.code !== null && r.code <= 2 }).toEqual({
    killed: false,
    signal: null,
    codeAtMost2: true,
  });
  expect(r.maxRssMiB).toBeLessThan(MAX_RSS_MIB);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

const SBOM = join(tmp, "app.cdx.json");
writeFileSync(SBOM, JSON.stringify(toCycloneDx(APP_SBOM, { now: new Date("2024-06-01T00:00:00Z") })));
/** A database holding the OSV fixtures, imported once; each class works on a copy. */
const BASE = join(tmp, "base.db");
/** What a scan of the app SBOM finds in BASE: the data every class must leave intact. */
let baseFindings: string[] = [];

const scanIds = async (db: string, extra: string[] = []): Promise<[number | null, string[]]> => {
  const r = await run(["vuln", "scan", "--sbom", SBOM, "-o", "json", "--db", db, ...extra]);
  bounded(r);
  if (r.code !== 0) return [r.code, []];
  const doc = JSON.parse(r.stdout) as { findings: { vulnerabilityId: string }[] };
  return [r.code, doc.findings.map((f) => f.vulnerabilityId)];
};
const advisories = async (db: string): Promise<{ advisories: number; importState: string }> => {
  const r = await run(["vuln", "db", "status", "-o", "json", "--db", db]);
  bounded(r);
  const st = JSON.parse(r.stdout) as { advisories: number; importState: string };
  return { advisories: st.advisories, importState: st.importState };
};
const copyBase = (name: string): string => {
  const p = join(tmp, name);
  copyFileSync(BASE, p);
  return p;
};

/** `count` minimal OSV records (or ones affecting npm `pkg`) as files in a new directory. */
function recordsDir(name: string, count: number, pkg?: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  execFileSync("/usr/bin/python3", [
    "-c",
    `import sys, json
d, n, pkg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    r = {"id": "%s-%d" % ("${name}".upper(), i), "modified": "2024-01-01T00:00:00Z"}
    if pkg:
        r["affected"] = [{"package": {"ecosystem": "npm", "name": pkg}, "versions": ["0.0.%d" % i]}]
    with open("%s/%d.json" % (d, i), "w") as f:
        f.write(json.dumps(r))`,
    dir,
    String(count),
    pkg ?? "",
  ]);
  return dir;
}

/**
 * Start `vuln db import` in a child that stops after its first 2,000 records (test hook) with the import's
 * transaction open. Resolves once it says so: the point is known, not a matter of timing.
 */
function startHeldImport(args: string[]): { child: ChildProcess; holding: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", PALISADE_TEST_HOLD_IMPORT_AFTER: "2000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let err = "";
  const holding = new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      if (err.includes("palisade-test: import holding after 2000 records")) resolve();
    });
    child.on("close", (code) => reject(new Error(`import exited (${code}) before holding: ${err}`)));
  });
  return { child, holding };
}
const killed = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.on("close", () => resolve());
    child.kill("SIGKILL");
  });

beforeAll(async () => {
  const r = await run(["vuln", "db", "import", OSV, "--db", BASE]);
  expect(r.code).toBe(0);
  const [code, ids] = await scanIds(BASE);
  expect([code, ids]).toEqual([0, ["CVE-2023-5363", "CVE-2022-25883"]]);
  baseFindings = ids;
}, 60_000);

describe("hostile vulnerability database inputs", () => {
  it("item 15: a zip64 archive (65,600 entries, made by zip) imports every record; an unreadable one fails the import and keeps the store", async () => {
    const dir = recordsDir("z", 65_599);
    const zip = join(tmp, "all.zip");
    execFileSync("zip", ["-q", "-0", "-D", "-r", zip, "."], { cwd: dir });
    // The one record a scan finds goes last, past entry 65,535.
    execFileSync("zip", ["-q", "-j", zip, NPM_GHSA]);
    rmSync(dir, { recursive: true, force: true });
    const db = join(tmp, "zip64.db");
    const imp = await run(["vuln", "db", "import", zip, "--db", db]);
    bounded(imp);
    expect([imp.code, imp.stdout.replace(/ in \d+ ms/, "")]).toEqual([
      0,
      "imported 65600 records from 65600 files: 65600 written, 0 unchanged, 0 problems\n",
    ]);
    expect(await scanIds(db)).toEqual([0, ["CVE-2022-25883"]]);

    // The same archive cut short: the import fails (exit 2) naming the file, and the store is as before.
    const cut = join(tmp, "cut.zip");
    writeFileSync(cut, readFileSync(zip).subarray(0, 5_000_000));
    const kept = copyBase("cut.db");
    const bad = await run(["vuln", "db", "import", OSV, cut, "--db", kept]);
    bounded(bad);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      `palisade: ${cut}: not a zip file (no end of central directory)\n`,
    ]);
    expect([await advisories(kept), await scanIds(kept)]).toEqual([
      { advisories: 12, importState: "complete" },
      [0, baseFindings],
    ]);
  }, 60_000);

  it("item 3: an overlap zip bomb (65 KB, 300 entries on one member: 2.4 GB) is refused before inflating", async () => {
    const bomb = join(tmp, "overlap.zip");
    execFileSync("/usr/bin/python3", [
      join(ROOT, "src", "adapters", "store", "__fixtures__", "overlap-zip.py"),
      bomb,
      "300",
      "8000000",
    ]);
    const db = copyBase("overlap.db");
    const r = await run(["vuln", "db", "import", bomb, "--db", db]);
    bounded(r);
    expect([r.code, r.stderr, r.maxRssMiB < 400]).toEqual([
      2,
      `palisade: ${bomb}: zip entries "a000000.json" and "a000001.json" overlap: refusing a likely zip bomb\n`,
      true,
    ]);
    expect([await advisories(db), await scanIds(db)]).toEqual([
      { advisories: 12, importState: "complete" },
      [0, baseFindings],
    ]);
  }, 60_000);

  it("items 16 and 13: kill -9 mid-import; a concurrent import waits, then fails clearly; scans say the import did not finish", async () => {
    const db = copyBase("killed.db");
    const dir = recordsDir("k", 5_000, "kill-me");
    const held = startHeldImport(["vuln", "db", "import", dir, "--db", db]);
    await held.holding;
    // Item 13: one import at a time; the second waits for the lock (1 s here) and says why it gave up.
    const second = await run(["vuln", "db", "import", OSV, "--db", db, "--lock-timeout", "1"]);
    bounded(second);
    expect([second.code, second.stderr]).toEqual([
      2,
      `palisade: ${db}: cannot start the import: the database is locked by another writer (another \`palisade vuln db import\`?); gave up after waiting 1 s: retry when it has finished, or wait longer with --lock-timeout SECONDS\n`,
    ]);
    // Readers see the previous import while one runs.
    expect(await advisories(db)).toEqual({ advisories: 12, importState: "running" });
    await killed(held.child);

    const refused = await run(["vuln", "scan", "--sbom", SBOM, "--db", db]);
    bounded(refused);
    expect([refused.code, refused.stdout, refused.stderr.split("\n")[0]]).toEqual([
      2,
      "",
      expect.stringMatching(
        /^palisade: the last import into .*killed\.db \(started \S+\) did not finish: the database holds the data of the import finished \S+; run `palisade vuln db import` again; scan anyway with --allow-incomplete-db$/,
      ),
    ]);
    const allowed = await run([
      "vuln",
      "scan",
      "--sbom",
      SBOM,
      "--db",
      db,
      "-o",
      "json",
      "--allow-incomplete-db",
    ]);
    bounded(allowed);
    expect([
      allowed.code,
      allowed.stderr.split("\n")[0],
      (JSON.parse(allowed.stdout) as { findings: { vulnerabilityId: string }[] }).findings.map(
        (f) => f.vulnerabilityId,
      ),
    ]).toEqual([
      0,
      expect.stringMatching(
        /^palisade: warning: the last import .* did not finish.*: results may miss vulnerabilities$/,
      ),
      baseFindings,
    ]);
    // Nothing of the killed import was kept; a finished import makes the database complete again.
    expect(await advisories(db)).toEqual({ advisories: 12, importState: "interrupted" });
    const again = await run(["vuln", "db", "import", dir, "--db", db]);
    bounded(again);
    expect([again.code, await advisories(db), await scanIds(db)]).toEqual([
      0,
      { advisories: 5_012, importState: "complete" },
      [0, baseFindings],
    ]);
  }, 60_000);

  it("item 13: two imports started together both finish (one waits for the other), nothing lost", async () => {
    const db = join(tmp, "concurrent.db");
    const dir = recordsDir("c", 3_000);
    const [a, b] = await Promise.all([
      run(["vuln", "db", "import", OSV, "--db", db]),
      run(["vuln", "db", "import", dir, "--db", db]),
    ]);
    bounded(a);
    bounded(b);
    expect([a.code, a.stderr, b.code, b.stderr, await advisories(db)]).toEqual([
      0,
      "",
      0,
      "",
      { advisories: 3_012, importState: "complete" },
    ]);
  }, 60_000);

  it("item 14: corrupted pages and hand-edited rows are a damaged database (exit 2, which file, how to rebuild), for reads and imports", async () => {
    const corrupt = copyBase("corrupt.db");
    const bytes = readFileSync(corrupt);
    // Overwrite pages 2 to 4 (b-tree pages of the tables) with garbage, as a disk fault would.
    bytes.fill(0xa5, 4096, 4 * 4096);
    writeFileSync(corrupt, bytes);
    const damaged = new RegExp(
      `^palisade: ${corrupt.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: database is damaged \\(.*\\): move .* aside and rebuild it: \`palisade vuln db import PATH\\.\\.\\. --db .*\n$`,
    );
    for (const args of [
      ["vuln", "scan", "--sbom", SBOM, "--db", corrupt],
      ["vuln", "db", "import", OSV, "--db", corrupt],
      ["vuln", "db", "status", "--db", corrupt],
      ["images", "list", "--db", corrupt],
    ]) {
      const r = await run(args);
      bounded(r);
      expect([args.slice(0, 3), r.code, r.stderr]).toEqual([
        args.slice(0, 3),
        2,
        expect.stringMatching(damaged),
      ]);
    }

    // Hand-edited rows: valid pages, invalid records.
    const Database = createRequire(import.meta.url)("better-sqlite3") as new (
      f: string,
    ) => { exec(sql: string): void; close(): void };
    const edits: [string, string][] = [
      ["UPDATE advisories SET record = substr(record, 1, 30)", "is not valid JSON"],
      [
        `UPDATE advisories SET record = json_set(record, '$.affected[0].package', 5)`,
        "affected[0].package: not an object",
      ],
    ];
    for (const [sql, why] of edits) {
      const db = copyBase(`edited-${edits.findIndex((e) => e[0] === sql)}.db`);
      const h = new Database(db);
      h.exec(sql);
      h.close();
      const r = await run(["vuln", "scan", "--sbom", SBOM, "--db", db]);
      bounded(r);
      expect([r.code, r.stdout, r.stderr]).toEqual([2, "", expect.stringContaining(why)]);
      expect(r.stderr).toContain(`${db}: database is damaged`);
    }
  }, 60_000);

  it("item 9: one advisory naming 4,999 packages against an SBOM of those packages: bounded memory, every package matched", async () => {
    const n = 4_999;
    const dir = join(tmp, "wide");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "wide.json"),
      JSON.stringify({
        id: "WIDE-1",
        modified: "2024-01-01T00:00:00Z",
        database_specific: { severity: "HIGH" },
        affected: Array.from({ length: n }, (_, i) => ({
          package: { ecosystem: "npm", name: `pkg-${i}` },
          ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "2.0.0" }] }],
        })),
      }),
    );
    const sbom = join(tmp, "wide.cdx.json");
    writeFileSync(
      sbom,
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        components: Array.from({ length: n }, (_, i) => ({
          type: "library",
          name: `pkg-${i}`,
          version: "1.0.0",
          purl: `pkg:npm/pkg-${i}@1.0.0`,
        })),
      }),
    );
    const db = join(tmp, "wide.db");
    expect((await run(["vuln", "db", "import", dir, "--db", db])).code).toBe(0);
    const r = await run(["vuln", "scan", "--sbom", sbom, "--db", db, "-o", "sarif", "--fail-on", "high"]);
    bounded(r);
    // Exit 1: findings at or above high. The SARIF is larger than the harness keeps; its head names the rule.
    expect([r.code, r.maxRssMiB < 600, r.stdout.includes('"ruleId": "WIDE-1"')]).toEqual([1, true, true]);
    const table = await run(["vuln", "scan", "--sbom", sbom, "--db", db, "-o", "table"]);
    bounded(table);
    expect(table.stdout.match(/WIDE-1/g)?.length ?? 0).toBeGreaterThan(100);
  }, 60_000);

  it("item 25: a UTF-8 byte order mark is accepted; a record dated 9999 is imported, noted, and does not decide freshness", async () => {
    const dir = join(tmp, "bom");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "bom.json"), `\uFEFF${readFileSync(NPM_GHSA, "utf8")}`);
    writeFileSync(
      join(dir, "future.json"),
      JSON.stringify({ id: "FUTURE-1", modified: "9999-12-31T00:00:00Z", affected: [] }),
    );
    const db = join(tmp, "bom.db");
    const imp = await run(["vuln", "db", "import", dir, "--db", db]);
    bounded(imp);
    expect([imp.code, imp.stdout.replace(/ in \d+ ms/, ""), imp.stderr]).toEqual([
      0,
      "imported 2 records from 2 files: 2 written, 0 unchanged, 0 problems\n",
      "palisade: note: 1 record(s) have a modified time after the import time (e.g. FUTURE-1: 9999-12-31T00:00:00Z): imported, but not counted for the database's freshness\n",
    ]);
    const st = await run(["vuln", "db", "status", "-o", "json", "--db", db]);
    bounded(st);
    const doc = JSON.parse(st.stdout) as { newestModified: string; futureModified: number; stale: boolean };
    expect([doc.newestModified, doc.futureModified, doc.stale]).toEqual([
      JSON.parse(readFileSync(NPM_GHSA, "utf8")).modified,
      1,
      true,
    ]);
    expect(await scanIds(db)).toEqual([0, ["CVE-2022-25883"]]);
  }, 60_000);

  it("item 17: vuln impact with no vulnerability database is exit 2 saying so", async () => {
    const r = await run([
      "vuln",
      "impact",
      "CVE-2023-5363",
      "--snapshot",
      join(ROOT, "examples", "demo", "snapshots", "before.json"),
      "--db",
      join(tmp, "nothing-here.db"),
    ]);
    bounded(r);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      "",
      `palisade: no vulnerability advisories in ${join(tmp, "nothing-here.db")}: cannot tell which images carry CVE-2023-5363; import OSV advisories with \`palisade vuln db import PATH...\`\n`,
    ]);
  }, 60_000);
});
