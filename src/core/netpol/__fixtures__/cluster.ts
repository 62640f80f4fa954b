import { buildInventory, type Inventory, type RawObject } from "../../inventory/index.js";

/** Builders of plain Kubernetes objects for NetworkPolicy tests. */
export type Obj = Record<string, unknown>;

export function namespace(name: string, labels: Record<string, string> = {}): Obj {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

export interface PortDecl {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export function deployment(
  ns: string,
  name: string,
  labels: Record<string, string>,
  ports: PortDecl[] = [],
  extra: Obj = {},
): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "app", image: "registry.example/app:1", ports }], ...extra },
      },
    },
  };
}

export function policy(ns: string, name: string, spec: Obj): Obj {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec };
}

export function inventory(objects: Obj[]): Inventory {
  return buildInventory(objects.map((object): RawObject => ({ object: structuredClone(object) })));
}

/**
 * A pod owned by a workload (or a bare pod when `owner` is absent), with `status` as the kubelet reports it:
 * `status.podIP` is the first of `status.podIPs` (dual-stack pods list one IP per family).
 */
export function pod(
  ns: string,
  name: string,
  labels: Record<string, string>,
  status: Obj,
  owner?: { kind: string; name: string },
): Obj {
  const metadata: Obj = { name, namespace: ns, labels };
  if (owner) metadata.ownerReferences = [{ apiVersion: "apps/v1", ...owner, controller: true }];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata,
    spec: { containers: [{ name: "app", image: "registry.example/app:1" }] },
    status,
  };
}

/** `status` of a running pod with the given IPs. */
export const running = (...ips: string[]): Obj => ({
  phase: "Running",
  podIP: ips[0],
  podIPs: ips.map((ip) => ({ ip })),
});
