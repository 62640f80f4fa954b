import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareFindings, type Finding, type SourceLocation } from "../findings/index.js";
import { buildInventory, type RawObject, WORKLOAD_KINDS } from "../inventory/index.js";
import {
  configMap,
  type Json,
  podSc,
  raws,
  safeContainer,
  sc,
  service,
  workload,
} from "./__fixtures__/builders.js";
import { evaluatePosture, POSTURE_RULES } from "./index.js";

/** A RawObject with a source whose `locate` knows only the listed paths (like a YAML loader would). */
function located(object: Json, file: string, line: number, known: Record<string, number>): RawObject {
  return {
    object,
    source: {
      file,
      line,
      column: 1,
      locate: (p: string): SourceLocation | undefined =>
        known[p] !== undefined ? { file, line: known[p], column: 7 } : undefined,
    },
  };
}

const PRIV_PATH = "spec.template.spec.containers[1].securityContext.privileged";

describe("finding shape", () => {
  it("privileged container: whole finding with exact path, located evidence, workload and team", () => {
    const dep = workload(
      (s) => {
        (s.containers as Json[]).push({ ...safeContainer("sidecar"), securityContext: { privileged: true } });
      },
      { labels: { team: "payments" } },
    );
    const inv = buildInventory([located(dep, "deploy.yaml", 1, { [PRIV_PATH]: 42 })]);
    const f = evaluatePosture(inv).findings.filter((x) => x.ruleId === "PAL-POD-001");
    const ref = { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" };
    expect(f).toEqual([
      {
        id: f[0]?.id,
        ruleId: "PAL-POD-001",
        title: "Privileged container",
        severity: "high",
        resource: ref,
        workload: ref,
        team: "payments",
        location: { file: "deploy.yaml", line: 42, column: 7 },
        fieldPath: PRIV_PATH,
        evidence: "true",
        message: 'container "sidecar" runs privileged',
        remediation:
          "Remove `privileged: true` from the container securityContext; grant specific capabilities instead.",
        compliance: [
          {
            framework: "nsa",
            id: "Pod security enforcement",
            title: "Kubernetes Pod security",
          },
          { framework: "cis", id: "5.2.2", title: "Minimize the admission of privileged containers" },
          { framework: "pss", id: "privileged" },
        ],
        category: "workload",
      },
    ]);
    expect(f[0]?.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("an absent field is reported where it should be set, located at its nearest existing ancestor", () => {
    const dep = workload((_, c) => {
      delete sc(c).allowPrivilegeEscalation;
    });
    const inv = buildInventory([
      located(dep, "d.yaml", 3, { "spec.template.spec.containers[0].securityContext": 30 }),
    ]);
    const [f] = evaluatePosture(inv).findings.filter((x) => x.ruleId === "PAL-POD-016");
    expect(f?.fieldPath).toBe("spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation");
    expect(f?.location).toEqual({ file: "d.yaml", line: 30, column: 7 });
    expect(f?.evidence).toBeUndefined();
    expect(f?.message).toBe(
      'container "app" does not set allowPrivilegeEscalation: false (defaults to true)',
    );
  });

  it("falls back to the object's own position when locate knows nothing", () => {
    const inv = buildInventory([located(workload(undefined, { namespace: "default" }), "d.yaml", 9, {})]);
    const [f] = evaluatePosture(inv).findings.filter((x) => x.ruleId === "PAL-POD-036");
    expect(f?.location).toEqual({ file: "d.yaml", line: 9, column: 1 });
  });

  it("pod-level value inherited by a container is reported at the pod path", () => {
    const inv = buildInventory(
      raws(
        workload((s) => {
          podSc(s).runAsUser = 0;
        }),
      ),
    );
    const f = evaluatePosture(inv).findings.filter((x) => x.ruleId === "PAL-POD-018");
    expect(f.map((x) => [x.fieldPath, x.evidence, x.message])).toEqual([
      ["spec.template.spec.securityContext.runAsUser", "0", 'container "app" runs as root (runAsUser: 0)'],
    ]);
  });

  it("runtime socket: critical finding with the host path as evidence", () => {
    const inv = buildInventory(
      raws(
        workload(
          (s) => {
            s.volumes = [
              { name: "sock", hostPath: { path: "/run/containerd/containerd.sock", type: "Socket" } },
            ];
          },
          { kind: "DaemonSet", name: "agent" },
        ),
      ),
    );
    const [f] = evaluatePosture(inv).findings.filter((x) => x.ruleId === "PAL-POD-007");
    const ref = { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "shop", name: "agent" };
    expect(f).toEqual({
      id: f?.id,
      ruleId: "PAL-POD-007",
      title: "Container runtime socket mounted",
      severity: "critical",
      resource: ref,
      workload: ref,
      fieldPath: "spec.template.spec.volumes[0].hostPath.path",
      evidence: "/run/containerd/containerd.sock",
      message:
        'volume "sock" mounts the containerd socket (/run/containerd/containerd.sock) [not mounted by any container]',
      remediation: POSTURE_RULES.find((r) => r.id === "PAL-POD-007")?.remediation,
      compliance: [
        { framework: "nsa", id: "Pod security enforcement", title: "Kubernetes Pod security" },
        { framework: "cis", id: "5.2.12", title: "Minimize the admission of HostPath volumes" },
        { framework: "pss", id: "hostPathVolumes" },
      ],
      category: "workload",
    });
  });

  it("Service selecting no pods: finding on the Service, no workload", () => {
    const inv = buildInventory(raws(workload(), service({ selector: { app: "api" } }, "api")));
    const f = evaluatePosture(inv).findings.filter((x) => x.ruleId === "PAL-SVC-004");
    expect(f).toEqual([
      {
        id: f[0]?.id,
        ruleId: "PAL-SVC-004",
        title: "Service selects no pods",
        severity: "low",
        resource: { apiVersion: "v1", kind: "Service", namespace: "shop", name: "api" },
        fieldPath: "spec.selector",
        evidence: "app=api",
        message: 'Service "api" selector app=api matches no pod template in namespace "shop"',
        remediation: "Fix the selector to match the intended pod template labels, or delete the Service.",
        compliance: [],
        category: "exposure",
      },
    ]);
  });

  it("a bare Pod owned by a Deployment's ReplicaSet is not evaluated twice", () => {
    const dep = workload(
      (s) => {
        s.hostPID = true;
      },
      { name: "web" },
    );
    (dep.metadata as Json).uid = "d-1";
    const rs = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: "web-5d",
        namespace: "shop",
        uid: "rs-1",
        ownerReferences: [{ kind: "Deployment", name: "web", uid: "d-1", controller: true }],
      },
      spec: dep.spec as Json,
    };
    const pod = {
      ...workload(
        (s) => {
          s.hostPID = true;
        },
        { kind: "Pod", name: "web-5d-x" },
      ),
    };
    (pod.metadata as Json).ownerReferences = [
      { kind: "ReplicaSet", name: "web-5d", uid: "rs-1", controller: true },
    ];
    const inv = buildInventory(raws(dep, rs, pod));
    const f = evaluatePosture(inv).findings.filter((x) => x.ruleId === "PAL-POD-002");
    expect(f.map((x) => `${x.resource.kind}/${x.resource.name}`)).toEqual(["Deployment/web"]);
  });
});

describe("determinism and id stability", () => {
  const objects = (): Json[] => [
    workload((s, c) => {
      s.hostNetwork = true;
      sc(c).privileged = true;
    }),
    workload(
      (_, c) => {
        c.image = "nginx";
      },
      { name: "api", kind: "StatefulSet" },
    ),
    service({ type: "NodePort", selector: { app: "none" } }),
    configMap({ DB_PASSWORD: "pa55word-prod" }),
  ];

  it("same input gives the same findings, ids and order; shuffled input gives the same sorted output", () => {
    const a = evaluatePosture(buildInventory(raws(...objects())));
    const b = evaluatePosture(buildInventory(raws(...objects())));
    const c = evaluatePosture(buildInventory(raws(...objects().reverse())));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).toBe(JSON.stringify(a));
    expect([...a.findings].sort(compareFindings)).toEqual(a.findings);
  });

  it("ids are unique within a run and change with the field path", () => {
    const { findings } = evaluatePosture(buildInventory(raws(...objects())));
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
    const two = evaluatePosture(
      buildInventory(
        raws(
          workload((s) => {
            s.containers = [
              { ...safeContainer("a"), securityContext: { privileged: true } },
              { ...safeContainer("b"), securityContext: { privileged: true } },
            ];
          }),
        ),
      ),
    ).findings.filter((f) => f.ruleId === "PAL-POD-001");
    expect(two.map((f) => f.fieldPath)).toEqual([
      "spec.template.spec.containers[0].securityContext.privileged",
      "spec.template.spec.containers[1].securityContext.privileged",
    ]);
    expect(two[0]?.id).not.toBe(two[1]?.id);
  });
});

describe("redaction", () => {
  const SECRETS = {
    aws: "AKIAIOSFODNN7EXAMPLE",
    awsSecret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    gh: `ghp_${"A1b2C3d4E5".repeat(3)}abcdef`,
    slack: "xoxb-123456789012-abcdefghijkl",
    jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1In0.c2lnbmF0dXJlLXZhbHVlLWhlcmU",
    pw: "correct-horse-battery-staple",
    urlPw: "Sup3rS3cretPw",
    pem: "MIIEowIBAAKCAQEAsecretbodyofkey",
    lastApplied: "c2VjcmV0LXZhbHVlLWluLWFubm90YXRpb24=",
  };

  it("no secret value appears anywhere in the serialized findings or coverage", () => {
    const dep = workload((_, c) => {
      c.env = [
        { name: "AWS_ACCESS_KEY_ID", value: SECRETS.aws },
        { name: "AWS_SECRET_ACCESS_KEY", value: SECRETS.awsSecret },
        { name: "GITHUB_TOKEN", value: SECRETS.gh },
        { name: "SLACK", value: SECRETS.slack },
        { name: "DB_PASSWORD", value: SECRETS.pw },
        { name: "DATABASE_URL", value: `postgres://app:${SECRETS.urlPw}@db:5432/app` },
      ];
      c.args = ["--token", SECRETS.jwt, `--password=${SECRETS.pw}`];
    });
    const cm = configMap({
      "app.env": `API_TOKEN=${SECRETS.gh}\nmode=prod\n`,
      key: `-----BEGIN PRIVATE KEY-----\n${SECRETS.pem}\n-----END PRIVATE KEY-----`,
      jwt: SECRETS.jwt,
    });
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "s",
        namespace: "shop",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
            data: { k: SECRETS.lastApplied },
          }),
        },
      },
    };
    const result = evaluatePosture(buildInventory(raws(dep, cm, secret)));
    const text = JSON.stringify(result);
    for (const v of Object.values(SECRETS)) expect(text).not.toContain(v);
    const kinds = (rule: string) =>
      result.findings
        .filter((f) => f.ruleId === rule)
        .map((f) => f.evidence)
        .sort();
    expect(kinds("PAL-SEC-003")).toEqual([
      "AWS_ACCESS_KEY_ID=AKIA****(redacted, 20 chars)",
      "AWS_SECRET_ACCESS_KEY=****(redacted, 40 chars)",
      `DATABASE_URL=****(redacted, ${SECRETS.urlPw.length} chars)`,
      `DB_PASSWORD=****(redacted, ${SECRETS.pw.length} chars)`,
      `GITHUB_TOKEN=ghp_****(redacted, ${SECRETS.gh.length} chars)`,
      `SLACK=xoxb****(redacted, ${SECRETS.slack.length} chars)`,
    ]);
    expect(kinds("PAL-SEC-004")).toEqual([
      `app.env line 1: ghp_****(redacted, ${SECRETS.gh.length} chars)`,
      `jwt: ****(redacted, ${SECRETS.jwt.length} chars)`,
      "key line 1: ****(redacted, 27 chars)",
    ]);
    expect(kinds("PAL-SEC-005")).toEqual([
      `****(redacted, ${SECRETS.pw.length} chars)`,
      `****(redacted, ${SECRETS.jwt.length} chars)`,
    ]);
    expect(kinds("PAL-SEC-006")).toEqual(["keys k (values redacted)"]);
  });
});

describe("pathological cases", () => {
  it("wrong-typed fields never crash: they become invalid coverage entries or are ignored", () => {
    const dep = workload((s, c) => {
      s.hostPID = "true";
      s.volumes = "not-a-list";
      s.securityContext = ["array"];
      c.securityContext = {
        privileged: "yes",
        capabilities: { add: "SYS_ADMIN", drop: [1, null] },
        runAsUser: "0",
      };
      c.ports = [{ hostPort: "80" }, null, 7];
      c.env = { DB_PASSWORD: "x" };
      c.resources = { limits: { cpu: { nested: true } } };
      c.livenessProbe = 5;
      s.initContainers = [null, 3, "x"];
    });
    const result = evaluatePosture(buildInventory(raws(dep)));
    expect(result.coverage.every((c) => c.reason === "invalid")).toBe(true);
    expect(result.coverage).toContainEqual({
      reason: "invalid",
      message:
        "Deployment shop/web: spec.template.spec.containers[0].securityContext.privileged is string, expected boolean; not evaluated",
      kind: "Deployment",
      namespace: "shop",
    });
    expect(result.coverage.map((c) => c.message)).toEqual(
      expect.arrayContaining([
        "Deployment shop/web: spec.template.spec.hostPID is string, expected boolean; not evaluated",
        "Deployment shop/web: spec.template.spec.volumes is string, expected array; not evaluated",
        "Deployment shop/web: spec.template.spec.securityContext is array, expected object; not evaluated",
        "Deployment shop/web: spec.template.spec.containers[0].env is object, expected array; not evaluated",
        "Deployment shop/web: spec.template.spec.containers[0].ports[0].hostPort is string, expected integer; not evaluated",
      ]),
    );
    // Each distinct invalid field is reported once even though several rules read it.
    expect(new Set(result.coverage.map((c) => c.message)).size).toBe(result.coverage.length);
    expect(result.findings.some((f) => f.ruleId === "PAL-POD-001" || f.ruleId === "PAL-POD-002")).toBe(false);
  });

  it("YAML nulls (`securityContext:` with no value) read as unset, not as type errors", () => {
    const dep = workload((s, c) => {
      c.securityContext = null;
      s.volumes = null;
    });
    const result = evaluatePosture(buildInventory(raws(dep)));
    expect(result.coverage).toEqual([]);
    expect(result.findings.map((f) => f.ruleId)).toContain("PAL-POD-016");
  });

  it("hostile keys and huge values do not leak into Object.prototype or the report size", () => {
    const cm = JSON.parse(
      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"shop"},"data":{"__proto__":"x","constructor":"y","big":"${"A".repeat(200_000)}"}}`,
    ) as Json;
    const result = evaluatePosture(buildInventory(raws(cm)));
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(JSON.stringify(result).length).toBeLessThan(10_000);
  });

  it("Windows pods skip Linux-only checks but not hostProcess", () => {
    const dep = workload((s) => {
      s.os = { name: "windows" };
      s.securityContext = { windowsOptions: { hostProcess: true, runAsUserName: "NT AUTHORITY\\SYSTEM" } };
      s.containers = [{ ...safeContainer(), securityContext: {} }];
    });
    const ids = evaluatePosture(buildInventory(raws(dep))).findings.map((f) => f.ruleId);
    expect(ids).toContain("PAL-POD-028");
    expect(ids).not.toContain("PAL-POD-017");
    expect(ids).not.toContain("PAL-POD-015");
  });
});

/** JSON shaped like Kubernetes objects: right field names, arbitrary (often wrong) values. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, anyJson);
const securityContextArb = maybe(
  fc.record(
    {
      privileged: maybe(fc.boolean()),
      runAsUser: maybe(fc.integer({ min: -1, max: 70000 })),
      runAsNonRoot: maybe(fc.boolean()),
      capabilities: maybe(
        fc.record({
          add: maybe(fc.array(fc.string())),
          drop: maybe(fc.array(fc.constantFrom("ALL", "NET_RAW"))),
        }),
      ),
      seccompProfile: maybe(fc.record({ type: maybe(fc.constantFrom("Unconfined", "RuntimeDefault")) })),
      seLinuxOptions: maybe(fc.record({ type: maybe(fc.string()), user: maybe(fc.string()) })),
      windowsOptions: maybe(fc.record({ hostProcess: maybe(fc.boolean()) })),
      sysctls: maybe(fc.array(maybe(fc.record({ name: maybe(fc.string()) })))),
    },
    { requiredKeys: [] },
  ),
);
const containerArb = maybe(
  fc.record(
    {
      name: maybe(fc.string()),
      image: maybe(fc.constantFrom("nginx", "nginx:latest", "a/b:1@sha256:" + "b".repeat(64), "", "::bad")),
      securityContext: securityContextArb,
      env: maybe(fc.array(maybe(fc.record({ name: maybe(fc.string()), value: maybe(fc.string()) })))),
      envFrom: maybe(fc.array(maybe(fc.record({ secretRef: maybe(fc.record({ name: fc.string() })) })))),
      ports: maybe(fc.array(maybe(fc.record({ hostPort: maybe(fc.integer()) })))),
      volumeMounts: maybe(
        fc.array(maybe(fc.record({ name: maybe(fc.string()), readOnly: maybe(fc.boolean()) }))),
      ),
      args: maybe(fc.array(maybe(fc.string()))),
      resources: maybe(fc.record({ limits: anyJson, requests: anyJson })),
      livenessProbe: maybe(fc.record({ httpGet: maybe(fc.record({ host: maybe(fc.string()) })) })),
      lifecycle: anyJson,
    },
    { requiredKeys: [] },
  ),
);
const podSpecArb = fc.record(
  {
    containers: maybe(fc.array(containerArb, { maxLength: 3 })),
    initContainers: maybe(fc.array(containerArb, { maxLength: 2 })),
    securityContext: securityContextArb,
    hostPID: maybe(fc.boolean()),
    hostNetwork: maybe(fc.boolean()),
    volumes: maybe(
      fc.array(
        maybe(
          fc.record({ name: maybe(fc.string()), hostPath: maybe(fc.record({ path: maybe(fc.string()) })) }),
        ),
      ),
    ),
    automountServiceAccountToken: maybe(fc.boolean()),
    serviceAccountName: maybe(fc.string()),
    os: anyJson,
  },
  { requiredKeys: [] },
);
const objectArb = fc.oneof(
  fc.record({
    apiVersion: fc.constant("apps/v1"),
    kind: fc.constantFrom(...WORKLOAD_KINDS),
    metadata: fc.record({
      name: fc.string({ minLength: 1 }),
      namespace: maybe(fc.constantFrom("default", "shop")),
      annotations: maybe(fc.dictionary(fc.string(), fc.string())),
    }),
    spec: maybe(
      fc.record(
        {
          template: maybe(fc.record({ metadata: anyJson, spec: maybe(podSpecArb) })),
          containers: anyJson,
          jobTemplate: anyJson,
        },
        { requiredKeys: [] },
      ),
    ),
  }),
  fc.record({
    apiVersion: fc.constant("v1"),
    kind: fc.constantFrom("Pod", "Service", "ConfigMap", "Secret", "ServiceAccount", "Namespace"),
    metadata: fc.record({
      name: fc.string({ minLength: 1 }),
      namespace: maybe(fc.constant("shop")),
      annotations: maybe(fc.dictionary(fc.string(), fc.string())),
    }),
    spec: maybe(
      fc.oneof(
        podSpecArb,
        fc.record(
          { type: maybe(fc.string()), selector: anyJson, externalIPs: anyJson },
          { requiredKeys: [] },
        ),
      ),
    ),
    data: anyJson,
    automountServiceAccountToken: anyJson,
  }),
  fc.record({
    apiVersion: fc.constant("networking.k8s.io/v1"),
    kind: fc.constant("Ingress"),
    metadata: fc.record({ name: fc.string({ minLength: 1 }) }),
    spec: maybe(fc.record({ tls: anyJson, rules: maybe(fc.array(maybe(fc.record({ host: anyJson })))) })),
  }),
);

describe("property: evaluatePosture never throws and no rule fails on arbitrary workload-shaped JSON", () => {
  it("holds for 300 random inventories", () => {
    fc.assert(
      fc.property(fc.array(objectArb, { maxLength: 6 }), (objects) => {
        const inv = buildInventory(raws(...(objects as Json[])));
        const result = evaluatePosture(inv, { allowedRegistries: ["docker.io"] });
        // A rule that threw would leave a "not-evaluated" entry: every malformed field must be an "invalid" one.
        expect(result.coverage.filter((c) => c.reason !== "invalid")).toEqual([]);
        const again = evaluatePosture(inv, { allowedRegistries: ["docker.io"] });
        expect(again.findings.map((f: Finding) => f.id)).toEqual(result.findings.map((f) => f.id));
      }),
      { numRuns: 300, seed: 20260101 },
    );
  });
});
