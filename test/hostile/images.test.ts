import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireRpmTools, writeBdbPackages } from "../support/rpmdb.js";
import { type HostileRun, runHostile } from "./harness.js";
import {
  overlappingZip,
  paxHeader,
  rleFrame,
  sha256Of,
  tarOf,
  writeOciLayout,
  zstdLayerBomb,
} from "./image-inputs.js";

/**
 * Hostile image inputs (issue: hardening, image analysis): each class is generated here, small on disk, and run
 * through the real CLI. Every run must end by itself (no kill), exit <= 2 with the clear error, and stay under a
 * generous memory ceiling.
 */
const work = mkdtempSync(join(tmpdir(), "palisade-hostile-images-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const RSS_CEILING_MIB = 400;
const KILL_AFTER_MS = 50_000;

function bounded(r: HostileRun): void {
  expect(r.killed).toBe(false);
  expect(r.code).not.toBeNull();
  expect(r.code as number).toBeLessThanOrEqual(2);
  expect(r.maxRssMiB).toBeLessThan(RSS_CEILING_MIB);
}

const sbom = (target: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []) =>
  runHostile(["sbom", target, "-o", "json", ...extra], { env, killAfterMs: KILL_AFTER_MS });

describe("hostile images: layer bombs (zstd)", () => {
  // 8192 RLE blocks of 128 KiB: a 33 KB layer that decompresses to a 1 GiB tar, with valid digests.
  const bombDir = join(work, "bomb");
  writeOciLayout(bombDir, [zstdLayerBomb(8192)]);
  // The same with the zstd CLI's usual window (8 MiB) and one-byte blocks: no output to speak of, but fzstd
  // copies the whole window for each block.
  const tinyDir = join(work, "tiny-blocks");
  const tinyTar = Buffer.concat([rleFrame(23, 60_000, 1, 0)]);
  writeOciLayout(tinyDir, [{ blob: tinyTar, diffId: `sha256:${"0".repeat(64)}` }]);

  it("a layer bomb stops at the image budget (env) with a LIMIT error naming image and layer", async () => {
    const r = await sbom(bombDir, { PALISADE_MAX_IMAGE_BYTES: "64MiB" });
    bounded(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^palisade: oci:${bombDir} layer 0 \\(sha256:[0-9a-f]{64}\\): the image's layers decompress to more than 64 MiB, its budget; analysis stopped`,
      ),
    );
    expect(r.stdout).toBe("");
  });

  it("--max-image-bytes sets the same budget", async () => {
    const r = await sbom(bombDir, {}, ["--max-image-bytes", "32MiB"]);
    bounded(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("decompress to more than 32 MiB, its budget");
  });

  it("a stream of one-byte zstd blocks is charged as full blocks and stops at the budget", async () => {
    const r = await sbom(tinyDir, { PALISADE_MAX_IMAGE_BYTES: "256MiB" });
    bounded(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("decompress to more than 256 MiB, its budget");
  });

  it("an image within the budget is analysed intact", async () => {
    const tar = tarOf([
      { name: "etc/os-release", body: "ID=debian\nVERSION_ID=12\n" },
      { name: "var/lib/dpkg/status", body: "Package: bash\nStatus: install ok installed\nVersion: 5.2\n" },
    ]);
    const z = execFileSync("zstd", ["-c", "-q", "-19"], { input: tar });
    const dir = join(work, "ok");
    writeOciLayout(dir, [{ blob: z, diffId: sha256Of(tar) }]);
    const r = await sbom(dir, { PALISADE_MAX_IMAGE_BYTES: "1MiB" });
    bounded(r);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { packages: { name: string; version: string }[]; os: { id: string } };
    expect(doc.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["bash@5.2"]);
    expect(doc.os.id).toBe("debian");
  });

  it("a bad budget value is a usage error", async () => {
    const r = await sbom(bombDir, { PALISADE_MAX_IMAGE_BYTES: "lots" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "palisade: PALISADE_MAX_IMAGE_BYTES lots: expected a positive size like 4GiB or 512MiB\n",
    );
  });
});

describe("hostile images: jar bombs (overlapping central-directory entries)", () => {
  it("stop at the archive budget with a limit warning; the rest of the directory is intact", async () => {
    const root = join(work, "jar-root");
    mkdirSync(join(root, "srv"), { recursive: true });
    mkdirSync(join(root, "var/lib/dpkg"), { recursive: true });
    const pom = Buffer.concat([
      Buffer.from("groupId=g\nartifactId=a\nversion=1\n"),
      Buffer.alloc(1024 * 1024 - 40, 0x20),
    ]);
    // ~330 KB on disk, 4 GiB claimed.
    const names = Array.from({ length: 4000 }, (_, i) => `META-INF/maven/g/a${i}/pom.properties`);
    writeFileSync(join(root, "srv/bomb.jar"), overlappingZip(names, pom));
    writeFileSync(
      join(root, "var/lib/dpkg/status"),
      "Package: bash\nStatus: install ok installed\nVersion: 5.2\n",
    );
    const r = await sbom(`dir:${root}`);
    bounded(r);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "palisade: warning: limit: java archive srv/bomb.jar: over the inflated bytes budget of 128 MiB; the rest of the archive was not read\n",
    );
    const doc = JSON.parse(r.stdout) as { packages: { name: string; version: string }[] };
    expect(doc.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["bash@5.2", "a@1"]);
  });
});

describe("hostile images: rpmdb whose Packages is a recursive-CTE view", () => {
  it("is refused from its schema: the run ends, nothing spills to the temp dir, dpkg is still read", async () => {
    const root = join(work, "rpm-root");
    mkdirSync(join(root, "var/lib/rpm"), { recursive: true });
    mkdirSync(join(root, "var/lib/dpkg"), { recursive: true });
    const Database = createRequire(import.meta.url)("better-sqlite3") as new (
      p: string,
    ) => { exec(s: string): void; close(): void };
    const db = new Database(join(root, "var/lib/rpm/rpmdb.sqlite"));
    db.exec(
      "CREATE VIEW Packages AS WITH RECURSIVE r(hnum, blob) AS (SELECT 1, randomblob(65536) UNION ALL SELECT hnum + 1, randomblob(65536) FROM r ORDER BY 1 DESC) SELECT hnum, blob FROM r ORDER BY hnum",
    );
    db.close();
    writeFileSync(
      join(root, "var/lib/dpkg/status"),
      "Package: bash\nStatus: install ok installed\nVersion: 5.2\n",
    );
    const tmp = join(work, "rpm-tmp");
    mkdirSync(tmp);
    const r = await sbom(`dir:${root}`, { SQLITE_TMPDIR: tmp });
    bounded(r);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "palisade: warning: parse-error: var/lib/rpm/rpmdb.sqlite: rpmdb: not an rpm sqlite database: Packages is a view, not a table (only rpm's own Packages table is read)\n",
    );
    const doc = JSON.parse(r.stdout) as { packages: { name: string }[] };
    expect(doc.packages.map((p) => p.name)).toEqual(["bash"]);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe("hostile images: Berkeley DB and ndb rpmdbs whose chains loop and whose blobs nest", () => {
  it("each is a warning naming the file; the run ends and the other databases are read", async () => {
    requireRpmTools();
    const root = join(work, "rpm-bdb-root");
    mkdirSync(join(root, "var/lib/dpkg"), { recursive: true });
    writeFileSync(
      join(root, "var/lib/dpkg/status"),
      "Package: bash\nStatus: install ok installed\nVersion: 5.2\n",
    );
    // Berkeley DB written by libdb, then every hash page's and every overflow page's next pointer aimed at itself.
    const header = (name: string) => {
      const h = Buffer.alloc(8 + 16 + name.length + 1 + 5000);
      h.writeUInt32BE(1, 0);
      h.writeUInt32BE(name.length + 1 + 5000, 4);
      h.writeUInt32BE(1000, 8);
      h.writeUInt32BE(6, 12);
      h.write(name, 24);
      return h;
    };
    const file = writeBdbPackages(
      join(root, "var/lib/rpm"),
      Array.from({ length: 50 }, (_, i) => header(`p${i}`)),
      { pageSize: 512 },
    );
    rmSync(join(root, "var/lib/rpm/Packages.dump"));
    const db = readFileSync(file);
    for (let at = 512; at + 512 <= db.length; at += 512)
      if ([2, 7, 13].includes(db[at + 25] as number)) db.writeUInt32LE(at / 512, at + 16);
    writeFileSync(file, db);
    // ndb: 200 blobs nested inside each other, each claiming nearly the whole file.
    const E = 256 + 20_000;
    const ndb = Buffer.alloc(E * 16);
    ndb.writeUInt32LE(0x506d7052, 0);
    ndb.writeUInt32LE(1, 12);
    for (let at = 32; at < 4096; at += 16) ndb.writeUInt32LE(0x746f6c53, at);
    for (let i = 0; i < 200; i++) {
      const start = 256 + 2 * i;
      const count = E - 2 * i - start;
      ndb.writeUInt32LE(i + 1, 32 + i * 16 + 4);
      ndb.writeUInt32LE(start, 32 + i * 16 + 8);
      ndb.writeUInt32LE(count, 32 + i * 16 + 12);
      ndb.writeUInt32LE(0x53626c42, start * 16);
      ndb.writeUInt32LE(i + 1, start * 16 + 4);
      ndb.writeUInt32LE(count * 16 - 28, start * 16 + 12);
      ndb.writeUInt32LE(count * 16 - 28, (start + count) * 16 - 8);
      ndb.writeUInt32LE(0x45626c42, (start + count) * 16 - 4);
    }
    mkdirSync(join(root, "usr/lib/sysimage/rpm"), { recursive: true });
    writeFileSync(join(root, "usr/lib/sysimage/rpm/Packages.db"), ndb);
    const r = await sbom(`dir:${root}`);
    bounded(r);
    expect(r.code).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l !== "");
    expect(warnings.some((l) => /var\/lib\/rpm\/Packages: rpmdb: .*\(a cycle\)/.test(l))).toBe(true);
    expect(warnings.find((l) => l.includes("Packages.db"))).toMatch(
      /^palisade: warning: limit: rpmdb \(ndb\): rpmdb usr\/lib\/sysimage\/rpm\/Packages.db: over the header bytes budget of \d+ bytes; the rest was not read$/,
    );
    const doc = JSON.parse(r.stdout) as { packages: { name: string }[] };
    expect(doc.packages.map((p) => p.name)).toContain("bash");
  });
});

describe("hostile images: docker-archive tar headers", () => {
  for (const size of ["-5", "abc"])
    it(`a pax size of ${JSON.stringify(size)} is a clear INPUT error (was a RangeError crash)`, async () => {
      const file = join(work, `pax${size}.tar`);
      writeFileSync(
        file,
        Buffer.concat([paxHeader({ size }), tarOf([{ name: "manifest.json", body: "[]" }])]),
      );
      const r = await sbom(`docker-archive:${file}`);
      bounded(r);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `palisade: ${file}: tar member at offset 1024: pax size ${JSON.stringify(size)} is not a decimal byte count\n`,
      );
    });
});

describe("hostile images: FIFOs in OCI layouts and as archives", () => {
  it("a FIFO layer blob is refused at once instead of blocking forever", async () => {
    const dir = join(work, "fifo-layout");
    writeOciLayout(dir, [{ blob: tarOf([{ name: "a", body: "a" }]), diffId: `sha256:${"0".repeat(64)}` }]);
    const manifest = JSON.parse(
      readFileSync(
        join(
          dir,
          "blobs/sha256",
          (
            JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] }
          ).manifests[0]?.digest.slice(7) ?? "",
        ),
        "utf8",
      ),
    ) as { layers: { digest: string }[] };
    const layer = join(dir, "blobs/sha256", manifest.layers[0]?.digest.slice(7) ?? "");
    rmSync(layer);
    execFileSync("mkfifo", [layer]);
    const r = await sbom(dir);
    bounded(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/: layer blob sha256:[0-9a-f]{64} is a FIFO; only regular files are read/);
  });

  it("a FIFO given as a docker archive is refused", async () => {
    const file = join(work, "fifo.tar");
    execFileSync("mkfifo", [file]);
    const r = await sbom(`docker-archive:${file}`);
    bounded(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `palisade: ${file}: docker archive is a FIFO; only regular files are read (use - for stdin)\n`,
    );
  });
});

describe("hostile inputs: secrets past 16 KiB of one line", () => {
  it("a one-line 17 KB JSON with an AWS key is reported (redacted), not scanned clean", async () => {
    const key = "AKIAIOSFODNN7EXAMPLE";
    const filler = Array.from({ length: 400 }, (_, i) => `"field${i}":"${"x".repeat(30)}"`).join(",");
    const file = join(work, "one-line.json");
    writeFileSync(file, `{${filler},"aws_access_key_id":"${key}"}`);
    const r = await runHostile(["secrets", file], { killAfterMs: KILL_AFTER_MS });
    bounded(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${file}:1: aws-access-key-id AKIA****(redacted, 20 chars)\n1 credential(s) in 1 file(s)\n`,
    );
    expect(r.stdout + r.stderr).not.toContain(key);
  });
});

describe("hostile images: package databases behind in-image symlinks", () => {
  const status = "Package: bash\nStatus: install ok installed\nVersion: 5.2\n";
  const expectResolved = (r: HostileRun) => {
    bounded(r);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      packages: { name: string; locations: string[] }[];
      os?: { id: string };
    };
    expect(doc.packages.map((p) => `${p.name} ${p.locations.join(",")}`)).toEqual(["bash opt/dpkg/status"]);
    expect(doc.os?.id).toBe("debian");
  };

  it("an OCI image whose link targets are in an earlier layer than the links (second pass)", async () => {
    const lower = tarOf([
      { name: "opt/dpkg/status", body: status },
      { name: "opt/release", body: "ID=debian\nVERSION_ID=12\n" },
    ]);
    const upper = tarOf([
      { name: "etc/os-release", symlink: "../opt/release" },
      { name: "var/lib/dpkg", symlink: "/opt/dpkg" },
    ]);
    const dir = join(work, "links-oci");
    writeOciLayout(
      dir,
      [lower, upper].map((t) => ({
        blob: t,
        diffId: sha256Of(t),
        mediaType: "application/vnd.oci.image.layer.v1.tar",
      })),
    );
    expectResolved(await sbom(dir));
  });

  it("a directory tree with the same links (read inside the root, never outside it)", async () => {
    const root = join(work, "links-dir");
    mkdirSync(join(root, "opt/dpkg"), { recursive: true });
    mkdirSync(join(root, "etc"), { recursive: true });
    mkdirSync(join(root, "var/lib"), { recursive: true });
    writeFileSync(join(root, "opt/dpkg/status"), status);
    writeFileSync(join(root, "opt/release"), "ID=debian\n");
    symlinkSync("../opt/release", join(root, "etc/os-release"));
    symlinkSync("/opt/dpkg", join(root, "var/lib/dpkg"));
    expectResolved(await sbom(`dir:${root}`));
  });

  it("a link to a file the image does not hold is reported, not silently empty", async () => {
    const t = tarOf([{ name: "var/lib/dpkg/status", symlink: "/gone/status" }]);
    const dir = join(work, "links-dangling");
    writeOciLayout(dir, [
      { blob: t, diffId: sha256Of(t), mediaType: "application/vnd.oci.image.layer.v1.tar" },
    ]);
    const r = await sbom(dir);
    bounded(r);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "palisade: warning: missing: var/lib/dpkg/status: symlink resolves to /gone/status, which was not read (not a regular file in the image, or stored before the link)\n",
    );
  });
});
