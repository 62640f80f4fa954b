import { describe, expect, it } from "vitest";
import { parseManifestText } from "../../adapters/manifests/index.js";
import type { InventoryReaders } from "../inventory/index.js";
import { evaluatePss } from "./index.js";

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: v1
kind: Namespace
metadata: {name: tools}
---
apiVersion: v1
kind: Pod
metadata: {name: root, namespace: shop}
spec:
  hostNetwork: true
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: tools}
spec:
  containers: [{name: c, image: busybox}]
`;

/** Manifests from memory through the real parser. */
const readers: InventoryReaders = {
  manifests: async (paths) => ({
    ...parseManifestText(MANIFESTS, paths[0] ?? "app.yaml"),
    files: paths.length,
  }),
};

const HOST_NETWORK = { check: "hostNamespaces", message: "host namespaces (hostNetwork=true)" };

describe("evaluatePss (pss service)", () => {
  it("evaluates every workload at the level, sorted by namespace, kind, name, and reports what it evaluates", async () => {
    const hooked: unknown[] = [];
    const result = await evaluatePss(
      { sources: { manifests: ["app.yaml"] }, level: "baseline", version: "latest" },
      { readers },
      { loaded: (l, evaluated) => hooked.push({ objects: l.inventory.objects.length, ...evaluated }) },
    );
    expect(hooked).toEqual([{ objects: 4, count: 2, what: "a pod or pod template" }]);
    expect(result).toEqual({
      mode: "workloads",
      results: [
        {
          resource: { apiVersion: "v1", kind: "Pod", name: "root", namespace: "shop" },
          allowed: false,
          violations: [HOST_NETWORK],
        },
        {
          resource: { apiVersion: "v1", kind: "Pod", name: "plain", namespace: "tools" },
          allowed: true,
          violations: [],
        },
      ],
      coverage: [],
    });
  });

  it("reports per namespace from the labels; a level is the default of namespaces without enforce", async () => {
    const hooked: unknown[] = [];
    const result = await evaluatePss(
      { sources: { manifests: ["app.yaml"] }, level: "restricted", version: "v1.30", namespaces: true },
      { readers },
      { loaded: (_l, evaluated) => hooked.push(evaluated) },
    );
    expect(hooked).toEqual([{ count: 4, what: "a Namespace or a pod or pod template" }]);
    const privileged = { level: "privileged", version: "latest", evaluatedVersion: "v1.37" };
    expect(result).toEqual({
      mode: "namespaces",
      namespaces: [
        {
          namespace: "shop",
          labelled: true,
          enforce: { level: "baseline", version: "v1.30", evaluatedVersion: "v1.30" },
          audit: privileged,
          // raised to the enforce label (upstream's PolicyToEvaluate)
          warn: { level: "baseline", version: "v1.30", evaluatedVersion: "v1.30" },
          errors: [],
          workloads: 1,
          rejected: [
            {
              resource: { apiVersion: "v1", kind: "Pod", name: "root", namespace: "shop" },
              violations: [HOST_NETWORK],
            },
          ],
          audited: [],
          warned: [
            {
              resource: { apiVersion: "v1", kind: "Pod", name: "root", namespace: "shop" },
              violations: [HOST_NETWORK],
            },
          ],
        },
        {
          namespace: "tools",
          labelled: false,
          enforce: { level: "restricted", version: "v1.30", evaluatedVersion: "v1.30" },
          audit: privileged,
          warn: privileged,
          errors: [],
          workloads: 1,
          rejected: [
            {
              resource: { apiVersion: "v1", kind: "Pod", name: "plain", namespace: "tools" },
              violations: [
                {
                  check: "allowPrivilegeEscalation",
                  message:
                    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)',
                },
                {
                  check: "capabilities_restricted",
                  message:
                    'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"])',
                },
                {
                  check: "runAsNonRoot",
                  message:
                    'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)',
                },
                {
                  check: "seccompProfile_restricted",
                  message:
                    'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
                },
              ],
            },
          ],
          audited: [],
          warned: [],
        },
      ],
      unlabelled: ["tools"],
      coverage: [],
    });
  });
});
