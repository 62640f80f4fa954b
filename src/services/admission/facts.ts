/**
 * Image facts for admission from the store: which digests are known (analysed), their vulnerabilities (from the
 * lineage state: known images matched against the advisory database) and the digests a closed remediation record
 * replaced. The whole state is loaded at most once per TTL (one flight at a time) and each image's facts are kept
 * in a bounded LRU with the same TTL, so a review never waits on the store when its images were seen recently.
 */
import type { Stores } from "../../adapters/store/ports.js";
import type { ImageFacts } from "../../core/admission/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import type { LineageVulns, RemediationRecord } from "../../core/lineage/index.js";
import { type LineageStores, loadLineageState } from "../lineage/index.js";

/** What the index is built from: the lineage state's parts and the remediation records. */
export interface ImageFactsSource {
  images: readonly { image: { digest: string; refs: readonly string[] } }[];
  lineage: { byDigest: ReadonlyMap<string, string> };
  vulns: Pick<LineageVulns, "byNode" | "nodesByVuln">;
  records: readonly RemediationRecord[];
}

export interface ImageFactsIndex {
  byDigest: Map<string, ImageFacts>;
  /** Canonical `registry/repository:tag` -> digest, from the refs known images were seen under. */
  digestOfRef: Map<string, string>;
}

/** Build the index: one entry per known digest. */
export function imageFactsIndex(src: ImageFactsSource): ImageFactsIndex {
  const byDigest = new Map<string, ImageFacts>();
  const digestOfRef = new Map<string, string>();
  const familyOf = new Map<string, Set<string>>();
  for (const { image } of src.images) {
    const node = src.lineage.byDigest.get(image.digest);
    const vulns = (node === undefined ? undefined : src.vulns.byNode.get(node)) ?? [];
    byDigest.set(image.digest, {
      digest: image.digest,
      analysed: true,
      vulnerabilities: vulns.map((v) => ({
        id: v.vulnerabilityId,
        aliases: v.aliases,
        severity: v.severity,
        fixAvailable: v.fixedVersions.length > 0,
      })),
    });
    for (const ref of image.refs) {
      const p = parseImageRef(ref);
      if (!p.ok) continue;
      const families = familyOf.get(p.ref.name) ?? new Set<string>();
      families.add(image.digest);
      familyOf.set(p.ref.name, families);
      if (p.ref.tag !== undefined && p.ref.digest === undefined)
        digestOfRef.set(`${p.ref.name}:${p.ref.tag}`, image.digest);
    }
  }
  // A closed record: every digest of its family that carries its vulnerability was replaced by the fix.
  for (const r of src.records) {
    if (r.state !== "closed") continue;
    const carrying = new Set(src.vulns.nodesByVuln.get(r.vulnerabilityId) ?? []);
    for (const digest of familyOf.get(r.family) ?? []) {
      const node = src.lineage.byDigest.get(digest);
      const f = byDigest.get(digest);
      if (node === undefined || f === undefined || !carrying.has(node) || f.remediated) continue;
      f.remediated = { record: r.key, fixedDigest: r.patchedImages[0] };
    }
  }
  return { byDigest, digestOfRef };
}

/** The digest an image reference names or resolves to through the index; undefined when unknown. */
export function resolveDigest(index: ImageFactsIndex, image: string): string | undefined {
  const p = parseImageRef(image);
  if (!p.ok) return undefined;
  if (p.ref.digest !== undefined) return p.ref.digest;
  return index.digestOfRef.get(`${p.ref.name}:${p.ref.tag ?? "latest"}`);
}

export interface CachedImageFactsOptions {
  load: () => Promise<ImageFactsIndex>;
  /** Milliseconds a loaded index and a cached image stay fresh. */
  ttlMs: number;
  /** Images kept in the LRU. */
  maxEntries: number;
  /** Monotonic milliseconds (injected). */
  clock: () => number;
}

/** Image facts through a bounded, TTL'd cache over a periodically reloaded index. */
export class CachedImageFacts {
  readonly stats = { hits: 0, misses: 0, loads: 0 };
  #index: { at: number; value: ImageFactsIndex } | undefined;
  #loading: Promise<ImageFactsIndex> | undefined;
  readonly #lru = new Map<string, { at: number; facts: ImageFacts | undefined }>();
  constructor(private readonly opts: CachedImageFactsOptions) {}

  async #currentIndex(): Promise<ImageFactsIndex> {
    const now = this.opts.clock();
    if (this.#index && now - this.#index.at < this.opts.ttlMs) return this.#index.value;
    if (this.#index && !this.#loading) {
      // Stale: answer from the old index while one reload runs.
      this.#loading = this.opts
        .load()
        .then((v) => {
          this.stats.loads++;
          this.#index = { at: this.opts.clock(), value: v };
          this.#lru.clear();
          return v;
        })
        .finally(() => {
          this.#loading = undefined;
        });
      this.#loading.catch(() => {});
      return this.#index.value;
    }
    if (this.#index) return this.#index.value;
    this.#loading ??= this.opts
      .load()
      .then((v) => {
        this.stats.loads++;
        this.#index = { at: this.opts.clock(), value: v };
        return v;
      })
      .finally(() => {
        this.#loading = undefined;
      });
    return this.#loading;
  }

  /**
   * Facts for the images named; an image nothing is known about is left out. Synchronous when every image is in
   * the cache (the review is then decided without waiting a turn of the loop), a promise otherwise.
   */
  get(images: readonly string[]): Map<string, ImageFacts> | Promise<Map<string, ImageFacts>> {
    const out = new Map<string, ImageFacts>();
    const now = this.opts.clock();
    const missing: string[] = [];
    for (const image of images) {
      const hit = this.#lru.get(image);
      if (hit && now - hit.at < this.opts.ttlMs) {
        this.stats.hits++;
        // Most recently used last.
        this.#lru.delete(image);
        this.#lru.set(image, hit);
        if (hit.facts) out.set(image, hit.facts);
      } else missing.push(image);
    }
    if (missing.length === 0) return out;
    return this.#getMissing(out, missing, now);
  }

  async #getMissing(
    out: Map<string, ImageFacts>,
    missing: readonly string[],
    now: number,
  ): Promise<Map<string, ImageFacts>> {
    const index = await this.#currentIndex();
    for (const image of missing) {
      this.stats.misses++;
      const digest = resolveDigest(index, image);
      const facts = digest === undefined ? undefined : index.byDigest.get(digest);
      this.#lru.delete(image);
      this.#lru.set(image, { at: now, facts });
      if (facts) out.set(image, facts);
    }
    while (this.#lru.size > this.opts.maxEntries) {
      const oldest = this.#lru.keys().next().value;
      if (oldest === undefined) break;
      this.#lru.delete(oldest);
    }
    return out;
  }

  get size(): number {
    return this.#lru.size;
  }

  /**
   * Something new is in the store (an image was analysed): the index goes stale and cached images are forgotten
   * now. The next lookup answers from the old index while one reload runs, as after the TTL.
   */
  invalidate(): void {
    if (this.#index) this.#index = { at: Number.NEGATIVE_INFINITY, value: this.#index.value };
    this.#lru.clear();
  }
}

/** Load the index from the stores: known images, their vulnerabilities (lineage state) and remediation records. */
export async function loadImageFactsIndex(
  stores: LineageStores & { remediation: Pick<Stores["remediation"], "listRecords"> },
): Promise<ImageFactsIndex> {
  const [state, records] = await Promise.all([loadLineageState(stores), stores.remediation.listRecords()]);
  return imageFactsIndex({ images: state.images, lineage: state.lineage, vulns: state.vulns, records });
}
