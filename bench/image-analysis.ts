/**
 * Image analysis throughput: builds a large realistic OCI layout (generated, deterministic), then times
 * `analyzeImage` over it and prints MB/s of compressed layers and peak RSS.
 *
 *   npx tsx bench/image-analysis.ts [uncompressedMiB=300]
 *
 * Layers: 0 = base OS (os-release, dpkg status with 500 packages, many binary-ish files); 1 = node_modules with
 * 2,000 package.json files plus sources; 2 = app files and a rewritten dpkg status (one package upgraded).
 */
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import { analyzeImage } from "../src/adapters/image/index.js";

const totalMiB = Number(process.argv[2] ?? 300);
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-"));
mkdirSync(join(dir, "blobs/sha256"), { recursive: true });

/** Deterministic pseudo-random bytes (xorshift) with some text so gzip has work of realistic difficulty. */
let seed = 0x9e3779b9;
function fill(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    b.writeUInt32LE(seed >>> 0, i - (i + 4 > n ? i + 4 - n : 0));
  }
  // Half of each file is repetitive text, as in real binaries and sources.
  b.fill("function handler(req, res) { return next(); }\n", Math.floor(n / 2));
  return b;
}

const dpkg = (pkgs: [string, string][]) =>
  pkgs
    .map(
      ([n, v]) =>
        `Package: ${n}\nStatus: install ok installed\nArchitecture: amd64\nSource: src-${n}\nVersion: ${v}\nDescription: generated\n long text\n`,
    )
    .join("\n");

interface Blob {
  digest: string;
  size: number;
  diffId?: string;
}

async function writeLayer(fillEntries: (p: tar.Pack) => Promise<void>): Promise<Blob> {
  const pack = tar.pack();
  const tarHash = createHash("sha256");
  const blobHash = createHash("sha256");
  let size = 0;
  const tmp = join(dir, "blobs/sha256/tmp");
  const done = pipeline(
    pack as unknown as NodeJS.ReadableStream,
    new Transform({
      transform(c, _e, cb) {
        tarHash.update(c);
        cb(null, c);
      },
    }),
    createGzip({ level: 6 }),
    new Transform({
      transform(c, _e, cb) {
        blobHash.update(c);
        size += c.length;
        cb(null, c);
      },
    }),
    createWriteStream(tmp),
  );
  await fillEntries(pack);
  pack.finalize();
  await done;
  const hex = blobHash.digest("hex");
  renameSync(tmp, join(dir, "blobs/sha256", hex));
  return { digest: `sha256:${hex}`, size, diffId: `sha256:${tarHash.digest("hex")}` };
}

function entry(p: tar.Pack, name: string, body: Buffer | string, mode = 0o644): Promise<void> {
  return new Promise((resolve, reject) => p.entry({ name, mode }, body, (e) => (e ? reject(e) : resolve())));
}

function writeBlob(data: string): Blob {
  const hex = createHash("sha256").update(data).digest("hex");
  writeFileSync(join(dir, "blobs/sha256", hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

const pkgs: [string, string][] = Array.from({ length: 500 }, (_, i) => [`lib-pkg${i}`, `1.${i}.0-1+deb12u1`]);
const perLayer = (totalMiB * 1024 * 1024) / 3;
const t0 = performance.now();
const layers: Blob[] = [];
layers.push(
  await writeLayer(async (p) => {
    await entry(p, "etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    await entry(p, "var/lib/dpkg/status", dpkg(pkgs));
    for (let n = 0, i = 0; n < perLayer; i++) {
      const sz = 4096 + ((i * 7919) % 200_000);
      await entry(p, `usr/lib/x86_64-linux-gnu/lib${i}.so.1`, fill(sz));
      n += sz;
    }
  }),
);
layers.push(
  await writeLayer(async (p) => {
    for (let i = 0; i < 2000; i++) {
      const name = i % 10 === 0 ? `@scope${i % 7}/mod${i}` : `mod${i}`;
      await entry(
        p,
        `srv/app/node_modules/${name}/package.json`,
        JSON.stringify({ name, version: `${i % 5}.${i % 13}.${i % 3}`, license: "MIT" }),
      );
    }
    for (let n = 0, i = 0; n < perLayer; i++) {
      const sz = 2048 + ((i * 104729) % 60_000);
      await entry(p, `srv/app/node_modules/mod${i % 2000}/lib/f${i}.js`, fill(sz));
      n += sz;
    }
  }),
);
layers.push(
  await writeLayer(async (p) => {
    const upgraded = pkgs.map(([n, v], i): [string, string] => [n, i === 0 ? "2.0.0-1" : v]);
    await entry(p, "var/lib/dpkg/status", dpkg(upgraded));
    for (let n = 0, i = 0; n < perLayer; i++) {
      const sz = 8192 + ((i * 15485863) % 400_000);
      await entry(p, `opt/app/data/blob${i}.bin`, fill(sz));
      n += sz;
    }
  }),
);
const config = writeBlob(
  JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    config: {},
  }),
);
const manifest = writeBlob(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: config.digest,
      size: config.size,
    },
    layers: layers.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: l.digest,
      size: l.size,
    })),
  }),
);
writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(
  join(dir, "index.json"),
  JSON.stringify({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: manifest.digest,
        size: manifest.size,
        annotations: { "org.opencontainers.image.ref.name": "bench" },
      },
    ],
  }),
);
const compressed = layers.reduce((a, l) => a + l.size, 0);
console.log(
  `generated ${(compressed / 1048576).toFixed(1)} MiB compressed (${totalMiB} MiB uncompressed) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const rssBefore = process.resourceUsage().maxRSS;
const t1 = performance.now();
const { sbom, coverage } = await analyzeImage(`oci:${dir}:bench`);
const secs = (performance.now() - t1) / 1000;
const upgraded = sbom.packages.find((p) => p.name === "lib-pkg0");
console.log(
  `analysed ${sbom.packages.length} packages (${coverage.length} coverage entries; lib-pkg0@${upgraded?.version} layer ${upgraded?.layerIndex})`,
);
console.log(
  `throughput: ${(compressed / 1048576 / secs).toFixed(1)} MiB/s of compressed layers (${secs.toFixed(2)} s)`,
);
console.log(
  `peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (before analysis: ${(rssBefore / 1024).toFixed(0)} MiB)`,
);
rmSync(dir, { recursive: true, force: true });
