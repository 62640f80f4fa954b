import type { ResourceRef } from "../findings/index.js";
import type { NodeOs } from "./tables.js";

/** What a component is on the node (or the control plane). */
export type ComponentRole =
  | "kubelet"
  | "kube-proxy"
  | "container-runtime"
  | "runc"
  | "kernel"
  | "control-plane";

/** One advisory lookup: an OSV ecosystem and package name. */
export interface AdvisoryPackage {
  ecosystem: string;
  name: string;
}

/** A versioned component, with the advisory packages that describe it. */
export interface NodeComponent {
  role: ComponentRole;
  /** Product name: kubelet, kube-proxy, containerd, cri-o, docker, runc, linux-aws, kubernetes. */
  name: string;
  /** As reported (`containerd://1.7.2`, `v1.27.4-eks-8ccc7ba`, `5.15.0-1048-aws`). */
  raw: string;
  /** The version matched against advisories (the upstream release; for kernels the package version). */
  version: string;
  /** Field of the Node (or source) the version came from: `status.nodeInfo.kubeletVersion`. */
  fieldPath: string;
  /** How the version was derived when the node does not report it directly (bundled runc, kernel package). */
  derivedFrom?: string | undefined;
  /** A vendor build's suffix (`-eks-8ccc7ba`): the build may carry backported fixes. */
  vendorSuffix?: string | undefined;
  /** Lookups, first the canonical one. */
  packages: AdvisoryPackage[];
  /**
   * For a kernel whose package version is known only up to its ABI (`5.15.0-1048` of `5.15.0-1048.53`): the
   * highest package version of that ABI, matched too; an advisory fixed inside the ABI is not determinable.
   */
  versionUpperBound?: string | undefined;
}

/** A managed node pool recognised from labels. */
export interface NodePool {
  provider: string;
  name: string;
  /** The label it was read from. */
  label: string;
}

/** One Node and what runs on it. */
export interface NodeInventory {
  ref: ResourceRef;
  cluster?: string | undefined;
  pool?: NodePool | undefined;
  /** Cloud provider from spec.providerID (aws, gce, azure, ...). */
  provider?: string | undefined;
  instanceType?: string | undefined;
  os: NodeOs;
  kernelVersion?: string | undefined;
  architecture?: string | undefined;
  operatingSystem?: string | undefined;
  components: NodeComponent[];
}

/** Where the control plane's version came from. */
export type ControlPlaneSource = "live" | "snapshot" | "static-pod";

export interface ControlPlane {
  ref: ResourceRef;
  cluster?: string | undefined;
  source: ControlPlaneSource;
  component: NodeComponent;
}

/** The infrastructure inventory of one run: nodes and control planes. */
export interface InfraInventory {
  nodes: NodeInventory[];
  controlPlanes: ControlPlane[];
}
