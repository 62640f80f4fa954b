import type { CoverageEntry } from "../../core/findings/index.js";
import type { Sbom } from "../../core/sbom/index.js";

/**
 * Pull and analyze the image a reference names (`registry/repository@sha256:...` or `:tag`). Throws for a
 * failure of that image (unreachable, 401/403, unknown manifest, no manifest for the platform, digest mismatch):
 * discovery turns it into that image's coverage entry.
 */
export type ImageAnalyzer = (
  pull: string,
  platform?: string,
) => Promise<{ sbom: Sbom; coverage: CoverageEntry[] }>;

/** Map `items` through `fn` with at most `limit` calls in flight; results in item order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
