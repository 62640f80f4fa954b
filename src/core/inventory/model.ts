import type { Container, PodSpec } from "kubernetes-types/core/v1.js";
import type { CoverageEntry, ResourceRef, SourceLocation } from "../findings/index.js";
import type { ImageRef } from "./image-ref.js";

/** Where an object came from. `locate` resolves a field path inside the object to a file position, if known. */
export interface ObjectSource {
  /** File path, "-" for stdin, or a descriptive origin such as "cluster:context-name". */
  file: string;
  line: number;
  column: number;
  /** Index of the document in a multi-document file, or of the item in a List. */
  index?: number;
  locate?: (fieldPath: string) => SourceLocation | undefined;
}

/**
 * What kind of input an object came from. A manifest is authored and committed (files, directories, stdin); a
 * snapshot (`kubectl get -o json` saved with --snapshot) and a live cluster hold what the API server returns, where a
 * Secret naturally holds its values. Rules about what is written in a file (a Secret's values committed with it)
 * apply to manifests only.
 */
export type InputOrigin = "manifest" | "snapshot" | "cluster";

/** A loaded object before normalisation: plain JSON data (already validated as safe) plus its origin. */
export interface RawObject {
  object: Record<string, unknown>;
  source?: ObjectSource;
  /** The cluster the object was read from, for multi-cluster inventories. */
  cluster?: string;
  /** Unset when the caller did not say (rules about committed files then do not apply). */
  origin?: InputOrigin;
}

import type { Labels, WorkloadKind } from "../k8s/index.js";

export type { Labels, WorkloadKind };

/** A normalised Kubernetes object. `raw` is the object as loaded (Secret values already dropped). */
export interface KObject {
  ref: ResourceRef;
  /**
   * metadata.uid; in a scan, unset on objects of kinds that own nothing (at load) and on every object once the
   * owner graph is resolved (nothing reads it after).
   */
  uid?: string | undefined;
  labels: Labels;
  annotations: Labels;
  raw: Record<string, unknown>;
  /** Absent fields are undefined, not missing, where the inventory made the object (one shape for all). */
  source?: ObjectSource | undefined;
  cluster?: string | undefined;
  origin?: InputOrigin | undefined;
  ownerReferences: { kind: string; name: string; uid?: string; apiVersion?: string; controller: boolean }[];
}

export type ContainerType = "container" | "initContainer" | "ephemeralContainer";

export interface ContainerInfo {
  name: string;
  type: ContainerType;
  index: number;
  /** Field path of this container, e.g. `spec.template.spec.containers[0]`. */
  path: string;
  /** Raw image string, and its parse (absent when invalid; a coverage entry says why). */
  imageString: string;
  image?: ImageRef;
  spec: Container;
}

/**
 * A workload: the top of an owner chain (a Pod owned by a ReplicaSet owned by a Deployment belongs to
 * the Deployment), with its pod template resolved. When the top is an owner named by ownerReferences but absent
 * from the input, `object` stands for it: its ref comes from the reference, its pod template from one member
 * (positions point into that member's file), and it is not in {@link Inventory.objects}.
 */
export interface Workload {
  object: KObject;
  ref: ResourceRef;
  kind: WorkloadKind;
  /** Pod template metadata (labels drive Service and NetworkPolicy selection). */
  podLabels: Labels;
  podAnnotations: Labels;
  podSpec: PodSpec;
  /** Field path of the pod spec inside the object: `spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`. */
  podSpecPath: string;
  /** Field path of the pod template metadata. */
  podMetaPath: string;
  containers: ContainerInfo[];
  /** Desired replicas from the spec (DaemonSet: number of running pods if known, else 1). */
  replicas: number;
  /** Owned objects found in the inventory (ReplicaSets, Pods, Jobs), by ref. */
  owned: ResourceRef[];
  /** Running pods of this workload seen in the inventory. */
  pods: KObject[];
  serviceAccountName: string;
  team?: string;
  teamSource?: string;
}

export interface NamespaceInfo {
  name: string;
  labels: Labels;
  annotations: Labels;
  object?: KObject;
  team?: string;
}

/** The normalised inventory every analyzer reads. */
export interface Inventory {
  objects: KObject[];
  namespaces: Map<string, NamespaceInfo>;
  workloads: Workload[];
  serviceAccounts: KObject[];
  roles: KObject[];
  clusterRoles: KObject[];
  roleBindings: KObject[];
  clusterRoleBindings: KObject[];
  networkPolicies: KObject[];
  services: KObject[];
  ingresses: KObject[];
  configMaps: KObject[];
  /**
   * Secrets with values dropped: `raw.data`/`raw.stringData` hold key names mapped to "(redacted)" where
   * the input had a value, "" where it had an empty one.
   */
  secrets: KObject[];
  nodes: KObject[];
  /** Objects of kinds Palisade does not model (CRDs and others), counted by `apiVersion/kind`. */
  unknownKinds: Map<string, number>;
  coverage: CoverageEntry[];
}

/** How teams are assigned. */
export interface OwnershipConfig {
  /** Label/annotation keys checked in order on the workload, then on its namespace. Default: team, owner. */
  keys: string[];
  /** Namespace name or glob -> team. */
  namespaces: { pattern: string; team: string }[];
  /** Image repository glob (registry/repository) -> team. */
  images: { pattern: string; team: string }[];
}

export const DEFAULT_OWNERSHIP: OwnershipConfig = { keys: ["team", "owner"], namespaces: [], images: [] };
