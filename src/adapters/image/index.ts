/**
 * Image sources (OCI layout, docker-archive, plain directory, OCI registry) and image analysis into an SBOM.
 * Layers are streamed and never extracted to disk.
 */
export { type AnalyzeOptions, analyzeImage, analyzeSource, openImageSource } from "./analyze.js";
export { digestOf, isValidDigest, VerifyingStream } from "./digest.js";
export { DirectorySource } from "./directory.js";
export { DockerArchiveSource } from "./docker-archive.js";
export {
  DEFAULT_BUDGETS,
  detectCompression,
  type LayerBudgets,
  normaliseTarPath,
  processLayer,
} from "./layer.js";
export { MEDIA, type Platform, parsePlatform, selectPlatform } from "./manifest.js";
export { OciLayoutSource } from "./oci-layout.js";
export {
  attestationDocuments,
  inspectImage,
  isLoopbackHost,
  listRepositories,
  listTags,
  MAX_ATTESTATION_BYTES,
  type NameList,
  parseChallenge,
  type RegistryAuth,
  RegistryClient,
  type RegistryOptions,
  RegistrySource,
} from "./registry.js";
export {
  caCertificates,
  loadRegistryCaFile,
  parsePemCertificates,
  REGISTRY_CA_LIMITS,
  type RegistryCa,
} from "./registry-tls.js";
export {
  type AttachedBundle,
  COSIGN_SIMPLE_SIGNING_MEDIA,
  type CosignSignatureLayer,
  digestTag,
  fetchSignatureMaterial,
  SIGNATURE_FETCH_LIMITS,
  SIGSTORE_BUNDLE_MEDIA,
  type SignatureMaterial,
} from "./signature-artifacts.js";
export type {
  ImageSource,
  ImageSourceDescriptor,
  ResolvedImage,
  ResolvedLayer,
  SourceOptions,
} from "./source.js";
export { IMAGE_SOURCES, type ImageTransport } from "./sources.js";
export { parseSourceSpec, type SourceSpec } from "./spec.js";
