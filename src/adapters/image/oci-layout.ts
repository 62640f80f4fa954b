import { createReadStream } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { PalisadeError } from "../../core/errors/index.js";
import { isRecord } from "../../core/util/index.js";
import { assertDigest, verified } from "./digest.js";
import {
  type Descriptor,
  MAX_MANIFEST_BYTES,
  parseIndex,
  parseJsonDocument,
  parsePlatform,
} from "./manifest.js";
import {
  DEFAULT_PLATFORM,
  type ImageSource,
  type ResolvedImage,
  type ResolvedLayer,
  resolveManifestDocument,
  type SourceOptions,
  verifyDescriptor,
} from "./source.js";

/** `org.opencontainers.image.ref.name` names a manifest in index.json (image-spec annotations.md). */
const REF_NAME = "org.opencontainers.image.ref.name";

function blobPath(dir: string, digest: string): string {
  assertDigest(digest, "blob");
  const [alg, hex] = digest.split(":") as [string, string];
  return join(dir, "blobs", alg, hex);
}

async function readBlobFile(
  dir: string,
  desc: Descriptor,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  if (desc.size > maxBytes)
    throw new PalisadeError("LIMIT", `${what}: ${desc.size} bytes exceeds ${maxBytes}`);
  const path = blobPath(dir, desc.digest);
  const fh = await open(path, "r").catch((e: unknown) => {
    throw new PalisadeError("INPUT", `${what}: blob ${desc.digest} missing from layout`, {
      cause: e,
      context: { file: path },
    });
  });
  try {
    const buf = Buffer.alloc(Math.min(maxBytes, desc.size) + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const bytes = buf.subarray(0, bytesRead);
    verifyDescriptor(bytes, desc, what);
    return bytes;
  } finally {
    await fh.close();
  }
}

/** An OCI image layout directory (image-spec image-layout.md): `oci-layout`, `index.json`, `blobs/<alg>/<hex>`. */
export class OciLayoutSource implements ImageSource {
  readonly transport = "oci" as const;
  readonly name: string;

  constructor(
    private readonly dir: string,
    private readonly tag: string | undefined,
    private readonly opts: SourceOptions = {},
  ) {
    this.name = `oci:${dir}${tag ? `:${tag}` : ""}`;
  }

  async resolve(): Promise<ResolvedImage> {
    const layoutFile = join(this.dir, "oci-layout");
    const layout = parseJsonDocument(
      await readFile(layoutFile).catch((e: unknown) => {
        throw new PalisadeError("INPUT", `${this.dir} is not an OCI image layout (no oci-layout file)`, {
          cause: e,
        });
      }),
      "oci-layout",
    );
    if (!isRecord(layout) || typeof layout.imageLayoutVersion !== "string")
      throw new PalisadeError("INPUT", "oci-layout: no imageLayoutVersion", {
        context: { file: layoutFile },
      });
    const indexFile = join(this.dir, "index.json");
    const st = await stat(indexFile).catch((e: unknown) => {
      throw new PalisadeError("INPUT", `${this.dir} is not an OCI image layout (no index.json)`, {
        cause: e,
        context: { file: indexFile },
      });
    });
    if (st.size > MAX_MANIFEST_BYTES)
      throw new PalisadeError("LIMIT", "index.json too large", { context: { file: indexFile } });
    const index = parseIndex(parseJsonDocument(await readFile(indexFile), "index.json"), "index.json");
    const named = this.tag
      ? index.manifests.filter((m) => m.annotations?.[REF_NAME] === this.tag)
      : index.manifests;
    if (named.length === 0)
      throw new PalisadeError("INPUT", `no manifest tagged "${this.tag}" in ${indexFile}`);
    if (named.length > 1 && !this.tag) {
      const allPlatforms = named.every((m) => m.platform);
      if (!allPlatforms)
        throw new PalisadeError(
          "USAGE",
          `${indexFile} holds ${named.length} images: name one with oci:DIR:TAG`,
        );
    }
    const platform = this.opts.platform ? parsePlatform(this.opts.platform) : DEFAULT_PLATFORM;
    const read = (d: Descriptor, max: number, what: string) => readBlobFile(this.dir, d, max, what);
    if (named.length === 1) {
      const d = named[0] as Descriptor;
      const bytes = await read(d, MAX_MANIFEST_BYTES, `manifest ${d.digest}`);
      return resolveManifestDocument(bytes, d.digest, d.mediaType, read, platform);
    }
    // Several untagged per-platform manifests directly in index.json: treat index.json as the image index.
    const bytes = Buffer.from(
      JSON.stringify({ mediaType: "application/vnd.oci.image.index.v1+json", manifests: named }),
    );
    const img = await resolveManifestDocument(bytes, undefined, undefined, read, platform);
    return img;
  }

  async openLayer(layer: ResolvedLayer): Promise<Readable> {
    const digest = layer.blob.digest ?? layer.diffId;
    const path = blobPath(this.dir, digest);
    const st = await stat(path).catch((e: unknown) => {
      throw new PalisadeError("INPUT", `layer blob ${digest} missing from layout`, {
        cause: e,
        context: { file: path },
      });
    });
    if (layer.blob.size !== undefined && st.size !== layer.blob.size)
      throw new PalisadeError(
        "INTEGRITY",
        `layer ${digest}: ${st.size} bytes, descriptor declares ${layer.blob.size}`,
        {
          context: { digest },
        },
      );
    return verified(createReadStream(path), digest, `layer ${digest}`, layer.blob.size);
  }

  async close(): Promise<void> {}
}
