import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshness, importOsvPaths } from "./import.js";
import { MemoryVulnStore } from "./memory.js";
import { isUnsafeEntryName, ZipReader } from "./zip.js";

const OSV = resolve("src/core/vuln/__fixtures__/osv");
const tmp = mkdtempSync(join(tmpdir(), "palisade-import-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const now = () => new Date("2024-06-01T00:00:00Z");
const py = (code: string, ...args: string[]) => execFileSync("/usr/bin/python3", ["-c", code, ...args]);

describe("importOsvPaths", () => {
  it("imports an osv.dev-style zip built by zip(1), deflated, with the same records as the directory", async () => {
    const zip = join(tmp, "all.zip");
    execFileSync("zip", ["-q", "-r", zip, "."], { cwd: OSV });
    const fromZip = new MemoryVulnStore();
    const fromDir = new MemoryVulnStore();
    const a = await importOsvPaths(fromZip, [zip], { now });
    const b = await importOsvPaths(fromDir, [OSV], { now });
    expect([a.records, a.coverage, b.records, b.coverage]).toEqual([12, [], 12, []]);
    expect(fromZip.status()).toEqual(fromDir.status());
  });

  it("writes in batches of the requested size", async () => {
    const batches: number[] = [];
    const store = new MemoryVulnStore();
    const put = store.putRecords.bind(store);
    store.putRecords = (records) => {
      batches.push(records.length);
      return put(records);
    };
    await importOsvPaths(store, [OSV], { now, batchSize: 5 });
    expect(batches).toEqual([5, 5, 2]);
  });
});

describe("freshness", () => {
  it("is stale after 7 days of the newest modified, by the injected clock", () => {
    expect([
      freshness("2024-05-25T00:00:00Z", now()),
      freshness("2024-05-20T00:00:00Z", now()).stale,
      freshness(undefined, now()).coverage[0]?.reason,
    ]).toEqual([{ ageDays: 7, stale: false, coverage: [] }, true, "missing"]);
  });
});

describe("pathological cases", () => {
  it("refuses a zip bomb entry by ratio and keeps importing the rest", async () => {
    const bomb = join(tmp, "bomb.zip");
    py(
      "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nz.writestr('bomb.json', b'[' + b' '*50_000_000 + b']')\nz.write(sys.argv[2], 'ok.json')\nz.close()",
      bomb,
      join(OSV, "npm", "GHSA-c2qf-rxjj-qqgw.json"),
    );
    const r = await importOsvPaths(new MemoryVulnStore(), [bomb], { now });
    expect([r.records, r.coverage]).toEqual([
      1,
      [
        {
          reason: "limit",
          subject: `${bomb}!bomb.json`,
          message: "entry is 50000002 bytes, over the 8388608 byte budget",
        },
      ],
    ]);
  });

  it("a central directory claiming a 4 GiB compressed entry is refused before any allocation", async () => {
    const huge = join(tmp, "huge-claim.zip");
    py(
      "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_STORED)\nz.writestr('x.json', b'{}')\nz.close()",
      huge,
    );
    // Compressed size at offset 20 of the central directory entry: claim 0xFFFFFFF0 bytes (and the same
    // uncompressed size, so the ratio check passes).
    const buf = readFileSync(huge);
    const cen = buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    buf.writeUInt32LE(0xfffffff0, cen + 20);
    buf.writeUInt32LE(0xfffffff0, cen + 24);
    writeFileSync(huge, buf);
    const zip = await ZipReader.open(huge, { maxEntryBytes: 0xffffffff, maxEntries: 10, maxRatio: 1000 });
    const entry = zip.entries[0];
    await expect(entry ? zip.read(entry) : Promise.reject(new Error("no entry"))).rejects.toMatchObject({
      code: "INPUT",
      message: "truncated zip entry (claims more bytes than the file holds)",
    });
    await zip.close();
  });

  it("a header that lies about the size is caught by the inflate budget", async () => {
    const liar = join(tmp, "liar.zip");
    py(
      "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nz.writestr('x.json', b' '*1_000_000)\nz.close()",
      liar,
    );
    // Patch the central directory's uncompressed size (offset 24 of the entry) down to 100 bytes.
    const buf = readFileSync(liar);
    const cen = buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    buf.writeUInt32LE(100, cen + 24);
    writeFileSync(liar, buf);
    const zip = await ZipReader.open(liar, { maxEntryBytes: 1000, maxEntries: 10, maxRatio: 1_000_000 });
    const entry = zip.entries[0];
    await expect(entry ? zip.read(entry) : Promise.reject(new Error("no entry"))).rejects.toMatchObject({
      code: "LIMIT",
    });
    await zip.close();
  });

  it("truncated and non-zip files become coverage, not crashes", async () => {
    const whole = join(tmp, "whole.zip");
    execFileSync("zip", ["-q", "-r", whole, "npm"], { cwd: OSV });
    const truncated = join(tmp, "truncated.zip");
    writeFileSync(truncated, readFileSync(whole).subarray(0, 200));
    const garbage = join(tmp, "garbage.zip");
    writeFileSync(garbage, "not a zip at all");
    const r = await importOsvPaths(new MemoryVulnStore(), [truncated, garbage, join(tmp, "absent")], { now });
    expect(r.coverage.map((c) => [c.reason, c.subject?.replace(tmp, "TMP")])).toEqual([
      ["parse-error", "TMP/truncated.zip"],
      ["parse-error", "TMP/garbage.zip"],
      ["missing", "TMP/absent"],
    ]);
  });

  it.each([
    ["../etc/passwd", true],
    ["a/../../b.json", true],
    ["/abs.json", true],
    ["C:\\x.json", true],
    ["a\\..\\b", true],
    ["osv/GHSA-1.json", false],
    ["..foo.json", false],
  ])("isUnsafeEntryName(%j) = %s", (name, unsafe) => {
    expect(isUnsafeEntryName(name)).toBe(unsafe);
  });
});
