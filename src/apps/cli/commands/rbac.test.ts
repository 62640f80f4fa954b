import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const FIXTURE = fileURLToPath(new URL("./__fixtures__/rbac/cluster.yaml", import.meta.url));

const cli = (argv: string[]) => runCli(argv, { now: new Date("2026-01-01T00:00:00Z") });

const RB = "rbac.authorization.k8s.io/v1";
const INVALID =
  "palisade: warning: invalid: ClusterRole broken is invalid and was not evaluated (the API server would reject it): rules[0].verbs: verbs must contain at least one value\n";

describe("palisade rbac can-i", () => {
  it("allows through a RoleBinding to a ClusterRole in its namespace, exit 0, with reasons", async () => {
    const r = await cli([
      "rbac",
      "can-i",
      "create",
      "pods",
      "--subresource",
      "exec",
      "--as",
      "alice",
      "-n",
      "kube-system",
      "-f",
      FIXTURE,
    ]);
    expect(r).toEqual({
      code: 0,
      stderr: INVALID,
      stdout: `${JSON.stringify(
        {
          allowed: true,
          reasons: [
            {
              binding: {
                apiVersion: RB,
                kind: "RoleBinding",
                name: "ops-in-kube-system",
                namespace: "kube-system",
              },
              role: { apiVersion: RB, kind: "ClusterRole", name: "pod-manager" },
              rule: {
                verbs: ["create"],
                apiGroups: [""],
                resources: ["pods/exec"],
                resourceNames: [],
                nonResourceURLs: [],
              },
            },
          ],
        },
        null,
        2,
      )}\n`,
    });
  });

  it("denies outside the binding's namespace with exit 1", async () => {
    const r = await cli([
      "rbac",
      "can-i",
      "create",
      "pods",
      "--as",
      "alice",
      "-n",
      "default",
      "-f",
      FIXTURE,
      "-o",
      "text",
    ]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "no\n" });
  });

  it("resolves deployments to the apps group and ServiceAccount subjects without namespace", async () => {
    const r = await cli([
      "rbac",
      "can-i",
      "update",
      "deployments",
      "--as",
      "system:serviceaccount:ci:deployer",
      "-n",
      "ci",
      "-f",
      FIXTURE,
      "-o",
      "text",
    ]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({
      code: 0,
      stdout:
        'yes\n  RoleBinding/ci/deployer -> Role/ci/deploy {APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "create" "update"]}\n',
    });
  });

  it("TYPE/NAME honours resourceNames", async () => {
    const yes = await cli([
      "rbac",
      "can-i",
      "get",
      "configmaps/pipeline",
      "--as",
      "x",
      "--as-group",
      "release-managers",
      "-n",
      "ci",
      "-f",
      FIXTURE,
      "-o",
      "text",
    ]);
    const no = await cli([
      "rbac",
      "can-i",
      "get",
      "configmaps/other",
      "--as",
      "x",
      "--as-group",
      "release-managers",
      "-n",
      "ci",
      "-f",
      FIXTURE,
      "-o",
      "text",
    ]);
    expect([yes.code, no.code]).toEqual([0, 1]);
  });

  it("non-resource URLs via ClusterRoleBinding", async () => {
    const r = await cli([
      "rbac",
      "can-i",
      "get",
      "/healthz",
      "--as",
      "system:serviceaccount:kube-system:controller",
      "-f",
      FIXTURE,
      "-o",
      "text",
    ]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({
      code: 0,
      stdout:
        'yes\n  ClusterRoleBinding/controller-admin -> ClusterRole/cluster-admin {NonResourceURLs:["*"], Verbs:["*"]}\n',
    });
  });

  it("usage errors exit 2", async () => {
    const noAs = await cli(["rbac", "can-i", "get", "pods", "-f", FIXTURE]);
    const sub = await cli([
      "rbac",
      "can-i",
      "get",
      "/logs",
      "--subresource",
      "x",
      "--as",
      "a",
      "-f",
      FIXTURE,
    ]);
    const out = await cli(["rbac", "can-i", "get", "pods", "--as", "a", "-f", FIXTURE, "-o", "yaml"]);
    expect([noAs.code, noAs.stderr, sub.code, sub.stderr, out.code]).toEqual([
      2,
      "palisade: --as USER is required (there is no current user offline)\n",
      2,
      "palisade: --subresource can not be used with NonResourceURL\n",
      2,
    ]);
  });
});

describe("palisade rbac who-can", () => {
  it("lists subjects and the bindings granting them", async () => {
    const r = await cli([
      "rbac",
      "who-can",
      "create",
      "deployments.apps",
      "-n",
      "ci",
      "-f",
      FIXTURE,
      "-o",
      "table",
    ]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({
      code: 0,
      stdout: [
        "KIND            NAMESPACE    NAME              BINDING                              ROLE",
        "Group                        release-managers  RoleBinding/ci/deployer              Role/ci/deploy",
        "Group                        system:masters    (privileged group)",
        "ServiceAccount  ci           deployer          RoleBinding/ci/deployer              Role/ci/deploy",
        "ServiceAccount  kube-system  controller        ClusterRoleBinding/controller-admin  ClusterRole/cluster-admin",
        "",
      ].join("\n"),
    });
  });
});

describe("palisade rbac paths", () => {
  it("finds alice -> create pods in kube-system -> controller SA -> cluster-admin", async () => {
    const r = await cli(["rbac", "paths", "-f", FIXTURE]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      paths: [
        {
          subject: { kind: "User", name: "alice" },
          steps: [
            {
              mechanism: "create-pod-as-sa",
              detail: "create pods in namespace kube-system; run a pod with serviceAccountName controller",
              to: "ServiceAccount:kube-system/controller",
            },
            {
              mechanism: "grant",
              detail:
                'ClusterRoleBinding controller-admin → ClusterRole cluster-admin grants {APIGroups:["*"], Resources:["*"], Verbs:["*"]} cluster-wide',
            },
          ],
        },
        {
          subject: { kind: "ServiceAccount", name: "controller", namespace: "kube-system" },
          steps: [
            {
              mechanism: "grant",
              detail:
                'ClusterRoleBinding controller-admin → ClusterRole cluster-admin grants {APIGroups:["*"], Resources:["*"], Verbs:["*"]} cluster-wide',
            },
          ],
        },
      ],
    });
  });
});
