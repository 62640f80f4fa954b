/**
 * Known images: discovery (pull what workloads run, by digest, with registry credentials) and the lineage state
 * read through the store ports. Persistence of known images and remediation records is in adapters/store (one
 * folder per backend).
 */
export type { KnownImageStore, StoredImage } from "../store/index.js";
export {
  DEFAULT_DISCOVER_CONCURRENCY,
  type DiscoverOptions,
  type DiscoveryOutcome,
  type DiscoveryReport,
  discoverImages,
  MAX_DISCOVER_CONCURRENCY,
  mapBounded,
} from "./discover.js";
export { type LineageState, loadLineageState } from "./evaluate.js";
export {
  loadRegistryAuthFile,
  parseRegistryAuthConfig,
  REGISTRY_AUTH_LIMITS,
  type RegistryAuthConfig,
  registryAuthFor,
  registryHostKey,
} from "./registry-auth.js";
