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
import { buildRbacIndex } from "./build.js";
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
      // Not upstream's (its rules differ), and bound to nobody: a latent `*`.
      ["PAL-RBAC-024", "system:node-proxier"],
    ]);
  });
});

const STANDARD = "get,list,watch,create,update,patch,delete,deletecollection";

describe("PAL-RBAC-001 on the effective permission, not the literal `*` verb", () => {
  const admin = (objs: Record<string, unknown>[]) =>
    rbacFindings(inventory(objs))
      .findings.filter((f) => f.ruleId === "PAL-RBAC-001" || f.ruleId === "PAL-RBAC-023")
      .map((f) => [f.ruleId, f.resource.name, f.evidence])
      .sort();

  it("fires for every standard verb on `*`/`*`, in one rule or split over several", () => {
    expect(
      admin([
        clusterRole("all-verbs", [rule(STANDARD, "*", "*")]),
        clusterRoleBinding("all-verbs", "all-verbs", ["User:alice"]),
        clusterRole("split", [
          rule("get,list,watch", "*", "*"),
          rule("get", "", "pods"),
          rule("create,update,patch,delete,deletecollection", "*", "*"),
        ]),
        clusterRoleBinding("split", "split", ["Group:ops"]),
      ]),
    ).toEqual([
      [
        "PAL-RBAC-001",
        "all-verbs",
        `{APIGroups:["*"], Resources:["*"], Verbs:[${STANDARD.split(",")
          .map((v) => `"${v}"`)
          .join(" ")}]}`,
      ],
      [
        "PAL-RBAC-001",
        "split",
        '{APIGroups:["*"], Resources:["*"], Verbs:["get" "list" "watch"]} + {APIGroups:["*"], Resources:["*"], Verbs:["create" "update" "patch" "delete" "deletecollection"]}',
      ],
    ]);
  });

  it("not when a verb is missing, a group or resource is listed, or resourceNames restrict", () => {
    expect(
      admin([
        clusterRole("no-dc", [rule("get,list,watch,create,update,patch,delete", "*", "*")]),
        clusterRoleBinding("no-dc", "no-dc", ["User:a"]),
        clusterRole("core-only", [rule(STANDARD, "", "*")]),
        clusterRoleBinding("core-only", "core-only", ["User:b"]),
        clusterRole("listed", [rule(STANDARD, "*", "pods,secrets,deployments")]),
        clusterRoleBinding("listed", "listed", ["User:c"]),
        clusterRole("named", [rule(STANDARD, "*", "*", "x")]),
        clusterRoleBinding("named", "named", ["User:d"]),
      ]),
    ).toEqual([]);
  });

  it("escalation paths end at an admin-equivalent grant too", () => {
    expect(
      admin([
        clusterRole("all-verbs", [rule(STANDARD, "*", "*")]),
        clusterRoleBinding("root", "all-verbs", ["User:root"]),
        clusterRole("imp", [rule("impersonate", "", "users", "root")]),
        clusterRoleBinding("imp", "imp", ["User:mallory"]),
      ]).map(([id, name]) => [id, name]),
    ).toEqual([
      ["PAL-RBAC-001", "root"],
      ["PAL-RBAC-023", "mallory"],
    ]);
  });
});

describe("PAL-RBAC-024: dangerous role bound to nobody", () => {
  const latent = (objs: Record<string, unknown>[]) => {
    // With the bootstrap policy assumed: its `admin`, `edit` and `cluster-admin` grant all of this, unbound.
    const inv = inventory(objs);
    return rbacFindings(inv, buildRbacIndex(inv, { defaultRoles: { kubeVersion: "v1.33" } }))
      .findings.filter((f) => f.ruleId === "PAL-RBAC-024" || f.ruleId === "PAL-RBAC-022")
      .map((f) => [f.ruleId, f.severity, f.resource.kind, f.resource.name, f.fieldPath, f.message])
      .sort();
  };

  it("reports unbound roles granting exec/attach, pod creation, Secret reads, escalate, bind or impersonate", () => {
    expect(
      latent([
        role("app", "shell", [rule("get", "", "pods"), rule("create", "", "pods/exec,pods/attach")]),
        role("app", "runner", [rule("create", "", "pods")]),
        clusterRole("peek", [rule("list", "", "secrets")]),
        clusterRole("power", [
          rule("escalate,bind", "rbac.authorization.k8s.io", "clusterroles"),
          rule("impersonate", "", "users"),
        ]),
        clusterRole("harmless", [rule("get,list", "", "configmaps")]),
      ]),
    ).toEqual([
      [
        "PAL-RBAC-022",
        "info",
        "ClusterRole",
        "harmless",
        undefined,
        "ClusterRole harmless is not referenced by any binding",
      ],
      [
        "PAL-RBAC-024",
        "low",
        "ClusterRole",
        "peek",
        "rules[0]",
        "ClusterRole peek can read Secrets but is bound to nobody; one binding makes it live",
      ],
      [
        "PAL-RBAC-024",
        "low",
        "ClusterRole",
        "power",
        "rules[0]",
        "ClusterRole power can escalate, bind or impersonate but is bound to nobody; one binding makes it live",
      ],
      [
        "PAL-RBAC-024",
        "low",
        "Role",
        "runner",
        "rules[0]",
        "Role app/runner can create pods but is bound to nobody; one binding makes it live",
      ],
      [
        "PAL-RBAC-024",
        "low",
        "Role",
        "shell",
        "rules[1]",
        "Role app/shell can exec or attach into pods but is bound to nobody; one binding makes it live",
      ],
    ]);
  });

  it("not for bound roles: a ClusterRole bound only by RoleBindings, a role aggregated into a bound or platform role, builtin policy", () => {
    const aggregated = (name: string, label: string) =>
      clusterRole(name, [rule("get", "", "secrets")], {}, { [label]: "true" });
    expect(
      latent([
        clusterRole("ns-secrets", [rule("get", "", "secrets")]),
        roleBinding("app", "ns-secrets", "ClusterRole", "ns-secrets", ["User:a"]),
        clusterRole("parent", [], {
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "example.com/parent": "true" } }] },
        }),
        clusterRoleBinding("parent", "parent", ["User:b"]),
        aggregated("child", "example.com/parent"),
        // Upstream's `admin` (assumed from the bootstrap policy) aggregates this one.
        aggregated("to-admin", "rbac.authorization.k8s.io/aggregate-to-admin"),
        // An aggregator nobody binds: both it and its member are latent.
        clusterRole("lonely", [], {
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "example.com/lonely": "true" } }] },
        }),
        aggregated("lonely-child", "example.com/lonely"),
      ]).map(([id, , , name]) => [id, name]),
    ).toEqual([
      ["PAL-RBAC-024", "lonely"],
      ["PAL-RBAC-024", "lonely-child"],
    ]);
  });
});
