import { formatLimit, isBudgetExceeded } from "../../core/budget/index.js";
import { PackageTracker } from "../../core/catalog/index.js";
import { isPalisadeError, PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import type { LayerInfo, Sbom } from "../../core/sbom/index.js";
import { appendAll } from "../../core/util/index.js";
import { walkDirectory } from "./directory.js";
import { DEFAULT_BUDGETS, imageBudget, type LayerBudgets, processLayer } from "./layer.js";
import type { RegistryAuth } from "./registry.js";
import type { RegistryCa } from "./registry-tls.js";
import type { ImageSource, ResolvedImage } from "./source.js";
import { openSourceSpec } from "./spec.js";

/** Options for opening a source and analysing it. */
export interface AnalyzeOptions {
  /** `os/arch[/variant]` to select from an image index; default linux/amd64. */
  platform?: string | undefined;
  /** Allow plain http to a non-loopback registry. */
  dangerouslyAllowHttp?: boolean | undefined;
  auth?: RegistryAuth | undefined;
  /**
   * Extra trusted CA certificates (PEM) for registries with a private CA, added to Node's defaults and
   * NODE_EXTRA_CA_CERTS (a CLI reads them with `loadRegistryCaFile`). Verification is never disabled.
   */
  ca?: RegistryCa | undefined;
  /** Registry request time limits (ms). */
  timeoutMs?: number | undefined;
  blobTimeoutMs?: number | undefined;
  budgets?: Partial<LayerBudgets> | undefined;
}

/** Open an image source from a spec: `oci:DIR[:TAG]`, `docker-archive:FILE`, `dir:PATH`, `registry:REF` or `REF`. */
export async function openImageSource(spec: string, opts: AnalyzeOptions = {}): Promise<ImageSource> {
  return openSourceSpec(spec, opts);
}

/**
 * Analyse an opened source into an SBOM: every layer streamed in order through the catalogers, whiteouts
 * applied, each package stamped with the layer that introduced it. Problems that leave the result usable
 * (a corrupt layer, an over-budget file, an unparsable package DB) are coverage entries; problems that make
 * it untrustworthy (digest mismatch, malformed manifest, unreachable registry) throw PalisadeError.
 */
export async function analyzeSource(
  source: ImageSource,
  opts: AnalyzeOptions = {},
): Promise<{ sbom: Sbom; coverage: CoverageEntry[] }> {
  const budgets: LayerBudgets = { ...DEFAULT_BUDGETS, ...opts.budgets };
  const image = await source.resolve();
  if (!image) {
    const walked = new PackageTracker();
    const coverage = await walkDirectory(source.rootDir ?? ".", walked, budgets);
    const r = walked.finish({ kind: "directory", name: source.rootDir ?? source.name }, []);
    return { sbom: r.sbom, coverage: [...coverage, ...r.coverage] };
  }
  const layers: LayerInfo[] = image.layers.map((l) => {
    const info: LayerInfo = { diffId: l.diffId };
    if (l.blob.digest) info.digest = l.blob.digest;
    if (l.blob.size !== undefined) info.size = l.blob.size;
    if (l.createdBy) info.createdBy = l.createdBy;
    return info;
  });
  if (image.layers.length > budgets.maxLayers)
    throw new PalisadeError(
      "LIMIT",
      `${source.name}: ${image.layers.length} layers exceeds the budget of ${budgets.maxLayers}`,
    );
  let { tracker, coverage } = await readLayers(source, image.layers, new PackageTracker(), budgets);
  // A package database reached through a symlink whose target came earlier in the layers than the link was not
  // collected on the way: read the image once more, now knowing what to collect (rare; costs a second pass).
  const missed = tracker.unresolvedLinks();
  if (missed.length > 0)
    ({ tracker, coverage } = await readLayers(
      source,
      image.layers,
      new PackageTracker(new Map(missed.map((m) => [m.target, m.cataloger]))),
      budgets,
    ));
  const subjectDigest = image.manifestDigest ?? image.configDigest;
  const sbomImage: NonNullable<Sbom["image"]> = {};
  if (image.manifestDigest) sbomImage.manifestDigest = image.manifestDigest;
  if (image.configDigest) sbomImage.configDigest = image.configDigest;
  if (image.platform) sbomImage.platform = image.platform;
  if (image.indexDigest) sbomImage.indexDigest = image.indexDigest;
  if (image.config.created) sbomImage.created = image.config.created;
  if (image.annotations && Object.keys(image.annotations).length) sbomImage.annotations = image.annotations;
  if (Object.keys(image.config.labels).length) sbomImage.labels = image.config.labels;
  if (image.repoTags) sbomImage.repoTags = image.repoTags;
  const r = tracker.finish(
    { kind: "image", name: source.name, ...(subjectDigest ? { digest: subjectDigest } : {}) },
    layers,
    sbomImage,
  );
  return { sbom: r.sbom, coverage: [...coverage, ...r.coverage] };
}

/** Stream every layer in order into `tracker`, under one image budget (a child per layer). */
async function readLayers(
  source: ImageSource,
  imageLayers: ResolvedImage["layers"],
  tracker: PackageTracker,
  budgets: LayerBudgets,
): Promise<{ tracker: PackageTracker; coverage: CoverageEntry[] }> {
  const coverage: CoverageEntry[] = [];
  const budget = imageBudget(source.name, budgets);
  budget.charge("layers", imageLayers.length);
  for (const [i, layer] of imageLayers.entries()) {
    const subject = `${source.name} layer ${i} (${layer.diffId})`;
    const stream = await source.openLayer(layer);
    try {
      const layerBudget = budget.child(subject, { entries: budgets.maxEntries });
      const layerCoverage = await processLayer(stream, {
        diffId: layer.diffId,
        subject,
        tracker,
        budgets,
        budget: layerBudget,
      });
      appendAll(coverage, layerCoverage);
    } catch (e) {
      stream.destroy();
      if (isBudgetExceeded(e) && e.dimension === "bytes" && e.scope === source.name)
        throw new PalisadeError(
          "LIMIT",
          `${subject}: the image's layers decompress to more than ${formatLimit("bytes", e.limit)}, its budget; analysis stopped (set the budget with --max-image-bytes or PALISADE_MAX_IMAGE_BYTES)`,
          { cause: e, context: e.context },
        );
      if (isPalisadeError(e))
        throw new PalisadeError(e.code, `${subject}: ${e.message}`, { cause: e, context: e.context });
      throw e;
    }
  }
  return { tracker, coverage };
}

/** Open `spec`, analyse it, close it. */
export async function analyzeImage(
  spec: string,
  opts: AnalyzeOptions = {},
): Promise<{ sbom: Sbom; coverage: CoverageEntry[] }> {
  const source = await openImageSource(spec, opts);
  try {
    return await analyzeSource(source, opts);
  } finally {
    await source.close();
  }
}
