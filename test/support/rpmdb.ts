import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/**
 * Real rpm databases for tests: packages built by rpmbuild and installed by rpm (Debian's `rpm`), the Berkeley DB
 * hash file written by libdb's own `db5.3_load` (Debian's `db5.3-util`) and read back by rpm's `bdb_ro` backend.
 * Debian's rpm has no ndb backend, so ndb files are written here from rpm's `lib/backend/ndb/rpmpkg.c` layout.
 */
export const RPM_TOOLS = ["/usr/bin/rpm", "/usr/bin/rpmbuild", "/usr/bin/db5.3_load"] as const;

/** Fail (never skip) when a tool is missing, naming the Debian packages that carry it. */
export function requireRpmTools(): void {
  const missing = RPM_TOOLS.filter((t) => !existsSync(t));
  if (missing.length > 0)
    throw new Error(`missing ${missing.join(", ")}: apt-get install rpm db5.3-util (scripts/test.sh does)`);
}

const run = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 }).toString();

/** One binary package to build: `source` makes it a subpackage of that source (as openssl-libs of openssl). */
export interface RpmSpec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: "x86_64" | "noarch";
  source?: string;
  license?: string;
  /** Files the package owns: more files make a bigger header (overflow pages in Berkeley DB). */
  files?: number;
}

function specText(s: RpmSpec): string {
  const src = s.source ?? s.name;
  const files = s.files ?? 1;
  const sub = src !== s.name;
  return [
    `Name: ${src}`,
    s.epoch !== undefined ? `Epoch: ${s.epoch}` : "",
    `Version: ${s.version}`,
    `Release: ${s.release}`,
    `Summary: ${src} test package`,
    `License: ${s.license ?? "MIT"}`,
    s.arch === "noarch" ? "BuildArch: noarch" : "",
    "%description",
    `${src} built for a test.`,
    ...(sub
      ? [
          `%package -n ${s.name}`,
          `Summary: ${s.name} test subpackage`,
          `%description -n ${s.name}`,
          `${s.name} built for a test.`,
        ]
      : []),
    "%install",
    `mkdir -p %{buildroot}/usr/share/${s.name}`,
    `for i in $(seq ${files}); do echo "$i" > %{buildroot}/usr/share/${s.name}/file-with-a-longer-name-$i; done`,
    sub ? `%files -n ${s.name}` : "%files",
    `/usr/share/${s.name}`,
    "",
  ].join("\n");
}

const require = createRequire(import.meta.url);
type Db = { prepare(sql: string): { raw(): { all(): unknown[][] } }; close(): void };
const Database = require("better-sqlite3") as new (path: string, opts?: { readonly?: boolean }) => Db;

/**
 * Build `specs` with rpmbuild, install them with `rpm -i --justdb` into a fresh sqlite rpmdb under `work`, and
 * return that database's directory and its header blobs exactly as rpm stored them, in install order.
 */
export function installRpms(work: string, specs: RpmSpec[]): { dbDir: string; blobs: Buffer[] } {
  const top = join(work, "rpmbuild");
  const dbDir = join(work, "sqlite-db");
  mkdirSync(dbDir, { recursive: true });
  run("rpm", ["--dbpath", dbDir, "--initdb"]);
  for (const [i, s] of specs.entries()) {
    const spec = join(work, `p${i}.spec`);
    writeFileSync(spec, specText(s));
    run("rpmbuild", [
      "-bb",
      "--nodeps",
      "--quiet",
      "--define",
      `_topdir ${top}`,
      "--define",
      "_build_id_links none",
      "--define",
      "source_date_epoch_from_changelog 0",
      "--target",
      s.arch === "noarch" ? "noarch" : "x86_64",
      spec,
    ]);
    const rpmFile = join(
      top,
      "RPMS",
      s.arch ?? "x86_64",
      `${s.name}-${s.version}-${s.release}.${s.arch ?? "x86_64"}.rpm`,
    );
    run("rpm", [
      "-i",
      "--justdb",
      "--nodeps",
      "--noscripts",
      "--notriggers",
      "--ignorearch",
      "--ignoreos",
      "--dbpath",
      dbDir,
      rpmFile,
    ]);
  }
  const db = new Database(join(dbDir, "rpmdb.sqlite"), { readonly: true });
  try {
    const rows = db.prepare("SELECT blob FROM Packages ORDER BY hnum").raw().all();
    return { dbDir, blobs: rows.map((r) => r[0] as Buffer) };
  } finally {
    db.close();
  }
}

/** rpm -qa's view of a database directory, one tab-separated line per package, sorted. */
export const QA_FORMAT =
  "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n";
export function rpmQa(dbDir: string, backend: "sqlite" | "bdb_ro"): string[] {
  const out = run("rpm", ["-qa", "--dbpath", dbDir, "--define", `_db_backend ${backend}`, "--qf", QA_FORMAT]);
  return out
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

/**
 * Write `blobs` as rpm's Berkeley DB `Packages` (keys: header numbers 1..n in the file's byte order, plus key 0
 * holding the next free header number, as rpm writes it) with libdb's own db5.3_load, into `dir/Packages`.
 */
export function writeBdbPackages(
  dir: string,
  blobs: readonly Uint8Array[],
  opts: { pageSize?: number; bigEndian?: boolean; checksums?: boolean } = {},
): string {
  mkdirSync(dir, { recursive: true });
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (opts.bigEndian) b.writeUInt32BE(n);
    else b.writeUInt32LE(n);
    return b.toString("hex");
  };
  const lines = [
    "VERSION=3",
    "format=bytevalue",
    "type=hash",
    `db_pagesize=${opts.pageSize ?? 4096}`,
    `db_lorder=${opts.bigEndian ? 4321 : 1234}`,
    ...(opts.checksums ? ["chksum=1"] : []),
    "HEADER=END",
    ` ${u32(0)}`,
    ` ${u32(blobs.length + 1)}`,
  ];
  for (const [i, b] of blobs.entries()) lines.push(` ${u32(i + 1)}`, ` ${Buffer.from(b).toString("hex")}`);
  lines.push("DATA=END", "");
  const dump = join(dir, "Packages.dump");
  writeFileSync(dump, lines.join("\n"));
  const file = join(dir, "Packages");
  run("db5.3_load", ["-f", dump, file]);
  return file;
}

function adler32(parts: readonly Uint8Array[]): number {
  let a = 1;
  let b = 0;
  for (const p of parts)
    for (const x of p) {
      a = (a + x) % 65521;
      b = (b + a) % 65521;
    }
  return ((b << 16) | a) >>> 0;
}

/**
 * An ndb `Packages.db` holding `blobs` as package indexes 1..n, written from rpm's `rpmpkg.c` layout: file header,
 * slot pages, then each blob (head, header, zero pad, tail with adler32) in 16-byte blocks. `freeSlots` empty
 * slots are left before the used ones (as deleting packages leaves them).
 */
export function ndbPackages(blobs: readonly Uint8Array[], opts: { freeSlots?: number } = {}): Buffer {
  const free = opts.freeSlots ?? 0;
  const slotPages = Math.max(1, Math.ceil((2 + free + blobs.length) / 256));
  const parts: Buffer[] = [];
  const slots = Buffer.alloc(slotPages * 4096);
  slots.writeUInt32LE(0x506d7052, 0);
  slots.writeUInt32LE(0, 4);
  slots.writeUInt32LE(7, 8);
  slots.writeUInt32LE(slotPages, 12);
  slots.writeUInt32LE(blobs.length + 1, 16);
  for (let o = 32; o < slots.length; o += 16) slots.writeUInt32LE(0x746f6c53, o);
  let blk = (slotPages * 4096) / 16;
  for (const [i, blob] of blobs.entries()) {
    const blkcnt = Math.ceil((16 + blob.length + 12) / 16);
    const slot = 32 + (free + i) * 16;
    slots.writeUInt32LE(i + 1, slot + 4);
    slots.writeUInt32LE(blk, slot + 8);
    slots.writeUInt32LE(blkcnt, slot + 12);
    const head = Buffer.alloc(16);
    head.writeUInt32LE(0x53626c42, 0);
    head.writeUInt32LE(i + 1, 4);
    head.writeUInt32LE(1_700_000_000, 8);
    head.writeUInt32LE(blob.length, 12);
    const pad = Buffer.alloc(blkcnt * 16 - 16 - blob.length - 12);
    const tail = Buffer.alloc(12);
    tail.writeUInt32LE(adler32([head, blob, pad]), 0);
    tail.writeUInt32LE(blob.length, 4);
    tail.writeUInt32LE(0x45626c42, 8);
    parts.push(head, Buffer.from(blob), pad, tail);
    blk += blkcnt;
  }
  return Buffer.concat([slots, ...parts]);
}
