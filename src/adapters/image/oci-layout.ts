import { join } from "node:path";
import type { Readable } from "node:stream";
import { isPalisadeError, PalisadeError } from "../../core/errors/index.js";
import { isRecord } from "../../core/util/index.js";
import { openRegularStream, readRegularFile } from "../fs/index.js";
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
  type ImageSourceDescriptor,
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

/** A missing file is the layout's fault (INPUT); a FIFO, device or over-cap file keeps its own code. */
function missing(e: unknown, message: string, file: string): never {
  if (isPalisadeError(e) && e.code !== "IO") throw e;
  throw new PalisadeError("INPUT", message, { cause: e, context: { file } });
}

/**
 * Every file of a layout is read through adapters/fs: regular files only (a FIFO blob would block forever, a
 * device never end), never more than the cap.
 */
async function readLayoutFile(path: string, maxBytes: number, what: string, ifMissing: string) {
  return readRegularFile(path, { maxBytes, what }).catch((e: unknown) => missing(e, ifMissing, path));
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
  // One byte over the declared size is read, so a blob longer than its descriptor fails verification below
  // instead of passing truncated; a blob longer than that is refused by the cap.
  const bytes = await readRegularFile(path, { maxBytes: desc.size + 1, what: `${what} blob` }).catch(
    (e: unknown) => {
      if (isPalisadeError(e) && e.code === "LIMIT")
        throw new PalisadeError(
          "INTEGRITY",
          `${what}: blob larger than its descriptor declares (${desc.size} bytes)`,
          {
            context: { digest: desc.digest, file: path },
          },
        );
      return missing(e, `${what}: blob ${desc.digest} missing from layout`, path);
    },
  );
  verifyDescriptor(bytes, desc, what);
  return bytes;
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
      await readLayoutFile(
        layoutFile,
        64 * 1024,
        "oci-layout",
        `${this.dir} is not an OCI image layout (no oci-layout file)`,
      ),
      "oci-layout",
    );
    if (!isRecord(layout) || typeof layout.imageLayoutVersion !== "string")
      throw new PalisadeError("INPUT", "oci-layout: no imageLayoutVersion", {
        context: { file: layoutFile },
      });
    const indexFile = join(this.dir, "index.json");
    const indexBytes = await readLayoutFile(
      indexFile,
      MAX_MANIFEST_BYTES,
      "index.json",
      `${this.dir} is not an OCI image layout (no index.json)`,
    );
    const index = parseIndex(parseJsonDocument(indexBytes, "index.json"), "index.json");
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
    // Regular files only, capped at the declared size (+1 so a longer blob fails verification, not silently).
    const cap = layer.blob.size !== undefined ? layer.blob.size + 1 : Number.MAX_SAFE_INTEGER;
    const stream = await openRegularStream(path, { maxBytes: cap, what: `layer blob ${digest}` }).catch(
      (e: unknown) => {
        if (isPalisadeError(e) && e.code === "LIMIT")
          throw new PalisadeError(
            "INTEGRITY",
            `layer ${digest}: larger than the ${layer.blob.size} bytes its descriptor declares`,
            { context: { digest } },
          );
        return missing(e, `layer blob ${digest} missing from layout`, path);
      },
    );
    return verified(stream, digest, `layer ${digest}`, layer.blob.size);
  }

  async close(): Promise<void> {}
}

/**
 * `oci:DIR[:TAG]`. The tag is what follows the LAST colon, when that text has no slash (so `oci:/a/b:c` is dir
 * /a/b, tag c).
 */
export const OCI_LAYOUT_SOURCE: ImageSourceDescriptor<"oci", { dir: string; tag?: string | undefined }> = {
  transport: "oci",
  prefixes: ["oci:"],
  parse(rest) {
    const colon = rest.lastIndexOf(":");
    if (colon > 0 && !rest.slice(colon + 1).includes("/"))
      return { dir: rest.slice(0, colon), tag: rest.slice(colon + 1) };
    if (rest === "") throw new PalisadeError("USAGE", "oci: needs a directory");
    return { dir: rest };
  },
  open: (s, opts) => new OciLayoutSource(s.dir, s.tag, { platform: opts.platform }),
};
