/**
 * Use cases of known images: discover the images workloads run (plan against the store, analyze what is new with
 * bounded concurrency, remember each as it completes), add images named by hand (`images add`) and list the
 * known ones. Pulling and analyzing one image is the caller's {@link ImageAnalyzer} or {@link AddImageAnalyzer}
 * (the image adapters, composed by the app); the store comes in through its port.
 */

import type { KnownImageStore, StoredImage } from "../../adapters/store/ports.js";
import { type ErrorCode, PalisadeError, toPalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import {
  type DiscoveryTarget,
  discoveryFailureReason,
  type KnownImage,
  knownImageFromSbom,
  planDiscovery,
  type WorkloadUsage,
  workloadUsages,
} from "../../core/lineage/index.js";
import type { Sbom } from "../../core/sbom/index.js";
import { appendAll } from "../../core/util/index.js";
import { type InventoryReaders, type InventorySources, loadInventory } from "../inventory/index.js";
import { type ImageAnalyzer, mapBounded } from "./analyze.js";
import { type BaseReport, type BaseRequest, findBases, type RegistryBrowser } from "./bases.js";

export type { ImageAnalyzer } from "./analyze.js";
export { mapBounded } from "./analyze.js";
export type { AncestorFound, BaseReport, BaseRequest, NameList, RegistryBrowser } from "./bases.js";
export { findBases } from "./bases.js";

export const DEFAULT_DISCOVER_CONCURRENCY = 4;
export const MAX_DISCOVER_CONCURRENCY = 16;

/** What became of one discovered image. */
export interface DiscoveryOutcome {
  target: DiscoveryTarget;
  status: "known" | "analyzed" | "failed";
  /** The stored (known) or newly analyzed image. */
  image?: KnownImage | undefined;
  /** The reference the image was pulled by. */
  pulled?: string | undefined;
  /** The node platform it was pulled for, when pods named one (an index digest is pulled once per platform). */
  platform?: string | undefined;
  error?: { code: ErrorCode; reason: CoverageEntry["reason"]; message: string } | undefined;
}

/** Counts, one outcome per discovered image (sorted by key), one coverage entry per failed image, other coverage. */
export interface DiscoveryReport {
  discovered: number;
  alreadyKnown: number;
  analyzed: number;
  failed: number;
  outcomes: DiscoveryOutcome[];
  /** One entry per image that could not be analyzed, naming the reference and why. */
  failures: CoverageEntry[];
  /**
   * Everything else, in order: the inventory's coverage, unreadable stored images, invalid references, the
   * caller's (skipped credentials), partial analyses.
   */
  coverage: CoverageEntry[];
  /** What base finding did, when it ran. */
  bases?: BaseReport | undefined;
}

export interface DiscoverRequest {
  sources: InventorySources;
  /** Images analyzed at once (default {@link DEFAULT_DISCOVER_CONCURRENCY}, at most {@link MAX_DISCOVER_CONCURRENCY}). */
  concurrency?: number | undefined;
  /** Where to look for the bases of the running images (`--bases`, `--base-repos`); none without it. */
  bases?: Omit<BaseRequest, "concurrency"> | undefined;
}

export interface DiscoverDeps {
  readers: InventoryReaders;
  images: KnownImageStore;
  analyze: ImageAnalyzer;
  /** When the images are seen (one instant for the whole run). */
  now: () => Date;
  /** Coverage the caller gathered while composing `analyze` (e.g. credentials it skipped). */
  coverage?: readonly CoverageEntry[] | undefined;
  /** Registry reads for base finding (needed unless `bases.mode` is "none"). */
  browser?: RegistryBrowser | undefined;
}

/** Try each pull reference of a target in order until one is analyzed. */
async function discoverOne(
  t: DiscoveryTarget,
  analyze: ImageAnalyzer,
  platform: string | undefined,
): Promise<DiscoveryOutcome & { coverage: CoverageEntry[] }> {
  const forPlatform = platform !== undefined ? { platform } : {};
  const errors: string[] = [];
  let last: PalisadeError | undefined;
  for (const pull of t.pulls) {
    try {
      const { sbom, coverage } = await analyze(pull, platform);
      return {
        target: t,
        ...forPlatform,
        status: "analyzed",
        image: knownImageFromSbom(sbom, t.refs),
        pulled: pull,
        coverage,
      };
    } catch (e) {
      // Normalised here, at the boundary of one image: a failure of any kind is that image's coverage entry.
      last = toPalisadeError(e);
      errors.push(t.pulls.length > 1 ? `${pull}: ${last.message}` : last.message);
    }
  }
  const code = last?.code ?? "INTERNAL";
  const reason = discoveryFailureReason(code);
  const used = `${t.workloads} workload${t.workloads === 1 ? "" : "s"}, e.g. ${t.example}`;
  const message = `cannot analyze ${t.pulls[0]}${platform !== undefined ? ` for ${platform}` : ""} (used by ${used}): ${errors.join("; ")}`;
  return {
    target: t,
    ...forPlatform,
    status: "failed",
    error: { code, reason, message: errors.join("; ") },
    coverage: [{ reason, subject: t.pulls[0] ?? t.key, message }],
  };
}

/**
 * Discover the images the workloads of an inventory run: load it, plan against the store (images already known
 * are not pulled again, but learn the refs seen now), analyze the rest with bounded concurrency, and store each
 * as it completes (an interrupted run keeps what it analyzed). Per-image failures are outcomes and coverage
 * entries; only an inventory or store failure throws.
 */
export async function discoverImages(req: DiscoverRequest, deps: DiscoverDeps): Promise<DiscoveryReport> {
  const loaded = await loadInventory(req.sources, deps.readers);
  const report = await discoverUsages(workloadUsages(loaded.inventory), req.concurrency, deps, req.bases);
  return { ...report, coverage: [...loaded.coverage, ...report.coverage] };
}

/** {@link discoverImages} over usages already derived from an inventory. */
export async function discoverUsages(
  usages: readonly WorkloadUsage[],
  concurrency: number | undefined,
  deps: Omit<DiscoverDeps, "readers">,
  bases?: Omit<BaseRequest, "concurrency">,
): Promise<DiscoveryReport> {
  const now = deps.now();
  const listed = await deps.images.listImages();
  const plan = planDiscovery(
    usages,
    listed.images.map((i) => i.image),
  );
  const coverage: CoverageEntry[] = [...listed.coverage, ...plan.coverage, ...(deps.coverage ?? [])];
  const outcomes: DiscoveryOutcome[] = [];
  for (const { target, image } of plan.known) {
    const extra = target.refs.filter((r) => !image.refs.includes(r));
    if (extra.length > 0)
      await deps.images.putImages([{ ...image, refs: [...image.refs, ...extra].sort(cmp) }], now);
    outcomes.push({
      target,
      ...(target.platforms?.length === 1 ? { platform: target.platforms[0] } : {}),
      status: "known",
      image,
    });
  }
  const limit = Math.max(1, Math.min(concurrency ?? DEFAULT_DISCOVER_CONCURRENCY, MAX_DISCOVER_CONCURRENCY));
  // One pull per node platform of an index digest (each node runs its own platform's manifest).
  const work = plan.toAnalyze.flatMap((t) =>
    (t.platforms ?? [undefined]).map((platform) => ({ t, platform })),
  );
  const done = await mapBounded(work, limit, async ({ t, platform }) => {
    const o = await discoverOne(t, deps.analyze, platform);
    // Stored as each completes. No two targets carry the same tag (collectDiscoveryTargets), so the order of
    // completion cannot change which image a tag names.
    if (o.image) await deps.images.putImages([o.image], now);
    return o;
  });
  const failures: CoverageEntry[] = [];
  for (const { coverage: c, ...o } of done) {
    outcomes.push(o);
    appendAll(o.status === "failed" ? failures : coverage, c);
  }
  outcomes.sort((a, b) => cmp(a.target.key, b.target.key) || cmp(a.platform ?? "", b.platform ?? ""));
  let baseReport: BaseReport | undefined;
  if (bases !== undefined && bases.mode !== "none") {
    if (deps.browser === undefined)
      throw new PalisadeError("INTERNAL", "discoverUsages: base finding needs a registry browser");
    const running = new Map<string, KnownImage>();
    for (const o of outcomes) if (o.image) running.set(o.image.digest, o.image);
    baseReport = await findBases(
      [...running.values()],
      { ...bases, concurrency: limit },
      {
        browser: deps.browser ?? NO_BROWSER,
        analyze: deps.analyze,
        images: deps.images,
        now,
      },
    );
    appendAll(coverage, baseReport.coverage);
  }
  return {
    discovered: plan.discovered.length,
    alreadyKnown: plan.known.length,
    analyzed: outcomes.filter((o) => o.status === "analyzed").length,
    failed: outcomes.filter((o) => o.status === "failed").length,
    outcomes,
    failures,
    coverage,
    ...(baseReport !== undefined ? { bases: baseReport } : {}),
  };
}

/** The browser of a run that looks for no bases: never called. */
const NO_BROWSER: RegistryBrowser = {
  repositories: () => Promise.reject(new PalisadeError("INTERNAL", "no registry browser")),
  tags: () => Promise.reject(new PalisadeError("INTERNAL", "no registry browser")),
  inspect: () => Promise.reject(new PalisadeError("INTERNAL", "no registry browser")),
  attestations: () => Promise.reject(new PalisadeError("INTERNAL", "no registry browser")),
};

/** Remember images analyzed by hand (`images add`), seen at `now`, in one store transaction. */
export async function rememberImages(
  images: readonly KnownImage[],
  deps: { images: KnownImageStore; now: () => Date },
): Promise<void> {
  await deps.images.putImages(images, deps.now());
}

/** A known image as `images list` shows it: its identity, layer chain and package count, when it was seen. */
export interface KnownImageSummary {
  digest: string;
  refs: string[];
  platform?: string | undefined;
  layers: string[];
  packages: number;
  firstSeen: string;
  lastSeen: string;
}

function summary(i: StoredImage): KnownImageSummary {
  return {
    digest: i.image.digest,
    refs: i.image.refs,
    platform: i.image.platform,
    layers: i.image.layers,
    packages: i.image.packages.length,
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
  };
}

/** `images list`: every known image (by digest), and stored images that no longer parse as coverage. */
export async function listKnownImages(deps: {
  images: KnownImageStore;
}): Promise<{ images: KnownImageSummary[]; coverage: CoverageEntry[] }> {
  const listed = await deps.images.listImages();
  return { images: listed.images.map(summary), coverage: listed.coverage };
}

/**
 * Analyze one image `images add` names (an image source the app composed): its SBOM, the coverage of the analysis,
 * and, for an image pulled from a registry, the reference it was pulled by (remembered as one of its names).
 */
export type AddImageAnalyzer = (
  target: string,
) => Promise<{ sbom: Sbom; coverage: CoverageEntry[]; registryRef?: string | undefined }>;

/** One image added: how the user named it, what is remembered, and what its analysis could not cover. */
export interface AddedImage {
  target: string;
  image: KnownImage;
  coverage: CoverageEntry[];
}

/**
 * `images add`: analyze each image in order, name it by the refs given (for one image) and the registry reference
 * it was pulled by, and remember them all, seen now, in one store transaction. An image with no name is known by
 * digest only, and a coverage entry says so. `onAdded` sees each image as it is analyzed.
 */
export async function addImages(
  req: { targets: readonly string[]; refs?: readonly string[] | undefined },
  deps: {
    images: KnownImageStore;
    analyze: AddImageAnalyzer;
    now: () => Date;
    onAdded?: ((added: AddedImage) => void) | undefined;
  },
): Promise<AddedImage[]> {
  const added: AddedImage[] = [];
  for (const target of req.targets) {
    const { sbom, coverage, registryRef } = await deps.analyze(target);
    const image = knownImageFromSbom(sbom, [...(req.refs ?? []), ...(registryRef ? [registryRef] : [])]);
    const c = [...coverage];
    if (image.refs.length === 0)
      c.push({
        reason: "missing",
        message: `${target} has no repository name or tag: it is known by digest ${image.digest} only (name it with --ref)`,
      });
    const one = { target, image, coverage: c };
    deps.onAdded?.(one);
    added.push(one);
  }
  await rememberImages(
    added.map((a) => a.image),
    deps,
  );
  return added;
}
