import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const FIXTURE = fileURLToPath(new URL("./__fixtures__/rbac/cluster.yaml", import.meta.url));

const run = (argv: string[]) => runCli(argv, { now: new Date("2026-01-01T00:00:00Z") });
/**
 * These suites pin the authorizer's semantics over the fixture alone (which defines its own cluster-admin), so
 * they turn the bootstrap defaults off; "bootstrap defaults" below tests them. The fixture also holds one invalid
 * ClusterRole on purpose, which makes every run incomplete (exit 2): the tests of answers accept that with
 * --allow-partial; "an incomplete run exits 2" below checks the default.
 */
const cli = (argv: string[]) =>
  run(argv[0] === "rbac" ? [...argv, "--no-default-roles", "--allow-partial"] : argv);

const RB = "rbac.authorization.k8s.io/v1";
// Coverage warnings name the file and line of the object they are about.
const INVALID =
  `palisade: warning: invalid: ${FIXTURE}:93: ` +
  "ClusterRole broken is invalid and was not evaluated (the API server would reject it): rules[0].verbs: verbs must contain at least one value\n" +
  "palisade: incomplete: 1 input not evaluated (--allow-partial: exit code as if complete)\n";

describe("palisade rbac: incomplete input", () => {
  it("an incomplete run exits 2 unless --allow-partial, and an input with no object is refused", async () => {
    const argv = ["rbac", "can-i", "get", "pods", "--as", "alice", "-n", "kube-system", "-f", FIXTURE];
    const strict = await runCli(argv);
    expect([strict.code, strict.stderr.split("\n").at(-2)]).toEqual([
      2,
      "palisade: incomplete: 1 input not evaluated; exit 2 (--allow-partial to accept a partial result)",
    ]);
    const empty = await runCli(["rbac", "who-can", "get", "pods", "-f", "-"], { stdin: "# nothing\n" });
    expect([empty.code, empty.stderr]).toEqual([
      2,
      "palisade: nothing evaluated: no Kubernetes object read (1 file read) from standard input\n",
    ]);
  });
});

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
  it("--to takes cluster-admin only (usage error otherwise)", async () => {
    expect(await cli(["rbac", "paths", "--to", "admin", "-f", FIXTURE])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "palisade: option '--to <target>' argument 'admin' is invalid. Allowed choices are cluster-admin.\n",
    });
  });

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
              binding: {
                apiVersion: RB,
                kind: "RoleBinding",
                name: "ops-in-kube-system",
                namespace: "kube-system",
              },
            },
            {
              mechanism: "grant",
              detail:
                'ClusterRoleBinding controller-admin → ClusterRole cluster-admin grants {APIGroups:["*"], Resources:["*"], Verbs:["*"]} cluster-wide',
              binding: { apiVersion: RB, kind: "ClusterRoleBinding", name: "controller-admin" },
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
              binding: { apiVersion: RB, kind: "ClusterRoleBinding", name: "controller-admin" },
            },
          ],
        },
      ],
    });
  });
});

describe("palisade rbac permissions", () => {
  const EXTRA = fileURLToPath(new URL("./__fixtures__/rbac/extra.yaml", import.meta.url));
  const ref = (kind: string, name: string, namespace?: string) =>
    namespace === undefined ? { apiVersion: RB, kind, name } : { apiVersion: RB, kind, name, namespace };
  const r = (
    verbs: string[],
    apiGroups: string[],
    resources: string[],
    resourceNames: string[] = [],
    nonResourceURLs: string[] = [],
  ) => ({ verbs, apiGroups, resources, resourceNames, nonResourceURLs });
  const deployerIdentity = {
    user: "system:serviceaccount:ci:deployer",
    groups: ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"],
  };
  const ciDeployer = {
    namespace: "ci",
    bindings: [
      {
        binding: ref("RoleBinding", "deployer", "ci"),
        role: ref("Role", "deploy", "ci"),
        rules: [
          r(["get", "create", "update"], ["apps"], ["deployments"]),
          r(["get"], [""], ["configmaps"], ["pipeline"]),
        ],
      },
    ],
  };
  const ghost = {
    binding: ref("RoleBinding", "ghost", "ci"),
    roleRef: { kind: "Role", name: "does-not-exist" },
  };

  it("ServiceAccount: grants per namespace (subject without namespace defaults to the RoleBinding's), inert nonResourceURLs, dangling bindings via its implicit group", async () => {
    const res = await cli([
      "rbac",
      "permissions",
      "--subject",
      "ServiceAccount:ci/deployer",
      "-f",
      FIXTURE,
      "-f",
      EXTRA,
    ]);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(INVALID);
    expect(JSON.parse(res.stdout)).toEqual({
      subject: { kind: "ServiceAccount", namespace: "ci", name: "deployer" },
      identity: deployerIdentity,
      clusterWide: [],
      namespaces: [
        ciDeployer,
        {
          namespace: "payments",
          bindings: [
            {
              binding: ref("RoleBinding", "events", "payments"),
              role: ref("ClusterRole", "health-and-events"),
              rules: [r(["list"], [""], ["events"])],
              inertRules: [r(["get"], [], [], [], ["/healthz"])],
            },
          ],
        },
      ],
      danglingBindings: [ghost],
    });
  });

  it("-n limits to what applies in that namespace; the output is byte-identical across runs", async () => {
    const argv = [
      "rbac",
      "permissions",
      "--subject",
      "serviceaccount:ci/deployer",
      "-n",
      "ci",
      "-f",
      EXTRA,
      "-f",
      FIXTURE,
    ];
    const [a, b] = [await cli(argv), await cli(argv)];
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout)).toEqual({
      subject: { kind: "ServiceAccount", namespace: "ci", name: "deployer" },
      identity: deployerIdentity,
      namespace: "ci",
      clusterWide: [],
      namespaces: [ciDeployer],
      danglingBindings: [ghost],
    });
  });

  it("table: cluster-wide grants first, then per namespace, then dangling bindings", async () => {
    const user = await cli([
      "rbac",
      "permissions",
      "--subject",
      "ServiceAccount:kube-system/controller",
      "-f",
      FIXTURE,
      "-f",
      EXTRA,
      "-o",
      "table",
    ]);
    const sa = await cli([
      "rbac",
      "permissions",
      "--subject",
      "ServiceAccount:ci/deployer",
      "-f",
      FIXTURE,
      "-f",
      EXTRA,
      "-o",
      "table",
    ]);
    expect([user.code, user.stdout, sa.stdout]).toEqual([
      0,
      [
        "SCOPE      BINDING                              ROLE                       RULE",
        '(cluster)  ClusterRoleBinding/controller-admin  ClusterRole/cluster-admin  {APIGroups:["*"], Resources:["*"], Verbs:["*"]}',
        '(cluster)  ClusterRoleBinding/controller-admin  ClusterRole/cluster-admin  {NonResourceURLs:["*"], Verbs:["*"]}',
        "",
      ].join("\n"),
      [
        "SCOPE     BINDING                      ROLE                           RULE",
        'ci        RoleBinding/ci/deployer      Role/ci/deploy                 {APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "create" "update"]}',
        'ci        RoleBinding/ci/deployer      Role/ci/deploy                 {APIGroups:[""], Resources:["configmaps"], ResourceNames:["pipeline"], Verbs:["get"]}',
        'payments  RoleBinding/payments/events  ClusterRole/health-and-events  {APIGroups:[""], Resources:["events"], Verbs:["list"]}',
        'payments  RoleBinding/payments/events  ClusterRole/health-and-events  (inert via RoleBinding) {NonResourceURLs:["/healthz"], Verbs:["get"]}',
        "ci        RoleBinding/ci/ghost         Role/ci/does-not-exist         (missing role: grants nothing)",
        "",
      ].join("\n"),
    ]);
  });

  it("User and Group subjects; names keep their colons; system:masters is reported", async () => {
    const alice = await cli(["rbac", "permissions", "--subject", "User:alice", "-f", FIXTURE]);
    const group = await cli(["rbac", "permissions", "--subject", "Group:system:masters", "-f", FIXTURE]);
    expect([JSON.parse(alice.stdout), JSON.parse(group.stdout)]).toEqual([
      {
        subject: { kind: "User", name: "alice" },
        identity: { user: "alice", groups: ["system:authenticated"] },
        clusterWide: [],
        namespaces: [
          {
            namespace: "kube-system",
            bindings: [
              {
                binding: ref("RoleBinding", "ops-in-kube-system", "kube-system"),
                role: ref("ClusterRole", "pod-manager"),
                rules: [r(["get", "list", "create"], [""], ["pods"]), r(["create"], [""], ["pods/exec"])],
              },
            ],
          },
        ],
        danglingBindings: [],
      },
      {
        subject: { kind: "Group", name: "system:masters" },
        identity: { user: "", groups: ["system:masters"] },
        privilegedGroup: "system:masters",
        clusterWide: [],
        namespaces: [],
        danglingBindings: [],
      },
    ]);
  });

  it("usage errors exit 2", async () => {
    const cases = [
      ["rbac", "permissions", "-f", FIXTURE],
      ["rbac", "permissions", "--subject", "alice", "-f", FIXTURE],
      ["rbac", "permissions", "--subject", "ServiceAccount:deployer", "-f", FIXTURE],
      ["rbac", "permissions", "--subject", "ServiceAccount:CI/deployer", "-f", FIXTURE],
      ["rbac", "permissions", "--subject", "Robot:x", "-f", FIXTURE],
      ["rbac", "permissions", "--subject", "User:alice", "-f", FIXTURE, "-o", "yaml"],
    ];
    const out = [];
    for (const argv of cases) {
      const res = await cli(argv);
      out.push([res.code, res.stdout, res.stderr]);
    }
    expect(out).toEqual([
      [2, "", "palisade: --subject KIND:[NS/]NAME is required\n"],
      [
        2,
        "",
        'palisade: --subject: expected KIND:[NS/]NAME with KIND User, Group or ServiceAccount, got "alice"\n',
      ],
      [
        2,
        "",
        'palisade: --subject: a ServiceAccount subject needs its namespace: ServiceAccount:NAMESPACE/NAME, got "ServiceAccount:deployer"\n',
      ],
      [2, "", 'palisade: --subject: "CI" is not a valid namespace name (DNS-1123 label)\n'],
      [
        2,
        "",
        'palisade: --subject: expected KIND:[NS/]NAME with KIND User, Group or ServiceAccount, got "Robot:x"\n',
      ],
      [
        2,
        "",
        "palisade: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are json, table.\n",
      ],
    ]);
  });
});

describe("bootstrap defaults: built-in roles exist as in every real cluster", () => {
  const fx = (name: string) => fileURLToPath(new URL(`./__fixtures__/rbac/${name}`, import.meta.url));
  const CHART = fx("ingress-nginx-rendered.yaml");
  const TRAINING = fx("training-edit.yaml");
  const ALICE = fx("alice-edit-ingress.yaml");
  const WIDGETS = fx("widgets-aggregate-to-edit.yaml");
  const OVERRIDE = fx("cluster-admin-override.yaml");
  const SA = "system:serviceaccount:ingress-nginx:ingress-nginx";
  const ASSUMED =
    "palisade: warning: assumed: assumed the API server's bootstrap RBAC policy of Kubernetes v1.37 (the newest modelled; --kube-version selects another): 73 ClusterRoles, 54 ClusterRoleBindings, 7 Roles, 7 RoleBindings. --no-default-roles analyses the input alone\n";
  interface JsonFinding {
    ruleId: string;
    severity: string;
    resource: { kind: string; name: string };
    location?: { file: string; line: number };
  }
  const scan = async (args: string[]) => {
    const r = await run(["scan", ...args, "-o", "json"]);
    const report = JSON.parse(r.stdout) as {
      findings: JsonFinding[];
      coverage: { reason: string; message: string }[];
    };
    return {
      rbac: report.findings
        .filter((f) => f.ruleId.startsWith("PAL-RBAC"))
        .map((f) => [f.ruleId, f.severity, `${f.resource.kind}/${f.resource.name}`, f.location?.line]),
      findings: report.findings,
      coverage: report.coverage,
    };
  };

  it("a Helm chart's ServiceAccount bound to cluster-admin is CRITICAL, not 'role does not exist'; --no-default-roles restores the old answer", async () => {
    const withDefaults = await scan([CHART]);
    expect(withDefaults.rbac).toEqual([["PAL-RBAC-001", "critical", "ClusterRoleBinding/ingress-nginx", 19]]);
    expect(withDefaults.coverage.filter((c) => c.reason === "assumed").map((c) => c.message)).toEqual([
      ASSUMED.replace("palisade: warning: assumed: ", "").trimEnd(),
    ]);
    const alone = await scan([CHART, "--no-default-roles"]);
    expect(alone.rbac).toEqual([["PAL-RBAC-020", "low", "ClusterRoleBinding/ingress-nginx", 33]]);
    expect(alone.coverage.filter((c) => c.reason === "assumed")).toEqual([]);
  });

  it("a snapshot carrying upstream's own bootstrap policy: nothing assumed, no finding about it", async () => {
    const upstream = fileURLToPath(
      new URL("../../../core/rbac/__fixtures__/bootstrap-upstream/v1.37.0/", import.meta.url),
    );
    const r = await scan([upstream]);
    expect(r.rbac).toEqual([]);
    expect(r.coverage).toEqual([]);
  });

  it("the table lists the assumption without counting it as a coverage gap", async () => {
    const r = await run(["scan", CHART]);
    expect(r.stdout).toContain("Coverage: 1 item (1 assumed)\n  assumed ");
    expect(r.stdout).toContain("0 suppressed, 0 coverage gaps\n");
  });

  it("can-i answers yes through the bootstrap cluster-admin role, exit 0; no with --no-default-roles, exit 1", async () => {
    const yes = await run(["rbac", "can-i", "list", "secrets", "--as", SA, "-f", CHART, "-o", "text"]);
    expect(yes).toEqual({
      code: 0,
      stderr: ASSUMED,
      stdout:
        'yes\n  ClusterRoleBinding/ingress-nginx -> ClusterRole/cluster-admin {APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n',
    });
    const no = await run([
      "rbac",
      "can-i",
      "list",
      "secrets",
      "--as",
      SA,
      "-f",
      CHART,
      "-o",
      "text",
      "--no-default-roles",
    ]);
    expect(no).toEqual({ code: 1, stderr: "", stdout: "no\n" });
  });

  it("who-can lists system:masters through the bootstrap cluster-admin binding", async () => {
    const r = await run(["rbac", "who-can", "delete", "nodes", "-f", CHART]);
    expect(r.code).toBe(0);
    const { subjects } = JSON.parse(r.stdout) as {
      subjects: {
        kind: string;
        name: string;
        via: { binding: { name: string }; role: { name: string } }[];
      }[];
    };
    expect(
      subjects
        .filter((x) => x.via.some((v) => v.role.name === "cluster-admin"))
        .map((x) => [x.kind, x.name, x.via.map((v) => v.binding.name)]),
    ).toEqual([
      ["Group", "system:masters", ["cluster-admin"]],
      ["ServiceAccount", "ingress-nginx", ["ingress-nginx"]],
    ]);
  });

  it("paths --to cluster-admin finds the chart's ServiceAccount and a developer with edit in its namespace", async () => {
    const r = await run(["rbac", "paths", "-f", CHART, "-f", ALICE]);
    const { paths } = JSON.parse(r.stdout) as {
      paths: {
        subject: { kind: string; name: string };
        steps: { mechanism: string; binding?: { name: string } }[];
        builtin?: boolean;
      }[];
    };
    const of = (kind: string, name: string) =>
      paths.find((p) => p.subject.kind === kind && p.subject.name === name);
    expect(of("ServiceAccount", "ingress-nginx")?.steps).toEqual([
      expect.objectContaining({
        mechanism: "grant",
        binding: expect.objectContaining({ name: "ingress-nginx" }),
      }),
    ]);
    expect(of("User", "alice")?.steps.map((s) => [s.mechanism, s.binding?.name])).toEqual([
      ["create-token", "alice-edit"],
      ["grant", "ingress-nginx"],
    ]);
    expect(of("Group", "system:masters")?.steps.map((s) => s.mechanism)).toEqual(["grant"]);
    // Subjects only the bootstrap policy names are marked; the input's are not.
    expect([of("Group", "system:masters")?.builtin, of("User", "alice")?.builtin]).toEqual([true, undefined]);
    const alone = await run(["rbac", "paths", "-f", CHART, "-f", ALICE, "--no-default-roles"]);
    expect(JSON.parse(alone.stdout)).toEqual({ paths: [] });
  });

  it("a training scenario bound to edit: reads every Secret of its namespace (PAL-RBAC-015); no finding about the defaults", async () => {
    const r = await scan([TRAINING]);
    expect(r.rbac).toEqual([
      ["PAL-RBAC-004", "medium", "RoleBinding/big-monolith-edit", 13],
      ["PAL-RBAC-006", "high", "RoleBinding/big-monolith-edit", 13],
      ["PAL-RBAC-007", "high", "RoleBinding/big-monolith-edit", 13],
      ["PAL-RBAC-013", "medium", "RoleBinding/big-monolith-edit", 13],
      ["PAL-RBAC-015", "high", "RoleBinding/big-monolith-edit", 13],
    ]);
    expect(r.findings.every((f) => f.location?.file === TRAINING)).toBe(true);
    const canRead = await run([
      "rbac",
      "can-i",
      "list",
      "secrets",
      "--as",
      "system:serviceaccount:big-monolith:big-monolith-sa",
      "-n",
      "big-monolith",
      "-f",
      TRAINING,
    ]);
    expect(canRead.code).toBe(0);
  });

  it("a user ClusterRole labelled aggregate-to-edit extends the built-in edit role", async () => {
    const args = [
      "rbac",
      "can-i",
      "delete",
      "widgets.example.com",
      "--as",
      "system:serviceaccount:big-monolith:big-monolith-sa",
    ];
    const yes = await run([...args, "-n", "big-monolith", "-f", TRAINING, "-f", WIDGETS, "-o", "text"]);
    expect(yes.stdout).toBe(
      'yes\n  RoleBinding/big-monolith/big-monolith-edit -> ClusterRole/edit {APIGroups:["example.com"], Resources:["widgets"], Verbs:["create" "update" "patch" "delete"]}\n',
    );
    const withoutWidgets = await run([...args, "-n", "big-monolith", "-f", TRAINING]);
    expect(withoutWidgets.code).toBe(1);
  });

  it("an input object wins over the default of the same name", async () => {
    const r = await run([
      "rbac",
      "can-i",
      "delete",
      "nodes",
      "--as",
      SA,
      "-f",
      CHART,
      "-f",
      OVERRIDE,
      "-o",
      "text",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("; 1 replaced by input objects of the same name.");
    const s = await scan([CHART, OVERRIDE]);
    expect(s.rbac).toEqual([]);
  });

  it("--kube-version picks the modelled version; a malformed one is a usage error", async () => {
    const old = await run([
      "rbac",
      "can-i",
      "list",
      "secrets",
      "--as",
      SA,
      "-f",
      CHART,
      "--kube-version",
      "v1.20.4",
    ]);
    expect(old.code).toBe(0);
    expect(old.stderr).toContain("bootstrap RBAC policy of Kubernetes v1.20 (--kube-version v1.20.4)");
    const bad = await run([
      "rbac",
      "can-i",
      "list",
      "secrets",
      "--as",
      SA,
      "-f",
      CHART,
      "--kube-version",
      "latest",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --kube-version "latest" (expected v1.N, e.g. v1.30)');
  });

  it("SARIF: every result has a file and line; a User's escalation path points at its first binding", async () => {
    const r = await run(["scan", CHART, ALICE, "-o", "sarif"]);
    const log = JSON.parse(r.stdout) as {
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
        invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[];
      }[];
    };
    const results = log.runs[0]?.results ?? [];
    // The assumption is a note, not a warning.
    const notes = log.runs[0]?.invocations[0]?.toolExecutionNotifications ?? [];
    expect(notes.filter((n) => n.message.text.startsWith("assumed: ")).map((n) => n.level)).toEqual(["note"]);
    expect(results.filter((x) => !x.locations[0]?.physicalLocation).map((x) => x.ruleId)).toEqual([]);
    const path = results.find((x) => x.ruleId === "PAL-RBAC-023");
    expect(path?.locations[0]?.physicalLocation?.artifactLocation.uri).toBe(`file://${ALICE}`);
    expect(path?.locations[0]?.physicalLocation?.region.startLine).toBe(2);
  });
});
