/**
 * Find the base images of running images by themselves: from what the images say (OCI base annotations, SLSA
 * provenance attached to them) and from their registries (every image whose layer chain a running image extends),
 * then the later releases of those bases, so the tree is whole and upgrade advice can name a release. Registries
 * are read through the caller's {@link RegistryBrowser} (manifests and configs only); only images that end up in a
 * running image's ancestry, and later releases of those, are pulled and analyzed.
 */

import type { KnownImageStore } from "../../adapters/store/ports.js";
import { toPalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp, compareCoverage } from "../../core/findings/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import {
  type AncestorSource,
  annotatedBase,
  BASE_LIMITS,
  type BaseMode,
  canonicalRef,
  type ImageMeta,
  inTotoStatement,
  isArtifactTag,
  isProperPrefix,
  type KnownImage,
  knownImageFromSbom,
  metaRef,
  newerTags,
  noBaseCoverage,
  prefixCandidates,
  provenanceImages,
  repositoryOf,
  tagRefOf,
} from "../../core/lineage/index.js";
import { type ImageAnalyzer, mapBounded } from "./analyze.js";

/** A page-capped list of names (repositories as `registry/repository`, or tags). */
export interface NameList {
  names: string[];
  truncated: boolean;
}

/**
 * What base finding reads from registries. Each call throws a PalisadeError for its failure (FORBIDDEN, INPUT for
 * 404, IO...); the finder turns it into coverage.
 */
export interface RegistryBrowser {
  /** Repositories a registry host lists (`/v2/_catalog`), as `registry/repository`. */
  repositories(registry: string, max: number): Promise<NameList>;
  /** Tags of `registry/repository`. */
  tags(repository: string, max: number): Promise<NameList>;
  /** Manifest and config of a reference for a platform, without layer blobs. */
  inspect(ref: string, platform: string | undefined): Promise<ImageMeta>;
  /** Attestation documents (DSSE envelopes or in-toto statements) attached to `registry/repository@digest`. */
  attestations(ref: string, index?: string): Promise<unknown[]>;
}

export interface BaseRequest {
  mode: BaseMode;
  /** `registry/repository` names to search besides those registries list (all a registry gives without a catalog). */
  baseRepos: readonly string[];
  concurrency: number;
}

export interface BaseDeps {
  browser: RegistryBrowser;
  analyze: ImageAnalyzer;
  images: KnownImageStore;
  now: Date;
}

/** One ancestor of the running images and how it was found. */
export interface AncestorFound {
  digest: string;
  ref: string;
  platform?: string | undefined;
  source: AncestorSource;
}

/** What base finding did: ancestors found (by how), later releases analyzed, and what could not be determined. */
export interface BaseReport {
  mode: BaseMode;
  ancestors: AncestorFound[];
  bySource: Record<AncestorSource, number>;
  /** Later releases of the bases (same repository, higher tag of the same variant) now known. */
  releases: { ref: string; digest: string; platform?: string | undefined }[];
  /** Manifests (with configs) read without layers; images pulled and analyzed. */
  inspected: number;
  analyzed: number;
  /** Running images with no ancestor (each also a coverage entry). */
  undetermined: number;
  coverage: CoverageEntry[];
}

const decodeBase64 = (s: string): string => Buffer.from(s, "base64").toString("utf8");

/** Display name of an image: its first tag ref, else its first ref, else its digest. */
const nameOf = (img: KnownImage): string =>
  img.refs.find((r) => !r.includes("@")) ?? img.refs[0] ?? img.digest;

const samePlatform = (a: { platform?: string | undefined }, b: { platform?: string | undefined }) =>
  (a.platform ?? "") === (b.platform ?? "");

/** `registry/repository@digest` of a known image, for reading what is attached to it. */
function digestRef(img: KnownImage): string | undefined {
  const byDigest = img.refs.find((r) => r.endsWith(`@${img.digest}`));
  if (byDigest !== undefined) return byDigest;
  const repo = img.refs.map((r) => repositoryOf(r)).find((r) => r !== undefined);
  return repo !== undefined ? `${repo}@${img.digest}` : undefined;
}

/**
 * Find the ancestry of `running` (images the workloads run, already known) and the later releases of their bases;
 * analyze and remember every image found. Failures of one read are coverage; nothing here throws for a registry.
 */
export async function findBases(
  running: readonly KnownImage[],
  req: BaseRequest,
  deps: BaseDeps,
): Promise<BaseReport> {
  const coverage: CoverageEntry[] = [];
  const pool = new Map<string, KnownImage>();
  const listed = await deps.images.listImages();
  for (const s of listed.images) pool.set(s.image.digest, s.image);
  for (const r of running) if (!pool.has(r.digest)) pool.set(r.digest, r);
  const source = new Map<string, AncestorSource>();
  /** Running digests whose base an annotation (not the layer chain) names and that base is now known. */
  const claimed = new Set<string>();
  const limit = Math.max(1, req.concurrency);
  let inspected = 0;
  let analyzed = 0;
  let budgetSaid = false;

  const inspections = new Map<string, Promise<ImageMeta | undefined>>();
  /** Read a manifest and config; `quiet` (a registry scan) says nothing of a tag with no image for the platform. */
  const inspect = (
    ref: string,
    platform: string | undefined,
    quiet = false,
  ): Promise<ImageMeta | undefined> => {
    const key = `${ref}\u0000${platform ?? ""}`;
    let p = inspections.get(key);
    if (p) return p;
    if (inspected >= BASE_LIMITS.maxInspections) {
      if (!budgetSaid)
        coverage.push({
          reason: "limit",
          subject: ref,
          message: `base finding read ${BASE_LIMITS.maxInspections} manifests, its budget; the rest (from ${ref}) were not compared`,
        });
      budgetSaid = true;
      return Promise.resolve(undefined);
    }
    inspected++;
    p = deps.browser.inspect(ref, platform).catch((e: unknown) => {
      const err = toPalisadeError(e);
      // A tag with no image for this platform cannot be an ancestor of an image of it.
      if (quiet && err.code === "UNSUPPORTED") return undefined;
      coverage.push({
        reason: err.code === "FORBIDDEN" ? "forbidden" : err.code === "INPUT" ? "missing" : "unreachable",
        subject: ref,
        message: `cannot read ${ref}${platform ? ` for ${platform}` : ""} while looking for bases: ${err.message}`,
      });
      return undefined;
    });
    inspections.set(key, p);
    return p;
  };

  /** Merge refs into a known image and store it when they add something. */
  const addRefs = async (digest: string, refs: readonly string[]): Promise<KnownImage | undefined> => {
    const known = pool.get(digest);
    if (!known) return undefined;
    const extra = refs.filter((r) => !known.refs.includes(r));
    if (extra.length === 0) return known;
    const img = { ...known, refs: [...known.refs, ...extra].sort(cmp) };
    pool.set(digest, img);
    await deps.images.putImages([img], deps.now);
    return img;
  };

  /** Digests known before this run looked for bases (stored, or running). */
  const before = new Set(pool.keys());
  const analyses = new Map<string, Promise<KnownImage | undefined>>();
  /** Pull and analyze an image by digest (once per run), remember it under `refs`. */
  const analyzeOne = async (meta: ImageMeta, refs: readonly string[]): Promise<KnownImage | undefined> => {
    let p = analyses.get(meta.digest);
    if (p === undefined) {
      p = pool.has(meta.digest) ? Promise.resolve(pool.get(meta.digest)) : pullAndAnalyze(meta, refs);
      analyses.set(meta.digest, p);
    }
    const img = await p;
    return img ? addRefs(img.digest, refs) : undefined;
  };
  const pullAndAnalyze = async (
    meta: ImageMeta,
    refs: readonly string[],
  ): Promise<KnownImage | undefined> => {
    const pull = `${meta.repository}@${meta.digest}`;
    try {
      const { sbom, coverage: c } = await deps.analyze(pull, meta.platform);
      const img = knownImageFromSbom(sbom, [...refs, pull]);
      if (meta.index !== undefined && img.index === undefined) img.index = meta.index;
      for (const x of c) coverage.push(x);
      const prev = pool.get(img.digest);
      pool.set(
        img.digest,
        prev ? { ...img, refs: [...new Set([...prev.refs, ...img.refs])].sort(cmp) } : img,
      );
      await deps.images.putImages([pool.get(img.digest) as KnownImage], deps.now);
      analyzed++;
      return pool.get(img.digest);
    } catch (e) {
      const err = toPalisadeError(e);
      coverage.push({
        reason: err.code === "FORBIDDEN" ? "forbidden" : "unreachable",
        subject: pull,
        message: `cannot analyze base image ${metaRef(meta)} (${pull}): ${err.message}`,
      });
      return undefined;
    }
  };
  /** How an ancestor was found: first by the order of the claims, "known" when it was known before. */
  const found = (digest: string, how: AncestorSource): void => {
    if (!source.has(digest)) source.set(digest, before.has(digest) ? "known" : how);
  };

  const hasLayerAncestor = (img: KnownImage): boolean => {
    for (const p of pool.values())
      if (samePlatform(p, img) && isProperPrefix(p.layers, img.layers)) return true;
    return false;
  };

  // 1. What the images say: base annotations and provenance materials, followed up the chain.
  const useClaims = req.mode === "annotations" || req.mode === "all";
  const useRegistry = req.mode === "registry" || req.mode === "all";
  if (useClaims) {
    let frontier: KnownImage[] = [...running];
    for (let depth = 0; depth < BASE_LIMITS.maxClaimDepth && frontier.length > 0; depth++) {
      const claims: { subject: KnownImage; ref: string; source: "annotation" | "provenance" }[] = [];
      await mapBounded(frontier, limit, async (subject) => {
        const a = annotatedBase(subject.annotations);
        if (a !== undefined) claims.push({ subject, ref: a, source: "annotation" });
        const at = digestRef(subject);
        if (at === undefined) return;
        let docs: unknown[] = [];
        try {
          docs = await deps.browser.attestations(at, subject.index);
        } catch (e) {
          coverage.push({
            reason: "unreachable",
            subject: at,
            message: `cannot read attestations of ${at}: ${toPalisadeError(e).message}`,
          });
        }
        for (const d of docs) {
          const st = inTotoStatement(d, decodeBase64);
          if (st) for (const ref of provenanceImages(st)) claims.push({ subject, ref, source: "provenance" });
        }
      });
      // An annotation is the builder's explicit word: it names the source before provenance does.
      const rank = { annotation: 0, provenance: 1 } as const;
      claims.sort(
        (x, y) =>
          rank[x.source] - rank[y.source] || cmp(x.subject.digest, y.subject.digest) || cmp(x.ref, y.ref),
      );
      const results = await mapBounded(claims, limit, async ({ subject, ref, source: how }) => {
        const meta = await inspect(ref, subject.platform);
        if (!meta) return undefined;
        // Provenance lists every image the build read (builder stages too): only one the image extends is a base.
        // An annotation is the builder's word even when the chain does not show it (squashed or rebased images).
        const extends_ = isProperPrefix(meta.layers, subject.layers) && samePlatform(meta, subject);
        if (how === "provenance" && !extends_) return undefined;
        const tagRef = tagRefOf(ref);
        const img = await analyzeOne(meta, [metaRef(meta), ...(tagRef !== undefined ? [tagRef] : [])]);
        return img ? { img, how, subject, extends_ } : undefined;
      });
      const next = new Map<string, KnownImage>();
      // In claim order, whatever order the reads completed in.
      for (const r of results) {
        if (!r) continue;
        const first = !source.has(r.img.digest) && !before.has(r.img.digest);
        found(r.img.digest, r.how);
        if (!r.extends_) claimed.add(r.subject.digest);
        if (first) next.set(r.img.digest, pool.get(r.img.digest) as KnownImage);
      }
      frontier = [...next.values()].sort((a, b) => cmp(a.digest, b.digest));
    }
  }

  // 2. Registries: every tag of the listed (or named) repositories, manifests and configs only.
  const tagsOf = new Map<string, string[]>();
  const listing = new Map<string, { ok: boolean; why?: string; count: number }>();
  if (useRegistry) {
    const registries = new Set<string>();
    for (const r of running)
      for (const ref of r.refs) {
        const p = parseImageRef(ref);
        if (p.ok) registries.add(p.ref.registry);
      }
    const repos = new Set<string>();
    for (const b of req.baseRepos) {
      const repo = repositoryOf(b);
      if (repo !== undefined) repos.add(repo);
      else
        coverage.push({
          reason: "invalid",
          subject: b,
          message: `--base-repos ${b} is not a repository name; ignored`,
        });
    }
    await mapBounded([...registries].sort(cmp), limit, async (reg) => {
      try {
        const l = await deps.browser.repositories(reg, BASE_LIMITS.maxRepositories);
        for (const n of l.names) repos.add(n);
        listing.set(reg, { ok: true, count: l.names.length });
        if (l.truncated)
          coverage.push({
            reason: "limit",
            subject: reg,
            message: `${reg} lists more than ${BASE_LIMITS.maxRepositories} repositories; bases were looked for in the first ${l.names.length} (name others with --base-repos)`,
          });
      } catch (e) {
        listing.set(reg, { ok: false, why: toPalisadeError(e).message, count: 0 });
      }
    });
    await mapBounded([...repos].sort(cmp), limit, async (repo) => {
      try {
        const l = await deps.browser.tags(repo, BASE_LIMITS.maxTags);
        tagsOf.set(repo, l.names);
        if (l.truncated)
          coverage.push({
            reason: "limit",
            subject: repo,
            message: `${repo} has more than ${BASE_LIMITS.maxTags} tags; bases were looked for in the first ${l.names.length}`,
          });
      } catch (e) {
        coverage.push({
          reason: "unreachable",
          subject: repo,
          message: `cannot list tags of ${repo} while looking for bases: ${toPalisadeError(e).message}`,
        });
      }
    });
    const platforms = [...new Set(running.map((r) => r.platform ?? ""))].sort(cmp);
    const reads: { ref: string; platform: string | undefined }[] = [];
    for (const [repo, tags] of [...tagsOf].sort((a, b) => cmp(a[0], b[0])))
      for (const t of [...tags].filter((x) => !isArtifactTag(x)).sort(cmp))
        for (const p of platforms) reads.push({ ref: `${repo}:${t}`, platform: p === "" ? undefined : p });
    const metas = (await mapBounded(reads, limit, (r) => inspect(r.ref, r.platform, true))).filter(
      (m): m is ImageMeta => m !== undefined,
    );
    // Ancestors of the running images; each digest once, remembered under every tag that names it.
    const wanted = new Map<string, ImageMeta>();
    for (const r of running)
      for (const c of prefixCandidates(r.layers, r.platform, metas)) wanted.set(c.digest, c);
    const imgs = await mapBounded(
      [...wanted.values()].sort((a, b) => cmp(a.digest, b.digest)),
      limit,
      async (meta) => {
        const refs = metas
          .filter((m) => m.digest === meta.digest)
          .map(metaRef)
          .sort(cmp);
        return analyzeOne(meta, refs);
      },
    );
    for (const img of imgs) if (img) found(img.digest, "registry");
    // The tags that name known images now: a running image learns the tags it runs as, a base tag that moved
    // moves in the store (and its history records the move).
    const tagsByDigest = new Map<string, string[]>();
    for (const m of metas)
      if (m.tag !== undefined && pool.has(m.digest))
        tagsByDigest.set(m.digest, [...(tagsByDigest.get(m.digest) ?? []), metaRef(m)]);
    for (const [d, tags] of [...tagsByDigest].sort((a, b) => cmp(a[0], b[0])))
      await addRefs(d, tags.sort(cmp));
  }

  // The ancestry of every running image, from everything now known.
  const ancestorsOf = (r: KnownImage): KnownImage[] =>
    [...pool.values()].filter((p) => samePlatform(p, r) && isProperPrefix(p.layers, r.layers));
  const ancestorDigests = new Set<string>();
  for (const r of running) for (const a of ancestorsOf(r)) ancestorDigests.add(a.digest);
  for (const d of source.keys()) ancestorDigests.add(d);
  for (const d of ancestorDigests) if (!source.has(d)) source.set(d, "known");

  // 3. Later releases of every base (same repository, a higher tag of the same variant).
  const releases: BaseReport["releases"] = [];
  if (req.mode !== "none") {
    const wants: { repo: string; tag: string; base: KnownImage }[] = [];
    for (const d of [...ancestorDigests].sort(cmp)) {
      const base = pool.get(d);
      if (!base) continue;
      for (const ref of base.refs) {
        if (ref.includes("@")) continue;
        const repo = repositoryOf(ref);
        if (repo === undefined) continue;
        wants.push({ repo, tag: ref.slice(repo.length + 1), base });
      }
    }
    const missingTags = [...new Set(wants.map((w) => w.repo))].filter((r) => !tagsOf.has(r)).sort(cmp);
    await mapBounded(missingTags, limit, async (repo) => {
      try {
        tagsOf.set(repo, (await deps.browser.tags(repo, BASE_LIMITS.maxTags)).names);
      } catch (e) {
        coverage.push({
          reason: "unreachable",
          subject: repo,
          message: `cannot list tags of ${repo} to find later releases: ${toPalisadeError(e).message}`,
        });
      }
    });
    const reads = new Map<string, { ref: string; platform: string | undefined }>();
    for (const w of wants)
      for (const t of newerTags(w.tag, tagsOf.get(w.repo) ?? [], BASE_LIMITS.maxNewerReleases)) {
        const ref = `${w.repo}:${t}`;
        reads.set(`${ref}\u0000${w.base.platform ?? ""}`, { ref, platform: w.base.platform });
      }
    await mapBounded(
      [...reads.values()].sort((a, b) => cmp(a.ref, b.ref)),
      limit,
      async (r) => {
        const meta = await inspect(r.ref, r.platform);
        if (!meta) return;
        const img = await analyzeOne(meta, [metaRef(meta)]);
        if (img)
          releases.push({
            ref: r.ref,
            digest: img.digest,
            ...(img.platform ? { platform: img.platform } : {}),
          });
      },
    );
  }

  // 4. Running images with no ancestor at all: coverage, with the most specific reason.
  let undetermined = 0;
  for (const r of [...running].sort((a, b) => cmp(a.digest, b.digest))) {
    if (hasLayerAncestor(r) || claimed.has(r.digest)) continue;
    undetermined++;
    coverage.push(noBaseCoverage(r, whyNoBase(r, req, listing)));
  }

  const ancestors: AncestorFound[] = [...ancestorDigests].sort(cmp).map((d) => {
    const img = pool.get(d) as KnownImage;
    return {
      digest: d,
      ref: nameOf(img),
      ...(img.platform ? { platform: img.platform } : {}),
      source: source.get(d) as AncestorSource,
    };
  });
  const bySource: Record<AncestorSource, number> = { known: 0, annotation: 0, provenance: 0, registry: 0 };
  for (const a of ancestors) bySource[a.source]++;
  releases.sort((a, b) => cmp(a.ref, b.ref) || cmp(a.digest, b.digest));
  // Reads run concurrently: their coverage is put in one order here.
  coverage.sort(compareCoverage);
  return {
    mode: req.mode,
    ancestors,
    bySource,
    releases,
    inspected,
    analyzed,
    undetermined,
    coverage,
  };
}

/** Why no base was found for a running image, with what the user can do. */
function whyNoBase(
  img: KnownImage,
  req: BaseRequest,
  listing: ReadonlyMap<string, { ok: boolean; why?: string; count: number }>,
): string {
  if (req.mode === "none") return "base finding is off (--bases none)";
  const registries = [
    ...new Set(img.refs.map((r) => parseImageRef(r)).flatMap((p) => (p.ok ? [p.ref.registry] : []))),
  ].sort(cmp);
  const named = req.baseRepos.length > 0;
  if (req.mode === "annotations")
    return "it carries no base annotation or provenance naming a base it extends, and --bases annotations does not search registries";
  const unlisted = registries.filter((r) => listing.get(r)?.ok === false);
  if (unlisted.length > 0 && !named)
    return `the registry does not list repositories (${unlisted.map((r) => `${r}: ${listing.get(r)?.why}`).join("; ")}); name them with --base-repos`;
  const searched = registries.reduce((n, r) => n + (listing.get(r)?.count ?? 0), 0) + req.baseRepos.length;
  return `no image in the ${searched} repositories searched has a layer chain it extends (built FROM scratch, or its base lives elsewhere: name that repository with --base-repos)`;
}

/** Canonical form of `--base-repos` entries (for callers that validate before running). */
export function parseBaseRepo(s: string): string | undefined {
  const c = canonicalRef(s);
  return c === undefined ? undefined : repositoryOf(s);
}
