import { describe, expect, it } from "vitest";
import {
  clusterRole,
  clusterRoleBinding,
  inventory,
  role,
  roleBinding,
  rule,
  serviceAccount,
  urlRule,
} from "./__fixtures__/helpers.js";
import { RBAC_RULES, rbacFindings } from "./findings.js";

const BOOTSTRAP = { "kubernetes.io/bootstrapping": "rbac-defaults" };

const inv = () =>
  inventory([
    serviceAccount("kube-system", "boss"),
    serviceAccount("apps", "web"),
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "controller", namespace: "kube-system" },
      spec: {
        template: {
          metadata: { labels: { app: "c" } },
          spec: { serviceAccountName: "boss", containers: [{ name: "c", image: "registry.k8s.io/c:1" }] },
        },
      },
    },
    clusterRole("admin", [rule("*", "*", "*"), urlRule("*", "*")]),
    clusterRoleBinding("boss", "admin", ["ServiceAccount:kube-system/boss"]),
    clusterRole("secrets", [rule("get,list", "", "secrets")]),
    clusterRoleBinding("auditors", "secrets", ["Group:auditors"]),
    clusterRole("ops", [
      rule("create", "", "pods/exec"),
      rule("impersonate", "", "users"),
      rule("get", "", "nodes/proxy"),
      rule("update", "certificates.k8s.io", "certificatesigningrequests/approval"),
      rule("patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations"),
      rule("create", "", "persistentvolumes"),
    ]),
    clusterRoleBinding("ops", "ops", ["User:ops"]),
    role("apps", "deployer", [
      rule("create,update", "apps", "deployments"),
      rule("create", "", "serviceaccounts/token"),
    ]),
    roleBinding("apps", "deployer", "Role", "deployer", ["ServiceAccount:default", "ServiceAccount:ghost"]),
    roleBinding("apps", "dangling", "Role", "nope", ["User:x"]),
    clusterRoleBinding("masters", "secrets", ["Group:system:masters"]),
    role("apps", "unused", [rule("get", "apps", "*")]),
    // A snapshot's own copy of upstream's cluster-admin: the platform's, not reported.
    clusterRole("cluster-admin", [rule("*", "*", "*"), urlRule("*", "*")], {}, BOOTSTRAP),
  ]);

describe("rbacFindings", () => {
  it("reports cluster-admin bindings, risky grants, wildcards, hygiene and escalation paths", () => {
    const { findings, coverage } = rbacFindings(inv());
    const summary = findings
      .map(
        (f) =>
          `${f.ruleId} ${f.severity} ${f.resource.kind}/${f.resource.namespace ?? ""}/${f.resource.name}`,
      )
      .sort();
    expect(summary).toEqual([
      "PAL-RBAC-001 critical ClusterRoleBinding//boss",
      "PAL-RBAC-002 high ClusterRoleBinding//auditors",
      "PAL-RBAC-002 high ClusterRoleBinding//masters",
      "PAL-RBAC-003 medium Role/apps/unused",
      "PAL-RBAC-004 medium RoleBinding/apps/deployer",
      "PAL-RBAC-005 medium RoleBinding/apps/deployer",
      "PAL-RBAC-006 high ClusterRoleBinding//ops",
      "PAL-RBAC-007 high ClusterRoleBinding//ops",
      "PAL-RBAC-008 high ClusterRoleBinding//ops",
      "PAL-RBAC-009 high ClusterRoleBinding//ops",
      "PAL-RBAC-010 high ClusterRoleBinding//ops",
      "PAL-RBAC-011 critical ClusterRole//admin",
      "PAL-RBAC-011 critical ClusterRole//admin",
      "PAL-RBAC-012 high ClusterRoleBinding//masters",
      "PAL-RBAC-013 medium RoleBinding/apps/deployer",
      "PAL-RBAC-014 medium ClusterRoleBinding//ops",
      "PAL-RBAC-020 low RoleBinding/apps/dangling",
      "PAL-RBAC-021 low RoleBinding/apps/deployer",
      "PAL-RBAC-022 info Role/apps/unused",
      "PAL-RBAC-023 high User//ops",
    ]);
    expect(coverage).toEqual([]);
    const secrets = findings.find((f) => f.ruleId === "PAL-RBAC-002" && f.resource.name === "auditors");
    expect(secrets).toEqual({
      id: secrets?.id,
      ruleId: "PAL-RBAC-002",
      title: "Read access to Secrets cluster-wide",
      severity: "high",
      resource: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", name: "auditors" },
      location: undefined,
      fieldPath: undefined,
      evidence: 'ClusterRole secrets rules[0] {APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}',
      message:
        "ClusterRoleBinding auditors (ClusterRole secrets) lets Group auditors read Secrets in every namespace cluster-wide",
      remediation: "Grant Secret access per namespace and, where possible, per resourceName.",
      compliance: [
        { framework: "cis", id: "5.1.2", title: "Minimize access to secrets" },
        { framework: "nsa", id: "Role-based access control", title: "Authentication and authorization" },
      ],
      category: "rbac",
      discriminator: undefined,
    });
    expect(secrets?.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("escalation findings name the steps", () => {
    const f = rbacFindings(inv()).findings.find((x) => x.ruleId === "PAL-RBAC-023");
    expect(f?.message).toBe(
      'User ops can reach cluster-admin in 1 step(s): 1. [exec-into-pod] create pods/exec in namespace kube-system; use the token mounted in a pod running as boss → ServiceAccount:kube-system/boss 2. [grant] ClusterRoleBinding boss → ClusterRole admin grants {APIGroups:["*"], Resources:["*"], Verbs:["*"]} cluster-wide',
    );
  });

  it("is deterministic and every rule id is in the catalogue", () => {
    const a = rbacFindings(inv()).findings;
    const b = rbacFindings(inv()).findings;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const ids = new Set(RBAC_RULES.map((r) => r.id));
    expect(a.filter((f) => !ids.has(f.ruleId))).toEqual([]);
  });
});

describe("PAL-RBAC-015: read every Secret in a namespace", () => {
  const ids = (objs: Record<string, unknown>[]) =>
    rbacFindings(inventory(objs))
      .findings.filter((f) => f.ruleId === "PAL-RBAC-015" || f.ruleId === "PAL-RBAC-002")
      .map((f) => [f.ruleId, f.severity, f.resource.name, f.evidence]);

  it("fires for get, list or watch on secrets without resourceNames, directly or through `*`", () => {
    expect(
      ids([
        role("app", "reader", [rule("get", "", "configmaps"), rule("list", "", "secrets")]),
        roleBinding("app", "reader", "Role", "reader", ["ServiceAccount:app/web"]),
        role("app", "wild", [rule("watch", "*", "*")]),
        roleBinding("app", "wild", "Role", "wild", ["User:w"]),
      ]),
    ).toEqual([
      [
        "PAL-RBAC-015",
        "high",
        "reader",
        'Role reader rules[1] {APIGroups:[""], Resources:["secrets"], Verbs:["list"]}',
      ],
      [
        "PAL-RBAC-015",
        "high",
        "wild",
        'Role wild rules[0] {APIGroups:["*"], Resources:["*"], Verbs:["watch"]}',
      ],
    ]);
  });

  it("not for named Secrets, other verbs, or a ClusterRoleBinding (cluster-wide is PAL-RBAC-002)", () => {
    expect(
      ids([
        role("app", "one", [rule("get,list,watch", "", "secrets", "tls")]),
        roleBinding("app", "one", "Role", "one", ["User:a"]),
        role("app", "writer", [rule("create,delete", "", "secrets")]),
        roleBinding("app", "writer", "Role", "writer", ["User:b"]),
        clusterRole("all-secrets", [rule("get", "", "secrets")]),
        clusterRoleBinding("all-secrets", "all-secrets", ["User:c"]),
      ]),
    ).toEqual([
      [
        "PAL-RBAC-002",
        "high",
        "all-secrets",
        'ClusterRole all-secrets rules[0] {APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
      ],
    ]);
  });
});

describe("the bootstrapping label alone does not hide an object", () => {
  it("a labelled binding that upstream does not create (a copied label) is reported; upstream's own is not", () => {
    const labelled = (o: ReturnType<typeof clusterRoleBinding>) => ({
      ...o,
      metadata: { ...o.metadata, labels: BOOTSTRAP },
    });
    const f = rbacFindings(
      inventory([
        clusterRole("cluster-admin", [rule("*", "*", "*"), urlRule("*", "*")], {}, BOOTSTRAP),
        labelled(clusterRoleBinding("cluster-admin", "cluster-admin", ["Group:system:masters"])),
        labelled(clusterRoleBinding("system:backdoor", "cluster-admin", ["ServiceAccount:tools/runner"])),
        labelled(
          clusterRoleBinding("system:kube-scheduler", "cluster-admin", ["User:system:kube-scheduler"]),
        ),
        clusterRole("system:node-proxier", [rule("*", "*", "*")], {}, BOOTSTRAP),
      ]),
    ).findings;
    expect(f.map((x) => [x.ruleId, x.resource.name]).sort()).toEqual([
      ["PAL-RBAC-001", "system:backdoor"],
      ["PAL-RBAC-001", "system:kube-scheduler"],
      ["PAL-RBAC-011", "system:node-proxier"],
    ]);
  });
});
