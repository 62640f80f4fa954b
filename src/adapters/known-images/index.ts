/**
 * Known images: the registry side of discovery (pull what workloads run, by digest, with registry credentials).
 * Planning discovery and the lineage state are use cases (services/images, services/lineage); persistence of known
 * images and remediation records is in adapters/store (one folder per backend).
 */
export type { KnownImageStore, StoredImage } from "../store/index.js";
export { type BrowseOptions, DEFAULT_REGISTRY_RATE, registryBrowser } from "./browse.js";
export { type DiscoverOptions, registryAnalyzer } from "./discover.js";
export {
  loadRegistryAuthFile,
  parseRegistryAuthConfig,
  REGISTRY_AUTH_LIMITS,
  type RegistryAuthConfig,
  registryAuthFor,
  registryHostKey,
} from "./registry-auth.js";
