import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  installRpms,
  ndbPackages,
  requireRpmTools,
  rpmQa,
  writeBdbPackages,
} from "../../../test/support/rpmdb.js";
import { catalogRpmDatabase } from "./index.js";
import type { CatalogedPackage } from "./model.js";

/**
 * Differential: the Berkeley DB reader against rpm's own bdb_ro backend on files written by libdb (db5.3_load),
 * with headers of packages built by rpmbuild and installed by rpm, plus 300 headers written by librpm
 * (python3-rpm) for volume: buckets that split, items inline and on overflow chains, 512-byte to 16 KiB pages,
 * both byte orders. The ndb reader reads the same headers from a file written from rpm's ndb layout (Debian's
 * rpm has no ndb backend) and must give what rpm gives for the Berkeley DB file.
 */
const PY = "/usr/bin/python3";
const GENERATE = `
import rpm, random, base64, json, sys
random.seed(int(sys.argv[1]))
out = []
alpha = "abcdefghijklmnopqrstuvwxyz0123456789+._~^"
for i in range(300):
    h = rpm.hdr()
    name = "p%d-" % i + "".join(random.choice("abcxyz-_+.0123456789") for _ in range(random.randint(1, 20)))
    h[rpm.RPMTAG_NAME] = name
    h[rpm.RPMTAG_VERSION] = "".join(random.choice(alpha) for _ in range(random.randint(1, 12)))
    h[rpm.RPMTAG_RELEASE] = "".join(random.choice(alpha) for _ in range(random.randint(1, 12)))
    if random.random() < 0.3: h[rpm.RPMTAG_EPOCH] = random.randint(0, 2**31)
    h[rpm.RPMTAG_ARCH] = random.choice(["x86_64", "noarch", "aarch64", "i686"])
    h[rpm.RPMTAG_SOURCERPM] = name + "-src-1-1.src.rpm"
    h[rpm.RPMTAG_LICENSE] = random.choice(["MIT", "GPLv2+ and LGPLv2+", "ASL 2.0"])
    h[rpm.RPMTAG_SUMMARY] = "s" * random.choice([0, 10, 200, 1500, 3000, 9000])
    out.append(base64.b64encode(h.unload()).decode())
print(json.dumps(out))
`;

/** The line rpm -qa prints for a package (see QA_FORMAT), rebuilt from what the catalog made of it. */
function qaLine(p: CatalogedPackage): string {
  const m = /^(?:(\d+):)?([^-]*)-([^-]*)$/.exec(p.version);
  const src = p.sourceName ? `${p.sourceName}-${p.sourceVersion?.replace(/^\d+:/, "")}.src.rpm` : "(none)";
  return [
    p.name,
    m?.[1] ?? "(none)",
    m?.[2],
    m?.[3],
    p.arch ?? "(none)",
    src,
    p.licenses?.[0] ?? "(none)",
  ].join("\t");
}

describe("rpm Berkeley DB and ndb readers vs rpm (rpmbuild, rpm --justdb, db5.3_load, rpm bdb_ro)", () => {
  let work: string;
  let blobs: Buffer[];
  let sqliteQa: string[];

  beforeAll(() => {
    requireRpmTools();
    work = mkdtempSync(join(tmpdir(), "palisade-rpmdb-"));
    const installed = installRpms(work, [
      { name: "bash", version: "4.4.20", release: "4.el8_6", files: 40 },
      {
        name: "openssl-libs",
        source: "openssl",
        epoch: 1,
        version: "1.1.1k",
        release: "5.el8_5",
        files: 120,
      },
      {
        name: "tzdata",
        version: "2023c",
        release: "1.el8",
        arch: "noarch",
        license: "Public Domain",
        files: 300,
      },
      { name: "libcurl", source: "curl", version: "7.61.1", release: "30.el8", files: 2 },
    ]);
    sqliteQa = rpmQa(installed.dbDir, "sqlite");
    const generated = JSON.parse(
      execFileSync(PY, ["-c", GENERATE, "7"], { maxBuffer: 64 << 20 }).toString(),
    ) as string[];
    blobs = [...installed.blobs, ...generated.map((b) => Buffer.from(b, "base64"))];
  }, 60_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installed packages read from sqlite by rpm are the first four of every backend below", () => {
    expect(sqliteQa.map((l) => l.split("\t")[0])).toEqual(["bash", "libcurl", "openssl-libs", "tzdata"]);
  });

  for (const [pageSize, bigEndian] of [
    [512, false],
    [4096, false],
    [4096, true],
    [16384, false],
  ] as const) {
    it(`Berkeley DB, ${pageSize}-byte pages, ${bigEndian ? "big" : "little"}-endian: what rpm bdb_ro lists`, () => {
      const dir = join(work, `bdb-${pageSize}-${bigEndian ? "be" : "le"}`);
      const file = writeBdbPackages(dir, blobs, { pageSize, bigEndian });
      const expected = rpmQa(dir, "bdb_ro");
      expect(expected).toHaveLength(blobs.length);
      for (const l of sqliteQa) expect(expected).toContain(l);
      const r = catalogRpmDatabase(readFileSync(file), "var/lib/rpm/Packages");
      expect(r.coverage).toEqual([]);
      expect(r.packages.map(qaLine).sort()).toEqual(expected);
    });
  }

  it("ndb (file written from rpm's layout, free slots first): what rpm lists for the same headers", () => {
    const dir = join(work, "bdb-ref");
    writeBdbPackages(dir, blobs);
    const expected = rpmQa(dir, "bdb_ro");
    const r = catalogRpmDatabase(ndbPackages(blobs, { freeSlots: 300 }), "usr/lib/sysimage/rpm/Packages.db");
    expect(r.coverage).toEqual([]);
    expect(r.packages.map(qaLine).sort()).toEqual(expected);
  });
});
