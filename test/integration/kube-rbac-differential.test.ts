import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLiveCluster } from "../../src/adapters/kube/index.js";
import { buildInventory } from "../../src/core/inventory/index.js";
import { buildRbacIndex, canI, type RbacIndex, whoCan } from "../../src/core/rbac/index.js";
import { runCli } from "../support/cli.js";
import { inBatches, kubeTestsEnabled, prng, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * Issue 13: RBAC differential against a real kube-apiserver. Random Roles, ClusterRoles (one aggregated by the real
 * aggregation controller), RoleBindings and ClusterRoleBindings, some to the built-in roles (cluster-admin, admin,
 * edit, view, system:*), are created in the server; then for hundreds of generated requests Palisade's answer
 * (`rbac can-i` / `who-can` over the inventory read from that server) must equal the server's own
 * SubjectAccessReview. The seed is fixed, so a failure is reproducible; it is printed with each mismatch.
 */

const SEED = 0x5eed_13;
const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const NAMESPACES = ["ns-0", "ns-1", "ns-2"];
const USERS = ["u0", "u1", "u2", "u3", "u4", "u5"];
const GROUPS = ["g0", "g1", "g2", "g3"];
const SAS = NAMESPACES.flatMap((ns) => [`${ns}/sa0`, `${ns}/sa1`]);
const API_GROUPS = ["", "apps", "batch", "rbac.authorization.k8s.io", "*"];
const RESOURCES = [
  "pods",
  "pods/log",
  "pods/exec",
  "deployments",
  "deployments/scale",
  "secrets",
  "configmaps",
  "jobs",
  "roles",
  "rolebindings",
  "*",
  "*/scale",
];
const VERBS = [
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "*",
  "impersonate",
  "bind",
  "escalate",
];
const NAMES = ["alpha", "beta"];
const BUILTIN_CLUSTER_ROLES = [
  "cluster-admin",
  "admin",
  "edit",
  "view",
  "system:discovery",
  "system:basic-user",
  "system:auth-delegator",
  "system:node-proxier",
  "system:aggregate-to-edit",
  "system:kube-scheduler",
];
/** Request vocabulary: the generated one plus built-in resources the bootstrap roles grant. */
const REQ_RESOURCES: [string, string][] = [
  ["", "pods"],
  ["", "secrets"],
  ["", "configmaps"],
  ["", "nodes"],
  ["", "namespaces"],
  ["", "serviceaccounts"],
  ["", "events"],
  ["", "endpoints"],
  ["apps", "deployments"],
  ["apps", "statefulsets"],
  ["batch", "jobs"],
  ["rbac.authorization.k8s.io", "roles"],
  ["rbac.authorization.k8s.io", "clusterroles"],
  ["rbac.authorization.k8s.io", "rolebindings"],
  ["coordination.k8s.io", "leases"],
  ["authentication.k8s.io", "tokenreviews"],
  ["policy", "poddisruptionbudgets"],
];
const REQ_SUBRESOURCES = ["", "", "", "log", "exec", "scale", "status", "token", "proxy"];
const REQ_VERBS = [
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "impersonate",
  "bind",
  "escalate",
  "proxy",
];
const NON_RESOURCE = [
  "/healthz",
  "/healthz/ping",
  "/metrics",
  "/logs/kube.log",
  "/api",
  "/api/v1",
  "/version",
  "/apis/apps",
  "/readyz",
  "/livez",
];

interface Req {
  verb: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  namespace?: string;
  nonResourceURL?: string;
}

interface Identity {
  user: string;
  groups: string[];
}

function sarSpec(who: Identity, r: Req) {
  return {
    user: who.user,
    groups: who.groups,
    ...(r.nonResourceURL !== undefined
      ? { nonResourceAttributes: { path: r.nonResourceURL, verb: r.verb } }
      : {
          resourceAttributes: {
            verb: r.verb,
            group: r.apiGroup ?? "",
            resource: r.resource ?? "",
            subresource: r.subresource ?? "",
            name: r.name ?? "",
            namespace: r.namespace ?? "",
          },
        }),
  };
}

const describeReq = (r: Req) =>
  r.nonResourceURL !== undefined
    ? `${r.verb} ${r.nonResourceURL}`
    : `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ""}.${r.apiGroup || "core"}${r.name ? `/${r.name}` : ""} in ${r.namespace || "(cluster)"}`;

describe.runIf(kubeTestsEnabled())("RBAC differential against a real kube-apiserver", () => {
  let c: RealCluster;
  /**
   * Two views of the same cluster: `live` is the inventory read from the server (with its bootstrap roles);
   * `manifests` is the generated objects alone, as a repository would hold them, with Palisade's assumed bootstrap
   * policy for v1.35 standing in for the server's (core/rbac bootstrap defaults). Both must answer as the server.
   */
  const views: Record<string, RbacIndex> = {};
  let idx: RbacIndex;
  const rand = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const some = <T>(xs: readonly T[], max: number): T[] => {
    const n = 1 + Math.floor(rand() * max);
    return [...new Set(Array.from({ length: n }, () => pick(xs)))];
  };
  const sar = async (who: Identity, r: Req): Promise<boolean> => {
    const a = await c.api("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      spec: sarSpec(who, r),
    });
    if (a.status !== 201) throw new Error(`SubjectAccessReview: ${a.status} ${JSON.stringify(a.body)}`);
    return (a.body.status as { allowed?: boolean }).allowed === true;
  };
  const identityOf = (s: string): Identity => {
    if (s.includes("/")) {
      const [ns, name] = s.split("/") as [string, string];
      return {
        user: `system:serviceaccount:${ns}:${name}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
      };
    }
    return { user: s, groups: [...some(GROUPS, 2).filter(() => rand() < 0.6), "system:authenticated"] };
  };

  function rule(cluster: boolean) {
    if (cluster && rand() < 0.15)
      return {
        nonResourceURLs: some(["/healthz", "/metrics", "/logs/*", "/api/*", "*", "/version"], 2),
        verbs: some(["get", "post", "*"], 2),
      };
    const r: Record<string, unknown> = {
      apiGroups: some(API_GROUPS, 2),
      resources: some(RESOURCES, 3),
      verbs: some(VERBS, 3),
    };
    if (rand() < 0.25) r.resourceNames = some(NAMES, 2);
    return r;
  }
  function subjects(ns: string | undefined) {
    return Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
      const k = rand();
      if (k < 0.4) return { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: pick(USERS) };
      if (k < 0.65) return { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: pick(GROUPS) };
      if (k < 0.7)
        return {
          kind: "Group",
          apiGroup: "rbac.authorization.k8s.io",
          name: pick(["system:authenticated", "system:serviceaccounts:ns-1"]),
        };
      const [sans, name] = pick(SAS).split("/") as [string, string];
      // A RoleBinding's ServiceAccount subject without a namespace means the binding's namespace.
      return ns !== undefined && sans === ns && rand() < 0.3
        ? { kind: "ServiceAccount", name }
        : { kind: "ServiceAccount", name, namespace: sans };
    });
  }

  beforeAll(async () => {
    c = await startCluster();
    const create = async (path: string, body: unknown) => {
      const r = await c.api("POST", path, body);
      if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    for (const ns of NAMESPACES) await create("/api/v1/namespaces", { metadata: { name: ns } });
    const objects: [string, unknown][] = [];
    const clusterRoles: string[] = [];
    for (let i = 0; i < 8; i++) {
      const aggregate = i < 3 ? { "palisade-test/aggregate": "true" } : undefined;
      clusterRoles.push(`cr-${i}`);
      objects.push([
        `${RBAC}/clusterroles`,
        {
          metadata: { name: `cr-${i}`, ...(aggregate ? { labels: aggregate } : {}) },
          rules: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => rule(true)),
        },
      ]);
    }
    // Filled in by the real clusterrole-aggregation controller from cr-0..cr-2.
    objects.push([
      `${RBAC}/clusterroles`,
      {
        metadata: { name: "cr-aggregated" },
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "palisade-test/aggregate": "true" } }] },
        rules: [],
      },
    ]);
    clusterRoles.push("cr-aggregated");
    for (const ns of NAMESPACES)
      for (let i = 0; i < 3; i++)
        objects.push([
          `${RBAC}/namespaces/${ns}/roles`,
          {
            metadata: { name: `r-${i}` },
            rules: Array.from({ length: 1 + Math.floor(rand() * 2) }, () => rule(false)),
          },
        ]);
    for (const ns of NAMESPACES)
      for (let i = 0; i < 5; i++) {
        const k = rand();
        const roleRef =
          k < 0.4
            ? { kind: "Role", name: `r-${Math.floor(rand() * 4)}` } // r-3 does not exist: a binding that grants nothing
            : k < 0.75
              ? { kind: "ClusterRole", name: pick(clusterRoles) }
              : { kind: "ClusterRole", name: pick(BUILTIN_CLUSTER_ROLES) };
        objects.push([
          `${RBAC}/namespaces/${ns}/rolebindings`,
          {
            metadata: { name: `rb-${i}` },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
            subjects: subjects(ns),
          },
        ]);
      }
    for (let i = 0; i < 6; i++)
      objects.push([
        `${RBAC}/clusterrolebindings`,
        {
          metadata: { name: `crb-${i}` },
          roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name:
              i === 0
                ? "cluster-admin"
                : i === 1
                  ? "view"
                  : rand() < 0.6
                    ? pick(clusterRoles)
                    : pick(BUILTIN_CLUSTER_ROLES),
          },
          subjects:
            i === 0
              ? [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "u5" }]
              : subjects(undefined),
        },
      ]);
    await inBatches(objects, 8, ([path, body]) => create(path, body));
    // Wait for the aggregation controller: cr-aggregated holds every distinct rule of cr-0..cr-2.
    const want = new Set(
      objects
        .filter(
          ([p, b]) =>
            p.endsWith("/clusterroles") &&
            /^cr-[0-2]$/.test((b as { metadata: { name: string } }).metadata.name),
        )
        .flatMap(([, b]) => (b as { rules: unknown[] }).rules.map((r) => JSON.stringify(r))),
    ).size;
    for (let t = 0; ; t++) {
      const r = await c.api("GET", `${RBAC}/clusterroles/cr-aggregated`);
      if (((r.body.rules as unknown[] | undefined) ?? []).length >= want) break;
      if (t > 240) throw new Error("cr-aggregated was not aggregated within 120 s");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const live = await loadLiveCluster({ kubeconfig: c.kubeconfig("admin") });
    expect(live.coverage).toEqual([]);
    idx = buildRbacIndex(buildInventory(live.objects));
    views.live = idx;
    const generated = live.objects
      .filter((o) => {
        const labels = (o.object.metadata as { labels?: Record<string, string> }).labels ?? {};
        return labels["kubernetes.io/bootstrapping"] !== "rbac-defaults";
      })
      .map(({ object, source }) => (source ? { object, source } : { object }));
    views.manifests = buildRbacIndex(buildInventory(generated), { defaultRoles: { kubeVersion: "v1.35" } });
  }, 300_000);

  afterAll(async () => {
    await c?.stop();
  });

  /** The generated rules' vocabulary (where grants are dense), or the wider one of built-in resources. */
  const GEN_RESOURCES: [string, string, string][] = [
    ["", "pods", ""],
    ["", "pods", "log"],
    ["", "pods", "exec"],
    ["apps", "deployments", ""],
    ["apps", "deployments", "scale"],
    ["", "secrets", ""],
    ["", "configmaps", ""],
    ["batch", "jobs", ""],
    ["rbac.authorization.k8s.io", "roles", ""],
    ["rbac.authorization.k8s.io", "rolebindings", ""],
  ];
  function request(): Req {
    if (rand() < 0.5) {
      const [apiGroup, resource, sub] = pick(GEN_RESOURCES);
      const r: Req = {
        verb: pick(VERBS.filter((v) => v !== "*")),
        apiGroup,
        resource,
        namespace: pick(NAMESPACES),
      };
      if (sub) r.subresource = sub;
      if (rand() < 0.4) r.name = pick([...NAMES, "gamma"]);
      return r;
    }
    if (rand() < 0.12)
      return { verb: pick(["get", "post", "put", "delete"]), nonResourceURL: pick(NON_RESOURCE) };
    const [apiGroup, resource] = pick(REQ_RESOURCES);
    const r: Req = { verb: pick(REQ_VERBS), apiGroup, resource };
    const sub = pick(REQ_SUBRESOURCES);
    if (sub) r.subresource = sub;
    if (rand() < 0.3) r.name = pick([...NAMES, "gamma"]);
    const ns = rand();
    if (ns < 0.75) r.namespace = pick([...NAMESPACES, "default", "kube-system"]);
    return r;
  }

  it("can-i: Palisade's answer equals the server's SubjectAccessReview for 600 generated requests", async () => {
    const identities = [
      ...USERS,
      "nobody",
      "system:kube-scheduler",
      "system:kube-controller-manager",
      "system:kube-proxy",
      ...SAS,
      "ns-1/default",
    ];
    const cases = Array.from({ length: 600 }, () => {
      const who =
        rand() < 0.03
          ? { user: "system:anonymous", groups: ["system:unauthenticated"] }
          : identityOf(pick(identities));
      return { who, req: request() };
    });
    const server = await inBatches(cases, 16, ({ who, req }) => sar(who, req));
    const mismatches = Object.entries(views).flatMap(([view, index]) =>
      cases
        .map(({ who, req }, i) => ({
          who,
          req,
          server: server[i],
          palisade: canI(index, { ...req, ...who }).allowed,
        }))
        .filter((m) => m.server !== m.palisade)
        .map(
          (m) =>
            `${view} seed ${SEED}: ${m.who.user} [${m.who.groups.join(",")}] ${describeReq(m.req)}: server ${m.server}, palisade ${m.palisade}`,
        ),
    );
    expect(mismatches).toEqual([]);
    // The generated world is not trivial: both answers occur, often.
    expect(server.filter(Boolean).length).toBeGreaterThan(60);
    expect(server.filter((a) => !a).length).toBeGreaterThan(60);
  });

  it("who-can: the subjects Palisade lists are exactly those the server authorizes, for 40 generated requests", async () => {
    // Every subject named by a binding (the generated ones and the bootstrap ones), each asked alone.
    const universe = new Map<string, { kind: string; name: string; namespace?: string; who: Identity }>();
    for (const b of idx.bindings)
      for (const s of b.subjects) {
        const ns = s.kind === "ServiceAccount" ? (s.namespace ?? b.namespace ?? "") : undefined;
        const key = `${s.kind}:${ns ? `${ns}/` : ""}${s.name}`;
        const who: Identity =
          s.kind === "User"
            ? { user: s.name, groups: [] }
            : s.kind === "Group"
              ? { user: "differential-nobody", groups: [s.name] }
              : { user: `system:serviceaccount:${ns}:${s.name}`, groups: [] };
        universe.set(key, { kind: s.kind, name: s.name, ...(ns ? { namespace: ns } : {}), who });
      }
    universe.set("Group:system:masters", {
      kind: "Group",
      name: "system:masters",
      who: { user: "differential-nobody", groups: ["system:masters"] },
    });
    const subjects = [...universe.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const requests = Array.from({ length: 40 }, request);
    const cases = requests.flatMap((req) => subjects.map(([key, s]) => ({ req, key, who: s.who })));
    const answers = await inBatches(cases, 16, ({ who, req }) => sar(who, req));
    const mismatches: string[] = [];
    for (const [view, index] of Object.entries(views))
      requests.forEach((req, i) => {
        const server = subjects
          .filter((_, j) => answers[i * subjects.length + j])
          .map(([key]) => key)
          .sort();
        const listed = whoCan(index, req)
          .subjects.map((s) => `${s.kind}:${s.namespace ? `${s.namespace}/` : ""}${s.name}`)
          .filter((k) => universe.has(k))
          .sort();
        if (JSON.stringify(server) !== JSON.stringify(listed))
          mismatches.push(
            `${view} seed ${SEED}: ${describeReq(req)}: server only [${server.filter((k) => !listed.includes(k))}], palisade only [${listed.filter((k) => !server.includes(k))}]`,
          );
      });
    expect(mismatches).toEqual([]);
    expect(universe.size).toBeGreaterThan(20);
  });

  it("the CLI (rbac can-i and who-can, one live read each) answers as the core does", async () => {
    const kc = c.kubeconfig("admin");
    const yes = await runCli(["rbac", "can-i", "get", "secrets", "--as", "u5", "--kubeconfig", kc]);
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ allowed: true });
    expect(
      await sar({ user: "u5", groups: ["system:authenticated"] }, { verb: "get", resource: "secrets" }),
    ).toBe(true);
    const no = await runCli(["rbac", "can-i", "create", "nodes", "--as", "nobody", "--kubeconfig", kc]);
    expect(no.code).toBe(1);
    expect(
      await sar({ user: "nobody", groups: ["system:authenticated"] }, { verb: "create", resource: "nodes" }),
    ).toBe(false);
    const who = await runCli(["rbac", "who-can", "list", "pods", "-n", "ns-0", "--kubeconfig", kc]);
    expect(who.code).toBe(0);
    const listed = (JSON.parse(who.stdout) as { subjects: { kind: string; name: string }[] }).subjects;
    expect(listed).toEqual(whoCan(idx, { verb: "list", resource: "pods", namespace: "ns-0" }).subjects);
  });
});
