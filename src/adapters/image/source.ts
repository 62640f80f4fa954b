import type { Readable } from "node:stream";
import { PalisadeError } from "../../core/errors/index.js";
import type { AnalyzeOptions } from "./analyze.js";
import { verifyBuffer } from "./digest.js";
import {
  type Descriptor,
  formatPlatform,
  type ImageConfig,
  type ImageManifest,
  isIndexDocument,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  type Platform,
  parseImageConfig,
  parseImageManifest,
  parseIndex,
  parseJsonDocument,
  selectPlatform,
} from "./manifest.js";
import type { ImageTransport } from "./sources.js";

/** One layer of a resolved image. */
export interface ResolvedLayer {
  /** Blob to fetch: its digest (compressed form), media type and size. `digest` is undefined when the source
   * only knows the layer by file (docker-archive), in which case only the diff_id is verified. */
  blob: { digest?: string | undefined; mediaType: string; size?: number | undefined; ref: string };
  /** Uncompressed digest from the config; the decompressed tar stream is verified against it. */
  diffId: string;
  createdBy?: string | undefined;
}

/** An image resolved down to one platform: manifest, config and layers. */
export interface ResolvedImage {
  manifestDigest?: string | undefined;
  /** The (top) image index the manifest was selected from, when the reference named an index. */
  indexDigest?: string | undefined;
  configDigest?: string | undefined;
  platform?: string | undefined;
  config: ImageConfig;
  layers: ResolvedLayer[];
  annotations?: Record<string, string> | undefined;
  repoTags?: string[] | undefined;
}

/**
 * Where an image comes from. Every transport passes the one contract suite
 * (`test/integration/image-source.contract.ts`). Plain directories have no image: `resolve()` gives undefined and
 * `rootDir` names the tree to walk.
 */
export interface ImageSource {
  /** One of the registered sources' transports (`IMAGE_SOURCES` in sources.ts). */
  readonly transport: ImageTransport;
  /** The source as given, for SBOM subjects and messages. */
  readonly name: string;
  /** Root of a plain-directory source. */
  readonly rootDir?: string | undefined;
  resolve(): Promise<ResolvedImage | undefined>;
  /**
   * Stream a layer blob as stored (possibly compressed). When the layer has a blob digest, the stream is
   * verified against it and fails with INTEGRITY at its end on mismatch.
   */
  openLayer(layer: ResolvedLayer): Promise<Readable>;
  close(): Promise<void>;
}

/**
 * A kind of image source, registered in `IMAGE_SOURCES` (sources.ts): the spec prefixes it serves, how the text
 * after the prefix parses into its options, and how those options open it. `S` is what `parse` gives (without the
 * transport, which the dispatcher adds).
 */
export interface ImageSourceDescriptor<T extends string, S extends object> {
  readonly transport: T;
  /**
   * Spec prefixes served, e.g. `oci:`, checked in order. A source with `fallback` also serves a spec that no
   * registered prefix matches (then `parse` gets the whole trimmed spec).
   */
  readonly prefixes: readonly string[];
  readonly fallback?: true;
  /** Parse the text after the prefix; bad input throws USAGE naming the problem. */
  parse(rest: string): S;
  open(spec: S, opts: AnalyzeOptions): ImageSource;
}

/** Options common to every source. */
export interface SourceOptions {
  /** `os/arch[/variant]` to pick from an index; default linux/amd64. */
  platform?: string | undefined;
}

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

/** Read a blob fully, with a cap, and verify its digest. */
export type BlobReader = (desc: Descriptor, maxBytes: number, what: string) => Promise<Uint8Array>;

/**
 * Resolve a top-level manifest document (index or image manifest) to one platform's image, reading referenced
 * manifests and the config through `read` (which verifies digests). Shared by the OCI layout and the registry.
 */
export async function resolveManifestDocument(
  bytes: Uint8Array,
  digest: string | undefined,
  mediaType: string | undefined,
  read: BlobReader,
  platform: Platform,
): Promise<ResolvedImage> {
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw new PalisadeError("LIMIT", `manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
  let doc = parseJsonDocument(bytes, "manifest");
  let manifestDigest = digest;
  let indexDigest: string | undefined;
  let chosen: Platform | undefined;
  // Nested indexes are legal (image-spec image-index.md); follow at most a few levels.
  for (let depth = 0; isIndexDocument(doc, depth === 0 ? mediaType : undefined); depth++) {
    if (depth >= 4) throw new PalisadeError("LIMIT", "image index nested more than 4 levels");
    const index = parseIndex(doc);
    if (depth === 0) indexDigest = digest;
    const desc = selectPlatform(index, platform);
    chosen = desc.platform;
    const b = await read(desc, MAX_MANIFEST_BYTES, `manifest ${desc.digest}`);
    manifestDigest = desc.digest;
    doc = parseJsonDocument(b, `manifest ${desc.digest}`);
  }
  const manifest: ImageManifest = parseImageManifest(doc);
  const cfgBytes = await read(manifest.config, MAX_CONFIG_BYTES, `config ${manifest.config.digest}`);
  const config = parseImageConfig(parseJsonDocument(cfgBytes, "image config"));
  if (config.diffIds.length !== manifest.layers.length)
    throw new PalisadeError(
      "INPUT",
      `manifest lists ${manifest.layers.length} layers but config has ${config.diffIds.length} diff_ids`,
    );
  const img: ResolvedImage = {
    manifestDigest,
    configDigest: manifest.config.digest,
    config,
    layers: manifest.layers.map((l, i) => ({
      blob: { digest: l.digest, mediaType: l.mediaType, size: l.size, ref: l.digest },
      diffId: config.diffIds[i] as string,
      createdBy: config.layerCreatedBy[i],
    })),
  };
  const p =
    chosen ??
    (config.os && config.architecture
      ? { os: config.os, architecture: config.architecture, variant: config.variant }
      : undefined);
  if (p) img.platform = formatPlatform(p);
  if (indexDigest !== undefined && indexDigest !== manifestDigest) img.indexDigest = indexDigest;
  if (manifest.annotations) img.annotations = manifest.annotations;
  return img;
}

/** Verify a fully read blob against its descriptor (digest and size). */
export function verifyDescriptor(bytes: Uint8Array, desc: Descriptor, what: string): void {
  if (bytes.length !== desc.size)
    throw new PalisadeError("INTEGRITY", `${what}: ${bytes.length} bytes, descriptor declares ${desc.size}`, {
      context: { digest: desc.digest },
    });
  verifyBuffer(bytes, desc.digest, what);
}
