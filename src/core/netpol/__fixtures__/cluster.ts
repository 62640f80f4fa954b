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
