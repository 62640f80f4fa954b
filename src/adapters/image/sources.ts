import { DIRECTORY_SOURCE } from "./directory.js";
import { DOCKER_ARCHIVE_SOURCE } from "./docker-archive.js";
import { OCI_LAYOUT_SOURCE } from "./oci-layout.js";
import { REGISTRY_SOURCE } from "./registry.js";
import type { ImageSourceDescriptor } from "./source.js";

/**
 * The image sources. A spec is served by the first source with a matching prefix, else by the fallback (the
 * registry: a bare image reference). A new source is one module beside these exporting an
 * {@link ImageSourceDescriptor}, one line here, and a case in the shared contract suite
 * (test/integration/image-sources.test.ts fails until it has one).
 */
export const IMAGE_SOURCES = [
  OCI_LAYOUT_SOURCE,
  DOCKER_ARCHIVE_SOURCE,
  DIRECTORY_SOURCE,
  REGISTRY_SOURCE,
] as const;

/** A registered source's transport name. */
export type ImageTransport = (typeof IMAGE_SOURCES)[number]["transport"];

type SpecOf<D> = D extends ImageSourceDescriptor<infer T, infer S> ? { transport: T } & S : never;

/** A parsed spec of one registered source: its transport and the options its descriptor parsed. */
export type SourceSpec = SpecOf<(typeof IMAGE_SOURCES)[number]>;
