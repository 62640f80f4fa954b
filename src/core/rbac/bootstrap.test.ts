import { describe, expect, it } from "vitest";
import { buildInventory } from "../inventory/index.js";
import {
  clusterRole,
  clusterRoleBinding,
  inventory,
  roleBinding,
  rule,
  serviceAccount,
} from "./__fixtures__/helpers.js";
import {
  BOOTSTRAP_LABEL,
  BOOTSTRAP_MINORS,
  bootstrapObjects,
  parseKubeVersion,
  planDefaultPolicy,
  resolveKubeVersion,
} from "./bootstrap.js";
import { buildRbacIndex } from "./build.js";
import { rbacFindings } from "./findings.js";
import { canI } from "./query.js";

const DEFAULTS = { defaultRoles: {} } as const;
const SA = "system:serviceaccount:ingress-nginx:ingress-nginx";

describe("bootstrap policy data: invariants of every modelled version", () => {
  it("models 1.16 through 1.37, one entry per minor", () => {
    expect(BOOTSTRAP_MINORS).toEqual(Array.from({ length: 22 }, (_, i) => 16 + i));
  });

  for (const minor of BOOTSTRAP_MINORS) {
    it(`v1.${minor}: cluster-admin is * on *, bound to system:masters; admin ⊇ edit ⊇ view by aggregation`, () => {
      const idx = buildRbacIndex(inventory(bootstrapObjects(minor)));
      const cr = (n: string) => idx.clusterRoles.get(n);
      expect(cr("cluster-admin")?.rules).toEqual([
        { verbs: ["*"], apiGroups: ["*"], resources: ["*"], resourceNames: [], nonResourceURLs: [] },
        { verbs: ["*"], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ["*"] },
      ]);
      const crb = idx.bindings.find((b) => b.kind === "ClusterRoleBinding" && b.name === "cluster-admin");
      expect(crb?.subjects).toEqual([{ kind: "Group", name: "system:masters" }]);
      expect(crb?.role?.name).toBe("cluster-admin");
      const text = (n: string) => new Set((cr(n)?.rules ?? []).map((r) => JSON.stringify(r)));
      const [admin, edit, view] = [text("admin"), text("edit"), text("view")];
      expect(view.size).toBeGreaterThan(5);
      expect([...view].filter((r) => !edit.has(r))).toEqual([]);
      expect([...edit].filter((r) => !admin.has(r))).toEqual([]);
      expect(edit.size).toBeGreaterThan(view.size);
      expect(admin.size).toBeGreaterThan(edit.size);
      // No index entry failed validation: every upstream object is valid as the API server defines it.
      expect(idx.coverage).toEqual([]);
      // view never reads Secrets; edit does (upstream's documented split).
      const ask = (role: string, verb: string, resource: string) =>
        canI(
          buildRbacIndex(
            inventory([
              ...bootstrapObjects(minor).filter((o) => o.kind === "ClusterRole"),
              roleBinding("ns", "b", "ClusterRole", role, ["User:u"]),
            ]),
          ),
          { user: "u", groups: [], verb, resource, apiGroup: "", namespace: "ns" },
        ).allowed;
      expect([ask("view", "get", "secrets"), ask("edit", "get", "secrets")]).toEqual([false, true]);
    });
  }
});

describe("parseKubeVersion / resolveKubeVersion", () => {
  it("accepts v1.N, 1.N, patches and build suffixes; rejects the rest", () => {
    expect(
      ["v1.30", "1.30", "v1.30.2", "v1.30.2-gke.1", "v2.0", "1", "latest", "v1.x"].map(parseKubeVersion),
    ).toEqual([30, 30, 30, 30, undefined, undefined, undefined, undefined]);
  });
  it("defaults to the newest; clamps to the modelled range and says so", () => {
    expect(resolveKubeVersion(undefined).minor).toBe(37);
    expect(resolveKubeVersion("v1.24.3")).toEqual({ minor: 24, how: "--kube-version v1.24.3" });
    expect(resolveKubeVersion("v1.99")).toEqual({
      minor: 37,
      how: "--kube-version v1.99 is newer than the newest modelled",
    });
    expect(resolveKubeVersion("v1.9")).toEqual({
      minor: 16,
      how: "--kube-version v1.9 is older than the oldest modelled",
    });
  });
});

describe("planDefaultPolicy", () => {
  const chart = [
    serviceAccount("ingress-nginx", "ingress-nginx"),
    clusterRoleBinding("ingress-nginx", "cluster-admin", ["ServiceAccount:ingress-nginx/ingress-nginx"]),
  ];

  it("without defaults the binding grants nothing (the old answer); with them it is cluster-admin", () => {
    const ask = (opts: Parameters<typeof buildRbacIndex>[1]) =>
      canI(buildRbacIndex(inventory(chart), opts), {
        user: SA,
        groups: [],
        verb: "delete",
        resource: "nodes",
        apiGroup: "",
      }).allowed;
    expect([ask({}), ask({ defaultRoles: false }), ask(DEFAULTS)]).toEqual([false, false, true]);
  });

  it("adds nothing for objects read from a live API server (it has its own bootstrap policy)", () => {
    const inv = buildInventory(chart.map((object) => ({ object, cluster: "prod" })));
    const plan = planDefaultPolicy(inv, {});
    expect(plan.coverage).toEqual([]);
    expect(Object.values(plan.objects).flat()).toEqual([]);
    expect(buildRbacIndex(inv, DEFAULTS).bindings.map((b) => b.name)).toEqual(["ingress-nginx"]);
  });

  it("adds no defaults of a kind the input carries with the bootstrapping label (a full snapshot)", () => {
    const snapshotRole = clusterRole(
      "cluster-admin",
      [rule("*", "*", "*")],
      {},
      { [BOOTSTRAP_LABEL]: "rbac-defaults" },
    );
    const plan = planDefaultPolicy(inventory([...chart, snapshotRole]), { kubeVersion: "v1.30" });
    expect(plan.objects.ClusterRole).toEqual([]);
    expect(plan.objects.ClusterRoleBinding.length).toBeGreaterThan(10);
    expect(plan.coverage[0]?.message).toContain("none of kind ClusterRole, which the input carries");
  });

  it("an input object replaces the default of the same name, and the coverage note says so", () => {
    const mine = clusterRole("cluster-admin", [rule("get", "", "pods")]);
    const idx = buildRbacIndex(inventory([...chart, mine]), { defaultRoles: { kubeVersion: "v1.30.4" } });
    expect(idx.clusterRoles.get("cluster-admin")?.rules.map((r) => r.verbs)).toEqual([["get"]]);
    expect(idx.clusterRoles.get("cluster-admin")?.builtin).toBeUndefined();
    expect(idx.clusterRoles.get("view")?.builtin).toBe(true);
    expect(idx.assumedVersion).toBe("v1.30");
    expect(idx.coverage).toEqual([
      {
        reason: "assumed",
        kind: "ClusterRole",
        subject: "bootstrap RBAC policy",
        message:
          "assumed the API server's bootstrap RBAC policy of Kubernetes v1.30 (--kube-version v1.30.4): 63 ClusterRoles, 45 ClusterRoleBindings, 7 Roles, 7 RoleBindings; 1 replaced by input objects of the same name. --no-default-roles analyses the input alone",
      },
    ]);
  });

  it("without --kube-version, the newest kubelet among the input's Nodes picks the version", () => {
    const node = (name: string, kubeletVersion: string) => ({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name },
      status: { nodeInfo: { kubeletVersion } },
    });
    const nodes = [node("a", "v1.28.5"), node("b", "v1.29.3-eks-1"), node("c", "unknown")];
    expect(planDefaultPolicy(inventory([...chart, ...nodes]), {}).coverage[0]?.message).toContain(
      "of Kubernetes v1.29 (the newest kubelet of the input's Nodes, v1.29.3-eks-1):",
    );
    expect(planDefaultPolicy(inventory([...chart, ...nodes]), { kubeVersion: "v1.31" }).version).toBe(
      "v1.31",
    );
  });

  it("a user ClusterRole labelled aggregate-to-edit extends edit and, through edit, admin", () => {
    const widgets = clusterRole(
      "widgets-edit",
      [rule("create,delete", "example.com", "widgets")],
      {},
      { "rbac.authorization.k8s.io/aggregate-to-edit": "true" },
    );
    const idx = buildRbacIndex(
      inventory([
        widgets,
        roleBinding("team", "editors", "ClusterRole", "edit", ["User:ed"]),
        roleBinding("team", "admins", "ClusterRole", "admin", ["User:ad"]),
        roleBinding("team", "viewers", "ClusterRole", "view", ["User:vi"]),
      ]),
      DEFAULTS,
    );
    const ask = (user: string) =>
      canI(idx, {
        user,
        groups: [],
        verb: "create",
        resource: "widgets",
        apiGroup: "example.com",
        namespace: "team",
      }).allowed;
    expect([ask("ed"), ask("ad"), ask("vi")]).toEqual([true, true, false]);
    // Selected by an aggregation, so not "unused"; the defaults themselves yield no finding at all.
    expect(
      rbacFindings(inventory([widgets]), buildRbacIndex(inventory([widgets]), DEFAULTS)).findings,
    ).toEqual([]);
  });

  it("findings are about the input only: none on the bootstrap objects, none for kube-system controllers' paths", () => {
    const idx = buildRbacIndex(inventory(chart), DEFAULTS);
    const f = rbacFindings(inventory(chart), idx).findings;
    expect(f.map((x) => [x.ruleId, x.severity, x.resource.name])).toEqual([
      ["PAL-RBAC-001", "critical", "ingress-nginx"],
    ]);
  });
});
