import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importOsvPaths } from "../../../test/support/osv-import.js";
import type { OsvRecord } from "../../core/vuln/index.js";
import { MemoryVulnStore } from "./memory/index.js";
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
    expect(await fromZip.status()).toEqual(await fromDir.status());
  });

  it("writes in batches of the requested size", async () => {
    const batches: number[] = [];
    const store = new MemoryVulnStore();
    const put = store.putRecords.bind(store);
    store.putRecords = (records: readonly OsvRecord[]) => {
      batches.push(records.length);
      return put(records);
    };
    await importOsvPaths(store, [OSV], { now, batchSize: 5 });
    expect(batches).toEqual([5, 5, 2]);
  });
});

describe("Kubernetes official CVE feed", () => {
  it("imports the feed's items as records beside OSV records, in one import", async () => {
    const store = new MemoryVulnStore();
    const feed = resolve("src/core/vuln/__fixtures__/k8s-official-cve-feed.json");
    const r = await importOsvPaths(
      store,
      [feed, join(OSV, "..", "..", "..", "nodes", "__fixtures__", "advisories")],
      { now },
    );
    expect([r.files, r.records, r.coverage.map((c) => c.subject)]).toEqual([
      11,
      13,
      [`${feed}: CVE-2020-8554`],
    ]);
    const byKey = await store.lookup(["kubernetes\u0000k8s.io/kubelet"]);
    expect((byKey.get("kubernetes\u0000k8s.io/kubelet") ?? []).map((x) => x.id).sort()).toEqual([
      "CVE-2023-3676",
      "CVE-2023-5528",
      "CVE-2024-9042",
    ]);
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
          message: "zip entry: over the inflatedBytes budget of 8 MiB",
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
    // The claimed data cannot fit before the central directory: refused when the archive is opened.
    await expect(
      ZipReader.open(huge, { maxEntryBytes: 0xffffffff, maxEntries: 10, maxRatio: 1000 }),
    ).rejects.toMatchObject({ code: "UNSAFE", message: 'zip entry "x.json" overlaps the central directory' });
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

  it("an archive that cannot be read fails the import, and the store keeps its previous state", async () => {
    const whole = join(tmp, "whole.zip");
    execFileSync("zip", ["-q", "-r", whole, "npm"], { cwd: OSV });
    const truncated = join(tmp, "truncated.zip");
    writeFileSync(truncated, readFileSync(whole).subarray(0, 200));
    const garbage = join(tmp, "garbage.zip");
    writeFileSync(garbage, "not a zip at all");
    const store = new MemoryVulnStore();
    await importOsvPaths(store, [join(OSV, "PyPI")], { now });
    const before = await store.status();
    const errors = [];
    for (const bad of [truncated, garbage])
      errors.push(
        await importOsvPaths(store, [join(OSV, "npm"), bad], { now }).then(
          () => "imported",
          (e: { code: string; message: string; context: { file?: string } }) => [
            e.code,
            e.message,
            e.context.file?.replace(tmp, "TMP"),
          ],
        ),
      );
    expect([errors, await store.status()]).toEqual([
      [
        ["INPUT", "not a zip file (no end of central directory)", "TMP/truncated.zip"],
        ["INPUT", "not a zip file (no end of central directory)", "TMP/garbage.zip"],
      ],
      before,
    ]);
    // A missing path is still a coverage entry: nothing of it could have been imported before.
    const r = await importOsvPaths(store, [join(tmp, "absent")], { now });
    expect(r.coverage.map((c) => [c.reason, c.subject?.replace(tmp, "TMP")])).toEqual([
      ["missing", "TMP/absent"],
    ]);
  });

  it("refuses an overlap zip bomb (every central directory entry pointing at one member) before inflating", async () => {
    const bomb = join(tmp, "overlap.zip");
    execFileSync("/usr/bin/python3", [
      resolve("src/adapters/store/__fixtures__/overlap-zip.py"),
      bomb,
      "300",
      "8000000",
    ]);
    const store = new MemoryVulnStore();
    await expect(importOsvPaths(store, [bomb], { now })).rejects.toMatchObject({
      code: "UNSAFE",
      message: 'zip entries "a000000.json" and "a000001.json" overlap: refusing a likely zip bomb',
    });
    expect((await store.status()).advisories).toBe(0);
  });

  it("charges every entry to the archive's budget: the whole archive has a cap, not only each entry", async () => {
    const three = join(tmp, "three.zip");
    py(
      "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nfor i in range(3): z.writestr('%d.json' % i, '{\"id\":\"X-%d\",\"modified\":\"2024-01-01T00:00:00Z\"}' % i + ' ' * 1000)\nz.close()",
      three,
    );
    const store = new MemoryVulnStore();
    await expect(
      importOsvPaths(store, [three], { now, zipLimits: { maxArchiveBytes: 2500 } }),
    ).rejects.toMatchObject({
      code: "LIMIT",
      message: "zip archive: over the inflatedBytes budget of 2500 bytes",
    });
    const ok = await importOsvPaths(store, [three], { now, zipLimits: { maxArchiveBytes: 4000 } });
    expect([ok.records, (await store.status()).advisories]).toEqual([3, 3]);
  });

  it("flushes a batch before it passes its byte budget", async () => {
    const batches: number[] = [];
    const store = new MemoryVulnStore();
    const put = store.putRecords.bind(store);
    store.putRecords = (records: readonly OsvRecord[]) => {
      batches.push(records.reduce((n, r) => n + JSON.stringify(r).length, 0));
      return put(records);
    };
    // The 12 fixture records are 9.5 KB of text: a 2 KiB budget needs at least 5 batches (one would do without).
    const r = await importOsvPaths(store, [OSV], { now, maxBatchBytes: 2048 });
    expect([r.records, batches.length >= 5, (await store.status()).advisories]).toEqual([12, true, 12]);
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
