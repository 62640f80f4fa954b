import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/**
 * Builders for hostile image inputs, small on disk and generated in the test (no binary fixtures): zstd frames
 * written by hand (RFC 8878), tar headers (POSIX ustar/pax), OCI layouts.
 */

const BLOCK = 128 * 1024;

/** zstd frame header: magic, descriptor (no single segment, no checksum), window descriptor for 2^windowLog. */
export function zstdHeader(windowLog: number): Buffer {
  return Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3]);
}

/** One zstd block header: last flag, type (0 raw, 1 RLE, 2 compressed), size. */
function blockHeader(last: boolean, type: number, size: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntLE((last ? 1 : 0) | (type << 1) | (size << 3), 0, 3);
  return b;
}

/** A zstd frame of `n` RLE blocks, each `size` copies of `byte`. */
export function rleFrame(windowLog: number, n: number, size: number, byte = 0x61): Buffer {
  const parts = [zstdHeader(windowLog)];
  for (let i = 0; i < n; i++) parts.push(blockHeader(i === n - 1, 1, size), Buffer.from([byte]));
  return Buffer.concat(parts);
}

/** A 512-byte ustar header for a regular file (mode 0644, checksummed). */
export function tarHeader(name: string, size: number, type = "0", linkname = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write(linkname, 157, 100, "utf8");
  h.write("0000644\0", 100, "latin1");
  h.write("0000000\0", 108, "latin1");
  h.write("0000000\0", 116, "latin1");
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "latin1");
  h.write("00000000000\0", 136, "latin1");
  h.write(type, 156, "latin1");
  h.write("ustar\x0000", 257, "latin1");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h;
}

/** A pax extended header member ("x") carrying `records` (e.g. {size: "-5"}). */
export function paxHeader(records: Record<string, string>): Buffer {
  let body = "";
  for (const [k, v] of Object.entries(records)) {
    const rec = ` ${k}=${v}\n`;
    let len = rec.length + String(rec.length).length;
    if (String(len).length + rec.length !== len) len = rec.length + String(len).length;
    body += `${len}${rec}`;
  }
  const data = Buffer.from(body);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([tarHeader("PaxHeaders/x", data.length, "x"), data, pad]);
}

/** A small tar (members with bodies, or symlinks), padded and terminated. */
export function tarOf(
  members: ({ name: string; body: string | Buffer } | { name: string; symlink: string })[],
): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    if ("symlink" in m) {
      parts.push(tarHeader(m.name, 0, "2", m.symlink));
      continue;
    }
    const body = Buffer.from(m.body);
    parts.push(tarHeader(m.name, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * A zstd layer whose tar holds one file of `blocks` x 128 KiB zeros: a few bytes per 128 KiB on disk. Returns the
 * compressed blob and the sha256 diff_id of the tar it decompresses to (computed without materialising it).
 */
export function zstdLayerBomb(blocks: number, windowLog = 17): { blob: Buffer; diffId: string } {
  const header = tarHeader("var/tmp/zeros", blocks * BLOCK);
  const parts = [zstdHeader(windowLog), blockHeader(false, 0, 512), header];
  for (let i = 0; i < blocks; i++) parts.push(blockHeader(false, 1, BLOCK), Buffer.from([0]));
  parts.push(blockHeader(true, 1, 1024), Buffer.from([0])); // end-of-archive blocks
  const h = createHash("sha256").update(header);
  const zeros = Buffer.alloc(BLOCK);
  for (let i = 0; i < blocks; i++) h.update(zeros);
  h.update(Buffer.alloc(1024));
  return { blob: Buffer.concat(parts), diffId: `sha256:${h.digest("hex")}` };
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Write an OCI image layout with the given (already compressed) layers; digests are all valid. */
export function writeOciLayout(
  dir: string,
  layers: { blob: Buffer; diffId: string; mediaType?: string }[],
): void {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const put = (b: Buffer) => {
    const d = sha(b);
    writeFileSync(join(dir, "blobs", "sha256", d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
      config: {},
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...put(config) },
      layers: layers.map((l) => ({
        mediaType: l.mediaType ?? "application/vnd.oci.image.layer.v1.tar+zstd",
        ...put(l.blob),
      })),
    }),
  );
  const m = put(manifest);
  writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m }],
    }),
  );
}

export { sha as sha256Of };

/**
 * A zip whose central directory lists `entries` names that all point at ONE deflated member (the overlap
 * trick): `body` bytes each when inflated, so the archive claims entries x body bytes from a few KB.
 */
export function overlappingZip(names: string[], body: Buffer): Buffer {
  const data = deflateRawSync(body, { level: 9 });
  const crc = crc32(body);
  const first = Buffer.from(names[0] ?? "a");
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(body.length, 22);
  local.writeUInt16LE(first.length, 26);
  const head = Buffer.concat([local, first, data]);
  const cen: Buffer[] = [];
  for (const n of names) {
    const name = Buffer.from(n);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(body.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(0, 42);
    cen.push(c, name);
  }
  const cd = Buffer.concat(cen);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(names.length, 8);
  eocd.writeUInt16LE(names.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(head.length, 16);
  return Buffer.concat([head, cd, eocd]);
}
