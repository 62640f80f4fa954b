import { describe, expect, it } from "vitest";
import {
  clusterRole,
  clusterRoleBinding,
  inventory,
  role,
  roleBinding,
  rule,
  serviceAccount,
} from "./__fixtures__/helpers.js";
import { buildRbacIndex } from "./build.js";
import { escalationPaths } from "./escalation.js";

const ADMIN = [rule("*", "*", "*")];
const ADMIN_GRANT =
  'ClusterRoleBinding admin → ClusterRole admin grants {APIGroups:["*"], Resources:["*"], Verbs:["*"]} cluster-wide';
const base = [
  clusterRole("admin", ADMIN),
  clusterRoleBinding("admin", "admin", ["ServiceAccount:kube-system/boss"]),
  serviceAccount("kube-system", "boss"),
];
const paths = (objs: Record<string, unknown>[]) => escalationPaths(buildRbacIndex(inventory(objs)));
const RB = "rbac.authorization.k8s.io/v1";
/** Every step taken by a binding subject names the binding behind it (SARIF points at it). */
const ADMIN_BINDING = { apiVersion: RB, kind: "ClusterRoleBinding", name: "admin" };

describe("escalationPaths", () => {
  it("direct grant is a one-step path", () => {
    expect(paths(base)).toEqual([
      {
        subject: { kind: "ServiceAccount", name: "boss", namespace: "kube-system" },
        steps: [{ mechanism: "grant", detail: ADMIN_GRANT, binding: ADMIN_BINDING }],
      },
    ]);
  });

  it("create deployments in a namespace → run as its ServiceAccount", () => {
    const out = paths([
      ...base,
      role("kube-system", "deploy", [rule("create", "apps", "deployments")]),
      roleBinding("kube-system", "d", "Role", "deploy", ["User:dev"]),
    ]);
    expect(out[0]).toEqual({
      subject: { kind: "User", name: "dev" },
      steps: [
        {
          mechanism: "create-pod-as-sa",
          detail: "create deployments.apps in namespace kube-system; run a pod with serviceAccountName boss",
          to: "ServiceAccount:kube-system/boss",
          binding: { apiVersion: RB, kind: "RoleBinding", name: "d", namespace: "kube-system" },
        },
        { mechanism: "grant", detail: ADMIN_GRANT, binding: ADMIN_BINDING },
      ],
    });
  });

  it("impersonating system:masters, and impersonating a named user", () => {
    const out = paths([
      ...base,
      clusterRole("imp-masters", [
        rule("impersonate", "", "groups", "system:masters"),
        rule("impersonate", "", "users", "mallory"),
      ]),
      clusterRole("imp-boss", [rule("impersonate", "", "serviceaccounts", "boss")]),
      clusterRoleBinding("m", "imp-masters", ["User:mallory"]),
      roleBinding("kube-system", "b", "ClusterRole", "imp-boss", ["User:eve"]),
    ]);
    expect(out.map((p) => [p.subject.name, p.steps.map((s) => s.mechanism)])).toEqual([
      ["eve", ["impersonate", "grant"]],
      ["mallory", ["impersonate", "grant"]],
      ["boss", ["grant"]],
    ]);
    expect(out[1]?.steps[1]).toEqual({
      mechanism: "grant",
      detail: "member of system:masters (privileged group authorizer, no RBAC needed)",
    });
    expect(out[1]?.steps[0]?.binding).toEqual({ apiVersion: RB, kind: "ClusterRoleBinding", name: "m" });
    // The texts of edges into a subject are made from the subject when a path takes them.
    expect(out.map((p) => p.steps[0]?.detail)).toEqual([
      "impersonate serviceaccount kube-system/boss",
      "impersonate group system:masters",
      ADMIN_GRANT,
    ]);
  });

  it("impersonating a user or a group that holds cluster-admin names them in the step", () => {
    const out = paths([
      ...base,
      clusterRoleBinding("root", "admin", ["User:root", "Group:ops"]),
      clusterRole("imp-root", [rule("impersonate", "", "users", "root")]),
      clusterRole("imp-ops", [
        rule("impersonate", "", "groups", "ops"),
        rule("impersonate", "", "serviceaccounts", "nobody"),
      ]),
      clusterRoleBinding("r", "imp-root", ["User:eve"]),
      clusterRoleBinding("o", "imp-ops", ["User:oscar"]),
    ]);
    const first = Object.fromEntries(out.map((p) => [p.subject.name, p.steps[0]?.detail]));
    expect(first.eve).toBe("impersonate user root");
    expect(first.oscar).toBe("impersonate group ops");
  });

  it("impersonating a group needs impersonate on some user or ServiceAccount too", () => {
    // impersonation.go buildImpersonationRequests: "requested ... without impersonating a user" is a BadRequest,
    // and WithImpersonation authorizes the user (or ServiceAccount) request as well as each group.
    const masters = clusterRole("imp-masters", [rule("impersonate", "", "groups", "system:masters")]);
    const self = clusterRole("imp-self", [rule("impersonate", "", "users", "trudy")]);
    const ns = clusterRole("imp-ns-sa", [rule("impersonate", "", "serviceaccounts")]);
    const usersInNs = clusterRole("imp-users", [rule("impersonate", "", "users")]);
    const mechanisms = (objs: Record<string, unknown>[]) =>
      paths([...base, ...objs]).map((p) => [p.subject.name, p.steps.map((s) => s.mechanism)]);
    expect([
      mechanisms([masters, clusterRoleBinding("m", "imp-masters", ["User:mallory"])]),
      mechanisms([
        masters,
        self,
        clusterRoleBinding("m", "imp-masters", ["User:trudy"]),
        clusterRoleBinding("s", "imp-self", ["User:trudy"]),
      ]),
      mechanisms([
        masters,
        ns,
        clusterRoleBinding("m", "imp-masters", ["User:sam"]),
        roleBinding("dev", "s", "ClusterRole", "imp-ns-sa", ["User:sam"]),
      ]),
      // users are cluster-scoped: a RoleBinding cannot grant impersonate on them
      mechanisms([
        masters,
        usersInNs,
        clusterRoleBinding("m", "imp-masters", ["User:rita"]),
        roleBinding("dev", "u", "ClusterRole", "imp-users", ["User:rita"]),
      ]),
    ]).toEqual([
      [["boss", ["grant"]]],
      [
        ["trudy", ["impersonate", "grant"]],
        ["boss", ["grant"]],
      ],
      [
        ["sam", ["impersonate", "grant"]],
        ["boss", ["grant"]],
      ],
      [["boss", ["grant"]]],
    ]);
  });

  it("bind needs both `bind` on the role and create on the binding kind", () => {
    const binder = clusterRole("binder", [
      rule("bind", "rbac.authorization.k8s.io", "clusterroles", "admin"),
      rule("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
    ]);
    const onlyBind = clusterRole("only-bind", [rule("bind", "rbac.authorization.k8s.io", "clusterroles")]);
    const out = paths([
      ...base,
      binder,
      onlyBind,
      clusterRoleBinding("b1", "binder", ["User:b"]),
      clusterRoleBinding("b2", "only-bind", ["User:c"]),
    ]);
    expect(out.map((p) => [p.subject.name, p.steps.map((s) => `${s.mechanism}:${s.detail}`)])).toEqual([
      [
        "b",
        [
          "bind:bind ClusterRole admin with a new ClusterRoleBinding",
          'grant:ClusterRole admin bound cluster-wide grants {APIGroups:["*"], Resources:["*"], Verbs:["*"]}',
        ],
      ],
      ["boss", [`grant:${ADMIN_GRANT}`]],
    ]);
  });

  it("escalate + update on a ClusterRole bound to oneself cluster-wide", () => {
    const self = clusterRole("self-editor", [
      rule("escalate,update", "rbac.authorization.k8s.io", "clusterroles", "self-editor"),
    ]);
    const out = paths([self, clusterRoleBinding("s", "self-editor", ["User:x"])]);
    expect(out).toEqual([
      {
        subject: { kind: "User", name: "x" },
        steps: [
          {
            mechanism: "escalate",
            detail: "escalate + update ClusterRole self-editor, bound cluster-wide, to allow everything",
            to: "cluster-admin-equivalent",
            binding: { apiVersion: RB, kind: "ClusterRoleBinding", name: "s" },
          },
          { mechanism: "grant", detail: "a ClusterRole bound cluster-wide rewritten to allow everything" },
        ],
      },
    ]);
  });

  it("reading a legacy token Secret and TokenRequest", () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: {
        name: "boss-token",
        namespace: "kube-system",
        annotations: { "kubernetes.io/service-account.name": "boss" },
      },
    };
    const out = paths([
      ...base,
      secret,
      role("kube-system", "read-one", [rule("get", "", "secrets", "boss-token")]),
      role("kube-system", "token", [rule("create", "", "serviceaccounts/token")]),
      roleBinding("kube-system", "r", "Role", "read-one", ["User:reader"]),
      roleBinding("kube-system", "t", "Role", "token", ["User:minter"]),
    ]);
    expect(out.map((p) => [p.subject.name, p.steps[0]?.mechanism, p.steps[0]?.detail])).toEqual([
      ["minter", "create-token", "create serviceaccounts/token for kube-system/boss"],
      ["reader", "read-secret", "read token Secret kube-system/boss-token"],
      ["boss", "grant", ADMIN_GRANT],
    ]);
  });

  it("CSR approval needs create, approval update and approve on the kube-apiserver-client signer", () => {
    const csr = clusterRole("csr", [
      rule("create", "certificates.k8s.io", "certificatesigningrequests"),
      rule("update", "certificates.k8s.io", "certificatesigningrequests/approval"),
      rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client"),
    ]);
    const partial = clusterRole("csr-partial", [
      rule("update", "certificates.k8s.io", "certificatesigningrequests/approval"),
    ]);
    const out = paths([
      csr,
      partial,
      clusterRoleBinding("c", "csr", ["User:approver"]),
      clusterRoleBinding("p", "csr-partial", ["User:half"]),
    ]);
    expect(out.map((p) => [p.subject.name, p.steps.map((s) => s.mechanism)])).toEqual([
      ["approver", ["csr-approve", "grant"]],
    ]);
  });

  it("no path when nothing reaches admin; pods in another namespace do not help", () => {
    expect(
      paths([
        ...base,
        role("dev", "deploy", [rule("create", "", "pods")]),
        roleBinding("dev", "d", "Role", "deploy", ["User:dev"]),
      ]).map((p) => p.subject.name),
    ).toEqual(["boss"]);
  });

  it("the node budget is reported as coverage, never a silent pass", () => {
    const idx = buildRbacIndex(inventory(base));
    escalationPaths(idx, { maxNodes: 1 });
    expect(idx.coverage).toEqual([
      { reason: "limit", message: "escalation graph exceeded 1 nodes; some paths may be missing" },
    ]);
  });
});
