import type { CoverageEntry } from "../findings/index.js";
import { cmp } from "../findings/index.js";
import { parseImageRef } from "../inventory/index.js";
import { isRecord } from "../util/index.js";
import { isDigest } from "./known-image.js";
import { BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION, type KnownImage } from "./model.js";
import { compareTags } from "./release.js";

/** Where `images discover` looks for base images: nowhere, in the images themselves, in registries, or both. */
export const BASE_MODES = ["none", "annotations", "registry", "all"] as const;
export type BaseMode = (typeof BASE_MODES)[number];

/** How an ancestor of a running image was found. */
export type AncestorSource = "known" | "annotation" | "provenance" | "registry";

/**
 * What a registry says about one image without pulling its layers: the manifest (digest, annotations) and the
 * config (diff_ids, labels, created, platform).
 */
export interface ImageMeta {
  /** `registry/repository`. */
  repository: string;
  /** The tag it was read by, when read by tag. */
  tag?: string | undefined;
  /** Manifest digest of the platform image. */
  digest: string;
  /** The image index it was selected from, when the reference named one. */
  index?: string | undefined;
  platform?: string | undefined;
  /** Config `rootfs.diff_ids`: the layer chain. */
  layers: string[];
  created?: string | undefined;
  /** Base annotations (manifest annotations, then config labels); other keys are not kept. */
  annotations: Record<string, string>;
}

/** Bounds on base finding: each is a coverage entry when reached, never a silent cut. */
export const BASE_LIMITS = {
  /** Repositories read from one registry's catalog. */
  maxRepositories: 1_000,
  /** Tags read from one repository. */
  maxTags: 1_000,
  /** Manifests (with configs) inspected in one run. */
  maxInspections: 5_000,
  /** Newer releases of one base analyzed (the highest first). */
  maxNewerReleases: 8,
  /** Levels of annotation/provenance claims followed (a base claiming a base claiming a base...). */
  maxClaimDepth: 8,
  /** Materials read from one provenance statement. */
  maxMaterials: 1_000,
} as const;

/** True when `prefix` is a proper prefix of `chain` (shorter, and equal element by element). */
export function isProperPrefix(prefix: readonly string[], chain: readonly string[]): boolean {
  if (prefix.length === 0 || prefix.length >= chain.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== chain[i]) return false;
  return true;
}

/**
 * The reference to pull for the base an image's annotations name: `name[:tag]@digest` when both are given (the
 * digest pins it, the name says where it lives and which release it is), else the name (a tag). A digest without a name cannot be pulled (no
 * repository): undefined, and the tree links it if the base is found another way.
 */
export function annotatedBase(annotations: Readonly<Record<string, string>>): string | undefined {
  const name = annotations[BASE_NAME_ANNOTATION];
  const digest = annotations[BASE_DIGEST_ANNOTATION];
  if (name === undefined) return undefined;
  const r = parseImageRef(name);
  if (!r.ok) return undefined;
  const tag = r.ref.tag !== undefined ? `:${r.ref.tag}` : "";
  if (digest !== undefined && isDigest(digest)) return `${r.ref.name}${tag}@${digest}`;
  if (r.ref.digest !== undefined) return `${r.ref.name}${tag}@${r.ref.digest}`;
  return `${r.ref.name}:${r.ref.tag ?? "latest"}`;
}

/** in-toto Statement types (in-toto/attestation spec v0.1 and v1). */
const STATEMENT_TYPES = new Set(["https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"]);
const DSSE_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/**
 * An in-toto statement from an attestation document: the statement itself, or a DSSE envelope
 * (`{payloadType: "application/vnd.in-toto+json", payload: base64}`, as cosign and the OCI referrers carry it).
 * Undefined when it is neither. `decodeBase64` is the caller's (core does not touch Buffer).
 */
export function inTotoStatement(
  doc: unknown,
  decodeBase64: (s: string) => string,
): Record<string, unknown> | undefined {
  let d = doc;
  if (isRecord(d) && d.payloadType === DSSE_PAYLOAD_TYPE && typeof d.payload === "string") {
    try {
      d = JSON.parse(decodeBase64(d.payload));
    } catch {
      return undefined;
    }
  }
  if (!isRecord(d) || typeof d._type !== "string" || !STATEMENT_TYPES.has(d._type)) return undefined;
  return d;
}

/** An image reference from a provenance material URI: `pkg:docker/...`, `docker://...`, `oci://...`. */
function imageOfMaterial(uri: string, digest: unknown): string | undefined {
  let name: string;
  let version: string | undefined;
  if (uri.startsWith("pkg:docker/") || uri.startsWith("pkg:oci/")) {
    // purl: pkg:docker/[namespace/]name@version?qualifiers (package-url purl-spec, docker and oci types).
    const body = uri.slice(uri.indexOf("/") + 1).split("#")[0] as string;
    const [path = "", query = ""] = body.split("?");
    const at = path.lastIndexOf("@");
    const decoded = (x: string): string | undefined => {
      try {
        return decodeURIComponent(x);
      } catch {
        return undefined; // a malformed escape (`%zz`): not a reference
      }
    };
    const n = decoded(at >= 0 ? path.slice(0, at) : path);
    if (n === undefined) return undefined;
    name = n;
    version = at >= 0 ? decoded(path.slice(at + 1)) : undefined;
    if (at >= 0 && version === undefined) return undefined;
    const repo = new URLSearchParams(query).get("repository_url");
    if (repo && !name.includes("/")) name = `${repo.replace(/\/+$/, "")}/${name}`;
  } else if (uri.startsWith("docker://") || uri.startsWith("oci://")) {
    name = uri.slice(uri.indexOf("://") + 3);
  } else return undefined;
  const hex = isRecord(digest) && typeof digest.sha256 === "string" ? digest.sha256 : undefined;
  const r = parseImageRef(
    version === undefined ? name : `${name}${version.includes(":") ? "@" : ":"}${version}`,
  );
  if (!r.ok) return undefined;
  const pinned = hex !== undefined && isDigest(`sha256:${hex}`) ? `sha256:${hex}` : r.ref.digest;
  // The tag stays beside the digest (`name:tag@digest`): the digest is pulled, the tag orders releases.
  const tag = r.ref.tag !== undefined ? `:${r.ref.tag}` : "";
  if (pinned !== undefined) return `${r.ref.name}${tag}@${pinned}`;
  return `${r.ref.name}:${r.ref.tag ?? "latest"}`;
}

/**
 * Images a SLSA provenance statement names as build materials: `predicate.materials` (SLSA v0.2) and
 * `predicate.buildDefinition.resolvedDependencies` (v1), image URIs only (git sources and files are skipped).
 * Materials list every image the build read, builder stages included: the caller keeps only those whose layer
 * chain the image extends. Sorted, deduplicated, at most {@link BASE_LIMITS.maxMaterials}.
 */
export function provenanceImages(statement: Record<string, unknown>): string[] {
  const p = statement.predicate;
  if (!isRecord(p)) return [];
  const bd = p.buildDefinition;
  const lists: unknown[] = [
    ...(Array.isArray(p.materials) ? p.materials.slice(0, BASE_LIMITS.maxMaterials) : []),
    ...(isRecord(bd) && Array.isArray(bd.resolvedDependencies)
      ? bd.resolvedDependencies.slice(0, BASE_LIMITS.maxMaterials)
      : []),
  ];
  const out = new Set<string>();
  for (const m of lists) {
    if (!isRecord(m) || typeof m.uri !== "string" || m.uri.length > 4096) continue;
    const ref = imageOfMaterial(m.uri, m.digest);
    if (ref !== undefined) out.add(ref);
  }
  return [...out].sort(cmp);
}

/**
 * Candidates whose layer chain is a proper prefix of `chain` on the same platform: the subject extends them.
 * Deduplicated by digest, shortest chain first (the root first).
 */
export function prefixCandidates(
  chain: readonly string[],
  platform: string | undefined,
  candidates: readonly ImageMeta[],
): ImageMeta[] {
  const seen = new Map<string, ImageMeta>();
  for (const c of candidates) {
    if ((c.platform ?? "") !== (platform ?? "") || !isProperPrefix(c.layers, chain)) continue;
    const prev = seen.get(c.digest);
    if (!prev || cmp(metaRef(c), metaRef(prev)) < 0) seen.set(c.digest, c);
  }
  return [...seen.values()].sort((a, b) => a.layers.length - b.layers.length || cmp(a.digest, b.digest));
}

/** `registry/repository:tag` of a reference that names a tag (with or without a digest), else undefined. */
export function tagRefOf(ref: string): string | undefined {
  const r = parseImageRef(ref);
  return r.ok && r.ref.tag !== undefined ? `${r.ref.name}:${r.ref.tag}` : undefined;
}

/**
 * Tags that hold artifacts attached to an image, not images: cosign's `sha256-<hex>.sig|.att|.sbom` and the OCI
 * referrers tag schema `sha256-<hex>`. A registry scan skips them.
 */
export function isArtifactTag(tag: string): boolean {
  return /^sha(?:256|384|512)-[0-9a-f]{64,128}(?:\.[a-z]+)?$/.test(tag);
}

/** The reference an inspected image was read by: `registry/repository:tag`, else `@digest`. */
export function metaRef(m: ImageMeta): string {
  return m.tag !== undefined ? `${m.repository}:${m.tag}` : `${m.repository}@${m.digest}`;
}

/**
 * Tags of a repository that are later releases than `tag` by the tag's scheme (same variant), highest first, at
 * most `max`. A tag that does not order (`latest`, `main`) has none.
 */
export function newerTags(tag: string, tags: readonly string[], max: number): string[] {
  return tags
    .filter((t) => t !== tag && (compareTags(t, tag) ?? 0) > 0)
    .sort((a, b) => (compareTags(b, a) ?? 0) || cmp(a, b))
    .slice(0, max);
}

/**
 * The coverage entry for a running image whose ancestry could not be determined, saying why and what to do.
 * `why` is the most specific reason the finder had (a registry that does not list repositories, none matching).
 */
export function noBaseCoverage(image: KnownImage, why: string): CoverageEntry {
  const name = image.refs.find((r) => !r.includes("@")) ?? image.refs[0] ?? image.digest;
  return { reason: "missing", subject: name, message: `no base found for ${name}: ${why}` };
}
