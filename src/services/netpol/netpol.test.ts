import { describe, expect, it } from "vitest";
import { parseManifestText } from "../../adapters/manifests/index.js";
import type { InventoryReaders } from "../inventory/index.js";
import { netpolConnectivity, netpolDiff } from "./index.js";

const CURRENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
`;

const CHANGE = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: stray, namespace: shop}
`;

/** Each file name maps to manifests in memory, read through the real parser. */
const readers: InventoryReaders = {
  manifests: async (paths) => {
    const file = paths[0] ?? "current.yaml";
    return { ...parseManifestText(file === "change.yaml" ? CHANGE : CURRENT, file), files: paths.length };
  },
};

describe("netpol services", () => {
  it("connectivity: loads (hook first), analyses, and joins the coverage", async () => {
    const hooked: number[] = [];
    const { connectivity, coverage } = await netpolConnectivity(
      { sources: { manifests: ["current.yaml"] }, options: {} },
      { readers },
      { loaded: (l) => hooked.push(l.inventory.objects.length) },
    );
    expect(hooked).toEqual([2]);
    expect({ edges: connectivity.edges, coverage }).toEqual({ edges: [], coverage: [] });
  });

  it("diff: the change replaces the same-named policy; strays and unknown removals are coverage", async () => {
    const { diff, coverage } = await netpolDiff(
      {
        sources: { manifests: ["current.yaml"] },
        change: { manifests: ["change.yaml"] },
        remove: ["shop/gone"],
        options: {},
      },
      { readers },
    );
    expect(coverage).toEqual([
      {
        reason: "not-evaluated",
        message: "--with: 1 object(s) that are not NetworkPolicies were ignored (ConfigMap shop/stray)",
      },
      {
        reason: "missing",
        message: "--remove: no NetworkPolicy shop/gone in the input",
        subject: "shop/gone",
      },
    ]);
    // Egress is no longer isolated: web may reach every address outside the cluster.
    const web = { kind: "Deployment", name: "web", namespace: "shop" };
    expect(diff).toEqual({
      added: [
        { connections: "all", dst: { ipRange: "0.0.0.0-255.255.255.255" }, src: web },
        { connections: "all", dst: { ipRange: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }, src: web },
      ],
      removed: [],
      changed: [],
    });
  });
});
