import { describe, expect, it } from "vitest";
import { parseManifestText } from "../../adapters/manifests/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { InventoryReaders } from "../inventory/index.js";
import { rbacCanI, rbacEscalationPaths, rbacPermissions, rbacWhoCan } from "./index.js";

const MANIFESTS = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gone}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
`;

/** Manifests from memory through the real parser. */
const readers: InventoryReaders = {
  manifests: async (paths) => ({
    ...parseManifestText(MANIFESTS, paths[0] ?? "rbac.yaml"),
    files: paths.length,
  }),
};

const base = { sources: { manifests: ["rbac.yaml"] }, build: { defaultRoles: false as const } };
const ROLE = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", namespace: "shop", name: "reader" };
const BINDING = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  namespace: "shop",
  name: "read-pods",
};
const RULE = { apiGroups: [""], resources: ["pods"], verbs: ["get"], resourceNames: [], nonResourceURLs: [] };

describe("rbac service", () => {
  it("answers can-i with the granting binding, and calls the loaded hook once", async () => {
    const hooked: number[] = [];
    const result = await rbacCanI(
      {
        ...base,
        request: {
          user: "alice",
          groups: [],
          verb: "get",
          resource: "pods",
          apiGroup: "",
          namespace: "shop",
        },
      },
      { readers },
      { loaded: (l) => hooked.push(l.inventory.objects.length) },
    );
    expect(hooked).toEqual([3]);
    expect(result).toEqual({
      answer: { allowed: true, reasons: [{ binding: BINDING, role: ROLE, rule: RULE }] },
      coverage: [],
    });
  });

  it("answers who-can", async () => {
    const result = await rbacWhoCan(
      { ...base, request: { verb: "get", resource: "pods", apiGroup: "", namespace: "shop" } },
      { readers },
    );
    expect(result).toEqual({
      answer: {
        subjects: [
          { kind: "Group", name: "system:masters", via: [] },
          { kind: "User", name: "alice", via: [{ binding: BINDING, role: ROLE }] },
        ],
      },
      coverage: [],
    });
  });

  it("reports a subject's permissions, with the binding to a missing role", async () => {
    const result = await rbacPermissions(
      { ...base, subject: { kind: "User", name: "alice" }, namespace: "shop" },
      { readers },
    );
    expect(result).toEqual({
      answer: {
        subject: { kind: "User", name: "alice" },
        identity: { user: "alice", groups: ["system:authenticated"] },
        namespace: "shop",
        clusterWide: [],
        namespaces: [{ namespace: "shop", bindings: [{ binding: BINDING, role: ROLE, rules: [RULE] }] }],
        danglingBindings: [
          { binding: { ...BINDING, name: "dangling" }, roleRef: { kind: "Role", name: "gone" } },
        ],
      },
      coverage: [],
    });
  });

  it("finds no escalation path without powerful grants", async () => {
    expect(await rbacEscalationPaths({ ...base, to: "cluster-admin" }, { readers })).toEqual({
      answer: [],
      coverage: [],
    });
  });

  it("stops when the loaded hook throws", async () => {
    const stop = new PalisadeError("USAGE", "no objects");
    await expect(
      rbacEscalationPaths(
        { ...base, to: "cluster-admin" },
        { readers },
        {
          loaded: () => {
            throw stop;
          },
        },
      ),
    ).rejects.toBe(stop);
  });
});
