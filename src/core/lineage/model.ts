import type { CoverageEntry, ResourceRef, Severity } from "../findings/index.js";
import type { OsInfo, Package } from "../sbom/index.js";

/** OCI pre-defined annotation keys for the base image (image-spec annotations.md). */
export const BASE_NAME_ANNOTATION = "org.opencontainers.image.base.name";
export const BASE_DIGEST_ANNOTATION = "org.opencontainers.image.base.digest";

/**
 * An image Palisade has analysed and remembers. Identity is the manifest digest when known (what a registry and
 * `status.containerStatuses[].imageID` name), else the config digest.
 */
export interface KnownImage {
  digest: string;
  configDigest?: string | undefined;
  /** Canonical references seen for this image (`registry/repository:tag` or `registry/repository@digest`), sorted. */
  refs: string[];
  /** The ordered layer chain: config `rootfs.diff_ids`. */
  layers: string[];
  /** `os/arch[/variant]`. */
  platform?: string | undefined;
  /** The image index (multi-platform) digest this platform manifest was selected from, when pulled through one. */
  index?: string | undefined;
  /** The config's `created` time (ISO-8601): orders releases of a repository whose tags do not order. */
  created?: string | undefined;
  /** Base annotations only (`org.opencontainers.image.base.name` / `.digest`); other annotations are not kept. */
  annotations: Record<string, string>;
  os?: OsInfo | undefined;
  /** Packages with the layer that introduced them (`layerDiffId`, `layerIndex`). */
  packages: Package[];
}

/** How a node found its parent. */
export type ParentSource = "layers" | "annotation";

/**
 * One node of the image tree: every known image with the same layer chain (retags, re-pushed manifests with the
 * same layers) is one node.
 */
export interface LineageNode {
  /** Stable id: the smallest member digest. */
  id: string;
  digests: string[];
  refs: string[];
  /** Distinct `registry/repository` of the refs (the image families the node belongs to), sorted. */
  repositories: string[];
  layers: string[];
  platform?: string | undefined;
  parent?: string | undefined;
  parentSource?: ParentSource | undefined;
  /**
   * Index of the node's first own layer: layers before it are inherited from the parent (the common prefix with
   * the parent's chain; the whole parent chain when the parent was found by layers).
   */
  ownLayerStart: number;
  children: string[];
  depth: number;
}

/** The image tree over all known images. */
export interface Lineage {
  nodes: Map<string, LineageNode>;
  /** Every member digest (and config digest) -> node id. */
  byDigest: Map<string, string>;
  /** Image index digest -> platform -> node id: what a pod reporting an index digest in `imageID` runs. */
  byIndex: Map<string, Map<string, string>>;
  /** Canonical ref -> node ids (several only when the same ref is known for several platforms). */
  byRef: Map<string, string[]>;
  roots: string[];
  /** Node ids, parents before children, siblings by id: a deterministic topological order. */
  order: string[];
  /** The representative image of each node (smallest digest), whose packages stand for the node. */
  representative: Map<string, KnownImage>;
  coverage: CoverageEntry[];
}

/** One vulnerability (with its package) carried by a node, with the node where it has to be fixed. */
export interface NodeVuln {
  vulnerabilityId: string;
  aliases: string[];
  severity: Severity;
  package: string;
  /** Name advisories use for the package: the source package for distros (openssl for libssl3). */
  sourcePackage: string;
  ecosystem: string;
  purl: string;
  installed: string;
  fixedVersions: string[];
  /** Layer index (in the node's chain) that introduced the package, when known. */
  layerIndex?: number | undefined;
  /** Node whose own layers introduced the package: rebuild it and every descendant inherits the fix. */
  fixNode: string;
}

/** Vulnerabilities per node and the alias index over them. */
export interface LineageVulns {
  byNode: Map<string, NodeVuln[]>;
  /** Primary vulnerability id -> node ids that carry it, sorted. */
  nodesByVuln: Map<string, string[]>;
  /** Any id or alias (upper-cased) -> primary id. */
  aliasToId: Map<string, string>;
}

/** How a workload uses images, with running replicas per resolved digest. */
export interface WorkloadUsage {
  ref: ResourceRef;
  cluster?: string | undefined;
  team?: string | undefined;
  /** Desired (or observed) replicas. */
  replicas: number;
  /** Selected by a Service of type LoadBalancer/NodePort or reachable through an Ingress. */
  exposed: boolean;
  containers: ContainerUsage[];
}

/** One container of a workload: its image reference and the digests its running pods report. */
export interface ContainerUsage {
  name: string;
  image: string;
  /** Replicas per digest from `status.containerStatuses[].imageID`; empty when no pod status is known. */
  running: { digest: string; replicas: number; platform?: string | undefined }[];
}
