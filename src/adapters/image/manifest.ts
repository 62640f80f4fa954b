import { PalisadeError } from "../../core/errors/index.js";
import { asStringMap, FORBIDDEN_KEYS, isRecord, jsonErrorReason } from "../../core/util/index.js";
import { assertDigest } from "./digest.js";

/** Media types (OCI image-spec media-types.md; Docker "Image Manifest V2, Schema 2"). */
export const MEDIA = {
  OCI_INDEX: "application/vnd.oci.image.index.v1+json",
  OCI_MANIFEST: "application/vnd.oci.image.manifest.v1+json",
  OCI_CONFIG: "application/vnd.oci.image.config.v1+json",
  DOCKER_LIST: "application/vnd.docker.distribution.manifest.list.v2+json",
  DOCKER_MANIFEST: "application/vnd.docker.distribution.manifest.v2+json",
  DOCKER_CONFIG: "application/vnd.docker.container.image.v1+json",
} as const;

/** The Accept header for manifest requests: every single-image and index form we can read. */
export const MANIFEST_ACCEPT = [
  MEDIA.OCI_INDEX,
  MEDIA.OCI_MANIFEST,
  MEDIA.DOCKER_LIST,
  MEDIA.DOCKER_MANIFEST,
].join(", ");

/** Caps on metadata documents (the distribution spec lets registries refuse manifests over 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
export const MAX_LAYERS = 256;

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform | undefined;
  annotations?: Record<string, string> | undefined;
  /** OCI 1.1: the type of the artifact a manifest descriptor points at (referrers indexes carry it). */
  artifactType?: string | undefined;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

export interface ImageManifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string> | undefined;
  /** OCI 1.1 artifact manifests (a Sigstore bundle, an SBOM) say what they carry here. */
  artifactType?: string | undefined;
}

export interface ImageIndex {
  mediaType: string;
  manifests: Descriptor[];
}

/** The parts of the image config Palisade reads (image-spec config.md). */
export interface ImageConfig {
  os?: string | undefined;
  architecture?: string | undefined;
  variant?: string | undefined;
  diffIds: string[];
  labels: Record<string, string>;
  /** `created_by` of each non-empty-layer history entry, aligned with diffIds when the history is complete. */
  layerCreatedBy: (string | undefined)[];
  /** The config's `created` (RFC 3339), when it is a valid time: orders releases whose tags do not. */
  created?: string | undefined;
}

/** Parse JSON rejecting prototype keys (style rule 6). */
export function parseJsonDocument(data: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data), (k, v) => {
      if (FORBIDDEN_KEYS.has(k)) throw new PalisadeError("UNSAFE", `${what}: forbidden key "${k}"`);
      return v;
    });
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    // No `cause` and no V8 excerpt: JSON.parse's message quotes the input, which may hold a secret.
    throw new PalisadeError("INPUT", `${what}: malformed JSON: ${jsonErrorReason(e)}`);
  }
}

function parseDescriptor(v: unknown, what: string): Descriptor {
  if (!isRecord(v)) throw new PalisadeError("INPUT", `${what}: descriptor is not an object`);
  const digest = assertDigest(v.digest, what);
  const size = v.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
    throw new PalisadeError("INPUT", `${what}: invalid size ${JSON.stringify(size)}`);
  const d: Descriptor = { mediaType: typeof v.mediaType === "string" ? v.mediaType : "", digest, size };
  if (
    isRecord(v.platform) &&
    typeof v.platform.os === "string" &&
    typeof v.platform.architecture === "string"
  ) {
    d.platform = { os: v.platform.os, architecture: v.platform.architecture };
    if (typeof v.platform.variant === "string") d.platform.variant = v.platform.variant;
  }
  if (isRecord(v.annotations)) d.annotations = asStringMap(v.annotations);
  if (typeof v.artifactType === "string") d.artifactType = v.artifactType;
  return d;
}

/** Whether a manifest document (by media type, or by shape when the type is absent) is an index/list. */
export function isIndexDocument(doc: unknown, mediaType?: string): boolean {
  const mt = mediaType || (isRecord(doc) && typeof doc.mediaType === "string" ? doc.mediaType : "");
  if (mt === MEDIA.OCI_INDEX || mt === MEDIA.DOCKER_LIST) return true;
  if (mt === MEDIA.OCI_MANIFEST || mt === MEDIA.DOCKER_MANIFEST) return false;
  return isRecord(doc) && Array.isArray(doc.manifests) && !("layers" in doc);
}

export function parseIndex(doc: unknown, what = "image index"): ImageIndex {
  if (!isRecord(doc) || !Array.isArray(doc.manifests))
    throw new PalisadeError("INPUT", `${what}: no manifests array`);
  if (doc.manifests.length > 4096) throw new PalisadeError("LIMIT", `${what}: more than 4096 manifests`);
  return {
    mediaType: typeof doc.mediaType === "string" ? doc.mediaType : MEDIA.OCI_INDEX,
    manifests: doc.manifests.map((m, i) => parseDescriptor(m, `${what} manifests[${i}]`)),
  };
}

export function parseImageManifest(doc: unknown, what = "image manifest"): ImageManifest {
  if (!isRecord(doc)) throw new PalisadeError("INPUT", `${what}: not an object`);
  if (doc.schemaVersion !== 2)
    throw new PalisadeError(
      "UNSUPPORTED",
      `${what}: schemaVersion ${JSON.stringify(doc.schemaVersion)} (only 2 is supported)`,
    );
  if (!Array.isArray(doc.layers)) throw new PalisadeError("INPUT", `${what}: no layers array`);
  if (doc.layers.length > MAX_LAYERS)
    throw new PalisadeError("LIMIT", `${what}: more than ${MAX_LAYERS} layers`);
  const m: ImageManifest = {
    mediaType: typeof doc.mediaType === "string" ? doc.mediaType : MEDIA.OCI_MANIFEST,
    config: parseDescriptor(doc.config, `${what} config`),
    layers: doc.layers.map((l, i) => parseDescriptor(l, `${what} layers[${i}]`)),
  };
  if (isRecord(doc.annotations)) m.annotations = asStringMap(doc.annotations);
  if (typeof doc.artifactType === "string") m.artifactType = doc.artifactType;
  return m;
}

export function parseImageConfig(doc: unknown, what = "image config"): ImageConfig {
  if (!isRecord(doc)) throw new PalisadeError("INPUT", `${what}: not an object`);
  const rootfs = doc.rootfs;
  if (!isRecord(rootfs) || !Array.isArray(rootfs.diff_ids))
    throw new PalisadeError("INPUT", `${what}: no rootfs.diff_ids`);
  const diffIds = rootfs.diff_ids.map((d, i) => assertDigest(d, `${what} rootfs.diff_ids[${i}]`));
  const cfg = isRecord(doc.config) ? doc.config : {};
  const createdBy: (string | undefined)[] = [];
  if (Array.isArray(doc.history)) {
    for (const h of doc.history) {
      if (!isRecord(h) || h.empty_layer === true) continue;
      createdBy.push(typeof h.created_by === "string" ? h.created_by : undefined);
    }
  }
  const created =
    typeof doc.created === "string" && !Number.isNaN(Date.parse(doc.created))
      ? new Date(Date.parse(doc.created)).toISOString()
      : undefined;
  return {
    ...(created !== undefined ? { created } : {}),
    os: typeof doc.os === "string" ? doc.os : undefined,
    architecture: typeof doc.architecture === "string" ? doc.architecture : undefined,
    variant: typeof doc.variant === "string" ? doc.variant : undefined,
    diffIds,
    labels: asStringMap(cfg.Labels),
    layerCreatedBy: createdBy.length === diffIds.length ? createdBy : diffIds.map(() => undefined),
  };
}

/** Parse `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split("/");
  if (!os || !architecture)
    throw new PalisadeError("USAGE", `invalid platform "${s}" (want os/arch[/variant])`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/**
 * Pick the manifest for a platform from an index, as containerd's platforms matcher does: os and architecture
 * must match; a requested variant must match, and without one the entry with no variant (or the first) wins.
 * arm64's default variant is v8 (containerd `platforms.Normalize`).
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const norm = (p: Platform) => ({
    ...p,
    variant: p.architecture === "arm64" && p.variant === undefined ? "v8" : p.variant,
  });
  const w = norm(want);
  const candidates = index.manifests.filter(
    (m) =>
      m.platform &&
      m.platform.os === w.os &&
      m.platform.architecture === w.architecture &&
      (w.variant === undefined || norm(m.platform).variant === w.variant),
  );
  const pick = candidates.find((m) => m.platform?.variant === undefined) ?? candidates[0];
  if (!pick) {
    const have = index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : "?")).join(", ");
    throw new PalisadeError(
      "UNSUPPORTED",
      `no manifest for platform ${formatPlatform(want)} in index (has: ${have})`,
    );
  }
  return pick;
}
