import { PalisadeError } from "../errors/index.js";
import { cmp } from "../findings/index.js";
import { parseImageRef } from "../inventory/index.js";
import type { Package, Sbom } from "../sbom/index.js";
import { FORBIDDEN_KEYS, isRecord } from "../util/index.js";
import { BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION, type KnownImage } from "./model.js";

/** go-digest form with a registered algorithm (opencontainers/go-digest algorithm.go). */
const DIGEST_RE = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** True for a well-formed `sha256:<64 hex>` (or sha384/sha512) digest. */
export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/**
 * Canonical form of an image reference for lookups: `registry/repository:tag`, or `registry/repository@digest`
 * for digest-only references. A reference with neither means `:latest` (as the kubelet pulls it).
 * Returns undefined for an invalid reference.
 */
export function canonicalRef(ref: string): string | undefined {
  const r = parseImageRef(ref);
  if (!r.ok) return undefined;
  if (r.ref.tag !== undefined) return `${r.ref.name}:${r.ref.tag}`;
  if (r.ref.digest !== undefined) return `${r.ref.name}@${r.ref.digest}`;
  return `${r.ref.name}:latest`;
}

/** `registry/repository` of a reference, undefined when invalid. */
export function repositoryOf(ref: string): string | undefined {
  const r = parseImageRef(ref);
  return r.ok ? r.ref.name : undefined;
}

/**
 * Remember an analysed image: its identity, layer chain, base annotations and packages. `refs` are the names it
 * was analysed under (a registry reference, an OCI layout tag); SBOM repoTags are added.
 */
export function knownImageFromSbom(sbom: Sbom, refs: readonly string[] = []): KnownImage {
  const digest = sbom.image?.manifestDigest ?? sbom.image?.configDigest ?? sbom.subject.digest;
  if (digest === undefined || !isDigest(digest))
    throw new PalisadeError("INPUT", `${sbom.subject.name}: not an image with a manifest or config digest`, {
      context: { name: sbom.subject.name },
    });
  const all = new Set<string>();
  for (const r of [...refs, ...(sbom.image?.repoTags ?? [])]) {
    const c = canonicalRef(r);
    if (c !== undefined) all.add(c);
  }
  const annotations: Record<string, string> = {};
  for (const k of [BASE_NAME_ANNOTATION, BASE_DIGEST_ANNOTATION]) {
    const v = sbom.image?.annotations?.[k] ?? sbom.image?.labels?.[k];
    if (typeof v === "string" && v !== "") annotations[k] = v;
  }
  const img: KnownImage = {
    digest,
    refs: [...all].sort(cmp),
    layers: sbom.layers.map((l) => l.diffId),
    annotations,
    packages: sbom.packages,
  };
  if (sbom.image?.configDigest !== undefined && sbom.image.configDigest !== digest)
    img.configDigest = sbom.image.configDigest;
  if (sbom.image?.platform !== undefined) img.platform = sbom.image.platform;
  if (sbom.image?.created !== undefined) img.created = sbom.image.created;
  if (sbom.image?.indexDigest !== undefined && isDigest(sbom.image.indexDigest))
    img.index = sbom.image.indexDigest;
  if (sbom.os !== undefined) img.os = sbom.os;
  return img;
}

/** The SBOM of a known image, for matching against advisories. */
export function sbomOfKnownImage(img: KnownImage): Sbom {
  return {
    subject: { kind: "image", name: img.refs[0] ?? img.digest, digest: img.digest },
    ...(img.os ? { os: img.os } : {}),
    layers: img.layers.map((diffId) => ({ diffId })),
    packages: img.packages,
  };
}

/** Bounds on a stored known image (the store is local, but a damaged or hostile file must not blow up). */
export const KNOWN_IMAGE_LIMITS = { maxLayers: 1_000, maxRefs: 1_000, maxPackages: 200_000 } as const;

/**
 * Validate a known image read back from storage (JSON). Throws INPUT on a shape error, UNSAFE on prototype keys.
 */
export function parseKnownImage(v: unknown): KnownImage {
  const bad = (what: string): never => {
    throw new PalisadeError("INPUT", `stored known image: ${what}`);
  };
  if (!isRecord(v)) return bad("not an object");
  for (const k of Object.keys(v)) if (FORBIDDEN_KEYS.has(k)) throw new PalisadeError("UNSAFE", `key "${k}"`);
  const { digest, refs, layers, annotations, packages } = v;
  if (typeof digest !== "string" || !isDigest(digest)) return bad("digest");
  const strings = (x: unknown, max: number, what: string): string[] => {
    if (!Array.isArray(x) || x.length > max || !x.every((s) => typeof s === "string")) return bad(what);
    return x as string[];
  };
  const img: KnownImage = {
    digest,
    refs: strings(refs, KNOWN_IMAGE_LIMITS.maxRefs, "refs"),
    layers: strings(layers, KNOWN_IMAGE_LIMITS.maxLayers, "layers"),
    annotations: {},
    packages: [],
  };
  if (isRecord(annotations))
    for (const k of [BASE_NAME_ANNOTATION, BASE_DIGEST_ANNOTATION]) {
      const a = annotations[k];
      if (typeof a === "string") img.annotations[k] = a;
    }
  if (!Array.isArray(packages) || packages.length > KNOWN_IMAGE_LIMITS.maxPackages) return bad("packages");
  for (const p of packages) {
    if (
      !isRecord(p) ||
      typeof p.name !== "string" ||
      typeof p.version !== "string" ||
      typeof p.type !== "string"
    )
      return bad("package");
    img.packages.push(p as unknown as Package);
  }
  if (typeof v.configDigest === "string") img.configDigest = v.configDigest;
  if (typeof v.platform === "string") img.platform = v.platform;
  if (typeof v.index === "string" && isDigest(v.index)) img.index = v.index;
  if (typeof v.created === "string" && !Number.isNaN(Date.parse(v.created))) img.created = v.created;
  if (isRecord(v.os) && typeof v.os.id === "string")
    img.os = v.os as unknown as NonNullable<KnownImage["os"]>;
  return img;
}
