import type { AnalyzeOptions } from "./analyze.js";
import type { ImageSource, ImageSourceDescriptor } from "./source.js";
import { IMAGE_SOURCES, type SourceSpec } from "./sources.js";

export type { SourceSpec } from "./sources.js";

type AnyDescriptor = ImageSourceDescriptor<string, object>;

/** The registered source serving `spec` (trimmed) and the text its `parse` gets. */
function dispatch(spec: string): { source: AnyDescriptor; rest: string } {
  const s = spec.trim();
  const sources: readonly AnyDescriptor[] = IMAGE_SOURCES as readonly AnyDescriptor[];
  for (const source of sources)
    for (const prefix of source.prefixes)
      if (s.startsWith(prefix)) return { source, rest: s.slice(prefix.length) };
  return { source: sources.find((d) => d.fallback) as AnyDescriptor, rest: s };
}

/**
 * Parse a source spec, in skopeo's transport:reference spirit: `oci:DIR[:TAG]`, `docker-archive:FILE`, `dir:PATH`,
 * `registry:HOST/REPO[:TAG|@DIGEST]`, or a bare image reference (= registry; Docker Hub defaults apply). Each
 * registered source (sources.ts) parses the text after its prefix.
 */
export function parseSourceSpec(spec: string): SourceSpec {
  const { source, rest } = dispatch(spec);
  return { transport: source.transport, ...source.parse(rest) } as SourceSpec;
}

/** Parse `spec` and open it through the source that serves it. */
export function openSourceSpec(spec: string, opts: AnalyzeOptions): ImageSource {
  const { source, rest } = dispatch(spec);
  return source.open(source.parse(rest), opts);
}
